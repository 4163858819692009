"""Blurring: `Blur` (Gaussian, box or median) and `MotionBlur`."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from ..core import PixelOp, check_range, integer, is_number, uniform
from ..errors import short_repr, value_error
from ..functional import blur as B

BLUR_KINDS = ("gaussian", "box", "median")
MAX_KERNEL = 301  # the largest kernel side; sigma 50 derives it (2 * ceil(3 * 50) + 1)
MAX_SIGMA = 50.0


def kernel_range(op, field: str, v, allow_zero: bool = False) -> tuple[int, int]:
    """An odd kernel size k (meaning (k, k)) or an inclusive (low, high) range of odd sizes,
    each in [1, MAX_KERNEL]."""
    pair = (v, v) if isinstance(v, int) and not isinstance(v, bool) else v
    ok = (isinstance(pair, tuple) and len(pair) == 2
          and all(isinstance(k, int) and not isinstance(k, bool) for k in pair))
    if ok and allow_zero and pair == (0, 0):
        return pair
    if not ok or not all(1 <= k <= MAX_KERNEL and k % 2 == 1 for k in pair):
        raise value_error(op, field, f"is {short_repr(v)}; expected an odd size in [1, "
                          f"{MAX_KERNEL}] or a (low, high) pair of them"
                          + (" (0 = from sigma)" if allow_zero else ""))
    if pair[0] > pair[1]:
        raise value_error(op, field, f"is inverted {v!r}; expected low <= high")
    return pair


def draw_odd(rng, lo: int, hi: int) -> int:
    """An odd size drawn uniformly from lo, lo + 2, ..., hi."""
    return lo + 2 * integer(rng, 0, (hi - lo) // 2 + 1) if hi > lo else lo


def _pair(v) -> tuple[float, float]:
    return (float(v), float(v)) if is_number(v) else (float(v[0]), float(v[1]))


def number_or_pair(v):
    """A number x as (x, x); anything else unchanged (for `check_range` to judge)."""
    return (v, v) if is_number(v) else v


@dataclass(frozen=True)
class Blur(PixelOp):
    """Blur with a random kernel size drawn from the odd sizes in `kernel`.

    kind: "gaussian" (default; standard deviation drawn uniformly from `sigma`, in pixels, as
    torchvision's GaussianBlur), "box" (mean filter, albumentations' Blur) or "median"
    (albumentations' MedianBlur); `sigma` is used by "gaussian" only (a number fixes it).
    For "gaussian", ``kernel=0`` derives the size from each drawn sigma:
    ``2 * ceil(3 * sigma) + 1``. Kernel sizes go up to 301, sigma up to 50.
    Float images stay in [0, 1] (a normalised kernel's rounding can overshoot by an ulp).
    """

    kernel: int | tuple = (3, 7)
    sigma: float | tuple = (0.1, 2.0)
    kind: str = "gaussian"

    def validate(self):
        if self.kind not in BLUR_KINDS:
            raise value_error(self, "kind", f"is {self.kind!r}; expected one of {BLUR_KINDS}")
        kernel_range(self, "kernel", self.kernel, allow_zero=self.kind == "gaussian")
        if self.kind == "gaussian":
            sig = number_or_pair(self.sigma)
            check_range(self, "sigma", sig, 0.0, MAX_SIGMA)
            if sig[0] <= 0:
                raise value_error(self, "sigma", f"is {self.sigma!r}; expected values in (0, "
                                  f"{MAX_SIGMA:g}]")

    def sample(self, rng, s):
        lo, hi = kernel_range(self, "kernel", self.kernel, allow_zero=True)
        if self.kind != "gaussian":
            return {"kernel": draw_odd(rng, lo, hi)}
        sigma = uniform(rng, *_pair(self.sigma))
        k = 2 * math.ceil(3 * sigma) + 1 if hi == 0 else draw_odd(rng, lo, hi)
        return {"kernel": k, "sigma": sigma}

    def image_batch_torch(self, images, params):
        from ..functional import torch_blur as TB

        ks = [int(p["kernel"]) for p in params]
        if self.kind == "gaussian":
            return TB.gaussian(images, ks, [float(p["sigma"]) for p in params])
        return TB.box(images, ks) if self.kind == "box" else TB.median(images, ks)

    def image(self, img, params):
        k = int(params["kernel"])
        if self.kind == "gaussian":
            return B.gaussian_blur(img, k, float(params["sigma"]))
        if self.kind == "box":
            return B.box_blur(img, k)
        return B.median_blur(img, k)


@dataclass(frozen=True)
class MotionBlur(PixelOp):
    """Blur along a straight line through each pixel, as a moving camera does: a line of
    length drawn from the odd sizes in `kernel`, at an angle drawn uniformly from `angle`
    (degrees, counter-clockwise on screen, 0 = horizontal; a number fixes it). The line is
    centred, so the image does not shift (albumentations' MotionBlur, allow_shifted=False).
    Kernel sizes go up to 301; float images stay in [0, 1]."""

    kernel: int | tuple = (3, 7)
    angle: float | tuple = (0.0, 180.0)

    def validate(self):
        check_range(self, "angle", number_or_pair(self.angle))
        self._kernels  # noqa: B018 (building the cached range checks the field)

    @functools.cached_property  # read on every draw: checked once per op
    def _kernels(self) -> tuple[int, int]:
        return kernel_range(self, "kernel", self.kernel)

    def sample(self, rng, s):
        lo, hi = self._kernels
        return {"kernel": draw_odd(rng, lo, hi), "angle": uniform(rng, *_pair(self.angle))}

    def image(self, img, params):
        return B.motion_blur(img, int(params["kernel"]), float(params["angle"]))

    def image_batch_torch(self, images, params):
        from ..functional.torch_blur import motion

        return motion(images, [int(p["kernel"]) for p in params],
                      [float(p["angle"]) for p in params])

    def image_batch(self, images, params):
        if images.shape[-1] > 4 or images.dtype.char not in "Bf":
            return super().image_batch(images, params)
        return B.motion_blur_batch(images, [int(p["kernel"]) for p in params],
                                   [float(p["angle"]) for p in params])
