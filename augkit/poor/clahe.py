"""`CLAHE`: contrast-limited adaptive histogram equalisation (albumentations' CLAHE)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core import PixelOp, check_prob, check_range, is_number, uniform
from ..errors import short_repr, value_error
from ..functional import albu_pixel as AP
from ..functional.color import check_colour

MAX_CLIP = 1000.0
MAX_TILES = 256


def _pair(v):
    return (v, v) if is_number(v) else v


@dataclass(frozen=True)
class CLAHE(PixelOp):
    """OpenCV's CLAHE with a clip limit drawn uniformly from `clip_limit` (a number fixes
    it; limits in [1, 1000], as albumentations), with probability `p` (albumentations'
    default, 0.5): on the L channel of OpenCV's
    LAB for RGB, directly on grey, as albumentations; RGBA keeps its alpha, other channel
    counts are a typed error. The default (1, 4) is albumentations' default ``clip_limit=4``,
    which albumentations reads as (1, 4): here a number is the limit itself.
    `tile_grid_size` is passed to OpenCV's ``tileGridSize`` as albumentations passes it.
    float32 images go through uint8 as albumentations' (``rint(x * 255)``, then ``/ 255``):
    CLAHE is a histogram method on 256 levels. Params ``{"clip_limit": c}`` (0: skipped)."""

    accepts_channels: ClassVar[tuple[int, ...]] = (0, 1, 3, 4)  # grey, RGB, RGBA

    clip_limit: float | tuple = (1.0, 4.0)
    tile_grid_size: tuple = (8, 8)
    p: float = 0.5

    def validate(self):
        check_range(self, "clip_limit", _pair(self.clip_limit), 1.0, MAX_CLIP)
        g = self.tile_grid_size
        if not (isinstance(g, tuple) and len(g) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_TILES
                for v in g)):
            raise value_error(self, "tile_grid_size", f"is {short_repr(g)}; expected two ints "
                              f"in [1, {MAX_TILES}]")
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"clip_limit": 0.0}
        lo, hi = _pair(self.clip_limit)
        return {"clip_limit": uniform(rng, float(lo), float(hi))}

    def image(self, img, params):
        check_colour(img, self)
        c = float(params["clip_limit"])
        if c == 0.0:
            return img.copy()
        return AP.via_uint8(AP.clahe, img, c, self.tile_grid_size)
