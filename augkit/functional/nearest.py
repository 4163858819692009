"""Nearest-neighbour warps whose result does not depend on OpenCV's version or thread count.

OpenCV 5's `warpAffine` with INTER_NEAREST breaks half-pixel ties differently with each
thread count (up to 10,060 pixels of a 384x384 shear between 1 and 8 threads, measured with
5.1) and differently from OpenCV 4. Here the source position of every output pixel is
defined by augkit, in float32: for an affine matrix, a row term and a column term (the
closed-form inverse applied in float64, each rounded to float32) added in float32; for a
homography, the float64 position rounded to float32. `cv2.remap` rounds those positions half
to even (its `cvRound`: IEEE's default rounding; `tests/test_opencv_drift.py` holds it to
numpy's `rint` at 1 to 8 threads) and gathers the pixels; positions beyond OpenCV's short
range are clipped to it first (OpenCV saturates them the same way, except that x86 turns a
float beyond 2**31 into -2**31).

The numpy batch path (`source_indices`) and the torch path (`torch_warp`) make the same
float32 positions with the same IEEE operations and round them half to even too, so all
three agree pixel for pixel. Position error against the exact inverse: 1.5 float32 ulp
(4.6e-5 px at 512, 3.7e-4 px at 4096), far below OpenCV's own 1/1024 px fixed point.

(augkit 0.1.0 to 0.1.x computed the index as floor(x + 0.5) in float64, four passes over
float64 maps: ~300 us of a 256x256 image + mask item right after a JPEG decode, where one
float32 add is ~60 us. Seeded nearest results moved by the odd pixel at a near-tie.)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .scratch import scratch

# OpenCV's remap saturates integer sources to shorts: clipping to the same range keeps every
# position outside the image outside (and the non-constant borders fold what OpenCV folds)
_LO, _HI = -32768.0, 32767.0
_SAFE = 30000.0  # corner sums within this bound need no clipping (a float32 rounding away)


@lru_cache(maxsize=64)
def _grid(n: int) -> np.ndarray:
    g = np.arange(n, dtype=np.float64)
    g.flags.writeable = False
    return g


def _inverse(a, b, c, d, e, f):
    """The inverse of the affine (a, b, c; d, e, f) in closed form, as (ia, ib, ic, id, ie,
    if); None when singular."""
    det = a * e - b * d
    if det == 0.0:
        return None
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return ia, ib, -(ia * c + ib * f), id_, ie, -(id_ * c + ie * f)


def affine_terms(inv, oh: int, ow: int):
    """((rows_x, cols_x), (rows_y, cols_y)): float32 row and column terms of the source
    positions, x = rows_x[:, None] + cols_x[None, :] (float32 add). `inv` from `_inverse`
    (None: singular, every position outside). Each term is computed in float64 and rounded
    to float32 once (numpy casts a float64 result into a float32 `out`); the batch paths
    build the same terms with the same operations."""
    xs, ys = _grid(ow), _grid(oh)
    if inv is None:  # singular: every position outside
        far, zero = np.full(oh, _LO, np.float32), np.zeros(ow, np.float32)
        return (far, zero), (far, zero)
    ia, ib, ic, id_, ie, if_ = inv
    terms = []
    for p, q, r in ((ia, ib, ic), (id_, ie, if_)):
        rows, cols = np.empty(oh, np.float32), np.empty(ow, np.float32)
        np.add(ys * q, r, out=rows, casting="same_kind")
        np.multiply(xs, p, out=cols, casting="same_kind")
        terms.append((rows, cols))
    return terms[0], terms[1]


def needs_clip(rows: np.ndarray, cols: np.ndarray) -> bool:
    """Whether some position rows[i] + cols[j] may leave [-_SAFE, _SAFE] (then clip). The
    terms are linear in the index: their extremes are their ends."""
    r0, r1, c0, c1 = float(rows[0]), float(rows[-1]), float(cols[0]), float(cols[-1])
    lo = min(r0, r1) + min(c0, c1)
    hi = max(r0, r1) + max(c0, c1)
    return not (-_SAFE <= lo and hi <= _SAFE)  # also true for nan / inf


def _affine_maps(mc, oh: int, ow: int):
    a, b, c, d, e, f = np.ravel(mc)[:6].tolist()
    inv = _inverse(a, b, c, d, e, f)
    if inv is None:
        return None
    maps = []
    for axis, (rows, cols) in enumerate(affine_terms(inv, oh, ow)):
        out = scratch(("nearest-map", axis), (oh, ow), np.float32)
        np.add(rows[:, None], cols[None, :], out=out)
        if needs_clip(rows, cols):
            np.clip(out, _LO, _HI, out=out)
        maps.append(out)
    return maps


def _perspective_maps(mc, oh: int, ow: int):
    try:
        inv = np.linalg.inv(np.asarray(mc, np.float64))
    except np.linalg.LinAlgError:
        return None
    xs, ys = _grid(ow)[None, :], _grid(oh)[:, None]
    w = inv[2, 0] * xs + (inv[2, 1] * ys + inv[2, 2])
    with np.errstate(divide="ignore", invalid="ignore"):
        sx = (inv[0, 0] * xs + (inv[0, 1] * ys + inv[0, 2])) / w
        sy = (inv[1, 0] * xs + (inv[1, 1] * ys + inv[1, 2])) / w
    maps = []
    for axis, s in enumerate((sx, sy)):
        s[~(np.isfinite(s) & (w > 0))] = _LO  # behind the camera: the border
        out = scratch(("nearest-map", axis), (oh, ow), np.float32)
        np.clip(s, _LO, _HI, out=s)
        out[...] = s  # float64 -> float32: IEEE rounding, as the docstring says
        maps.append(out)
    return maps


def source_maps(mc: np.ndarray, out_size: tuple[int, int]):
    """float32 maps (x, y): the source position of each output pixel (rounded half to even,
    its source pixel), for OpenCV's forward matrix `mc` (2x3 affine or 3x3 perspective,
    pixel-index coordinates); None for a singular matrix. The maps are per-thread scratch:
    copy them to keep them."""
    oh, ow = out_size
    return (_affine_maps if len(mc) == 2 else _perspective_maps)(mc, int(oh), int(ow))


def warp_nearest(img, mc, out_size, mode, border, dst=None):
    """`cv2.warpAffine` / `cv2.warpPerspective` with INTER_NEAREST, deterministically."""
    import cv2

    oh, ow = out_size
    maps = source_maps(mc, (oh, ow))
    if maps is None:  # singular: nothing maps back into the image, all border (two arrays:
        # OpenCV 5.1's remap misreads one array passed as both maps)
        maps = [np.full((oh, ow), _LO, np.float32) for _ in range(2)]
    if dst is None:
        return cv2.remap(img, maps[0], maps[1], cv2.INTER_NEAREST, borderMode=mode,
                         borderValue=border)
    return cv2.remap(img, maps[0], maps[1], cv2.INTER_NEAREST, dst=dst, borderMode=mode,
                     borderValue=border)


def source_indices(mcs: np.ndarray, out_size) -> tuple[np.ndarray, np.ndarray]:
    """`source_maps` for a stack of affine OpenCV matrices (n, 2, 3) at once, rounded: int64
    (n, oh, ow) source columns and rows, from the same float32 positions as `_affine_maps`
    image by image (the same IEEE operations), rounded half to even as `cv2.remap` rounds
    them (so the same pixels); sources outside the image come back outside [0, w) / [0, h)
    for the caller's border, within OpenCV's short range. Singular matrices map everything
    outside."""
    oh, ow = int(out_size[0]), int(out_size[1])
    a, b, c = mcs[:, 0, 0], mcs[:, 0, 1], mcs[:, 0, 2]
    d, e, f = mcs[:, 1, 0], mcs[:, 1, 1], mcs[:, 1, 2]
    det = a * e - b * d
    bad = det == 0.0
    det = np.where(bad, 1.0, det)
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    ic, if_ = -(ia * c + ib * f), -(id_ * c + ie * f)
    xs, ys = _grid(ow)[None, None, :], _grid(oh)[None, :, None]
    out = []
    for p, q, r in ((ia, ib, ic), (id_, ie, if_)):
        rows = (ys * q[:, None, None] + r[:, None, None]).astype(np.float32)
        pos = rows + (xs * p[:, None, None]).astype(np.float32)
        m = np.rint(np.clip(pos, _LO, _HI, out=pos), out=pos).astype(np.int64)
        m[bad] = int(_LO)
        out.append(m)
    return out[0], out[1]
