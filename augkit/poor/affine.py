"""Scale, translation, rotation and shear, each a single matrix about the image centre.

Every op here takes ``border`` (`functional.geometry.BORDERS`): "constant" (the default)
paints `fill` / `mask_fill` where the warp uncovers pixels; "reflect", "reflect101",
"replicate" and "wrap" extend the image and the mask as OpenCV's border types of those
names do (docs/ops-poor.md, "Border modes"). Boxes and keypoints move with the matrix only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core import GeometricOp, symmetric, uniform
from ..errors import value_error
from ..functional import geometry as G
from ..functional import matrices as M
from ._common import check_warp_fields, range_of


def _centre(size):
    return size[1] / 2.0, size[0] / 2.0


@dataclass(frozen=True)
class Rotate(GeometricOp):
    """Rotate about the centre by an angle drawn uniformly from `degrees` (a number d means
    (-d, d)); positive angles turn counter-clockwise on screen, as in PIL and OpenCV."""

    degrees: float | tuple = (-30.0, 30.0)
    interpolation: str = "linear"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        range_of(self, "degrees", symmetric(self.degrees, self, "degrees"))
        check_warp_fields(self)

    def sample(self, rng, s):
        return {"angle": uniform(rng, *symmetric(self.degrees, self, "degrees"))}

    def matrix(self, params, size):
        return G.rotation(params["angle"], _centre(size))

    def batch_draw_count(self):
        return 1

    def batch_params(self, u):
        return {"angle": M.uniform_column(u[:, 0], symmetric(self.degrees, self, "degrees"))}

    def batch_matrices(self, cols, size, n):
        return M.rotations(cols["angle"], _centre(size))


@dataclass(frozen=True)
class Scale(GeometricOp):
    """Zoom about the centre by a factor drawn from `scale`; the output keeps the input size.
    `keep_aspect=False` draws the x and y factors independently."""

    scale: tuple = (0.9, 1.1)
    keep_aspect: bool = True
    interpolation: str = "linear"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        lo, _ = range_of(self, "scale", self.scale)
        if lo <= 0:
            raise value_error(self, "scale", f"is {self.scale!r}; expected factors > 0")
        check_warp_fields(self)

    def sample(self, rng, s):
        sx = uniform(rng, *self.scale)
        sy = sx if self.keep_aspect else uniform(rng, *self.scale)
        return {"sx": sx, "sy": sy}

    def matrix(self, params, size):
        return G.scaling(params["sx"], params["sy"], _centre(size))

    def batch_draw_count(self):
        return 1 if self.keep_aspect else 2

    def batch_params(self, u):
        sx = M.uniform_column(u[:, 0], self.scale)
        return {"sx": sx, "sy": sx if self.keep_aspect else M.uniform_column(u[:, 1], self.scale)}

    def batch_matrices(self, cols, size, n):
        return M.scalings(cols["sx"], cols["sy"], _centre(size))


@dataclass(frozen=True)
class Translate(GeometricOp):
    """Shift by offsets drawn from `x` and `y`: fractions of the width/height by default,
    pixels with ``unit="pixels"`` (integer pixel shifts take an exact copy path)."""

    x: tuple = (-0.1, 0.1)
    y: tuple = (-0.1, 0.1)
    unit: str = "fraction"
    interpolation: str = "linear"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        range_of(self, "x", self.x)
        range_of(self, "y", self.y)
        if self.unit not in ("fraction", "pixels"):
            raise value_error(self, "unit", f"is {self.unit!r}; expected 'fraction' or 'pixels'")
        check_warp_fields(self)

    def sample(self, rng, s):
        return {"dx": uniform(rng, *self.x), "dy": uniform(rng, *self.y)}

    def matrix(self, params, size):
        if self.unit == "pixels":
            return G.translation(params["dx"], params["dy"])
        return G.translation(params["dx"] * size[1], params["dy"] * size[0])

    def batch_draw_count(self):
        return 2

    def batch_params(self, u):
        return {"dx": M.uniform_column(u[:, 0], self.x), "dy": M.uniform_column(u[:, 1], self.y)}

    def batch_matrices(self, cols, size, n):
        if self.unit == "pixels":
            return M.translations(cols["dx"], cols["dy"])
        return M.translations(cols["dx"] * size[1], cols["dy"] * size[0])


@dataclass(frozen=True)
class Shear(GeometricOp):
    """Shear about the centre by angles (degrees) drawn from `x` and `y`."""

    x: float | tuple = (-10.0, 10.0)
    y: float | tuple = (0.0, 0.0)
    interpolation: str = "linear"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        range_of(self, "x", symmetric(self.x, self, "x"), -89.0, 89.0)
        range_of(self, "y", symmetric(self.y, self, "y"), -89.0, 89.0)
        check_warp_fields(self)

    def sample(self, rng, s):
        return {"sx": uniform(rng, *symmetric(self.x, self, "x")),
                "sy": uniform(rng, *symmetric(self.y, self, "y"))}

    def matrix(self, params, size):
        return G.shearing(params["sx"], params["sy"], _centre(size))

    def batch_draw_count(self):
        return 2

    def batch_params(self, u):
        return {"sx": M.uniform_column(u[:, 0], symmetric(self.x, self, "x")),
                "sy": M.uniform_column(u[:, 1], symmetric(self.y, self, "y"))}

    def batch_matrices(self, cols, size, n):
        return M.shearings(cols["sx"], cols["sy"], _centre(size))


@dataclass(frozen=True)
class Affine(GeometricOp):
    """Rotation, scale, shear and translation in one warp (torchvision's RandomAffine).

    degrees: angle range (d means (-d, d)); translate: maximum |shift| as fractions of
    (width, height); scale: factor range; shear: x-shear range in degrees (d means (-d, d)).
    Composition order: scale and shear, then rotation, all about the centre, then the shift.
    """

    degrees: float | tuple = 0.0
    translate: tuple = (0.0, 0.0)
    scale: tuple = (1.0, 1.0)
    shear: float | tuple = 0.0
    interpolation: str = "linear"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        range_of(self, "degrees", symmetric(self.degrees, self, "degrees"))
        tx, ty = range_of(self, "translate", self.translate, 0.0, 1.0)
        lo, _ = range_of(self, "scale", self.scale)
        if lo <= 0:
            raise value_error(self, "scale", f"is {self.scale!r}; expected factors > 0")
        range_of(self, "shear", symmetric(self.shear, self, "shear"), -89.0, 89.0)
        check_warp_fields(self)

    def sample(self, rng, s):
        tx, ty = self.translate
        return {"angle": uniform(rng, *symmetric(self.degrees, self, "degrees")),
                "dx": uniform(rng, -tx, tx), "dy": uniform(rng, -ty, ty),
                "scale": uniform(rng, *self.scale),
                "shear": uniform(rng, *symmetric(self.shear, self, "shear"))}

    def matrix(self, params, size):
        # translation @ rotation @ shearing @ scaling (all about the centre c), written out:
        # one array instead of four and three matrix products (equal up to float rounding).
        cx, cy = _centre(size)
        a = math.radians(params["angle"])
        co, si, t, k = math.cos(a), math.sin(a), math.tan(math.radians(params["shear"])), \
            params["scale"]
        a00, a01, a10, a11 = k * co, k * (co * t + si), -k * si, k * (co - si * t)
        return np.array([[a00, a01, cx - a00 * cx - a01 * cy + params["dx"] * size[1]],
                         [a10, a11, cy - a10 * cx - a11 * cy + params["dy"] * size[0]],
                         [0.0, 0.0, 1.0]])

    def batch_draw_count(self):
        return 5

    def batch_params(self, u):
        tx, ty = self.translate
        return {"angle": M.uniform_column(u[:, 0], symmetric(self.degrees, self, "degrees")),
                "dx": M.uniform_column(u[:, 1], (-tx, tx)),
                "dy": M.uniform_column(u[:, 2], (-ty, ty)),
                "scale": M.uniform_column(u[:, 3], self.scale),
                "shear": M.uniform_column(u[:, 4], symmetric(self.shear, self, "shear"))}

    def batch_matrices(self, cols, size, n):
        return M.affines(cols["angle"], cols["shear"], cols["scale"], cols["dx"], cols["dy"],
                         size)
