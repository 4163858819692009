"""`RandomGamma`: a random gamma curve (albumentations' RandomGamma)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import PixelOp, check_prob, check_range, is_number, uniform
from ..errors import value_error
from ..functional import tone as T

MAX_GAMMA = 100.0


@dataclass(frozen=True)
class RandomGamma(PixelOp):
    """Raise every value (on the [0, 1] scale) to a power drawn uniformly from `gamma`
    (a number fixes it), with probability `p` (albumentations' default, 0.5). The exponent is
    given directly: albumentations' ``gamma_limit=(80, 120)`` (percent) is
    ``gamma=(0.8, 1.2)``, the default. uint8 images use a table rounded to the nearest level
    (albumentations truncates: within one level). Any channel count; alpha too."""

    gamma: float | tuple = (0.8, 1.2)
    p: float = 0.5

    def validate(self):
        r = (self.gamma, self.gamma) if is_number(self.gamma) else self.gamma
        check_range(self, "gamma", r, 0.0, MAX_GAMMA)
        if r[0] <= 0:
            raise value_error(self, "gamma", f"is {self.gamma!r}; expected exponents in (0, "
                              f"{MAX_GAMMA:g}]")
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"gamma": 1.0}
        lo, hi = (self.gamma, self.gamma) if is_number(self.gamma) else self.gamma
        return {"gamma": uniform(rng, float(lo), float(hi))}

    def image(self, img, params):
        g = float(params["gamma"])
        return img.copy() if g == 1.0 else T.gamma(img, g)
