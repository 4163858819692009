"""`PCALighting`: AlexNet's "fancy PCA" colour augmentation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import PixelOp, check_number, is_number
from ..errors import short_repr, value_error
from ..functional import color as C

# Eigenvalues and eigenvectors (columns) of the RGB pixel covariance of ImageNet, on the
# [0, 1] scale: the numbers published with fb.resnet.torch and used by most re-implementations
# of AlexNet's lighting noise (55.46, 4.794, 1.148 on the 0-255 scale).
IMAGENET_EIGVAL = (0.2175, 0.0188, 0.0045)
IMAGENET_EIGVEC = ((-0.5675, 0.7192, 0.4009),
                   (-0.5808, -0.0045, -0.8140),
                   (-0.5836, -0.6948, 0.4203))


def _finite_numbers(v, n, bound) -> bool:
    return isinstance(v, tuple) and len(v) == n and all(
        is_number(x) and abs(x) <= bound for x in v)


@dataclass(frozen=True)
class PCALighting(PixelOp):
    """Add ``eigvec @ (alpha * eigval)`` to every pixel, alpha ~ N(0, alpha_std) per component
    (Krizhevsky et al. 2012, sec. 4.1): a lighting change along the principal axes of the
    data's colour distribution.

    eigval: the 3 eigenvalues of the RGB covariance on the [0, 1] scale; eigvec: 3x3 with the
    eigenvectors as columns. The defaults are ImageNet's; `PCALighting.fit(images)` returns an
    op fitted to your images. The shift is in [0, 1] units for both dtypes (x 255 for uint8)
    and the result is clipped to the valid range. RGBA keeps alpha; grey images get the
    luminance of the shift. Bounds: ``alpha_std`` <= 10, eigenvalues in [0, 1] (the RGB
    covariance of [0, 1] data; ImageNet's 0-255 figures, 55.46 ..., are refused), eigenvector
    entries in [-1, 1].
    """

    accepts_channels: ClassVar[tuple[int, ...]] = (0, 1, 3, 4)  # grey, RGB, RGBA

    alpha_std: float = 0.1
    eigval: tuple = IMAGENET_EIGVAL
    eigvec: tuple = IMAGENET_EIGVEC

    def validate(self):
        check_number(self, "alpha_std", self.alpha_std, 0.0, 10.0)
        if not _finite_numbers(self.eigval, 3, 1.0) or min(self.eigval) < 0:
            raise value_error(self, "eigval", f"is {short_repr(self.eigval)}; expected 3 "
                              "numbers in [0, 1] (the covariance of [0, 1] RGB values)")
        if not (isinstance(self.eigvec, tuple) and len(self.eigvec) == 3
                and all(_finite_numbers(r, 3, 1.0) for r in self.eigvec)):
            raise value_error(self, "eigvec", f"is {short_repr(self.eigvec)}; expected a 3x3 "
                              "matrix (eigenvectors as columns) of numbers in [-1, 1]")

    def sample(self, rng, s):
        return {"alpha": [float(v) for v in rng.normal(0.0, self.alpha_std, 3)]}

    def rgb_shift(self, params) -> np.ndarray:
        """The RGB vector added to every pixel, in [0, 1] units."""
        alpha = np.asarray(params["alpha"], np.float64)
        return np.asarray(self.eigvec, np.float64) @ (alpha * np.asarray(self.eigval))

    def image(self, img, params):
        C.check_colour(img, self)
        return C.shift_channels(img, self.rgb_shift(params))

    def image_batch_torch(self, images, params):
        if images.shape[1] != 3:
            return None  # (the host path refuses them with the op's own error)
        from ..functional.torch_color import shift_channels

        return shift_channels(images, [[float(v) for v in self.rgb_shift(p)] for p in params])

    def image_batch(self, images, params):
        if images.shape[-1] != 3:
            return super().image_batch(images, params)  # (the per-image check refuses it)
        return C.shift_channels_batch(images, [[float(v) for v in self.rgb_shift(p)]
                                               for p in params])

    @classmethod
    def fit(cls, images, alpha_std: float = 0.1) -> PCALighting:
        """An op with the eigen-decomposition of the RGB covariance of `images`: an (N, H, W, 3)
        array or an iterable of HWC RGB(A) images, uint8 or float32 in [0, 1]. Eigenvalues
        are sorted in decreasing order; eigenvector signs are arbitrary (alpha is symmetric).
        """
        n, total, outer = 0, np.zeros(3), np.zeros((3, 3))
        arrays = [images] if isinstance(images, np.ndarray) else images
        for img in arrays:
            img = np.asarray(img)
            if img.ndim not in (3, 4) or img.shape[-1] not in (3, 4):
                raise value_error(cls.__name__, "images", f"contain an array of shape "
                                  f"{img.shape}; expected RGB(A) images (H, W, 3)")
            if img.dtype not in (np.uint8, np.float32):
                raise value_error(cls.__name__, "images", f"have dtype {img.dtype}; expected "
                                  "uint8, or float32 in [0, 1]")
            px = C.to_unit_float(img[..., :3]).reshape(-1, 3).astype(np.float64)
            n += len(px)
            total += px.sum(0)
            outer += px.T @ px
        if n < 2:
            raise value_error(cls.__name__, "images", f"hold {n} pixels; expected at least 2")
        mean = total / n
        cov = outer / n - np.outer(mean, mean)
        val, vec = np.linalg.eigh(cov)
        order = np.argsort(val)[::-1]
        val, vec = np.clip(val[order], 0.0, 1.0), np.clip(vec[:, order], -1.0, 1.0)
        return cls(alpha_std=alpha_std, eigval=tuple(float(v) for v in val),
                   eigvec=tuple(tuple(float(x) for x in row) for row in vec))
