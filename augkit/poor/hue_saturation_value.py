"""`HueSaturationValue`: shifts in OpenCV's HSV (albumentations' HueSaturationValue)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..checks import symmetric
from ..core import PixelOp, check_prob, check_range, uniform
from ..functional import albu_pixel as AP
from ..functional.color import check_colour

_FIELDS = (("hue_shift_limit", "hue", 180.0), ("sat_shift_limit", "sat", 255.0),
           ("val_shift_limit", "val", 255.0))


@dataclass(frozen=True)
class HueSaturationValue(PixelOp):
    """Shift hue, saturation and value by amounts drawn uniformly from the three limits, with
    probability `p` (albumentations' default, 0.5). The units are albumentations' (OpenCV's
    uint8 HSV): hue in [0, 180) steps (one step is 2 degrees, shifts wrap around), saturation
    and value in levels of 255. A number d means (-d, d); defaults as albumentations
    (20, 30, 20). The shifts act in whole levels, as albumentations: hue
    ``floor((H + shift) mod 180)``, saturation and value ``int(shift)`` (toward zero) added
    and saturated; grey pixels (S = 0) stay grey. float32 images go through uint8 as
    albumentations' (``rint(x * 255)``, then ``/ 255``: the result is on 256 levels). Grey
    images take the value shift only (albumentations warns and ignores the other two); RGBA
    keeps its alpha; other channel counts are a typed error. Params ``{"hue", "sat",
    "val"}``: the drawn shifts."""

    accepts_channels: ClassVar[tuple[int, ...]] = (0, 1, 3, 4)  # grey, RGB, RGBA

    hue_shift_limit: float | tuple = 20
    sat_shift_limit: float | tuple = 30
    val_shift_limit: float | tuple = 20
    p: float = 0.5

    def validate(self):
        for field, _, bound in _FIELDS:
            check_range(self, field, symmetric(getattr(self, field), self, field), -bound,
                        bound)
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"hue": 0.0, "sat": 0.0, "val": 0.0}
        out = {}
        for field, key, _ in _FIELDS:
            lo, hi = symmetric(getattr(self, field), self, field)
            out[key] = uniform(rng, float(lo), float(hi))
        return out

    def image(self, img, params):
        check_colour(img, self)
        h, s, v = (float(params[k]) for k in ("hue", "sat", "val"))
        if h == 0 and s == 0 and v == 0:
            return img.copy()
        return AP.via_uint8(AP.shift_hsv, img, h, s, v)
