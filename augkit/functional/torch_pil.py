"""Batched torch versions of the PIL kernels of `functional/pil.py`, plus CutOut's hole fill.

Every kernel takes a (B, C, H, W) tensor `x`, uint8 (0..255) or float32 in [0, 1], on any
device, and returns a new tensor of the same shape, dtype and device (the input is never
written). Per-image parameters are 1-D: a Python sequence, a numpy array or a tensor of
length B (one number is used for every image). The arithmetic is the numpy kernel's, step
for step: image j of the result equals ``pil.<kernel>(x[j] as HWC, param[j])``. The measured
differences (hypothesis, ``tests/test_torch_pil.py``) are in each docstring: "exact" means
bit for bit on every image tried.

Channels as the numpy kernels treat them: 1 (grey), 3 (RGB), 4 (RGBA: the enhancers keep
alpha, the ImageOps point operations change it like any channel), other counts where the
numpy kernel accepts them. No kernel moves data to the host or loops over images in Python.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import type_error, value_error

__all__ = ["autocontrast", "brightness", "color", "contrast", "equalize", "fill_holes",
           "invert", "posterize", "sample_pairing", "sharpness", "solarize"]

# PIL's L conversion in fixed point: (19595 r + 38470 g + 7471 b + 0x8000) >> 16
_PIL_L = (19595, 38470, 7471)
# the float version of `pil.grey`
_GREY_F = (0.299, 0.587, 0.114)


# --- argument checks and parameter vectors ------------------------------------------------

def check_batch(x, name: str) -> tuple[int, int, int, int]:
    """(B, C, H, W) of a uint8 or float32 tensor; a typed error naming `name` otherwise."""
    if not torch.is_tensor(x):
        raise type_error(name, "x", f"is a {type(x).__name__}; expected a torch tensor")
    if x.dtype not in (torch.uint8, torch.float32):
        raise type_error(name, "x", f"has dtype {x.dtype}; expected torch.uint8 or "
                         "torch.float32")
    if x.ndim != 4:
        raise value_error(name, "x", f"has shape {tuple(x.shape)}; expected (B, C, H, W)")
    return tuple(x.shape)


def per_image(v, x: torch.Tensor, name: str, field: str,
              dtype=torch.float64) -> torch.Tensor:
    """`v` (one number or B of them) as a (B, 1, 1, 1) tensor of `dtype` on x's device.
    Host values are checked (finite, length B); a device tensor only for its length."""
    n = x.shape[0]
    if torch.is_tensor(v):
        t = v.detach().reshape(-1)
        if t.numel() == 1:
            t = t.expand(n)
    else:
        a = np.asarray(v, dtype=np.float64).reshape(-1)
        if a.size == 1:
            a = np.repeat(a, n)
        if not np.isfinite(a).all():
            raise value_error(name, field, f"has a non-finite value {a.tolist()[:8]}")
        t = torch.from_numpy(a)
    if t.numel() != n:
        raise value_error(name, field, f"has {t.numel()} values for a batch of {n} images; "
                          "expected one per image")
    return t.to(device=x.device, dtype=dtype).reshape(n, 1, 1, 1)


def _f32(v: torch.Tensor) -> torch.Tensor:
    """float64 parameters rounded to float32 (numpy's `np.float32(value)`)."""
    return v.to(torch.float32)


def _rdiv(a: float, t: torch.Tensor) -> torch.Tensor:
    """a / t correctly rounded (torch's ``a / t`` is ``a * (1 / t)``: two roundings; so is
    ``t / a`` on CUDA: divide by a device tensor, never by a Python number)."""
    return torch.full((), a, dtype=t.dtype, device=t.device).div(t)


def _keep_alpha(fn, x: torch.Tensor, *args) -> torch.Tensor:
    """The enhancers leave an RGBA image's alpha alone: `fn` sees RGB only."""
    if x.shape[1] != 4:
        return fn(x, *args)
    return torch.cat([fn(x[:, :3], *args), x[:, 3:]], dim=1)


def _u8(v: torch.Tensor) -> torch.Tensor:
    """float values >= 0 clipped to 255 and truncated to uint8 (PIL's cast)."""
    return v.clamp_(0, 255).to(torch.uint8)


def _to_u8(x: torch.Tensor) -> torch.Tensor:
    """float [0, 1] -> nearest 8-bit level: floor(x * 255 + 0.5), as `pil._to_u8`."""
    return (x * 255.0 + 0.5).floor_().to(torch.uint8)


def _from_u8(u: torch.Tensor) -> torch.Tensor:
    return u.to(torch.float32) * torch.tensor(1 / 255, dtype=torch.float32, device=u.device)


def _flat_index(u8: torch.Tensor) -> torch.Tensor:
    """int64 index of every value into per-(image, channel) 256-entry tables laid end to end:
    value + 256 * (b * C + c), flattened."""
    n = u8.shape[0] * u8.shape[1]
    offs = torch.arange(0, n * 256, 256, device=u8.device, dtype=torch.int64)
    return (u8.reshape(n, -1).to(torch.int64) + offs[:, None]).reshape(-1)


def apply_lut(u8: torch.Tensor, lut: torch.Tensor, idx: torch.Tensor | None = None):
    """uint8 (B, C, H, W) through per-(image, channel) tables `lut` (B * C, 256) uint8:
    one gather; `idx`: `_flat_index(u8)` if at hand."""
    idx = _flat_index(u8) if idx is None else idx
    return lut.reshape(-1).take(idx).reshape(u8.shape)


# --- point operations (ImageOps) ----------------------------------------------------------

def invert(x: torch.Tensor) -> torch.Tensor:
    """`pil.invert`: 255 - x (1 - x on float). Measured: exact (uint8 and float32)."""
    check_batch(x, "invert")
    return 255 - x if x.dtype == torch.uint8 else 1.0 - x


def solarize(x: torch.Tensor, thresholds) -> torch.Tensor:
    """`pil.solarize`: invert every value >= threshold (8-bit scale, 0..256), per image.
    uint8 compares with ceil(threshold) (float64, as the numpy kernel); float32 compares
    ``x * 255 < threshold`` in float32. Measured: exact (uint8 and float32)."""
    check_batch(x, "solarize")
    t = per_image(thresholds, x, "solarize", "thresholds")
    if x.dtype == torch.uint8:  # 255 - x is x ^ 255: XOR with 255 where x >= ceil(t)
        tc = torch.ceil(t).clamp_(0, 256)
        flip = torch.where(tc <= 255, 255, 0).to(torch.uint8)  # 256: nothing flips
        return x ^ ((x >= tc.clamp(max=255).to(torch.uint8)) * flip)
    return torch.where(x * 255.0 < _f32(t), x, 1.0 - x)


def posterize(x: torch.Tensor, bits) -> torch.Tensor:
    """`pil.posterize`: keep the `bits` (0..8) most significant bits of each value, per
    image (float32 goes through its nearest 8-bit level). Measured: exact (uint8 and
    float32)."""
    check_batch(x, "posterize")
    b = per_image(bits, x, "posterize", "bits")
    if not torch.is_tensor(bits):  # host values: check them here (a device tensor is trusted)
        bh = np.asarray(bits, np.float64).reshape(-1)
        if ((bh < 0) | (bh > 8) | (bh != np.round(bh))).any():
            raise value_error("posterize", "bits", f"is {bh.tolist()[:8]}; expected ints in "
                              "[0, 8]")
    mask = (255 - (2 ** (8 - b.to(torch.int64)) - 1)).to(torch.uint8)  # ~(2^(8-b) - 1) & 0xFF
    if x.dtype == torch.uint8:
        return x & mask
    return _from_u8(_to_u8(x) & mask)


def autocontrast(x: torch.Tensor) -> torch.Tensor:
    """`pil.autocontrast` (cutoff 0): each channel's [min, max] stretched to the full range,
    flat channels left alone. uint8: PIL's table in float64, one gather; float32: (x - lo) *
    (1 / span) with the inverse rounded to float32 (a span too small for a finite float32
    inverse divides instead). Measured: exact (uint8 and float32)."""
    _, c, _, _ = check_batch(x, "autocontrast")
    lo = x.amin(dim=(2, 3)).reshape(-1, 1).to(torch.float64)
    hi = x.amax(dim=(2, 3)).reshape(-1, 1).to(torch.float64)
    flat = hi <= lo
    if x.dtype == torch.uint8:
        scale = _rdiv(255.0, torch.where(flat, 1.0, hi - lo))
        levels = torch.arange(256, device=x.device, dtype=torch.float64)
        lut = torch.trunc(levels * scale - lo * scale).clamp_(0, 255)
        lut = torch.where(flat, levels, lut).to(torch.uint8)
        return apply_lut(x, lut)
    shape = (x.shape[0], c, 1, 1)
    span = hi - lo
    inv = _rdiv(1.0, torch.where(flat, 1.0, span)).to(torch.float32)
    ok = torch.isfinite(inv)  # a subnormal span: divide by it instead of overflowing
    mul = torch.where(ok, inv, 1.0).reshape(shape)
    div = torch.where(ok, 1.0, span.to(torch.float32)).reshape(shape)
    out = ((x - lo.to(torch.float32).reshape(shape)) * mul / div).clamp_(0, 1)
    return torch.where(flat.reshape(shape), x, out)


def _equalize_lut(u8: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """`pil._equalize_table` for all (image, channel) pairs at once, (B * C, 256) uint8:
    histograms by one bincount over offset values, then PIL's rule: step = (pixels - count
    of the last non-empty level) // 255, lut[v] = min((pixels below v + step // 2) // step,
    255), identity where step is 0."""
    n = u8.shape[0] * u8.shape[1]
    h = torch.bincount(idx, minlength=n * 256).reshape(n, 256)
    before = h.cumsum(1) - h  # pixels below each level
    last = 255 - (h.flip(1) != 0).to(torch.uint8).argmax(1, keepdim=True)  # 255 if none
    step = before.gather(1, last) // 255
    lut = torch.div(before + step // 2, step.clamp(min=1), rounding_mode="floor")
    lut = lut.clamp_(max=255)
    levels = torch.arange(256, device=u8.device, dtype=lut.dtype)
    return torch.where(step == 0, levels, lut).to(torch.uint8)


def equalize(x: torch.Tensor) -> torch.Tensor:
    """`pil.equalize`: flatten each image's and channel's histogram (PIL's rule; float32 via
    the nearest 8-bit levels). Measured: exact (uint8 and float32)."""
    check_batch(x, "equalize")
    u8 = x if x.dtype == torch.uint8 else _to_u8(x)
    idx = _flat_index(u8)
    out = apply_lut(u8, _equalize_lut(u8, idx), idx)
    return out if x.dtype == torch.uint8 else _from_u8(out)


# --- enhancers (ImageEnhance): blend with a degenerate image ------------------------------

def _blend(d: torch.Tensor, x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """PIL's blend of `x` with degenerate `d` by float32 factors `f`, as `pil._blend`:
    uint8: ((x - d) * f + d) clipped and truncated; float: d + f * (x - d) clipped."""
    if x.dtype == torch.uint8:
        return _u8((x.to(torch.float32) - d).mul_(f).add_(d))
    return (d + f * (x - d)).clamp_(0, 1)


def grey(x: torch.Tensor) -> torch.Tensor:
    """`pil.grey` per image, (B, 1, H, W): PIL's fixed-point L for RGB(A) uint8, the 0.299 /
    0.587 / 0.114 weights in float32 for float RGB(A), the channel itself for grey, the
    rounded channel mean for other counts."""
    c = x.shape[1]
    if c == 1:
        return x
    if c not in (3, 4):
        m = x.to(torch.float64).mean(1, keepdim=True)
        return m.round().to(torch.uint8) if x.dtype == torch.uint8 else m.to(x.dtype)
    if x.dtype == torch.uint8:
        r, g, b = (x[:, k:k + 1].to(torch.int32) for k in range(3))
        return ((r * _PIL_L[0] + g * _PIL_L[1] + b * _PIL_L[2] + 0x8000) >> 16).to(torch.uint8)
    w = [torch.tensor(v, dtype=torch.float32) for v in _GREY_F]
    return x[:, 0:1] * w[0] + x[:, 1:2] * w[1] + x[:, 2:3] * w[2]


def _brightness(x, f):
    if x.dtype == torch.uint8:  # PIL's table: trunc(clip(f * v, 0, 255)) in float32
        return _u8(x.to(torch.float32) * f)
    return _blend(torch.zeros((), device=x.device), x, f)


def brightness(x: torch.Tensor, factors) -> torch.Tensor:
    """`pil.brightness`: blend with black by each image's factor (alpha kept). Measured:
    exact (uint8 and float32)."""
    check_batch(x, "brightness")
    return _keep_alpha(_brightness, x, _f32(per_image(factors, x, "brightness", "factors")))


def _contrast(x, f):
    g = grey(x)
    if x.dtype == torch.uint8:  # mean grey level rounded: int(sum / N + 0.5)
        npix = g.shape[2] * g.shape[3]
        s = g.sum(dim=(2, 3), keepdim=True, dtype=torch.int64).to(torch.float64)
        m = torch.floor(s / torch.full((), npix, dtype=s.dtype, device=s.device) + 0.5)
        m = m.to(torch.float32)
        return _u8((x.to(torch.float32) - m).mul_(f).add_(m))
    return _blend(g.mean(dim=(2, 3), keepdim=True), x, f)


def contrast(x: torch.Tensor, factors) -> torch.Tensor:
    """`pil.contrast`: blend with the image's mean grey level (rounded to 8 bits on uint8),
    alpha kept. Measured: exact on uint8; float32 within 3e-7 * max(1, |1 - factor|) (the
    float32 mean is summed in torch's order, not numpy's pairwise one; 2.1e-5 at the op's
    bound, factor 100)."""
    check_batch(x, "contrast")
    return _keep_alpha(_contrast, x, _f32(per_image(factors, x, "contrast", "factors")))


def color(x: torch.Tensor, factors) -> torch.Tensor:
    """`pil.color`: blend RGB with its grey version (PIL's 8-bit L on uint8), alpha kept;
    images without three colour channels are returned unchanged (a copy). Measured: exact
    (uint8 and float32)."""
    _, c, _, _ = check_batch(x, "color")
    f = _f32(per_image(factors, x, "color", "factors"))
    if c not in (3, 4):
        return x.clone()
    g = grey(x)
    d = g.to(torch.float32)
    return _keep_alpha(lambda rgb, ff: _blend(d, rgb, ff), x, f)


def smooth(x: torch.Tensor) -> torch.Tensor:
    """`pil.smooth` on a batch: PIL's SMOOTH 3x3 filter on the inner pixels (uint8: (box sum
    + 4 * centre + 6) // 13, exact; float32: the float kernel), border pixels kept; images
    smaller than 3x3 unchanged. Returned as float32 (the blend's degenerate)."""
    h, w = x.shape[2:]
    d = x.to(torch.float32, copy=True)
    if min(h, w) < 3:
        return d
    if x.dtype == torch.uint8:
        v = x.to(torch.int16)
        rows = v[..., :-2] + v[..., 1:-1] + v[..., 2:]
        box = rows[..., :-2, :] + rows[..., 1:-1, :] + rows[..., 2:, :]
        inner = torch.div(box + 4 * v[..., 1:-1, 1:-1] + 6, 13, rounding_mode="floor")
        d[..., 1:-1, 1:-1] = inner
        return d
    rows = x[..., :-2] + x[..., 1:-1] + x[..., 2:]
    box = rows[..., :-2, :] + rows[..., 1:-1, :] + rows[..., 2:, :]
    d[..., 1:-1, 1:-1] = (box + 4 * x[..., 1:-1, 1:-1]) * (1.0 / 13.0)
    return d


def sharpness(x: torch.Tensor, factors) -> torch.Tensor:
    """`pil.sharpness`: blend with the SMOOTH-filtered image (alpha kept). Measured: exact
    on uint8; float32 within 2e-7 * max(1, |1 - factor|) (the filter sums in another order
    than OpenCV's filter2D; 1.2e-5 at factor 100)."""
    check_batch(x, "sharpness")
    f = _f32(per_image(factors, x, "sharpness", "factors"))
    return _keep_alpha(lambda rgb, ff: _blend(smooth(rgb), rgb, ff), x, f)


def sample_pairing(x: torch.Tensor, weights) -> torch.Tensor:
    """`pil.sample_pairing`: (1 - w) * x + w * (x turned by 180 degrees), per image.
    uint8 follows cv2.addWeighted: fma(x, 1 - w, round32(partner * w)) rounded half to
    even (the fused multiply-add is done in float64, exact here); float32 is the numpy
    sum in float32. Measured: exact (uint8 and float32)."""
    check_batch(x, "sample_pairing")
    w = per_image(weights, x, "sample_pairing", "weights")
    a, b = _f32(1.0 - w), _f32(w)
    partner = x.flip((2, 3))
    if x.dtype == torch.uint8:
        inner = partner.to(torch.float32) * b
        s = x.to(torch.float64).mul_(a.to(torch.float64)).add_(inner)
        return s.to(torch.float32).round_().clamp_(0, 255).to(torch.uint8)
    return x * a + partner * b


# --- CutOut -------------------------------------------------------------------------------

def fill_holes(x: torch.Tensor, holes_per_image, fill) -> torch.Tensor:
    """CutOut's fill on a batch: image j gets every rectangle of ``holes_per_image[j]``, a
    list of (y1, x1, y2, x2) row / column slice bounds, set to `fill` (one number or one
    per channel, in the image's units; checked and rounded for uint8 as CutOut does). One
    boolean mask for the whole batch: one rectangle per image is a separable row x column
    test, more are summed as corner marks (+1 / -1) and two cumulative sums. Bounds are
    clipped to the image and an empty or inverted rectangle erases nothing (negative
    bounds are not counted from the end, unlike numpy slicing). Measured: exact against
    `CutOut.image_batch` (uint8 and float32)."""
    n, c, h, w = check_batch(x, "fill_holes")
    if len(holes_per_image) != n:
        raise value_error("fill_holes", "holes_per_image", f"has {len(holes_per_image)} "
                          f"entries for a batch of {n} images; expected one list per image")
    counts = [len(hs) for hs in holes_per_image]
    if sum(counts) == 0:
        return x.clone()
    rects = np.asarray([r for hs in holes_per_image for r in hs], np.int64).reshape(-1, 4)
    img = np.repeat(np.arange(n), counts)
    rects[:, 0::2] = rects[:, 0::2].clip(0, h)
    rects[:, 1::2] = rects[:, 1::2].clip(0, w)
    rects[:, 2] = np.maximum(rects[:, 2], rects[:, 0])
    rects[:, 3] = np.maximum(rects[:, 3], rects[:, 1])
    from .fill import fill_for_layout  # CutOut's rules: checked, rounded for uint8

    f = fill_for_layout("fill_holes", fill, np.uint8 if x.dtype == torch.uint8 else np.float32,
                        (h, w, c))
    v = torch.as_tensor(np.asarray(f, np.float64).reshape(-1)).to(x.device, x.dtype)
    dev = x.device
    if max(counts) == 1:
        r = torch.zeros((n, 4), dtype=torch.int64)  # an image without a hole: empty ranges
        r[torch.from_numpy(img)] = torch.from_numpy(rects)
        r = r.to(dev)
        ys = torch.arange(h, device=dev)
        xs = torch.arange(w, device=dev)
        in_r = (ys >= r[:, 0:1]) & (ys < r[:, 2:3])  # (B, H)
        in_c = (xs >= r[:, 1:2]) & (xs < r[:, 3:4])  # (B, W)
        mask = in_r[:, :, None] & in_c[:, None, :]
    else:  # corner marks of every rectangle, then a 2-D prefix sum: count > 0 inside
        marks = torch.zeros((n, h + 1, w + 1), dtype=torch.int32, device=dev)
        i = torch.from_numpy(np.concatenate([img] * 4))
        yy = torch.from_numpy(np.concatenate([rects[:, 0], rects[:, 0], rects[:, 2],
                                              rects[:, 2]]))
        xx = torch.from_numpy(np.concatenate([rects[:, 1], rects[:, 3], rects[:, 1],
                                              rects[:, 3]]))
        sign = torch.tensor([1, -1, -1, 1], dtype=torch.int32).repeat_interleave(len(rects))
        marks.index_put_((i.to(dev), yy.to(dev), xx.to(dev)), sign.to(dev), accumulate=True)
        mask = marks.cumsum_(1).cumsum_(2)[:, :h, :w] > 0
    return torch.where(mask[:, None], v.reshape(1, -1, 1, 1), x)
