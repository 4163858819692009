"""Vectorised draws and matrices for the poor tier's geometric ops (used by `augkit.batch`).

Each entry mirrors one op's own `sample` and `matrix` for a whole batch at once:

* ``uniforms(op)``: how many ``rng.uniform`` / ``rng.random`` calls the op's `sample` makes,
  or None when it draws anything else (integers, choices). numpy's ``Generator.uniform(lo,
  hi)`` is ``lo + (hi - lo) * next_double`` and ``random()`` is ``next_double``, so
  ``rng.random((B, k))`` holds, row by row, exactly the doubles that B per-image calls
  would consume, and the parameters computed from it are bit-identical.
* ``columns(op, u)``: those parameters as arrays (the op's params dict, one array per key).
* ``matrices(op, cols, size)``: the (B, 3, 3) stack of ``op.matrix``; the same formulas as
  `functional.geometry` and the ops, the same IEEE operations in the same order (math's
  trigonometry per angle), evaluated for all images at once: equal bit for bit.

`tests/test_batch.py` checks every entry against the op's own per-image path, so a change to
an op's `sample` or `matrix` that is not mirrored here fails a test instead of drifting.
Only exact types are listed: a subclass may draw differently.
"""

from __future__ import annotations

import math

import numpy as np

from .core import symmetric
from .poor.affine import Affine, Rotate, Scale, Shear, Translate
from .poor.color import RGBShift
from .poor.crop import Crop, Pad, PadCrop, RandomResizedCrop, Resize
from .poor.flip import HFlip, VFlip


def _eye(n):
    return np.broadcast_to(np.eye(3), (n, 3, 3)).copy()


def _translation(tx, ty):
    m = _eye(len(tx))
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    return m


def _trig(fn, deg) -> np.ndarray:
    """``fn(math.radians(d))`` for every angle: math's functions, as the per-image matrices
    use them (numpy's vectorised cos/sin/tan may round differently in the last bit)."""
    return np.array([fn(math.radians(d)) for d in np.asarray(deg, np.float64).tolist()])


def _rotation(deg, centre):
    """`geometry.rotation` for a stack: the same operations in the same order."""
    c, s = _trig(math.cos, deg), _trig(math.sin, deg)
    cx, cy = centre
    m = _eye(len(c))
    m[:, 0, 0], m[:, 0, 1], m[:, 0, 2] = c, s, c * -cx + s * -cy + cx
    m[:, 1, 0], m[:, 1, 1], m[:, 1, 2] = -s, c, -s * -cx + c * -cy + cy
    return m


def _shearing(xdeg, ydeg, centre):
    """`geometry.shearing` for a stack: the same operations in the same order."""
    tx, ty = _trig(math.tan, xdeg), _trig(math.tan, ydeg)
    cx, cy = centre
    m = _eye(len(tx))
    m[:, 0, 1], m[:, 0, 2] = tx, -cx + tx * -cy + cx
    m[:, 1, 0], m[:, 1, 2] = ty, ty * -cx + -cy + cy
    return m


def _affine(cols, size):
    """`Affine.matrix` for a stack: the same operations in the same order."""
    cx, cy = _centre(size)
    co, si = _trig(math.cos, cols["angle"]), _trig(math.sin, cols["angle"])
    t, k = _trig(math.tan, cols["shear"]), np.asarray(cols["scale"], np.float64)
    a00, a01, a10, a11 = k * co, k * (co * t + si), -k * si, k * (co - si * t)
    m = _eye(len(k))
    m[:, 0, 0], m[:, 0, 1] = a00, a01
    m[:, 0, 2] = cx - a00 * cx - a01 * cy + np.asarray(cols["dx"], np.float64) * size[1]
    m[:, 1, 0], m[:, 1, 1] = a10, a11
    m[:, 1, 2] = cy - a10 * cx - a11 * cy + np.asarray(cols["dy"], np.float64) * size[0]
    return m


def matmul3s(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for stacks of 3x3 matrices with `compose.matmul3`'s operations and order,
    so fused batch matrices equal the per-image ones bit for bit."""
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    for i in range(3):
        for j in range(3):
            out[..., i, j] = (a[..., i, 0] * b[..., 0, j] + a[..., i, 1] * b[..., 1, j]
                              + a[..., i, 2] * b[..., 2, j])
    return out


def _scaling(sx, sy, centre=(0.0, 0.0)):
    cx, cy = centre
    m = _eye(len(sx))
    m[:, 0, 0], m[:, 1, 1] = sx, sy
    m[:, 0, 2], m[:, 1, 2] = cx - sx * cx, cy - sy * cy
    return m


def _centre(size):
    return size[1] / 2.0, size[0] / 2.0


def _uni(u, lo_hi):
    lo, hi = float(lo_hi[0]), float(lo_hi[1])
    return lo + (hi - lo) * u


# --- draws ----------------------------------------------------------------------------

def uniforms(op) -> int | None:
    t = type(op)
    if t in (HFlip, VFlip, Rotate):
        return 1
    if t is Scale:
        return 1 if op.keep_aspect else 2
    if t in (Translate, Shear):
        return 2
    if t is Affine:
        return 5
    if t is RGBShift:
        return 3
    if t is PadCrop:
        return 2
    if t in (Pad, Resize):  # fixed by the fields: nothing drawn
        return 0
    return None


def columns(op, u: np.ndarray) -> dict:
    """Params of B images from their (B, uniforms(op)) doubles."""
    t = type(op)
    if t in (HFlip, VFlip):
        return {"flip": u[:, 0] < op.p}
    if t is Rotate:
        return {"angle": _uni(u[:, 0], symmetric(op.degrees, op, "degrees"))}
    if t is Scale:
        sx = _uni(u[:, 0], op.scale)
        return {"sx": sx, "sy": sx if op.keep_aspect else _uni(u[:, 1], op.scale)}
    if t is Translate:
        return {"dx": _uni(u[:, 0], op.x), "dy": _uni(u[:, 1], op.y)}
    if t is Shear:
        return {"sx": _uni(u[:, 0], symmetric(op.x, op, "x")),
                "sy": _uni(u[:, 1], symmetric(op.y, op, "y"))}
    if t is Affine:
        tx, ty = op.translate
        return {"angle": _uni(u[:, 0], symmetric(op.degrees, op, "degrees")),
                "dx": _uni(u[:, 1], (-tx, tx)), "dy": _uni(u[:, 2], (-ty, ty)),
                "scale": _uni(u[:, 3], op.scale),
                "shear": _uni(u[:, 4], symmetric(op.shear, op, "shear"))}
    if t in (Pad, Resize):
        return {}
    if t is PadCrop:  # core.integer: lo + floor((hi - lo) * u), for the whole batch
        p = op.padding
        return {"dx": -p + ((2 * p + 1) * u[:, 0]).astype(np.int64),
                "dy": -p + ((2 * p + 1) * u[:, 1]).astype(np.int64)}
    if t is RGBShift:
        return {"shift": np.stack([_uni(u[:, c], r) for c, r in enumerate(op._ranges)], 1)}
    raise KeyError(t.__name__)


def rows_of(cols: dict) -> list[dict]:
    """One array per key -> per-image params dicts of plain Python values (for the
    non-geometric ops of the static path, whose kernels take params lists)."""
    keys = list(cols)
    vals = [cols[k].tolist() for k in keys]
    return [dict(zip(keys, row)) for row in zip(*vals)]


def columns_of(params: list[dict]) -> dict:
    """Per-image params dicts -> one array per key."""
    return {k: np.array([p[k] for p in params]) for k in params[0]}


# --- matrices ---------------------------------------------------------------------------

def has_matrices(op) -> bool:
    return type(op) in SIZE_KEPT or type(op) in (Crop, Pad, Resize, RandomResizedCrop)


SIZE_KEPT = (HFlip, VFlip, Rotate, Scale, Translate, Shear, Affine, PadCrop)


def out_size(op, size, first_params) -> tuple[int, int]:
    """Every listed op's output size depends on its fields only, not on the draw."""
    if type(op) in SIZE_KEPT:
        return tuple(size)
    return tuple(int(v) for v in op.out_size(first_params, size))


def matrices(op, cols: dict, size, n: int) -> np.ndarray:
    t = type(op)
    h, w = size
    if t in (HFlip, VFlip):
        m = _eye(n)
        flip = np.asarray(cols["flip"], bool)
        if t is HFlip:
            m[flip, 0, 0], m[flip, 0, 2] = -1.0, float(w)
        else:
            m[flip, 1, 1], m[flip, 1, 2] = -1.0, float(h)
        return m
    if t is Rotate:
        return _rotation(cols["angle"], _centre(size))
    if t is Scale:
        return _scaling(cols["sx"], cols["sy"], _centre(size))
    if t is Translate:
        if op.unit == "pixels":
            return _translation(cols["dx"], cols["dy"])
        return _translation(cols["dx"] * w, cols["dy"] * h)
    if t is Shear:
        return _shearing(cols["sx"], cols["sy"], _centre(size))
    if t is Affine:
        return _affine(cols, size)
    if t is PadCrop:
        return _translation(cols["dx"].astype(float), cols["dy"].astype(float))
    if t is Crop:
        return _translation(-cols["left"].astype(float), -cols["top"].astype(float))
    if t in (Pad, Resize):
        return np.broadcast_to(op.matrix({}, size), (n, 3, 3)).copy()
    if t is RandomResizedCrop:
        oh, ow = op.out_size({}, size)
        sx, sy = ow / cols["width"], oh / cols["height"]
        m = _scaling(sx, sy)
        m[:, 0, 2], m[:, 1, 2] = sx * -cols["left"], sy * -cols["top"]
        return m
    raise KeyError(t.__name__)


# --- non-geometric ops -----------------------------------------------------------------------

def leaf_batch(op, x: np.ndarray, params: list) -> np.ndarray | None:
    """A vectorised `apply` for the image of known non-geometric ops, else None.

    CutOut: one copy of the batch, then each hole is one slice assignment (the per-image
    path copies each image and builds a Sample per call)."""
    from .middle.cutout import CutOut
    from .poor.blur import MotionBlur
    from .poor.pca import PCALighting

    t = type(op)
    if t in (RGBShift, PCALighting) and x.shape[-1] == 3:
        # Per-image per-channel shifts: the op's own arithmetic (`shift_channels`) for all
        # images at once, then one saturating cv2.add per image straight into the output.
        import cv2

        from .functional.color import _clip01

        if t is RGBShift:
            unit = np.array([p["shift"] for p in params], np.float64) / 255.0
        else:
            unit = np.array([[float(v) for v in op.rgb_shift(p)] for p in params])
        vals = (unit * 255.0 if x.dtype == np.uint8 else unit).tolist()
        out = np.empty_like(x)
        rows = x.reshape(len(x), 1, -1, 3)
        dst = out.reshape(rows.shape)
        for j, v in enumerate(vals):
            cv2.add(rows[j], (v[0], v[1], v[2], 0.0), dst=dst[j])
        return out if x.dtype == np.uint8 else _clip01(out)
    if t is MotionBlur and x.shape[-1] <= 4 and x.dtype.char in "Bf":
        # The kernels of all images built at once (one vectorised construction per kernel
        # size, bit-identical to `motion_kernel`), then one filter2D per image into the output
        import cv2

        from .functional.blur import _border, motion_kernels, unit_clip

        sizes = np.array([int(p["kernel"]) for p in params])
        out = np.empty_like(x)
        mat = (lambda a: a[..., 0]) if x.shape[-1] == 1 else (lambda a: a)
        border = _border()
        for k in np.unique(sizes).tolist():
            idx = np.flatnonzero(sizes == k).tolist()
            if k == 1:
                out[idx] = x[idx]
                continue
            kernels = motion_kernels(k, [float(params[j]["angle"]) for j in idx])
            for j, kern in zip(idx, kernels):
                cv2.filter2D(mat(x[j]), -1, kern, dst=mat(out[j]), borderType=border)
        return unit_clip(out)  # float32 in [0, 1], as `functional.blur.motion_blur`
    if t is CutOut:
        out = x.copy()
        img0 = x[0] if x.shape[-1] != 1 else x[0, :, :, 0]
        fill = op._fill_for(img0)
        for j, p in enumerate(params):
            for y1, x1, y2, x2 in p["holes"]:
                out[j, y1:y2, x1:x2] = fill
        return out
    return None
