"""Tight boxes of masks: one kernel for every op that recomputes boxes from what is left of
an instance's mask (`BoxesFromMasks`, `CopyPaste`, the mixer's instance planes)."""

from __future__ import annotations

import numpy as np


def mask_boxes(planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, H, W) planes -> ((N, 4) float32 xyxy tight boxes of their nonzero pixels in
    pixel-edge coordinates (a pixel at (r, c) gives (c, r, c + 1, r + 1)), (N,) bool: which
    planes have a pixel). Empty planes get zero boxes."""
    n, h, w = planes.shape
    rows, cols = planes.any(2), planes.any(1)  # (N, H), (N, W)
    found = rows.any(1)
    out = np.zeros((n, 4), np.float32)
    out[:, 0] = cols.argmax(1)
    out[:, 1] = rows.argmax(1)
    out[:, 2] = w - cols[:, ::-1].argmax(1)
    out[:, 3] = h - rows[:, ::-1].argmax(1)
    out[~found] = 0.0
    return out, found
