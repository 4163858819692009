"""Noise kernels: additive Gaussian noise and salt-and-pepper.

The noise comes from its own generator, ``numpy.random.default_rng(seed)``, so an op's
params stay a few JSON numbers (the seed) and replay exactly. Images are HWC or HW, uint8 or
float32 in [0, 1]; results keep the input's shape and dtype, clipped to the valid range.
"""

from __future__ import annotations

import numpy as np


def gaussian_noise_map(seed: int, shape, mean: float, std: float,
                       per_channel: bool) -> np.ndarray:
    """float32 noise on the [0, 1] scale: ``mean + std * N(0, 1)``, one value per pixel and
    channel (`per_channel`) or one per pixel shared by the channels."""
    rng = np.random.default_rng(int(seed))
    shape = tuple(shape)
    if not per_channel and len(shape) == 3:
        shape = shape[:2] + (1,)
    noise = rng.standard_normal(shape, dtype=np.float32)
    noise *= np.float32(std)
    noise += np.float32(mean)
    return noise


def add_noise(img: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """``img + noise`` (noise on the [0, 1] scale, broadcast over channels), clipped to the
    valid range; uint8 rounded to the nearest level."""
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
