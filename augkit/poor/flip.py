"""Mirroring: `HFlip`, `VFlip`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import GeometricOp, check_prob
from ..errors import short_repr, value_error
from ..functional import geometry as G
from ..functional import matrices as M


class _FlipDraws:
    """The batched hooks of a flip: one double per image (``flip = u < p``), one mirror
    matrix per flipped image along `axis` (1: left-right, 0: top-bottom)."""

    axis: ClassVar[int] = 1

    def batch_draw_count(self):
        return 1

    def batch_params(self, u):
        return {"flip": u[:, 0] < self.p}

    def batch_matrices(self, cols, size, n):
        return M.flips(cols["flip"], self.axis, size)

    def window(self, params, size):
        # the whole image, mirrored: OpenCV's flip code is the axis (1 left-right, 0 top-bottom)
        return 0, size[0], 0, size[1], self.axis if params["flip"] else None


@dataclass(frozen=True)
class HFlip(_FlipDraws, GeometricOp):
    """Mirror left-right with probability `p`.

    `keypoint_pairs` lists (left, right) keypoint indices along the keypoint axis (the one
    before xy[v]); a flip swaps them so a flipped left eye becomes the right eye, for every
    person of a (people, K, 3) array.
    """

    p: float = 0.5
    keypoint_pairs: tuple = ()
    remaps_targets_only: ClassVar[bool] = True  # remap_targets swaps keypoints only

    def validate(self):
        check_prob(self, "p", self.p)
        kp = self.keypoint_pairs
        if not (isinstance(kp, tuple) and all(
                isinstance(t, tuple) and len(t) == 2
                and all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i <= 2**31
                        for i in t) for t in kp)):
            raise value_error(self, "keypoint_pairs", f"is {short_repr(kp)}; expected a list "
                              "of (left, right) pairs of keypoint indices >= 0")

    def sample(self, rng, s):
        return {"flip": bool(rng.random() < self.p)}

    def matrix(self, params, size):
        return G.hflip(size[1]) if params["flip"] else G.identity()

    def _warp_only(self, img, params):
        # the image of the matrix above, without building and classifying it (a view when
        # nothing moves, as an identity warp returns)
        return G.flip_image(img, 1) if params["flip"] else img[:]

    def remap_targets(self, s, params):
        if not (params["flip"] and self.keypoint_pairs and s.keypoints is not None):
            return s
        kp = s.keypoints
        n = kp.shape[-2] if kp.ndim >= 2 else 0
        for a, b in self.keypoint_pairs:
            if not (0 <= a < n and 0 <= b < n):
                raise value_error(self, "keypoint_pairs", f"pair {(a, b)} is out of range for "
                                  f"keypoints of shape {kp.shape}")
        order = np.arange(n)
        for a, b in self.keypoint_pairs:
            order[a], order[b] = b, a
        return s.replace(keypoints=kp[..., order, :])


@dataclass(frozen=True)
class VFlip(_FlipDraws, GeometricOp):
    """Mirror top-bottom with probability `p`."""

    axis: ClassVar[int] = 0

    p: float = 0.5

    def validate(self):
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        return {"flip": bool(rng.random() < self.p)}

    def matrix(self, params, size):
        return G.vflip(size[0]) if params["flip"] else G.identity()

    def _warp_only(self, img, params):
        return G.flip_image(img, 0) if params["flip"] else img[:]
