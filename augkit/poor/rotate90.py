"""`RandomRotate90`: a random number of quarter turns (albumentations' RandomRotate90)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import check_prob, integer
from ._dihedral import DihedralOp

_TURNS = ("e", "r90", "r180", "r270")


@dataclass(frozen=True)
class RandomRotate90(DihedralOp):
    """Rotate by 0, 90, 180 or 270 degrees counter-clockwise (on screen, as ``np.rot90``),
    drawn uniformly, with probability `p` (albumentations' default, 1.0; a skipped call is
    the 0-turn). Odd turns swap height and width. Pixels move exactly (no interpolation);
    masks, boxes and keypoints move exactly with them (the matrix has entries 0, +-1 and the
    image sides). The params are ``{"factor": k}``, albumentations' name for the turn count.
    """

    p: float = 1.0

    def validate(self):
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        return {"factor": integer(rng, 0, 4) if rng.random() < self.p else 0}

    def _element(self, params):
        return _TURNS[int(params["factor"]) % 4]
