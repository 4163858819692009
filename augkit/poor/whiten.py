"""`Whiten`: per-image standardisation, or ZCA whitening fitted from data.

Whitening is a normalisation, not a colour change: its output is float32 with zero mean and
values outside [0, 1]. So it belongs at the end of a pipeline (where torchvision's Normalize
goes); its output is not a valid augkit *input* image and ops after it would reject it at the
call boundary. The [0, 1] rule of `check_image` is about inputs only.

PIL images are refused (an `AugkitTypeError` from the call boundary that says to pass
``np.asarray(img)`` or a tensor): PIL has no float RGB mode, and mode 'F' for grey only
would make the output kind depend on the mode. torchvision's Normalize refuses PIL too.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import PixelOp
from ..errors import value_error
from ..functional import color as C

WHITEN_MODES = ("standardize", "zca")


@dataclass(frozen=True)
class Whiten(PixelOp):
    """Whiten the image; the output is float32, unbounded (see module doc).

    mode="standardize": per image, ``(x - mean) / max(std, 1 / sqrt(N))`` over all N values on
    the [0, 1] scale (TensorFlow's per_image_standardization). Needs no fitting.

    mode="zca": ``W @ (x - mean)`` on the flattened image (HWC order, [0, 1] scale), with
    ``W = U diag(1 / sqrt(s + eps)) U^T`` from the eigen-decomposition of the training images'
    covariance: decorrelated pixels with unit variance that still look like the image (Keras'
    zca_whitening, torchvision's LinearTransformation). Build it with `Whiten.fit(images)`;
    `mean`, `matrix` and the fitted image `shape` are stored as tuples so the op serialises,
    and it only accepts images of that shape. `eps` records the regulariser it was fitted with.
    The matrix has (H*W*C)^2 entries (9.4 million for 32x32 RGB): fit on small images.
    """

    mode: str = "standardize"
    mean: tuple | None = None
    matrix: tuple | None = None
    shape: tuple | None = None
    eps: float = 1e-2

    # Output is float32 and not in [0, 1]: augkit.testing skips the range and dtype checks.
    standardizes: ClassVar[bool] = True

    def validate(self):
        if self.mode not in WHITEN_MODES:
            raise value_error(self, "mode", f"is {self.mode!r}; expected one of {WHITEN_MODES}")
        if not (isinstance(self.eps, (int, float)) and 0 < self.eps < math.inf):
            raise value_error(self, "eps", f"is {self.eps!r}; expected a finite number > 0")
        fitted = (self.mean, self.matrix, self.shape)
        if self.mode == "standardize":
            for name, v in zip(("mean", "matrix", "shape"), fitted):
                if v is not None:
                    raise value_error(self, name, "is set but mode='standardize' uses none; "
                                      "use mode='zca' (Whiten.fit) for a fitted whitening")
            return
        if any(v is None for v in fitted):
            raise value_error(self, "matrix", "mean, matrix and shape are required for "
                              "mode='zca'; build the op with Whiten.fit(images)")
        self._arrays  # noqa: B018 - checks and caches the numpy form

    @functools.cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, matrix) as float32 arrays, built once per op (the fields are tuples)."""
        shape = self.shape
        if not (isinstance(shape, tuple) and len(shape) in (2, 3)
                and all(isinstance(v, int) and v >= 1 for v in shape)):
            raise value_error(self, "shape", f"is {shape!r}; expected the fitted image shape "
                              "(H, W) or (H, W, C)")
        d = math.prod(shape)
        try:
            mean = np.asarray(self.mean, np.float32)
            matrix = np.asarray(self.matrix, np.float32)
        except (TypeError, ValueError):
            raise value_error(self, "matrix", "is not a square table of numbers") from None
        if mean.shape != (d,):
            raise value_error(self, "mean", f"has shape {mean.shape}; expected ({d},) for images "
                              f"of shape {shape}")
        if matrix.shape != (d, d):
            raise value_error(self, "matrix", f"has shape {matrix.shape}; expected ({d}, {d}) "
                              f"for images of shape {shape}")
        if not (np.isfinite(mean).all() and np.isfinite(matrix).all()):
            raise value_error(self, "matrix", "or mean contain NaN or inf")
        return mean, matrix

    def image(self, img, params):
        if self.mode == "standardize":
            return C.standardize(img)
        if img.shape != self.shape:
            raise value_error(self, "image", f"has shape {img.shape}; this ZCA matrix was fitted "
                              f"for images of shape {self.shape}")
        mean, matrix = self._arrays
        return C.linear_whiten(img, mean, matrix)

    @classmethod
    def fit(cls, images, eps: float = 1e-2) -> Whiten:
        """A ZCA op fitted to `images`: an (N, H, W[, C]) array or a list of same-shaped
        images, uint8 or float32 in [0, 1]. Use more images than values per image."""
        if not (isinstance(eps, (int, float)) and 0 < eps < math.inf):
            raise value_error(cls.__name__, "eps", f"is {eps!r}; expected a finite number > 0")
        first = np.asarray(images[0]) if len(images) else None
        if first is None or first.ndim not in (2, 3):
            raise value_error(cls.__name__, "images", "expected a non-empty (N, H, W[, C]) "
                              "array or list of images")
        shape = first.shape
        x = np.empty((len(images), math.prod(shape)), np.float64)
        for i, img in enumerate(images):
            img = np.asarray(img)
            if img.shape != shape or img.dtype not in (np.uint8, np.float32):
                raise value_error(cls.__name__, "images", f"[{i}] is {img.dtype} {img.shape}; "
                                  f"expected uint8 or float32 images of shape {shape}")
            x[i] = C.to_unit_float(img).reshape(-1)
        if len(x) < 2:
            raise value_error(cls.__name__, "images", "hold 1 image; expected at least 2")
        mean = x.mean(0)
        x -= mean
        cov = (x.T @ x) / len(x)
        s, u = np.linalg.eigh(cov)
        w = (u * (1.0 / np.sqrt(np.clip(s, 0.0, None) + eps))) @ u.T
        return cls(mode="zca", mean=tuple(mean.tolist()),
                   matrix=tuple(map(tuple, w.tolist())), shape=tuple(int(v) for v in shape),
                   eps=float(eps))
