"""`D4`: a random symmetry of the square (albumentations' D4)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import check_prob, integer
from ..errors import short_repr, value_error
from ..functional import dihedral as D
from ._dihedral import DihedralOp


@dataclass(frozen=True)
class D4(DihedralOp):
    """One of the 8 symmetries of the square, drawn uniformly, with probability `p`
    (albumentations' default, 1.0; a skipped call is the identity ``e``): identity, the
    three quarter turns (counter-clockwise, ``r90``, ``r180``, ``r270``), the two flips
    (``v``, ``h``) and the two diagonal reflections (``t``, ``hvt``). The params are
    ``{"group_element": name}`` with albumentations' names, so recorded draws replay across
    the two libraries. Meant for square images (aerial, microscopy); on others, half the
    elements swap height and width. Pixels, masks, boxes and keypoints move exactly.
    """

    p: float = 1.0

    def validate(self):
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        if rng.random() < self.p:
            return {"group_element": D.ELEMENTS[integer(rng, 0, 8)]}
        return {"group_element": "e"}

    def _element(self, params):
        e = params.get("group_element")
        if e not in D.ELEMENTS:
            raise value_error(self, "params", f"group_element is {short_repr(e)}; expected one "
                              f"of {D.ELEMENTS}")
        return e
