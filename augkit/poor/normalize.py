"""`Normalize`: ``(x - mean) / std`` per channel, the end of a training pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core import PixelOp, is_number
from ..errors import short_repr, value_error
from ..functional import tone as T

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


MAX_MEAN = 10.0  # [0, 1] scale: 0-255 statistics (123.675, ...) are a mistake caught here
MIN_STD, MAX_STD = 1e-4, 100.0  # outputs stay finite and meaningful


def _values(op, field, v, positive: bool):
    vals = v if isinstance(v, tuple) else (v,)
    lo, hi = (MIN_STD, MAX_STD) if positive else (-MAX_MEAN, MAX_MEAN)
    if not (vals and len(vals) <= 1024 and all(is_number(x) and lo <= x <= hi for x in vals)):
        raise value_error(op, field, f"is {short_repr(v)}; expected a number in [{lo:g}, "
                          f"{hi:g}] or one per channel, on the [0, 1] scale (divide 0-255 "
                          "statistics by 255)")
    return vals


@dataclass(frozen=True)
class Normalize(PixelOp):
    """``(x - mean) / std`` per channel with `mean` and `std` on the [0, 1] scale (uint8
    images are divided by 255 first): torchvision's ``Normalize`` after ``ToDtype(float32,
    scale=True)``, albumentations' ``Normalize`` with ``max_pixel_value=255`` on uint8.
    Defaults are the ImageNet statistics. Output float32, unbounded: an end of pipeline step
    (``standardizes``), so it must come last and PIL images are refused, as `Whiten`.
    `mean` and `std` are one number (every channel) or one per channel, mean in [-10, 10] and
    std in [1e-4, 100] (0-255 statistics are refused: divide them by 255); a count that does
    not match the image is a typed error naming the shape. Deterministic: no `p`."""

    mean: float | tuple = IMAGENET_MEAN
    std: float | tuple = IMAGENET_STD

    standardizes: ClassVar[bool] = True

    def validate(self):
        _values(self, "mean", self.mean, positive=False)
        _values(self, "std", self.std, positive=True)

    @property
    def accepts_channels(self) -> tuple[int, ...] | None:
        """The channel count the per-channel values fix (any count for single values)."""
        n = max(len(v) if isinstance(v, tuple) else 1 for v in (self.mean, self.std))
        return None if n == 1 else (n,)

    def image(self, img, params):
        c = 1 if img.ndim == 2 else img.shape[2]
        what = "a grey image" if img.ndim == 2 else f"{c} channels"
        for field in ("mean", "std"):
            v = getattr(self, field)
            if isinstance(v, tuple) and len(v) not in (1, c):
                raise value_error(self, field, f"has {len(v)} values for an image of shape "
                                  f"{img.shape} ({what}); expected 1 or {c}")
        return T.normalize(img, self.mean, self.std)
