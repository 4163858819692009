"""`SaltAndPepper`: random white and black pixels (albumentations' SaltAndPepper)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core import PixelOp, check_prob, check_range, integer, is_number, uniform
from ..functional import noise as N


def _pair(v):
    return (v, v) if is_number(v) else v


@dataclass(frozen=True)
class SaltAndPepper(PixelOp):
    """Turn a fraction `amount` of the pixels white (salt: 255 or 1.0) or black (pepper),
    every channel of a chosen pixel alike, with probability `p` (albumentations' default,
    0.5). `amount` and `salt_vs_pepper` (the salt share of the noisy pixels) are numbers or
    (low, high) ranges drawn uniformly per call; defaults as albumentations (0.01-0.06 and
    0.4-0.6). As albumentations: exactly ``int(H * W * amount)`` distinct pixels, the first
    ``int(n * salt_vs_pepper)`` salt. The pixels are drawn from
    ``numpy.random.default_rng(seed)``, the seed in the params."""

    # salt grains are bright pixels away from any blob: check_op's dot test (which follows
    # the brightest blob) would take them for moved pixels; targets are untouched anyway
    check_dot: ClassVar[bool] = False

    amount: float | tuple = (0.01, 0.06)
    salt_vs_pepper: float | tuple = (0.4, 0.6)
    p: float = 0.5

    def validate(self):
        check_range(self, "amount", _pair(self.amount), 0.0, 1.0)
        check_range(self, "salt_vs_pepper", _pair(self.salt_vs_pepper), 0.0, 1.0)
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"amount": 0.0, "salt": 0.0, "seed": 0}
        amount = uniform(rng, *map(float, _pair(self.amount)))
        salt = uniform(rng, *map(float, _pair(self.salt_vs_pepper)))
        return {"amount": amount, "salt": salt, "seed": integer(rng, 0, 2**32)}

    def image(self, img, params):
        if float(params["amount"]) == 0.0:
            return img.copy()
        salt, pepper = N.salt_pepper_masks(params["seed"], img.shape[:2],
                                           float(params["amount"]), float(params["salt"]))
        return N.salt_and_pepper(img, salt, pepper)
