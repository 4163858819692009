"""The dihedral group D4 of the square: right-angle rotations, flips and transposes.

Eight elements, named as albumentations' `D4` names them: ``e`` (identity), ``r90``,
``r180``, ``r270`` (counter-clockwise on screen, as ``np.rot90``), ``v`` (top-bottom flip),
``h`` (left-right flip), ``t`` (transpose, the main diagonal) and ``hvt`` (the anti-diagonal).
`matrix` gives each as a 3x3 matrix in pixel-edge coordinates (so the base class moves
masks, boxes and keypoints exactly: every entry is 0, +-1 or a side length); `image` gives
the same pixels directly (one OpenCV rotate / transpose / flip), as a new C-contiguous array:
never a negative-stride view, which ``torch.from_numpy`` and DataLoader collation refuse.
"""

from __future__ import annotations

import numpy as np

ELEMENTS = ("e", "r90", "r180", "r270", "v", "hvt", "h", "t")
# elements that swap height and width
SWAPS = frozenset(("r90", "r270", "hvt", "t"))


def out_size(element: str, size: tuple[int, int]) -> tuple[int, int]:
    """(H, W) after `element` on an image of (H, W) `size`."""
    h, w = size
    return (w, h) if element in SWAPS else (h, w)


def matrix(element: str, size: tuple[int, int]) -> np.ndarray:
    """(x, y) -> (x', y') in pixel-edge coordinates for an input of (H, W) `size`."""
    h, w = float(size[0]), float(size[1])
    rows = {
        "e": ((1, 0, 0), (0, 1, 0)),
        "r90": ((0, 1, 0), (-1, 0, w)),      # x' = y, y' = W - x
        "r180": ((-1, 0, w), (0, -1, h)),    # x' = W - x, y' = H - y
        "r270": ((0, -1, h), (1, 0, 0)),     # x' = H - y, y' = x
        "v": ((1, 0, 0), (0, -1, h)),
        "h": ((-1, 0, w), (0, 1, 0)),
        "t": ((0, 1, 0), (1, 0, 0)),
        "hvt": ((0, -1, h), (-1, 0, w)),     # x' = H - y, y' = W - x
    }[element]
    return np.array([rows[0], rows[1], (0.0, 0.0, 1.0)], np.float64)


def _numpy(img: np.ndarray, element: str) -> np.ndarray:
    if element == "e":
        x = img
    elif element in ("r90", "r180", "r270"):
        x = np.rot90(img, ELEMENTS.index(element))
    elif element == "v":
        x = img[::-1]
    elif element == "h":
        x = img[:, ::-1]
    elif element == "t":
        x = img.swapaxes(0, 1)
    else:  # hvt: the transpose of the half turn
        x = img[::-1, ::-1].swapaxes(0, 1)
    return np.ascontiguousarray(x)


def image(img: np.ndarray, element: str) -> np.ndarray:
    """`img` (HW or HWC, any dtype) moved by `element`: a new C-contiguous array (a view of
    `img` for the identity ``e``, as an identity warp returns)."""
    import cv2

    c = 1 if img.ndim == 2 else img.shape[2]
    if element == "e":
        return img[:]
    if not 1 <= c <= 4 or img.dtype not in (np.uint8, np.float32):  # OpenCV takes 1-4
        return _numpy(img, element)
    if element == "r90":
        out = cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
    elif element == "r180":
        out = cv2.rotate(img, cv2.ROTATE_180)
    elif element == "r270":
        out = cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    elif element == "v":
        out = cv2.flip(img, 0)
    elif element == "h":
        out = cv2.flip(img, 1)
    elif element == "t":
        out = cv2.transpose(img)
    else:
        out = cv2.flip(cv2.transpose(img), -1)
    return out.reshape(out_size(element, img.shape[:2]) + img.shape[2:])
