"""`SanitizeBoxes`: the one op that drops boxes (with their labels)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import Op, check_number
from ..errors import value_error
from ..sample import Sample


def _number(op, field, v, hi=math.inf):
    check_number(op, field, v, 0.0, hi)


@dataclass(frozen=True)
class SanitizeBoxes(Op):
    """Drop boxes (and their labels) that are too small or mostly cut off.

    A box is kept when its width and height are >= `min_size`, its area is >= `min_area`
    (pixels) and its visibility is >= `min_visibility` (torchvision's SanitizeBoundingBoxes,
    plus albumentations' min_visibility).

    Visibility needs the box's area before clipping, which a finished sample no longer has.
    So `min_visibility` works on a wrapped `op`: ``SanitizeBoxes(op=pipeline,
    min_visibility=0.3)`` runs the pipeline and measures, for each box, the area of its
    clipped result over the area of the same box moved by the pipeline without clipping
    (the enclosing box of its moved corners). Without `op` the sanitiser checks sizes only,
    and ``min_visibility > 0`` is an error. Every other op keeps every box.
    """

    min_size: float = 1.0
    min_area: float = 1.0
    min_visibility: float = 0.0
    op: Op | None = None

    changes_targets: ClassVar[bool] = True  # drops boxes: the contract's box count may change

    def validate(self):
        _number(self, "min_size", self.min_size)
        _number(self, "min_area", self.min_area)
        _number(self, "min_visibility", self.min_visibility, 1.0)
        if self.op is not None and not isinstance(self.op, Op):
            raise value_error(self, "op", f"is {self.op!r}; expected an augkit op or None")
        if self.min_visibility > 0 and self.op is None:
            raise value_error(self, "min_visibility", f"is {self.min_visibility}; visibility is "
                              "measured across a wrapped op: pass op=... (see the docstring)")

    @property
    def geometric(self):  # type: ignore[override]
        return self.op is not None and self.op.geometric

    @property
    def tier(self):  # type: ignore[override]
        return "poor" if self.op is None else self.op.tier

    def children(self):
        return () if self.op is None else (self.op,)

    def _tracks(self, s: Sample) -> bool:
        return self.op is not None and self.min_visibility > 0 and s.boxes is not None

    def sample(self, rng, s):
        if self.op is None:
            return {}
        return {"params": self.op.sample(rng, _with_corners(s)[0] if self._tracks(s) else s)}

    def sample_apply(self, rng, s):
        if self.op is None:
            return self.apply(s, {}), {}
        if not self._tracks(s):
            out, p = self.op.sample_apply(rng, s)
            return self._drop(out, None), {"params": p}
        s2, split = _with_corners(s)
        out, p = self.op.sample_apply(rng, s2)
        out, unclipped = split(out)
        return self._drop(out, unclipped), {"params": p}

    def apply(self, s, params):
        if self.op is None:
            return self._drop(s, None)
        if not self._tracks(s):
            return self._drop(self.op.apply(s, params["params"]), None)
        s2, split = _with_corners(s)
        out, unclipped = split(self.op.apply(s2, params["params"]))
        return self._drop(out, unclipped)

    def _drop(self, s: Sample, unclipped: np.ndarray | None) -> Sample:
        if s.boxes is None:
            return s
        b = np.asarray(s.boxes)
        w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        keep = (w >= self.min_size) & (h >= self.min_size) & (w * h >= self.min_area)
        if unclipped is not None:
            if len(unclipped) != len(b):
                raise value_error(self, "op", f"changed the box count {len(unclipped)} -> "
                                  f"{len(b)}; put SanitizeBoxes outermost")
            full = np.prod(unclipped[:, 2:] - unclipped[:, :2], axis=1)
            vis = np.divide(w * h, full, out=np.zeros(len(b)), where=full > 0)
            keep &= vis >= self.min_visibility - 1e-6  # float32 corners: forgive rounding
        if keep.all():
            return s
        labels = None if s.box_labels is None else np.asarray(s.box_labels)[keep]
        return s.replace(boxes=b[keep], box_labels=labels)


def _with_corners(s: Sample):
    """`s` with each box's corners added to its keypoints, and a function that splits the op's
    output back into (sample with the user's keypoints, unclipped moved boxes (N, 4)).

    Keypoints move without clipping, so the moved corners give the box's full extent. Corners
    are packed in rows of the user's keypoint length K, each row holding one box's corners
    only, so an op that permutes keypoints within a row (HFlip's keypoint_pairs) never mixes
    two boxes.
    """
    b = np.asarray(s.boxes, np.float64)
    kp = None if s.keypoints is None else np.asarray(s.keypoints)
    k = 4 if kp is None else (kp.shape[-2] if kp.ndim >= 2 else 1)
    d = 2 if kp is None else kp.shape[-1]
    # integer keypoints would round the corners (a box inside one pixel would lose its area)
    dt = np.float32 if kp is None else np.result_type(kp.dtype, np.float32)
    rows = -(-4 // k)  # rows per box
    corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [0, 3]], b[:, [2, 3]]], axis=1)
    packed = np.ones((len(b), rows * k, d), dt)
    packed[..., :2] = corners[:, np.arange(rows * k) % 4]
    packed = packed.reshape(-1, k, d)
    user_rows = 0 if kp is None else kp.reshape(-1, k, d).shape[0]
    combined = packed if kp is None else np.concatenate([kp.reshape(-1, k, d).astype(dt),
                                                         packed])

    def split(out: Sample):
        moved = np.asarray(out.keypoints)
        c = moved[user_rows:].reshape(len(b), rows * k, d)[..., :2].astype(np.float64)
        unclipped = np.concatenate([c.min(1), c.max(1)], axis=1)
        user = None if kp is None else moved[:user_rows].reshape(kp.shape)
        return out.replace(keypoints=user), unclipped

    return s.replace(keypoints=combined), split
