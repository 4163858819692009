"""Batched geometry kernel: warp image j of a (B, H, W, C) batch by matrix j.

Same pixels as `geometry.warp_image` applied image by image (the same exact fast paths:
flips, integer shifts, plain resizes; OpenCV otherwise), with the per-call work hoisted out:
matrices are classified and converted for OpenCV in one vectorised step, flips of a whole
batch are one OpenCV call, shifts pad the batch once, and every warp writes straight into
the output batch.
"""

from __future__ import annotations

import math

import numpy as np

from . import geometry as G
from .fill import fill_for_layout
from .nearest import source_indices

_CV_DTYPES = (np.uint8, np.float32)


def warp_batch(x: np.ndarray, ms: np.ndarray, out_size, interpolation: str = "linear",
               fill=0.0, op=None, border: str | None = "constant") -> np.ndarray:
    """Warp `x[j]` by edge-coordinate matrix `ms[j]` into one (B, oh, ow, C) array. `border`
    as `geometry.warp_checked` takes it (None: an op that uncovers nothing, "constant");
    `fill` follows `fill.fill_for` for one image of the batch where the border is constant;
    errors name `op`."""
    import cv2

    n, h, w, c = x.shape
    oh, ow = int(out_size[0]), int(out_size[1])
    border = "constant" if border is None else border
    fill = 0.0 if border != "constant" else fill_for_layout(
        op if op is not None else "warp_batch", 0.0 if fill is None else fill, x.dtype,
        x.shape[1:])
    if c > 4 or x.dtype.type not in _CV_DTYPES:  # rare layouts: the per-image kernel
        return np.stack([G.warp_checked(x[j], ms[j], (oh, ow), interpolation, fill, border)
                         for j in range(n)]).reshape((n, oh, ow, c))
    out = np.empty((n, oh, ow, c), x.dtype)
    if n and (ms == ms[0]).all():  # one matrix for all (a flip, Resize): skip the sorting
        v = ms[0].ravel().tolist()
        code = _flip_code(v, h, w) if (oh, ow) == (h, w) else None
        if code is not None:
            _flip_all(x, out, code)
            return out
        if _is_resize(v, (oh, ow), (h, w)):
            _resize_all(x, out, interpolation)
            return out
    affine = (ms[:, 2, 0] == 0) & (ms[:, 2, 1] == 0) & (ms[:, 2, 2] == 1)
    axis = affine & (ms[:, 0, 1] == 0) & (ms[:, 1, 0] == 0)
    sx, sy, tx, ty = ms[:, 0, 0], ms[:, 1, 1], ms[:, 0, 2], ms[:, 1, 2]
    unit = (axis & (np.abs(sx) == 1) & (np.abs(sy) == 1) & (tx == np.round(tx))
            & (ty == np.round(ty)))
    same = (oh, ow) == (h, w)
    hflip = unit & (sx == -1) & (sy == 1) & (tx == w) & (ty == 0) & same
    vflip = unit & (sx == 1) & (sy == -1) & (tx == 0) & (ty == h) & same
    both = unit & (sx == -1) & (sy == -1) & (tx == w) & (ty == h) & same
    shift = unit & (sx == 1) & (sy == 1)
    mirror_shift = unit & ~(hflip | vflip | both | shift)  # a fused flip and pad-crop
    rest = ~(hflip | vflip | both | shift | mirror_shift)
    mat = _mat_view(c)
    for code, sel in ((1, hflip), (0, vflip), (-1, both)):
        if sel.all():
            _flip_all(x, out, code)
            continue
        for j in np.flatnonzero(sel):
            cv2.flip(mat(x[j]), code, dst=mat(out[j]))
    if shift.any():
        _shift_batch(x, out, np.flatnonzero(shift), tx.astype(np.int64), ty.astype(np.int64),
                     fill, border)
    if mirror_shift.any():  # mirror, then shift what is left (as `geometry._fast_path`)
        idx = np.flatnonzero(mirror_shift)
        mirrored = np.empty_like(x)
        codes = np.where(sy[idx] > 0, 1, np.where(sx[idx] > 0, 0, -1))
        for j, code in zip(idx.tolist(), codes.tolist()):
            cv2.flip(mat(x[j]), code, dst=mat(mirrored[j]))
        _shift_batch(mirrored, out, idx, (tx - np.where(sx < 0, w, 0)).astype(np.int64),
                     (ty - np.where(sy < 0, h, 0)).astype(np.int64), fill, border)
    if rest.any():
        _general(x, out, ms, np.flatnonzero(rest), affine, axis, interpolation, fill, border)
    return out


def _flip_code(v, h, w):
    """OpenCV's flip code (1, 0, -1) when the matrix (9 floats, row by row) mirrors an
    (h, w) image in place, else None."""
    return {(-1.0, 0.0, float(w), 0.0, 1.0, 0.0, 0.0, 0.0, 1.0): 1,
            (1.0, 0.0, 0.0, 0.0, -1.0, float(h), 0.0, 0.0, 1.0): 0,
            (-1.0, 0.0, float(w), 0.0, -1.0, float(h), 0.0, 0.0, 1.0): -1}.get(tuple(v))


def _is_resize(v, out_size, size) -> bool:
    """The matrix (9 floats) scales (h, w) onto out_size with nothing else (as `_general`
    and `geometry.warp_checked` classify it), and is not the identity."""
    (oh, ow), (h, w) = out_size, size
    return (v[1] == v[2] == v[3] == v[5] == v[6] == v[7] == 0.0 and v[8] == 1.0
            and (v[0], v[4]) != (1.0, 1.0) and math.isclose(v[0], ow / w)
            and math.isclose(v[4], oh / h))


def _resize_all(x, out, interpolation):
    """Resize every image into `out` (one OpenCV call each, nothing else per image)."""
    import cv2

    oh, ow = out.shape[1:3]
    flag = G.resize_flag(interpolation)
    mat = _mat_view(x.shape[3])
    for j in range(x.shape[0]):
        cv2.resize(mat(x[j]), (ow, oh), dst=mat(out[j]), interpolation=flag)
    if x.dtype == np.float32 and interpolation in ("cubic", "lanczos"):
        np.clip(out, 0.0, 1.0, out=out)


def _flip_all(x, out, code):
    """Flip every image of the batch (OpenCV code 1, 0 or -1) into `out`."""
    import cv2

    n, h, w, c = x.shape
    mat = _mat_view(c)
    if code == 0:  # whole rows in reverse order: one numpy copy
        np.copyto(out, x[:, ::-1])
    elif code == 1:  # flipping the rows of the stacked batch flips each image: one call
        cv2.flip(mat(x.reshape(n * h, w, c)), 1, dst=mat(out.reshape(n * h, w, c)))
    else:  # (out of place: with OpenCV 5.1 faster than a copy and an in-place mirror)
        for j in range(n):
            cv2.flip(mat(x[j]), code, dst=mat(out[j]))


def _mat_view(c):
    """OpenCV sees (H, W) for one channel; index away the channel axis (a view)."""
    return (lambda a: a[..., 0]) if c == 1 else (lambda a: a)


def cv_matrices(ms: np.ndarray) -> np.ndarray:
    """`geometry.to_cv` for a stack of matrices: T(-0.5) @ M @ T(+0.5), with the affine
    shift written out in `to_cv`'s (and `warp_checked`'s) operations and order, so each
    matrix is bit for bit what the per-image warp hands OpenCV."""
    out = np.array(ms, dtype=np.float64)
    affine = (ms[:, 2, 0] == 0) & (ms[:, 2, 1] == 0) & (ms[:, 2, 2] == 1)
    for r in (0, 1):
        out[:, r, 2] = ms[:, r, 0] * 0.5 + ms[:, r, 1] * 0.5 + ms[:, r, 2] - 0.5
    for j in np.flatnonzero(~affine).tolist():  # projective: rare, one at a time
        out[j] = G.to_cv(ms[j])
    return out


def _fill_array(f, dtype):
    """A checked fill (float or one per channel) as a value of `dtype`."""
    return np.asarray(f, dtype)


def _shift_batch(x, out, idx, tx, ty, fill, border="constant"):
    """out[j, y, x] = x[j, y - ty, x - tx]: pad the batch once, then one slice per image.
    A non-constant `border` pads by gathering the folded rows and columns
    (`geometry.fold_index`: the image extended about its own edges, as OpenCV extends it)."""
    n, h, w, c = x.shape
    oh, ow = out.shape[1:3]
    tys, txs = ty[idx], tx[idx]
    if border == "constant" and h * w < 4096 and len(idx) == n and (tys == tys[0]).all() \
            and (txs == txs[0]).all():
        _shift_uniform(x, out, int(txs[0]), int(tys[0]), fill)  # e.g. Pad: whole-batch slices
        return
    top, left = max(0, int(tys.max())), max(0, int(txs.max()))
    bottom = max(0, int((oh - tys).max()) - h)
    right = max(0, int((ow - txs).max()) - w)
    if h * w >= 4096 and x.dtype.type in _CV_DTYPES and c <= 4:
        _shift_each(x, out, idx, txs, tys, fill, border)  # large: one pass, no padded copy
        return
    src = x[idx] if len(idx) < n else x
    if border != "constant":
        rows = G.fold_index(np.arange(-top, h + bottom), h, border)
        cols = G.fold_index(np.arange(-left, w + right), w, border)
        padded = np.take(np.take(src, rows, axis=1), cols, axis=2)
    elif top or left or bottom or right:
        padded = np.empty((len(idx), h + top + bottom, w + left + right, c), x.dtype)
        padded[...] = _fill_array(fill, x.dtype)
        padded[:, top:top + h, left:left + w] = src
    else:
        padded = src
    for k, j in enumerate(idx):
        y0, x0 = top - int(tys[k]), left - int(txs[k])
        out[j] = padded[k, y0:y0 + oh, x0:x0 + ow]


def _shift_uniform(x, out, tx, ty, fill):
    """Every image shifted by the same (tx, ty): the covered window is one slice copy of
    the whole batch and the border four slice fills (no padded copy, no per-image loop)."""
    h, w = x.shape[1:3]
    oh, ow = out.shape[1:3]
    y0, y1 = min(max(0, ty), oh), max(min(oh, h + ty), 0)
    x0, x1 = min(max(0, tx), ow), max(min(ow, w + tx), 0)
    f = _fill_array(fill, x.dtype)
    if y1 <= y0 or x1 <= x0:
        out[...] = f
        return
    out[:, :y0] = f
    out[:, y1:] = f
    out[:, y0:y1, :x0] = f
    out[:, y0:y1, x1:] = f
    out[:, y0:y1, x0:x1] = x[:, y0 - ty:y1 - ty, x0 - tx:x1 - tx]


def _shift_each(x, out, idx, txs, tys, fill, border="constant"):
    """Per image: copy the covered window and write the border in one OpenCV call."""
    import cv2

    h, w, c = x.shape[1:]
    oh, ow = out.shape[1:3]
    val = G._border(fill)
    mat = _mat_view(c)
    for k, j in enumerate(idx):
        tx, ty = int(txs[k]), int(tys[k])
        if border != "constant":  # the image extended about its own edges
            out[j] = G.shift_image(x[j], tx, ty, (oh, ow), 0.0, border)
            continue
        y0, y1 = max(0, ty), min(oh, h + ty)
        x0, x1 = max(0, tx), min(ow, w + tx)
        if y1 <= y0 or x1 <= x0:
            out[j] = _fill_array(fill, x.dtype)
            continue
        cv2.copyMakeBorder(mat(x[j, y0 - ty:y1 - ty, x0 - tx:x1 - tx]), y0, oh - y1, x0,
                           ow - x1, cv2.BORDER_CONSTANT, dst=mat(out[j]), value=val)


def _general(x, out, ms, idx, affine, axis, interpolation, fill, mode_name="constant"):
    import cv2

    n, h, w, c = x.shape
    oh, ow = out.shape[1:3]
    flag = G._cv_interp(interpolation)
    warp_flag = cv2.INTER_LINEAR if interpolation == "area" else flag
    border = G._border(fill)  # OpenCV reads a bare number as (v, 0, 0, 0)
    rflag = G.resize_flag(interpolation)
    mc = cv_matrices(ms[idx])
    resize = (axis[idx] & (ms[idx, 0, 2] == 0) & (ms[idx, 1, 2] == 0)
              & np.isclose(ms[idx, 0, 0], ow / w, rtol=1e-9, atol=0.0)
              & np.isclose(ms[idx, 1, 1], oh / h, rtol=1e-9, atol=0.0))
    if mode_name == "constant":  # as `geometry.warp_checked`: covered images replicate
        modes = np.where(_covered(ms[idx], (oh, ow), (h, w)), cv2.BORDER_REPLICATE,
                         cv2.BORDER_CONSTANT).tolist()
    else:
        modes = [G.CV_BORDERS[mode_name]] * len(idx)
    window = G.mirrored_window  # crop + resize (+ flip) as one slice and one resize
    xs, outs = (x, out) if c > 1 else (x[..., 0], out[..., 0])  # OpenCV wants (H, W) grey
    plain = affine[idx].all() and not axis[idx].any() and warp_flag != cv2.INTER_NEAREST
    if warp_flag == cv2.INTER_NEAREST and affine[idx].all() and oh * ow <= _GATHER_MAX:
        # augkit's nearest rule (`functional.nearest`) for the whole group at once: one
        # vectorised index computation and one gather instead of a remap per image
        special = [is_r or (is_a and window(m, (oh, ow), (h, w)) is not None) for is_r, is_a, m
                   in zip(resize.tolist(), axis[idx].tolist(),
                          ms[idx].reshape(len(idx), 9).tolist())]
        if not any(special):
            _nearest_all(x, out, mc[:, :2], idx, np.asarray(modes) == cv2.BORDER_REPLICATE,
                         fill, mode_name)
            return
    if plain:
        # rotations, shears, ...: no resize or crop window is possible (ruled out once for
        # the batch), so the loop is OpenCV and nothing else
        for j, mode, mck in zip(idx.tolist(), modes, list(mc[:, :2])):
            cv2.warpAffine(xs[j], mck, (ow, oh), dst=outs[j], flags=warp_flag,
                           borderMode=mode, borderValue=border)
    else:
        for j, is_resize, is_affine, is_axis, mode, m, mck in zip(
                idx.tolist(), resize.tolist(), affine[idx].tolist(), axis[idx].tolist(),
                modes, ms[idx].reshape(len(idx), 9).tolist(), mc):
            src, dst = xs[j], outs[j]
            win = window(m, (oh, ow), (h, w)) if is_axis and not is_resize else None
            if is_resize:
                cv2.resize(src, (ow, oh), dst=dst, interpolation=rflag)
            elif win is not None:
                (y0, y1, x0, x1), code = win
                cv2.resize(src[y0:y1, x0:x1], (ow, oh), dst=dst, interpolation=rflag)
                if code is not None:
                    cv2.flip(dst, code, dst=dst)  # in place (OpenCV supports it)
            else:
                G.warp_cv(src, mck[:2] if is_affine else mck, (oh, ow), warp_flag, mode,
                          border, dst)
    if x.dtype == np.float32 and interpolation in ("cubic", "lanczos"):
        if len(idx) < n:  # fancy indexing copies: clip the selection, then write it back
            out[idx] = np.clip(out[idx], 0.0, 1.0)
        else:
            np.clip(out, 0.0, 1.0, out=out)


# Above this many output pixels a remap per image beats the batch gather (its int64 index
# arrays outgrow the caches: 2x slower at 224x224, measured)
_GATHER_MAX = 64 * 64


def _nearest_all(x, out, mcs, idx, replicate, fill, border="constant") -> None:
    """Nearest warps of images `idx` by their OpenCV matrices `mcs`, into `out`: the source
    indices of `nearest.source_indices`, the border as OpenCV's remap writes it (the edge
    where `replicate`, else `fill`; a non-constant `border` folds the indices as OpenCV
    folds its short ones)."""
    n, h, w, c = x.shape
    # images with the same matrix and border rule (a runner's fixed-magnitude steps) have
    # the same source pixels: computed once per distinct pair, then spread to each image
    first, inv = _distinct(mcs, replicate)
    if first is not None:
        mcs, replicate = mcs[first], replicate[first]
    sx, sy = source_indices(mcs, out.shape[1:3])
    if border != "constant":
        sx = G.fold_index(sx, w, border)  # (already within OpenCV's short range)
        sy = G.fold_index(sy, h, border)
    inside = (sx >= 0) & (sx < w) & (sy >= 0) & (sy < h)
    inside |= replicate[:, None, None]
    np.clip(sx, 0, w - 1, out=sx)
    np.clip(sy, 0, h - 1, out=sy)
    lin = sy * w
    lin += sx
    if first is not None:
        lin, inside = lin[inv], inside[inv]
    lin += (np.asarray(idx) * (h * w))[:, None, None]  # one flat gather
    got = np.take(x.reshape(n * h * w, c), lin, axis=0)  # (k, oh, ow, c)
    if not inside.all():
        got[~inside] = _fill_array(fill, x.dtype)
    out[idx] = got


def _distinct(mcs, replicate):
    """(first image of each distinct (matrix bytes, replicate) pair, each image's pair
    number), or (None, None) when no two images share one."""
    keys = np.concatenate([mcs.reshape(len(mcs), -1), replicate.reshape(-1, 1)], axis=1)
    seen: dict = {}
    first: list = []
    inv = []
    for j, row in enumerate(keys):
        u = seen.setdefault(row.tobytes(), len(first))
        if u == len(first):
            first.append(j)
        inv.append(u)
    return (None, None) if len(first) == len(mcs) else (first, inv)


def _covered(ms, out_size, size) -> np.ndarray:
    """Per matrix: do the centres of all output pixels map inside the input? Then no pixel
    is uncovered and the edge is replicated (as `geometry.warp_image` does)."""
    oh, ow = out_size
    h, w = size
    eps = 1e-6
    if ((ms[:, 2, 0] == 0) & (ms[:, 2, 1] == 0) & (ms[:, 2, 2] == 1)).all():
        # all affine: the closed-form inverse of `geometry._covered`, same arithmetic, for
        # the whole batch at once (no LAPACK call, the same verdicts as image by image)
        a, b, c = ms[:, 0, 0, None], ms[:, 0, 1, None], ms[:, 0, 2, None]
        d, e, f = ms[:, 1, 0, None], ms[:, 1, 1, None], ms[:, 1, 2, None]
        det = a * e - b * d
        ok = det != 0.0
        det = np.where(ok, det, 1.0)
        x = np.array([0.5, ow - 0.5, 0.5, ow - 0.5]) - c
        y = np.array([0.5, 0.5, oh - 0.5, oh - 0.5]) - f
        sx, sy = (e * x - b * y) / det, (a * y - d * x) / det
        return ok[:, 0] & ((sx >= -eps) & (sx <= w + eps) & (sy >= -eps)
                           & (sy <= h + eps)).all(1)
    ok = np.abs(np.linalg.det(ms)) > 0
    inv = np.linalg.inv(np.where(ok[:, None, None], ms, np.eye(3)))
    pts = np.array([[0.5, 0.5, 1.0], [ow - 0.5, 0.5, 1.0], [0.5, oh - 0.5, 1.0],
                    [ow - 0.5, oh - 0.5, 1.0]])
    src = pts @ inv.transpose(0, 2, 1)  # (n, 4, 3)
    affine = (ms[:, 2, 0] == 0) & (ms[:, 2, 1] == 0) & (ms[:, 2, 2] == 1)
    den = np.where(affine[:, None], 1.0, src[..., 2])
    sx, sy = src[..., 0] / den, src[..., 1] / den
    return ok & ((sx >= -eps) & (sx <= w + eps) & (sy >= -eps) & (sy <= h + eps)).all(1)
