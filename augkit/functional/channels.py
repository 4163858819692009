"""Channel kernels: grey conversion that keeps the channel count, shuffling, dropping.

Images are HWC or HW, uint8 or float32 in [0, 1], RGB order; every kernel returns a new array
of the input's shape and dtype.
"""

from __future__ import annotations

import numpy as np


def grey_keep_channels(img: np.ndarray) -> np.ndarray:
    """ITU-R 601 grey (``cv2.COLOR_RGB2GRAY``: 0.299 R + 0.587 G + 0.114 B, OpenCV's rounding
    for uint8, as albumentations' ToGray) written into every colour channel of a new image of
    the input's shape; an RGBA image keeps its alpha, a grey image is copied."""
    import cv2

    c = 0 if img.ndim == 2 else img.shape[2]
    if c in (0, 1):
        return img.copy()
    if c == 3:
        return cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    out = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_RGBA2GRAY), cv2.COLOR_GRAY2RGBA)
    out[:, :, 3] = img[:, :, 3]
    return out


def shuffle_channels(img: np.ndarray, order) -> np.ndarray:
    """``img[..., order]`` as a new C-contiguous array (an HW image is copied)."""
    if img.ndim == 2:
        return img.copy()
    order = [int(i) for i in order]
    if img.shape[2] <= 4 and img.dtype in (np.uint8, np.float32):
        import cv2

        out = np.empty(img.shape, img.dtype)
        # one pass: source channel order[i] -> destination channel i
        pairs = [v for i, src in enumerate(order) for v in (src, i)]
        cv2.mixChannels([np.ascontiguousarray(img)], [out], pairs)
        return out
    return np.ascontiguousarray(img[:, :, order])


def drop_channels(img: np.ndarray, channels, fill: float) -> np.ndarray:
    """A copy of `img` with the listed channels set to `fill` (image units)."""
    out = img.copy()
    out[:, :, [int(i) for i in channels]] = fill
    return out
