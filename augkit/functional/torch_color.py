"""Batched torch versions of the colour kernels of `functional/color.py`: RGBShift's
`shift_channels` and ColorShift's brightness / contrast / saturation / hue (torchvision's
ColorJitter, as `poor/color.py` applies them).

Input and output as in `torch_pil`: a (B, C, H, W) uint8 or float32 tensor on any device, a
new tensor of the same shape, dtype and device back; image j equals the numpy kernel on
image j. The uint8 kernels follow OpenCV's arithmetic (the numpy kernels' engine): float32
with fused multiply-adds (emulated in float64, where the product and sum are exact) and
rounding half to even, and `cv2.transform`'s 10-bit fixed point for the saturation matrix.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import type_error, value_error
from .torch_pil import _f32, _rdiv, check_batch, per_image

__all__ = ["adjust_brightness", "adjust_contrast", "adjust_hue", "adjust_saturation",
           "color_shift", "shift_channels"]

GREY_WEIGHTS = (0.299, 0.587, 0.114)  # as functional.color
_EPS = float(np.finfo(np.float32).eps)  # OpenCV's FLT_EPSILON in RGB -> HSV
# HSV -> RGB: which of (v, v(1 - s), v(1 - s f), v(1 - s(1 - f))) each of R, G, B takes in
# the six hue sectors (OpenCV's HSV2RGB tables)
_SECTOR_TABS = ((0, 2, 1, 1, 3, 0), (3, 0, 0, 2, 1, 1), (1, 1, 3, 0, 0, 2))


def _round_u8(v: torch.Tensor) -> torch.Tensor:
    """OpenCV's saturate_cast<uchar>(float): nearest, ties to even, clipped to 0..255."""
    return v.round_().clamp_(0, 255).to(torch.uint8)


# --- RGBShift -----------------------------------------------------------------------------

def shift_channels(x: torch.Tensor, shifts) -> torch.Tensor:
    """`color.shift_channels` per image: add shifts in [0, 1] image units, then clip.
    `shifts`: (B, 3) RGB shifts (grey images get their luminance 0.299 r + 0.587 g + 0.114 b,
    RGBA keeps alpha), or (B, C), one per channel as given. uint8 adds 255 * shift in
    float32 and rounds half to even (cv2.add with a scalar). Measured: exact (uint8 and
    float32). (On one-pixel images the numpy kernel adds in float64, not OpenCV's float32:
    a shift within a float32 rounding of a half level could round the other way; none was
    found in 3000 one-pixel draws near ties.)"""
    n, c, _, _ = check_batch(x, "shift_channels")
    s = torch.as_tensor(shifts, dtype=torch.float64).to(x.device)
    if s.ndim != 2 or s.shape[0] != n or s.shape[1] not in (3, c):
        raise value_error("shift_channels", "shifts", f"has shape {tuple(s.shape)}; expected "
                          f"({n}, 3) RGB shifts or ({n}, {c}), one per channel")
    if s.shape[1] != c:
        if c == 1:  # sum(w * v) from 0, in this order, as `to_grey_shift`
            s = (s[:, 0:1] * GREY_WEIGHTS[0] + s[:, 1:2] * GREY_WEIGHTS[1]
                 + s[:, 2:3] * GREY_WEIGHTS[2])
        elif c == 4:
            s = torch.cat([s, torch.zeros_like(s[:, :1])], dim=1)
        else:
            raise value_error("shift_channels", "x", f"has {c} channels; RGB shifts apply "
                              "to grey, RGB or RGBA images (pass one shift per channel)")
    s = s.reshape(n, c, 1, 1)
    if x.dtype == torch.uint8:
        return _round_u8(x.to(torch.float32) + (s * 255.0).to(torch.float32))
    return (x + s.to(torch.float32)).clamp_(0, 1)


# --- ColorShift's four adjustments (images of 1 or 3 channels) ----------------------------

def adjust_brightness(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """`color.adjust_brightness`, f (B, 1, 1, 1) float64: x * f, clipped (uint8: rounded half
    to even, cv2.convertScaleAbs). Every channel, alpha included, as the numpy kernel."""
    if x.dtype == torch.uint8:
        return _round_u8(x.to(torch.float32) * _f32(f))
    return (x * _f32(f)).clamp_(0, 1)


def grey_mean(x: torch.Tensor) -> torch.Tensor:
    """`color.grey_mean` per image, (B, 1, 1, 1) float64: cv2.mean's per-channel means (sum
    times 1 / N in float64), then 0.299 m0 + 0.587 m1 + 0.114 m2 for RGB."""
    npix = x.shape[2] * x.shape[3]
    if x.dtype == torch.uint8:
        sums = x.sum(dim=(2, 3), keepdim=True, dtype=torch.int64).to(torch.float64)
    else:
        sums = x.sum(dim=(2, 3), keepdim=True, dtype=torch.float64)
    m = sums * (1.0 / npix)
    if x.shape[1] == 1:
        return m
    return m[:, 0:1] * GREY_WEIGHTS[0] + m[:, 1:2] * GREY_WEIGHTS[1] + m[:, 2:3] * GREY_WEIGHTS[2]


def adjust_contrast(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """`color.adjust_contrast` on grey or RGB images: f * x + (1 - f) * mean grey level.
    uint8: cv2.addWeighted, one fused multiply-add in float32 (float64 here, exact), rounded
    half to even."""
    gamma = ((1.0 - f) * grey_mean(x)).to(torch.float32)
    if x.dtype == torch.uint8:
        s = x.to(torch.float64).mul_(_f32(f).to(torch.float64)).add_(gamma)
        return _round_u8(s.to(torch.float32))
    return (x * _f32(f)).add_(gamma).clamp_(0, 1)


def _saturation_matrix(f: np.ndarray) -> np.ndarray:
    """The numpy kernel's (B, 3, 3) float32 blend matrices f I + (1 - f) [w; w; w]."""
    r, g, b = (w * (1.0 - f) for w in GREY_WEIGHTS)
    return np.stack([np.stack([f + r, g, b], -1), np.stack([r, f + g, b], -1),
                     np.stack([r, g, f + b], -1)], -2).astype(np.float32)


def adjust_saturation(x: torch.Tensor, factors) -> torch.Tensor:
    """`color.adjust_saturation` on RGB images, `factors` host values (B,): blend each pixel
    with its grey value through cv2.transform's matrix. uint8 uses OpenCV's fixed point when
    every matrix entry is below 32 in size (factors up to ~45): coefficients rounded to
    1 / 1024, (sum + 512) >> 10, clipped (exact in float32: integers below 2^24); larger
    factors take OpenCV's float path, rounded half to even. Measured: uint8 exact; float32
    within 2.4e-7 for factors up to 3 (a few ulps, times the factor: OpenCV fuses the
    multiply-adds)."""
    m = _saturation_matrix(np.asarray(factors, np.float64).reshape(-1))
    fixed = (np.abs(m[:, :, :2]) < 32).all(axis=(1, 2))
    if x.dtype == torch.uint8:
        k = np.where(fixed[:, None, None], np.rint(m * np.float32(1024)), m)
    else:
        k = m
    k = torch.from_numpy(k.astype(np.float32)).to(x.device)[..., None, None]  # (B, 3, 3, 1, 1)
    v = x.to(torch.float32)
    s = (v[:, None, 0] * k[:, :, 0] + v[:, None, 1] * k[:, :, 1]) + v[:, None, 2] * k[:, :, 2]
    if x.dtype != torch.uint8:
        return s.clamp_(0, 1)
    if fixed.all():
        return ((s + 512.0) * (1.0 / 1024.0)).floor_().clamp_(0, 255).to(torch.uint8)
    fx = torch.from_numpy(fixed).to(x.device).reshape(-1, 1, 1, 1)
    return _round_u8(torch.where(fx, ((s + 512.0) * (1.0 / 1024.0)).floor_(), s))


def adjust_hue(x: torch.Tensor, shifts) -> torch.Tensor:
    """`color.adjust_hue` on RGB images, `shifts` (B, 1, 1, 1) float64 turns: OpenCV's float
    RGB -> HSV (H in degrees, fused multiply-add for the hue as its SIMD path), the hue
    plus float32(shift * 360 mod 360), HSV -> RGB by OpenCV's sector tables; uint8 values
    travel unscaled (0..255) and are rounded half to even at the end, float32 is clipped.
    Measured: uint8 within 1 level (OpenCV's scalar loop tails round unlike its vector path,
    which this follows), float32 within 1e-6."""
    v = x.to(torch.float32)
    r, g, b = v[:, 0:1], v[:, 1:2], v[:, 2:3]
    vmax = torch.maximum(torch.maximum(r, g), b)
    diff = vmax - torch.minimum(torch.minimum(r, g), b)
    sat = diff / (vmax.abs() + _EPS)
    r_max, g_max = r == vmax, g == vmax
    h = torch.where(r_max, g - b, torch.where(g_max, b - r, r - g))
    base = torch.where(r_max, torch.where(g < b, 360.0, 0.0), torch.where(g_max, 120.0, 240.0))
    rev = _rdiv(60.0, diff + _EPS)
    h = (h.to(torch.float64) * rev.to(torch.float64) + base).to(torch.float32)  # fma
    turn = torch.fmod(shifts * 360.0, 360.0)  # Python's `% 360.0`: exact fmod, then >= 0
    h = h + torch.where(turn < 0, turn + 360.0, turn).to(torch.float32)
    h = h * np.float32(6.0 / 360.0)  # HSV2RGB's hscale, float32(6 / 360)
    pre = torch.trunc(h)
    frac = h - pre
    tabs = torch.cat([vmax, vmax * (1.0 - sat), vmax * (1.0 - sat * frac),
                      vmax * (1.0 - sat * (1.0 - frac))], dim=1)
    sector = (pre - torch.trunc(pre * np.float32(1.0 / 6.0)) * 6.0).to(torch.int64)
    table = torch.tensor(_SECTOR_TABS, device=x.device)  # (3 channels, 6 sectors)
    back = tabs.gather(1, table[:, sector.clamp(0, 5)[:, 0]].transpose(0, 1))
    if x.dtype == torch.uint8:
        return _round_u8(back.abs_())
    return back.clamp_(0, 1)


# --- ColorShift ---------------------------------------------------------------------------

_NEUTRAL = (1.0, 1.0, 1.0, 0.0)


def _host(v, field: str) -> np.ndarray:
    if torch.is_tensor(v):
        if v.device.type != "cpu":
            raise type_error("color_shift", field, f"is on {v.device}; the schedule of the "
                             "adjustments is decided on the host: pass host values (as "
                             "ColorShift.sample draws them)")
        v = v.detach().numpy()
    return np.asarray(v, np.float64)


def color_shift(x: torch.Tensor, order, brightness, contrast, saturation, hue) -> torch.Tensor:
    """ColorShift's `image` for a batch with per-image parameters (as `sample` draws them):
    `order` (B, 4) permutations of (brightness, contrast, saturation, hue), or one
    permutation for all; the four factors / shifts, B each. Host values (lists, arrays or
    CPU tensors): which images take which adjustment at each of the 4 steps is decided on
    the host, then each (step, adjustment) runs once over the images that take it (no loop
    over images). A neutral value (factor 1, hue 0) skips the step, as the numpy op does.
    Grey images (C=1) take brightness and contrast only; RGBA keeps alpha for contrast,
    saturation and hue, while brightness scales alpha too (the numpy kernel's behaviour).
    Other channel counts are refused (the op refuses them once contrast, saturation or hue
    can act). Measured: uint8 within 1 level of the numpy op (from the hue; the other three
    are exact), float32 within 3e-7 times the largest factor (1.8e-5 with saturation 60)."""
    n, c, _, _ = check_batch(x, "color_shift")
    if c not in (1, 3, 4):
        raise value_error("color_shift", "x", f"has {c} channels {tuple(x.shape)}; expected "
                          "grey (1), RGB (3) or RGBA (4)")
    vals = [_host(v, f).reshape(-1) for v, f in zip(
        (brightness, contrast, saturation, hue), ("brightness", "contrast", "saturation", "hue"))]
    vals = [np.repeat(v, n) if v.size == 1 else v for v in vals]
    if any(v.size != n for v in vals) or not all(np.isfinite(v).all() for v in vals):
        raise value_error("color_shift", "factors", "need one finite value per image "
                          f"({n}); got sizes {[v.size for v in vals]}")
    order = np.asarray(_host(order, "order"), np.int64)
    order = np.broadcast_to(order.reshape(-1, 4), (n, 4)) if order.size == 4 else order
    if order.shape != (n, 4) or (np.sort(order, 1) != np.arange(4)).any():
        raise value_error("color_shift", "order", f"has shape {order.shape}; expected ({n}, 4) "
                          "permutations of 0..3")
    out = x.clone()
    for step in range(4):
        for a in range(4):
            if c == 1 and a >= 2:  # grey images have no saturation or hue
                continue
            take = (order[:, step] == a) & (vals[a] != _NEUTRAL[a])
            if not take.any():
                continue
            every = bool(take.all())
            idx = None if every else torch.from_numpy(np.flatnonzero(take)).to(x.device)
            sub = out if every else out.index_select(0, idx)
            chans = slice(None) if a == 0 else slice(0, 3)
            img = sub[:, chans]
            p = vals[a][take]
            pt = per_image(p, img, "color_shift", "factors")
            if a == 0:
                res = adjust_brightness(img, pt)
            elif a == 1:
                res = adjust_contrast(img, pt)
            elif a == 2:
                res = adjust_saturation(img, p)
            else:
                res = adjust_hue(img, pt)
            if every:
                out[:, chans] = res
            else:
                out[idx, chans] = res
    return out
