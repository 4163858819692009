"""`CutMix` (Yun et al. 2019) and `BatchCutOut` (DeVries & Taylor 2017, for a batch)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import value_error
from ..functional.fill import check_fill, check_mask_fill
from ..middle.cutout import check_hole_size, check_label_fits, hole_extent
from ._instances import clear_instances, move_targets
from ._kernels import blend, fill_holes, paste
from .base import (
    MIXERS,
    BatchMixer,
    check_common,
    check_pairing,
    check_positive,
    draw_partners,
    partner,
)


def cutmix_box(rng, h: int, w: int, lam: float) -> list[int]:
    """The reference box: sides int(H * sqrt(1 - lam)) and int(W * sqrt(1 - lam)), centre
    uniform over all pixels, clipped. Returns [y1, x1, y2, x2]."""
    r = math.sqrt(1.0 - lam)
    ch, cw = int(h * r), int(w * r)
    cy, cx = int(rng.integers(h)), int(rng.integers(w))
    return [min(max(cy - ch // 2, 0), h), min(max(cx - cw // 2, 0), w),
            min(max(cy + ch // 2, 0), h), min(max(cx + cw // 2, 0), w)]


def lam_of(box, h: int, w: int) -> float:
    """The weight of the original image under a pasted [y1, x1, y2, x2] box: 1 - its area
    share. The one place lam comes from: labels, `pair` and params all use it."""
    return 1.0 - (box[2] - box[0]) * (box[3] - box[1]) / (h * w)


def check_min_visible(op):
    v = op.min_visible
    if not (isinstance(v, (int, float)) and 0.0 <= v <= 1.0):
        raise value_error(op, "min_visible", f"is {v!r}; expected a fraction in [0, 1]")


def check_boxes_from_masks(op):
    if not isinstance(op.boxes_from_masks, bool):
        raise value_error(op, "boxes_from_masks", f"is {op.boxes_from_masks!r}; expected a bool")


def has_instances(b) -> bool:
    """Whether the (checked) batch carries instance masks (B, K, H, W)."""
    return b.masks is not None and b.masks.ndim == 4


def check_region(op, params, h, w, key="box"):
    r = params[key]
    if not (len(r) == 4 and 0 <= r[0] <= r[2] <= h and 0 <= r[1] <= r[3] <= w):
        raise value_error(op, "params", f"{key} {r!r} is not inside a ({h}, {w}) image")
    return tuple(int(v) for v in r)


@dataclass(frozen=True)
class CutMix(BatchMixer):
    """Paste a box of x[perm] into x: lam ~ Beta(alpha, alpha), box sides
    ``int(H * sqrt(1 - lam))`` and ``int(W * sqrt(1 - lam))`` (``// 2`` each side of the
    centre, as in the reference code), centre uniform over the image, clipped at the border,
    and lam recomputed from the clipped area: ``lam = 1 - box area / image area``, which is
    what the labels get. One box and one lam per batch, as in the paper's code; the partner
    is image (i + k) % B with k uniform in [1, B) (``pairing="roll"``, the default: two
    contiguous slice copies, no gather), or a uniform random permutation
    (``pairing="permutation"``, the paper's code); any batch size.

    Where augkit differs: the reference code swaps the roles of H and W (harmless for square
    images); augkit uses H for rows and W for columns.

    Dense targets move with the pixels: masks are pasted pixel for pixel; boxes of the image
    under the patch are dropped when less than `min_visible` of their area stays visible;
    pasted boxes are clipped to the patch and kept when at least `min_visible` of their area
    came along (box labels stay in step); keypoints under the patch get visibility 0, pasted
    ones keep theirs (people with no visible point in the patch are dropped).

    Instance masks (B, K, H, W) (see `SampleBatch`): the image's own instances are cleared
    under the patch, the partner's instances are cut to the patch and appended after them
    (each keeps its box label and weight). An instance stays when at least `min_visible` of
    its pixels (and at least one) remain; with `boxes_from_masks` (default) this pixel rule
    replaces the box-area rule and an instance that lost pixels gets the tight box of what
    is left (`boxes_from_masks=False`: the box rules above decide and move the boxes, the
    planes follow them).
    """

    alpha: float = 1.0
    min_visible: float = 0.25
    num_classes: int | None = None
    label_smoothing: float = 0.0
    pairing: str = "roll"
    boxes_from_masks: bool = True

    def validate(self):
        check_positive(self, "alpha", self.alpha)
        check_pairing(self)
        check_min_visible(self)
        check_boxes_from_masks(self)
        check_common(self)

    def sample(self, rng, batch):
        h, w = batch.size
        n = len(batch)
        lam = float(rng.beta(self.alpha, self.alpha))
        perm = draw_partners(rng, n, self.pairing)
        box = cutmix_box(rng, h, w, lam)
        # "lam" is for reading only: mix and pair recompute it from the box
        return {"perm": perm, "box": box, "lam": lam_of(box, h, w)}

    def pair_weights(self, params, batch):
        h, w = batch.size
        return params["perm"], lam_of(check_region(self, params, h, w), h, w)

    def mix(self, b, params):
        h, w = b.size
        n = len(b)
        region = check_region(self, params, h, w)
        perm_l = params["perm"]
        perm = partner(self, perm_l, n, b.images.device)
        lam = lam_of(region, h, w)
        changes: dict = {"images": paste(b.images, perm, region)}
        if b.labels is not None:
            y = b.labels.float()
            changes["labels"] = blend(y, perm, lam)
        if b.masks is not None and b.masks.ndim == 3:
            changes["masks"] = paste(b.masks, perm, region)
        if b.boxes is not None or b.keypoints is not None or has_instances(b):
            self_paired = [j == i for i, j in enumerate(perm_l)]
            pieces = [("occlude", list(range(n)), region, (0, 0), self_paired),
                      ("clip", perm_l, region, (0, 0), self_paired)]
            changes.update(move_targets(self, b, pieces, self.min_visible,
                                        self.boxes_from_masks))
        return b.replace(**changes)


@dataclass(frozen=True)
class BatchCutOut(BatchMixer):
    """The per-sample `augkit.middle.CutOut` for a whole batch, one hole per image, written
    by one masked fill on the device (``augkit.mix.CutOut`` is its former name, still
    accepted; dicts of type ``mix.CutOut`` still load). Same reference rule (centre uniform
    over the image, hole clipped) and same options: `fill` (image units, number or per channel),
    `mask_fill=None` leaves masks unchanged, keypoints in the hole get visibility 0. Labels
    and boxes are unchanged (as in DeVries & Taylor).

    Instance masks (B, K, H, W): `mask_fill=None` leaves them (and boxes) unchanged;
    ``mask_fill=0`` clears the hole in every plane, and then, with `boxes_from_masks`
    (default), instances that lose every pixel are dropped (box, label and weight with
    them) and those that lose some get the tight box of what is left. Another `mask_fill`
    is a typed error (a label has no meaning in an instance plane)."""

    size: int | float | tuple = 16
    fill: float | tuple = 0.0
    mask_fill: int | None = None
    num_classes: int | None = None
    label_smoothing: float = 0.0
    boxes_from_masks: bool = True

    def validate(self):
        check_hole_size(self, self.size)
        check_fill(self, self.fill)
        check_mask_fill(self, self.mask_fill, optional=True)
        check_boxes_from_masks(self)
        check_common(self)

    def sample(self, rng, batch):
        h, w = batch.size
        hh, hw = hole_extent(self, self.size, h, w)
        n = len(batch)
        # the per-sample rule, drawn for the whole batch at once (centres uniform over the
        # image, holes clipped at the border)
        y1 = rng.integers(0, h, n) - hh // 2
        x1 = rng.integers(0, w, n) - hw // 2
        holes = np.stack([np.maximum(y1, 0), np.maximum(x1, 0), np.minimum(y1 + hh, h),
                          np.minimum(x1 + hw, w)], 1)
        return {"holes": holes.tolist()}

    def pair_weights(self, params, batch):
        return list(range(len(batch))), 1.0

    def mix(self, b, params):
        holes = params["holes"]
        n = len(b)
        if len(holes) != n:
            raise value_error(self, "params", f"have {len(holes)} holes; expected {n}")
        x = b.images
        changes: dict = {"images": fill_holes(x, holes, batch_fill(self, self.fill, x))}
        if b.labels is not None:
            changes["labels"] = b.labels.float()
        if has_instances(b):
            if self.mask_fill is not None:
                if self.mask_fill != 0:
                    raise value_error(self, "mask_fill", f"is {self.mask_fill}; instance masks "
                                      f"{tuple(b.masks.shape)} are cleared (0) in the holes: "
                                      "use mask_fill=0, or None to leave them")
                changes.update(clear_instances(self, b, holes, self.boxes_from_masks))
        elif b.masks is not None and self.mask_fill is not None:
            check_label_fits(self, self.mask_fill,
                             torch.empty((), dtype=b.masks.dtype).numpy().dtype)
            changes["masks"] = fill_holes(b.masks, holes, self.mask_fill)
        if b.keypoints is not None:
            changes["keypoints"] = _hide_keypoints(b.keypoints, holes)
        return b.replace(**changes)


def batch_fill(op, fill, x: torch.Tensor):
    """`fill` checked against the batch `x` (B, C, H, W): the per-sample fill rule
    (`augkit.functional.fill`) with the batch's dtype. One value or one per channel; uint8
    fills are rounded once, half to even, and must lie in [0, 255]; a float fill may be any
    value the dtype holds (float batches may be normalised, so [0, 1] is not assumed). A fill
    that does not fit is a typed error, never a clamp."""
    vals = fill if isinstance(fill, tuple) else (fill,)
    c = x.shape[1]
    if len(vals) not in (1, c):
        raise value_error(op, "fill", f"has {len(vals)} values for images {tuple(x.shape)}; "
                          f"expected 1 or {c} (one per channel)")
    if x.dtype == torch.uint8:
        vals = tuple(float(round(float(v))) for v in vals)
        lo, hi = 0.0, 255.0
    else:
        vals = tuple(float(v) for v in vals)
        hi = float(torch.finfo(x.dtype).max)
        lo = -hi
    if not all(lo <= v <= hi for v in vals):
        raise value_error(op, "fill", f"is {fill!r}; outside [{lo:g}, {hi:g}] for a {x.dtype} "
                          f"batch {tuple(x.shape)} (fills are in image units)")
    return vals[0] if len(vals) == 1 else vals


def _hide_keypoints(kps, holes):
    """Visibility 0 for keypoints inside their image's hole; xy-only keypoints unchanged."""
    out = []
    for k, (y1, x1, y2, x2) in zip(kps, holes):
        if k.shape[-1] != 3:
            out.append(k)
            continue
        k = k.clone()
        x, y = k[..., 0], k[..., 1]
        inside = (x >= x1) & (x < x2) & (y >= y1) & (y < y2)
        k[..., 2] = k[..., 2].masked_fill(inside, 0)
        out.append(k)
    return out


CutOut = BatchCutOut  # the former name
MIXERS.setdefault("CutOut", BatchCutOut)  # dicts saved under it still load
