"""Per-thread work buffers, and the 4-channel route for OpenCV's bilinear warps.

OpenCV 5's bilinear `warpAffine`, `warpPerspective` and `remap` have SIMD kernels for 1 and
4 channels but not for 3: a 256x256 RGB uint8 warpAffine takes ~340 us, the same image as
RGBA ~160 us (float32: ~300 against ~200 us). The results are bit-identical channel for
channel (checked for every border mode, interpolation and dtype in
`tests/test_geometry_reference.py`). So a 3-channel image of 8,192 output pixels or more is
warped as RGBA: one conversion into a scratch buffer, the 4-channel kernel, one conversion
back (~20 us together at 256x256). Below that size, and for nearest and cubic kernels (which
are slower on 4 channels), the 3-channel call stays.
"""

from __future__ import annotations

import threading

import numpy as np

_LOCAL = threading.local()
_MAX_BYTES = 16 << 20  # larger work images are allocated per call, not cached


def scratch(slot, shape, dtype) -> np.ndarray:
    """A per-thread work buffer that never leaves the calling kernel: fresh ones cost more
    in page faults than the kernels themselves once the allocator hands memory back to the
    system (float HSV temporaries of a 256x256 image are 0.8 MB each)."""
    bufs = _LOCAL.__dict__.setdefault("bufs", {})
    key = (slot, shape, dtype)  # looked up on every call: no normalising on the way
    buf = bufs.get(key)
    if buf is None:
        if np.prod(shape, dtype=np.int64) * np.dtype(dtype).itemsize > _MAX_BYTES:
            return np.empty(shape, dtype)
        if len(bufs) > 16:  # many image sizes: keep the cache small
            bufs.clear()
        buf = bufs[key] = np.empty(shape, dtype)
    return buf


RGBA_MIN_PIXELS = 8192  # measured break-even ~64x64 (uint8 and float32)


def rgba_worth(img: np.ndarray, linear: bool, out_pixels: int) -> bool:
    """Whether `via_rgba` is faster for this warp: bilinear, 3 channels, uint8 or float32,
    at least RGBA_MIN_PIXELS output pixels."""
    return (linear and out_pixels >= RGBA_MIN_PIXELS and img.ndim == 3
            and img.shape[2] == 3 and img.dtype.char in "Bf")


def via_rgba(run, img: np.ndarray, out_hw, dst: np.ndarray | None = None) -> np.ndarray:
    """``run(src4, dst4)`` (an OpenCV warp writing into dst4) on a 4-channel copy of the
    3-channel `img`; returns the 3-channel result, written into `dst` when given. Border
    values must have 4 entries (the 4th, alpha, is dropped)."""
    import cv2

    src4 = scratch("rgba-in", img.shape[:2] + (4,), img.dtype)
    cv2.cvtColor(img, cv2.COLOR_RGB2RGBA, dst=src4)
    out4 = scratch("rgba-out", tuple(out_hw) + (4,), img.dtype)
    run(src4, out4)
    if dst is None:
        return cv2.cvtColor(out4, cv2.COLOR_RGBA2RGB)
    cv2.cvtColor(out4, cv2.COLOR_RGBA2RGB, dst=dst)
    return dst
