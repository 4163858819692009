"""`BoxesFromMasks`: boxes recomputed from the instance masks they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import Op
from ..errors import value_error
from ..functional.mask_boxes import mask_boxes
from ..sample import Sample

SOURCES = ("auto", "channels", "ids")


@dataclass(frozen=True)
class BoxesFromMasks(Op):
    """Replace each box by the tight box of its instance's mask pixels.

    The enclosing box of a box's moved corners grows on every rotation; the tight box of the
    moved mask does not. Put this after the geometric ops of a pipeline whose samples carry
    instance masks: ``Seq((Rotate(30), BoxesFromMasks()))``.

    `source` says where instance i is: ``"channels"``, channel i of an (H, W, N) mask with
    one channel per box (nonzero pixels); ``"ids"``, the pixels equal to i + 1 of an (H, W)
    instance-id map (0 is background, as COCO's panoptic and instance maps number them). A
    box whose instance has no pixels left keeps the box it had (drop it with
    `SanitizeBoxes`). ``"auto"`` (default) reads an (H, W) mask as ids and an (H, W, N)
    one as channels, and leaves a sample whose (H, W, K) mask has K != N channels alone.
    Boxes are (x0, y0, x1, y1) in pixel-edge coordinates: a one-pixel instance at (r, c)
    gives (c, r, c + 1, r + 1). Samples without a mask or boxes pass as they are.
    """

    changes_targets: ClassVar[bool] = True  # boxes change

    source: str = "auto"

    def validate(self):
        if self.source not in SOURCES:
            raise value_error(self, "source", f"is {self.source!r}; expected one of {SOURCES}")

    def apply(self, s: Sample, params: dict) -> Sample:
        if s.mask is None or s.boxes is None:
            return s
        boxes = np.asarray(s.boxes)
        m, n = s.mask, len(boxes)
        source = self.source
        if source == "auto":  # an (H, W, K) mask with K != boxes holds no instances: pass
            if m.ndim == 3 and m.shape[2] != n:
                return s
            source = "ids" if m.ndim == 2 else "channels"
        if source == "channels":
            if m.ndim != 3 or m.shape[2] != n:
                raise value_error(self, "source", f"is {self.source!r} but the mask {m.shape} does "
                                  f"not have one channel per box ({n} boxes)")
            inst = m != 0
        else:
            if m.ndim != 2:
                raise value_error(self, "source", f"is {self.source!r} but the mask has shape "
                                  f"{m.shape}; expected an (H, W) instance-id map")
            inst = m[..., None] == np.arange(1, n + 1, dtype=np.int64)
        tight, found = mask_boxes(np.moveaxis(inst, 2, 0))
        if not found.any():
            return s
        out = boxes.astype(np.float32, copy=True)
        out[found] = tight[found]
        return s.replace(boxes=out)
