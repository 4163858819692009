"""Non-linear warps: elastic (Simard et al. 2003) and grid distortion.

A distortion is given by its *backward* map: output point ``p`` (pixel-edge coordinates)
samples the input at ``p + d(p)``. Images and masks are remapped through it; keypoints and
box outlines must move the other way, so `elastic_forward` solves ``p + d(p) = q`` for ``p``
(Newton's method on the bilinearly interpolated field). Grid maps are separable and monotone,
so they invert exactly with `numpy.interp`.
"""

from __future__ import annotations

import numpy as np

from .fill import fill_for, label_fill_for
from .scratch import rgba_worth, via_rgba

# --- fields ------------------------------------------------------------------------------

def elastic_field(seed: int, size: tuple[int, int], alpha: float,
                  sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Simard's displacement field: uniform(-1, 1) noise smoothed by a Gaussian of `sigma`
    pixels, scaled by `alpha`. A pure function of its arguments; (dx, dy) float32 (H, W)."""
    import cv2

    h, w = size
    # dx's h*w draws, then dy's: the doubles of two rng.uniform(-1, 1, (h, w)) calls, bit
    # for bit (uniform is -1 + 2u), in one call and without uniform's per-call checks
    u = np.random.default_rng(int(seed)).random((2, h, w))
    u *= 2.0
    u -= 1.0
    noise = u.astype(np.float32)
    out = []
    for d in noise:
        d = cv2.GaussianBlur(d, (0, 0), sigmaX=float(sigma), sigmaY=float(sigma),
                             borderType=cv2.BORDER_REFLECT_101).reshape(h, w)
        d *= np.float32(alpha)
        out.append(d)
    return out[0], out[1]


def grid_knots(steps, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(output knots, source knots) of a piecewise-linear 1-D grid map, edge coordinates.

    ``steps`` are the relative source widths of equal output cells (each > 0); they are
    normalised so the map takes [0, length] onto itself."""
    s = np.asarray(steps, dtype=np.float64)
    out_k = np.linspace(0.0, float(length), len(s) + 1)
    src_k = np.concatenate([[0.0], np.cumsum(s)]) * (float(length) / s.sum())
    src_k[-1] = float(length)
    return out_k, src_k


def grid_maps(xsteps, ysteps, size) -> tuple[np.ndarray, np.ndarray]:
    """OpenCV index-coordinate maps (map_x, map_y), float32 (H, W), for a grid distortion."""
    h, w = size
    ox, sx = grid_knots(xsteps, w)
    oy, sy = grid_knots(ysteps, h)
    mx = np.interp(np.arange(w) + 0.5, ox, sx) - 0.5
    my = np.interp(np.arange(h) + 0.5, oy, sy) - 0.5
    map_x = np.broadcast_to(mx.astype(np.float32)[None, :], (h, w))
    map_y = np.broadcast_to(my.astype(np.float32)[:, None], (h, w))
    return np.ascontiguousarray(map_x), np.ascontiguousarray(map_y)


def grid_forward(xsteps, ysteps, size, pts: np.ndarray) -> np.ndarray:
    """Move (M, 2) input points (edge coords) to where the grid distortion puts them: the
    exact inverse of the monotone piecewise-linear backward map (linear beyond the border)."""
    h, w = size
    out = np.array(pts, dtype=np.float64).reshape(-1, 2)
    for axis, steps, n in ((0, xsteps, w), (1, ysteps, h)):
        o, s = grid_knots(steps, n)
        v = out[:, axis]
        inside = (v >= 0) & (v <= n)
        res = v.copy()  # outside the image the map is the identity (fill region)
        res[inside] = np.interp(v[inside], s, o)
        out[:, axis] = res
    return out


def displacement_maps(dx: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Backward maps in OpenCV index coordinates: output pixel (i, j) samples (j+dx, i+dy)."""
    h, w = dx.shape
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys = np.arange(h, dtype=np.float32)[:, None]
    return np.add(xs, dx, dtype=np.float32), np.add(ys, dy, dtype=np.float32)


# --- inverting the backward map ----------------------------------------------------------

def _bilinear2(f, x: np.ndarray, y: np.ndarray):
    """Value and gradient of the bilinear interpolant of the field pair f = (dx, dy)
    (float64 (H, W) each) at index coords (x, y), held constant beyond the outermost
    samples. Returns (ux, uy, (dux/dx, dux/dy, duy/dx, duy/dy))."""
    h, w = f[0].shape
    inx = (x > 0) & (x < w - 1)
    iny = (y > 0) & (y < h - 1)
    xc = np.clip(x, 0, w - 1)
    yc = np.clip(y, 0, h - 1)
    x0 = np.minimum(xc.astype(np.int64), max(w - 2, 0))  # xc >= 0: truncation is floor
    y0 = np.minimum(yc.astype(np.int64), max(h - 2, 0))
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx = xc - x0
    fy = yc - y0
    i00, i01 = y0 * w + x0, y0 * w + x1  # flat indices: one computation for both fields
    i10, i11 = y1 * w + x0, y1 * w + x1
    out = []
    for g in f:
        g = g.ravel()
        a, b, c, d = g[i00], g[i01], g[i10], g[i11]
        top = a + (b - a) * fx
        bot = c + (d - c) * fx
        out.append((top + (bot - top) * fy,
                    np.where(inx, (b - a) + ((d - c) - (b - a)) * fy, 0.0),
                    np.where(iny, bot - top, 0.0)))
    (ux, ux_x, ux_y), (uy, uy_x, uy_y) = out
    return ux, uy, (ux_x, ux_y, uy_x, uy_y)


def _residual(f, px, py, qx, qy):
    ux, uy, (ux_x, ux_y, uy_x, uy_y) = _bilinear2(f, px - 0.5, py - 0.5)
    return px + ux - qx, py + uy - qy, (1.0 + ux_x, ux_y, uy_x, 1.0 + uy_y)


def _newton(f, px, py, qx, qy, iterations, tol):
    """Damped Newton on r(p) = p + d(p) - q: a step is halved until |r| decreases. Only the
    points not yet solved are iterated."""
    px, py = px.copy(), py.copy()
    rx, ry, _ = _residual(f, px, py, qx, qy)
    res = np.hypot(rx, ry)
    act = np.flatnonzero(res >= tol)
    for _ in range(iterations):
        if act.size == 0:
            break
        ax, ay, aqx, aqy = px[act], py[act], qx[act], qy[act]
        rx, ry, (j11, j12, j21, j22) = _residual(f, ax, ay, aqx, aqy)
        norm = np.hypot(rx, ry)
        det = j11 * j22 - j12 * j21
        ok = np.abs(det) > 1e-9
        safe = np.where(ok, det, 1.0)
        sx = np.clip(np.where(ok, (j22 * rx - j12 * ry) / safe, rx), -2.0, 2.0)
        sy = np.clip(np.where(ok, (j11 * ry - j21 * rx) / safe, ry), -2.0, 2.0)
        t = np.ones_like(ax)
        nx, ny, nres = ax, ay, norm
        pending = np.arange(act.size)
        for _ in range(8):  # backtracking line search on the points that got worse
            cx = ax[pending] - t[pending] * sx[pending]
            cy = ay[pending] - t[pending] * sy[pending]
            crx, cry, _ = _residual(f, cx, cy, aqx[pending], aqy[pending])
            cres = np.hypot(crx, cry)
            better = cres < norm[pending]
            idx = pending[better]
            nx, ny, nres = nx.copy(), ny.copy(), nres.copy()
            nx[idx], ny[idx], nres[idx] = cx[better], cy[better], cres[better]
            pending = pending[~better]
            if pending.size == 0:
                break
            t[pending] *= 0.5
        px[act], py[act], res[act] = nx, ny, nres
        moved = nres < norm
        act = act[(nres >= tol) & moved]  # solved or stuck (no descent): stop iterating
    return px, py, res


def _cross(ax, ay, bx, by):
    return ax * by - ay * bx


def _solve_in_cells(f, qx, qy, chunk: int = 64):
    """Exact roots of p + d(p) = q: inside one grid cell the map is bilinear, so each cell
    near q is inverted in closed form (a quadratic). Every root lies within max|d| of q.
    Returns (px, py, residual) in edge coordinates; where several cells hold a root (a
    fold), the one nearest the naive guess q - d(q) wins."""
    h, w = f[0].shape
    r = int(np.ceil(max(np.abs(f[0]).max(), np.abs(f[1]).max()))) + 2
    fx = np.pad(f[0], r, mode="edge")  # clamping = constant extension
    fy = np.pad(f[1], r, mode="edge")
    span = np.arange(-r - 1, r + 1)
    oj, oi = (a.ravel() for a in np.meshgrid(span, span))
    out_x = np.empty(qx.size)
    out_y = np.empty(qx.size)
    out_r = np.full(qx.size, np.inf)
    for s in range(0, qx.size, chunk):
        Qx, Qy = qx[s:s + chunk, None] - 0.5, qy[s:s + chunk, None] - 0.5  # index coords
        j0 = np.floor(Qx).astype(np.int64) + oj[None]
        i0 = np.floor(Qy).astype(np.int64) + oi[None]
        gj = np.clip(j0 + r, 0, w + 2 * r - 2)  # padded node indices of the cell corner
        gi = np.clip(i0 + r, 0, h + 2 * r - 2)
        j0, i0 = gj - r, gi - r
        c = [(fx[gi + a, gj + b], fy[gi + a, gj + b]) for a, b in ((0, 0), (0, 1), (1, 0), (1, 1))]
        ax, ay = j0 + c[0][0], i0 + c[0][1]  # corner (0, 0) mapped
        ex, ey = 1.0 + c[1][0] - c[0][0], c[1][1] - c[0][1]
        fx_, fy_ = c[2][0] - c[0][0], 1.0 + c[2][1] - c[0][1]
        gx, gy = c[3][0] - c[1][0] - c[2][0] + c[0][0], c[3][1] - c[1][1] - c[2][1] + c[0][1]
        hx, hy = Qx - ax, Qy - ay
        k2 = _cross(gx, gy, fx_, fy_)
        k1 = _cross(ex, ey, fx_, fy_) + _cross(hx, hy, gx, gy)
        k0 = _cross(hx, hy, ex, ey)
        disc = np.sqrt(np.maximum(k1 * k1 - 4 * k0 * k2, 0.0))
        lin = np.abs(k2) < 1e-12
        safe_k2 = np.where(lin, 1.0, k2)
        safe_k1 = np.where(np.abs(k1) < 1e-300, 1e-300, k1)
        best_x = np.full(Qx.shape[0], np.nan)
        best_y = np.full(Qx.shape[0], np.nan)
        best_d = np.full(Qx.shape[0], np.inf)
        for sign in (-1.0, 1.0):
            v = np.where(lin, -k0 / safe_k1, (-k1 + sign * disc) / (2 * safe_k2))
            den_x, den_y = ex + gx * v, ey + gy * v
            use_x = np.abs(den_x) >= np.abs(den_y)
            den = np.where(use_x, den_x, den_y)
            num = np.where(use_x, hx - fx_ * v, hy - fy_ * v)
            u = num / np.where(np.abs(den) < 1e-300, 1e-300, den)
            ok = (u >= -1e-9) & (u <= 1 + 1e-9) & (v >= -1e-9) & (v <= 1 + 1e-9)
            ex_x = ex * u + fx_ * v + gx * u * v - hx  # reject spurious roots (e + g v ~ 0)
            ex_y = ey * u + fy_ * v + gy * u * v - hy
            ok &= np.hypot(ex_x, ex_y) < 1e-6
            cand_x = j0 + np.clip(u, 0, 1) + 0.5
            cand_y = i0 + np.clip(v, 0, 1) + 0.5
            guess_x = qx[s:s + chunk, None]
            guess_y = qy[s:s + chunk, None]
            dist = np.where(ok, np.hypot(cand_x - guess_x, cand_y - guess_y), np.inf)
            k = np.argmin(dist, 1)
            rows = np.arange(k.size)
            better = dist[rows, k] < best_d
            best_x = np.where(better, cand_x[rows, k], best_x)
            best_y = np.where(better, cand_y[rows, k], best_y)
            best_d = np.where(better, dist[rows, k], best_d)
        found = np.isfinite(best_d)
        bx = np.where(found, best_x, qx[s:s + chunk])
        by = np.where(found, best_y, qy[s:s + chunk])
        rx, ry, _ = _residual(f, bx, by, qx[s:s + chunk], qy[s:s + chunk])
        out_x[s:s + chunk], out_y[s:s + chunk] = bx, by
        out_r[s:s + chunk] = np.hypot(rx, ry)
    return out_x, out_y, out_r


def elastic_forward(dx: np.ndarray, dy: np.ndarray, pts: np.ndarray, iterations: int = 50,
                    tol: float = 1e-6) -> np.ndarray:
    """Solve ``p + d(p) = q`` for every input point q of (M, 2) (edge coordinates), where d is
    the displacement field interpolated bilinearly between pixel centres (held constant
    beyond them, so a solution always exists: p + d(p) is the identity plus a bounded term).

    Damped Newton with the exact Jacobian of the bilinear interpolant, started from the
    usual guess q - d(q). Points it leaves unsolved (the field folds there: only for very
    large alpha / small sigma) are solved exactly cell by cell (`_solve_in_cells`). Where
    the map folds, the root found is one of several. Accuracy: < 0.01 px (tested).
    """
    q = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    if q.shape[0] == 0:
        return q.copy()
    qx, qy = q[:, 0], q[:, 1]
    f = (dx.astype(np.float64), dy.astype(np.float64))
    vx, vy, _ = _bilinear2(f, qx - 0.5, qy - 0.5)
    px, py, res = _newton(f, qx - vx, qy - vy, qx, qy, iterations, tol)
    bad = np.flatnonzero(res > 1e-4)
    if bad.size:
        sx, sy, sres = _solve_in_cells(f, qx[bad], qy[bad])
        use = sres < res[bad]
        px[bad] = np.where(use, sx, px[bad])
        py[bad] = np.where(use, sy, py[bad])
    return np.stack([px, py], 1)


# --- applying maps -----------------------------------------------------------------------

def remap_image(img: np.ndarray, map_x: np.ndarray, map_y: np.ndarray,
                interpolation: str = "linear", fill=0.0, op=None,
                border: str = "constant") -> np.ndarray:
    """cv2.remap; any channel count, dtype and shape kept. `border` (`geometry.BORDERS`) is
    OpenCV's border type of that name; ``"constant"`` paints `fill`, which follows
    `fill.fill_for` (image units, one value or one per channel; errors name `op`)."""
    f = 0.0 if border != "constant" else fill_for(op if op is not None else "remap_image",
                                                  fill, img)
    if interpolation == "area":
        interpolation = "linear"  # area is defined for resizes only
    return _remap(img, map_x, map_y, interpolation, f, border)


def _remap(img, map_x, map_y, interpolation, f, border="constant"):
    import cv2

    from .geometry import CV_BORDERS, _border, _cv_interp

    channels = 1 if img.ndim == 2 else img.shape[2]
    if channels > 4:  # OpenCV remaps at most 4 channels at once
        parts = []
        for i in range(0, channels, 4):
            fi = f[i:i + 4] if isinstance(f, tuple) else f
            parts.append(_remap(img[:, :, i:i + 4], map_x, map_y, interpolation,
                                fi[0] if isinstance(fi, tuple) and len(fi) == 1 else fi,
                                border))
        return np.concatenate([p.reshape(img.shape[:2] + (-1,)) for p in parts], axis=2)
    flag, value, mode = _cv_interp(interpolation), _border(f), CV_BORDERS[border]
    if rgba_worth(img, flag == cv2.INTER_LINEAR, map_x.shape[0] * map_x.shape[1]):
        out = via_rgba(lambda s4, d4: cv2.remap(s4, map_x, map_y, flag, dst=d4,
                                                borderMode=mode, borderValue=value),
                       img, map_x.shape[:2])
    else:
        out = cv2.remap(img, map_x, map_y, flag, borderMode=mode, borderValue=value)
    if interpolation in ("cubic", "lanczos") and np.issubdtype(out.dtype, np.floating):
        np.clip(out, 0.0, 1.0, out=out)  # their overshoot must not leave [0, 1]
    return out.reshape(img.shape)


def remap_mask(mask: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, fill=0,
               op=None, border: str = "constant") -> np.ndarray:
    """Nearest-neighbour remap of a label mask in numpy: exact for every integer dtype.
    `fill` must fit the mask's dtype (`fill.label_fill_for`; errors name `op`) where
    `border` is ``"constant"``; any other border extends the mask as OpenCV extends images
    (`geometry.fold_index`)."""
    h, w = mask.shape[:2]
    ix = np.floor(map_x + 0.5).astype(np.int64)
    iy = np.floor(map_y + 0.5).astype(np.int64)
    if border != "constant":
        from .geometry import fold_index

        return mask[fold_index(iy, h, border), fold_index(ix, w, border)]
    fill = label_fill_for(op if op is not None else "remap_mask", fill, mask)
    ok = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    out = np.full(map_x.shape + mask.shape[2:], fill, dtype=mask.dtype)
    out[ok] = mask[iy[ok], ix[ok]]
    return out


def box_outlines(boxes: np.ndarray, spacing: float = 1.0, cap: int = 512) -> np.ndarray:
    """Points along each box's four edges, at most `spacing` px apart: (N, 4n, 2)."""
    b = boxes.astype(np.float64)
    side = float(np.max(np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]), initial=0.0))
    n = int(min(cap, max(8, np.ceil(side / spacing) + 1)))
    t = np.linspace(0.0, 1.0, n)[None, :]
    x1, y1, x2, y2 = (b[:, i:i + 1] for i in range(4))
    xs = np.concatenate([x1 + (x2 - x1) * t, x1 + (x2 - x1) * t,
                         np.repeat(x1, n, 1), np.repeat(x2, n, 1)], 1)
    ys = np.concatenate([np.repeat(y1, n, 1), np.repeat(y2, n, 1),
                         y1 + (y2 - y1) * t, y1 + (y2 - y1) * t], 1)
    return np.stack([xs, ys], -1)
