"""Geometry kernels: 3x3 matrices in pixel-edge coordinates and the warps that apply them.

Pixel ``i`` spans ``[i, i+1)``. OpenCV addresses pixel centres by integer index, so a matrix
``M`` in edge coordinates becomes ``T(-0.5) @ M @ T(+0.5)`` for OpenCV (`to_cv`).
Exact fast paths (copy, flip, integer shift/crop/pad, plain resize) are taken whenever the
matrix allows them; they give the same pixels as the general warp would, only faster.
"""

from __future__ import annotations

import math

import numpy as np

from .fill import fill_for, label_fill_for
from .nearest import source_maps, warp_nearest

INTERPOLATIONS = ("nearest", "linear", "cubic", "area", "lanczos")

# Border modes: what a warp, pad or remap reads where it samples outside the image. The
# values are OpenCV's BORDER_* constants (cv2.BORDER_CONSTANT = 0, ... ; stable across
# releases, written out so that importing this module never loads cv2), which are also
# albumentations' ``border_mode`` ints.
BORDERS = ("constant", "reflect", "reflect101", "replicate", "wrap")
CV_BORDERS = {"constant": 0, "replicate": 1, "reflect": 2, "wrap": 3, "reflect101": 4}


_CV_FLAGS: dict = {}  # filled on first use so that importing this module never loads cv2
_CV2: list = []
_BORDER_CONSTANT = 0  # cv2.BORDER_CONSTANT


def _cv2():
    """cv2, imported on first use (cheaper than an import statement on every call)."""
    if not _CV2:
        import cv2

        _CV2.append(cv2)
    return _CV2[0]


def _cv_interp(name: str) -> int:
    if not _CV_FLAGS:
        import cv2

        _CV_FLAGS.update(nearest=cv2.INTER_NEAREST, linear=cv2.INTER_LINEAR,
                         cubic=cv2.INTER_CUBIC, area=cv2.INTER_AREA, lanczos=cv2.INTER_LANCZOS4)
    return _CV_FLAGS[name]


def resize_flag(name: str) -> int:
    """The OpenCV flag a resize uses for `name`: plain INTER_NEAREST in `cv2.resize` is off
    by half a pixel against the warp's mapping, INTER_NEAREST_EXACT is not."""
    if name == "nearest":
        return _cv2().INTER_NEAREST_EXACT
    flag = _CV_FLAGS.get(name)  # filled by _cv_interp's first call
    return _cv_interp(name) if flag is None else flag


def check_border(op, border, field: str = "border") -> None:
    """A border mode name (`BORDERS`); anything else is a typed error naming op and field."""
    if not isinstance(border, str) or border not in CV_BORDERS:
        from ..errors import short_repr, value_error

        raise value_error(op, field, f"is {short_repr(border)}; expected one of {BORDERS} "
                          "(constant paints `fill` / `mask_fill`; the others extend the image: "
                          "reflect = OpenCV BORDER_REFLECT, reflect101 = BORDER_REFLECT_101, "
                          "replicate = BORDER_REPLICATE, wrap = BORDER_WRAP)")


def fold_index(i: np.ndarray, n: int, border: str) -> np.ndarray:
    """Integer indices `i` (any range) folded into [0, n) as OpenCV's `borderInterpolate`
    folds them for a non-constant `border`: the index each out-of-image tap reads."""
    i = np.asarray(i, np.int64)
    if border == "replicate":
        return np.clip(i, 0, n - 1)
    if border == "wrap":
        return np.mod(i, n)
    if n == 1:
        return np.zeros_like(i)
    period = 2 * n if border == "reflect" else 2 * n - 2  # reflect: the edge pixel repeats
    j = np.mod(i, period)
    return np.where(j >= n, period - 1 - j if border == "reflect" else period - j, j)


# --- matrices ---------------------------------------------------------------------------

# Templates copied and patched: a 3x3 copy plus one or two item writes costs a third of
# building the array from nested lists (these run once per call of the cheap ops).
_EYE = np.eye(3)
_HFLIP = np.array([[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
_VFLIP = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]])


def identity() -> np.ndarray:
    return _EYE.copy()


def translation(tx: float, ty: float) -> np.ndarray:
    m = _EYE.copy()
    m[0, 2] = tx
    m[1, 2] = ty
    return m


def scaling(sx: float, sy: float, centre=(0.0, 0.0)) -> np.ndarray:
    cx, cy = centre
    return np.array([[sx, 0.0, cx - sx * cx], [0.0, sy, cy - sy * cy], [0.0, 0.0, 1.0]])


def rotation(degrees: float, centre=(0.0, 0.0)) -> np.ndarray:
    """Counter-clockwise on screen for positive angles (y points down), like PIL and OpenCV."""
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    cx, cy = centre  # T(c) @ R @ T(-c), written out (one array instead of five)
    return np.array([[c, s, c * -cx + s * -cy + cx], [-s, c, -s * -cx + c * -cy + cy],
                     [0.0, 0.0, 1.0]])


def shearing(x_degrees: float, y_degrees: float = 0.0, centre=(0.0, 0.0)) -> np.ndarray:
    """x' = x + tan(x_deg) * y, y' = y + tan(y_deg) * x, about `centre`."""
    cx, cy = centre  # T(c) @ SH @ T(-c), written out
    tx, ty = math.tan(math.radians(x_degrees)), math.tan(math.radians(y_degrees))
    return np.array([[1.0, tx, -cx + tx * -cy + cx], [ty, 1.0, ty * -cx + -cy + cy],
                     [0.0, 0.0, 1.0]])


def hflip(width: float) -> np.ndarray:
    m = _HFLIP.copy()
    m[0, 2] = width
    return m


def vflip(height: float) -> np.ndarray:
    m = _VFLIP.copy()
    m[1, 2] = height
    return m


def to_cv(m: np.ndarray) -> np.ndarray:
    """Edge-coordinate matrix -> OpenCV's pixel-index matrix."""
    if is_affine(m):  # T(-0.5) @ M @ T(0.5) written out: only the shift changes
        out = np.array(m, dtype=np.float64)
        out[0, 2] = m[0, 0] * 0.5 + m[0, 1] * 0.5 + m[0, 2] - 0.5
        out[1, 2] = m[1, 0] * 0.5 + m[1, 1] * 0.5 + m[1, 2] - 0.5
        return out
    # a homography: T(-0.5) @ M @ T(0.5) written out (two 3x3 products cost ~2 us)
    out = np.array(m, dtype=np.float64)
    out[:, 2] += 0.5 * (out[:, 0] + out[:, 1])
    out[:2] -= 0.5 * out[2]
    return out


def is_affine(m: np.ndarray) -> bool:
    return m[2, 0] == 0.0 and m[2, 1] == 0.0 and m[2, 2] == 1.0


# --- images and masks --------------------------------------------------------------------

def _fast_path(img, m, out_size):
    """Exact results for copies, flips, integer shifts and crops/pads; None if no fast path.
    `m`: the matrix, or its 9 entries row by row as Python floats."""
    oh, ow = out_size
    h, w = img.shape[:2]
    # Python floats: cheap compares
    sx, b, tx, d, sy, ty, g, k, one = m if isinstance(m, list) else m.ravel().tolist()
    if g != 0.0 or k != 0.0 or one != 1.0 or b != 0.0 or d != 0.0:
        return None
    if abs(sx) != 1.0 or abs(sy) != 1.0 or tx != round(tx) or ty != round(ty):
        return None
    if sx == 1.0 and sy == 1.0:
        return "shift", int(tx), int(ty)
    if oh != h or ow != w or (tx != (w if sx < 0 else 0.0) or ty != (h if sy < 0 else 0.0)):
        # a mirror and an integer shift (a fused flip and pad-crop): mirror the image, then
        # shift the mirror by what is left (x_out = tx - x_in = (w - x_in) + (tx - w))
        code = 1 if sy > 0 else (0 if sx > 0 else -1)
        return ("shift", int(tx) - (w if sx < 0 else 0), int(ty) - (h if sy < 0 else 0), code)
    if sx == -1.0 and tx == w:  # the same tests as before, without building tuples
        if sy == 1.0 and ty == 0.0:
            return flip_image(img, 1)
        if sy == -1.0 and ty == h:
            return flip_image(img, -1)
    elif sx == 1.0 and sy == -1.0 and tx == 0.0 and ty == h:
        return flip_image(img, 0)
    return None


# dtypes OpenCV flips (by character: a string test instead of five dtype comparisons)
_CV_FLIP_CHARS = frozenset(np.dtype(t).char for t in (np.uint8, np.float32, np.int32,
                                                      np.uint16, np.int16))


def flip_image(img, code):
    """A mirrored copy of `img`: OpenCV's flip code 1 (left-right), 0 (top-bottom) or -1."""
    cv2 = _cv2()
    if img.dtype.char in _CV_FLIP_CHARS and (img.ndim == 2 or img.shape[2] <= 4):
        # OpenCV's out-of-place flip. (A copy then an in-place mirror was faster with earlier
        # OpenCV builds; with 5.1 it is 1.2-1.8x slower at 256x256x3, measured: #14's HFlip
        # row that read 0.67x albumentations.)
        out = cv2.flip(img, code)
        return out if out.ndim == img.ndim else out.reshape(img.shape)  # (H, W, 1)
    axes = {1: (1,), 0: (0,), -1: (0, 1)}[code]
    return np.ascontiguousarray(np.flip(img, axes))


def _shift(img, tx, ty, out_size, fill):
    """out[y, x] = img[y - ty, x - tx]: a pure integer translation with a constant border."""
    oh, ow = out_size
    h, w = img.shape[:2]
    out = np.empty((oh, ow) + img.shape[2:], img.dtype)
    y0, y1 = max(0, ty), min(oh, h + ty)
    x0, x1 = max(0, tx), min(ow, w + tx)
    if y1 <= y0 or x1 <= x0:
        out[...] = fill
        return out
    if img.dtype.char in "Bf" and img.ndim == 3 and img.shape[2] <= 4:
        # One OpenCV call copies the window and writes the border: 2x faster than numpy
        # slicing at 256x256 and at 32x32 (1.4 against 3.5 us)
        val = ([float(fill)] * 4 if isinstance(fill, (int, float)) or np.ndim(fill) == 0
               else [float(v) for v in fill] + [0.0] * (4 - len(fill)))
        _cv2().copyMakeBorder(img[y0 - ty:y1 - ty, x0 - tx:x1 - tx], y0, oh - y1, x0, ow - x1,
                              _BORDER_CONSTANT, dst=out, value=val)
        return out
    if y0 > 0 or x0 > 0 or y1 < oh or x1 < ow:  # fill only the uncovered border
        out[:y0] = fill
        out[y1:] = fill
        out[y0:y1, :x0] = fill
        out[y0:y1, x1:] = fill
    out[y0:y1, x0:x1] = img[y0 - ty:y1 - ty, x0 - tx:x1 - tx]
    return out


def shift_image(img, tx: int, ty: int, out_size: tuple[int, int], f,
                border: str = "constant"):
    """out[y, x] = img[y - ty, x - tx] for integer tx, ty, out_size (H, W) and `f` from
    `fill.fill_for`: what `warp_checked` gives for a pure integer translation. An in-bounds
    window (a crop, or no move) is a view, as outputs may share unchanged pixels with the
    input (albumentations and torchvision crop the same way); otherwise a copy with `f` in
    the uncovered border, or the image extended by `border` (`f` unused then)."""
    oh, ow = out_size
    if tx <= 0 and ty <= 0 and oh - ty <= img.shape[0] and ow - tx <= img.shape[1]:
        return img[-ty:oh - ty, -tx:ow - tx]
    if border != "constant":
        return _shift_border(img, tx, ty, (oh, ow), border)
    return _shift(img, tx, ty, (oh, ow), f if not isinstance(f, tuple)
                  else np.asarray(f, img.dtype))


def _shift_border(img, tx, ty, out_size, border):
    """`_shift` with a non-constant border: out[y, x] = img[fold(y - ty), fold(x - tx)],
    the image extended about its own edges (one `cv2.copyMakeBorder` of the whole image,
    then the window; numpy's gather for dtypes and channel counts OpenCV does not pad)."""
    oh, ow = out_size
    h, w = img.shape[:2]
    if img.dtype.char in _CV_FLIP_CHARS and (img.ndim == 2 or img.shape[2] <= 4):
        top, left = max(0, ty), max(0, tx)
        bottom, right = max(0, oh - ty - h), max(0, ow - tx - w)
        padded = _cv2().copyMakeBorder(img, top, bottom, left, right, CV_BORDERS[border])
        out = padded[top - ty:top - ty + oh, left - tx:left - tx + ow]
        return np.ascontiguousarray(out).reshape((oh, ow) + img.shape[2:])
    rows = fold_index(np.arange(oh) - ty, h, border)
    cols = fold_index(np.arange(ow) - tx, w, border)
    return np.take(np.take(img, rows, axis=0), cols, axis=1)


def resize_window(img, win, out_size: tuple[int, int], interpolation: str):
    """The integer window (y0, y1, x0, x1) of `img`, resized to out_size (H, W): what
    `warp_checked` gives for a matrix that only scales and shifts onto that window."""
    y0, y1, x0, x1 = win
    oh, ow = out_size
    shape = img.shape
    if len(shape) == 3 and shape[2] > 4:  # some of OpenCV's resizes take at most 4
        return np.concatenate([resize_window(img[:, :, i:i + 4], win, out_size, interpolation)
                               .reshape(oh, ow, -1) for i in range(0, shape[2], 4)], axis=2)
    out = _cv2().resize(img[y0:y1, x0:x1], (ow, oh), interpolation=resize_flag(interpolation))
    if out.ndim != len(shape):  # OpenCV drops the axis of a (H, W, 1) image
        out = out.reshape((oh, ow) + shape[2:])
    # cubic and lanczos overshoot: float images must stay in [0, 1]
    return _clipped(out, interpolation in ("cubic", "lanczos") and img.dtype == np.float32)


def warp_image(img: np.ndarray, m: np.ndarray, out_size: tuple[int, int],
               interpolation: str = "linear", fill=0.0, op=None,
               border: str = "constant") -> np.ndarray:
    """Warp `img` by edge-coordinate matrix `m` into an image of `out_size` (H, W).

    `border` says what is read outside the image (`BORDERS`): ``"constant"`` paints `fill`
    (image units, one value or one per channel, checked by `fill.fill_for`; errors name
    `op`), the others extend the image as OpenCV's border types do (`fill` unused)."""
    if border != "constant":
        return warp_checked(img, m, (int(out_size[0]), int(out_size[1])), interpolation, 0.0,
                            border)
    f = fill_for(op if op is not None else "warp_image", fill, img)
    return warp_checked(img, m, (int(out_size[0]), int(out_size[1])), interpolation, f)


def _border(f) -> tuple:
    """OpenCV's 4-value border: it reads a bare number as (v, 0, 0, 0), so spell it out."""
    return f + (0.0,) * (4 - len(f)) if isinstance(f, tuple) else (f, f, f, f)


def warp_checked(img, m, out_size, interpolation, f, border="constant"):
    """`warp_image` with `f` already from `fill_for` (a float or one float per channel) and
    `out_size` a pair of ints: no checks (masks and batches come through here).

    Border: ``"constant"`` paints `f`, except that a warp whose output pixel centres all land
    inside the input replicates the edge (no pixel is uncovered: no dark fringe); any other
    mode is OpenCV's border type of that name, always. The exact fast paths (flips, integer
    shifts, resizes of a window inside the image) read no pixel outside but the shifts'
    border, which follows `border` too."""
    oh, ow = out_size
    channels = 1 if img.ndim == 2 else img.shape[2]
    vals = m.ravel().tolist()  # Python floats: cheap tests below
    fp = _fast_path(img, vals, (oh, ow))
    if fp is not None:
        if isinstance(fp, tuple):
            src = img if len(fp) == 3 else flip_image(img, fp[3])
            return shift_image(src, fp[1], fp[2], (oh, ow), f, border)
        return fp
    cv2 = _cv2()
    h, w = img.shape[:2]
    flag = _CV_FLAGS.get(interpolation) or _cv_interp(interpolation)
    # cubic and lanczos overshoot: float images must stay in [0, 1]
    clip = img.dtype == np.float32 and interpolation in ("cubic", "lanczos")
    a, b, c, d, e, f_, g, k, one = vals
    affine = g == 0.0 and k == 0.0 and one == 1.0
    if (affine and b == 0.0 and d == 0.0 and c == 0.0 and f_ == 0.0
            and math.isclose(a, ow / w) and math.isclose(e, oh / h)):
        return resize_window(img, (0, h, 0, w), (oh, ow), interpolation)
    mirrored = mirrored_window(vals, (oh, ow), (h, w))
    if mirrored is not None:  # a crop with integer edges, a resize (RandomResizedCrop), a flip
        return mirrored_resize(img, mirrored, (oh, ow), interpolation)
    if interpolation == "area":
        flag = cv2.INTER_LINEAR  # area is defined for resizes only
    if channels > 4:  # OpenCV warps at most 4 channels at once
        parts = [warp_checked(img[:, :, i:i + 4], m, (oh, ow), interpolation,
                       (f[i:i + 4] if len(f[i:i + 4]) > 1 else f[i]) if isinstance(f, tuple)
                       else f, border)
                 for i in range(0, channels, 4)]
        return np.concatenate([p.reshape(oh, ow, -1) for p in parts], axis=2)
    if border == "constant":
        # When every output pixel centre lands inside the input, no pixel is uncovered:
        # replicate the edge (as a resize does) instead of blending a dark fringe of `fill`
        # into the border.
        mode = (cv2.BORDER_REPLICATE if _covered(vals, (oh, ow), (h, w))
                else cv2.BORDER_CONSTANT)
    else:
        mode = CV_BORDERS[border]
    if affine:  # to_cv written out: T(-0.5) @ M @ T(0.5) changes only the shift
        mc = np.array([[a, b, a * 0.5 + b * 0.5 + c - 0.5], [d, e, d * 0.5 + e * 0.5 + f_ - 0.5]])
    else:
        mc = to_cv(m)
    out = warp_cv(img, mc, (oh, ow), flag, mode, _border(f))
    return _clipped(out.reshape((oh, ow) + img.shape[2:]), clip)


def warp_cv(img, mc, out_size, flag, mode, border, dst=None):
    """One OpenCV warp: `mc` a 2x3 (warpAffine) or 3x3 (warpPerspective) OpenCV matrix,
    `border` OpenCV's 4 values. Nearest sampling goes through `nearest.warp_nearest`."""
    cv2 = _cv2()
    oh, ow = out_size
    if flag == cv2.INTER_NEAREST:  # OpenCV 5's own depends on the thread count
        return warp_nearest(img, mc, out_size, mode, border, dst)
    warp = cv2.warpAffine if len(mc) == 2 else cv2.warpPerspective
    # No 4-channel route for warps (remaps keep it: 2x there): with OpenCV 5.1 a 3-channel
    # warp is as fast at 256^2 (152 vs 148 us) and faster from a larger source or at 512^2
    # (613 vs 798 us; 45 vs 178 us for COCO's 640x480 to 256^2, where the RGBA copy of the
    # whole source cost more than the warp), measured one thread
    if dst is None:
        return warp(img, mc, (ow, oh), flags=flag, borderMode=mode, borderValue=border)
    return warp(img, mc, (ow, oh), dst=dst, flags=flag, borderMode=mode, borderValue=border)


def _clipped(out, clip: bool):
    return np.clip(out, 0.0, 1.0, out=out) if clip else out


def _resize_window(vals, out_size, size):
    """(y0, y1, x0, x1) when the matrix (row-major values) maps the output onto an integer
    window inside the image by scaling and shifting only: slicing that window and resizing it
    is then the same mapping as the warp (except that the outermost output pixels clamp to the
    window, as torchvision's and albumentations' crop-then-resize do, where the warp would
    blend in the pixel just outside it), and 3-8x faster. None otherwise."""
    a, b, c, d, e, f, g, k, one = vals
    if g != 0.0 or k != 0.0 or one != 1.0 or b != 0.0 or d != 0.0 or a <= 0.0 or e <= 0.0:
        return None
    oh, ow = out_size
    x0, y0 = -c / a, -f / e
    x1, y1 = x0 + ow / a, y0 + oh / e
    ix0, iy0, ix1, iy1 = round(x0), round(y0), round(x1), round(y1)
    if not (0 <= ix0 < ix1 <= size[1] and 0 <= iy0 < iy1 <= size[0]):
        return None
    if max(abs(x0 - ix0), abs(y0 - iy0), abs(x1 - ix1), abs(y1 - iy1)) > 1e-6:
        return None
    return iy0, iy1, ix0, ix1


def mirrored_window(vals, out_size, size):
    """(window, flip code) when the matrix (row-major values) is `_resize_window`'s crop and
    resize, possibly mirrored in x and / or y (a RandomResizedCrop fused with a flip): the
    window resized, then flipped by OpenCV's code (1, 0, -1; None: no flip). 3-8x faster
    than the warp, and the same pixels as the two ops one after the other. None otherwise."""
    a, b, c, d, e, f, g, k, one = vals
    if a > 0.0 and e > 0.0:
        win = _resize_window(vals, out_size, size)
        return None if win is None else (win, None)
    oh, ow = out_size
    # undo the mirror: x_out = a x + c with a < 0 is ow - (-a x + ow - c)
    a0, c0 = (-a, ow - c) if a < 0.0 else (a, c)
    e0, f0 = (-e, oh - f) if e < 0.0 else (e, f)
    win = _resize_window([a0, b, c0, d, e0, f0, g, k, one], out_size, size)
    if win is None:
        return None
    return win, (-1 if a < 0.0 and e < 0.0 else 1 if a < 0.0 else 0)


def mirrored_resize(img, mirrored, out_size, interpolation):
    """`img`'s window resized, then flipped: `mirrored` is `mirrored_window`'s answer."""
    win, code = mirrored
    out = resize_window(img, win, out_size, interpolation)
    return out if code is None else flip_image(out, code)


def _covered(vals, out_size, size) -> bool:
    """Whether the centres of all output pixels map inside the input (edge coordinates);
    `vals`: the matrix's 9 entries row by row."""
    oh, ow = out_size
    h, w = size
    a, b, c, d, e, f, g, k, one = vals
    if g == 0.0 and k == 0.0 and one == 1.0:  # closed-form affine inverse: no LAPACK call
        det = a * e - b * d
        if det == 0.0:
            return False
        eps = 1e-6
        for x, y in ((0.5, 0.5), (ow - 0.5, 0.5), (0.5, oh - 0.5), (ow - 0.5, oh - 0.5)):
            x, y = x - c, y - f
            sx, sy = (e * x - b * y) / det, (a * y - d * x) / det
            if not (-eps <= sx <= w + eps and -eps <= sy <= h + eps):
                return False
        return True
    # a homography: the inverse as adjugate / determinant, in Python floats (np.linalg.inv
    # and a points array cost more than the warp's own setup at photo sizes)
    i00, i01, i02 = e * one - f * k, c * k - b * one, b * f - c * e
    i10, i11, i12 = f * g - d * one, a * one - c * g, c * d - a * f
    i20, i21, i22 = d * k - e * g, b * g - a * k, a * e - b * d
    det = a * i00 + b * i10 + c * i20
    if det == 0.0 or not math.isfinite(det):
        return False
    eps = 1e-6
    for x, y in ((0.5, 0.5), (ow - 0.5, 0.5), (0.5, oh - 0.5), (ow - 0.5, oh - 0.5)):
        wz = i20 * x + i21 * y + i22
        if wz == 0.0:
            return False
        sx, sy = (i00 * x + i01 * y + i02) / wz, (i10 * x + i11 * y + i12) / wz
        if not (-eps <= sx <= w + eps and -eps <= sy <= h + eps):
            return False
    return True


_CV_MASK_DTYPES = (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32)


def warp_mask(mask: np.ndarray, m: np.ndarray, out_size, fill=0, op=None,
              border: str = "constant") -> np.ndarray:
    """Warp an integer label mask with nearest-neighbour sampling; dtype is kept. `fill`
    must fit the dtype (`fill.label_fill_for`; errors name `op`) where `border` is
    ``"constant"``; any other border extends the mask as it extends the image."""
    if border == "constant":
        fill = label_fill_for(op if op is not None else "warp_mask", fill, mask)
    else:
        fill = 0
    out_size = (int(out_size[0]), int(out_size[1]))
    dt = mask.dtype
    if mask.size == 0:  # (H, W, 0): an instance mask of an image without instances
        return np.zeros((int(out_size[0]), int(out_size[1])) + mask.shape[2:], dt)
    if dt.type in _CV_MASK_DTYPES:
        return warp_checked(mask, m, out_size, "nearest", float(fill), border)
    if dt == np.bool_:
        return warp_checked(mask.view(np.uint8), m, out_size, "nearest",
                            float(fill), border).astype(bool)
    # int64 & co: OpenCV cannot warp them; labels that fit int32 travel as int32.
    lo, hi = (int(mask.min()), int(mask.max())) if mask.size else (0, 0)
    if lo >= np.iinfo(np.int32).min and hi <= np.iinfo(np.int32).max:
        return warp_checked(mask.astype(np.int32), m, out_size, "nearest",
                            float(fill), border).astype(dt)
    fp = _fast_path(mask, m, out_size)
    if fp is not None and not isinstance(fp, tuple):
        return fp
    # Wide labels: the source pixels of the other nearest warps, gathered by numpy
    oh, ow = out_size
    mc = to_cv(m)
    maps = source_maps(mc[:2] if is_affine(m) else mc, (oh, ow))
    if maps is None:  # singular: nothing maps back into the image
        return np.full((oh, ow) + mask.shape[2:], fill, dtype=dt)
    ix, iy = (np.rint(p).astype(np.int64).ravel() for p in maps)
    if border != "constant":  # OpenCV's short source indices, folded as it folds them
        ix = fold_index(ix, mask.shape[1], border)
        iy = fold_index(iy, mask.shape[0], border)
        return mask[iy, ix].reshape((oh, ow) + mask.shape[2:])
    ok = (ix >= 0) & (ix < mask.shape[1]) & (iy >= 0) & (iy < mask.shape[0])
    out = np.full((oh * ow,) + mask.shape[2:], fill, dtype=dt)
    out[ok] = mask[iy[ok], ix[ok]]
    return out.reshape((oh, ow) + mask.shape[2:])


# --- boxes and keypoints -----------------------------------------------------------------

def apply_points(m: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Move (..., 2) points by a 3x3 matrix (projective division included)."""
    flat = xy.reshape(-1, 2).astype(np.float64)
    out = flat @ m[:2, :2].T + m[:2, 2]
    if not is_affine(m):
        den = flat @ m[2, :2] + m[2, 2]
        out = out / den[:, None]
    return out.reshape(xy.shape)


def warp_boxes(boxes: np.ndarray, m: np.ndarray, out_size) -> np.ndarray:
    """Enclosing box of the four moved corners, clipped to the output image."""
    if boxes.shape[0] == 0:
        return boxes.astype(np.float32).reshape(0, 4)
    b = boxes.astype(np.float64)
    corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [0, 3]], b[:, [2, 3]]], axis=1)
    return enclosing_boxes(apply_points(m, corners), out_size)


def enclosing_boxes(pts: np.ndarray, size) -> np.ndarray:
    """(N, M, 2) moved outline points -> (N, 4) enclosing xyxy boxes clipped to `size`."""
    h, w = size
    x1 = np.clip(pts[..., 0].min(1), 0, w)
    x2 = np.clip(pts[..., 0].max(1), 0, w)
    y1 = np.clip(pts[..., 1].min(1), 0, h)
    y2 = np.clip(pts[..., 1].max(1), 0, h)
    return np.stack([x1, y1, x2, y2], 1).astype(np.float32)


def warp_keypoints(kp: np.ndarray, m: np.ndarray, out_size) -> np.ndarray:
    """Move keypoints; those leaving the image are kept and marked not visible (v = 0)."""
    out = np.array(kp, dtype=kp.dtype if kp.dtype in (np.float32, np.float64) else np.float32)
    out[..., :2] = apply_points(m, out[..., :2])
    return hide_outside(out, out_size)


def hide_outside(kp: np.ndarray, size) -> np.ndarray:
    """Set visibility 0, in place, for (..., 3) keypoints outside the closed image rectangle
    [0, W] x [0, H] (edge coordinates: x = W is the right edge of the last pixel, where a
    point at x = 0 lands after a flip; boxes clip to the same rectangle). Returns `kp`;
    (..., 2) keypoints carry no visibility and are returned as they are."""
    if kp.shape[-1] == 3:
        h, w = size
        x, y = kp[..., 0], kp[..., 1]
        outside = (x < 0) | (x > w) | (y < 0) | (y > h)
        if outside.any():
            kp[..., 2] = np.where(outside, 0, kp[..., 2])
    return kp
