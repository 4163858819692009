"""torchvision 0.29's colour arithmetic (``transforms.v2.functional``) on HWC numpy images.

Brightness, contrast, saturation and hue as torchvision computes them on tensors, step by
step in float32, so that `PhotoMetricDistort` matches ``RandomPhotometricDistort`` given the
same draws, bit for bit (measured on COCO photos, uint8 and float32): the grey value is
``0.2989 R + 0.587 G + 0.114 B`` accumulated by torch's ``add(alpha=...)`` (a fused
multiply-add), floored for uint8; blends are ``factor * x + (1 - factor) * y`` (one fused
multiply-add), clamped; uint8 results are truncated (``.to(uint8)``); hue goes through
torchvision's RGB -> HSV -> RGB formulas in float32 and back to uint8 by ``x * 255.999``,
truncated.

The fused steps (grey, the blends) run as the same torch operations on the image's colour
planes, so they round as torchvision's do; per-value maps of a uint8 image (brightness, the
contrast blend with its one mean) become 256-entry tables; hue is numpy float32, operation
for operation. Images are HW, (H, W, 1), RGB or RGBA, uint8 or float32 (alpha kept);
saturation and hue leave grey images alone, as torchvision does.
"""

from __future__ import annotations

import numpy as np

F32 = np.float32
GREY = (0.2989, 0.587, 0.114)  # torchvision's weights (not ITU-R 601's 0.299)
_U8_TO_UNIT = F32(1.0 / 255.0)
_UNIT_TO_U8 = F32(255.0 + 1.0 - 1e-3)  # to_dtype_image's float -> uint8 factor


def _planes(img: np.ndarray):
    """(colour planes R, G, B, alpha plane or None) of an RGB(A) image, contiguous."""
    import cv2

    planes = cv2.split(img)
    return planes[:3], (planes[3] if len(planes) == 4 else None)


def _merge(planes, alpha) -> np.ndarray:
    import cv2

    return cv2.merge(list(planes) + ([] if alpha is None else [alpha]))


def _channels(img: np.ndarray) -> int:
    return 1 if img.ndim == 2 else img.shape[2]


def _grey_t(planes, u8: bool):
    """torchvision's grey plane as a float32 torch tensor (floored for uint8)."""
    import torch

    r, g, b = (torch.from_numpy(p) for p in planes)
    t = r.mul(GREY[0]).add_(g, alpha=GREY[1]).add_(b, alpha=GREY[2])
    return t.floor_() if u8 else t


def grey(planes, u8: bool) -> np.ndarray:
    """torchvision's grey plane (float32), floored for uint8 images."""
    return _grey_t(planes, u8).numpy()


def _lut(img: np.ndarray, table: np.ndarray) -> np.ndarray:
    """A uint8 table on the colour channels (alpha kept)."""
    from .tone import apply_lut

    if _channels(img) == 4:
        return np.dstack([apply_lut(np.ascontiguousarray(img[:, :, :3]), table),
                          img[:, :, 3]])
    return apply_lut(np.ascontiguousarray(img), table)


def _keep_alpha(out: np.ndarray, img: np.ndarray) -> np.ndarray:
    if _channels(img) == 4:
        out[:, :, 3] = img[:, :, 3]
    return out


def brightness(img: np.ndarray, factor: float) -> np.ndarray:
    """``clamp(x * factor)`` (uint8 truncated) on every channel but alpha."""
    if img.dtype == np.uint8:
        return _lut(img, np.clip(np.arange(256, dtype=F32) * F32(factor), 0, 255)
                    .astype(np.uint8))
    out = img * F32(factor)
    return _keep_alpha(np.clip(out, F32(0.0), F32(1.0), out=out), img)


def _mean(g: np.ndarray, u8: bool) -> np.float32:
    """The float32 mean of a grey plane, the same at any thread count.

    torch's float32 sum splits its work by thread, so torchvision's mean can change in the
    last bit with ``torch.get_num_threads()``. Here the sum is float64 (exact for uint8's
    whole grey levels); below 2**24 a uint8 image's sum is exact in float32 in any order,
    so ``sum / n`` in float32 is torchvision's mean, bit for bit; above, and for float32
    images, the float64 mean rounded once (within one float32 step of torchvision's)."""
    n = g.size
    total = float(np.sum(g, dtype=np.float64))
    if u8 and total < 2.0**24:
        return F32(total) / F32(n)
    return F32(total / n)


def contrast(img: np.ndarray, factor: float) -> np.ndarray:
    """Blend with the mean of the grey image (torchvision's adjust_contrast)."""
    import torch

    c = _channels(img)
    u8 = img.dtype == np.uint8
    if c == 1:
        g = torch.from_numpy(img.reshape(img.shape[:2]).astype(F32))  # a writable copy
    else:
        g = _grey_t(_planes(img)[0], u8)
    mean = torch.tensor([float(_mean(g.numpy(), u8))], dtype=torch.float32)
    f = float(factor)
    if u8:  # the blend of each of the 256 levels with the one mean: a table
        levels = torch.arange(256, dtype=torch.uint8)
        table = levels.mul(f).add_(mean, alpha=1.0 - f).clamp_(0, 255).to(torch.uint8)
        return _lut(img, table.numpy().reshape(256))
    x = torch.from_numpy(img if img.flags.writeable and img.flags.c_contiguous else img.copy())
    out = x.mul(f).add_(mean.reshape((1,) * x.ndim), alpha=1.0 - f).clamp_(0, 1).numpy()
    return _keep_alpha(out, img)


def saturation(img: np.ndarray, factor: float) -> np.ndarray:
    """Blend every pixel with its own grey value (torchvision's adjust_saturation)."""
    import torch

    if _channels(img) == 1:
        return img.copy()
    u8 = img.dtype == np.uint8
    planes, alpha = _planes(img)
    g = _grey_t(planes, u8)
    f = float(factor)
    out = []
    for p in planes:
        v = torch.from_numpy(p).mul(f).add_(g, alpha=1.0 - f).clamp_(0, 255 if u8 else 1)
        out.append((v.to(torch.uint8) if u8 else v).numpy())
    return _merge(out, alpha)


def _pick(masks, sources, first: int) -> np.ndarray:
    """Per pixel ``sources[k]`` where ``masks[k]`` is set (masks uint8, disjoint, covering
    with `first` everywhere else): OpenCV's masked copies (numpy's boolean ``where`` is
    ~25x slower on random masks)."""
    import cv2

    out = sources[first].copy()
    for k, m in enumerate(masks):
        if k != first:
            cv2.copyTo(sources[k], m, out)
    return out


# torchvision's _hsv_to_rgb select table: output channel -> source (v, p, q, t) per sector
_SECTORS = ((0, 2, 1, 1, 3, 0), (3, 0, 0, 2, 1, 1), (1, 1, 3, 0, 0, 2))


def hue(img: np.ndarray, shift: float) -> np.ndarray:
    """Rotate the hue by `shift` turns (torchvision's adjust_hue: its RGB <-> HSV in
    float32, operation for operation; selections by masked copies, which move values
    exactly)."""
    if _channels(img) == 1:
        return img.copy()
    u8 = img.dtype == np.uint8
    planes, alpha = _planes(img)
    if u8:
        planes = [np.multiply(p, _U8_TO_UNIT, dtype=F32) for p in planes]
    r, g, b = planes
    maxc = np.maximum(np.maximum(r, g), b)
    minc = np.minimum(np.minimum(r, g), b)
    eqc = (maxc == minc).astype(F32)
    cr = maxc - minc
    # where maxc == minc torchvision divides by 1: cr is 0 there, so cr + 1 and maxc + 1
    # (never 0) give the same zeros; elsewhere adding 0 is exact
    s = cr / (maxc + eqc)
    crd = cr + eqc
    rc = (maxc - r) / crd
    gc = (maxc - g) / crd
    bc = (maxc - b) / crd
    # exactly one of torchvision's three masked terms is non-zero (the others add +-0)
    hr = bc - gc
    hg = (rc + F32(2.0)) - bc
    hb = (gc + F32(4.0)) - rc
    is_r = (maxc == r).view(np.uint8)
    is_g = (maxc == g).view(np.uint8)
    import cv2

    cv2.copyTo(hg, is_g, hb)
    cv2.copyTo(hr, is_r, hb)
    h = hb
    h *= F32(1.0 / 6.0)
    h += F32(1.0)
    h -= np.floor(h)  # fmod(h, 1) for h >= 0, exactly
    h += F32(shift)
    h -= np.floor(h)  # torch's remainder(h, 1): h + 1 for h in [-0.5, 0), exactly
    # HSV -> RGB
    h6 = h * F32(6.0)
    i = np.floor(h6)
    f = h6 - i
    sector = i.astype(np.uint8)  # 0..6; 6 (h6 rounded up to 6) is sector 0
    sxf = s * f
    oms = F32(1.0) - s
    v = maxc
    q = np.clip((F32(1.0) - sxf) * v, F32(0.0), F32(1.0))
    t = np.clip((sxf + oms) * v, F32(0.0), F32(1.0))
    p = np.clip(oms * v, F32(0.0), F32(1.0))
    at = [(sector == k).view(np.uint8) for k in range(7)]
    at[0] = at[0] | at[6]
    sources = (v, p, q, t)
    out = []
    for row in _SECTORS:
        masks = [np.zeros_like(at[0]) for _ in range(4)]
        for k in range(6):
            masks[row[k]] = masks[row[k]] | at[k]
        ch = _pick(masks, sources, row[2])
        out.append(np.multiply(ch, _UNIT_TO_U8, out=ch) if u8 else ch)
    if u8:
        out = [ch.astype(np.uint8) for ch in out]  # truncated, as torch's .to(uint8)
    return _merge(out, alpha)


def permute(img: np.ndarray, order) -> np.ndarray:
    """Colour channels in `order` (alpha stays last)."""
    from .channels import shuffle_channels

    c = _channels(img)
    order = [int(i) for i in order]
    return shuffle_channels(img, order + ([3] if c == 4 else []))
