"""DataLoader glue: items to tensors, and the batched route for small images.

* `ToTensors(mean=None, std=None)`: a `collate_fn` that stacks (image, label, ...) items,
  numpy (H, W, C) / (H, W) as augkit returns them, into one (B, C, H, W) tensor: uint8 as
  it is, or float32 normalised like torchvision's ``ToDtype(scale=True)`` + ``Normalize``
  (mean and std in [0, 1] units). The other fields go through `default_collate`.
* `BatchAugment(op, seed=None, mean=None, std=None)`: the batched route, the recommended
  recipe for small images (CIFAR, SVHN, MNIST). Workers decode and hand items over
  un-augmented (``AugmentedDataset(data, None, seed=s)``); the collate draws each item's
  parameters from that item's own stream ``item_rng(s, epoch, index)`` (the stream the
  per-item path would use) and applies them to the whole uint8 batch in one pass of the
  batched path (`augkit.batch.apply_batch_params`). Same streams, same pixels as
  ``AugmentedDataset(data, op, seed=s)`` + `ToTensors`, at any number of workers.

* `SampleCollate(mean=None, std=None)`: the dense-task collate. Items are samples (or
  (Sample, label, ...) tuples) as `AugmentedDataset` returns them for segmentation,
  detection and keypoint data; the batch is an `augkit.mix.SampleBatch`: images (B, C, H, W)
  (normalised like `ToTensors` when asked), masks (B, H, W) label maps or (B, K, H, W)
  instance masks padded with empty planes (with ``instance_counts``), and boxes, box labels
  and keypoints as lists of per-image tensors, ready for a mixer or a model.

All are plain frozen dataclasses (they pickle into DataLoader workers).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np

from .core import Op
from .errors import short_repr, type_error, value_error
from .rng import default_rng, item_rng


def _set_norm(obj) -> None:
    """Check a frozen collate's `mean` / `std` and store them as float tuples."""
    m, s = _check_norm(type(obj).__name__, obj.mean, obj.std)
    object.__setattr__(obj, "mean", m)
    object.__setattr__(obj, "std", s)


def _check_norm(op: str, mean, std):
    """(mean, std) as float tuples, both or neither; std > 0."""
    if mean is None and std is None:
        return None, None
    if (mean is None) != (std is None):
        raise value_error(op, "mean" if mean is None else "std", "is None but the other is "
                          "given; normalising needs both (in [0, 1] units)")
    out = []
    for name, v in (("mean", mean), ("std", std)):
        vals = (v,) if isinstance(v, (int, float)) else v
        ok = isinstance(vals, (tuple, list)) and 1 <= len(vals) <= 4 and all(
            isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)
            and math.isfinite(x) for x in vals)
        if ok and name == "std":
            ok = all(x > 0 for x in vals)
        if not ok:
            what = "> 0" if name == "std" else "finite"
            raise value_error(op, name, f"is {short_repr(v)}; expected one number or one per "
                              f"channel (1-4), {what}, in [0, 1] units")
        out.append(tuple(float(x) for x in vals))
    return out[0], out[1]


def _split(op: str, items):
    """(images, [other fields...] per position, bare) from a batch of items."""
    if not isinstance(items, (list, tuple)) or not items:
        raise value_error(op, "items", f"are {type(items).__name__}; expected a non-empty list "
                          "of items (a DataLoader with a batch_size)")
    first = items[0]
    if isinstance(first, (tuple, list)):
        n = len(first)
        for i, it in enumerate(items):
            if not isinstance(it, (tuple, list)) or len(it) != n or n == 0:
                raise value_error(op, f"items[{i}]", f"is {type(it).__name__} of length "
                                  f"{len(it) if isinstance(it, (tuple, list)) else '-'}; "
                                  f"expected an (image, ...) tuple of length {n} like items[0]")
        return [it[0] for it in items], [[it[k] for it in items] for k in range(1, n)], False
    return list(items), [], True


def _check_images(op: str, images) -> None:
    """One shape and dtype for every image (numpy (H, W, C) / (H, W))."""
    first = images[0]
    for i, img in enumerate(images):
        if not isinstance(img, np.ndarray):
            raise type_error(op, f"images[{i}]", f"is {type(img).__name__}; expected a numpy "
                             "(H, W, C) or (H, W) array (augkit's layout)")
        if img.ndim not in (2, 3):
            raise value_error(op, f"images[{i}]", f"have shape {img.shape}; expected (H, W, C) "
                              "or (H, W)")
        if img.shape != first.shape or img.dtype != first.dtype:
            raise value_error(op, f"images[{i}]", f"are {img.shape} {img.dtype}; expected "
                              f"{first.shape} {first.dtype} like images[0] (one batch, one "
                              "size: resize or crop before batching)")


def _stack(op: str, images) -> np.ndarray:
    """One (B, H, W[, C]) numpy batch (a fresh array: the items are never written)."""
    _check_images(op, images)
    return np.stack(images)


def _batch_tensor(shape: tuple, dtype):
    """A new tensor for a collated batch: inside a DataLoader worker it lives in shared
    memory (a reusable slot, see `augkit.batch_memory`), so sending it to the main process
    copies nothing and passes no file descriptor."""
    from .batch_memory import shared_batch_tensor

    return shared_batch_tensor(shape, dtype)


def _collate_field(col):
    """`default_collate` of one field; plain int labels (the common case) go into one int64
    tensor from `_batch_tensor` (the same values), so a batch crosses to the main process
    without a file descriptor."""
    if all(type(v) is int for v in col):
        import torch

        try:
            vals = np.array(col, dtype=np.int64)
        except OverflowError:
            vals = None
        if vals is not None:
            out = _batch_tensor((len(col),), torch.int64)
            out.numpy()[:] = vals
            return out
    from torch.utils.data import default_collate

    return default_collate(col)


def _to_tensor(op: str, images, mean, std):
    """A (B, H, W[, C]) numpy batch, or a list of (H, W[, C]) images of one shape -> a
    contiguous (B, C, H, W) torch tensor (one `cv2.split` into the planes per image),
    normalised if asked: float32 ``x * (scale / std) - mean / std``. uint8 images with up to
    four channels are normalised through a 256-entry table per channel holding exactly
    those float32 values (a split and one `cv2.LUT` per plane, instead of four passes over
    the float batch: ~7x faster at 224^2)."""
    import torch

    first = images[0]
    dt = first.dtype
    if dt not in (np.uint8, np.float32):
        raise type_error(op, "images", f"have dtype {dt} {first.shape}; expected uint8, or "
                         "float32 in [0, 1]")
    h, w = first.shape[:2]
    c = first.shape[2] if first.ndim == 3 else 1
    shape, out_dt = (len(images), c, h, w), torch.uint8 if dt == np.uint8 else torch.float32
    if mean is not None:
        for name, v in (("mean", mean), ("std", std)):
            if len(v) not in (1, c):
                raise value_error(op, name, f"has {len(v)} values for {c}-channel images")
        scale = 1.0 / 255.0 if dt == np.uint8 else 1.0
        std_t = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
        mul = scale / std_t
        add = -torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1) / std_t
        if dt == np.uint8 and c <= 4:
            return _normalised_by_table(images, shape, mul, add)
    out = _batch_tensor(shape, out_dt)
    o = out.numpy()
    if first.ndim == 2:
        o = o[:, 0]
        for i, img in enumerate(images):
            o[i] = img
    else:
        for i, img in enumerate(images):
            _planes_into(o[i], img)
    if mean is None:
        return out
    if dt == np.uint8:  # more than four channels: the float batch, then the arithmetic
        res = _batch_tensor(shape, torch.float32)
        res.copy_(out)  # exact: uint8 -> float32
        return res.mul_(mul).add_(add)
    return out.mul_(mul).add_(add)


def _normalised_by_table(images, shape, mul, add):
    """`_to_tensor`'s normalisation of uint8 images (1-4 channels) through per-channel tables
    of ``float32(x) * mul + add``: the very float32 operations done on the whole batch. Each
    image is split into planes and each plane goes through its table straight into the
    (C, H, W) batch (224^2 RGB: 142 against 421 us an image for a table per pixel and a
    transposed copy); below `_SPLIT_MIN` pixels the latter is faster (32^2: 8.0 against
    8.8 us) and is kept."""
    import cv2
    import torch

    n, c, h, w = shape
    levels = torch.arange(256, dtype=torch.float32).view(256, 1)
    table = (levels * mul.view(1, -1) + add.view(1, -1)).numpy()  # (256, 1 or c)
    if table.shape[1] != c:
        table = np.repeat(table, c, axis=1)
    luts = [np.ascontiguousarray(table[:, k]) for k in range(c)]
    res = _batch_tensor(shape, torch.float32)
    r = res.numpy()
    if c > 1 and h * w < _SPLIT_MIN:  # small: one c-channel table and a transposed copy
        lut = np.ascontiguousarray(table.reshape(256, 1, c))
        for i, img in enumerate(images):
            r[i] = cv2.LUT(img, lut).transpose(2, 0, 1)
        return res
    planes = np.empty((c, h, w), np.uint8)
    for i, img in enumerate(images):
        if c == 1:
            cv2.LUT(img.reshape(h, w), luts[0], dst=r[i, 0])
            continue
        _planes_into(planes, img)  # then one table per plane, straight into the batch
        for k in range(c):
            cv2.LUT(planes[k], luts[k], dst=r[i, k])
    return res


_SPLIT_MIN = 56 * 56  # pixels from which one cv2.split beats numpy's transposed copy


def _planes_into(dst: np.ndarray, img: np.ndarray) -> None:
    """dst (C, H, W) <- img (H, W, C): one `cv2.split` into the planes, ~5x faster than
    numpy's transposed copy at 224^2 RGB (16 against 79 us); below `_SPLIT_MIN` the call costs
    more than numpy's copy (32^2: 3.8 against 1.4 us), which small images keep."""
    import cv2

    if img.dtype.char in "Bf" and img.ndim == 3 and img.shape[2] <= 4 and (
            img.shape[0] * img.shape[1] >= _SPLIT_MIN):
        got = cv2.split(img, list(dst))
        if np.shares_memory(got[0], dst[0]):
            return
    dst[...] = img.transpose(2, 0, 1)


def _finish(images, rest, bare):
    if bare:
        return images
    return (images, *(_collate_field(col) for col in rest))


@dataclass(frozen=True)
class ToTensors:
    """A `collate_fn`: (image, label, ...) items -> (images (B, C, H, W), labels, ...).

    Images: numpy (H, W, C) / (H, W), uint8 or float32 in [0, 1], all one shape (grey gets
    C = 1). Without `mean` / `std`: the images' own dtype. With them (numbers in [0, 1]
    units, one or one per channel): float32 ``(x / 255 - mean) / std`` for uint8
    (``x`` for float32), as torchvision's ``ToDtype(float32, scale=True)`` + ``Normalize``
    and albumentations' ``Normalize`` compute it, once for the whole batch. Bare image items
    give the images tensor alone."""

    mean: tuple | None = None
    std: tuple | None = None

    def __post_init__(self):
        _set_norm(self)

    def __call__(self, items):
        images, rest, bare = _split("ToTensors", items)
        _check_images("ToTensors", images)
        return _finish(_to_tensor("ToTensors", images, self.mean, self.std), rest, bare)


@dataclass(frozen=True)
class BatchAugment:
    """A `collate_fn` that augments the collated batch in one pass, item by item streams.

    Use it with ``AugmentedDataset(data, None, seed=s)`` (items un-augmented, each batch
    says its seed, epoch and dataset indices): item i of epoch e gets its parameters from
    ``item_rng(seed, e, i)`` through ``augkit.batch.sample_batch`` (drawn exactly as the
    per-item path draws them), then ``augkit.batch.apply_batch_params`` augments the stacked
    (B, H, W, C) batch at once. The result is the per-item path's pixels, as a (B, C, H, W)
    tensor (normalised with `mean` / `std` as `ToTensors` does), independent of the number
    of workers. `seed` here overrides the dataset's; a seed with items that do not carry
    their indices is a typed error. Without any seed, the process's default stream draws
    the batch (each worker's own, as the unseeded per-item path).

    Images only: masks, boxes and keypoints need the per-item path. Every image of a batch
    must have one shape and dtype (uint8 or float32 in [0, 1]) and come out one size.
    """

    op: Op
    seed: int | None = None
    mean: tuple | None = None
    std: tuple | None = None

    def __post_init__(self):
        if not isinstance(self.op, Op):
            raise type_error("BatchAugment", "op", f"is {type(self.op).__name__}; expected an "
                             "augkit op")
        if self.seed is not None:
            s = self.seed
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not (
                    0 <= s < 1 << 128):
                raise value_error("BatchAugment", "seed", f"is {short_repr(s)}; expected None "
                                  "or an int in [0, 2**128)")
            object.__setattr__(self, "seed", int(s))
        _set_norm(self)

    def rngs(self, items) -> list | None:
        """Each item's own stream ``item_rng(seed, epoch, index)``, or None without a seed
        (the batch then draws from the process's default stream)."""
        seed = self.seed if self.seed is not None else getattr(items, "seed", None)
        if seed is None:
            return None
        indices = getattr(items, "indices", None)
        if indices is None or len(indices) != len(items):
            raise value_error("BatchAugment", "seed", f"is {seed} but the items do not say "
                              "which dataset indices they are, so their streams cannot be "
                              "derived: wrap the dataset in augkit.AugmentedDataset(data, None, "
                              "seed=...), whose batches carry their indices")
        epoch = operator.index(items.epoch)
        return [item_rng(seed, epoch, operator.index(i)) for i in indices]

    def params(self, items, batch: np.ndarray) -> list:
        """Each item's parameters, from its own stream (see the class docstring): what the
        training loop replays with `augkit.batch.apply_batch_params`, on any device."""
        from .batch import sample_batch, sample_items

        rngs = self.rngs(items)
        if rngs is None:
            return sample_batch(self.op, default_rng(), batch)
        return sample_items(self.op, rngs, batch)

    def __call__(self, items):
        from .batch import apply_batch, apply_batch_items

        images, rest, bare = _split("BatchAugment", items)
        batch = _stack("BatchAugment", images)
        rngs = self.rngs(items)
        out = (apply_batch(self.op, batch, default_rng()) if rngs is None
               else apply_batch_items(self.op, batch, rngs))
        return _finish(_to_tensor("BatchAugment", out, self.mean, self.std), rest, bare)


_TARGETS = ("mask", "boxes", "box_labels", "keypoints")


@dataclass(frozen=True)
class SampleCollate:
    """A `collate_fn` for `Sample` items: -> `augkit.mix.SampleBatch` (see the module doc).

    Every sample of a batch must carry the same targets (a field present in one and absent
    in another is a typed error naming it) and one image size and dtype. Masks keep their
    dtype: (H, W) label maps stack to (B, H, W); instance masks, (H, W, K_i) (augkit's
    layout, one channel per box) or (K_i, H, W) (torchvision's; read so when the first two
    dims are not the image's (H, W)), become (B, K, H, W) with K = max K_i, each image's
    planes first and empty planes after them, and ``instance_counts`` = [K_i] (see
    `augkit.mix.SampleBatch`): the layout the mixer moves instance by instance.
    Boxes become float32 tensors (N_i, 4), box labels and keypoints keep their dtype. With
    (Sample, label, ...) items the labels go through `default_collate` into
    ``SampleBatch.labels`` (the first extra field) and any further fields are dropped.
    """

    mean: tuple | None = None
    std: tuple | None = None

    def __post_init__(self):
        _set_norm(self)

    def __call__(self, items):
        import torch

        from .mix import SampleBatch
        from .sample import Sample

        samples, rest, _ = _split("SampleCollate", items)
        for i, s in enumerate(samples):
            if not isinstance(s, Sample):
                raise type_error("SampleCollate", f"items[{i}]", f"is {type(s).__name__}; "
                                 "expected an augkit.Sample (use ToTensors for bare images)")
        images = [s.image for s in samples]
        _check_images("SampleCollate", images)
        fields = {}
        for f in _TARGETS:
            have = [getattr(s, f) is not None for s in samples]
            if any(have) and not all(have):
                raise value_error("SampleCollate", f, f"is present in {sum(have)} of "
                                  f"{len(samples)} samples; a batch needs it in all or none")
            if all(have):
                fields[f] = [np.asarray(getattr(s, f)) for s in samples]
        out = {"images": _to_tensor("SampleCollate", images, self.mean, self.std)}
        if "mask" in fields:
            out.update(_collate_masks(fields["mask"], images[0].shape[:2]))
        if "boxes" in fields:
            out["boxes"] = [torch.from_numpy(b.astype(np.float32).reshape(-1, 4))
                            for b in fields["boxes"]]
        for f in ("box_labels", "keypoints"):
            if f in fields:
                out[f] = [torch.from_numpy(np.ascontiguousarray(v)) for v in fields[f]]
        if rest:
            out["labels"] = _collate_field(rest[0])
        return SampleBatch(**out)


def _collate_masks(masks: list, size) -> dict:
    """SampleBatch fields from per-sample masks: label maps -> masks (B, H, W); instance
    masks (H, W, K_i) / (K_i, H, W) -> masks (B, K, H, W) padded with empty planes and
    instance_counts [K_i] (see `SampleCollate`)."""
    import torch

    op = "SampleCollate"
    h, w = size
    if masks[0].ndim == 2:
        if any(x.shape != masks[0].shape for x in masks):
            raise value_error(op, "mask", f"shapes differ ({masks[0].shape} vs others); one "
                              "batch, one size")
        out = _batch_tensor((len(masks),) + masks[0].shape, torch.from_numpy(masks[0]).dtype)
        np.stack(masks, out=out.numpy())
        return {"masks": out}
    planes = []
    for i, x in enumerate(masks):
        if x.ndim == 3 and x.shape[:2] == (h, w):
            planes.append(x.transpose(2, 0, 1))
        elif x.ndim == 3 and x.shape[1:] == (h, w):
            planes.append(x)
        else:
            raise value_error(op, f"mask[{i}]", f"has shape {x.shape}; expected ({h}, {w}, K) "
                              f"or (K, {h}, {w}) instance masks like mask[0] {masks[0].shape} "
                              f"for ({h}, {w}) images")
    counts = [int(p.shape[0]) for p in planes]
    dtype = np.result_type(*planes)
    res = _batch_tensor((len(planes), max(counts), h, w), torch.from_numpy(
        np.empty(0, dtype)).dtype)
    out = res.numpy()
    for i, p in enumerate(planes):
        out[i, :counts[i]] = p
        out[i, counts[i]:] = 0
    return {"masks": res, "instance_counts": counts}
