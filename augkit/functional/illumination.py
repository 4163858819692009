"""Illumination patterns (albumentations 2.0.8's Illumination): a linear gradient, a corner
falloff, a gaussian spot, each a float32 multiplier map applied to every channel.

The arithmetic is albumentations', operation for operation in float32 (the gradient of
``create_directional_gradient`` with its exact-angle shortcuts, the corner's Euclidean
distance to the corner pixel, the gaussian through OpenCV's ``exp``), and so is the uint8
rounding, which differs between the modes: the linear mode works on ``x / 255`` and rounds
``255 * y`` to the nearest level; the corner and gaussian modes multiply the uint8 values
and truncate. float32 results are clipped to [0, 1] (albumentations leaves a brightened
linear result above 1).
"""

from __future__ import annotations

import math

import numpy as np

F32 = np.float32
MODES = ("linear", "corner", "gaussian")


def _normalized(v: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.normalize(v, None, 0, 1, cv2.NORM_MINMAX, dtype=cv2.CV_32F)


def gradient(height: int, width: int, angle: float) -> np.ndarray:
    """The (H, W) float32 directional gradient at `angle` degrees (albumentations'
    ``create_directional_gradient``: 0 runs left to right, 90 top to bottom)."""
    ones_col = np.ones((height, 1), F32)
    ones_row = np.ones((1, width), F32)
    if angle in (0, 180):
        x = np.linspace(0, 1, width, dtype=F32) if angle == 0 else \
            np.linspace(1, 0, width, dtype=F32)
        return x[None, :] * ones_col
    if angle in (90, 270):
        y = np.linspace(0, 1, height, dtype=F32) if angle == 90 else \
            np.linspace(1, 0, height, dtype=F32)
        return y[:, None] * ones_row
    x = np.linspace(0, 1, width, dtype=F32)[None, :]
    y = np.linspace(0, 1, height, dtype=F32)[:, None]
    if angle in (45, 135, 225, 315):
        fx = x if angle in (45, 315) else 1 - x
        fy = y if angle in (45, 135) else 1 - y
        return _normalized(fx + fy)
    a = math.radians(angle)  # np.deg2rad's value (angle * pi / 180)
    return x * F32(math.cos(a)) + y * F32(math.sin(a))


def linear_map(height: int, width: int, intensity: float, angle: float) -> np.ndarray:
    """``(1 - |i|) + 2 |i| g``, g the gradient (reversed for a negative intensity)."""
    g = gradient(height, width, angle)
    if intensity < 0:
        g = F32(1) - g
    a = abs(intensity)
    g *= F32(2 * a)
    g += F32(1 - a)
    return g


def corner_map(height: int, width: int, intensity: float, corner: int) -> np.ndarray:
    """``1 - i * d / diagonal``, d the distance of each pixel to the corner pixel (0 top-left,
    1 top-right, 2 bottom-right, 3 bottom-left). The distance is exact (integer squares, one
    float32 root): albumentations' ``cv2.distanceTransform`` gives the same from two OpenCV
    threads on, but differs by up to 6e-5 px at one thread."""
    cy, cx = ((0, 0), (0, width - 1), (height - 1, width - 1), (height - 1, 0))[corner]
    dy = np.arange(height, dtype=np.int64)[:, None] - cy
    dx = np.arange(width, dtype=np.int64)[None, :] - cx
    d = np.sqrt((dy * dy + dx * dx).astype(F32))  # exact squares, one float32 root
    d *= F32(-intensity / math.sqrt(height * height + width * width))
    d += F32(1)
    return d


def gaussian_map(height: int, width: int, intensity: float, center, sigma: float) -> np.ndarray:
    """``1 + i * exp(-r^2 / (2 (max(H, W) sigma)^2))``, r the distance to the centre
    (``center`` in fractions of the width and height)."""
    import cv2

    x = np.arange(width, dtype=F32)[None, :] - F32(width * center[0])
    y = np.arange(height, dtype=F32)[:, None] - F32(height * center[1])
    r2 = x * x + y * y
    r2 *= F32(-1 / (2 * (max(height, width) * sigma) ** 2))
    e = cv2.exp(r2)
    e *= F32(intensity)
    e += F32(1)
    return e


def _times(img: np.ndarray, m: np.ndarray) -> np.ndarray:
    """float32 ``img * m`` with the (H, W) map on every channel."""
    import cv2

    x = img.astype(F32) if img.dtype == np.uint8 else img
    if x.ndim == 2:
        return x * m
    c = x.shape[2]
    if c <= 4:
        out = cv2.multiply(x, cv2.merge([m] * c) if c > 1 else m[:, :, None])
        return out.reshape(x.shape)
    return x * m[:, :, None]


def illuminate(img: np.ndarray, mode: str, params: dict) -> np.ndarray:
    """`img` under the mode's pattern (params as `Illumination.sample` draws them)."""
    import cv2

    h, w = img.shape[:2]
    i = float(params["intensity"])
    if mode == "linear":
        m = linear_map(h, w, i, float(params["angle"]))
        if img.dtype == np.uint8:  # x / 255 in float32, times the map, 255 * y rounded
            unit = np.arange(256, dtype=F32) / F32(255)
            c = 1 if img.ndim == 2 else img.shape[2]
            x = cv2.LUT(img, unit).reshape(img.shape) if c <= 4 else unit[img]
            y = _times(x, m)
            y *= F32(255)
            return cv2.convertScaleAbs(y).reshape(img.shape)  # rounded half to even
        return np.clip(_times(img, m), F32(0), F32(1))
    if i == 0:
        return img.copy()
    if mode == "corner":
        m = corner_map(h, w, i, int(params["corner"]))
    else:
        m = gaussian_map(h, w, i, tuple(params["center"]), float(params["sigma"]))
    y = _times(img, m)
    if img.dtype == np.uint8:
        return np.clip(y, F32(0), F32(255)).astype(np.uint8)  # truncated
    return np.clip(y, F32(0), F32(1), out=y)
