"""`CopyPaste` (Ghiasi et al. 2021, simple copy-paste): paste instances of another sample."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..checks import check_warp_fields
from ..core import MAX_SIDE, Op, check_range, integer, uniform
from ..errors import value_error
from ..functional import geometry as G
from ..functional.mask_boxes import mask_boxes
from ..sample import Sample
from ._extras import fits_dtype, refuse_batch, rest_of, take_extras

__all__ = ["CopyPaste"]

LAYOUTS = ("auto", "channels", "ids")


@dataclass(frozen=True)
class CopyPaste(Op):
    """Paste a random subset of the instances of another sample onto this one, by their masks
    (Ghiasi et al. 2021, "Simple Copy-Paste is a Strong Data Augmentation Method for
    Instance Segmentation"; torchvision has it only in references/detection, as
    ``SimpleCopyPaste``).

    The other sample is ``s.extras[0]`` (see `Mosaic` and docs/multi-image.md: it comes raw
    from `augkit.AugmentedDataset`, or pass it yourself); the output keeps ``extras[1:]``.
    Both samples need instance masks and boxes, in the layout `instances` names (as
    `BoxesFromMasks`' ``source``): ``"channels"``, an (H, W, N) mask with channel i the
    instance of box i (nonzero pixels); ``"ids"``, an (H, W) map where pixels equal to i + 1
    are instance i and 0 is background; ``"auto"`` (default) reads an (H, W) mask as ids
    and an (H, W, K) one as channels.

    What a call does, as torchvision's reference: the instances to paste are
    ``unique(integers(0, n, n))`` of the other sample's n instances (each one with
    probability ``1 - (1 - 1/n)^n``, about 0.63); the other sample is resized to this one's
    size (image `interpolation`, masks nearest, boxes scaled), then, for scale jitter, by a
    factor drawn uniformly in `scale` (default (1, 1): none) and shifted by a random offset
    (anywhere inside when smaller, a random crop when larger). Where a pasted mask is set
    the pixels are the other sample's (no blending: the paper found it unneeded). This
    sample's instances lose the pixels pasted over them: their masks are cut, the boxes of
    those that lost pixels become the tight box of what is left, and those left with no
    pixel are dropped (box, label and mask channel). The pasted instances follow, with their
    moved boxes clipped to the image and their labels; one left with no pixel on this image
    is not pasted. Keypoints of this sample under pasted pixels are hidden (v = 0); the other
    sample's keypoints are not carried (pasted instances have no keypoints here). An ``ids``
    output renumbers the instances in box order (its dtype must hold the new count).
    Per sample only: ``op.batch`` raises a typed error.
    """

    tier: ClassVar[str] = "middle"
    geometric: ClassVar[bool] = False
    changes_targets: ClassVar[bool] = True
    check_dot: ClassVar[bool] = False  # two samples: tested in tests/test_multi_image.py
    extra_samples: ClassVar[int] = 1

    instances: str = "auto"
    scale: tuple = (1.0, 1.0)
    interpolation: str = "linear"

    def validate(self):
        if self.instances not in LAYOUTS:
            raise value_error(self, "instances", f"is {self.instances!r}; expected one of "
                              f"{LAYOUTS}")
        check_range(self, "scale", self.scale, 0.0, 10.0)
        if self.scale[0] <= 0:
            raise value_error(self, "scale", f"is {self.scale!r}; expected factors > 0")
        check_warp_fields(self)

    def sample(self, rng, s):
        (src,) = take_extras(self, s, 1)
        h, w = s.size
        f = uniform(rng, *self.scale)
        nh, nw = max(1, round(h * f)), max(1, round(w * f))
        if max(nh, nw) > MAX_SIDE:
            raise value_error(self, "scale", f"is {self.scale!r}: a factor {f:.3g} makes "
                              f"{(h, w)} into {(nh, nw)}; sides are at most {MAX_SIDE}")
        ox = integer(rng, min(0, w - nw), max(0, w - nw) + 1)
        oy = integer(rng, min(0, h - nh), max(0, h - nh) + 1)
        n = 0 if src.boxes is None else len(src.boxes)
        pick = np.unique(rng.integers(0, n, n)).tolist() if n else []
        return {"paste": [int(i) for i in pick], "size": [nh, nw], "offset": [ox, oy]}

    def _layout(self, s: Sample) -> str:
        if self.instances != "auto":
            return self.instances
        return "ids" if s.mask is not None and s.mask.ndim == 2 else "channels"

    def _check(self, extra: bool, s: Sample, layout: str) -> None:
        """Instance masks and boxes in `layout`; errors name ``mask`` (this sample) or
        ``extras[0]`` (the other)."""
        field, pre = ("extras[0]", "mask ") if extra else ("mask", "")
        if s.mask is None or s.boxes is None:
            raise value_error(self, field if extra else "mask", "has no mask or no boxes" if
                              extra else "or boxes are missing; CopyPaste needs instance "
                              "masks and their boxes (docs/multi-image.md)")
        m, n = s.mask, len(s.boxes)
        if layout == "channels" and (m.ndim != 3 or m.shape[2] != n):
            raise value_error(self, field, f"{pre}has shape {m.shape}; instances="
                              f"{self.instances!r} needs one channel per box ({n} boxes)")
        if layout == "ids":
            if m.ndim != 2:
                raise value_error(self, field, f"{pre}has shape {m.shape}; instances="
                                  f"{self.instances!r} needs an (H, W) instance-id map")
            lo, top = (int(m.min()), int(m.max())) if m.size else (0, 0)
            if top > n or lo < 0:
                raise value_error(self, field, f"{pre}holds ids in [{lo}, {top}]; expected 0 "
                                  f"(background) to {n} (one per box)")

    def apply(self, s: Sample, params: dict) -> Sample:
        (src,) = take_extras(self, s, 1)
        layout = self._layout(s)
        self._check(False, s, layout)
        self._check(True, src, layout)
        if s.box_labels is not None and src.box_labels is None and len(src.boxes):
            raise value_error(self, "extras[0]", "has no box_labels; the sample has labels, so "
                              "the pasted instances need theirs")
        rest = rest_of(s, 1)
        pick = [int(i) for i in params["paste"]]
        if not pick:
            return s.replace(extras=rest)
        h, w = s.size
        nh, nw = (int(v) for v in params["size"])
        ox, oy = (int(v) for v in params["offset"])
        sh, sw = src.size
        # the part of the image the moved sample covers, and where it starts in that sample
        x0, x1, y0, y1 = max(0, ox), min(w, ox + nw), max(0, oy), min(h, oy + nh)
        win = (slice(y0 - oy, y1 - oy), slice(x0 - ox, x1 - ox))
        scaling = G.scaling(nw / sw, nh / sh)
        if layout == "channels":
            src_m = src.mask[..., pick] != 0
        else:
            src_m = src.mask[..., None] == np.asarray(pick, src.mask.dtype) + 1
        moved = G.warp_mask(src_m, scaling, (nh, nw), 0, self)
        pasted = np.zeros((h, w, len(pick)), bool)
        pasted[y0:y1, x0:x1] = moved[win]
        sb = np.asarray(src.boxes, np.float64)[pick] * [nw / sw, nh / sh, nw / sw, nh / sh]
        sb = np.clip(sb + [ox, oy, ox, oy], 0, [w, h, w, h])
        alive = pasted.any((0, 1)) & (sb[:, 2] > sb[:, 0]) & (sb[:, 3] > sb[:, 1])
        pasted, sb = pasted[..., alive], sb[alive]
        alpha = pasted.any(-1)
        img = s.image.copy()
        if x1 > x0 and y1 > y0:
            a = alpha[y0:y1, x0:x1]
            moved_img = G.resize_window(src.image, (0, sh, 0, sw), (nh, nw),
                                        self.interpolation)[win]
            img[y0:y1, x0:x1][a] = moved_img[a]
        out = self._base(s, layout, alpha, pasted)
        out["image"], out["extras"] = img, rest
        dt = np.float64 if np.asarray(s.boxes).dtype == np.float64 else np.float32
        out["boxes"] = np.concatenate([out["boxes"], sb]).astype(dt)
        if s.box_labels is not None:
            src_labels = np.asarray(src.box_labels)[pick][alive]
            out["box_labels"] = np.concatenate([out["box_labels"], src_labels])
        kp = s.keypoints
        if kp is not None and np.shape(kp)[-1] == 3:
            k = np.array(kp)
            x, y = np.floor(k[..., 0]), np.floor(k[..., 1])
            inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
            hit = np.zeros(inside.shape, bool)
            hit[inside] = alpha[y[inside].astype(np.int64), x[inside].astype(np.int64)]
            if hit.any():
                k[..., 2] = np.where(hit, 0, k[..., 2])
                out["keypoints"] = k
        return s.replace(**out)

    def _base(self, s: Sample, layout: str, alpha: np.ndarray, pasted: np.ndarray) -> dict:
        """This sample's instances under the pasted pixels: masks cut, boxes of the occluded
        ones recomputed, fully covered ones dropped; the pasted masks appended."""
        m, n = s.mask, len(s.boxes)
        inst = (m != 0) if layout == "channels" else (
            m[..., None] == np.arange(1, n + 1, dtype=np.int64))
        had = inst.any((0, 1))
        cut = inst & ~alpha[..., None]
        left = cut.any((0, 1))
        keep = ~had | left
        occluded = had & left & (inst & alpha[..., None]).any((0, 1))
        boxes = np.array(s.boxes, np.float64)
        idx = np.flatnonzero(occluded)
        if len(idx):  # occluded instances kept a pixel: their tight box
            boxes[idx] = mask_boxes(np.moveaxis(cut[..., idx], 2, 0))[0]
        out = {"boxes": boxes[keep]}
        if s.box_labels is not None:
            out["box_labels"] = np.asarray(s.box_labels)[keep]
        if layout == "channels":
            base = np.where(alpha[..., None], np.zeros((), m.dtype), m)[..., keep]
            one = np.ones((), m.dtype)
            out["mask"] = np.concatenate([base, pasted.astype(m.dtype) * one], -1)
            return out
        total = int(keep.sum()) + pasted.shape[-1]
        if not fits_dtype(total, m.dtype):
            raise value_error(self, "mask", f"is {m.dtype}; it cannot hold the {total} "
                              "instance ids of the output")
        lut = np.zeros(n + 1, np.int64)
        lut[1:][keep] = np.arange(1, int(keep.sum()) + 1)
        ids = lut[m.astype(np.int64)]
        for j in range(pasted.shape[-1]):
            ids[pasted[..., j]] = int(keep.sum()) + j + 1
        out["mask"] = ids.astype(m.dtype)
        return out

    def image_batch(self, images, params):
        raise refuse_batch(self)

    def batch(self, images, rng=None):
        raise refuse_batch(self)
