"""Blur kernels: Gaussian, box, median and motion (line) blur.

Images are HWC (any channel count) or HW, uint8 or float32. Borders are reflected without
repeating the edge pixel (OpenCV's BORDER_REFLECT_101, torchvision's "reflect"), except the
median, which repeats the edge pixel as OpenCV's medianBlur does. Kernel sizes are odd so the
kernel is centred on the pixel and nothing shifts. Every kernel returns a new array with the
input's shape and dtype; float32 results stay in [0, 1] (a normalised kernel's float32
rounding can land an ulp above 1.0 on a flat white area, which the next op would refuse as
an image outside [0, 1]: `unit_clip` clips it).
"""

from __future__ import annotations

import functools
import math

import numpy as np


def _border():
    import cv2

    return cv2.BORDER_REFLECT_101


def unit_clip(out: np.ndarray) -> np.ndarray:
    """Clip a float32 kernel result into [0, 1] in place (uint8 results saturate already)."""
    if out.dtype == np.float32:
        np.clip(out, 0.0, 1.0, out=out)
    return out


def gaussian_blur(img: np.ndarray, ksize: int, sigma: float) -> np.ndarray:
    """Blur with a ksize x ksize Gaussian of standard deviation `sigma` (pixels)."""
    import cv2

    if ksize == 1:
        return img.copy()
    # Two 1-D passes with a float kernel: exactly rounded for uint8 and about twice as fast
    # as cv2.GaussianBlur's fixed-point uint8 path (OpenCV 5); same kernel as torchvision.
    k = cv2.getGaussianKernel(ksize, float(sigma), cv2.CV_32F)
    return unit_clip(cv2.sepFilter2D(img, -1, k, k, borderType=_border()).reshape(img.shape))


def box_blur(img: np.ndarray, ksize: int) -> np.ndarray:
    """Mean over a ksize x ksize window."""
    import cv2

    if ksize == 1:
        return img.copy()
    return unit_clip(cv2.blur(img, (ksize, ksize), borderType=_border()).reshape(img.shape))


def median_blur(img: np.ndarray, ksize: int) -> np.ndarray:
    """Median over a ksize x ksize window (edge pixels repeated at the border)."""
    import cv2

    if ksize == 1:
        return img.copy()
    c = 0 if img.ndim == 2 else img.shape[2]
    if c not in (0, 1, 3, 4):  # OpenCV takes 1, 3 or 4 channels: do the rest one by one
        return np.stack([median_blur(img[:, :, i], ksize) for i in range(c)], axis=2)
    if img.dtype == np.uint8 or ksize <= 5:  # OpenCV's float median stops at 5x5
        return cv2.medianBlur(img, ksize).reshape(img.shape)
    # Exact float median for large windows: the middle element of each window (np.partition,
    # 4x faster than np.median); slower than OpenCV's uint8 path, which is why it is last.
    # Rows go in blocks of at most ~4M window values, so memory stays bounded for any kernel.
    r, mid = ksize // 2, ksize * ksize // 2
    x = img if img.ndim == 3 else img[:, :, None]
    pad = np.pad(x, ((r, r), (r, r), (0, 0)), mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(pad, (ksize, ksize), axis=(0, 1))
    out = np.empty(x.shape, x.dtype)
    rows = max(1, (1 << 22) // (x.shape[1] * x.shape[2] * ksize * ksize))
    for y in range(0, x.shape[0], rows):
        w = win[y:y + rows].reshape(win[y:y + rows].shape[:3] + (-1,))
        out[y:y + rows] = np.partition(w, mid, axis=-1)[..., mid]
    return out.reshape(img.shape)


def motion_kernel(ksize: int, angle: float) -> np.ndarray:
    """A ksize x ksize kernel: a line of length ksize through the centre at `angle` degrees
    (counter-clockwise on screen, 0 = horizontal), summing to 1."""
    return motion_kernels(ksize, [angle])[0]


def motion_kernels(ksize: int, angles) -> np.ndarray:
    """`motion_kernel` for several angles at once: (len(angles), ksize, ksize) float32.

    Sample the segment at the midpoints of 8 * ksize equal steps and count the samples in
    each pixel: each pixel weighs about the length of line inside it, the kernel is point
    symmetric (rint is odd-symmetric) and a plain row/column at 0/90 degrees. Few non-zero
    taps keep cv2.filter2D fast (it skips zero coefficients)."""
    c, kk, m = ksize // 2, ksize * ksize, len(angles)
    rad = [math.radians(a) for a in angles]  # libm's cos/sin, the same for one or many
    cs = np.array([(math.cos(a), -math.sin(a)) for a in rad])  # -sin: y points down
    r = np.rint(_motion_steps(ksize) * cs[:, :, None]).astype(np.int64)  # (m, 2, steps)
    cells = (r[:, 1] + c) * ksize + (r[:, 0] + c)
    if m > 1:
        cells += (np.arange(m) * kk)[:, None]
    k = np.bincount(cells.ravel(), minlength=m * kk).astype(np.float32).reshape(m, kk)
    return (k / k.sum(1, keepdims=True)).reshape(m, ksize, ksize)


@functools.lru_cache(maxsize=64)
def _motion_steps(ksize: int) -> np.ndarray:
    """Midpoints of 8 * ksize equal steps along a centred segment of length ksize (shared,
    read only)."""
    n = 8 * ksize
    return (np.arange(n) + 0.5) * (ksize / n) - ksize / 2.0


def filter2d(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Correlate every channel with `kernel` (centred)."""
    import cv2

    return unit_clip(cv2.filter2D(img, -1, kernel, borderType=_border()).reshape(img.shape))


def motion_blur(img: np.ndarray, ksize: int, angle: float) -> np.ndarray:
    """Blur along a line of length `ksize` at `angle` degrees (see `motion_kernel`)."""
    if ksize == 1:
        return img.copy()
    return filter2d(img, motion_kernel(ksize, angle))


def motion_blur_batch(x: np.ndarray, sizes, angles) -> np.ndarray:
    """`motion_blur` for a (B, H, W, C <= 4) uint8 / float32 batch, image j with kernel size
    ``sizes[j]`` and angle ``angles[j]``: the kernels of all images built at once (one
    vectorised construction per kernel size, bit-identical to `motion_kernel`), then one
    filter2D per image into the output."""
    import cv2

    sizes = np.asarray(sizes, np.int64)
    out = np.empty_like(x)
    mat = (lambda a: a[..., 0]) if x.shape[-1] == 1 else (lambda a: a)
    border = _border()
    for k in np.unique(sizes).tolist():
        idx = np.flatnonzero(sizes == k).tolist()
        if k == 1:
            out[idx] = x[idx]
            continue
        for j, kern in zip(idx, motion_kernels(k, [float(angles[j]) for j in idx])):
            cv2.filter2D(mat(x[j]), -1, kern, dst=mat(out[j]), borderType=border)
    return unit_clip(out)  # float32 in [0, 1], as `motion_blur`
