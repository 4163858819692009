"""Use augkit ops inside ``torchvision.transforms.v2`` pipelines.

``as_v2(op)`` returns a `v2.Transform` that takes what torchvision's own transforms take:
tv_tensors (``Image``, ``Mask``, ``BoundingBoxes`` in XYXY / XYWH / CXCYWH, ``KeyPoints``),
PIL images, plain tensors, and any nesting of them such as ``(image, target_dict)``. It returns
the same structure with the same types; leaves augkit does not know (labels, ids, strings)
pass through untouched. Image, masks, boxes and keypoints all move with one draw of the op's
parameters, exactly as in augkit.

Coordinates: torchvision boxes are pixel-edge like augkit's; torchvision keypoints are pixel
indices (the centre of pixel i is i), so they are shifted by 0.5 on the way in and back out.

Dropped boxes: an op may drop boxes (``from_albu`` of a crop, a Compose with ``BboxParams``
filters); the transform then drops, exactly as ``v2.SanitizeBoundingBoxes`` does, the labels
found by `labels_getter` (default: the ``"labels"`` entry of the target dict) and the
per-instance masks ((N, H, W) ``Mask`` with one mask per box). Boxes pushed out of the image
by a geometric op are kept, degenerate, as torchvision's own transforms keep them: put
``v2.SanitizeBoundingBoxes()`` after the transform to remove them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils._pytree import tree_flatten, tree_unflatten
from torchvision import tv_tensors
from torchvision.transforms import v2

from ..boundary import _is_pil, to_sample
from ..core import Op
from ..errors import type_error, value_error
from ..sample import Sample, boxes_from, boxes_to, check_sample

_F = tv_tensors.BoundingBoxFormat
_BOX_FORMATS = {_F.XYXY: "xyxy", _F.XYWH: "xywh", _F.CXCYWH: "cxcywh"}


def _is_image(x) -> bool:
    return isinstance(x, tv_tensors.Image) or _is_pil(x)


class AugkitTransform(v2.Transform):
    """A ``torchvision.transforms.v2`` transform running one augkit op (see `as_v2`)."""

    def __init__(self, op: Op, rng: np.random.Generator | None = None,
                 labels_getter="default"):
        super().__init__()
        if not isinstance(op, Op):
            raise type_error("as_v2", "op", f"is {type(op).__name__}; expected an augkit op")
        if not (labels_getter in ("default", None) or callable(labels_getter)):
            raise value_error("as_v2", "labels_getter", f"is {labels_getter!r}; expected "
                              "'default', a callable or None")
        self.op, self.rng, self.labels_getter = op, rng, labels_getter

    def extra_repr(self) -> str:
        return repr(self.op)

    def _generator(self) -> np.random.Generator:
        # Without an explicit generator, draw the seed from torch's stream so that
        # torch.manual_seed makes this transform reproducible, like torchvision's own.
        if self.rng is not None:
            return self.rng
        return np.random.default_rng(int(torch.randint(0, 2**62, ()).item()))

    def forward(self, *inputs: Any) -> Any:
        flat, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        op = self.op
        for x in flat:
            if isinstance(x, tv_tensors.Video):
                raise type_error(op, "input", f"is a tv_tensors.Video {tuple(x.shape)}; augkit "
                                 "transforms images (apply the op per frame)")
            if isinstance(x, tv_tensors.BoundingBoxes) and x.format not in _BOX_FORMATS:
                raise value_error(op, "boxes", f"have format {x.format.name} {tuple(x.shape)}; "
                                  "augkit moves axis-aligned XYXY, XYWH or CXCYWH boxes")
        images = [i for i, x in enumerate(flat) if _is_image(x)]
        if not images:  # torchvision's rule: the first plain tensor is the image
            images = [i for i, x in enumerate(flat) if type(x) is torch.Tensor][:1]
        masks = [i for i, x in enumerate(flat) if isinstance(x, tv_tensors.Mask)]
        boxes = [i for i, x in enumerate(flat) if isinstance(x, tv_tensors.BoundingBoxes)]
        points = [i for i, x in enumerate(flat) if isinstance(x, tv_tensors.KeyPoints)]
        if not (images or masks or boxes or points):
            return inputs if len(inputs) > 1 else inputs[0]

        backs, arrays = {}, {}
        for i in images:
            s, backs[i] = to_sample(flat[i], op)
            arrays[i] = s.image
        size = _canvas(flat, images, masks, boxes, points, arrays)
        image = arrays[images[0]] if images else np.zeros(size, np.uint8)
        box_in = _boxes_in(flat, boxes)
        sample = Sample(image, mask=_masks_in(flat, masks, size, op), boxes=box_in,
                        box_labels=None if box_in is None else np.arange(len(box_in)),
                        keypoints=_points_in(flat, points))
        out, params = op.sample_apply(self._generator(), check_sample(sample, op))
        kept = None if box_in is None else _kept(op, out, len(box_in))
        result = list(flat)
        if images:
            result[images[0]] = backs[images[0]](out)
        for i in images[1:]:  # further images of the same sample follow the same draw
            result[i] = backs[i](op.apply(Sample(arrays[i]), params))
        _masks_out(flat, masks, out, result)
        _boxes_out(flat, boxes, out, kept, result)
        _points_out(flat, points, out, result)
        if kept is not None and len(kept) < len(box_in):
            self._drop_with_boxes(inputs, flat, boxes, masks, kept, len(box_in), result)
        return tree_unflatten(result, spec)

    def _drop_with_boxes(self, inputs, flat, boxes, masks, kept, n, result) -> None:
        """The op dropped boxes: drop their labels and per-instance masks, as
        ``v2.SanitizeBoundingBoxes`` does (one mask per box: an (n, H, W) Mask)."""
        op = self.op
        labels = _labels(inputs if len(inputs) > 1 else inputs[0], self.labels_getter)
        keep = torch.from_numpy(kept)
        for lab in labels:
            at = [i for i, x in enumerate(flat) if x is lab]
            if not at:  # not a leaf of the input (e.g. a list, flattened into numbers)
                raise type_error(op, "labels", f"are a {type(lab).__name__}; dropping the "
                                 "labels of dropped boxes needs a tensor (one per box)")
            if lab.ndim == 0 or lab.shape[0] != n:
                raise value_error(op, "labels", f"have shape {tuple(lab.shape)}; the op dropped "
                                  f"boxes, and the labels must have one entry per box ({n})")
            for i in at:
                result[i] = lab[keep.to(lab.device)]
        if len(boxes) == 1:
            for i in masks:
                if result[i].ndim == 3 and result[i].shape[0] == n:
                    m = result[i]
                    result[i] = tv_tensors.wrap(m[keep.to(m.device)], like=m)


def as_v2(op: Op, rng: np.random.Generator | None = None,
          labels_getter="default") -> AugkitTransform:
    """Wrap an augkit op as a ``torchvision.transforms.v2.Transform``.

    Without `rng`, each call seeds a fresh generator from torch's global stream, so
    ``torch.manual_seed`` reproduces results (and DataLoader workers differ, as with
    torchvision's own transforms). Pass `rng` to drive it from one numpy generator instead.

    `labels_getter` finds what must be dropped with the boxes an op drops, as in
    ``v2.SanitizeBoundingBoxes``: ``"default"`` takes the ``labels`` entry (case-insensitive,
    else the first key containing "label") of the input dict or of the dict second in the
    input tuple; a callable gets the inputs and returns a tensor or a tuple of tensors
    (COCO's ``iscrowd``, ``area``, ...); None drops only boxes and per-instance masks.
    """
    return AugkitTransform(op, rng, labels_getter)


def _labels(inputs, getter) -> tuple:
    """The tensors that follow the boxes (see `as_v2`)."""
    if getter is None:
        return ()
    if callable(getter):
        got = getter(inputs)
        if got is None:
            return ()
        return tuple(got) if isinstance(got, (tuple, list)) else (got,)
    if isinstance(inputs, (tuple, list)) and len(inputs) > 1:
        inputs = inputs[1]
    if not isinstance(inputs, dict):
        return ()
    keys = [k for k in inputs if isinstance(k, str) and k.lower() == "labels"]
    keys = keys or [k for k in inputs if isinstance(k, str) and "label" in k.lower()]
    return (inputs[keys[0]],) if keys else ()


def _kept(op, out: Sample, n: int) -> np.ndarray:
    """Indices of the input boxes the op kept, in output order (they travel as box_labels)."""
    m = 0 if out.boxes is None else len(out.boxes)
    ids = out.box_labels
    if ids is None or len(ids) != m:
        if m == n:
            return np.arange(n)
        raise value_error(op, "boxes", f"went from {n} to {m} without their box_labels; an op "
                          "that drops boxes must drop their box_labels too")
    return np.asarray(ids, np.int64)


def _canvas(flat, images, masks, boxes, points, arrays) -> tuple[int, int]:
    if images:
        return arrays[images[0]].shape[:2]
    if masks:
        return tuple(flat[masks[0]].shape[-2:])
    return tuple((flat[boxes[0]] if boxes else flat[points[0]]).canvas_size)


def _masks_in(flat, idx, size, op):
    """Every Mask ((H, W) or (N, H, W)) as channels of one (H, W, K) augkit mask."""
    chans = []
    for i in idx:
        m = flat[i].as_subclass(torch.Tensor)
        if tuple(m.shape[-2:]) != tuple(size) or m.ndim not in (2, 3):
            raise value_error(op, "mask", f"has shape {tuple(m.shape)}; expected (H, W) or "
                              f"(N, H, W) with (H, W) = {tuple(size)}")
        a = m.detach().cpu().numpy()
        chans.append(a[:, :, None] if a.ndim == 2 else a.transpose(1, 2, 0))
    chans = [c for c in chans if c.shape[2]]
    if not chans:
        return None
    return np.ascontiguousarray(np.concatenate(chans, axis=2))


def _masks_out(flat, idx, out, result):
    start = 0
    for i in idx:
        m = flat[i]
        k = 1 if m.ndim == 2 else m.shape[0]
        h, w = out.size
        if k == 0:
            a = np.zeros((0, h, w), m.numpy(force=True).dtype)
        else:
            a = out.mask[:, :, start:start + k].transpose(2, 0, 1)
            a = a[0] if m.ndim == 2 else a
        start += k
        t = torch.from_numpy(np.ascontiguousarray(a)).to(m.dtype).to(m.device)
        result[i] = tv_tensors.wrap(t, like=m)


def _boxes_in(flat, idx):
    if not idx:
        return None
    parts = [boxes_from(flat[i].detach().cpu().float().numpy(), _BOX_FORMATS[flat[i].format])
             for i in idx]
    return np.concatenate(parts, 0)


def _boxes_out(flat, idx, out, kept, result):
    start = 0
    for i in idx:
        b = flat[i]
        n = b.reshape(-1, 4).shape[0]
        rows = (kept >= start) & (kept < start + n)  # output boxes that came from this input
        a = boxes_to(np.asarray(out.boxes, np.float32)[rows].reshape(-1, 4),
                     _BOX_FORMATS[b.format])
        a = a.reshape(b.shape) if rows.sum() == n else a
        start += n
        t = torch.from_numpy(a)
        if not b.dtype.is_floating_point:
            t = t.round()
        t = t.to(b.dtype).to(b.device)
        result[i] = tv_tensors.wrap(t, like=b, canvas_size=out.size)


def _points_in(flat, idx):
    if not idx:
        return None
    parts = [flat[i].detach().cpu().double().numpy().reshape(-1, 2) + 0.5 for i in idx]
    return np.concatenate(parts, 0)


def _points_out(flat, idx, out, result):
    start = 0
    for i in idx:
        p = flat[i]
        n = p.reshape(-1, 2).shape[0]
        a = (np.asarray(out.keypoints[start:start + n], np.float64) - 0.5).reshape(p.shape)
        start += n
        t = torch.from_numpy(a)
        if not p.dtype.is_floating_point:
            t = t.round()
        t = t.to(p.dtype).to(p.device)
        result[i] = tv_tensors.wrap(t, like=p, canvas_size=out.size)
