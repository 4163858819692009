"""Noise kernels: additive Gaussian noise and salt-and-pepper.

The noise comes from a generator seeded per call, so an op's params stay a few JSON numbers
(the seed) and replay exactly: Gaussian noise from OpenCV's ``cv2.randn`` after
``cv2.setRNGSeed(seed)`` (OpenCV's generator is per thread, so threads do not disturb each
other; ~6x faster than numpy's normal draws, and what albumentations itself calls),
salt-and-pepper positions from ``numpy.random.default_rng(seed)``. Images are HWC or HW, uint8 or
float32 in [0, 1]; results keep the input's shape and dtype, clipped to the valid range.
"""

from __future__ import annotations

import numpy as np


def gaussian_noise_map(seed: int, shape, mean: float, std: float,
                       per_channel: bool) -> np.ndarray:
    """float32 noise on the [0, 1] scale: ``mean + std * N(0, 1)``, one value per pixel and
    channel (`per_channel`) or one per pixel shared by the channels (shape (H, W, 1)).
    `seed` is in [0, 2**31)."""
    import cv2

    shape = tuple(int(v) for v in shape)
    if not per_channel and len(shape) == 3:
        shape = shape[:2] + (1,)
    n = int(np.prod(shape))
    noise = np.empty((1, max(n, 1)), np.float32)  # one plane: any channel count, same draws
    cv2.setRNGSeed(int(seed))
    cv2.randn(noise, float(mean), float(std))
    return noise[:, :n].reshape(shape)


def add_noise(img: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """``img + noise`` (noise on the [0, 1] scale, broadcast over channels), clipped to the
    valid range; uint8 rounded to the nearest level (half to even) and saturated."""
    import cv2

    if noise.shape != img.shape:
        noise = np.ascontiguousarray(np.broadcast_to(noise, img.shape))
    c = 1 if img.ndim == 2 else img.shape[2]
    if img.dtype == np.uint8 and c <= 4 and img.size:
        # one OpenCV pass: img + 255 * noise, rounded and saturated
        return cv2.addWeighted(img, 1.0, noise, 255.0, 0.0, dtype=cv2.CV_8U).reshape(img.shape)
    if img.dtype == np.uint8:
        out = img.astype(np.float32)
        out += noise * np.float32(255.0)
        np.clip(out, 0.0, 255.0, out=out)
        return np.rint(out, out=out).astype(np.uint8)
    out = img + noise
    return np.clip(out, 0.0, 1.0, out=out)


def salt_pepper_masks(seed: int, size, amount: float, salt: float):
    """(salt, pepper) boolean (H, W) masks, albumentations' rule: ``int(H * W * amount)``
    distinct pixels, the first ``int(n * salt)`` of them salt, the rest pepper."""
    h, w = int(size[0]), int(size[1])
    area = h * w
    n = min(area, int(area * amount))
    n_salt = int(n * salt)
    pos = np.random.default_rng(int(seed)).choice(area, size=n, replace=False)
    salt_mask = np.zeros(area, bool)
    pepper_mask = np.zeros(area, bool)
    salt_mask[pos[:n_salt]] = True
    pepper_mask[pos[n_salt:]] = True
    return salt_mask.reshape(h, w), pepper_mask.reshape(h, w)


def salt_and_pepper(img: np.ndarray, salt_mask: np.ndarray, pepper_mask: np.ndarray):
    """Salt pixels set to the maximum (255 or 1.0) and pepper pixels to 0, on every channel."""
    out = img.copy()
    out[salt_mask] = 255 if img.dtype == np.uint8 else 1.0
    out[pepper_mask] = 0
    return out
