"""The shared `apply` of `RandomRotate90`, `Transpose` and `D4`: pixels and masks moved by
an exact copy (no interpolation), boxes and keypoints by the element's matrix.

The general warp of a quarter-turn matrix is exact for uint8 and up to 4 channels, but
OpenCV's float path for more channels drifts by an ulp; these ops therefore move image and
mask with `functional.dihedral.image` on every path (they are then not fused into a `Seq`
warp: each runs as its own exact step).
"""

from __future__ import annotations

import numpy as np

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
