"""`SmallestMaxSize`: rescale, keeping the aspect ratio, so the shortest side is `max_size`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._max_size import _MaxSize


@dataclass(frozen=True)
class SmallestMaxSize(_MaxSize):
    """Rescale so that the shortest side equals `max_size`, keeping the aspect ratio, with
    probability `p` (albumentations' default, 1.0). ``scale = max_size / min(H, W)``; new
    sides ``max(1, round(side * scale))`` (albumentations' rule; torchvision's
    ``Resize(int)`` truncates the long side instead of rounding it, so the two can differ
    by one pixel there). Otherwise as `LongestMaxSize`."""

    longest: ClassVar[bool] = False

    @classmethod
    def example(cls):
        return [cls(max_size=24), cls(max_size=(8, 20, 40), interpolation="nearest", p=0.7)]
