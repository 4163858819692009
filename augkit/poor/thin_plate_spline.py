"""`ThinPlateSpline`: a smooth random warp through displaced control points
(albumentations' ThinPlateSpline)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core import check_int, uniform
from ..displacement import DisplacementOp
from ..functional import distort as D
from ._common import range_of
from .optical_distortion import fold_safe

MAX_POINTS = 32  # control points per side (1024 in all)
_CHUNK = 1 << 16  # kernel values evaluated at once (256 KiB of float32: in cache)


def control_points(n: int) -> np.ndarray:
    """albumentations' control grid in [0, 1]^2: n x n points row by row (x fastest); for
    n = 2 the four corners and the centre."""
    if n == 2:
        return np.array([[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.5]], np.float32)
    g = np.linspace(0.0, 1.0, n)
    return np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)


def _square_distances(p, q):
    """|p_i - q_j|^2 as |p|^2 + |q|^2 - 2 p.q, in float32 (albumentations' arithmetic)."""
    import cv2

    pp = cv2.multiply(p, p).sum(axis=1, keepdims=True)
    qq = cv2.multiply(q, q).sum(axis=1)[None, :]
    return pp + qq - 2 * cv2.gemm(p, q.T, 1, None, 0)


def spline_weights(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(kernel weights (N, 2), affine weights (3, 2)), float32, of albumentations 2.0.8's
    system: its kernel is ``d^2 log(d + 1e-6)`` of the *squared* distance d (r^4 log r^2),
    while its warp evaluates ``d log(d + 1e-6)`` (r^2 log r^2, the thin-plate kernel)."""
    import cv2

    p = np.ascontiguousarray(src, np.float32)
    n = len(p)
    d = _square_distances(p, p)
    system = np.zeros((n + 3, n + 3), np.float32)
    system[:n, :n] = np.where(d > 0, d * d * cv2.log(d + 1e-6), 0)
    system[:n, n] = 1
    system[:n, n + 1:] = p
    system[n:, :n] = system[:n, n:].T
    target = np.zeros((n + 3, 2), np.float32)
    target[:n] = dst
    weights = cv2.solve(system, target, flags=cv2.DECOMP_LU)[1]
    return weights[:n], weights[n:]


@lru_cache(maxsize=4)  # a sample's apply, then its boxes, need the same maps
def spline_maps(dst: tuple, n: int, size: tuple) -> tuple[np.ndarray, np.ndarray]:
    """OpenCV backward maps (float32 (H, W), index coordinates, read-only) of the spline
    taking the control grid to `dst` (fractions of the image), evaluated at the pixel
    indices scaled by 1 / (W, H) as albumentations does."""
    import cv2

    h, w = size
    src = control_points(n).astype(np.float32)
    kernel_w, affine_w = spline_weights(src, np.array(dst, np.float32))
    xn = (np.arange(w) / w).astype(np.float32)
    yn = (np.arange(h) / h).astype(np.float32)
    # |p - c|^2 = (xn^2 - 2 cx xn + |c|^2) + (yn^2 - 2 cy yn): a row term plus a column term
    cx, cy = src[:, :1], src[:, 1:]
    row = xn * xn - 2 * cx * xn + (src * src).sum(axis=1, keepdims=True)  # (N, W)
    col = yn * yn - 2 * cy * yn  # (N, H)
    out = np.empty((2, h, w), np.float32)
    out[0] = np.add(xn[None, :] * affine_w[1, 0], yn[:, None] * affine_w[2, 0]) + affine_w[0, 0]
    out[1] = np.add(xn[None, :] * affine_w[1, 1], yn[:, None] * affine_w[2, 1]) + affine_w[0, 1]
    rows = max(1, _CHUNK // (len(src) * w))  # rows of pixels per pass: a cache-sized block
    eps = np.float32(1e-6)
    for y0 in range(0, h, rows):
        y1 = min(h, y0 + rows)
        d = np.add(row[:, None, :], col[:, y0:y1, None])  # (N, rows, W)
        np.maximum(d, 0, out=d)  # a rounded square below 0 counts as 0 (so does its kernel)
        flat = d.reshape(len(src), -1)
        k = cv2.log(flat + eps)
        k *= flat
        out[:, y0:y1] += (kernel_w.T @ k).reshape(2, y1 - y0, w)
    map_x = out[0] * np.float32(w)
    map_y = out[1] * np.float32(h)
    for m in (map_x, map_y):
        m.flags.writeable = False
    return map_x, map_y


@dataclass(frozen=True)
class ThinPlateSpline(DisplacementOp):
    """A thin-plate-spline warp, as albumentations 2.0.8's ``ThinPlateSpline``: a grid of
    `num_control_points` x `num_control_points` control points (2: the corners and the
    centre) spread over the image, each displaced by N(0, s / 10) of the image's side, s
    uniform in `scale_range` (in [0, 1]; default (0.2, 0.4)); output pixel p samples the
    input where the spline fitted to (control point -> displaced point) sends p.

    The spline is albumentations' own: it solves its weights with the kernel r^4 log r^2 but
    evaluates r^2 log r^2, so the warp does not pass through the displaced points and is
    several times stronger than s suggests (at s = 0.4, displacements up to ~0.4 of the
    side) and it folds over itself in most draws at the default range (a fold shows some
    content twice). augkit keeps that definition so the pixels are albumentations' (within
    1 grey level at < 1% of the pixels at 4 points: float32 sums in another order); use small
    ranges (0.05-0.1) for gentle warps.

    Keypoints move by the inverse of the map (Newton on the field, as `ElasticDistortion`;
    where a fold shows a point twice, one of its copies); boxes are the enclosing box of
    the moved outline, or, where the field folds, the box of every output pixel sampling
    inside the box (every copy). Image: `interpolation`; mask: nearest; `fill` /
    `mask_fill` where a pixel samples outside; `border`: see docs/ops-poor.md. Params hold
    the displaced points (fractions of (W, H)), so a replay is exact.
    """

    scale_range: tuple = (0.2, 0.4)
    num_control_points: int = 4
    interpolation: str = "linear"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        range_of(self, "scale_range", self.scale_range, 0.0, 1.0)
        check_int(self, "num_control_points", self.num_control_points, 2, MAX_POINTS)
        self.check_warp_fields()  # interpolation, fill, mask_fill and border

    @classmethod
    def example(cls):
        """Gentle fields for the dot test (albumentations' default range folds)."""
        return [cls(scale_range=(0.02, 0.06)),
                cls(scale_range=(0.05, 0.1), num_control_points=2, interpolation="nearest",
                    fill=0.5, mask_fill=3)]

    def sample(self, rng, s):
        src = control_points(self.num_control_points)
        sd = uniform(rng, *self.scale_range) / 10
        return {"points": (src + rng.normal(0.0, sd, src.shape)).tolist()}

    def geometry(self, params, size):
        h, w = size
        dst = tuple(tuple(float(v) for v in p) for p in params["points"])
        map_x, map_y = spline_maps(dst, self.num_control_points, (int(h), int(w)))

        def forward(pts):
            dx = map_x - np.arange(w, dtype=np.float32)[None, :]
            dy = map_y - np.arange(h, dtype=np.float32)[:, None]
            return D.elastic_forward(dx, dy, pts)

        return map_x, map_y, forward

    def outline_spacing(self):
        return 2.0  # a smooth field: box edges sampled every 2 px

    def apply(self, s, params):
        return fold_safe(self, s, params, super().apply(s, params))
