"""`Transpose`: swap rows and columns (albumentations' Transpose)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import GeometricOp, check_prob
from ..functional import dihedral as D
from ._dihedral import apply_element


@dataclass(frozen=True)
class Transpose(GeometricOp):
    """Reflect over the main diagonal (``out[y, x] = in[x, y]``, height and width swap) with
    probability `p` (albumentations' default, 0.5). Pixels move exactly; masks, boxes and
    keypoints with them (a keypoint (x, y) becomes (y, x))."""

    p: float = 0.5

    def validate(self):
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        return {"transpose": bool(rng.random() < self.p)}

    def _element(self, params):
        return "t" if params["transpose"] else "e"

    def out_size(self, params, size):
        return D.out_size(self._element(params), size)

    def matrix(self, params, size):
        return D.matrix(self._element(params), size)

    def _warp_only(self, img, params):
        return D.image(img, "t") if params["transpose"] else img[:]

    def apply(self, s, params):
        # an exact copy for image and mask on every path (see augkit/poor/_dihedral.py)
        return apply_element(s, self._element(params))
