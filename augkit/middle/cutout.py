"""`CutOut` (DeVries & Taylor 2017): erase square holes whose centres may lie anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import MAX_SIDE, Op, check_int
from ..errors import short_repr, value_error
from ..functional.fill import check_fill, check_label_fits, check_mask_fill, fill_for
from ..sample import Sample

__all__ = ["CutOut", "MAX_HOLES", "check_hole_size", "check_label_fits", "draw_hole",
           "hole_extent"]

MAX_HOLES = 4096  # holes per image: each is drawn and painted one by one


def hole_extent(op, size, h: int, w: int) -> tuple[int, int]:
    """The hole's (height, width) in pixels: an int is pixels, a float in (0, 1] a fraction
    of the image side; a pair gives (height, width) separately."""
    hs, ws = (size, size) if not isinstance(size, tuple) else size
    out = []
    for v, n in ((hs, h), (ws, w)):
        out.append(int(v) if isinstance(v, int) else max(1, int(round(v * n))))
    return out[0], out[1]


def check_hole_size(op, size) -> None:
    vals = size if isinstance(size, tuple) else (size,)
    ok = (len(vals) in (1, 2) and all(
        (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_SIDE)
        or (isinstance(v, float) and 0.0 < v <= 1.0) for v in vals))
    if not ok or (isinstance(size, tuple) and len(size) != 2):
        raise value_error(op, "size", f"is {short_repr(size)}; expected pixels (int in [1, "
                          f"{MAX_SIDE}]), a fraction of the side (float in (0, 1]) or a "
                          "(height, width) pair of those")


def draw_hole(rng, h: int, w: int, hh: int, hw: int) -> list[int]:
    """DeVries & Taylor's rule: centre uniform over all pixels, hole clipped at the border.
    Returns [y1, x1, y2, x2] (row/column slice bounds)."""
    cy = int(rng.integers(h))
    cx = int(rng.integers(w))
    y1, x1 = cy - hh // 2, cx - hw // 2
    return [max(0, y1), max(0, x1), min(h, y1 + hh), min(w, x1 + hw)]


@dataclass(frozen=True)
class CutOut(Op):
    """Erase `holes` rectangles of `size` filled with `fill` (DeVries & Taylor 2017).

    The reference rule: each hole's centre pixel is drawn uniformly over the *whole* image and
    the hole is clipped at the border, so holes near the edge are partly outside (this is what
    makes CutOut's expected erased area smaller than its size suggests; it is kept on purpose).
    `size`: pixels (int), a fraction of the side (float), or (height, width). augkit's hole
    spans rows ``cy - size // 2`` to ``cy - size // 2 + size``: for even sizes this is the
    reference exactly; for odd sizes the reference cuts ``size - 1`` pixels and augkit ``size``.

    Dense targets: `mask_fill=None` (default) leaves the mask unchanged; an int (e.g. an
    ignore index such as 255) writes that label into the holes. Keypoints inside a hole get
    visibility 0 when they carry a visibility column. Boxes and labels are unchanged.
    `fill` is in the image's own units (0..255 for uint8, 0..1 for float32), one number or
    one per channel. `holes` goes up to 4096, a pixel `size` up to 32766.
    """

    tier: ClassVar[str] = "middle"
    changes_targets: ClassVar[bool] = True  # mask_fill and keypoint visibility

    size: int | float | tuple = 16
    holes: int = 1
    fill: float | tuple = 0.0
    mask_fill: int | None = None

    def validate(self):
        check_hole_size(self, self.size)
        check_int(self, "holes", self.holes, 0, MAX_HOLES)
        check_fill(self, self.fill)
        check_mask_fill(self, self.mask_fill, optional=True)

    def sample(self, rng, s):
        h, w = s.size
        hh, hw = hole_extent(self, self.size, h, w)
        return {"holes": [draw_hole(rng, h, w, hh, hw) for _ in range(self.holes)]}

    def _fill_for(self, img: np.ndarray):
        """The fill as a value to assign into `img` (`functional.fill.fill_for` rules)."""
        f = fill_for(self, self.fill, img)
        return np.asarray(f, img.dtype) if isinstance(f, tuple) else f

    def apply(self, s: Sample, params: dict) -> Sample:
        holes = params["holes"]
        if not holes:
            return s
        img = s.image.copy()
        fill = self._fill_for(img)
        for y1, x1, y2, x2 in holes:
            img[y1:y2, x1:x2] = fill
        changes: dict = {"image": img}
        if self.mask_fill is not None and s.mask is not None:
            check_label_fits(self, self.mask_fill, s.mask.dtype)
            m = s.mask.copy()
            for y1, x1, y2, x2 in holes:
                m[y1:y2, x1:x2] = self.mask_fill
            changes["mask"] = m
        kp = s.keypoints
        if kp is not None and np.shape(kp)[-1] == 3:
            k = np.array(kp)
            x, y = k[..., 0], k[..., 1]
            hidden = np.zeros(x.shape, bool)
            for y1, x1, y2, x2 in holes:
                hidden |= (x >= x1) & (x < x2) & (y >= y1) & (y < y2)
            if hidden.any():
                k[..., 2] = np.where(hidden, 0, k[..., 2])
                changes["keypoints"] = k
        return s.replace(**changes)

    def image_batch(self, images, params):
        # one copy of the batch, then each hole is one slice assignment (the per-image path
        # copies each image and builds a Sample per call)
        out = images.copy()
        fill = self._fill_for(images[0] if images.shape[-1] != 1 else images[0, :, :, 0])
        for j, p in enumerate(params):
            for y1, x1, y2, x2 in p["holes"]:
                out[j, y1:y2, x1:x2] = fill
        return out

    def image_batch_torch(self, images, params):
        from ..functional.torch_pil import fill_holes

        return fill_holes(images, [p["holes"] for p in params], self.fill)
