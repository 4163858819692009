"""`LongestMaxSize`: rescale, keeping the aspect ratio, so the longest side is `max_size`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ._max_size import _MaxSize


@dataclass(frozen=True)
class LongestMaxSize(_MaxSize):
    """Rescale so that the longest side equals `max_size`, keeping the aspect ratio (images
    smaller than that are enlarged, as albumentations does), with probability `p`
    (albumentations' default, 1.0; a skipped call keeps the size).

    `max_size` is an int or a list of ints, one drawn uniformly per call (default 1024, as
    albumentations 1.x). New sides are ``max(1, round(side * scale))`` with
    ``scale = max_size / max(H, W)`` (albumentations' rule, Python's round). The image is one
    ``cv2.resize`` (pixel-identical to albumentations at the same interpolation); masks are
    resized nearest, boxes and keypoints scaled by the exact per-axis factors of that resize
    (``new_W / W``, ``new_H / H``). albumentations' ``max_size_hw`` and
    ``area_for_downscale`` have no twin: pass ``interpolation="area"`` to downscale.
    """

    longest: ClassVar[bool] = True

    @classmethod
    def example(cls):
        return [cls(max_size=24), cls(max_size=(8, 20, 40), interpolation="nearest", p=0.7)]
