"""`DisplacementOp`: the third op base, beside `PixelOp` and `GeometricOp`, for warps no 3x3
matrix describes (elastic and grid distortions; perspective-like and thin-plate warps fit it
too): a backward map moves pixels, its forward inverse moves points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .checks import check_warp_fields
from .core import Op
from .functional import distort as D
from .functional.geometry import enclosing_boxes, hide_outside
from .sample import Sample


@dataclass(frozen=True)
class DisplacementOp(Op):
    """An op defined by a displacement field that moves every target.

    Implement `geometry(params, size) -> (map_x, map_y, forward)`: OpenCV backward maps
    (float32, index coordinates: output pixel (y, x) samples the input at (map_y, map_x))
    and a function moving (M, 2) input points in edge coordinates to the output. The output
    keeps the input size. The image uses the ``interpolation`` field, masks nearest; pixels
    that sample outside get ``fill`` / ``mask_fill``, or the image and mask extended by the
    ``border`` field where the op has one (`functional.geometry.BORDERS`; check them all
    with `check_warp_fields` in `validate`); boxes become the enclosing box of their moved
    outlines (sampled every
    `outline_spacing` px), keypoints move by `forward` and are hidden outside the image.
    """

    register: ClassVar[bool] = False  # a base: its subclasses are registered
    geometric: ClassVar[bool] = True

    def geometry(self, params: dict, size: tuple[int, int]):
        raise NotImplementedError(f"{type(self).__name__}.geometry")

    def outline_spacing(self) -> float:
        """Distance (px) between the points sampled along box edges."""
        return 1.0

    def check_warp_fields(self) -> None:
        check_warp_fields(self)

    def apply(self, s: Sample, params: dict) -> Sample:
        size = s.size
        map_x, map_y, forward = self.geometry(params, size)
        border = getattr(self, "border", "constant")
        changes: dict = {"image": D.remap_image(s.image, map_x, map_y, self.interpolation,
                                                self.fill, self, border)}
        if s.mask is not None:
            changes["mask"] = D.remap_mask(s.mask, map_x, map_y, self.mask_fill, self, border)
        if s.boxes is not None:
            b = np.asarray(s.boxes)
            if b.shape[0] == 0:
                changes["boxes"] = b.astype(np.float32).reshape(0, 4)
            else:
                outline = D.box_outlines(b, self.outline_spacing())
                moved = forward(outline.reshape(-1, 2)).reshape(outline.shape)
                changes["boxes"] = enclosing_boxes(moved, size)
        if s.keypoints is not None:
            kp = np.asarray(s.keypoints)
            out = np.array(kp, dtype=kp.dtype if kp.dtype in (np.float32, np.float64)
                           else np.float32)
            out[..., :2] = forward(out[..., :2].reshape(-1, 2)).reshape(out[..., :2].shape)
            changes["keypoints"] = hide_outside(out, size)
        return s.replace(**changes)

    def image_batch_torch(self, images, params):
        """The fields of all images (computed on the host, as the per-image path computes
        them), sampled on the images' device in one grid_sample (linear and cubic; None
        otherwise: nearest remaps take the host path)."""
        if self.interpolation not in ("linear", "cubic"):
            return None
        import numpy as np

        from .functional import torch_warp as TW
        from .functional.fill import fill_for_layout

        n, c, h, w = images.shape
        dt = np.float32 if images.dtype.is_floating_point else np.uint8
        border = getattr(self, "border", "constant")
        f = 0.0 if border != "constant" else fill_for_layout(self, self.fill, dt, (h, w, c))
        maps = [self.geometry(p, (h, w))[:2] for p in params]
        return TW.remap_images(images, maps, self.interpolation,
                               f if isinstance(f, tuple) else (f,) * c, border)
