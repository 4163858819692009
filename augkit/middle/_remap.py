"""Base of the non-linear warps: a backward map moves pixels, its inverse moves points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import Op
from ..errors import value_error
from ..functional import distort as D
from ..functional.geometry import INTERPOLATIONS
from ..sample import Sample


@dataclass(frozen=True)
class _RemapOp(Op):
    """Subclasses implement `geometry(params, size) -> (map_x, map_y, forward)`: OpenCV
    backward maps (float32, index coordinates) and a function moving (M, 2) input points in
    edge coordinates to the output. The output keeps the input size."""

    tier: ClassVar[str] = "middle"
    geometric: ClassVar[bool] = True

    def geometry(self, params: dict, size: tuple[int, int]):
        raise NotImplementedError

    def outline_spacing(self) -> float:
        """Distance (px) between the points sampled along box edges."""
        return 1.0

    def check_warp_fields(self) -> None:
        if self.interpolation not in INTERPOLATIONS:
            raise value_error(self, "interpolation", f"is {self.interpolation!r}; expected one "
                              f"of {INTERPOLATIONS}")
        vals = self.fill if isinstance(self.fill, tuple) else (self.fill,)
        if not vals or not all(isinstance(v, (int, float)) for v in vals):
            raise value_error(self, "fill", f"is {self.fill!r}; expected a number or one per "
                              "channel")
        if not (isinstance(self.mask_fill, int) and not isinstance(self.mask_fill, bool)):
            raise value_error(self, "mask_fill", f"is {self.mask_fill!r}; expected an integer "
                              "label")

    def apply(self, s: Sample, params: dict) -> Sample:
        size = s.size
        map_x, map_y, forward = self.geometry(params, size)
        changes: dict = {"image": D.remap_image(s.image, map_x, map_y, self.interpolation,
                                                self.fill)}
        if s.mask is not None:
            changes["mask"] = D.remap_mask(s.mask, map_x, map_y, self.mask_fill)
        if s.boxes is not None:
            b = np.asarray(s.boxes)
            if b.shape[0] == 0:
                changes["boxes"] = b.astype(np.float32).reshape(0, 4)
            else:
                outline = D.box_outlines(b, self.outline_spacing())
                moved = forward(outline.reshape(-1, 2)).reshape(outline.shape)
                changes["boxes"] = D.enclosing_boxes(moved, size)
        if s.keypoints is not None:
            kp = np.asarray(s.keypoints)
            out = np.array(kp, dtype=kp.dtype if kp.dtype in (np.float32, np.float64)
                           else np.float32)
            out[..., :2] = forward(out[..., :2].reshape(-1, 2)).reshape(out[..., :2].shape)
            if out.shape[-1] == 3:
                h, w = size
                x, y = out[..., 0], out[..., 1]
                outside = (x < 0) | (x >= w) | (y < 0) | (y >= h)
                out[..., 2] = np.where(outside, 0, out[..., 2])
            changes["keypoints"] = out
        return s.replace(**changes)
