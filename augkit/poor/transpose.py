"""`Transpose`: swap rows and columns (albumentations' Transpose)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import check_prob
from ._dihedral import DihedralOp


@dataclass(frozen=True)
class Transpose(DihedralOp):
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
