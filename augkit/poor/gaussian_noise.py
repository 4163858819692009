"""`GaussianNoise`: additive Gaussian noise (albumentations' GaussNoise, torchvision's
GaussianNoise)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core import PixelOp, check_bool, check_prob, check_range, integer, is_number, uniform
from ..functional import noise as N

MAX_STD = 10.0  # in [0, 1] units: far past the point where every pixel saturates


def _pair(v):
    return (v, v) if is_number(v) else v


@dataclass(frozen=True)
class GaussianNoise(PixelOp):
    """Add ``mean + std * N(0, 1)`` noise, with probability `p` (albumentations' default, 0.5).

    `std` and `mean` are on the [0, 1] scale of the image's range (a fraction of 255 for
    uint8, as albumentations' ``std_range`` / ``mean_range`` and torchvision's ``sigma`` /
    ``mean``); each is a number or a (low, high) range drawn uniformly per call. Defaults are
    albumentations': std in (0.2, 0.44), mean 0. ``per_channel=False`` adds the same value to
    every channel of a pixel. Results are clipped to the valid range (torchvision's
    ``clip=True``), uint8 rounded to the nearest level. The noise is drawn by OpenCV's
    ``cv2.randn`` seeded with the seed in the params (per thread), so a call replays exactly
    within an OpenCV version; albumentations' ``noise_scale_factor`` (noise drawn at a lower
    resolution) has no twin.
    """

    # strong noise makes bright specks away from any blob: check_op's dot test (which
    # follows the brightest blob) would take them for moved pixels; targets are untouched
    check_dot: ClassVar[bool] = False

    std: float | tuple = (0.2, 0.44)
    mean: float | tuple = 0.0
    per_channel: bool = True
    p: float = 0.5

    def validate(self):
        check_range(self, "std", _pair(self.std), 0.0, MAX_STD)
        check_range(self, "mean", _pair(self.mean), -1.0, 1.0)
        check_bool(self, "per_channel", self.per_channel)
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"std": 0.0, "mean": 0.0, "seed": 0}
        std = uniform(rng, *map(float, _pair(self.std)))
        mean = uniform(rng, *map(float, _pair(self.mean)))
        return {"std": std, "mean": mean, "seed": integer(rng, 0, 2**31)}

    def image(self, img, params):
        std, mean = float(params["std"]), float(params["mean"])
        if std == 0.0 and mean == 0.0:
            return img.copy()
        noise = N.gaussian_noise_map(params["seed"], img.shape, mean, std, self.per_channel)
        return N.add_noise(img, noise)
