"""`PhotoMetricDistort`: SSD's photometric distortion (torchvision's RandomPhotometricDistort)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core import PixelOp, check_prob, check_range, is_number, uniform
from ..errors import short_repr, value_error
from ..functional import tv_color as TV
from ..functional.color import check_colour

MAX_FACTOR = 100.0  # as ColorShift's factors: beyond, every pixel saturates
STEPS = ("brightness", "contrast", "saturation", "hue")


@dataclass(frozen=True)
class PhotoMetricDistort(PixelOp):
    """SSD's photometric distortion, torchvision 0.29's ``RandomPhotometricDistort``.

    Each of brightness, contrast, saturation and hue is applied with probability `step_p`
    (torchvision's ``p``, 0.5), its factor drawn uniformly from its (low, high) range:
    brightness multiplies, contrast blends with the mean grey level, saturation with each
    pixel's grey value, hue rotates by a fraction of a turn (within [-0.5, 0.5]). Contrast
    comes before or after the saturation / hue block with equal chance, and a random channel
    permutation follows with probability `step_p`. The arithmetic is torchvision's, step for
    step (grey ``0.2989 R + 0.587 G + 0.114 B``, floored for uint8; uint8 truncated after
    every step; hue through torchvision's float32 HSV): given the same draws the output
    equals torchvision's, uint8 and float32 (`augkit.functional.tv_color`).

    `step_p` is part of the distortion's definition, not the op-level probability (`p`,
    from the op contract, skips the whole op). Grey images get brightness and contrast (no
    saturation, hue or permutation, as torchvision); RGBA images keep their alpha out of
    every step and the permutation (torchvision refuses four channels). Params: the four
    factors (None when a step is off), ``contrast_before`` and ``order`` (the permutation of
    the colour channels, or None)."""

    accepts_channels: ClassVar[tuple[int, ...]] = (0, 1, 3, 4)  # grey, RGB, RGBA

    brightness: tuple = (0.875, 1.125)
    contrast: tuple = (0.5, 1.5)
    saturation: tuple = (0.5, 1.5)
    hue: tuple = (-0.05, 0.05)
    step_p: float = 0.5

    @classmethod
    def example(cls):
        return [cls(), cls(step_p=1.0), cls(brightness=(0.5, 2.0), hue=(-0.5, 0.5), step_p=0.8)]

    def validate(self):
        for name in ("brightness", "contrast", "saturation"):
            check_range(self, name, getattr(self, name), 0.0, MAX_FACTOR)
        check_range(self, "hue", self.hue, -0.5, 0.5)
        check_prob(self, "step_p", self.step_p)

    def sample(self, rng, s):
        # torchvision's make_params, draw for draw: per step a coin, then its factor; the
        # contrast position; a coin, then the permutation
        params: dict = {}
        for name in STEPS:
            lo, hi = getattr(self, name)
            params[name] = uniform(rng, float(lo), float(hi)) if rng.random() < self.step_p \
                else None
        params["contrast_before"] = bool(rng.random() < 0.5)
        colour = 3 if s.image.ndim == 3 and s.image.shape[2] in (3, 4) else 1
        params["order"] = rng.permutation(colour).tolist() if rng.random() < self.step_p \
            else None
        return params

    def _check_params(self, params, c: int) -> dict:
        out = {}
        for name in STEPS:
            v = params.get(name)
            lo, hi = (-0.5, 0.5) if name == "hue" else (0.0, MAX_FACTOR)
            if v is not None and not (is_number(v) and lo <= v <= hi):
                raise value_error(self, "params", f"{name} {short_repr(v)} is not None or a "
                                  f"number in [{lo:g}, {hi:g}]")
            out[name] = None if v is None else float(v)
        order = params.get("order")
        colour = 3 if c in (3, 4) else 1
        if order is not None and sorted(int(i) for i in order) != list(range(colour)):
            raise value_error(self, "params", f"order {short_repr(order)} is not a permutation "
                              f"of the {colour} colour channels")
        out["order"] = order
        out["contrast_before"] = bool(params.get("contrast_before", True))
        return out

    def image(self, img, params):
        c = check_colour(img, self)
        q = self._check_params(params, c)
        out = img
        if q["brightness"] is not None:
            out = TV.brightness(out, q["brightness"])
        if q["contrast"] is not None and q["contrast_before"]:
            out = TV.contrast(out, q["contrast"])
        if q["saturation"] is not None:
            out = TV.saturation(out, q["saturation"])
        if q["hue"] is not None:
            out = TV.hue(out, q["hue"])
        if q["contrast"] is not None and not q["contrast_before"]:
            out = TV.contrast(out, q["contrast"])
        if q["order"] is not None and c in (3, 4):
            out = TV.permute(out, q["order"])
        return out.copy() if out is img else out.reshape(img.shape)
