"""Interop under stress (issue #11): boxes an op drops inside `as_v2` take their labels and
instance masks (torchvision's SanitizeBoundingBoxes as the oracle); `from_albu` shared by
threads, pickled, and applying a Compose's BboxParams filters (albumentations as the oracle);
saving what cannot be saved."""

from __future__ import annotations

import pickle
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision import tv_tensors as tvt
from torchvision.transforms import v2

import augkit as A
from augkit.interop.albumentations import from_albu
from augkit.interop.torchvision import as_v2

Al = pytest.importorskip("albumentations")
H, W = 24, 36


from test_interop import _target  # noqa: E402  (one detection target for both files)


def _image():
    return np.random.default_rng(0).integers(0, 256, (H, W, 3), dtype=np.uint8)


def _invert(x, **kw):
    return 255 - x


def _push_out(img, tgt):
    """Both ops move everything 20 px right, pushing the second box out of the image."""
    albu = from_albu(Al.Affine(translate_px={"x": (20, 20), "y": (0, 0)}, border_mode=0, p=1.0))
    ours = A.Translate(x=(20.0, 20.0), y=(0.0, 0.0), unit="pixels", interpolation="nearest")
    return albu, ours


@pytest.mark.parametrize("fmt", ["XYXY", "XYWH", "CXCYWH"])
def test_v2_boxes_an_op_drops_take_labels_and_instance_masks_like_sanitize(fmt):
    """albumentations drops the box it pushed out; torchvision's SanitizeBoundingBoxes after
    augkit's own translation (which keeps it, degenerate) is the oracle for what remains."""
    img, tgt = _target(fmt, instance_masks=True)
    tgt["iscrowd"] = torch.tensor([0, 1])
    albu, ours = _push_out(img, tgt)
    got_img, got = as_v2(albu, rng=np.random.default_rng(0))(img, tgt)
    ref_img, ref = v2.Compose([as_v2(ours), v2.SanitizeBoundingBoxes()])(img, tgt)
    assert len(got["boxes"]) == 1 and got["boxes"].format == tgt["boxes"].format
    assert torch.allclose(got["boxes"], ref["boxes"], atol=1e-4)
    assert got["boxes"].canvas_size == ref["boxes"].canvas_size == (H, W)
    assert torch.equal(got["labels"], ref["labels"]) and torch.equal(got["labels"],
                                                                     tgt["labels"][:1])
    assert type(got["masks"]) is tvt.Mask and torch.equal(got["masks"], ref["masks"])
    assert torch.equal(got_img, ref_img)
    assert torch.equal(got["iscrowd"], tgt["iscrowd"])  # the default getter: labels only
    _, got = as_v2(albu, rng=np.random.default_rng(0),
                   labels_getter=lambda x: (x[1]["labels"], x[1]["iscrowd"]))(img, tgt)
    assert torch.equal(got["iscrowd"], tgt["iscrowd"][:1])
    assert torch.equal(got["labels"], tgt["labels"][:1])
    _, got = as_v2(albu, rng=np.random.default_rng(0), labels_getter=None)(img, tgt)
    assert torch.equal(got["labels"], tgt["labels"]) and len(got["boxes"]) == 1
    assert len(got["masks"]) == 1  # instance masks follow their boxes, as in Sanitize


def test_v2_dropped_boxes_with_several_box_tensors_and_no_labels():
    img, tgt = _target()
    albu, ours = _push_out(img, tgt)
    more = tvt.BoundingBoxes(torch.tensor([[25.0, 2.0, 30.0, 8.0], [1.0, 1.0, 4.0, 4.0]]),
                             format="XYXY", canvas_size=(H, W))
    out = as_v2(albu, rng=np.random.default_rng(0))({"a": tgt["boxes"], "b": more, "img": img})
    ref = as_v2(ours)({"a": tgt["boxes"], "b": more, "img": img})
    assert torch.allclose(out["a"], ref["a"][:1]) and torch.allclose(out["b"], ref["b"][1:])


def test_v2_labels_that_cannot_follow_dropped_boxes_are_typed_errors():
    img, tgt = _target()
    albu, _ = _push_out(img, tgt)
    with pytest.raises(A.AugkitValueError, match=r"Albu: labels have shape \(3,\); the op "
                       r"dropped boxes, and the labels must have one entry per box \(2\)"):
        as_v2(albu)(img, dict(tgt, labels=torch.tensor([1, 2, 3])))
    with pytest.raises(A.AugkitTypeError, match="Albu: labels are a list"):
        as_v2(albu)(img, dict(tgt, labels=[1, 2]))
    with pytest.raises(A.AugkitValueError, match="as_v2: labels_getter is 'labels'"):
        as_v2(albu, labels_getter="labels")


def _random_pipeline():
    return Al.Compose([Al.Rotate(limit=30, p=1.0), Al.RandomBrightnessContrast(p=1.0),
                       Al.GaussNoise(p=1.0)])


def _uncopyable():
    """Not serialisable (Lambda) and not deep-copyable (a lock): shared, calls locked."""
    t = Al.Compose([Al.Lambda(image=_invert, p=1.0), Al.Rotate(limit=30, p=1.0)])
    t.guard = threading.Lock()
    return t


@pytest.mark.parametrize("build", [_random_pipeline, lambda: Al.Compose([
    Al.Lambda(image=_invert, p=1.0), Al.Affine(scale=(0.8, 1.2), rotate=(-20, 20), p=1.0)]),
    _uncopyable], ids=["serialisable", "lambda", "uncopyable"])
def test_from_albu_is_thread_safe(build):
    """One op called from 4 threads gives what the same calls give one after another
    (43/240 calls differed: every call re-seeded one shared albumentations pipeline)."""
    op = from_albu(build())
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (48, 40, 3), dtype=np.uint8) for _ in range(8)]
    jobs = [(imgs[i % 8], i) for i in range(240)]
    seq = [op(img, rng=np.random.default_rng(i)) for img, i in jobs]
    for _ in range(2):
        with ThreadPoolExecutor(4) as ex:
            par = list(ex.map(lambda job: op(job[0], rng=np.random.default_rng(job[1])), jobs))
        assert sum(not np.array_equal(a, b) for a, b in zip(seq, par)) == 0
    assert len({a.tobytes() for a in seq}) > 200  # the calls really differ from each other


def test_from_albu_pickles_after_use_and_gives_the_same_results():
    op = from_albu(_random_pipeline())
    img = _image()
    a = op(img, rng=np.random.default_rng(3))
    twin = pickle.loads(pickle.dumps(op))  # as DataLoader workers receive it
    assert twin == op and np.array_equal(twin(img, rng=np.random.default_rng(3)), a)


def _xyxy(boxes, fmt):
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return b if fmt == "pascal_voc" else np.c_[b[:, :2], b[:, :2] + b[:, 2:]]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_from_albu_compose_filters_boxes_as_albumentations_does(data):
    """A Compose's BboxParams filters apply through from_albu exactly as albumentations
    applies them (they were dropped: min_visibility 0.5 kept 2 boxes where it keeps 1)."""
    h, w = 40, 50
    n = data.draw(st.integers(1, 6))
    boxes = []
    for _ in range(n):
        x1, y1 = data.draw(st.integers(0, w - 2)), data.draw(st.integers(0, h - 2))
        boxes.append([x1, y1, data.draw(st.integers(x1 + 1, w)), data.draw(st.integers(y1 + 1, h))])
    boxes = np.array(boxes, np.float32)
    x0, y0 = data.draw(st.integers(0, w - 8)), data.draw(st.integers(0, h - 8))
    crop = Al.Crop(x_min=x0, y_min=y0, x_max=data.draw(st.integers(x0 + 4, w)),
                   y_max=data.draw(st.integers(y0 + 4, h)), p=1.0)
    fmt = data.draw(st.sampled_from(["pascal_voc", "coco"]))
    filters = {"min_visibility": data.draw(st.sampled_from([0.0, 0.3, 0.5, 0.9])),
               "min_area": data.draw(st.sampled_from([0.0, 20.0, 100.0])),
               "min_width": data.draw(st.sampled_from([0.0, 3.0, 8.0])),
               "min_height": data.draw(st.sampled_from([0.0, 3.0, 8.0])),
               "max_accept_ratio": data.draw(st.sampled_from([None, 2.0]))}
    native = Al.Compose([crop], bbox_params=Al.BboxParams(format=fmt, label_fields=["labels"],
                                                          **filters))
    ins = boxes if fmt == "pascal_voc" else np.c_[boxes[:, :2], boxes[:, 2:] - boxes[:, :2]]
    img = np.zeros((h, w, 3), np.uint8)
    ref = native(image=img, bboxes=ins, labels=np.arange(n))
    out = from_albu(native)(A.Sample(img, boxes=boxes, box_labels=np.arange(n)),
                            rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out.box_labels, np.asarray(ref["labels"], np.int64))
    np.testing.assert_allclose(out.boxes, _xyxy(ref["bboxes"], fmt), atol=1e-3)


def test_from_albu_compose_min_visibility_example_and_round_trip(tmp_path):
    c = Al.Compose([Al.Crop(x_min=0, y_min=0, x_max=50, y_max=50, p=1.0)],
                   bbox_params=Al.BboxParams(format="pascal_voc", min_visibility=0.5,
                                             label_fields=["labels"]))
    img = np.zeros((100, 100, 3), np.uint8)
    boxes = np.array([[10, 10, 50, 50], [40, 40, 60, 60]], np.float32)  # 2nd: 25% visible
    assert len(c(image=img, bboxes=boxes, labels=[1, 2])["bboxes"]) == 1
    op = A.load(A.save(from_albu(c), tmp_path / "c.yaml"))  # the spec keeps the BboxParams
    out = op(A.Sample(img, boxes=boxes, box_labels=np.array([1, 2])))
    assert np.array_equal(out.box_labels, [1]) and np.allclose(out.boxes, boxes[:1])


def test_saving_from_albu_lambda_names_the_op_and_field(tmp_path):
    op = A.Seq([A.HFlip(), from_albu(Al.Lambda(image=_invert, p=1.0))])
    for name in ("p.yaml", "p.json"):
        with pytest.raises(A.AugkitTypeError, match=r"_AlbuObject: albu holds a albumentations"
                           r"\..*Lambda, which cannot be saved as YAML or JSON"):
            A.save(op, tmp_path / name)
        assert not (tmp_path / name).exists()
    with pytest.raises(A.AugkitTypeError, match="_AlbuObject: albu holds"):
        A.to_dict(op)


@pytest.mark.parametrize("fmt", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize("size", [(1.0, 1.0), (3.0, 20.0)])
def test_v2_augkit_sanitize_inside_matches_torchvision_sanitize_after(fmt, size):
    """as_v2(Seq([op, SanitizeBoxes()])) crashed ('cannot reshape array of size 4 into shape
    (2,4)') and kept the labels; torchvision's SanitizeBoundingBoxes after as_v2(op) is the
    oracle for boxes, labels and instance masks."""
    img, tgt = _target(fmt, instance_masks=True)
    push = A.Translate(x=(20.0, 20.0), y=(0.0, 0.0), unit="pixels", interpolation="nearest")
    ours = as_v2(A.Seq([push, A.SanitizeBoxes(min_size=size[0], min_area=size[1])]))(img, tgt)
    ref = v2.Compose([as_v2(push), v2.SanitizeBoundingBoxes(min_size=size[0],
                                                            min_area=size[1])])(img, tgt)
    assert len(ref[1]["boxes"]) == 1  # the second box left the image
    assert torch.allclose(ours[1]["boxes"], ref[1]["boxes"], atol=1e-4)
    assert torch.equal(ours[1]["labels"], ref[1]["labels"])
    assert torch.equal(ours[1]["masks"], ref[1]["masks"]) and torch.equal(ours[0], ref[0])
