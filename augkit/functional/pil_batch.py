"""The PIL-defined photometric kernels of `functional.pil` over a batch of uint8 RGB images
(B, H, W, 3), image j with its own value: the batched path's `image_batch` of the PIL ops.

Each returns exactly what the per-image kernel returns for every image (the same IEEE
operations element by element, on the same 8-bit values; tables applied through the same
lookups): at small sizes the per-image kernels spend most of their time in Python and in
building their tables, which here is one numpy expression for the whole batch. Anything but
uint8 RGB returns None: the caller then runs the per-image kernel.
"""

from __future__ import annotations

import math

import numpy as np

from . import pil as K


def _rgb_u8(x: np.ndarray) -> bool:
    return x.dtype == np.uint8 and x.ndim == 4 and x.shape[3] == 3 and x.shape[0] > 0


def _rows(x: np.ndarray) -> np.ndarray:
    """The batch as one (B * H, W, 3) image (a view when contiguous): for kernels whose
    result at a pixel depends on that pixel alone."""
    x = np.ascontiguousarray(x)
    return x.reshape(x.shape[0] * x.shape[1], x.shape[2], 3)


def _column(values, shape=(-1, 1, 1, 1)) -> np.ndarray:
    return np.asarray(values, np.float32).reshape(shape)


def invert(x):
    return 255 - x if _rgb_u8(x) else None


def posterize(x, bits: list):
    """`pil.posterize` per image: one AND with each image's bit mask."""
    if not _rgb_u8(x):
        return None
    masks = np.array([K.posterize_lut(int(b))[255] for b in bits], np.uint8)
    return np.bitwise_and(x, masks.reshape(-1, 1, 1, 1), order="C")


def solarize(x, thresholds: list):
    """`pil.solarize` per image: OpenCV's THRESH_BINARY at ``ceil(t) - 1`` marks the values
    above it (integers: ``x > ceil(t) - 1``), which are inverted; as one table per image."""
    if not _rgb_u8(x):
        return None
    if all(t == thresholds[0] for t in thresholds):  # one threshold: the kernel itself
        return K.solarize(_rows(x), thresholds[0]).reshape(x.shape)
    th = np.array([math.ceil(t) - 1 for t in thresholds], np.int64)[:, None]
    levels = np.arange(256, dtype=np.int64)
    return _luts(x, np.where(levels > th, 255 - levels, levels).astype(np.uint8))


def brightness(x, factors: list):
    """`pil.brightness` per image: its cached table (one call when all images share it)."""
    if not _rgb_u8(x):
        return None
    if all(f == factors[0] for f in factors):
        return K.apply_lut(_rows(x), K._cached_lut("brightness", float(factors[0]))).reshape(
            x.shape)
    return _luts(x, [K._cached_lut("brightness", float(f)) for f in factors])


def _luts(x, luts) -> np.ndarray:
    """Image j through table ``luts[j]`` ((256,) or (256, 3)), each as `pil.apply_lut` does."""
    x = np.ascontiguousarray(x)
    out = np.empty(x.shape, np.uint8)
    for j in range(len(x)):
        out[j] = K.apply_lut(x[j], luts[j])
    return out


def _planes(x) -> np.ndarray:
    """The batch's channel planes, (B * 3, H * W) contiguous: row 3 j + c is channel c of
    image j (reductions along a contiguous row are numpy's fast ones)."""
    n = len(x)
    return np.ascontiguousarray(x.reshape(n, -1, 3).transpose(0, 2, 1)).reshape(n * 3, -1)


def autocontrast(x):
    """`pil.autocontrast` per image: every image's per-channel table in one expression."""
    if not _rgb_u8(x):
        return None
    planes = _planes(x)
    lo = planes.min(axis=1).astype(np.float64).reshape(-1, 1, 3)  # (B, 1, 3)
    hi = planes.max(axis=1).astype(np.float64).reshape(-1, 1, 3)
    flat_ch = hi <= lo
    scale = 255.0 / np.where(flat_ch, 1.0, hi - lo)
    levels = np.arange(256.0)[None, :, None]
    lut = np.clip(np.trunc(levels * scale - lo * scale), 0, 255)
    lut = np.where(flat_ch, levels, lut)
    return _luts(x, np.ascontiguousarray(lut, np.uint8))


def equalize(x):
    """`pil.equalize` per image: all histograms in one count, all tables in one call of
    `pil._equalize_table`."""
    if not _rgb_u8(x):
        return None
    n = len(x)
    planes = _planes(x)
    kind = np.uint16 if n * 3 * 256 <= 65536 else np.intp
    idx = planes + (np.arange(n * 3, dtype=kind) * 256)[:, None]
    hists = np.bincount(idx.ravel(), minlength=n * 3 * 256).reshape(n * 3, 256)
    lut = K._equalize_table(hists).T.reshape(n, 3, 256).transpose(0, 2, 1)
    return _luts(x, np.ascontiguousarray(lut, np.uint8))


def _grey(x) -> np.ndarray:
    """(float32 copy of the batch, PIL's grey level before the floor, (B, H, W) float32),
    as `pil._grey_f32` computes them image by image."""
    import cv2

    xf = x.astype(np.float32)
    g = cv2.transform(_rows(xf), K._PIL_GREY)
    return xf, g.reshape(x.shape[:3])


def contrast(x, factors: list):
    """`pil.contrast` per image: the grey means of the whole batch at once, then each
    image's table."""
    if not _rgb_u8(x):
        return None
    g = _grey(x)[1].astype(np.uint8)
    means = [int(float(m) + 0.5) for m in g.reshape(len(x), -1).mean(axis=1).tolist()]
    m32 = _column(means, (-1, 1))
    lut = np.clip(m32 + _column(factors, (-1, 1)) * (K._LEVELS - m32), 0, 255)
    return _luts(x, np.trunc(lut).astype(np.uint8))


def color(x, factors: list):
    """`pil.color` (`pil._color_u8`) per image, over the whole batch."""
    if not _rgb_u8(x):
        return None
    import cv2

    xf, g = _grey(x)
    np.floor(g, out=g)
    d = cv2.cvtColor(g.reshape(-1, x.shape[2]), cv2.COLOR_GRAY2RGB).reshape(x.shape)
    np.subtract(xf, d, out=xf)
    xf *= _column(factors)
    xf += d
    np.clip(xf, 0, 255, out=xf)
    return xf.astype(np.uint8)


def sharpness(x, factors: list):
    """`pil.sharpness` per image: PIL's SMOOTH of the stacked batch (an inner pixel's 3x3
    neighbourhood lies in its own image; border pixels stay), then the blend."""
    if not _rgb_u8(x) or min(x.shape[1:3]) < 3:
        return None
    import cv2

    rows = _rows(x)
    box = cv2.boxFilter(rows, cv2.CV_16U, (3, 3), normalize=False,
                        borderType=cv2.BORDER_REPLICATE).reshape(x.shape)
    inner = ((box + 4 * x.astype(np.uint16) + 6) // 13).astype(np.uint8)
    d = x.copy()
    d[:, 1:-1, 1:-1] = inner[:, 1:-1, 1:-1]
    df = d.astype(np.float32)
    out = np.subtract(x, df, dtype=np.float32)
    out *= _column(factors)
    out += df
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)
