"""The batched path with dense targets: ``op.batch(batch)`` where `batch` is an
`augkit.mix.SampleBatch` (or any object with its fields and ``replace``) holding torch
images (B, C, H, W) and, optionally, masks (B, H, W) integer label maps or (B, K, H, W)
instance masks (integer or bool; image i uses its first ``instance_counts[i]`` planes, the
rest are empty padding and stay empty), boxes (a list of B
(N_i, 4) xyxy tensors in pixel-edge coordinates, box_labels kept in step) and keypoints (a
list of B (..., 2) or (..., 3) tensors). Lists, not padded tensors: images carry different
numbers of boxes and people, and this is the layout the mixer and torchvision's detection
models use.

Every geometric step moves all targets by each image's own matrix: images and masks on
their device (one grid_sample), masks, boxes and keypoints on the host through the very
functions the per-image path uses (`geometry.warp_mask` with ``mask_fill``, `warp_boxes`,
`warp_keypoints`, and the ops' `remap_targets`, e.g. a flip's left/right keypoint swap), so
they equal the per-image path's exactly. (A device nearest warp of the masks, grid_sample's,
differs from augkit's nearest rule at tied positions: up to 4.5% of a crop-and-resize's
pixels, measured; label maps must not change with the device.) Pixel ops touch the images
only. Any other step
(CutOut writing a mask label, elastic distortion, a runner's opaque op) runs image by image
on the host with its targets (`op.apply`), as the per-image path does.
"""

from __future__ import annotations

import numpy as np
import torch

from .batch_plan import plans_of, run_plans, sample_batch
from .batch_torch import _NP, TorchBackend, _check
from .errors import type_error, value_error
from .functional import geometry as G
from .sample import Sample, stand_in

_FIELDS = ("masks", "boxes", "box_labels", "keypoints")


class Dense:
    """Images and their targets, indexed together (what `run_plans` carries along);
    `counts`: with instance masks (B, K, H, W), the planes each image uses."""

    def __init__(self, images, masks=None, boxes=None, box_labels=None, keypoints=None,
                 counts=None):
        self.images, self.masks = images, masks
        self.boxes, self.box_labels, self.keypoints = boxes, box_labels, keypoints
        self.counts = counts

    @property
    def shape(self):
        return self.images.shape

    @property
    def dtype(self):
        return self.images.dtype

    def subset(self, idx):
        def pick(v):
            return None if v is None else [v[i] for i in idx]

        t = torch.as_tensor(idx, device=self.images.device)
        return Dense(self.images[t], None if self.masks is None else self.masks[t],
                     pick(self.boxes), pick(self.box_labels), pick(self.keypoints),
                     pick(self.counts))


def apply_dense(op, batch, rng, params: list | None = None):
    """`op` over a batch with targets; returns ``batch.replace(...)`` with every field moved."""
    x = _dense(batch, op)
    n, c, h, w = x.images.shape
    if params is None and (_reads_targets(op) or op.batch_needs_pixels()):
        # its draws read boxes, keypoints or masks, or happen inside its sample_apply:
        # the per-image path itself, on the host, each sample with its targets
        out = _per_image(op, x, None, rng)
    else:
        if params is None:
            proxy = np.broadcast_to(np.zeros((), _NP[x.images.dtype]), (n, h, w, c))
            params = sample_batch(op, rng, proxy)
        out = run_plans(op, x, plans_of(op, params, (h, w)), DenseBackend)
    extra = {} if out.counts is None else {"instance_counts": list(out.counts)}
    return batch.replace(images=out.images, **extra, **{f: getattr(out, f) for f in _FIELDS
                                                        if getattr(out, f) is not None})


def _dense(batch, op) -> Dense:
    imgs = batch.images
    if not isinstance(imgs, torch.Tensor):
        raise type_error(op, "images", f"is {type(imgs).__name__}; a batch with targets holds "
                         "a torch (B, C, H, W) tensor")
    _check(imgs, op)
    n, _, h, w = imgs.shape
    m = getattr(batch, "masks", None)
    instances = isinstance(m, torch.Tensor) and m.ndim == 4 and (
        m.shape[0], m.shape[2], m.shape[3]) == (n, h, w) and not m.dtype.is_floating_point
    if m is not None and not instances and (
            not isinstance(m, torch.Tensor) or tuple(m.shape) != (n, h, w)
            or m.dtype.is_floating_point or m.dtype == torch.bool):
        raise value_error(op, "masks", f"are {getattr(m, 'dtype', type(m).__name__)} "
                          f"{tuple(getattr(m, 'shape', ()))}; expected (B, H, W) = {(n, h, w)} "
                          f"integer label maps or ({n}, K, {h}, {w}) integer or bool instance "
                          "masks")
    lists = {}
    for f in ("boxes", "box_labels", "keypoints"):
        v = getattr(batch, f, None)
        if v is not None and (not isinstance(v, (list, tuple)) or len(v) != n):
            have = f"{len(v)} entries" if hasattr(v, "__len__") else type(v).__name__
            raise value_error(op, f, f"has {have}; expected a list of {n} tensors, one per "
                              "image")
        lists[f] = None if v is None else list(v)
    counts = _instance_counts(op, batch, m, lists["boxes"]) if instances else None
    return Dense(imgs, m, **lists, counts=counts)


def _instance_counts(op, batch, m, boxes) -> list[int]:
    """`instance_counts` as B ints in [0, K] (default: one plane per box, else all K), as
    `augkit.mix.SampleBatch` defines them."""
    n, k = int(m.shape[0]), int(m.shape[1])
    counts = getattr(batch, "instance_counts", None)
    if counts is None:
        return [k] * n if boxes is None else [int(b.shape[0]) for b in boxes]
    if isinstance(counts, torch.Tensor):
        counts = counts.detach().cpu().tolist()
    try:
        vals = [int(c) for c in counts]
    except (TypeError, ValueError):
        vals = []
    if len(vals) != n or any(not 0 <= c <= k for c in vals):
        raise value_error(op, "instance_counts", f"are {counts!r:.80}; expected {n} ints in "
                          f"0..{k} (the planes each image of ({n}, {k}, H, W) masks uses)")
    return vals


def _planes(mask: np.ndarray, count: int) -> np.ndarray:
    """Image's instance planes (K, H, W) -> the per-image layout (H, W, count)."""
    return np.ascontiguousarray(mask[:count].transpose(1, 2, 0))


def _padded(planes: list, k: int, like) -> torch.Tensor:
    """Per-image (H, W, K_i) planes -> (B, K, H, W), empty planes after each image's own."""
    h, w = planes[0].shape[:2]
    out = np.zeros((len(planes), max([k] + [p.shape[2] for p in planes]), h, w),
                   planes[0].dtype)
    for j, p in enumerate(planes):
        out[j, :p.shape[2]] = p.transpose(2, 0, 1)
    return _back(out, like)


def _np(t):
    return t.detach().cpu().numpy()


def _back(a, like):
    return torch.from_numpy(np.ascontiguousarray(a)).to(device=like.device, dtype=like.dtype)


class DenseBackend:
    """`batch_plan.run_plans` over `Dense` batches."""

    @staticmethod
    def size(x):
        return tuple(x.images.shape[2:4])

    @staticmethod
    def take(x, idx):
        return x.subset(idx)

    @staticmethod
    def put(x, idx, y):
        t = torch.as_tensor(idx, device=x.images.device)
        x.images[t] = y.images
        if x.masks is not None:
            x.masks[t] = y.masks
        if x.counts is not None:
            for i, c in zip(idx, y.counts):
                x.counts[i] = c
        for f in ("boxes", "box_labels", "keypoints"):
            if getattr(x, f) is not None:
                for i, v in zip(idx, getattr(y, f)):
                    getattr(x, f)[i] = v

    @staticmethod
    def copy(x):
        def cp(v):
            return None if v is None else list(v)

        return Dense(x.images.clone(), None if x.masks is None else x.masks.clone(),
                     cp(x.boxes), cp(x.box_labels), cp(x.keypoints), cp(x.counts))

    @staticmethod
    def empty(n, like):
        img = torch.empty((n,) + tuple(like.images.shape[1:]), dtype=like.images.dtype,
                          device=like.images.device)
        mask = None if like.masks is None else torch.empty(
            (n,) + tuple(like.masks.shape[1:]), dtype=like.masks.dtype, device=like.masks.device)
        def lst(v):
            return None if v is None else [None] * n

        return Dense(img, mask, lst(like.boxes), lst(like.box_labels), lst(like.keypoints),
                     lst(like.counts))

    @staticmethod
    def warp(x, ms, out_size, style, op, groups=None):
        out = Dense(TorchBackend.warp(x.images, ms, out_size, style, op), counts=x.counts)
        if x.masks is not None:  # the per-image kernel: its nearest rule, exactly
            mf = 0 if style[2] is None else style[2]
            host = _np(x.masks)
            border = style[3] or "constant"
            if x.counts is not None:  # instance planes: each image's own, as per image
                out.masks = _padded([G.warp_mask(_planes(host[j], x.counts[j]), m, out_size,
                                                 mf, op, border) for j, m in enumerate(ms)],
                                    host.shape[1], x.masks)
            else:
                out.masks = _back(np.stack([G.warp_mask(host[j], m, out_size, mf, op, border)
                                            for j, m in enumerate(ms)]), x.masks)
        out.boxes, out.box_labels, out.keypoints = x.boxes, x.box_labels, x.keypoints
        if x.boxes is not None:
            out.boxes = [_back(G.warp_boxes(_np(b), m, out_size), b)
                         for b, m in zip(x.boxes, ms)]
        if x.keypoints is not None:
            out.keypoints = [_back(G.warp_keypoints(_np(k), m, out_size), k)
                             for k, m in zip(x.keypoints, ms)]
            _remap(out, groups, out_size)
        return out

    @staticmethod
    def leaf(op, x, params, size=None):
        if not op.geometric and not getattr(op, "changes_targets", False):
            return Dense(TorchBackend.leaf(op, x.images, params, size), x.masks, x.boxes,
                         x.box_labels, x.keypoints, x.counts)
        return _per_image(op, x, params)


def _remap(out: Dense, groups, size) -> None:
    """The ops' own `remap_targets` on the moved keypoints (a flip's left/right swap; the
    base's returns the sample unchanged)."""
    for j, group in enumerate(groups or ()):
        for g, gp in group:
            s = stand_in(tuple(size), np.uint8).replace(keypoints=_np(out.keypoints[j]))
            moved = g.remap_targets(s, gp)
            if moved is not s:
                out.keypoints[j] = _back(moved.keypoints, out.keypoints[j])


def _reads_targets(op) -> bool:
    """Whether `op` or a child declares that its draws read the targets
    (``samples_targets``: e.g. `BBoxSafeCrop` draws its window around the boxes)."""
    return getattr(op, "samples_targets", False) is True or any(
        _reads_targets(c) for c in op.children())


def _samples(x: Dense) -> list:
    imgs = np.ascontiguousarray(_np(x.images).transpose(0, 2, 3, 1))
    masks = None if x.masks is None else _np(x.masks)
    if masks is not None and x.counts is not None:
        masks = [_planes(masks[j], c) for j, c in enumerate(x.counts)]
    return [Sample(imgs[j] if imgs.shape[-1] != 1 else imgs[j, :, :, 0],
                   mask=None if masks is None else masks[j],
                   boxes=None if x.boxes is None else _np(x.boxes[j]),
                   box_labels=None if x.box_labels is None else _np(x.box_labels[j]),
                   keypoints=None if x.keypoints is None else _np(x.keypoints[j]))
            for j in range(len(imgs))]


def _per_image(op, x: Dense, params, rng=None) -> Dense:
    """An op the batch cannot vectorise, with its targets, image by image on the host:
    `op.apply` with `params`, or `op.sample_apply` drawing from `rng`."""
    if params is None:
        outs = [op.sample_apply(rng, s)[0] for s in _samples(x)]
    else:
        outs = [op.apply(s, p) for s, p in zip(_samples(x), params)]
    sizes = {o.image.shape[:2] for o in outs}
    if len(sizes) > 1:
        raise value_error(op, "images", f"came out in sizes {sorted(sizes)}; a batch needs "
                          "one output size (crop or resize to one size, or use the "
                          "per-sample path)")
    img = np.stack([o.image.reshape(o.image.shape[:2] + (-1,)) for o in outs])
    out = Dense(_back(img.transpose(0, 3, 1, 2), x.images))
    if x.masks is not None and x.counts is not None:  # an op may drop instances
        planes = [o.mask.reshape(o.mask.shape[:2] + (-1,)) for o in outs]
        out.counts = [int(p.shape[2]) for p in planes]
        out.masks = _padded(planes, int(x.masks.shape[1]), x.masks)
    elif x.masks is not None:
        out.masks = _back(np.stack([o.mask for o in outs]), x.masks)
    for f in ("boxes", "box_labels", "keypoints"):
        if getattr(x, f) is not None:
            setattr(out, f, [_back(getattr(o, f), v) for o, v in zip(outs, getattr(x, f))])
    return out
