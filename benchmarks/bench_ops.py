"""Per-op rows: every poor-tier op, CutOut, the distortions and the tier pipeline.

Each library runs in its native input format on the same images:

* augkit: numpy HWC uint8, one call per image (``augkit``) and `augkit.batch.apply_batch`
  over the stacked (B, H, W, C) batch (``augkit batch``);
* albumentations: numpy HWC uint8, one call per image;
* torchvision.transforms.v2: uint8 CHW tensors, one call per image;
* kornia: one float32 (B, C, H, W) batch in [0, 1] (its native, batched format);
* timm: PIL images, where timm has its own transform.

Ops are matched by augkit class name in `SPECS`; a registered poor-tier op without an entry
still gets an augkit-only row, so ops landing later show up by themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from . import bench_new_ops
from .common import interleaved_throughput, throughput

# Canonical row order; anything else registered in the poor tier follows alphabetically.
ORDER = ("HFlip", "VFlip", "Rotate", "Scale", "Translate", "Shear", "Affine", "Resize", "Crop",
         "Pad", "PadCrop", "RandomResizedCrop", "Blur", "MotionBlur", "ColorShift", "RGBShift",
         "PCALighting", "CutOut", "ElasticDistortion", "GridDistortion",
         *bench_new_ops.NEW_ROWS)


def _pad(s: int) -> int:
    return max(4, s // 8)


def _specs(s: int) -> dict[str, dict[str, Callable]]:
    """name -> {library: factory}; every factory builds the same transform (p = 1)."""
    import albumentations as A
    import cv2
    import kornia.augmentation as K
    import torchvision.transforms.v2 as T

    import augkit

    p, half, crop = _pad(s), max(1, s // 2), max(1, (3 * s) // 4)
    ek = min(25, s - 1 - (s % 2))  # kornia's elastic kernel: ~6 sigma, below the side (odd)
    const = cv2.BORDER_CONSTANT
    return {
        **bench_new_ops.specs(s),
        "HFlip": {"augkit": lambda: augkit.HFlip(p=1.0),
                  "albumentations": lambda: A.HorizontalFlip(p=1.0),
                  "torchvision": lambda: T.RandomHorizontalFlip(p=1.0),
                  "kornia": lambda: K.RandomHorizontalFlip(p=1.0)},
        "VFlip": {"augkit": lambda: augkit.VFlip(p=1.0),
                  "albumentations": lambda: A.VerticalFlip(p=1.0),
                  "torchvision": lambda: T.RandomVerticalFlip(p=1.0),
                  "kornia": lambda: K.RandomVerticalFlip(p=1.0)},
        "Rotate": {"augkit": lambda: augkit.Rotate(degrees=30),
                   "albumentations": lambda: A.Rotate(limit=30, border_mode=const, p=1.0),
                   "torchvision": lambda: T.RandomRotation(30,
                                                           T.InterpolationMode.BILINEAR),
                   "kornia": lambda: K.RandomRotation(30.0, p=1.0)},
        "Scale": {"augkit": lambda: augkit.Scale(scale=(0.9, 1.1)),
                  "albumentations": lambda: A.Affine(scale=(0.9, 1.1), border_mode=const,
                                                     p=1.0),
                  "torchvision": lambda: T.RandomAffine(0, scale=(0.9, 1.1),
                                                        interpolation=T.InterpolationMode.BILINEAR),
                  "kornia": lambda: K.RandomAffine(0.0, scale=(0.9, 1.1), p=1.0)},
        "Translate": {"augkit": lambda: augkit.Translate(x=(-0.1, 0.1), y=(-0.1, 0.1)),
                      "albumentations": lambda: A.Affine(translate_percent=(-0.1, 0.1),
                                                         border_mode=const, p=1.0),
                      "torchvision": lambda: T.RandomAffine(
                          0, translate=(0.1, 0.1), interpolation=T.InterpolationMode.BILINEAR),
                      "kornia": lambda: K.RandomAffine(0.0, translate=(0.1, 0.1), p=1.0)},
        "Shear": {"augkit": lambda: augkit.Shear(x=(-10.0, 10.0)),
                  "albumentations": lambda: A.Affine(shear={"x": (-10, 10), "y": (0, 0)},
                                                     border_mode=const, p=1.0),
                  "torchvision": lambda: T.RandomAffine(
                      0, shear=(-10, 10), interpolation=T.InterpolationMode.BILINEAR),
                  "kornia": lambda: K.RandomAffine(0.0, shear=(-10.0, 10.0), p=1.0)},
        "Affine": {"augkit": lambda: augkit.Affine(degrees=15, translate=(0.1, 0.1),
                                                   scale=(0.9, 1.1), shear=5),
                   "albumentations": lambda: A.Affine(
                       rotate=(-15, 15), translate_percent=(-0.1, 0.1), scale=(0.9, 1.1),
                       shear={"x": (-5, 5), "y": (0, 0)}, border_mode=const, p=1.0),
                   "torchvision": lambda: T.RandomAffine(
                       15, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=(-5, 5),
                       interpolation=T.InterpolationMode.BILINEAR),
                   "kornia": lambda: K.RandomAffine(15.0, translate=(0.1, 0.1),
                                                    scale=(0.9, 1.1), shear=(-5.0, 5.0),
                                                    p=1.0)},
        "Resize": {"augkit": lambda: augkit.Resize(size=crop),
                   "albumentations": lambda: A.Resize(crop, crop),
                   "torchvision": lambda: T.Resize((crop, crop), antialias=False),
                   "kornia": lambda: K.Resize((crop, crop))},
        "Crop": {"augkit": lambda: augkit.Crop(size=crop),
                 "albumentations": lambda: A.RandomCrop(crop, crop),
                 "torchvision": lambda: T.RandomCrop(crop),
                 "kornia": lambda: K.RandomCrop((crop, crop), p=1.0)},
        "Pad": {"augkit": lambda: augkit.Pad(padding=p),
                "albumentations": lambda: A.Pad(padding=p, border_mode=const),
                "torchvision": lambda: T.Pad(p),
                "kornia": lambda: K.PadTo((s + 2 * p, s + 2 * p))},
        "PadCrop": {"augkit": lambda: augkit.PadCrop(padding=p),
                    "albumentations": lambda: A.Compose([
                        A.PadIfNeeded(s + 2 * p, s + 2 * p, border_mode=const),
                        A.RandomCrop(s, s)]),
                    "torchvision": lambda: T.RandomCrop(s, padding=p),
                    "kornia": lambda: K.RandomCrop((s, s), padding=p, p=1.0)},
        "RandomResizedCrop": {
            "augkit": lambda: augkit.RandomResizedCrop(size=s),
            "albumentations": lambda: A.RandomResizedCrop((s, s), p=1.0),
            "torchvision": lambda: T.RandomResizedCrop(s, antialias=False),
            "kornia": lambda: K.RandomResizedCrop((s, s), p=1.0),
            "timm": _timm_rrc(s)},
        "Blur": {"augkit": lambda: augkit.Blur(kernel=5, sigma=(0.1, 2.0)),
                 "albumentations": lambda: A.GaussianBlur(blur_limit=(5, 5),
                                                          sigma_limit=(0.1, 2.0), p=1.0),
                 "torchvision": lambda: T.GaussianBlur(5, (0.1, 2.0)),
                 "kornia": lambda: K.RandomGaussianBlur((5, 5), (0.1, 2.0), p=1.0)},
        "MotionBlur": {"augkit": lambda: augkit.MotionBlur(kernel=(3, 7)),
                       "albumentations": lambda: A.MotionBlur(blur_limit=(3, 7), p=1.0),
                       "kornia": lambda: K.RandomMotionBlur(5, (0.0, 180.0), 0.0, p=1.0)},
        "ColorShift": {"augkit": lambda: augkit.ColorShift(0.4, 0.4, 0.4, 0.1),
                       "albumentations": lambda: A.ColorJitter(0.4, 0.4, 0.4, 0.1, p=1.0),
                       "torchvision": lambda: T.ColorJitter(0.4, 0.4, 0.4, 0.1),
                       "kornia": lambda: K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=1.0)},
        "RGBShift": {"augkit": lambda: augkit.RGBShift(),
                     "albumentations": lambda: A.RGBShift(20, 20, 20, p=1.0),
                     "kornia": lambda: K.RandomRGBShift(20 / 255, 20 / 255, 20 / 255, p=1.0)},
        "PCALighting": {"augkit": lambda: augkit.PCALighting(alpha_std=0.1),
                        "albumentations": lambda: A.FancyPCA(alpha=0.1, p=1.0)},
        "CutOut": {"augkit": lambda: augkit.CutOut(size=half),
                   "albumentations": lambda: A.CoarseDropout(
                       num_holes_range=(1, 1), hole_height_range=(half, half),
                       hole_width_range=(half, half), p=1.0),
                   "torchvision": lambda: T.RandomErasing(p=1.0, scale=(0.25, 0.25),
                                                          ratio=(1.0, 1.0)),
                   "kornia": lambda: K.RandomErasing(scale=(0.25, 0.25), ratio=(1.0, 1.0),
                                                     p=1.0)},
        "ElasticDistortion": {
            "augkit": lambda: augkit.ElasticDistortion(alpha=34.0, sigma=4.0),
            "albumentations": lambda: A.ElasticTransform(alpha=34, sigma=4, p=1.0),
            "torchvision": lambda: T.ElasticTransform(alpha=34.0, sigma=4.0),
            "kornia": lambda: K.RandomElasticTransform(kernel_size=(ek, ek), sigma=(4.0, 4.0),
                                                       p=1.0)},
        "GridDistortion": {"augkit": lambda: augkit.GridDistortion(num_steps=5),
                           "albumentations": lambda: A.GridDistortion(5, 0.3,
                                                                      border_mode=const,
                                                                      p=1.0)},
        "tier pipeline": _pipeline_specs(s),
    }


NOTES = {
    "Pad": "kornia PadTo pads bottom/right only",
    "PCALighting": "albumentations FancyPCA fits the PCA per image (more work)",
    "ElasticDistortion": "kornia: 25-px kernel, alpha in normalised units (its default)",
    "CutOut": "torchvision/kornia RandomErasing with a 1/4-area square",
    "MotionBlur": "kornia with a fixed 5-pixel kernel",
    "tier pipeline": "pad s/8 + crop, flip 0.5, rotate ±15°, ColorJitter .4/.4/.4/.1, "
                     "CutOut s/2",
    **bench_new_ops.NEW_NOTES,
}


def _timm_rrc(s):
    def make():
        from timm.data.transforms import RandomResizedCropAndInterpolation

        return RandomResizedCropAndInterpolation(s, interpolation="bilinear")
    return make


def _pipeline_specs(s: int) -> dict[str, Callable]:
    import albumentations as A
    import cv2
    import kornia.augmentation as K
    import torchvision.transforms.v2 as T

    import augkit

    p, half = _pad(s), max(1, s // 2)
    const = cv2.BORDER_CONSTANT

    def ours():
        return augkit.Seq((augkit.PadCrop(padding=p), augkit.HFlip(p=0.5),
                           augkit.Rotate(degrees=15), augkit.ColorShift(0.4, 0.4, 0.4, 0.1),
                           augkit.CutOut(size=half)))

    return {
        "augkit": ours,
        "albumentations": lambda: A.Compose([
            A.PadIfNeeded(s + 2 * p, s + 2 * p, border_mode=const), A.RandomCrop(s, s),
            A.HorizontalFlip(p=0.5), A.Rotate(limit=15, border_mode=const, p=1.0),
            A.ColorJitter(0.4, 0.4, 0.4, 0.1, p=1.0),
            A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(half, half),
                            hole_width_range=(half, half), p=1.0)]),
        "torchvision": lambda: T.Compose([
            T.RandomCrop(s, padding=p), T.RandomHorizontalFlip(0.5),
            T.RandomRotation(15, T.InterpolationMode.BILINEAR),
            T.ColorJitter(0.4, 0.4, 0.4, 0.1),
            T.RandomErasing(p=1.0, scale=(0.25, 0.25), ratio=(1.0, 1.0))]),
        "kornia": lambda: K.AugmentationSequential(
            K.RandomCrop((s, s), padding=p, p=1.0), K.RandomHorizontalFlip(p=0.5),
            K.RandomRotation(15.0, p=1.0), K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=1.0),
            K.RandomErasing(scale=(0.25, 0.25), ratio=(1.0, 1.0), p=1.0)),
    }


def row_names() -> list[str]:
    """Rows to run: the canonical order, then any other registered poor-tier op."""
    from augkit.core import registered_ops

    ops = registered_ops()
    extra = sorted(n for n, c in ops.items()
                   if c.__module__.startswith("augkit.poor") and n not in ORDER)
    return [*ORDER, *extra, "tier pipeline"]


class Inputs:
    """The same images in every library's native format."""

    def __init__(self, images: list):
        import numpy as np
        import torch

        self.numpy = images
        self.stacked = np.stack(images)
        self.tensors = [torch.from_numpy(im).permute(2, 0, 1).contiguous() for im in images]
        self.kornia = torch.from_numpy(self.stacked).permute(0, 3, 1, 2).float().div(255.0)
        self._pil = None

    @property
    def pil(self):
        if self._pil is None:
            from PIL import Image

            self._pil = [Image.fromarray(im) for im in self.numpy]
        return self._pil


def runner(lib: str, transform, inp: Inputs) -> Callable[[], object]:
    import numpy as np
    import torch

    if lib == "augkit":
        rng = np.random.default_rng(0)
        return lambda: [transform(im, rng) for im in inp.numpy]
    if lib == "augkit batch":
        from augkit.batch import apply_batch

        rng = np.random.default_rng(0)
        return lambda: apply_batch(transform, inp.stacked, rng)
    if lib == "albumentations":
        return lambda: [transform(image=im)["image"] for im in inp.numpy]
    if lib == "torchvision":
        return lambda: [transform(t) for t in inp.tensors]
    if lib == "kornia":
        def run():
            with torch.no_grad():
                return transform(inp.kornia)
        return run
    if lib == "timm":
        return lambda: [transform(p) for p in inp.pil]
    raise KeyError(lib)


def measure(name: str, size: int, inp: Inputs, repeats: int, min_time: float) -> dict:
    """One row: images/s for every library that has this op."""
    row: dict = {"row": name, "size": size, "note": ""}
    notes = []
    try:
        specs = _specs(size)
    except ImportError as e:  # a peer library is missing: run what is there
        specs, notes = {}, [f"peer import failed: {e}"]
    spec = specs.get(name)
    if spec is None:
        spec = {"augkit": _default_op(name)}
        notes.append("no peer mapping")
    n = len(inp.numpy)
    fns = {}
    for lib in ("augkit", "augkit batch", "albumentations", "torchvision", "kornia", "timm"):
        factory = spec.get("augkit" if lib == "augkit batch" else lib)
        if factory is None:
            continue
        try:
            fns[lib] = runner(lib, factory(), inp)
        except (AttributeError, TypeError, ValueError, ImportError) as e:
            if lib == "augkit":
                notes.append(f"not in augkit yet ({type(e).__name__})")
                fns = {}
                break
            notes.append(f"{lib}: {type(e).__name__}: {str(e)[:60]}")
    # the columns take turns (interleaved_throughput): ratios from one run, under one load
    for lib, got in interleaved_throughput(fns, n, repeats, min_time=min_time).items():
        if isinstance(got, str):  # one broken op must not sink the whole table
            notes.append(f"{lib} failed: {got}")
        else:
            row[lib] = got
    if name in NOTES and any(k in row for k in ("albumentations", "torchvision", "kornia")):
        notes.insert(0, NOTES[name])
    row["note"] = "; ".join(notes)
    return row


def _default_op(name: str):
    def make():
        from augkit.core import registered_ops

        cls = registered_ops().get(name)
        if cls is None:
            raise AttributeError(name)
        return cls()
    return make


def memcpy_row(size: int, inp: Inputs, repeats: int, min_time: float) -> dict:
    """The physical limit: a plain copy of every image (numpy), and of the whole batch."""
    imgs, stacked = inp.numpy, inp.stacked
    n = len(imgs)
    return {"row": "memcpy (limit)", "size": size,
            "numpy": throughput(lambda: [im.copy() for im in imgs], n, repeats,
                                min_time=min_time),
            "numpy batch": throughput(lambda: stacked.copy(), n, repeats, min_time=min_time),
            "note": "plain copy: per image, and of the stacked batch"}


def run(sizes, images_for, repeats: int, min_time: float, only=None, log=print) -> list[dict]:
    rows = []
    names = row_names()
    if only:
        names = [n for n in names if n in only]
    for size in sizes:
        inp = Inputs(images_for(size))
        rows.append(memcpy_row(size, inp, repeats, min_time))
        for name in names:
            rows.append(measure(name, size, inp, repeats, min_time))
            log(f"  {size}px {name}: " + ", ".join(
                f"{k}={v:.0f}" for k, v in rows[-1].items() if isinstance(v, float)))
    return rows
