"""`BBoxSafeCrop`: a random crop that keeps every box whole (albumentations'
BBoxSafeRandomCrop, and RandomSizedBBoxSafeCrop with a `size`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import GeometricOp, check_number, check_prob, integer
from ..errors import value_error
from ..functional import geometry as G
from ._common import as_hw, check_size, check_warp_fields


@dataclass(frozen=True)
class BBoxSafeCrop(GeometricOp):
    """Crop a random window that contains every box of the sample, with probability `p`
    (albumentations' default, 1.0), then resize it to `size` when given (None: keep the
    crop's size, as BBoxSafeRandomCrop; a size: RandomSizedBBoxSafeCrop).

    With boxes: the window's left edge is drawn uniformly from the integer columns at or
    left of the boxes' union (``0 .. floor(x_min)``), its right edge from those at or right
    of it (``ceil(x_max) .. W``), and likewise for rows, so no box is cut. `erosion_rate`
    (in [0, 1)) first shrinks the union towards its centre by that fraction of its width and
    height, allowing crops that cut up to that much of the outer boxes (albumentations'
    meaning). Without boxes: a window whose sides are drawn from ``[(1 - erosion_rate) * side,
    side]`` at a random position (albumentations' rule). Masks and keypoints follow; the
    image is resized with `interpolation`.
    """

    samples_targets: ClassVar[bool] = True  # its draws read the boxes

    size: int | tuple | None = None
    erosion_rate: float = 0.0
    interpolation: str = "linear"
    p: float = 1.0

    def validate(self):
        if self.size is not None:
            check_size(self, "size", self.size)
        check_number(self, "erosion_rate", self.erosion_rate, 0.0, 1.0)
        if self.erosion_rate == 1.0:
            raise value_error(self, "erosion_rate", "is 1.0; expected a fraction in [0, 1)")
        check_warp_fields(self)
        check_prob(self, "p", self.p)

    @classmethod
    def example(cls):
        return [cls(), cls(size=(16, 12), erosion_rate=0.2, p=0.8)]

    def sample(self, rng, s):
        h, w = s.size
        if not rng.random() < self.p:
            return {"top": 0, "left": 0, "height": h, "width": w}
        boxes = None if s.boxes is None else np.asarray(s.boxes, np.float64)
        if boxes is None or len(boxes) == 0:
            ch = integer(rng, min(h, math.ceil((1 - self.erosion_rate) * h)), h + 1)
            cw = integer(rng, min(w, math.ceil((1 - self.erosion_rate) * w)), w + 1)
            return {"top": integer(rng, 0, h - ch + 1), "left": integer(rng, 0, w - cw + 1),
                    "height": ch, "width": cw}
        x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
        x1, y1 = boxes[:, 2].max(), boxes[:, 3].max()
        ex, ey = (x1 - x0) * self.erosion_rate / 2, (y1 - y0) * self.erosion_rate / 2
        x0, x1, y0, y1 = x0 + ex, x1 - ex, y0 + ey, y1 - ey
        left = integer(rng, 0, min(w - 1, max(0, math.floor(x0))) + 1)
        top = integer(rng, 0, min(h - 1, max(0, math.floor(y0))) + 1)
        right = integer(rng, min(w, max(left + 1, math.ceil(x1))), w + 1)
        bottom = integer(rng, min(h, max(top + 1, math.ceil(y1))), h + 1)
        return {"top": top, "left": left, "height": bottom - top, "width": right - left}

    def out_size(self, params, size):
        return as_hw(self.size) if self.size is not None else (params["height"],
                                                               params["width"])

    def matrix(self, params, size):
        oh, ow = self.out_size(params, size)
        return G.scaling(ow / params["width"], oh / params["height"]) @ G.translation(
            -params["left"], -params["top"])
