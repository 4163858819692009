"""Tone kernels: gamma, the sharpening kernel, per-channel normalisation.

Images are HWC or HW, uint8 or float32 in [0, 1]. `gamma` and `sharpen` return the input's
shape and dtype (float32 results clipped to [0, 1]); `normalize` returns float32.
"""

from __future__ import annotations

import functools

import numpy as np

_LEVELS: list = []  # [arange(256) / 255], built on first use (no import-time work)


@functools.lru_cache(maxsize=16)
def _gamma_lut(gamma: float) -> np.ndarray:
    """``rint((i / 255) ** gamma * 255)`` for i in 0..255, uint8 (float64 arithmetic)."""
    if not _LEVELS:
        _LEVELS.append(np.arange(256, dtype=np.float64) / 255.0)
    y = np.power(_LEVELS[0], gamma)
    y *= 255.0
    return np.rint(y, out=y).astype(np.uint8)


_TRANSLATE: list = []  # [stringzilla.translate or None], looked up on first use


def _translate():
    if not _TRANSLATE:
        try:
            from stringzilla import translate

            # proved once on all 256 bytes: an older release without ``out=`` (or one that
            # maps differently) falls back to OpenCV's LUT, which gives the same bytes
            src, lut = np.arange(256, dtype=np.uint8), np.arange(255, -1, -1, dtype=np.uint8)
            out = np.empty(256, np.uint8)
            translate(memoryview(src), memoryview(lut), out=memoryview(out))
            if not np.array_equal(out, lut):
                translate = None
        except Exception:  # not installed, or another API: optional
            translate = None
        _TRANSLATE.append(translate)
    return _TRANSLATE[0]


def apply_lut(img: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """``lut[img]`` for a uint8 image and a 256-entry uint8 table, a new C-contiguous array
    of the input's shape.

    StringZilla's SIMD byte translation when it is installed (albumentations installs it
    and uses it for the same tables; ~5x faster than ``cv2.LUT``, whose 8-bit loop is scalar
    in OpenCV 5.1), else ``cv2.LUT`` (at most four channels) or numpy's index: the same
    bytes on every route."""
    translate = _translate()
    if translate is not None and img.flags.c_contiguous and img.size:
        out = np.empty(img.shape, np.uint8)
        translate(memoryview(img), memoryview(lut), out=memoryview(out))
        return out
    c = 0 if img.ndim == 2 else img.shape[2]
    if c <= 4 and img.size:
        import cv2

        return cv2.LUT(img, lut).reshape(img.shape)
    return lut[img]


def gamma(img: np.ndarray, g: float) -> np.ndarray:
    """``img ** g`` on the [0, 1] scale; uint8 through a 256-entry table rounded to the
    nearest level (albumentations truncates, torchvision multiplies by 255.999 and
    truncates: both within one level of this)."""
    if img.dtype == np.uint8:
        return apply_lut(img, _gamma_lut(float(g)))
    out = np.power(img, np.float32(g), dtype=np.float32)
    return np.clip(out, 0.0, 1.0, out=out)


def sharpen_kernel(alpha: float, lightness: float) -> np.ndarray:
    """albumentations' Sharpen kernel: ``(1 - alpha) * identity + alpha * L`` with L the
    3x3 kernel of -1s around ``8 + lightness``, float32."""
    eye = np.zeros((3, 3), np.float32)
    eye[1, 1] = 1.0
    effect = np.full((3, 3), -1.0, np.float32)
    effect[1, 1] = 8.0 + lightness
    return ((1.0 - alpha) * eye + alpha * effect).astype(np.float32)


def filter3x3(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Correlate every channel with a 3x3 kernel (BORDER_REFLECT_101, as albumentations'
    convolve): uint8 rounded and saturated, float32 clipped to [0, 1]."""
    import cv2

    c = 0 if img.ndim == 2 else img.shape[2]
    if c > 4:  # OpenCV's filter takes at most 4 channels
        return np.stack([filter3x3(img[:, :, i], kernel) for i in range(c)], axis=2)
    out = cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REFLECT_101).reshape(img.shape)
    if out.dtype == np.float32:
        np.clip(out, 0.0, 1.0, out=out)
    return out


def normalize(img: np.ndarray, mean, std) -> np.ndarray:
    """``(x - mean) / std`` per channel on the [0, 1] scale (uint8 divided by 255 first),
    float32. `mean` and `std` are one number or one per channel."""
    c = 1 if img.ndim == 2 else img.shape[2]
    m = np.broadcast_to(np.asarray(mean, np.float64), (c,))
    s = np.broadcast_to(np.asarray(std, np.float64), (c,))
    # x * scale + shift with scale = 1 / (std * max), shift = -mean / std (float64 folded,
    # float32 applied): one cast and two in-place passes
    scale = ((1.0 / 255.0 if img.dtype == np.uint8 else 1.0) / s).astype(np.float32)
    shift = (-m / s).astype(np.float32)
    out = img.astype(np.float32, order="C")  # C order: the row view below must be a view
    if 2 <= c <= 4 and out.size:
        import cv2

        # per-channel scalars through OpenCV (numpy broadcasting over the last axis is ~10x
        # slower); one row (1, H*W, C) so that no shape can be read as a scalar
        row = out.reshape(1, -1, c)
        cv2.multiply(row, tuple(scale.tolist()) + (0.0,) * (4 - c), dst=row)
        cv2.add(row, tuple(shift.tolist()) + (0.0,) * (4 - c), dst=row)
        return out
    if c == 1 or img.ndim == 2:
        scale, shift = scale[0], shift[0]
    out *= scale
    out += shift
    return out
