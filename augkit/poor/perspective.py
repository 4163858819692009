"""`Perspective`: a random four-point perspective warp (albumentations' Perspective)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core import MAX_SIDE, GeometricOp, check_bool, uniform
from ..errors import value_error
from ..functional import geometry as G
from ._common import check_warp_fields, range_of

JITTER_MAX = 0.32  # albumentations folds |N(0, scale)| into [0, 0.32) of a side


def _half_shift(m: np.ndarray) -> np.ndarray:
    """OpenCV's pixel-index matrix -> augkit's edge coordinates: T(+0.5) @ m @ T(-0.5),
    written out (two 3x3 products cost more than the rest of the draw)."""
    e = np.array(m, np.float64)
    e[:, 2] -= 0.5 * (e[:, 0] + e[:, 1])
    e[:2] += 0.5 * e[2]
    return e


_SIDE_TO, _SIDE_FROM = np.array([1, 2, 2, 3]), np.array([0, 3, 1, 0])  # tr-tl, br-bl, ...


def _stretch(a: np.ndarray, b: np.ndarray) -> np.float32:
    """The length of side a-b; a side shorter than 2 px is pushed apart to 2 px along each
    axis, in place, as albumentations 2.0.8 does (only images of a few pixels have one)."""
    size = np.sqrt(np.sum((a - b) ** 2))
    if size < 2:
        step = (2 - size) / 2
        for i in range(2):  # each statement tests the values the previous one left
            if a[i] > b[i]:
                a[i] += step
            if a[i] > b[i]:
                b[i] -= step
            if a[i] <= b[i]:
                a[i] -= step
            if a[i] <= b[i]:
                b[i] += step
        size = 2
    return size


def perspective_geometry(corners, size, keep_size: bool, fit_output: bool):
    """(OpenCV pixel-index matrix, (out_h, out_w)) of albumentations 2.0.8's Perspective for
    the four drawn corners (tl, tr, br, bl; pixel coordinates) of an image of `size`."""
    return _geometry(tuple(float(v) for c in corners for v in c), tuple(size), keep_size,
                     fit_output)


@lru_cache(maxsize=8)  # `matrix` and `out_size` of one call ask for the same corners
def _geometry(corners: tuple, size: tuple, keep_size: bool, fit_output: bool):
    import cv2

    h, w = size
    pts = np.array(corners, np.float32).reshape(4, 2)
    # the sides tr-tl, br-bl, br-tr, bl-tl (float32, as albumentations measures them)
    d = pts[_SIDE_TO] - pts[_SIDE_FROM]
    sides = np.sqrt((d * d).sum(axis=1))
    if sides.min() >= 2:
        max_w, max_h = int(max(sides[0], sides[1])), int(max(sides[2], sides[3]))
    else:  # a side under 2 px (an image of a few pixels): stretched in place, in order
        tl, tr, br, bl = pts  # views into `pts`
        max_w = int(max(_stretch(tr, tl), _stretch(br, bl)))
        max_h = int(max(_stretch(br, tr), _stretch(bl, tl)))
    rect = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(pts, rect)
    if fit_output:
        quad = cv2.perspectiveTransform(rect[None], m)[0]
        quad -= quad.min(axis=0, keepdims=True)
        quad = np.around(quad, decimals=0)
        fw, fh = (int(v) for v in quad.max(axis=0))
        fitted = cv2.getPerspectiveTransform(rect, quad) if fw >= 1 and fh >= 1 else None
        # an image of a pixel or two can round the fitted quad flat: it is warped unfitted
        if fitted is not None and np.isfinite(fitted).all() and abs(np.linalg.det(fitted)) > 1e-12:
            m, max_w, max_h = fitted, fw, fh
    if keep_size:  # diag(W / max_w, H / max_h, 1) @ m, written out
        m[0] *= w / max_w
        m[1] *= h / max_h
        out = (h, w)
    else:
        out = (max_h, max_w)
    edge = _half_shift(m)
    m.flags.writeable = False
    edge.flags.writeable = False
    return m, out, edge


@dataclass(frozen=True)
class Perspective(GeometricOp):
    """Random four-point perspective, as albumentations 2.0.8's ``Perspective``: each image
    corner moves inward by ``|N(0, s)|`` of the side (folded into [0, 0.32) by a modulo), s
    uniform in `scale` (a number x means (0, x)), and the quad of the four moved corners is
    stretched onto the image. `keep_size` (default True) then rescales to the input size by
    albumentations' rule (the homography is multiplied by ``diag(W / max_w, H / max_h)``,
    max_w / max_h the longer of the quad's opposite sides: the quad fills more than the
    frame, which zooms in a little further; same pixels as albumentations). With
    ``keep_size=False`` the output is max_h x max_w. `fit_output` moves and enlarges the
    frame so that the whole warped image stays in it (then, with `keep_size`, resized back).

    One 3x3 homography moves image (`interpolation`, `fill`), mask (nearest, `mask_fill`),
    boxes (enclosing box of the four moved corners: exact for a projective map, which keeps
    lines straight) and keypoints (projective division): it fuses with the other geometric
    ops in a `Seq` and takes the batched path. `border`: see docs/ops-poor.md.

    torchvision's ``RandomPerspective(distortion_scale=d)`` goes the other way: it moves each
    corner inward by a uniform whole number of pixels in [0, d * side / 2] and squeezes the
    image into that quad, leaving `fill` around it. A corner displacement of similar size
    needs ``scale ~ 0.31 * d`` (the mean of |N(0, s)| is 0.8 s, that of the uniform d / 4):
    torchvision's default d = 0.5 is about ``scale=0.16``; the look of its uncovered border
    is closest to ``fit_output=True``.
    """

    scale: float | tuple = (0.05, 0.1)
    keep_size: bool = True
    fit_output: bool = False
    interpolation: str = "linear"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        self._scale()
        check_bool(self, "keep_size", self.keep_size)
        check_bool(self, "fit_output", self.fit_output)
        check_warp_fields(self)  # interpolation, fill, mask_fill and border

    @classmethod
    def example(cls):
        return [cls(), cls(scale=0.15, fit_output=True, interpolation="nearest", fill=0.5,
                           mask_fill=3),
                cls(scale=(0.02, 0.08), keep_size=False, interpolation="cubic")]

    def _scale(self) -> tuple[float, float]:
        v = self.scale
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = (0.0, v)
        return range_of(self, "scale", v, 0.0, 1.0)

    def sample(self, rng, s):
        h, w = s.size
        v = self.scale  # validated: a number x, or (lo, hi)
        lo, hi = (0.0, v) if isinstance(v, (int, float)) else v
        jitter = np.mod(np.abs(rng.normal(0.0, uniform(rng, lo, hi), (4, 2))), JITTER_MAX)
        jitter[1, 0] = 1.0 - jitter[1, 0]  # tl, tr, br, bl as fractions of (W, H)
        jitter[2] = 1.0 - jitter[2]
        jitter[3, 1] = 1.0 - jitter[3, 1]
        # albumentations hands the corners to OpenCV as float32: the params hold those values
        corners = (jitter * (w, h)).astype(np.float32)
        return {"corners": corners.astype(np.float64).tolist()}

    def _geometry(self, params, size):
        """(OpenCV matrix, output size, edge-coordinate matrix)."""
        got = perspective_geometry(params["corners"], size, self.keep_size, self.fit_output)
        if max(got[1]) > MAX_SIDE:
            raise value_error(self, "fit_output", f"makes the image {tuple(size)} into "
                              f"{got[1]}, beyond {MAX_SIDE} px a side")
        return got

    def _warp_only(self, img, params):
        # the geometry once (matrix and out_size would each look it up)
        _, out, edge = self._geometry(params, img.shape[:2])
        return G.warp_image(img, edge, out, self.interpolation, self.fill, self, self.border)

    def matrix(self, params, size):
        return self._geometry(params, size)[2].copy()

    def out_size(self, params, size):
        return self._geometry(params, size)[1]
