"""`CopyPaste` (Ghiasi et al. 2021): pasted pixels, cut and dropped instances, recomputed
boxes, the contract (the extras machinery itself: tests/test_multi_image.py)."""

from __future__ import annotations

import dataclasses
import json

import cv2
import numpy as np
import pytest
from conftest import coco_instance_planes
from hypothesis import given
from hypothesis import strategies as st

from augkit import Sample
from augkit.errors import AugkitError, AugkitValueError
from augkit.middle import CopyPaste
from augkit.poor import BoxesFromMasks
from augkit.serial import from_dict, to_dict
from augkit.testing import assert_same


def _copy(s):
    return dataclasses.replace(s, **{f: None if getattr(s, f) is None else
                                     np.array(getattr(s, f), copy=True)
                                     for f in ("image", "mask", "boxes", "box_labels",
                                               "keypoints")})


def _nearest(m, nh, nw):
    """OpenCV's pixel-centre nearest resize (INTER_NEAREST_EXACT), channel by channel."""
    chans = [cv2.resize(np.ascontiguousarray(m[..., i]), (nw, nh),
                        interpolation=cv2.INTER_NEAREST_EXACT) for i in range(m.shape[2])]
    return np.stack(chans, -1).reshape(nh, nw, m.shape[2])


@pytest.mark.parametrize("field, value", [
    ("instances", "masks"), ("scale", (0.0, 1.0)), ("scale", (2.0, 1.0)), ("scale", 1.0),
    ("interpolation", 3)])
def test_copy_paste_bad_fields_are_typed(field, value):
    with pytest.raises(AugkitError, match=rf"^CopyPaste: {field} "):
        CopyPaste(**{field: value})


# --- CopyPaste --------------------------------------------------------------------------------

def _instances(rng, h, w, n, layout="channels"):
    """A sample with n rectangular instances (later ones on top) and their tight boxes."""
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    ids = np.zeros((h, w), np.uint8)
    for i in range(n):
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        ids[y:y + int(rng.integers(1, h)), x:x + int(rng.integers(1, w))] = i + 1
    chans = (ids[..., None] == np.arange(1, n + 1)).astype(np.uint8)
    boxes = np.zeros((n, 4), np.float32)
    s = Sample(img, mask=chans, boxes=boxes, box_labels=np.arange(n) + 100)
    s = BoxesFromMasks(source="channels")(s)
    s = s.replace(boxes=np.array([b if chans[..., i].any() else [0, 0, 1, 1]
                                  for i, b in enumerate(s.boxes)], np.float32).reshape(n, 4))
    return s if layout == "channels" else s.replace(mask=ids)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 5), m=st.integers(0, 5))
def test_copy_paste_pixels_masks_and_boxes(seed, n, m):
    """Same size, no jitter: pasted pixels are the source's where its pasted masks are set,
    the rest is the base; base masks lose the pasted pixels; boxes of occluded base
    instances are the tight boxes of what is left (BoxesFromMasks), the others unchanged;
    instances left with no pixel are dropped; pasted boxes are the source's."""
    rng = np.random.default_rng(seed)
    base, src = _instances(rng, 20, 24, n), _instances(rng, 20, 24, m)
    before = [_copy(base), _copy(src)]
    s = base.replace(extras=(src,))
    out, params = CopyPaste().sample_apply(rng, s)
    assert_same(base, before[0], "base modified")
    assert_same(src, before[1], "source modified")
    pick = params["paste"]
    alpha = (src.mask[..., pick] != 0).any(-1)
    np.testing.assert_array_equal(out.image[alpha], src.image[alpha])
    np.testing.assert_array_equal(out.image[~alpha], base.image[~alpha])
    had = (base.mask != 0).any((0, 1))
    left = ((base.mask != 0) & ~alpha[..., None]).any((0, 1))
    keep = ~had | left
    nk = int(keep.sum())
    np.testing.assert_array_equal(out.box_labels[:nk], base.box_labels[keep])
    cut = np.where(alpha[..., None], 0, base.mask)[..., keep]
    np.testing.assert_array_equal(out.mask[..., :nk], cut)
    tight = BoxesFromMasks(source="channels")(Sample(out.image, mask=cut,
                                                     boxes=base.boxes[keep])).boxes
    occluded = ((base.mask != 0) & alpha[..., None]).any((0, 1))[keep]
    np.testing.assert_array_equal(out.boxes[:nk][occluded], tight[occluded])
    np.testing.assert_array_equal(out.boxes[:nk][~occluded], base.boxes[keep][~occluded])
    alive = [i for i in pick if src.mask[..., i].any()]
    np.testing.assert_array_equal(out.box_labels[nk:], src.box_labels[alive])
    np.testing.assert_array_equal(out.boxes[nk:], src.boxes[alive])
    np.testing.assert_array_equal(out.mask[..., nk:] != 0, src.mask[..., alive] != 0)
    # ids layout: the same result, instances renumbered in box order
    ids = CopyPaste().apply(base.replace(mask=_ids(base.mask), extras=(
        src.replace(mask=_ids(src.mask)),)), params)
    np.testing.assert_array_equal(ids.boxes, out.boxes)
    np.testing.assert_array_equal(ids.mask, _ids(out.mask))


def _ids(chans):
    """Channels (no overlaps) as an id map."""
    return (chans != 0).astype(np.uint8).argmax(-1).astype(np.uint8) + 1 - (
        ~(chans != 0).any(-1)).astype(np.uint8) if chans.shape[-1] else np.zeros(
        chans.shape[:2], np.uint8)


def test_copy_paste_drops_a_fully_covered_instance_and_hides_its_keypoints():
    base = Sample(np.zeros((10, 10, 3), np.uint8), mask=np.zeros((10, 10, 2), np.uint8),
                  boxes=np.array([[2, 2, 4, 4], [6, 6, 9, 9]], np.float32),
                  box_labels=np.array([1, 2]), keypoints=np.array([[[3.5, 3.5, 2.0]],
                                                                     [[7.5, 7.5, 2.0]]]))
    base.mask[2:4, 2:4, 0] = 1
    base.mask[6:9, 6:9, 1] = 1
    src = Sample(np.full((10, 10, 3), 200, np.uint8), mask=np.zeros((10, 10, 1), np.uint8),
                 boxes=np.array([[1, 1, 10, 7]], np.float32), box_labels=np.array([9]))
    src.mask[1:7, 1:10, 0] = 1
    out = CopyPaste().apply(base.replace(extras=(src,)),
                            {"paste": [0], "size": [10, 10], "offset": [0, 0]})
    np.testing.assert_array_equal(out.box_labels, [2, 9])  # instance 0 fully covered
    np.testing.assert_array_equal(out.boxes, [[6, 7, 9, 9], [1, 1, 10, 7]])  # 1 occluded
    assert out.mask.shape == (10, 10, 2) and out.mask[6, 6, 0] == 0 and out.mask[7, 7, 0] == 1
    np.testing.assert_array_equal(out.keypoints[:, 0, 2], [0, 2])
    assert (out.image[1:7, 1:] == 200).all() and (out.image[7:] == 0).all()


def test_copy_paste_scale_jitter_on_coco128(shared_data):
    """Real photos of other sizes with scale jitter: the pasted pixels are cv2.resize of the
    source to the drawn size, at the drawn offset, where the moved instance masks (numpy
    pixel-centre nearest) are set; boxes of occluded base instances are the tight boxes of
    their remaining masks."""
    from PIL import Image

    root = shared_data / "coco128"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    stems = sorted(p.stem for p in (root / "instance_segmentation/labels/train2017")
                   .glob("*.txt"))[:6]
    samples = []
    for stem in stems:
        img = np.array(Image.open(root / f"images/train2017/{stem}.jpg").convert("RGB"))
        h, w = img.shape[:2]
        chans, labels = coco_instance_planes(root, stem, w, h)
        mask = np.stack(chans, -1)
        s = Sample(img, mask=mask, boxes=np.zeros((len(chans), 4), np.float32),
                   box_labels=np.array(labels))
        samples.append(BoxesFromMasks(source="channels")(s))
    op = CopyPaste(scale=(0.3, 1.7))
    for i in range(len(samples)):
        base, src = samples[i], samples[(i + 1) % len(samples)]
        out, p = op.sample_apply(np.random.default_rng(i), base.replace(extras=(src,)))
        (nh, nw), (ox, oy) = p["size"], p["offset"]
        h, w = base.size
        big = cv2.resize(src.image, (nw, nh), interpolation=cv2.INTER_LINEAR)
        bigm = _nearest(src.mask[..., p["paste"]], nh, nw).reshape(nh, nw, -1)
        canvas = np.zeros((h, w, 3), np.uint8)
        cm = np.zeros((h, w, bigm.shape[-1]), np.uint8)
        ys, xs = slice(max(0, oy), min(h, oy + nh)), slice(max(0, ox), min(w, ox + nw))
        sy, sx = slice(ys.start - oy, ys.stop - oy), slice(xs.start - ox, xs.stop - ox)
        canvas[ys, xs], cm[ys, xs] = big[sy, sx], bigm[sy, sx]
        alpha = (cm != 0).any(-1)
        assert alpha.any()
        np.testing.assert_array_equal(out.image[alpha], canvas[alpha])
        np.testing.assert_array_equal(out.image[~alpha], base.image[~alpha])
        keep = ((base.mask != 0) & ~alpha[..., None]).any((0, 1))
        nk = int(keep.sum())
        tight = BoxesFromMasks(source="channels")(Sample(out.image, mask=out.mask[..., :nk],
                                                         boxes=out.boxes[:nk])).boxes
        np.testing.assert_array_equal(out.boxes[:nk], tight)  # COCO boxes were tight too
        assert out.mask.shape[-1] == len(out.boxes) == len(out.box_labels)


@given(seed=st.integers(0, 2**32 - 1), layout=st.sampled_from(["channels", "ids"]))
def test_copy_paste_contract(seed, layout):
    rng = np.random.default_rng(seed)
    base = _instances(rng, int(rng.integers(4, 30)), int(rng.integers(4, 30)),
                      int(rng.integers(0, 4)), layout)
    src = _instances(rng, int(rng.integers(4, 30)), int(rng.integers(4, 30)),
                     int(rng.integers(0, 4)), layout)
    k = np.concatenate([rng.uniform(0, 30, (2, 3, 2)), np.full((2, 3, 1), 2.0)], -1)
    s = base.replace(keypoints=k, extras=(src, base))
    before = [_copy(base), _copy(src), k.copy()]
    op = CopyPaste(scale=(0.5, 2.0))
    out = op(s, rng=np.random.default_rng(seed))
    assert_same(base, before[0], "base modified")
    assert_same(src, before[1], "source modified")
    np.testing.assert_array_equal(k, before[2])
    assert_same(out, op(s, rng=np.random.default_rng(seed)), "same seed, other output")
    params = op.sample(np.random.default_rng(seed), s)
    assert_same(op.apply(s, json.loads(json.dumps(params))), out, "replay differs")
    assert out.extras == (base,) and out.image.shape == base.image.shape
    assert len(out.boxes) == len(out.box_labels)
    assert from_dict(json.loads(json.dumps(to_dict(op)))) == op


def test_copy_paste_refuses_samples_without_instances():
    rng = np.random.default_rng(0)
    a, b = _instances(rng, 12, 12, 2), _instances(rng, 12, 12, 2)
    op = CopyPaste()
    cases = {
        "extras is missing": a,
        "extras[0] has no mask or no boxes": a.replace(extras=(b.replace(mask=None),)),
        "mask has shape": a.replace(mask=a.mask[..., :1], extras=(b,)),
        "extras[0] mask holds ids": a.replace(mask=a.mask.argmax(-1).astype(np.uint8) + 1,
                                             extras=(b.replace(mask=np.full((12, 12), 7,
                                                                            np.uint8)),)),
    }
    for what, s in cases.items():
        with pytest.raises(AugkitValueError, match=r"^CopyPaste: " + what.replace(
                "[", r"\[").replace("]", r"\]")):
            op(s, rng=np.random.default_rng(0))
