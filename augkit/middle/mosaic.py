"""`Mosaic` (YOLOv4; albumentations 2.0.8's `A.Mosaic`): four samples around a random centre."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..checks import check_warp_fields
from ..core import MAX_SIDE, Op, check_number, check_range, uniform
from ..errors import short_repr, value_error
from ..functional import geometry as G
from ..sample import Sample
from ._extras import refuse_batch, rest_of, take_extras

__all__ = ["Mosaic", "placements"]


def _pair(op, field: str, v) -> tuple[int, int]:
    hw = (v, v) if isinstance(v, int) and not isinstance(v, bool) else v
    if not (isinstance(hw, tuple) and len(hw) == 2 and all(
            isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= MAX_SIDE
            for x in hw)):
        raise value_error(op, field, f"is {short_repr(v)}; expected an int or a (height, "
                          f"width) pair of ints in [1, {MAX_SIDE}]")
    return hw


def placements(cell: tuple, target: tuple, center: tuple) -> list[list[int]]:
    """The parts of the output that each cell of the 2x2 grid covers, as albumentations'
    ``calculate_cell_placements``: the grid lines (0, cell, 2 * cell) clipped to the output
    window around `center` (x, y), shifted to the window; [x1, y1, x2, y2] row by row."""
    (ch, cw), (th, tw) = cell, target
    cx, cy = center
    x0, y0 = cx - tw // 2, cy - th // 2
    xs = sorted({min(max(v, x0), x0 + tw) - x0 for v in (0, cw, 2 * cw)})
    ys = sorted({min(max(v, y0), y0 + th) - y0 for v in (0, ch, 2 * ch)})
    return [[xs[i], ys[j], xs[i + 1], ys[j + 1]]
            for j in range(len(ys) - 1) for i in range(len(xs) - 1)]


@dataclass(frozen=True)
class Mosaic(Op):
    """Combine the sample with three others in a 2x2 grid and cut a `target_size` window
    around a random centre (YOLOv4's mosaic, defined as albumentations 2.0.8's `A.Mosaic`
    with ``fit_mode="cover"``).

    The grid: four cells of `cell_shape` (height, width). Each sample is rescaled, keeping its
    aspect ratio, so that it covers a cell (``scale = max(cell_h / H, cell_w / W)``, new sides
    ``round(side * scale)``, as `SmallestMaxSize`), and its top-left `cell_shape` part fills
    the cell. The centre (x, y) of the output window is drawn on the grid as albumentations
    draws it: ``lo + int(n * u)``, u uniform in `center_range`, over the n centres whose
    window fits the grid. The sample itself fills the largest part of the output; the three
    others (``s.extras[:3]``, see below) fill the others in a random order.

    Targets follow: masks (nearest; (H, W) or (H, W, K), every sample alike) are assembled
    like the image; boxes are moved, clipped to the part of the output their sample fills and
    dropped (with their `box_labels`) when nothing is left (zero width or height), when the
    clipped area is below `min_area` pixels, or when less than `min_visibility` of the moved
    box's area is left (albumentations' ``BboxParams(min_area, min_visibility)``); keypoints
    (..., 3) are moved and hidden (v = 0) outside their sample's part. Boxes, labels and
    keypoints are concatenated in sample order (this sample's first, then the extras').
    Keypoints need the visibility column (a point outside its part cannot be hidden
    otherwise: (..., 2) points are refused) and the same shape past the first axis in every
    sample.

    The other samples: ``s.extras``, a tuple of `Sample` (numpy images are taken too), of
    the sample's image dtype and channel count and carrying the targets the sample carries
    (targets the sample lacks are ignored). `augkit.AugmentedDataset` draws them from the
    dataset, raw (un-augmented), from the item's own stream; outside a dataset pass them
    yourself. Fewer than three is a typed error naming ``extras``. The output keeps
    ``extras[3:]`` for a later multi-image op. The params (the centre and which sample fills
    which part) are plain values: ``apply(s, params)`` replays the call exactly given the
    same extras. Per sample only: ``op.batch`` raises a typed error (a batch of images
    carries no other samples).
    """

    tier: ClassVar[str] = "middle"
    geometric: ClassVar[bool] = True
    changes_size: ClassVar[bool] = True
    changes_targets: ClassVar[bool] = True
    check_dot: ClassVar[bool] = False  # four samples: tested in tests/test_multi_image.py
    extra_samples: ClassVar[int] = 3

    target_size: int | tuple = (512, 512)
    cell_shape: int | tuple = (512, 512)
    center_range: tuple = (0.3, 0.7)
    interpolation: str = "linear"
    min_area: float = 0.0
    min_visibility: float = 0.0

    def validate(self):
        (th, tw), (ch, cw) = _pair(self, "target_size", self.target_size), _pair(
            self, "cell_shape", self.cell_shape)
        if th > 2 * ch or tw > 2 * cw:
            raise value_error(self, "target_size", f"is {short_repr(self.target_size)}; "
                              f"expected at most twice cell_shape {short_repr(self.cell_shape)}"
                              " (the 2x2 grid)")
        check_range(self, "center_range", self.center_range, 0.0, 1.0)
        check_warp_fields(self)
        check_number(self, "min_area", self.min_area, 0.0)
        check_number(self, "min_visibility", self.min_visibility, 0.0, 1.0)

    def sample(self, rng, s):
        (ch, cw), (th, tw) = _pair(self, "cell_shape", self.cell_shape), _pair(
            self, "target_size", self.target_size)
        lo, hi = self.center_range
        centre = []
        for t, c in ((tw, cw), (th, ch)):  # albumentations' rule: x first, then y
            first, last = t // 2, 2 * c - (t + 1) // 2
            v = first + int((last - first + 1) * uniform(rng, lo, hi))
            centre.append(min(max(v, first), last))
        cells = placements((ch, cw), (th, tw), centre)
        areas = [(x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in cells]
        main = areas.index(max(areas))
        order = iter(int(i) + 1 for i in rng.permutation(self.extra_samples))
        return {"center": centre,
                "cells": [c + [0 if j == main else next(order)] for j, c in enumerate(cells)]}

    def apply(self, s: Sample, params: dict) -> Sample:
        extras = take_extras(self, s, self.extra_samples)
        items = (s,) + extras
        _check_targets(self, s, extras)
        (ch, cw), (th, tw) = _pair(self, "cell_shape", self.cell_shape), _pair(
            self, "target_size", self.target_size)
        cx, cy = params["center"]
        x0, y0 = cx - tw // 2, cy - th // 2
        img = np.empty((th, tw) + s.image.shape[2:], s.image.dtype)
        mask = None if s.mask is None else np.empty((th, tw) + s.mask.shape[2:], s.mask.dtype)
        boxes, labels, kps = [], [], []
        for x1, y1, x2, y2, k in sorted(params["cells"], key=lambda c: c[4]):
            it = items[k]
            h, w = it.size
            scale = max(ch / h, cw / w)
            nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
            # the cell's grid corner, in the output window's coordinates
            gx = (x0 + x1) // cw * cw - x0
            gy = (y0 + y1) // ch * ch - y0
            sx, sy = x1 - gx, y1 - gy  # where the part starts in the rescaled sample
            win = (slice(sy, sy + y2 - y1), slice(sx, sx + x2 - x1))
            img[y1:y2, x1:x2] = G.resize_window(it.image, (0, h, 0, w), (nh, nw),
                                                self.interpolation)[win]
            m = G.scaling(nw / w, nh / h)
            m[:2, 2] = gx, gy  # rescale, then move the cell's corner to (gx, gy)
            if mask is not None:
                mask[y1:y2, x1:x2] = G.warp_mask(it.mask.astype(s.mask.dtype, copy=False),
                                                 G.scaling(nw / w, nh / h), (nh, nw), 0,
                                                 self)[win]
            if s.boxes is not None:
                b, keep = self._boxes(np.asarray(it.boxes, np.float64), m, (x1, y1, x2, y2))
                boxes.append(b)
                if s.box_labels is not None:
                    labels.append(np.asarray(it.box_labels)[keep])
            if s.keypoints is not None:
                kps.append(_keypoints(np.asarray(it.keypoints), m, (x1, y1, x2, y2)))
        out = {"image": img, "mask": mask, "extras": rest_of(s, self.extra_samples)}
        if s.boxes is not None:
            dt = np.float64 if np.asarray(s.boxes).dtype == np.float64 else np.float32
            out["boxes"] = np.concatenate(boxes).astype(dt)
            if s.box_labels is not None:
                out["box_labels"] = np.concatenate(labels).astype(
                    np.asarray(s.box_labels).dtype, copy=False)
        if s.keypoints is not None:
            dt = np.float64 if np.asarray(s.keypoints).dtype == np.float64 else np.float32
            out["keypoints"] = np.concatenate(kps).astype(dt)
        return s.replace(**out)

    def _boxes(self, b: np.ndarray, m: np.ndarray, part) -> tuple[np.ndarray, np.ndarray]:
        """Boxes moved by `m`, clipped to `part`, and the rows kept (see the class doc)."""
        x1, y1, x2, y2 = part
        moved = b * [m[0, 0], m[1, 1], m[0, 0], m[1, 1]] + [m[0, 2], m[1, 2], m[0, 2], m[1, 2]]
        clipped = np.clip(moved, [x1, y1, x1, y1], [x2, y2, x2, y2])
        wh = clipped[:, 2:] - clipped[:, :2]
        area = wh[:, 0] * wh[:, 1]
        full = (moved[:, 2] - moved[:, 0]) * (moved[:, 3] - moved[:, 1])
        keep = (wh > 0).all(1) & (area >= self.min_area)
        if self.min_visibility > 0:
            keep &= area >= self.min_visibility * full
        return clipped[keep], keep

    def image_batch(self, images, params):
        raise refuse_batch(self)

    def batch(self, images, rng=None):
        raise refuse_batch(self)


def _keypoints(k: np.ndarray, m: np.ndarray, part) -> np.ndarray:
    """Keypoints moved by `m`, hidden (v = 0) outside `part` (x1, y1, x2, y2), closed."""
    x1, y1, x2, y2 = part
    out = np.array(k, np.float64).reshape((-1,) + k.shape[1:])
    out[..., 0] = out[..., 0] * m[0, 0] + m[0, 2]
    out[..., 1] = out[..., 1] * m[1, 1] + m[1, 2]
    x, y = out[..., 0], out[..., 1]
    outside = (x < x1) | (x > x2) | (y < y1) | (y > y2)
    out[..., 2] = np.where(outside, 0, out[..., 2])
    return out


def _check_targets(op, s: Sample, extras) -> None:
    """Every extra carries the targets `s` carries, in shapes that can be assembled."""
    if s.keypoints is not None:
        k = np.asarray(s.keypoints)
        if k.ndim < 2 or k.shape[-1] != 3:
            raise value_error(op, "keypoints", f"have shape {k.shape}; Mosaic needs (N, ..., "
                              "3) keypoints: points outside their sample's part are hidden "
                              "with the visibility column")
    for i, e in enumerate(extras):
        for f in ("mask", "boxes", "box_labels", "keypoints"):
            if getattr(s, f) is not None and getattr(e, f) is None and not (
                    f == "box_labels" and e.boxes is not None and len(e.boxes) == 0):
                raise value_error(op, f"extras[{i}]", f"has no {f}; the sample has {f}, so "
                                  "every extra needs them (empty ones for none)")
        if s.mask is not None:
            a, b = e.mask, s.mask
            if a.shape[2:] != b.shape[2:]:
                raise value_error(op, f"extras[{i}]", f"mask has shape {a.shape}; expected "
                                  f"the layout of the sample's mask {b.shape}")
            if a.dtype != b.dtype and a.size and not np.array_equal(
                    a.astype(b.dtype), a):
                raise value_error(op, f"extras[{i}]", f"mask ({a.dtype}) holds labels "
                                  f"{b.dtype} cannot hold (the sample's mask dtype)")
        if s.keypoints is not None:
            a, b = np.asarray(e.keypoints), np.asarray(s.keypoints)
            if a.ndim != b.ndim or a.shape[1:] != b.shape[1:]:
                raise value_error(op, f"extras[{i}]", f"keypoints have shape {a.shape}; "
                                  f"expected (N,) + {b.shape[1:]} like the sample's")
