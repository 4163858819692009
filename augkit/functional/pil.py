"""Pure photometric kernels on HWC / HW images: uint8 (exactly PIL's definitions) or float32
in [0, 1] (the same formulas without 8-bit rounding).

Thresholds and grey levels are always on the 8-bit scale (0..255) so an op means the same on
uint8 and float images. Point operations on uint8 are one lookup table (cv2.LUT); PIL itself
is never imported.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .tone import apply_lut as one_table

_LEVELS = np.arange(256, dtype=np.float32)
# PIL's L weights and rounding offset, (19595, 38470, 7471, 0x8000) / 2^16: exact in float32
_PIL_GREY = np.array([[19595, 38470, 7471, 0x8000]], np.float32) / np.float32(65536)


def _is_u8(img: np.ndarray) -> bool:
    return img.dtype == np.uint8


def _channels(img: np.ndarray) -> int:
    return 1 if img.ndim == 2 else img.shape[2]


def apply_lut(img: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Map uint8 `img` through `lut`: shape (256,) for every channel or (256, C) per channel."""
    import cv2

    if lut.dtype != np.uint8:
        lut = np.ascontiguousarray(lut, dtype=np.uint8)
    if lut.ndim == 1 or lut.shape[1] == 1:  # one table: StringZilla's SIMD route when present
        return one_table(img if img.flags.c_contiguous else np.ascontiguousarray(img),
                         lut if lut.ndim == 1 and lut.flags.c_contiguous
                         else np.ascontiguousarray(lut.reshape(256)))
    if lut.shape[1] == 3 and _split_worth(img):  # (256, C) from here on
        return _lut_planes(cv2.split(img), lut)
    return cv2.LUT(img, lut.reshape(256, 1, lut.shape[1])).reshape(img.shape)


# OpenCV 5's LUT with a per-channel table runs at ~0.6 ns a byte, a single table at ~0.3:
# from ~128x128 up, splitting an RGB image into planes, one plane LUT each and a merge is
# faster (224x224: ~78 against ~94 us); below, the split and merge cost more than they save.
_SPLIT_LUT_MIN = 128 * 128


def _split_worth(img: np.ndarray) -> bool:
    """Whether a per-channel table on uint8 `img` goes through `_lut_planes`."""
    return _channels(img) == 3 and img.shape[0] * img.shape[1] >= _SPLIT_LUT_MIN


def _lut_planes(planes, lut: np.ndarray) -> np.ndarray:
    """Merge of plane k through column k of the (256, C) uint8 `lut`."""
    import cv2

    return cv2.merge([cv2.LUT(p, np.ascontiguousarray(lut[:, k], dtype=np.uint8))
                      for k, p in enumerate(planes)])


def _to_u8(img: np.ndarray) -> np.ndarray:
    """float [0, 1] -> nearest 8-bit level (for ops defined on 256 levels only)."""
    return np.floor(img * 255.0 + 0.5).astype(np.uint8)


def _via_u8(img: np.ndarray, lut: np.ndarray) -> np.ndarray:
    return apply_lut(_to_u8(img), lut).astype(np.float32) * np.float32(1 / 255)


# --- point operations (ImageOps) ---------------------------------------------------------

def invert(img: np.ndarray) -> np.ndarray:
    """ImageOps.invert: 255 - x (1 - x on float)."""
    if _is_u8(img):
        return 255 - img
    return 1.0 - img


@functools.lru_cache(maxsize=1024)
def _cached_lut(kind: str, value: float) -> np.ndarray:
    """uint8 lookup tables of the point ops, built once per (op, value)."""
    if kind == "posterize":
        lut = posterize_lut(int(value))
    else:  # brightness: PIL's blend with black, float32 maths, truncated
        lut = np.trunc(np.clip(np.float32(value) * _LEVELS, 0, 255))
    out = np.ascontiguousarray(lut, dtype=np.uint8)
    out.flags.writeable = False
    return out


def solarize(img: np.ndarray, threshold: float) -> np.ndarray:
    """ImageOps.solarize: invert every value >= threshold (8-bit scale, 0..256)."""
    if _is_u8(img):
        # 255 - x is x ^ 0xFF on uint8: XOR with a 0/255 mask of x >= threshold (x > ceil(t) - 1
        # for integer x), two SIMD passes instead of a table lookup (~10 against ~45 us at 224^2)
        import cv2

        flat = img.reshape(img.shape[0], -1)
        _, mask = cv2.threshold(flat, math.ceil(threshold) - 1, 255, cv2.THRESH_BINARY)
        return cv2.bitwise_xor(flat, mask).reshape(img.shape)
    return np.where(img * np.float32(255) < threshold, img, 1.0 - img).astype(np.float32)


def posterize_lut(bits: int) -> np.ndarray:
    mask = ~(2 ** (8 - int(bits)) - 1) & 0xFF
    return np.arange(256, dtype=np.int64) & mask


def posterize(img: np.ndarray, bits: int) -> np.ndarray:
    """ImageOps.posterize: keep the `bits` most significant bits (float images are quantised
    to 8 bits first)."""
    if _is_u8(img):  # one SIMD AND with the bit mask (~4 against ~45 us at 224^2 for a LUT)
        return np.bitwise_and(img, np.uint8(posterize_lut(int(bits))[255]), order="C")
    return _via_u8(img, _cached_lut("posterize", int(bits)))


def _per_channel(img: np.ndarray) -> np.ndarray:
    return img.reshape(-1, _channels(img))


def _minmax(img: np.ndarray, planes=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel minimum and maximum, (C,) each; `planes`: `cv2.split(img)` if at hand."""
    import cv2

    c = _channels(img)
    if c <= 4 and img.dtype in (np.uint8, np.float32):
        if planes is None:
            planes = [img] if c == 1 else cv2.split(img)
        mm = [cv2.minMaxLoc(p.reshape(p.shape[:2]))[:2] for p in planes]
        return np.array([v[0] for v in mm]), np.array([v[1] for v in mm])
    flat = _per_channel(img)
    return flat.min(0).astype(np.float64), flat.max(0).astype(np.float64)


def autocontrast(img: np.ndarray) -> np.ndarray:
    """ImageOps.autocontrast (cutoff 0): stretch each channel's [min, max] to the full range;
    a flat channel is left unchanged."""
    import cv2

    # one split serves the min/max and the table lookup
    planes = cv2.split(img) if _is_u8(img) and _split_worth(img) else None
    lo, hi = _minmax(img, planes)
    if _is_u8(img):
        flat_ch = hi <= lo
        scale = 255.0 / np.where(flat_ch, 1.0, hi - lo)
        lut = np.trunc(np.arange(256.0)[:, None] * scale - lo * scale)
        lut = np.clip(lut, 0, 255)
        lut[:, flat_ch] = np.arange(256.0)[:, None]
        return _lut_planes(planes, lut) if planes is not None else apply_lut(img, lut)
    span = hi - lo
    if (span <= 0).all():
        return img
    lo32 = lo.astype(np.float32)
    inv = 1.0 / np.where(span > 0, span, 1.0)
    if inv.max() < 3e38:  # the float32 inverse is finite: the fast path
        inv = inv.astype(np.float32)
        out = np.clip((img - lo32) * inv if img.ndim == 3 else (img - lo32[0]) * inv[0], 0, 1)
    else:  # a subnormal span (1e-45): 1 / span overflows float32; divide in float64 instead
        x = img.astype(np.float64) if img.ndim == 3 else img.astype(np.float64)[..., None]
        out = np.clip((x - lo) / np.where(span > 0, span, 1.0), 0, 1).astype(np.float32)
        out = out if img.ndim == 3 else out[..., 0]
    if (span <= 0).any():  # flat channels stay as they are
        out = np.where(span > 0, out, img)
    return out.astype(np.float32, copy=False)


def _histograms(img_u8: np.ndarray):
    """Per-channel 256-bin histograms, one row per channel (exact counts: float32 from
    `calcHist` below 2^24 pixels, int64 otherwise)."""
    import cv2

    c = _channels(img_u8)
    if c <= 4 and img_u8.shape[0] * img_u8.shape[1] < 2 ** 24:  # float32 counts stay exact
        return [cv2.calcHist([img_u8], [k], None, [256], [0, 256]).ravel() for k in range(c)]
    flat = img_u8.reshape(-1, c)
    if c == 1:
        return np.bincount(flat.ravel(), minlength=256)[None]
    idx = flat + (np.arange(c, dtype=np.uint16) * 256)
    return np.bincount(idx.ravel(), minlength=256 * c).reshape(c, 256)


def equalize_lut(img_u8: np.ndarray) -> np.ndarray:
    """ImageOps.equalize's per-channel lookup table, (256, C)."""
    return _equalize_table(_histograms(img_u8))


def _equalize_table(hists) -> np.ndarray:
    """ImageOps.equalize's table from per-channel 256-bin histograms (C rows), for all
    channels at once: step = (pixels - count of the last non-empty level) // 255, and
    lut[v] = min((pixels below v + step // 2) // step, 255); identity where step is 0 (a
    channel with one level, or too few pixels). Few numpy calls: at 32x32 this table is
    most of Equalize's time."""
    h = np.array(hists, dtype=np.int64).reshape(-1, 256)
    before = h.cumsum(1)
    before -= h  # pixels below each level
    last = 255 - (h[:, ::-1] != 0).argmax(1)  # the last non-empty level (255 if none)
    rows = _ROWS[:len(h)] if len(h) <= len(_ROWS) else np.arange(len(h))
    step = before[rows, last] // 255  # pixels below it = pixels - its count
    lut = (before + (step // 2)[:, None]) // np.maximum(step, 1)[:, None]
    np.minimum(lut, 255, out=lut)
    lut[step == 0] = _IDENTITY
    return lut.T


_ROWS = np.arange(4)
_IDENTITY = np.arange(256, dtype=np.int64)


def equalize(img: np.ndarray) -> np.ndarray:
    """ImageOps.equalize: flatten each channel's histogram (float images via 8 bits)."""
    u8 = img if _is_u8(img) else _to_u8(img)
    lut = equalize_lut(u8)
    return apply_lut(img, lut) if _is_u8(img) else _via_u8(img, lut)


# --- enhancers (ImageEnhance): blend with a degenerate image ------------------------------

def _blend(degenerate, img: np.ndarray, factor: float) -> np.ndarray:
    """PIL's Image.blend(degenerate, img, factor): float32 maths, truncated, clipped."""
    f = np.float32(factor)
    if _is_u8(img):
        d = np.asarray(degenerate, np.float32)
        out = np.subtract(img, d, dtype=np.float32)  # the uint8 -> float32 cast in the same pass
        out *= f
        out += d
        np.clip(out, 0, 255, out=out)
        return out.astype(np.uint8)  # values are >= 0: astype truncates like PIL's cast
    return np.clip(degenerate + f * (img - degenerate), 0, 1).astype(np.float32)


def _grey_f32(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, g) for a uint8 RGB(A) image: x its RGB as float32 in a per-thread work buffer,
    g = (19595 r + 38470 g + 7471 b + 0x8000) / 2^16 before the floor, as float32 (H, W)."""
    import cv2

    from ..functional.scratch import scratch

    x = scratch("grey", img.shape[:2] + (3,), np.float32)
    np.copyto(x, img[..., :3], casting="unsafe")
    return x, cv2.transform(x, _PIL_GREY)


def grey(img: np.ndarray) -> np.ndarray:
    """PIL's RGB -> L conversion (ITU-R 601-2, PIL's fixed-point rounding on uint8), (H, W)."""
    if img.ndim == 2:
        return img
    if img.shape[2] not in (3, 4):
        return img.mean(axis=2).astype(img.dtype) if not _is_u8(img) else \
            np.round(img.mean(axis=2)).astype(np.uint8)
    if _is_u8(img):
        # PIL's fixed point, (19595 r + 38470 g + 7471 b + 0x8000) >> 16, computed in float32
        # as one cv2.transform with the weights and the offset scaled by 2^-16: every
        # product and partial sum is an integer below 2^24 times 2^-16, so exact in any
        # order (checked on all 2^24 colours); ~30 us at 224^2 against ~95 for numpy passes
        return _grey_f32(img)[1].astype(np.uint8)  # >= 0: truncation is the floor
    return (img[..., 0] * np.float32(0.299) + img[..., 1] * np.float32(0.587)
            + img[..., 2] * np.float32(0.114)).astype(np.float32)


def _keep_alpha(fn):
    """ImageEnhance leaves the alpha channel of RGBA images alone; so do the enhancers."""
    def wrapped(img, factor):
        if _channels(img) == 4:
            return np.concatenate([fn(np.ascontiguousarray(img[..., :3]), factor),
                                   img[..., 3:]], axis=2)
        return fn(img, factor)

    wrapped.__doc__ = fn.__doc__
    wrapped.__name__ = fn.__name__
    return wrapped


@_keep_alpha
def brightness(img: np.ndarray, factor: float) -> np.ndarray:
    """ImageEnhance.Brightness: blend with black."""
    if _is_u8(img):
        return apply_lut(img, _cached_lut("brightness", float(factor)))
    return _blend(np.float32(0), img, factor)


@_keep_alpha
def contrast(img: np.ndarray, factor: float) -> np.ndarray:
    """ImageEnhance.Contrast: blend with the mean grey level (rounded to 8 bits on uint8)."""
    g = grey(img)
    if _is_u8(img):
        mean = int(float(g.mean()) + 0.5)
        lut = np.clip(np.float32(mean) + np.float32(factor) * (_LEVELS - np.float32(mean)), 0, 255)
        return apply_lut(img, np.trunc(lut))
    return _blend(np.float32(g.mean()), img, factor)


def color(img: np.ndarray, factor: float) -> np.ndarray:
    """ImageEnhance.Color: blend with the grey version; images without colour are returned
    unchanged; an alpha channel is kept."""
    c = _channels(img)
    if c not in (3, 4):
        return img
    import cv2

    if _is_u8(img):
        out = _color_u8(np.ascontiguousarray(img[..., :3]), factor)
    else:
        # the degenerate as a contiguous RGB image: numpy broadcasting an (H, W, 1) operand
        # runs 3-element inner loops (~330 us at 224x224 against ~125 us)
        out = _blend(cv2.cvtColor(grey(img), cv2.COLOR_GRAY2RGB), img[..., :3], factor)
    if c == 4:
        out = np.concatenate([out, img[..., 3:]], axis=2)
    return out


_SMOOTH = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / 13


def smooth(img: np.ndarray) -> np.ndarray:
    """PIL's ImageFilter.SMOOTH: 3x3 kernel [[1,1,1],[1,5,1],[1,1,1]] / 13, rounded; border
    pixels are kept as they are."""
    import cv2

    if min(img.shape[:2]) < 3:
        return img
    if _is_u8(img) and _channels(img) <= 4:
        # integer form: (3x3 box sum + 4 * centre + 6) // 13 rounds like PIL, and stays exact
        box = cv2.boxFilter(img, cv2.CV_16U, (3, 3), normalize=False,
                            borderType=cv2.BORDER_REPLICATE).reshape(img.shape)
        inner = ((box + 4 * img.astype(np.uint16) + 6) // 13).astype(np.uint8)
    else:
        inner = cv2.filter2D(img, -1, _SMOOTH, borderType=cv2.BORDER_REPLICATE)
        inner = inner.reshape(img.shape)
    out = img.copy()
    out[1:-1, 1:-1] = inner[1:-1, 1:-1]
    return out


def _color_u8(rgb: np.ndarray, factor: float) -> np.ndarray:
    """`_blend(grey RGB, rgb, factor)` for a contiguous uint8 RGB image, in float32 work
    buffers: the float copy of the image serves both the grey level (`grey`'s transform,
    then floor) and the blend, and the degenerate is expanded in float32, so no uint8 ->
    float pass is made twice. The same IEEE operations as `_blend` (x - d exact, then * f,
    then + d), so the same bytes."""
    import cv2

    x, g = _grey_f32(rgb)
    np.floor(g, out=g)  # PIL's 8-bit grey level (>= 0: the shift's floor)
    d = cv2.cvtColor(g, cv2.COLOR_GRAY2RGB)
    np.subtract(x, d, out=x)
    x *= np.float32(factor)
    x += d
    np.clip(x, 0, 255, out=x)
    return x.astype(np.uint8)  # values are >= 0: astype truncates like PIL's cast


@_keep_alpha
def sharpness(img: np.ndarray, factor: float) -> np.ndarray:
    """ImageEnhance.Sharpness: blend with the SMOOTH-filtered image."""
    return _blend(smooth(img), img, factor)


def sample_pairing(img: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * img + weight * partner, the partner being the image turned by 180
    degrees (a single-image stand-in for SamplePairing's second image), rounded on uint8."""
    partner = img[::-1, ::-1]
    if _is_u8(img) and _channels(img) <= 4:
        import cv2

        partner = cv2.flip(img, -1).reshape(img.shape)
        return cv2.addWeighted(img, 1.0 - weight, partner, weight, 0.0).reshape(img.shape)
    out = (1.0 - weight) * img + weight * partner
    if _is_u8(img):  # more than 4 channels: OpenCV's rounding, by hand
        return np.rint(out).astype(np.uint8)
    return out.astype(np.float32)
