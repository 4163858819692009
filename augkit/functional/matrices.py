"""Stacks of 3x3 matrices for a batch: the vectorised twins of `geometry`'s single matrices.

Kernels: arrays and plain numbers in, (B, 3, 3) float64 arrays out. Each builder performs the
same IEEE operations in the same order as its single-matrix twin (trigonometry through
`math`, per angle: numpy's vectorised cos / sin / tan may round differently in the last bit),
so the batched path's matrices equal the per-image ones bit for bit. The ops' batched hooks
(``batch_matrices``) are built from these; `tests/test_batch.py` holds them to the per-image
path.
"""

from __future__ import annotations

import math

import numpy as np


def eye(n: int) -> np.ndarray:
    """n identity matrices, writable."""
    return np.broadcast_to(np.eye(3), (n, 3, 3)).copy()


def repeat(m: np.ndarray, n: int) -> np.ndarray:
    """n writable copies of one matrix."""
    return np.broadcast_to(np.asarray(m, np.float64), (n, 3, 3)).copy()


def uniform_column(u: np.ndarray, lo_hi) -> np.ndarray:
    """``lo + (hi - lo) * u``: `core.uniform` for a column of doubles."""
    lo, hi = float(lo_hi[0]), float(lo_hi[1])
    return lo + (hi - lo) * u


def integer_column(u: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``lo + floor((hi - lo) * u)``: `core.integer` for a column of doubles."""
    return lo + ((hi - lo) * u).astype(np.int64)


def trig(fn, deg) -> np.ndarray:
    """``fn(math.radians(d))`` for every angle (math's functions, as the single matrices)."""
    return np.array([fn(math.radians(d)) for d in np.asarray(deg, np.float64).tolist()])


def translations(tx, ty) -> np.ndarray:
    m = eye(len(tx))
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    return m


def scalings(sx, sy, centre=(0.0, 0.0)) -> np.ndarray:
    cx, cy = centre
    m = eye(len(sx))
    m[:, 0, 0], m[:, 1, 1] = sx, sy
    m[:, 0, 2], m[:, 1, 2] = cx - sx * cx, cy - sy * cy
    return m


def rotations(deg, centre) -> np.ndarray:
    """`geometry.rotation` for a stack."""
    c, s = trig(math.cos, deg), trig(math.sin, deg)
    cx, cy = centre
    m = eye(len(c))
    m[:, 0, 0], m[:, 0, 1], m[:, 0, 2] = c, s, c * -cx + s * -cy + cx
    m[:, 1, 0], m[:, 1, 1], m[:, 1, 2] = -s, c, -s * -cx + c * -cy + cy
    return m


def shearings(xdeg, ydeg, centre) -> np.ndarray:
    """`geometry.shearing` for a stack."""
    tx, ty = trig(math.tan, xdeg), trig(math.tan, ydeg)
    cx, cy = centre
    m = eye(len(tx))
    m[:, 0, 1], m[:, 0, 2] = tx, -cx + tx * -cy + cx
    m[:, 1, 0], m[:, 1, 2] = ty, ty * -cx + -cy + cy
    return m


def affines(angle, shear, scale, dx, dy, size) -> np.ndarray:
    """`Affine.matrix` for a stack: rotation, shear and scale about the centre, then a shift
    of (dx, dy) fractions of the (width, height)."""
    cx, cy = size[1] / 2.0, size[0] / 2.0
    co, si = trig(math.cos, angle), trig(math.sin, angle)
    t, k = trig(math.tan, shear), np.asarray(scale, np.float64)
    a00, a01, a10, a11 = k * co, k * (co * t + si), -k * si, k * (co - si * t)
    m = eye(len(k))
    m[:, 0, 0], m[:, 0, 1] = a00, a01
    m[:, 0, 2] = cx - a00 * cx - a01 * cy + np.asarray(dx, np.float64) * size[1]
    m[:, 1, 0], m[:, 1, 1] = a10, a11
    m[:, 1, 2] = cy - a10 * cx - a11 * cy + np.asarray(dy, np.float64) * size[0]
    return m


def flips(flip, axis: int, size) -> np.ndarray:
    """Mirror matrices where `flip` is true (axis 1: left-right, 0: top-bottom), identity
    elsewhere."""
    m = eye(len(flip))
    sel = np.asarray(flip, bool)
    if axis == 1:
        m[sel, 0, 0], m[sel, 0, 2] = -1.0, float(size[1])
    else:
        m[sel, 1, 1], m[sel, 1, 2] = -1.0, float(size[0])
    return m


def matmul3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for two 3x3 matrices, written out in Python floats (`compose9`). `matmul3s`
    does the same IEEE operations in the same order for a stack, so a fused batch gets the
    very matrices image-by-image fusion gets (numpy's ``@`` may round a single product and a
    stacked one differently: BLAS for one, its own loop for the other)."""
    return np.array(compose9(a.ravel().tolist(), b.ravel().tolist())).reshape(3, 3)


def compose9(a: list, b: list) -> list:
    """``a @ b`` for two 3x3 matrices given as their 9 values row by row, in Python floats
    (`matmul3`'s and `matmul3s`' operations and order; no array is built: a fused bare image
    composes these right after a decode, where each numpy call runs cold)."""
    a0, a1, a2, a3, a4, a5, a6, a7, a8 = a
    b0, b1, b2, b3, b4, b5, b6, b7, b8 = b
    return [a0 * b0 + a1 * b3 + a2 * b6, a0 * b1 + a1 * b4 + a2 * b7, a0 * b2 + a1 * b5 + a2 * b8,
            a3 * b0 + a4 * b3 + a5 * b6, a3 * b1 + a4 * b4 + a5 * b7, a3 * b2 + a4 * b5 + a5 * b8,
            a6 * b0 + a7 * b3 + a8 * b6, a6 * b1 + a7 * b4 + a8 * b7, a6 * b2 + a7 * b5 + a8 * b8]


def matmul3s(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for stacks of 3x3 matrices with `matmul3`'s operations and order."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    for i in range(3):
        for j in range(3):
            out[..., i, j] = (a[..., i, 0] * b[..., 0, j] + a[..., i, 1] * b[..., 1, j]
                              + a[..., i, 2] * b[..., 2, j])
    return out
