"""The end-to-end benchmark's data and pipelines: what each library's user would write.

Every library reads the same bytes and decodes them the same way (OpenCV, straight to RGB),
so the columns differ only by augmentation and glue (to tensor, normalise, collate):

* augkit: ``AugmentedDataset(data, op, seed=0)`` + `augkit.loader.ToTensors` (per item);
  ``augkit batch``: ``AugmentedDataset(data, None, seed=0)`` + `augkit.loader.BatchAugment`
  (the batched route, same-size images only); ``augkit seed=None``: the per-item path
  without a seed (CIFAR only, to show what the seeded stream costs).
* albumentations 2.0.8: ``A.Compose([..., ToTensorV2()])`` per item, `default_collate`.
* torchvision v2: the decoded array as a CHW uint8 tensor (``tv_tensors``), ``v2.Compose``
  per item, `default_collate`.
* decode-only: decode + (photos) a plain ``cv2.resize`` to the output size, into a batch
  tensor through augkit's glue (the fastest here): the ceiling no augmentation can beat.

Classes, not closures, so that everything pickles into DataLoader workers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
JITTER = (0.4, 0.4, 0.4, 0.1)  # brightness, contrast, saturation, hue (ColorJitter's)


def decode(buf) -> np.ndarray:
    import cv2

    return cv2.imdecode(buf, cv2.IMREAD_COLOR_RGB)


class Cifar:
    """CIFAR-10 train JPEGs from the shared npz: (RGB uint8 32x32, label) per item; a fixed
    random subset of `n` (the npz is sorted by class)."""

    def __init__(self, root: Path, n: int):
        z = np.load(root / "cifar10_jpeg" / "cifar10_jpeg.npz")
        off, labels = z["train_offsets"], z["train_labels"]
        pick = np.sort(np.random.default_rng(0).permutation(len(labels))[:n])
        buf = z["train_jpeg"]
        self.jpegs = [buf[off[i]:off[i + 1]].copy() for i in pick]
        self.labels = [int(labels[i]) for i in pick]

    def __len__(self):
        return len(self.jpegs)

    def __getitem__(self, i):
        return decode(self.jpegs[i]), self.labels[i]


class Photos:
    """COCO128 train photos as (RGB uint8, 0), or (Sample-ready (image, mask), 0) when
    `masks`: the 100 photos that have a semantic mask. Bytes are read once, decoded per
    item. `items`: the epoch's length, the photos cycled (an epoch of 128 photos is two
    batches of 64: at 2 workers one each, and the time of the slower decided the epoch)."""

    def __init__(self, root: Path, masks: bool = False, limit: int | None = None,
                 items: int | None = None):
        base = root / "coco128"
        imgs = sorted((base / "images" / "train2017").glob("*.jpg"))
        mdir = base / "semantic_segmentation" / "masks" / "train2017"
        if masks:
            imgs = [p for p in imgs if (mdir / (p.stem + ".png")).is_file()]
        imgs = imgs[:limit]
        self.jpegs = [np.fromfile(p, np.uint8) for p in imgs]
        self.masks = [np.fromfile(mdir / (p.stem + ".png"), np.uint8) for p in imgs] if masks \
            else None
        self.items = items or len(self.jpegs)

    def __len__(self):
        return self.items

    def __getitem__(self, i):
        i %= len(self.jpegs)
        img = decode(self.jpegs[i])
        if self.masks is None:
            return img, 0
        import cv2

        return (img, cv2.imdecode(self.masks[i], cv2.IMREAD_UNCHANGED)), 0


class Mapped:
    """`data`'s items with `fn` applied to the image (or to (image, mask))."""

    def __init__(self, data, fn):
        self.data, self.fn = data, fn

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        x, y = self.data[i]
        return self.fn(x), y


class AsSample:
    """(image, mask) pairs as augkit Samples, for the per-item path."""

    def __init__(self, data):
        self.data = data

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        import augkit

        (img, mask), y = self.data[i]
        return augkit.Sample(img, mask=mask), y


class Albu:
    def __init__(self, t, after=None):
        self.t, self.after = t, after

    def __call__(self, x):
        if isinstance(x, tuple):
            out = self.t(image=x[0], mask=x[1])
            return out["image"], out["mask"]
        out = self.t(image=x)["image"]
        return out if self.after is None else self.after(out)


class Tv:
    def __init__(self, t):
        self.t = t

    def __call__(self, x):
        import torch
        from torchvision import tv_tensors

        if isinstance(x, tuple):
            img = tv_tensors.Image(torch.from_numpy(x[0]).permute(2, 0, 1))
            return tuple(self.t(img, tv_tensors.Mask(torch.from_numpy(x[1]))))
        return self.t(tv_tensors.Image(torch.from_numpy(x).permute(2, 0, 1)))


class Ceiling:
    """Decode only (resized to `size` when given, masks nearest), handed to augkit's glue
    (`ToTensors` / `SampleCollate`, the fastest way here into a batch tensor): the ceiling no
    augmentation pipeline can beat."""

    def __init__(self, size: int | None = None):
        self.size = size

    def __call__(self, x):
        import cv2

        import augkit

        if isinstance(x, tuple):
            img = cv2.resize(x[0], (self.size, self.size), interpolation=cv2.INTER_LINEAR)
            mask = cv2.resize(x[1], (self.size, self.size), interpolation=cv2.INTER_NEAREST)
            return augkit.Sample(img, mask=mask)
        if self.size is not None:
            x = cv2.resize(x, (self.size, self.size), interpolation=cv2.INTER_LINEAR)
        return x


def pipelines(root: Path, smoke: bool) -> list[dict]:
    """[{name, batch, data, libs: {column: (dataset, collate_fn)}}] for the five pipelines."""
    import albumentations as A
    import cv2
    import torch
    from albumentations.pytorch import ToTensorV2
    from torch.utils.data import default_collate
    from torchvision.transforms import v2

    import augkit
    from augkit import AugmentedDataset
    from augkit.loader import BatchAugment, SampleCollate, ToTensors

    const = cv2.BORDER_CONSTANT
    side, seg_side = (64, 64) if smoke else (224, 256)
    cifar = Cifar(root, 256 if smoke else CIFAR_ITEMS)
    photos = Photos(root, limit=8 if smoke else None, items=None if smoke else PHOTO_ITEMS)
    seg = Photos(root, masks=True, limit=8 if smoke else None,
                 items=None if smoke else PHOTO_ITEMS)
    tv_norm = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)]
    norm = ToTensors(MEAN, STD)

    pad_crop = augkit.Seq([augkit.PadCrop(padding=4), augkit.HFlip()])
    out = [{"name": "CIFAR-10: decode, pad 4 + crop 32, flip, to tensor", "batch": 128,
            "libs": {
                "augkit": (AugmentedDataset(cifar, pad_crop, seed=0), ToTensors()),
                "augkit batch": (AugmentedDataset(cifar, None, seed=0), BatchAugment(pad_crop)),
                "augkit seed=None": (AugmentedDataset(cifar, pad_crop), ToTensors()),
                "albumentations": (Mapped(cifar, Albu(A.Compose([
                    A.PadIfNeeded(40, 40, border_mode=const), A.RandomCrop(32, 32),
                    A.HorizontalFlip(), ToTensorV2()]))), default_collate),
                "torchvision": (Mapped(cifar, Tv(v2.Compose([
                    v2.RandomCrop(32, padding=4), v2.RandomHorizontalFlip()]))),
                    default_collate),
                "decode-only": (Mapped(cifar, Ceiling()), ToTensors())}}]

    def photo(extra_augkit=(), extra_tv=()):
        op = augkit.Seq([augkit.RandomResizedCrop(size=side), augkit.HFlip(),
                         augkit.ColorShift(*JITTER), *extra_augkit])
        albu = A.Compose([A.RandomResizedCrop((side, side)), A.HorizontalFlip(),
                          A.ColorJitter(*JITTER, p=1.0),
                          *([] if extra_tv else [A.Normalize(MEAN, STD)]), ToTensorV2()])
        after = v2.Compose([*extra_tv, *tv_norm]) if extra_tv else None
        return {"augkit": (AugmentedDataset(photos, op, seed=0), norm),
                "albumentations": (Mapped(photos, Albu(albu, after)), default_collate),
                "torchvision": (Mapped(photos, Tv(v2.Compose([
                    v2.RandomResizedCrop(side), v2.RandomHorizontalFlip(),
                    v2.ColorJitter(*JITTER), *extra_tv, *tv_norm]))), default_collate),
                "decode-only": (Mapped(photos, Ceiling(side)), ToTensors())}

    crop = augkit.Seq([augkit.RandomResizedCrop(size=side), augkit.HFlip()])
    out.append({"name": f"COCO128 photos: decode, RRC {side}, flip, to uint8 tensor "
                "(the rest on the device)", "batch": 64, "libs": {
                    "augkit": (AugmentedDataset(photos, crop, seed=0), ToTensors()),
                    "albumentations": (Mapped(photos, Albu(A.Compose([
                        A.RandomResizedCrop((side, side)), A.HorizontalFlip(),
                        ToTensorV2()]))), default_collate),
                    "torchvision": (Mapped(photos, Tv(v2.Compose([
                        v2.RandomResizedCrop(side), v2.RandomHorizontalFlip()]))),
                        default_collate),
                    "decode-only": (Mapped(photos, Ceiling(side)), ToTensors())}})
    out.append({"name": f"COCO128 photos: decode, RRC {side}, flip, ColorJitter, Normalize, "
                "to tensor", "batch": 64, "libs": photo()})
    out.append({"name": "same + RandAugment(2, 9) (albumentations column: torchvision's "
                "RandAugment)", "batch": 64,
                "libs": photo([augkit.rich.RandAugment(n=2, m=9)],
                              [v2.RandAugment(num_ops=2, magnitude=9)])})
    seg_op = augkit.Seq([augkit.RandomResizedCrop(size=seg_side), augkit.HFlip(),
                         augkit.Rotate(degrees=15.0), augkit.ColorShift(*JITTER)])
    out.append({"name": f"COCO128 segmentation: RRC {seg_side}, flip, rotate ±15, ColorJitter, "
                "image + mask", "batch": 64, "libs": {
                    "augkit": (AugmentedDataset(AsSample(seg), seg_op, seed=0),
                               SampleCollate()),
                    "albumentations": (Mapped(seg, Albu(A.Compose([
                        A.RandomResizedCrop((seg_side, seg_side)), A.HorizontalFlip(),
                        A.Rotate(limit=15, border_mode=const, p=1.0),
                        A.ColorJitter(*JITTER, p=1.0), ToTensorV2()]))), default_collate),
                    "torchvision": (Mapped(seg, Tv(v2.Compose([
                        v2.RandomResizedCrop(seg_side), v2.RandomHorizontalFlip(),
                        v2.RandomRotation(15), v2.ColorJitter(*JITTER)]))), default_collate),
                    "decode-only": (Mapped(seg, Ceiling(seg_side)), SampleCollate())}})
    return out


CIFAR_ITEMS = 5120  # 40 batches of 128: a subset, so the whole run fits 2 shared cores
PHOTO_ITEMS = 512  # 8 batches of 64 per photo epoch: each of 2 workers makes four
