"""Nearest-neighbour warps whose result does not depend on OpenCV's version or thread count.

OpenCV 5's `warpAffine` with INTER_NEAREST breaks half-pixel ties differently with each
thread count (up to 10,060 pixels of a 384x384 shear between 1 and 8 threads, measured with
5.1) and differently from OpenCV 4. Here the source index of every output pixel is defined
by augkit: the inverse matrix applied in float64, rounded half up (``floor(x + 0.5)``, OpenCV
4's rule). `cv2.remap` then only gathers those exact integer positions and writes the border.

Cost: ~0.2 ms more than OpenCV's own warp at 256x256 (the maps), ~10 us at 32x32.
"""

from __future__ import annotations

import sys
from functools import lru_cache

import numpy as np

from .scratch import scratch

# Rounding = truncation of a positive number: x + 0.5 + _K truncates to floor(x + 0.5) + _K
# (4x faster than np.floor). Sources below -_K or far beyond the image clamp there: outside
# either way, so the border decides, as it would have.
_K = float(1 << 15)
_TOP = float((1 << 31) - 2)
_TORCH_MIN = 4096  # maps of at least this many pixels add through torch when it is loaded


@lru_cache(maxsize=64)
def _grid(n: int) -> np.ndarray:
    g = np.arange(n, dtype=np.float64)
    g.flags.writeable = False
    return g


def _floor_half(rows: np.ndarray, cols: np.ndarray, lo: float, hi: float,
                axis: int) -> np.ndarray:
    """float32 floor(rows[:, None] + cols[None, :] + 0.5), clamped to [-_K, _TOP - _K];
    `rows` already carry the + 0.5 + _K; `lo`, `hi` bound the sum (the corners). Work and
    result live in per-thread scratch buffers (fresh ones cost more in page faults than the
    arithmetic): the result is valid until the next call for the same `axis`."""
    shape = (len(rows), len(cols))
    w = scratch("nearest-f64", shape, np.float64)
    torch = sys.modules.get("torch")  # never imported here: used when the program has it
    if torch is not None and w.size >= _TORCH_MIN:
        # the same IEEE additions through torch's kernel: its broadcast float64 add is ~3x
        # numpy's (19 against 57 us at 256^2, one thread); DataLoader code has torch loaded
        torch.add(torch.from_numpy(rows)[:, None], torch.from_numpy(cols)[None, :],
                  out=torch.from_numpy(w))
    else:
        np.add(rows[:, None], cols[None, :], out=w)
    if lo < 0.0 or hi > _TOP:
        np.clip(w, 0.0, _TOP, out=w)
    iw = scratch("nearest-i32", shape, np.int32)
    np.copyto(iw, w, casting="unsafe")  # truncation: floor, as everything is positive
    out = scratch(("nearest-map", axis), shape, np.float32)
    np.subtract(iw, int(_K), out=out, casting="unsafe")
    return out


def _affine_maps(mc, oh: int, ow: int):
    a, b, c, d, e, f = (float(v) for v in np.ravel(mc)[:6])
    det = a * e - b * d
    if det == 0.0:
        return None
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det  # the inverse, in closed form
    ic, if_ = -(ia * c + ib * f), -(id_ * c + ie * f)
    xs, ys = _grid(ow), _grid(oh)
    maps = []
    for p, q, r in ((ia, ib, ic), (id_, ie, if_)):
        rows = ys * q + (r + 0.5 + _K)
        cols = xs * p
        r_lo, r_hi = (rows[0], rows[-1]) if q >= 0 else (rows[-1], rows[0])
        c_lo, c_hi = (cols[0], cols[-1]) if p >= 0 else (cols[-1], cols[0])
        maps.append(_floor_half(rows, cols, r_lo + c_lo, r_hi + c_hi, len(maps)))
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
    for s in (sx, sy):
        s[~(np.isfinite(s) & (w > 0))] = -2 * _K  # behind the camera: the border
        s += 0.5 + _K
        maps.append(_floor_half(s.ravel(), np.zeros(1), -1.0, 0.0, len(maps)).reshape(oh, ow))
    return maps


def source_maps(mc: np.ndarray, out_size: tuple[int, int]):
    """Integer-valued float32 maps (x, y): the source pixel index of each output pixel, for
    OpenCV's forward matrix `mc` (2x3 affine or 3x3 perspective, pixel-index coordinates);
    None for a singular matrix. The maps are per-thread scratch: copy them to keep them."""
    oh, ow = out_size
    return (_affine_maps if len(mc) == 2 else _perspective_maps)(mc, int(oh), int(ow))


def warp_nearest(img, mc, out_size, mode, border, dst=None):
    """`cv2.warpAffine` / `cv2.warpPerspective` with INTER_NEAREST, deterministically."""
    import cv2

    oh, ow = out_size
    maps = source_maps(mc, (oh, ow))
    if maps is None:  # singular: nothing maps back into the image, all border
        maps = [np.full((oh, ow), -_K, np.float32)] * 2
    if dst is None:
        return cv2.remap(img, maps[0], maps[1], cv2.INTER_NEAREST, borderMode=mode,
                         borderValue=border)
    return cv2.remap(img, maps[0], maps[1], cv2.INTER_NEAREST, dst=dst, borderMode=mode,
                     borderValue=border)


def source_indices(mcs: np.ndarray, out_size) -> tuple[np.ndarray, np.ndarray]:
    """`source_maps` for a stack of affine OpenCV matrices (n, 2, 3) at once: int64 (n, oh,
    ow) source columns and rows, with the same IEEE operations as `_affine_maps` image by
    image (so the same pixels); sources outside the image come back outside [0, w) / [0, h)
    for the caller's border. Singular matrices map everything outside."""
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
        rows = ys * q[:, None, None] + (r + 0.5 + _K)[:, None, None]
        m = np.clip(rows + xs * p[:, None, None], 0.0, _TOP).astype(np.int64) - int(_K)
        m[bad] = -int(_K)
        out.append(m)
    return out[0], out[1]
