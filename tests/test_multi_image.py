"""Multi-image ops: `Mosaic` and `CopyPaste`, the extras they take, and `AugmentedDataset`
drawing those extras from each item's own stream (docs/multi-image.md)."""

from __future__ import annotations

import dataclasses
import json
from unittest import mock

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from augkit import AugmentedDataset, Sample
from augkit.compose import Maybe, OneOf, Seq
from augkit.data import extras_needed
from augkit.errors import AugkitError, AugkitTypeError, AugkitValueError
from augkit.middle import CopyPaste, Mosaic
from augkit.poor import HFlip, Rotate
from augkit.sample import boxes_from
from augkit.serial import from_dict, to_dict
from augkit.testing import assert_same

# --- helpers --------------------------------------------------------------------------------


def _nearest(m, nh, nw):
    """OpenCV's pixel-centre nearest resize (INTER_NEAREST_EXACT), channel by channel: the
    independent mask computation."""
    chans = [cv2.resize(np.ascontiguousarray(c), (nw, nh), interpolation=cv2.INTER_NEAREST_EXACT)
             for c in (m[..., i] for i in range(m.shape[2]))] if m.ndim == 3 else None
    if chans is None:
        return cv2.resize(m, (nw, nh), interpolation=cv2.INTER_NEAREST_EXACT)
    return np.stack(chans, -1).reshape(nh, nw, m.shape[2])


def _cover(h, w, ch, cw):
    s = max(ch / h, cw / w)
    return max(1, round(h * s)), max(1, round(w * s))


def _synthetic(rng, h, w, n=3, kp=True):
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    mask = rng.integers(0, 4, (h, w), dtype=np.uint8)
    xy = np.sort(rng.uniform(0, [w, h], (n, 2, 2)), axis=1).reshape(n, 4)
    boxes = xy.astype(np.float32)
    s = Sample(img, mask=mask, boxes=boxes, box_labels=rng.integers(0, 80, n))
    if kp:
        k = np.concatenate([rng.uniform(0, [w, h], (n, 2, 2)), np.full((n, 2, 1), 2.0)], -1)
        s = s.replace(keypoints=k.astype(np.float32))
    return s


def _copy(s):
    return dataclasses.replace(s, **{f: None if getattr(s, f) is None else
                                     np.array(getattr(s, f), copy=True)
                                     for f in ("image", "mask", "boxes", "box_labels",
                                               "keypoints")})


# --- Mosaic against albumentations 2.0.8 on COCO128 ------------------------------------------

def _coco(root, n):
    from PIL import Image

    sem = root / "semantic_segmentation/masks/train2017"
    out = []
    for p in sorted(sem.glob("*.png"))[:n]:
        img = np.array(Image.open(root / f"images/train2017/{p.stem}.jpg").convert("RGB"))
        h, w = img.shape[:2]
        det = np.loadtxt(root / f"object_detection/labels/train2017/{p.stem}.txt", ndmin=2)
        boxes = np.clip(boxes_from(det[:, 1:], "yolo", size=(h, w)), 0, [w, h, w, h])
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        kp = np.concatenate([centres, np.full((len(centres), 1), 2.0)], 1)[:, None]
        out.append(Sample(img, mask=np.array(Image.open(p)), boxes=boxes.astype(np.float32),
                          box_labels=det[:, 0].astype(np.int64),
                          keypoints=kp.astype(np.float32)))
    return out


@pytest.fixture(scope="module")
def coco(shared_data):
    root = shared_data / "coco128"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    return _coco(root, 12)


def _albu_mosaic(op, params, items):
    """albumentations' A.Mosaic with our centre and our assignment of samples to parts."""
    import albumentations as A
    import albumentations.augmentations.mixing.functional as fm

    cells = params["cells"]
    th, tw = op.target_size
    t = A.Compose([A.Mosaic(target_size=(th, tw), cell_shape=op.cell_shape, p=1.0,
                            mask_interpolation=cv2.INTER_NEAREST_EXACT)],
                  bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"]),
                  keypoint_params=A.KeypointParams(format="xy"), strict=True)
    meta = [{"image": e.image, "mask": e.mask, "bboxes": e.boxes, "labels": e.box_labels,
             "keypoints": e.keypoints[:, 0, :2]} for e in items[1:]]
    with mock.patch.object(fm, "calculate_mosaic_center_point",
                           lambda **kw: tuple(params["center"])), \
            mock.patch.object(fm, "assign_items_to_grid_cells",
                              lambda num_items, cell_placements, py_random:
                              {tuple(c[:4]): c[4] for c in cells}):
        s = items[0]
        return t(image=s.image, mask=s.mask, bboxes=s.boxes, labels=s.box_labels,
                 keypoints=s.keypoints[:, 0, :2], mosaic_metadata=meta)


@pytest.mark.parametrize("target, cell", [((512, 512), (512, 512)), ((320, 416), (256, 320))])
def test_mosaic_matches_albumentations_on_coco128(coco, target, cell):
    """Same centre and placement: image and mask identical (albumentations' mask with
    INTER_NEAREST_EXACT, pixel-centre nearest as augkit's), boxes within 1e-3 px (albumentations
    goes through normalised float32 boxes), keypoints within 0.5 px (albumentations scales
    them by one factor, augkit by the exact ratio of the rounded sides per axis). albumentations
    with default BboxParams keeps boxes clipped to zero width or height; augkit drops them,
    so those are filtered out of its output before comparing."""
    op = Mosaic(target_size=target, cell_shape=cell)
    for i in range(6):
        items = [coco[(i + j * 3) % len(coco)] for j in range(4)]
        rng = np.random.default_rng(i)
        out, params = op.sample_apply(rng, items[0].replace(extras=tuple(items[1:])))
        assert len(params["cells"]) == 4  # the four-part case: where both definitions agree
        ref = _albu_mosaic(op, params, items)
        np.testing.assert_array_equal(out.image, ref["image"])
        np.testing.assert_array_equal(out.mask, ref["mask"])
        rb, rl = np.asarray(ref["bboxes"], np.float64).reshape(-1, 4), np.asarray(ref["labels"])
        ok = (rb[:, 2] > rb[:, 0]) & (rb[:, 3] > rb[:, 1])
        key = lambda b, lab: sorted(zip(lab.tolist(), np.round(b, 2).tolist()))  # noqa: E731
        assert len(out.boxes) == ok.sum()
        got, want = key(out.boxes, out.box_labels), key(rb[ok], rl[ok])
        assert [g[0] for g in got] == [w[0] for w in want]
        np.testing.assert_allclose([g[1] for g in got], [w[1] for w in want], atol=1e-2)
        vis = out.keypoints[:, 0][out.keypoints[:, 0, 2] > 0, :2]
        rk = np.asarray(ref["keypoints"], np.float64).reshape(-1, 2)
        assert len(vis) == len(rk)
        np.testing.assert_allclose(sorted(map(tuple, vis)), sorted(map(tuple, rk)), atol=0.5)


# --- Mosaic, independent computation ---------------------------------------------------------

@given(seed=st.integers(0, 2**32 - 1), th=st.integers(4, 40), tw=st.integers(4, 40),
       ch=st.integers(2, 24), cw=st.integers(2, 24),
       lo=st.floats(0, 1), width=st.floats(0, 1), min_area=st.sampled_from([0.0, 4.0]),
       min_vis=st.sampled_from([0.0, 0.5]))
def test_mosaic_is_a_window_of_the_two_by_two_grid(seed, th, tw, ch, cw, lo, width, min_area,
                                                    min_vis):
    """The output is the target window around the drawn centre of a 2x2 grid whose cells
    hold the samples covered-resized (cv2.resize) and cut at their top-left; the mask the
    same with pixel-centre nearest; boxes moved, clipped to their part and filtered by the
    documented rule; keypoints visible exactly inside their part."""
    th, tw = min(th, 2 * ch), min(tw, 2 * cw)
    hi = min(1.0, lo + width)
    op = Mosaic(target_size=(th, tw), cell_shape=(ch, cw), center_range=(lo, hi),
                min_area=min_area, min_visibility=min_vis)
    rng = np.random.default_rng(seed)
    items = [_synthetic(rng, int(rng.integers(3, 30)), int(rng.integers(3, 30)))
             for _ in range(4)]
    s = items[0].replace(extras=tuple(items[1:]))
    out, params = op.sample_apply(rng, s)
    cx, cy = params["center"]
    for c, t, cc in ((cx, tw, cw), (cy, th, ch)):  # albumentations' centre range
        first, n = t // 2, 2 * cc - (t + 1) // 2 - t // 2 + 1
        last = first + n - 1
        assert min(first + int(n * lo), last) <= c <= min(first + int(n * hi), last)
    cells = params["cells"]
    used = [c[4] for c in cells]  # the sample, and distinct extras (a random subset)
    assert 0 in used and len(set(used)) == len(used) and set(used) <= {0, 1, 2, 3}
    areas = [(c[2] - c[0]) * (c[3] - c[1]) for c in cells]
    assert cells[areas.index(max(areas))][4] == 0  # the sample fills the largest part
    x0, y0 = cx - tw // 2, cy - th // 2
    big = np.zeros((2 * ch, 2 * cw, 3), np.uint8)
    bigm = np.zeros((2 * ch, 2 * cw), np.uint8)
    want_boxes, want_labels, i0 = [], [], 0
    for x1, y1, x2, y2, k in sorted(cells, key=lambda c: c[4]):
        it = items[k]
        h, w = it.size
        nh, nw = _cover(h, w, ch, cw)
        r, c = (y0 + y1) // ch, (x0 + x1) // cw
        big[r * ch:(r + 1) * ch, c * cw:(c + 1) * cw] = cv2.resize(
            it.image, (nw, nh), interpolation=cv2.INTER_LINEAR)[:ch, :cw]
        bigm[r * ch:(r + 1) * ch, c * cw:(c + 1) * cw] = _nearest(it.mask, nh, nw)[:ch, :cw]
        off = np.array([c * cw - x0, r * ch - y0] * 2)
        b = it.boxes.astype(np.float64) * np.array([nw / w, nh / h] * 2) + off
        cb = np.clip(b, np.array([x1, y1] * 2), np.array([x2, y2] * 2))
        a = (cb[:, 2] - cb[:, 0]) * (cb[:, 3] - cb[:, 1])
        keep = (cb[:, 2] > cb[:, 0]) & (cb[:, 3] > cb[:, 1]) & (a >= min_area) & (
            a >= min_vis * (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
        want_boxes.append(cb[keep])
        want_labels.append(it.box_labels[keep])
        kp = it.keypoints.astype(np.float64)
        xy = kp[..., :2] * [nw / w, nh / h] + off[:2]
        inside = (xy[..., 0] >= x1) & (xy[..., 0] <= x2) & (xy[..., 1] >= y1) & (
            xy[..., 1] <= y2)
        got = out.keypoints[i0:i0 + len(kp)]  # placed samples' keypoints, in sample order
        i0 += len(kp)
        np.testing.assert_allclose(got[..., :2], xy, atol=1e-4)
        np.testing.assert_array_equal(got[..., 2] > 0, inside)
    np.testing.assert_array_equal(out.image, big[y0:y0 + th, x0:x0 + tw])
    np.testing.assert_array_equal(out.mask, bigm[y0:y0 + th, x0:x0 + tw])
    np.testing.assert_allclose(out.boxes, np.concatenate(want_boxes), atol=1e-4)
    np.testing.assert_array_equal(out.box_labels, np.concatenate(want_labels))
    assert out.extras is None


@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["uint8", "float32", "grey"]))
def test_mosaic_contract(seed, kind):
    """Inputs (extras too) untouched, same seed same output, params JSON-able and replayed
    exactly, the op round-trips through to_dict."""
    rng = np.random.default_rng(seed)
    items = [_synthetic(rng, int(rng.integers(3, 40)), int(rng.integers(3, 40)))
             for _ in range(5)]
    if kind != "uint8":
        items = [it.replace(image=(it.image[..., 0] if kind == "grey" else
                                   (it.image / 255).astype(np.float32))) for it in items]
    s = items[0].replace(extras=tuple(items[1:]))
    before = [_copy(it) for it in items]
    op = Mosaic(target_size=(24, 30), cell_shape=(16, 20), center_range=(0.0, 1.0))
    out = op(s, rng=np.random.default_rng(seed))
    for it, b in zip(items, before):
        assert_same(it, b, "input modified")
    assert_same(out, op(s, rng=np.random.default_rng(seed)), "same seed, other output")
    params = op.sample(np.random.default_rng(seed), s)
    assert_same(op.apply(s, json.loads(json.dumps(params))), out, "replay differs")
    assert out.image.shape[:2] == (24, 30) and out.image.dtype == s.image.dtype
    assert out.image.shape[2:] == s.image.shape[2:]
    assert len(out.extras) == 1 and out.extras[0] is items[4]  # the unused extra travels on
    assert from_dict(json.loads(json.dumps(to_dict(op)))) == op


def test_mosaic_refuses_missing_or_mismatched_extras():
    rng = np.random.default_rng(0)
    items = [_synthetic(rng, 20, 24) for _ in range(4)]
    op = Mosaic(target_size=16, cell_shape=16)
    bad = {
        "extras is missing": items[0],
        "extras has 2 samples; Mosaic needs 3": items[0].replace(extras=tuple(items[1:3])),
        "extras[1] image is float32": items[0].replace(extras=(
            items[1], items[2].replace(image=(items[2].image / 255).astype(np.float32)),
            items[3])),
        "extras[2] has no mask": items[0].replace(extras=(*items[1:3],
                                                          items[3].replace(mask=None))),
        "extras[0] mask has shape": items[0].replace(extras=(
            items[1].replace(mask=np.zeros((20, 24, 2), np.uint8)), *items[2:])),
        "extras[0] boxes have shape": items[0].replace(extras=(
            items[1].replace(boxes=np.zeros((3, 5)), box_labels=None), *items[2:])),
        "keypoints have shape": items[0].replace(keypoints=items[0].keypoints[..., :2],
                                                 extras=tuple(items[1:])),
    }
    for what, s in bad.items():
        with pytest.raises(AugkitValueError, match=r"^Mosaic: " + what.replace("[", r"\[")
                           .replace("]", r"\]")):
            op(s, rng=np.random.default_rng(0))
    with pytest.raises(AugkitTypeError, match=r"^Mosaic: extras is str"):
        op.apply(items[0].replace(extras="abc"), {"center": [16, 16], "cells": []})


def test_multi_image_ops_refuse_the_batched_path():
    """A batch of images carries no other samples: op.batch, and a pipeline holding one,
    raise a typed error naming the op instead of running."""
    imgs = np.zeros((2, 16, 16, 3), np.uint8)
    for op in (Mosaic(target_size=16, cell_shape=16), CopyPaste()):
        name = type(op).__name__
        with pytest.raises(AugkitTypeError, match=rf"^{name}: batch is not supported"):
            op.batch(imgs, rng=np.random.default_rng(0))
        with pytest.raises(AugkitError, match=rf"^{name}: "):
            Seq((HFlip(p=0.5), op)).batch(imgs, rng=np.random.default_rng(0))


@pytest.mark.parametrize("field, value", [
    ("target_size", 0), ("target_size", (3, 2, 1)), ("target_size", (65, 8)),
    ("cell_shape", True), ("center_range", (0.8, 0.2)), ("center_range", (0.0, 2.0)),
    ("interpolation", "bogus"), ("min_area", -1.0), ("min_visibility", 1.5),
    ("min_area", float("nan"))])
def test_mosaic_bad_fields_are_typed(field, value):
    with pytest.raises(AugkitError, match=rf"^Mosaic: {field} "):
        Mosaic(**{"target_size": 32, "cell_shape": 32, field: value})


def test_p_on_multi_image_ops_matches_maybe():
    """op(p=0.5) and Maybe(op, 0.5) draw alike and give the same samples; a skipped call
    returns the sample untouched (its extras too: AugmentedDataset strips them)."""
    rng = np.random.default_rng(5)
    items = [_synthetic(rng, 20, 24) for _ in range(4)]
    inst = np.zeros((20, 24, 3), np.uint8)
    for i in range(3):
        inst[2 + 5 * i:6 + 5 * i, 3:9 + 4 * i, i] = 1
    cp_items = [it.replace(mask=inst, keypoints=None) for it in items]
    for op, its in ((Mosaic(target_size=16, cell_shape=16), items), (CopyPaste(), cp_items)):
        s = its[0].replace(extras=tuple(its[1:]))
        seen = set()
        for seed in range(12):
            r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
            out, params = dataclasses.replace(op, p=0.5).sample_apply(r1, s)
            ref = Maybe(op, 0.5).sample_apply(r2, s)[0]
            assert_same(out, ref, f"{op} p=0.5 vs Maybe")
            assert r1.random() == r2.random()
            seen.add(params.get("skipped", False))
            if params.get("skipped"):
                assert out is s or out.extras is s.extras
        assert seen == {True, False}


# --- AugmentedDataset: extras from the item's own stream ----------------------------------------

def test_extras_needed_walks_the_pipeline():
    m, c = Mosaic(target_size=16, cell_shape=16), CopyPaste()
    assert extras_needed(None) == 0 and extras_needed(HFlip()) == 0
    assert extras_needed(m) == 3 and extras_needed(Seq((Rotate(5), c))) == 1
    assert extras_needed(Seq((OneOf((m, c)), HFlip(), c))) == 5


class _Data:
    def __init__(self, n=10):
        rng = np.random.default_rng(7)
        self.items = [(_synthetic(rng, int(rng.integers(20, 40)), int(rng.integers(20, 40))), i)
                      for i in range(n)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def _keep(batch):
    return batch


PIPE = Seq((Mosaic(target_size=(32, 40), cell_shape=(24, 24)), HFlip(p=0.5), Rotate(10)))


def test_dataset_feeds_extras_from_the_items_stream():
    ds = AugmentedDataset(_Data(), PIPE, seed=3)
    a, b = ds[4], ds[4]
    assert_same(a[0], b[0], "same (seed, epoch, index), other item")
    assert a[1] == 4 and a[0].image.shape == (32, 40, 3) and a[0].extras is None
    ds.set_epoch(1)
    assert not np.array_equal(ds[4][0].image, a[0].image)
    # by hand: the item's stream draws the three indices first, then the pipeline
    from augkit.core import integer
    from augkit.rng import item_rng

    rng = item_rng(3, 0, 4)
    idx = [integer(rng, 0, 10) for _ in range(3)]
    data = _Data()
    s = data[4][0].replace(extras=tuple(data[j][0] for j in idx))
    assert_same(PIPE(s, rng=rng).replace(extras=None), a[0], "not the documented draw")


def test_image_items_go_through_as_images():
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (30, 20, 3), dtype=np.uint8) for _ in range(5)]
    out = AugmentedDataset(imgs, Mosaic(target_size=16, cell_shape=16), seed=0)[2]
    assert isinstance(out, np.ndarray) and out.shape == (16, 16, 3)


def test_dataloader_workers_give_the_same_items():
    """Same (seed, epoch, index), same pixels at 0 and 2 workers, extras included."""
    from torch.utils.data import DataLoader

    ds = AugmentedDataset(_Data(12), PIPE, seed=11)
    runs = []
    for workers in (0, 2):
        ds.set_epoch(2)
        loader = DataLoader(ds, batch_size=4, num_workers=workers, collate_fn=_keep)
        runs.append([item for batch in loader for item in batch])
    assert len(runs[0]) == len(runs[1]) == 12
    for (a, ia), (b, ib) in zip(*runs):
        assert ia == ib
        assert_same(a, b, "worker count changed an item")


def test_extras_ride_through_earlier_ops_on_image_only_samples():
    """A geometric op's image-only fast path keeps `extras` (it used to rebuild the Sample
    from the image and drop them: 'extras is missing' at the Mosaic)."""
    imgs = [np.full((20, 24, 3), 40 * i, np.uint8) for i in range(4)]
    s = Sample(imgs[0], extras=tuple(Sample(x) for x in imgs[1:]))
    op = Seq((HFlip(p=1.0), Rotate(degrees=10.0), Mosaic(target_size=(32, 32))))
    out, params = op.sample_apply(np.random.default_rng(0), s)
    ref = Seq((Mosaic(target_size=(32, 32)),)).apply(
        Seq((HFlip(p=1.0), Rotate(degrees=10.0))).apply(s, {"steps": params["steps"][:2]}),
        {"steps": params["steps"][2:]})
    assert out.image.shape == (32, 32, 3)
    assert_same(out, ref, "flip + rotate + mosaic on an image-only sample")
