"""`collate`: a DataLoader `collate_fn` that stacks (image, label) items into a (B, C, H, W)
batch and mixes it, from a per-batch stream when seeded."""

from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import type_error, value_error
from .base import BatchMixer

OP = "collate"
_BATCH_KEY = 0x6D6978  # b"mix": keeps batch streams apart from other spawn keys


def batch_rng(seed: int, epoch: int, indices) -> np.random.Generator:
    """The stream a seeded `collate` mixes a batch from: a pure function of the seed, the
    epoch and the dataset indices of the batch's items (in order), so a batch mixes the same
    way at any number of DataLoader workers and in every run. Apart from `item_rng`'s
    streams: the seed fills its own words of the entropy and (epoch, len, indices...) go in
    the spawn key, so no two batches (nor a batch and an item) share a stream."""
    idx = [int(i) for i in indices]
    key = (_BATCH_KEY, int(epoch), len(idx), *idx)
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=key))


def _check_seed(seed) -> None:
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise value_error(OP, "seed", f"is {seed!r}; expected None or an int >= 0")


def _chw(img, i: int):
    """Item i's image as (C, H, W): a torch tensor, or a numpy array (a view, not copied)."""
    field = f"images[{i}]"
    if isinstance(img, torch.Tensor):
        shape = tuple(img.shape)
        if img.ndim == 2:
            return img[None]
        if img.ndim != 3:
            raise value_error(OP, field, f"tensor has {img.ndim} dims {shape}; expected "
                              "(C, H, W) or (H, W)")
        if shape[0] > 4 and shape[2] <= 4:  # the per-sample torch boundary's rule
            raise value_error(OP, field, f"tensor {shape} looks like HWC; torch images are "
                              "(C, H, W): use t.permute(2, 0, 1) (or return the numpy "
                              "(H, W, C) array)")
        return img
    if not isinstance(img, np.ndarray):
        try:
            from PIL import Image
        except ImportError:  # pragma: no cover - Pillow is a core dependency
            Image = None
        if Image is None or not isinstance(img, Image.Image):
            raise type_error(OP, field, f"is {type(img).__name__}; expected a numpy (H, W, C) "
                             "or (H, W) array, a torch (C, H, W) or (H, W) tensor, or a PIL "
                             "image")
        img = np.asarray(img)
    shape = img.shape
    if img.ndim == 2:
        return img[None]
    if img.ndim != 3:
        raise value_error(OP, field, f"has {img.ndim} dims {shape}; expected (H, W, C) or "
                          "(H, W)")
    if shape[0] <= 4 and shape[2] > 4 and shape[1] > 4:  # augkit's numpy CHW rule
        raise value_error(OP, field, f"looks like CHW {shape}; numpy images are (H, W, C): "
                          "use img.transpose(1, 2, 0) (or return a (C, H, W) torch tensor)")
    return img.transpose(2, 0, 1)


def _torch_dtype(dt: np.dtype, i: int):
    try:
        return torch.from_numpy(np.empty(0, dt)).dtype
    except TypeError:
        raise type_error(OP, f"images[{i}]", f"have numpy dtype {dt}; expected uint8 or "
                         "float") from None


def stack_images(images) -> torch.Tensor:
    """(B, C, H, W) from HWC / HW numpy arrays, PIL images and CHW / HW tensors, copied once
    into a fresh contiguous tensor; items of different shapes or dtypes are a typed error."""
    views = [_chw(img, i) for i, img in enumerate(images)]
    dtypes = [v.dtype if isinstance(v, torch.Tensor) else _torch_dtype(v.dtype, i)
              for i, v in enumerate(views)]
    shape0 = tuple(views[0].shape)
    for i, (v, dt) in enumerate(zip(views, dtypes)):
        if tuple(v.shape) != shape0:
            raise value_error(OP, f"images[{i}]", f"have shape {tuple(v.shape)} as (C, H, W); "
                              f"expected {shape0} like images[0] (resize or crop to one size)")
        if dt != dtypes[0]:
            raise value_error(OP, f"images[{i}]", f"have dtype {dt}; expected {dtypes[0]} like "
                              "images[0]")
    if all(isinstance(v, np.ndarray) for v in views):
        out = torch.empty((len(views), *shape0), dtype=dtypes[0])
        o = out.numpy()
        for i, v in enumerate(views):  # one strided copy each: any layout, read-only too
            o[i] = v
        return out
    tensors = [v if isinstance(v, torch.Tensor) else torch.from_numpy(np.array(v))
               for v in views]
    for i, t in enumerate(tensors):
        if t.device != tensors[0].device:
            raise value_error(OP, f"images[{i}]", f"are on {t.device}; expected "
                              f"{tensors[0].device} like images[0]")
    return torch.stack(tensors).contiguous()


@dataclass(frozen=True)
class Collate:
    """A `collate_fn`: (image, label) items -> the mixer's (images (B, C, H, W), soft labels).

    Images: numpy (H, W, C) or (H, W) arrays (augkit's numpy layout), PIL images, torch
    (C, H, W) or (H, W) tensors; grey images get C = 1. A numpy image that looks like CHW, a
    tensor that looks like HWC (augkit's per-sample rules) and items of different shapes are
    typed errors. Labels go through `torch.utils.data.default_collate`.

    Randomness: with a seed (this collate's `seed`, else the seed of the `AugmentedDataset`
    the items come from) the batch is mixed from `batch_rng(seed, epoch, indices)`, the
    epoch and dataset indices that `AugmentedDataset.__getitems__` hands over with the items:
    the same batch whatever the number of workers, in every run. Without any seed, the
    process's default stream (reseeded in each worker from its torch seed).

    A plain class (not a closure) so it pickles into DataLoader workers."""

    mixer: BatchMixer
    seed: int | None = None

    def __post_init__(self):
        _check_seed(self.seed)

    def __call__(self, items):
        from torch.utils.data import default_collate

        if not isinstance(items, (list, tuple)) or not items:
            raise value_error(OP, "items", f"are {type(items).__name__}; expected a non-empty "
                              "list of (image, label) pairs (a DataLoader with a batch_size)")
        for i, it in enumerate(items):
            if not isinstance(it, (list, tuple)) or len(it) < 2:
                raise value_error(OP, f"items[{i}]", f"is {type(it).__name__}; expected an "
                                  "(image, label) pair")
        images = stack_images([it[0] for it in items])
        labels = default_collate([it[1] for it in items])
        return self.mixer(images, labels, rng=self.rng_for(items))

    def rng_for(self, items) -> np.random.Generator | None:
        """The batch's stream: `batch_rng` when seeded, None (the process's stream) else."""
        seed = self.seed if self.seed is not None else getattr(items, "seed", None)
        if seed is None:
            return None
        indices = getattr(items, "indices", None)
        if indices is None or len(indices) != len(items):
            raise value_error(OP, "seed", f"is {seed} but the items do not say which dataset "
                              "indices they are, so the batch's stream cannot be derived: wrap "
                              "the dataset in augkit.AugmentedDataset (op=augkit.Identity() "
                              "to leave items as they are), whose batches carry their indices")
        return batch_rng(seed, items.epoch, [operator.index(i) for i in indices])


def collate(mixer: BatchMixer, num_classes: int | None = None, seed: int | None = None
            ) -> Collate:
    """A ready `collate_fn` for `torch.utils.data.DataLoader`: stacks (image, label) items as
    (B, C, H, W) and mixes the batch in the worker. With `seed`, or items from a seeded
    `AugmentedDataset`, every batch is mixed from its own stream (seed, epoch, the items'
    indices), whatever the number of workers; see `Collate`."""
    if not isinstance(mixer, BatchMixer):
        raise type_error(OP, "mixer", f"is {type(mixer).__name__}; expected a batch mixer")
    _check_seed(seed)
    if num_classes is not None:
        have = mixer.classes()
        if have is not None and have != num_classes:
            raise value_error(OP, "num_classes", f"is {num_classes}; the mixer says {have}")
        if have is None:
            mixer = dataclasses.replace(mixer, num_classes=num_classes)
    return Collate(mixer, None if seed is None else int(seed))
