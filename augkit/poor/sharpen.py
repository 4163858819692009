"""`Sharpen`: albumentations' unsharp kernel (beside the PIL-defined `Sharpness`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import PixelOp, check_prob, check_range, is_number, uniform
from ..functional import tone as T

MAX_LIGHTNESS = 100.0


def _pair(v):
    return (v, v) if is_number(v) else v


@dataclass(frozen=True)
class Sharpen(PixelOp):
    """Sharpen with albumentations' kernel, with probability `p` (albumentations' default,
    0.5): ``(1 - alpha) * identity + alpha * L``, L the 3x3 kernel of -1s around
    ``8 + lightness``, correlated with every channel (reflect-101 border). `alpha` (the
    blend, in [0, 1]) and `lightness` are numbers or (low, high) ranges drawn uniformly;
    defaults as albumentations ((0.2, 0.5), (0.5, 1.0)). uint8 results are rounded and
    saturated, float32 ones clipped to [0, 1]. albumentations' ``method="gaussian"`` has no
    twin. `Sharpness` (augkit.photometric) is PIL's ImageEnhance.Sharpness instead."""

    alpha: float | tuple = (0.2, 0.5)
    lightness: float | tuple = (0.5, 1.0)
    p: float = 0.5

    def validate(self):
        check_range(self, "alpha", _pair(self.alpha), 0.0, 1.0)
        check_range(self, "lightness", _pair(self.lightness), 0.0, MAX_LIGHTNESS)
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"alpha": 0.0, "lightness": 0.0}
        return {"alpha": uniform(rng, *map(float, _pair(self.alpha))),
                "lightness": uniform(rng, *map(float, _pair(self.lightness)))}

    def image(self, img, params):
        alpha = float(params["alpha"])
        if alpha == 0.0:
            return img.copy()
        return T.filter3x3(img, T.sharpen_kernel(alpha, float(params["lightness"])))
