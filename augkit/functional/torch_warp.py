"""Batched warps of torch (B, C, H, W) tensors on their own device: one `grid_sample` per
batch, image j by its own 3x3 matrix (pixel-edge coordinates, input -> output, as
`geometry.warp_image` takes them).

The border follows `geometry.warp_checked` image by image: a warp whose output pixel
centres all land inside the input replicates the edge (OpenCV's BORDER_REPLICATE; and a
crop-then-resize of an integer window clamps to that window, as `resize_window` does);
any other blends `fill` in at the border as OpenCV's constant border does. Tolerances
against the OpenCV path, measured in `tests/test_batch_torch.py`: linear and cubic within a
few grey levels on uint8 (OpenCV interpolates with 5-bit fixed-point weights, grid_sample
in float32). Nearest through grid_sample would differ where its own float32 arithmetic
(normalised coordinates and back) lands on the other side of a half-way point. That is why
nearest warps do not use grid_sample: `_nearest` makes augkit's own float32 source
positions (`functional.nearest`: the same IEEE operations in the same order), rounds them
half to even and gathers, so nearest results equal the per-image path's.

Non-constant borders (`geometry.BORDERS`: reflect, reflect101, replicate, wrap; grid_sample's
own padding modes cover only some of them, and not as OpenCV defines them) fold the sampling
positions here: nearest folds the integer source indices exactly as OpenCV folds its taps
(`geometry.fold_index`), so it stays identical to the per-image path; linear and cubic fold
the continuous position by the border's period and mirror (which maps every tap onto the
tap OpenCV reads, with the same weights) and sample a copy of the image extended by three
folded pixels on each side, so they keep the tolerances of the constant border.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .geometry import _covered, fold_index, mirrored_window
from .nearest import _HI, _LO, _inverse, affine_terms

MODES = {"nearest": "nearest", "linear": "bilinear", "cubic": "bicubic"}


def _thetas(ms: np.ndarray, in_size, out_size) -> np.ndarray:
    """affine_grid's (B, 2, 3) thetas: output normalised coords -> input normalised coords
    (align_corners=False, where -1 and 1 are the outer pixel edges)."""
    (h, w), (oh, ow) = in_size, out_size
    to_out_edges = np.array([[ow / 2.0, 0.0, ow / 2.0], [0.0, oh / 2.0, oh / 2.0],
                             [0.0, 0.0, 1.0]])
    to_in_norm = np.array([[2.0 / w, 0.0, -1.0], [0.0, 2.0 / h, -1.0], [0.0, 0.0, 1.0]])
    return (to_in_norm @ np.linalg.inv(ms) @ to_out_edges)[:, :2, :]


def _projective_grid(ms, in_size, out_size) -> np.ndarray:
    """grid_sample's (B, OH, OW, 2) grid for any 3x3 matrices (affine_grid takes only their
    first two rows): each output pixel centre through the inverse, divided by its third
    coordinate; centres beyond the horizon (w <= 0) sample far outside (the fill)."""
    (h, w), (oh, ow) = in_size, out_size
    inv = np.linalg.inv(ms)[:, :, :, None, None]
    xs = (np.arange(ow, dtype=np.float64) + 0.5)[None, :]
    ys = (np.arange(oh, dtype=np.float64) + 0.5)[:, None]
    den = inv[:, 2, 0] * xs + inv[:, 2, 1] * ys + inv[:, 2, 2]
    ok = den > 0
    den = np.where(ok, den, 1.0)
    sx = np.where(ok, (inv[:, 0, 0] * xs + inv[:, 0, 1] * ys + inv[:, 0, 2]) / den, -1e6)
    sy = np.where(ok, (inv[:, 1, 0] * xs + inv[:, 1, 1] * ys + inv[:, 1, 2]) / den, -1e6)
    return np.stack([sx * (2.0 / w) - 1.0, sy * (2.0 / h) - 1.0], -1)


def _grid(ms, in_size, out_size, n, device, dtype=torch.float32) -> torch.Tensor:
    ms = np.asarray(ms, np.float64)
    if not ((ms[:, 2, 0] == 0) & (ms[:, 2, 1] == 0) & (ms[:, 2, 2] == 1)).all():
        grid = torch.from_numpy(_projective_grid(ms, in_size, tuple(out_size)))
        return grid.to(device=device, dtype=dtype)
    theta = torch.from_numpy(_thetas(ms, in_size, out_size))
    # built in float64 (exact integer shifts and flips stay exact), sampled in float32
    grid = F.affine_grid(theta, (n, 1, int(out_size[0]), int(out_size[1])),
                         align_corners=False)
    return grid.to(device=device, dtype=dtype)


def _clamps(ms, in_size, out_size, covered: bool = True) -> np.ndarray | None:
    """Per image (x0, x1, y0, y1) in normalised coords to clamp source positions to (the
    centres of the outermost pixels of the image or the resized window), NaN where the image
    takes the border; None when no image clamps. `covered`: whether images whose output
    centres all land inside replicate their edge (the constant border's rule)."""
    h, w = in_size
    out = np.full((len(ms), 4), np.nan)
    for j, m in enumerate(np.asarray(ms, np.float64)):
        vals = m.ravel().tolist()
        mirrored = mirrored_window(vals, out_size, in_size)
        win = None if mirrored is None else mirrored[0]
        if win is None and covered and _covered(vals, out_size, in_size):
            win = (0, h, 0, w)
        if win is not None:
            y0, y1, x0, x1 = win
            out[j] = ((2 * x0 + 1) / w - 1, (2 * x1 - 1) / w - 1,
                      (2 * y0 + 1) / h - 1, (2 * y1 - 1) / h - 1)
    return None if np.isnan(out).all() else out


def _clamp(grid: torch.Tensor, clamps: np.ndarray) -> torch.Tensor:
    lim = torch.from_numpy(clamps).to(device=grid.device, dtype=grid.dtype)
    keep = torch.isnan(lim[:, 0]).view(-1, 1, 1)
    lo = torch.stack([lim[:, 0], lim[:, 2]], 1).view(-1, 1, 1, 2)
    hi = torch.stack([lim[:, 1], lim[:, 3]], 1).view(-1, 1, 1, 2)
    clamped = torch.maximum(torch.minimum(grid, hi), lo)
    return torch.where(keep.unsqueeze(-1), grid, clamped)


def _sample(src, grid, mode, fill):
    """grid_sample with the constant border: outside taps read `fill`, blended as OpenCV's
    BORDER_CONSTANT blends them (through the sampled coverage of a ones channel)."""
    n, c = src.shape[:2]
    ones = torch.ones((n, 1) + tuple(src.shape[2:]), dtype=src.dtype, device=src.device)
    out = F.grid_sample(torch.cat([src, ones], 1), grid, mode=mode, padding_mode="zeros",
                        align_corners=False)
    img, cover = out[:, :c], out[:, c:]
    if any(v != 0 for v in fill):
        f = torch.tensor(fill, dtype=src.dtype, device=src.device).view(1, c, 1, 1)
        img = img + (1.0 - cover) * f
    return img


def warp_images(x: torch.Tensor, ms: np.ndarray, out_size, interpolation: str,
                fill: tuple, border: str = "constant") -> torch.Tensor:
    """Warp every image of `x` by its matrix; `fill` holds one value per channel in the
    image's units (the constant border's). uint8 in, uint8 out (rounded, saturated);
    float32 stays float32."""
    n, c, h, w = x.shape
    if border != "constant":
        return _warp_folded(x, ms, tuple(out_size), interpolation, border)
    grid = _grid(ms, (h, w), out_size, n, x.device)
    clamps = _clamps(ms, (h, w), tuple(out_size))
    if clamps is not None:  # those images replicate their edge: nothing is uncovered
        grid = _clamp(grid, clamps)
    if interpolation == "nearest":
        return _nearest(x, ms, tuple(out_size), fill, clamps)
    mode = MODES[interpolation]
    src = x.to(torch.float32)
    if clamps is None:
        img = _sample(src, grid, mode, fill)
    else:  # replicating images sample with border padding (cubic taps clamp too)
        rep = torch.from_numpy(~np.isnan(clamps[:, 0])).to(x.device)
        img = torch.empty((n, c) + tuple(grid.shape[1:3]), dtype=torch.float32,
                          device=x.device)
        img[rep] = F.grid_sample(src[rep], grid[rep], mode=mode, padding_mode="border",
                                 align_corners=False)
        if not bool(rep.all()):
            img[~rep] = _sample(src[~rep], grid[~rep], mode, fill)
    if x.dtype == torch.uint8:
        return img.round_().clamp_(0, 255).to(torch.uint8)
    return img.clamp_(0.0, 1.0)


# --- non-constant borders ------------------------------------------------------------------

_PAD = 3  # folded pixels around the image: every cubic tap of a folded position lands inside


def fold_positions(p: torch.Tensor, n: int, border: str) -> torch.Tensor:
    """Continuous source positions `p` (pixel indices, float64) moved, by whole periods of
    the border's extension and its mirror, to positions whose interpolation taps read the
    same pixels with the same weights and lie within `_PAD` pixels of the image: reflect
    into [-0.5, n - 0.5], reflect101 into [0, n - 1], wrap into [0, n), replicate clamped to
    [-1, n] (the extension is constant beyond the edge)."""
    if border == "replicate":
        return p.clamp(-1.0, float(n))
    if border == "wrap":
        return torch.remainder(p, float(n))
    if n == 1:
        return torch.zeros_like(p)
    if border == "reflect":  # mirror about the outer pixel edges (-0.5, n - 0.5)
        q = torch.remainder(p + 0.5, 2.0 * n)
        return torch.where(q > n, 2.0 * n - q, q) - 0.5
    q = torch.remainder(p, 2.0 * n - 2.0)  # reflect101: about the outer pixel centres
    return torch.where(q > n - 1.0, 2.0 * n - 2.0 - q, q)


def fold_indices(i: torch.Tensor, n: int, border: str) -> torch.Tensor:
    """`geometry.fold_index` on the device (int64 indices, any range)."""
    if border == "replicate":
        return i.clamp(0, n - 1)
    if border == "wrap":
        return torch.remainder(i, n)
    if n == 1:
        return torch.zeros_like(i)
    period = 2 * n if border == "reflect" else 2 * n - 2
    j = torch.remainder(i, period)
    return torch.where(j >= n, (period - 1 if border == "reflect" else period) - j, j)


def _extended(src: torch.Tensor, border: str) -> torch.Tensor:
    """`src` (N, C, H, W) with `_PAD` pixels of its border extension on every side."""
    h, w = src.shape[2:]
    dev = src.device
    rows = torch.from_numpy(fold_index(np.arange(-_PAD, h + _PAD), h, border)).to(dev)
    cols = torch.from_numpy(fold_index(np.arange(-_PAD, w + _PAD), w, border)).to(dev)
    return src.index_select(2, rows).index_select(3, cols)


def _sample_folded(src, px, py, mode, border):
    """Sample float32 `src` (N, C, H, W) at pixel positions px, py (float64 (N, oh, ow))
    with the border extension: positions folded, then grid_sample on the extended copy."""
    h, w = src.shape[2:]
    fx = fold_positions(px, w, border) + _PAD
    fy = fold_positions(py, h, border) + _PAD
    grid = torch.stack([(2.0 * fx + 1.0) / (w + 2 * _PAD) - 1.0,
                        (2.0 * fy + 1.0) / (h + 2 * _PAD) - 1.0], -1).to(torch.float32)
    return F.grid_sample(_extended(src, border), grid, mode=mode, padding_mode="border",
                         align_corners=False)


def _to_dtype(img: torch.Tensor, dtype) -> torch.Tensor:
    if dtype == torch.uint8:
        return img.round_().clamp_(0, 255).to(torch.uint8)
    return img.clamp_(0.0, 1.0)


def _warp_folded(x, ms, out_size, interpolation, border):
    """`warp_images` with a non-constant border. As the per-image path: resizes of a window
    inside the image clamp to it (`geometry.resize_window`); everything else reads the
    border extension; nearest gathers augkit's own source indices, folded."""
    n, c, h, w = x.shape
    clamps = _clamps(ms, (h, w), out_size, covered=False)
    if interpolation == "nearest":
        return _nearest(x, ms, out_size, None, clamps, border)
    grid = _grid(ms, (h, w), out_size, n, x.device, torch.float64)
    px = ((grid[..., 0] + 1.0) * w - 1.0) / 2.0  # normalised -> pixel index positions
    py = ((grid[..., 1] + 1.0) * h - 1.0) / 2.0
    src = x.to(torch.float32)
    mode = MODES[interpolation]
    img = _sample_folded(src, px, py, mode, border)
    if clamps is not None:  # resized windows: clamped to the window, as cv2.resize reads it
        rep = torch.from_numpy(~np.isnan(clamps[:, 0])).to(x.device)
        g = _clamp(grid.to(torch.float32), clamps)
        img[rep] = F.grid_sample(src[rep], g[rep], mode=mode, padding_mode="border",
                                 align_corners=False)
    return _to_dtype(img, x.dtype)


def nearest_exact_ok(ms, in_size, out_size) -> bool:
    """Whether `_nearest` reproduces the per-image path for these matrices: affine ones that
    are not a resize of a window (those go through cv2.resize, with its own nearest rule)."""
    h, w = in_size
    oh, ow = out_size
    for m in np.asarray(ms, np.float64):
        vals = m.ravel().tolist()
        a, b, c, d, e, f, g, k, one = vals
        if g != 0.0 or k != 0.0 or one != 1.0 or mirrored_window(vals, out_size, in_size):
            return False
        if b == 0.0 and d == 0.0 and c == 0.0 and f == 0.0 and np.isclose(a, ow / w) \
                and np.isclose(e, oh / h):
            return False
    return True


def _nearest(x, ms, out_size, fill, clamps, border="constant"):
    """augkit's nearest warp on the device: the float32 source positions of
    `nearest._affine_maps` (row and column terms made on the host, the same way; one float32
    add on the device), rounded half to even as `cv2.remap` rounds them; the border as
    OpenCV's remap writes it (replicate where `clamps` says, else `fill`; a non-constant
    `border` folds the indices as OpenCV folds its short ones)."""
    n, c, h, w = x.shape
    oh, ow = out_size
    dev = x.device
    terms = []
    for m in np.asarray(ms, np.float64):
        a, b, c0, d, e, f0 = m[:2].ravel().tolist()
        # geometry.warp_checked's OpenCV matrix (pixel indices), written out as there
        inv = _inverse(a, b, a * 0.5 + b * 0.5 + c0 - 0.5, d, e, d * 0.5 + e * 0.5 + f0 - 0.5)
        terms.append(affine_terms(inv, oh, ow))
    pos = []
    for axis in (0, 1):
        rows = torch.from_numpy(np.stack([t[axis][0] for t in terms])).to(dev)
        cols = torch.from_numpy(np.stack([t[axis][1] for t in terms])).to(dev)
        p = rows[:, :, None] + cols[:, None, :]  # the one float32 add, as on the host
        pos.append(p.clamp_(_LO, _HI).round_().long())  # round: half to even
    sx, sy = pos
    if border != "constant":
        ix = fold_indices(sx, w, border)
        iy = fold_indices(sy, h, border)
        idx = (iy * w + ix).view(n, 1, oh * ow)
        return torch.gather(x.reshape(n, c, h * w), 2, idx.expand(n, c, oh * ow)).view(
            n, c, oh, ow)
    inside = (sx >= 0) & (sx <= w - 1) & (sy >= 0) & (sy <= h - 1)
    if clamps is not None:  # BORDER_REPLICATE for the covered images
        rep = torch.from_numpy(~np.isnan(clamps[:, 0])).to(dev).view(n, 1, 1)
        inside = inside | rep
    idx = (sy.clamp(0, h - 1) * w + sx.clamp(0, w - 1)).view(n, 1, oh * ow)
    out = torch.gather(x.reshape(n, c, h * w), 2, idx.expand(n, c, oh * ow)).view(n, c, oh, ow)
    f = torch.tensor(fill, dtype=torch.float32, device=dev).view(1, c, 1, 1)
    f = f.round().clamp(0, 255).to(x.dtype) if x.dtype == torch.uint8 else f.to(x.dtype)
    return torch.where(inside.view(n, 1, oh, ow), out, f.expand(n, c, oh, ow))


def remap_images(x: torch.Tensor, maps: list, interpolation: str, fill: tuple,
                 border: str = "constant") -> torch.Tensor:
    """`distort.remap_image` for a batch: image j sampled at OpenCV backward maps
    ``maps[j] = (map_x, map_y)`` (float32 pixel indices, from the host), with `border`
    (the constant one paints `fill`); linear and cubic only (nearest remaps go through the
    host)."""
    n, c, h, w = x.shape
    if border != "constant":
        px = torch.from_numpy(np.stack([m[0] for m in maps])).to(x.device, torch.float64)
        py = torch.from_numpy(np.stack([m[1] for m in maps])).to(x.device, torch.float64)
        img = _sample_folded(x.to(torch.float32), px, py, MODES[interpolation], border)
        return _to_dtype(img, x.dtype)
    mx = torch.from_numpy(np.stack([m[0] for m in maps])).to(x.device, torch.float32)
    my = torch.from_numpy(np.stack([m[1] for m in maps])).to(x.device, torch.float32)
    grid = torch.stack([(2 * mx + 1) / w - 1, (2 * my + 1) / h - 1], -1)
    img = _sample(x.to(torch.float32), grid, MODES[interpolation], fill)
    return _to_dtype(img, x.dtype)
