"""`DihedralOp`, the shared base of `RandomRotate90`, `Transpose` and `D4`: each draws one
element of the square's symmetry group (`_element(params)`), and the base moves pixels and
masks by an exact copy (no interpolation), boxes and keypoints by the element's matrix.

The general warp of a quarter-turn matrix is exact for uint8 and up to 4 channels, but
OpenCV's float path for more channels drifts by an ulp; these ops therefore move image and
mask with `functional.dihedral.image` on every path (they are then not fused into a `Seq`
warp: each runs as its own exact step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import GeometricOp
from ..functional import dihedral as D
from ..functional import geometry as G
from ..sample import Sample


def apply_element(s: Sample, element: str) -> Sample:
    if s.mask is None and s.boxes is None and s.keypoints is None:
        return s.replace(image=D.image(s.image, element))
    size = s.size
    m, out = D.matrix(element, size), D.out_size(element, size)
    changes = {"image": D.image(s.image, element)}
    if s.mask is not None:
        changes["mask"] = D.image(s.mask, element)
    if s.boxes is not None:
        changes["boxes"] = G.warp_boxes(np.asarray(s.boxes), m, out)
    if s.keypoints is not None:
        changes["keypoints"] = G.warp_keypoints(np.asarray(s.keypoints), m, out)
    return s.replace(**changes)


@dataclass(frozen=True)
class DihedralOp(GeometricOp):
    """Implement `sample` and ``_element(params) -> name`` (`functional.dihedral.ELEMENTS`)."""

    register: ClassVar[bool] = False  # a base: its subclasses are registered

    def _element(self, params) -> str:
        raise NotImplementedError(f"{type(self).__name__}._element")

    def out_size(self, params, size):
        return D.out_size(self._element(params), size)

    def matrix(self, params, size):
        return D.matrix(self._element(params), size)

    def _warp_only(self, img, params):
        return D.image(img, self._element(params))

    def apply(self, s, params):
        # an exact copy for image and mask on every path (see the module docstring)
        return apply_element(s, self._element(params))
