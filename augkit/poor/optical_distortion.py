"""`OpticalDistortion`: radial lens distortion (albumentations' OpticalDistortion), and the
box rule the issue-15 displacement fields share where a field folds over itself."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import symmetric, uniform
from ..displacement import DisplacementOp
from ..errors import value_error
from ._common import range_of

MODES = ("camera", "fisheye")
_BLOCK = 16  # px: side of the blocks `pixel_boxes` screens before testing pixels


def folds(map_x: np.ndarray, map_y: np.ndarray) -> bool:
    """Whether a backward map folds the image over itself: its Jacobian determinant, by
    differences between neighbouring pixel centres, is <= 0 somewhere."""
    if map_x.shape[0] < 2 or map_x.shape[1] < 2:
        return False
    xx, yx = np.diff(map_x, axis=1)[:-1], np.diff(map_y, axis=1)[:-1]
    xy, yy = np.diff(map_x, axis=0)[:, :-1], np.diff(map_y, axis=0)[:, :-1]
    return bool((xx * yy - xy * yx <= 0).any())


def pixel_boxes(boxes: np.ndarray, map_x: np.ndarray, map_y: np.ndarray,
                start: np.ndarray) -> np.ndarray:
    """The box of every output pixel whose centre samples the input inside each box (edge
    coordinates, [x1, x2) x [y1, y2): the pixels where a nearest-remapped mask of the box
    lands, every copy of a folded field included); `start` where no pixel does."""
    h, w = map_x.shape
    sx, sy = map_x + np.float32(0.5), map_y + np.float32(0.5)
    hb, wb = -(-h // _BLOCK), -(-w // _BLOCK)
    pad = ((0, hb * _BLOCK - h), (0, wb * _BLOCK - w))

    def blocks(a, f):  # per block of pixels, the least / greatest source coordinate
        return f(np.pad(a, pad, mode="edge").reshape(hb, _BLOCK, wb, _BLOCK), axis=(1, 3))

    xlo, xhi, ylo, yhi = blocks(sx, np.min), blocks(sx, np.max), blocks(sy, np.min), \
        blocks(sy, np.max)
    out = np.array(start, np.float32)
    for i, (x1, y1, x2, y2) in enumerate(np.asarray(boxes, np.float64)[:, :4]):
        near = (xhi >= x1) & (xlo < x2) & (yhi >= y1) & (ylo < y2)
        if not near.any():
            continue
        rb, cb = np.flatnonzero(near.any(1)), np.flatnonzero(near.any(0))
        r0, c0 = rb[0] * _BLOCK, cb[0] * _BLOCK
        wx = sx[r0:(rb[-1] + 1) * _BLOCK, c0:(cb[-1] + 1) * _BLOCK]
        wy = sy[r0:(rb[-1] + 1) * _BLOCK, c0:(cb[-1] + 1) * _BLOCK]
        inside = (wx >= x1) & (wx < x2) & (wy >= y1) & (wy < y2)
        rows = np.flatnonzero(inside.any(1))
        if rows.size:
            cols = np.flatnonzero(inside.any(0))
            out[i] = (c0 + cols[0], r0 + rows[0], c0 + cols[-1] + 1, r0 + rows[-1] + 1)
    return out


def fold_safe(op: DisplacementOp, s, params, out):
    """`out` (DisplacementOp.apply's result), with the boxes of `s` recomputed by
    `pixel_boxes` when the field folds: a box outline moved point by point follows one copy
    of the content where a fold shows it twice."""
    if s.boxes is None or len(s.boxes) == 0:
        return out
    map_x, map_y, _ = op.geometry(params, s.size)
    if not folds(map_x, map_y):
        return out
    return out.replace(boxes=pixel_boxes(np.asarray(s.boxes), map_x, map_y, out.boxes))


def _radial_inverse(rho: np.ndarray, a: float, b: float) -> np.ndarray:
    """r >= 0 with ``r + a r^3 + b r^5 = rho`` on the branch rising from 0 (the copy nearest
    the centre); NaN where that branch never reaches rho (a < 0 or b < 0: it turns back)."""
    lo, hi = np.zeros_like(rho), rho.copy()  # a, b >= 0: h(r) >= r, so r <= rho
    if a < 0 or b < 0:  # h(r) <= r: the root lies in [rho, r*], r* where h turns back
        s = -1.0 / (3 * a) if b == 0 else (-3 * a - np.sqrt(9 * a * a - 20 * b)) / (10 * b)
        r_top = np.sqrt(s)
        top = r_top + a * r_top ** 3 + b * r_top ** 5
        lo, hi = rho.copy(), np.full_like(rho, r_top)
        rho = np.where(rho <= top, rho, np.nan)
    for _ in range(64):  # bisection: h rises on [lo, hi]
        mid = 0.5 * (lo + hi)
        low = mid + a * mid ** 3 + b * mid ** 5 < rho
        lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
    return np.where(np.isnan(rho), np.nan, 0.5 * (lo + hi))


@dataclass(frozen=True)
class OpticalDistortion(DisplacementOp):
    """Radial lens distortion with coefficient k uniform in `distort_limit` (a number d
    means (-d, d); albumentations' default (-0.05, 0.05)), as albumentations 2.0.8's
    ``OpticalDistortion``, in one of two models.

    * ``mode="camera"``: OpenCV's camera model (`cv2.initUndistortRectifyMap`, camera
      matrix ``[[W, 0, W/2], [0, H, H/2]]``, k1 = k2 = k): output pixel u samples the input
      at ``c + f * x * (1 + k r^2 + k r^4)``, x = (u - c) / f, r = |x|.
    * ``mode="fisheye"``: ``c + (u - c) * (1 + k r^2 / R^2)`` in pixels, R the distance from
      the centre to a corner.

    k > 0 shrinks the picture towards the centre (barrel; `fill` appears at the corners),
    k < 0 magnifies it (pincushion). Keypoints move by the exact inverse of the radial map
    (bisection on the radius, float64); where the model turns back on itself (camera
    k below about -0.36, fisheye below -1/3: the corners then show the content near the
    turning radius a second time, mirrored) a keypoint takes the copy nearest the centre,
    and a point no output pixel shows is moved outside the image (hidden). Boxes are the
    enclosing box of the moved outline, or where the field folds, the box of every output
    pixel that samples inside the box (each copy included). Image: `interpolation`; mask:
    nearest; `fill` / `mask_fill` where a pixel samples outside; `border`: see
    docs/ops-poor.md. The maps are computed in numpy (float32), not by OpenCV: OpenCV
    5.1's `initUndistortRectifyMap`, which albumentations calls, shifts every pixel by half
    a pixel (k = 0 is not the identity there; it is with OpenCV 4). Pixels are
    albumentations' for the same k once that shift is taken out (within 1 grey level at a
    few pixels in 10,000; tests/test_new_geometric2.py).
    """

    distort_limit: float | tuple = (-0.05, 0.05)
    mode: str = "camera"
    interpolation: str = "linear"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        range_of(self, "distort_limit", symmetric(self.distort_limit, self, "distort_limit"),
                 -1.0, 1.0)
        if self.mode not in MODES:
            raise value_error(self, "mode", f"is {self.mode!r}; expected one of {MODES}")
        self.check_warp_fields()  # interpolation, fill, mask_fill and border

    @classmethod
    def example(cls):
        """Mild fields for the dot test (the defaults are milder still)."""
        return [cls(distort_limit=0.3),
                cls(distort_limit=(-0.3, 0.3), mode="fisheye", interpolation="nearest",
                    fill=0.5, mask_fill=3)]

    def sample(self, rng, s):
        return {"k": uniform(rng, *symmetric(self.distort_limit, self, "distort_limit"))}

    def _model(self, k: float, size) -> tuple:
        """(centre, scale, a, b): output u samples c + f x (1 + a r^2 + b r^4), x = (u-c)/f."""
        h, w = size
        c = np.array([w / 2.0, h / 2.0])
        if self.mode == "camera":
            return c, np.array([float(w), float(h)]), k, k
        radius = float(np.hypot(w / 2.0, h / 2.0))
        return c, np.array([radius, radius]), k, 0.0

    def _maps(self, k: float, size):
        """OpenCV backward maps (index coordinates, float32): pixel u samples
        ``c + (u - c) * (1 + a r^2 + b r^4)``, r = |(u - c) / f| (identity for k = 0)."""
        h, w = size
        c, f, a, b = self._model(k, size)
        cx, cy = np.float32(c[0]), np.float32(c[1])
        x = np.arange(w, dtype=np.float32) - cx
        y = np.arange(h, dtype=np.float32) - cy
        r2 = np.add((x / np.float32(f[0]))[None, :] ** 2, ((y / np.float32(f[1])) ** 2)[:, None])
        gain = r2 * np.float32(b) + np.float32(a) if b else np.full_like(r2, np.float32(a))
        gain *= r2
        gain += np.float32(1.0)
        return (np.add(x[None, :] * gain, cx, dtype=np.float32),
                np.add(y[:, None] * gain, cy, dtype=np.float32))

    def geometry(self, params, size):
        k = float(np.float32(params["k"]))  # the maps use it as float32 (albumentations too)
        map_x, map_y = self._maps(k, size)
        c, f, a, b = self._model(k, size)

        def forward(pts):
            q = (np.asarray(pts, np.float64).reshape(-1, 2) - 0.5 - c) / f
            rho = np.hypot(q[:, 0], q[:, 1])
            r = _radial_inverse(rho, a, b)
            lost = np.isnan(r)
            # a point no output pixel shows goes beyond the image on its ray (hidden)
            gain = np.where(lost, 4.0 / np.maximum(rho, 1e-12), r / np.maximum(rho, 1e-300))
            gain = np.where(rho > 0, gain, 1.0)
            return c + f * (q * gain[:, None]) + 0.5

        return map_x, map_y, forward

    def outline_spacing(self):
        return 2.0  # a smooth field: box edges sampled every 2 px

    def apply(self, s, params):
        return fold_safe(self, s, params, super().apply(s, params))
