"""Torch kernels on (B, C, H, W) batches: one pass or one gather per batch, no per-image
host work. `partner` is what `base.partner` returns: a roll k (int) or an index tensor."""

from __future__ import annotations

import torch


def take(x: torch.Tensor, partner) -> torch.Tensor:
    """x[perm] into a fresh tensor; `partner` is a roll k (int) or an index tensor."""
    if isinstance(partner, int):
        return torch.roll(x, -partner, 0) if partner else x.clone()
    return x.index_select(0, partner)


def blend(x: torch.Tensor, partner, lam) -> torch.Tensor:
    """lam * x + (1 - lam) * x[perm] into a fresh tensor; lam a float or a (B,) tensor,
    `partner` a roll k (int) or an index tensor. A roll is read as two contiguous slices,
    out[:n-k] from (x[:n-k], x[k:]) and out[n-k:] from (x[n-k:], x[:k]): one pass over the
    batch, no gather (the same numbers as the gathered form, bit for bit). uint8 batches are
    blended in float32 and rounded to the nearest level.

    On the CPU with one lam (the common case) the pass is `cv2.addWeighted` on 2-D views of
    the batch: ~15 % faster than `torch.lerp` on one thread for float32, and uint8 needs no
    float copy of the batch. Elsewhere (GPU, per-image lam, other dtypes) it is
    ``lerp(x[perm], x, lam)``; the two agree to float32 rounding."""
    if not torch.is_tensor(lam) and lam == 1.0:
        return x.clone()
    if not torch.is_tensor(lam) and x.device.type == "cpu" and x.dtype in _CV_DTYPES \
            and x.is_contiguous() and not x.requires_grad and x.numel():
        return _cv_blend(x, partner, float(lam))
    src = x if x.is_floating_point() else x.float()
    if torch.is_tensor(lam):
        w = lam.to(x.device, src.dtype).reshape(-1, *([1] * (x.ndim - 1)))
    else:
        w = float(lam)
    if isinstance(partner, int) and src.numel() >= 65536:  # small ones (labels): 2 ops
        n, k = src.shape[0], partner
        out = torch.empty_like(src)
        wa, wb = (w[:n - k], w[n - k:]) if torch.is_tensor(w) else (w, w)
        torch.lerp(src[k:], src[:n - k], wa, out=out[:n - k])
        torch.lerp(src[:k], src[n - k:], wb, out=out[n - k:])
    else:
        out = take(src, partner).lerp_(src, w)
    return out if x.is_floating_point() else out.round_().to(torch.uint8)


_CV_DTYPES = (torch.float32, torch.float64, torch.uint8)


def _cv_blend(x: torch.Tensor, partner, lam: float) -> torch.Tensor:
    """`blend` on a contiguous CPU batch with one lam: lam * a + (1 - lam) * b per element
    by cv2.addWeighted (float maths, uint8 rounded to nearest and saturated), written straight
    into a fresh tensor through numpy views of both."""
    import cv2

    n = x.shape[0]
    a = x.numpy().reshape(n, -1)
    out = torch.empty_like(x)
    o = out.numpy().reshape(n, -1)
    mu = 1.0 - lam
    if isinstance(partner, int):
        k = partner
        cv2.addWeighted(a[:n - k], lam, a[k:], mu, 0.0, dst=o[:n - k])
        if k:
            cv2.addWeighted(a[n - k:], lam, a[:k], mu, 0.0, dst=o[n - k:])
    else:
        cv2.addWeighted(a, lam, a[partner.cpu().numpy()], mu, 0.0, dst=o)
    return out


def paste(x: torch.Tensor, partner, region) -> torch.Tensor:
    """Copy of x with x[perm]'s pixels in `region` (y1, x1, y2, x2) pasted: clone plus one
    copy of the region (a roll k: two slice copies; a permutation: a gather of the region).
    Works on (B, C, H, W) and (B, H, W)."""
    y1, x1, y2, x2 = region
    out = x.clone()
    if y2 > y1 and x2 > x1:
        if isinstance(partner, int):
            n, k = x.shape[0], partner
            out[:n - k, ..., y1:y2, x1:x2] = x[k:, ..., y1:y2, x1:x2]
            out[n - k:, ..., y1:y2, x1:x2] = x[:k, ..., y1:y2, x1:x2]
        else:
            out[..., y1:y2, x1:x2] = x[..., y1:y2, x1:x2].index_select(0, partner)
    return out


def fill_holes(x: torch.Tensor, holes, value) -> torch.Tensor:
    """Copy of x with one rectangle per image (host ints y1, x1, y2, x2) set to `value` (a
    number or one per channel). Large images: clone plus one slice fill per image (no host
    sync: the holes are known on the host); small ones: one separable mask over the batch."""
    n, h, w = x.shape[0], x.shape[-2], x.shape[-1]
    zero = all(float(t) == 0.0 for t in (value if isinstance(value, (tuple, list)) else (value,)))
    v = torch.as_tensor(value, dtype=x.dtype)
    if v.ndim == 1 and x.ndim == 4:
        v = v.reshape(-1, 1, 1)
    if h * w >= 4096:
        out = x.clone()
        v = v.to(x.device)
        for i, (y1, x1, y2, x2) in enumerate(holes):
            if y2 > y1 and x2 > x1:
                out[i, ..., y1:y2, x1:x2] = v
        return out
    # Small images: one separable mask over the whole batch (row range x column range).
    hs = torch.as_tensor(holes, dtype=torch.long).reshape(n, 4).to(x.device)
    rows = torch.arange(h, device=x.device)[None]
    cols = torch.arange(w, device=x.device)[None]
    in_r = (rows >= hs[:, 0:1]) & (rows < hs[:, 2:3])  # (B, H)
    in_c = (cols >= hs[:, 1:2]) & (cols < hs[:, 3:4])  # (B, W)
    lead = (n, 1) if x.ndim == 4 else (n,)
    r = in_r.reshape(*lead, h, 1)
    c = in_c.reshape(*lead, 1, w)
    small = x.is_floating_point() and float(v.abs().max()) <= torch.finfo(x.dtype).max / 4
    v = v.to(x.device)  # after the test above: reading a device value would sync
    if small:
        # lerp with weights exactly 0 or 1 returns x or v exactly (a fill near the dtype's
        # limit could overflow lerp's v - x: those take torch.where below)
        return torch.lerp(x, v.expand((1,) * (x.ndim - v.ndim) + tuple(v.shape)),
                          r.to(x.dtype) * c.to(x.dtype))
    if zero and x.dtype == torch.uint8:
        return x * ~(r & c)
    return torch.where(r & c, v, x)


def tile4(x: torch.Tensor, perms, crops, w: int, h: int) -> torch.Tensor:
    """RICAP tiling: four crops (y, x, ch, cw) of x[perm_k] placed at the four corners of
    a (H, W) image split at column w, row h."""
    out = torch.empty_like(x)
    offsets = [(0, 0), (0, w), (h, 0), (h, w)]
    for perm, (cy, cx, ch, cw), (oy, ox) in zip(perms, crops, offsets):
        if ch > 0 and cw > 0:
            out[..., oy:oy + ch, ox:ox + cw] = x[..., cy:cy + ch, cx:cx + cw].index_select(0, perm)
    return out
