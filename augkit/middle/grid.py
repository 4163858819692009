"""`GridDistortion`: stretch and squeeze the image along a coarse grid (albumentations-like)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core import check_int, symmetric
from ..displacement import DisplacementOp
from ..errors import value_error
from ..functional import distort as D
from ..poor._common import range_of

MAX_STEPS = 1024  # grid cells per axis


@dataclass(frozen=True)
class GridDistortion(DisplacementOp):
    """Cut each axis into `num_steps` equal cells and give cell k a source width of
    ``1 + u_k`` cells, u_k uniform in `distort_limit` (a number d means (-d, d)), as
    albumentations' GridDistortion does. augkit always normalises the widths so the image maps
    onto itself (albumentations' ``normalized=True``): nothing is pushed out of the frame.

    The map is separable and monotone, so keypoints and box outlines move by its exact
    inverse. Image: `interpolation`; mask: nearest; `fill` / `mask_fill` (or the image
    extended by ``border``, `functional.geometry.BORDERS`) are used only where interpolation
    reaches past the border. `num_steps` goes up to 1024.
    """

    tier: ClassVar[str] = "middle"

    num_steps: int = 5
    distort_limit: float | tuple = (-0.3, 0.3)
    interpolation: str = "linear"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        check_int(self, "num_steps", self.num_steps, 1, MAX_STEPS)
        lo, hi = range_of(self, "distort_limit",
                          symmetric(self.distort_limit, self, "distort_limit"))
        if lo <= -1.0 or hi >= 1.0:
            raise value_error(self, "distort_limit", f"is {self.distort_limit!r}; expected "
                              "values in (-1, 1) so every cell keeps a positive width")
        self.check_warp_fields()

    def sample(self, rng, s):
        lo, hi = symmetric(self.distort_limit, self, "distort_limit")
        n = self.num_steps
        return {"xsteps": [1.0 + float(v) for v in rng.uniform(lo, hi, n)],
                "ysteps": [1.0 + float(v) for v in rng.uniform(lo, hi, n)]}

    def geometry(self, params, size):
        xs, ys = params["xsteps"], params["ysteps"]
        map_x, map_y = D.grid_maps(xs, ys, size)
        return map_x, map_y, lambda pts: D.grid_forward(xs, ys, size, pts)
