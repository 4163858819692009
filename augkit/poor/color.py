"""Colour shifting: `ColorShift` (torchvision's ColorJitter) and `RGBShift`."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import PixelOp, check_range, is_number, symmetric, uniform
from ..errors import short_repr, value_error
from ..functional import color as C

MAX_FACTOR = 100.0  # as the PIL enhancers (augkit.photometric): beyond, every pixel saturates

ADJUSTMENTS = ("brightness", "contrast", "saturation", "hue")
_NEUTRAL = (1.0, 1.0, 1.0, 0.0)  # the value that leaves the image alone, per adjustment
_KERNELS = (C.adjust_brightness, C.adjust_contrast, C.adjust_saturation, C.adjust_hue)


def factor_range(op, field: str, v) -> tuple[float, float]:
    """ColorJitter's rule: x >= 0 means (max(0, 1 - x), 1 + x); or a (low, high) pair of
    factors, all within [0, MAX_FACTOR]."""
    if isinstance(v, bool) or (not is_number(v) and not isinstance(v, tuple)) or (
            is_number(v) and not 0 <= v <= MAX_FACTOR - 1):
        raise value_error(op, field, f"is {short_repr(v)}; expected a number in [0, "
                          f"{MAX_FACTOR - 1:g}] or a (low, high) pair of factors in [0, "
                          f"{MAX_FACTOR:g}]")
    if is_number(v):
        return max(0.0, 1.0 - v), 1.0 + v
    check_range(op, field, v, 0.0, MAX_FACTOR)
    return float(v[0]), float(v[1])


def hue_range(op, v) -> tuple[float, float]:
    """h in [0, 0.5] means (-h, h); or a (low, high) pair within [-0.5, 0.5] (turns)."""
    if isinstance(v, bool) or (is_number(v) and not 0 <= v <= 0.5):
        raise value_error(op, "hue", f"is {short_repr(v)}; expected a number in [0, 0.5] or a "
                          "(low, high) pair within [-0.5, 0.5]")
    r = symmetric(v, op, "hue")
    check_range(op, "hue", r, -0.5, 0.5)
    return float(r[0]), float(r[1])


@dataclass(frozen=True)
class ColorShift(PixelOp):
    """Random brightness, contrast, saturation and hue: torchvision's ColorJitter.

    brightness, contrast, saturation: x means a factor drawn from [max(0, 1 - x), 1 + x]; a
    (low, high) pair gives the range itself; 0 turns the adjustment off. Brightness multiplies,
    contrast blends with the mean grey level, saturation blends with each pixel's grey value.
    hue: h means a shift drawn from [-h, h] turns of the colour wheel (h <= 0.5).
    Factors go up to 100 (as the PIL enhancers'); NaN, inf and bools are refused.
    The four are applied in a random order, as torchvision does (``random_order=False``:
    always brightness, contrast, saturation, hue). Grey images skip saturation and hue; images
    must be grey, RGB or RGBA (alpha is kept) when contrast, saturation or hue is on.
    """

    brightness: float | tuple = 0.2
    contrast: float | tuple = 0.2
    saturation: float | tuple = 0.2
    hue: float | tuple = 0.05
    random_order: bool = True

    def validate(self):
        self._ranges  # noqa: B018 (building the cached ranges checks the fields)
        if not isinstance(self.random_order, bool):
            raise value_error(self, "random_order", f"is {self.random_order!r}; expected a bool")

    @functools.cached_property  # drawn from on every call: checked and built once per op
    def _ranges(self):
        return (factor_range(self, "brightness", self.brightness),
                factor_range(self, "contrast", self.contrast),
                factor_range(self, "saturation", self.saturation), hue_range(self, self.hue))

    @functools.cached_property  # read on every call: computed once per op
    def accepts_channels(self) -> tuple[int, ...] | None:
        """Grey, RGB or RGBA once contrast, saturation or hue can act; any count otherwise."""
        _, c, s, h = self._ranges
        return None if c == (1.0, 1.0) and s == (1.0, 1.0) and h == (0.0, 0.0) else (0, 1, 3, 4)

    def sample(self, rng, s):
        order = rng.permutation(4).tolist() if self.random_order else [0, 1, 2, 3]
        params = {"order": order}
        for name, r in zip(ADJUSTMENTS, self._ranges):
            params[name] = uniform(rng, *r)
        return params

    def image_batch_torch(self, images, params):
        if images.shape[1] not in (1, 3, 4):
            return None  # (the host path refuses them with the op's own error)
        from ..functional.torch_color import color_shift

        return color_shift(images, [p["order"] for p in params],
                           *([float(p[name]) for p in params] for name in ADJUSTMENTS))

    def image(self, img, params):
        if self.accepts_channels is not None:  # decided by the fields, not by this draw
            C.check_colour(img, self)
        out = img
        for i in params["order"]:
            name = ADJUSTMENTS[i]
            v = float(params[name])
            if v == _NEUTRAL[i]:
                continue
            # After the first step `out` is our own RGB array: later steps write into it.
            dst = out if (out is not img and out.ndim == 3 and out.shape[2] == 3
                          and out.flags.c_contiguous) else None
            out = _KERNELS[i](out, v, out=dst)
        return out.copy() if out is img else out


@dataclass(frozen=True)
class RGBShift(PixelOp):
    """Add a random constant to each of the red, green and blue channels.

    r_shift, g_shift, b_shift: x means a shift drawn from [-x, x]; or a (low, high) pair. The
    unit is a grey level of an 8-bit image for both dtypes: a float32 image gets shift / 255,
    so uint8 and float32 images change alike (albumentations instead reads the limits as
    [0, 1] fractions for float images). Results are clipped to the valid range. RGBA keeps its
    alpha; a grey image gets the luminance of the shift (0.299 r + 0.587 g + 0.114 b).
    """

    accepts_channels: ClassVar[tuple[int, ...]] = (0, 1, 3, 4)  # grey, RGB, RGBA

    r_shift: float | tuple = 20.0
    g_shift: float | tuple = 20.0
    b_shift: float | tuple = 20.0

    @functools.cached_property
    def _ranges(self):
        out = []
        for field in ("r_shift", "g_shift", "b_shift"):
            v = getattr(self, field)
            if is_number(v) and v < 0:
                raise value_error(self, field, f"is {v!r}; expected a number >= 0 or a "
                                  "(low, high) pair")
            r = symmetric(v, self, field)
            check_range(self, field, r, -255.0, 255.0)
            out.append((float(r[0]), float(r[1])))
        return tuple(out)

    def validate(self):
        self._ranges  # noqa: B018 (building the cached ranges checks the fields)

    def sample(self, rng, s):
        return {"shift": [uniform(rng, *r) for r in self._ranges]}

    def batch_draw_count(self):
        return 3

    def batch_params(self, u):
        lo = np.array([r[0] for r in self._ranges], np.float64)
        hi = np.array([r[1] for r in self._ranges], np.float64)
        return {"shift": lo + (hi - lo) * u}  # `uniform`, per channel

    def image_batch(self, images, params):
        if images.shape[-1] != 3:
            return super().image_batch(images, params)
        return C.shift_channels_batch(images, np.array([p["shift"] for p in params],
                                                       np.float64) / 255.0)

    def image_batch_torch(self, images, params):
        if images.shape[1] not in (1, 3, 4):
            return None
        from ..functional.torch_color import shift_channels

        return shift_channels(images, np.array([p["shift"] for p in params], np.float64) / 255.0)

    def image(self, img, params):
        C.check_colour(img, self)
        return C.shift_channels(img, [v / 255.0 for v in params["shift"]])
