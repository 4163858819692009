"""Bad input gets a typed augkit error naming the op, the field and the shape."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from augkit import AugkitError, AugkitTypeError, AugkitValueError, Sample
from augkit.compose import Maybe, OneOf, Seq, SomeOf
from augkit.core import registered_ops
from augkit.poor import (
    Affine,
    Crop,
    HFlip,
    Pad,
    RandomResizedCrop,
    Resize,
    Rotate,
    Scale,
    Shear,
    Translate,
    VFlip,
)
from augkit.testing import example_instances

OPS = [ex for name, cls in sorted(registered_ops().items())
       for ex in example_instances(cls)[:1]]

# (input, error class, words the message must contain besides the op name)
BAD_IMAGES = [
    (np.zeros((4, 5, 3), np.float64), AugkitTypeError, ["image", "float64", "(4, 5, 3)"]),
    (np.zeros((4, 5, 3), np.int32), AugkitTypeError, ["image", "int32", "(4, 5, 3)"]),
    (np.zeros((4, 5), np.int64), AugkitTypeError, ["image", "int64", "(4, 5)"]),
    (np.full((4, 5, 3), np.nan, np.float32), AugkitValueError, ["image", "NaN", "(4, 5, 3)"]),
    (np.full((4, 5, 3), np.inf, np.float32), AugkitValueError, ["image", "inf", "(4, 5, 3)"]),
    (np.full((4, 5), 1.5, np.float32), AugkitValueError, ["image", "[0, 1]", "(4, 5)"]),
    (np.full((4, 5, 1), -0.1, np.float32), AugkitValueError, ["image", "[0, 1]", "(4, 5, 1)"]),
    (np.zeros((0, 5, 3), np.uint8), AugkitValueError, ["image", "empty", "(0, 5, 3)"]),
    (np.zeros((3, 32, 32), np.uint8), AugkitValueError, ["image", "CHW", "(3, 32, 32)"]),
    (np.zeros((1, 3, 8, 8), np.uint8), AugkitValueError, ["image", "4 dims", "(1, 3, 8, 8)"]),
    (np.zeros(8, np.uint8), AugkitValueError, ["image", "1 dims", "(8,)"]),
    ([[0, 1], [2, 3]], AugkitTypeError, ["input", "list"]),
]


def _message_ok(e: Exception, op, words) -> None:
    msg = str(e)
    assert msg.startswith(f"{type(op).__name__}: "), msg
    for w in words:
        assert w in msg, (w, msg)


@pytest.mark.parametrize("op", OPS, ids=lambda o: type(o).__name__)
@pytest.mark.parametrize("bad, err, words", BAD_IMAGES,
                         ids=[f"{np.shape(b)}-{getattr(b, 'dtype', type(b).__name__)}"
                              for b, _, _ in BAD_IMAGES])
def test_bad_images_raise_typed_errors_for_every_op(op, bad, err, words):
    before = np.array(bad, copy=True) if isinstance(bad, np.ndarray) else None
    with pytest.raises(err) as info:
        op(bad, rng=np.random.default_rng(0))
    _message_ok(info.value, op, words)
    assert isinstance(info.value, AugkitError)
    if before is not None:
        np.testing.assert_array_equal(bad, before)  # never modified, even on error


def test_errors_derive_from_builtins():
    assert issubclass(AugkitValueError, ValueError) and issubclass(AugkitValueError, AugkitError)
    assert issubclass(AugkitTypeError, TypeError) and issubclass(AugkitTypeError, AugkitError)


IMG = np.zeros((10, 12, 3), np.uint8)

BAD_SAMPLES = [
    (dict(mask=np.zeros((10, 11), np.uint8)), AugkitValueError, ["mask", "(10, 11)"]),
    (dict(mask=np.zeros((10,), np.uint8)), AugkitValueError, ["mask", "(10,)"]),
    (dict(mask=np.zeros((10, 12), np.float32)), AugkitTypeError, ["mask", "float32"]),
    (dict(mask=[[0] * 12] * 10), AugkitTypeError, ["mask", "list"]),
    (dict(boxes=np.zeros((2, 5), np.float32)), AugkitValueError, ["boxes", "(2, 5)"]),
    (dict(boxes=np.zeros((4,), np.float32)), AugkitValueError, ["boxes", "(4,)"]),
    (dict(boxes=np.array([[5, 1, 2, 4]], np.float32)), AugkitValueError,
     ["boxes", "inverted", "(1, 4)"]),
    (dict(boxes=np.array([[1, 5, 2, 4]], np.float32)), AugkitValueError, ["boxes", "inverted"]),
    (dict(boxes=np.array([[1, 1, np.nan, 4]], np.float32)), AugkitValueError,
     ["boxes", "NaN", "(1, 4)"]),
    (dict(boxes=np.array([[1, 1, np.inf, 4]], np.float32)), AugkitValueError, ["boxes", "inf"]),
    (dict(boxes=np.array([["a", "b", "c", "d"]])), AugkitTypeError, ["boxes", "dtype"]),
    (dict(boxes=np.zeros((2, 4), np.float32), box_labels=np.zeros(3)), AugkitValueError,
     ["box_labels", "(3,)", "(2, 4)"]),
    (dict(box_labels=np.zeros(3)), AugkitValueError, ["box_labels", "without boxes"]),
    (dict(keypoints=np.array([[1.0, np.nan]], np.float32)), AugkitValueError,
     ["keypoints", "NaN", "(1, 2)"]),
    (dict(keypoints=np.array([[1.0, 2.0, np.inf]])), AugkitValueError, ["keypoints", "inf"]),
    (dict(keypoints=np.zeros((3, 4), np.float32)), AugkitValueError, ["keypoints", "(3, 4)"]),
]


@pytest.mark.parametrize("op", [HFlip(), Rotate(), Resize(size=8), Seq((Rotate(), Crop(4)))],
                         ids=lambda o: type(o).__name__)
@pytest.mark.parametrize("targets, err, words", BAD_SAMPLES,
                         ids=[f"{next(iter(t))}{i}" for i, (t, _, _) in enumerate(BAD_SAMPLES)])
def test_bad_targets_raise_typed_errors(op, targets, err, words):
    with pytest.raises(err) as info:
        op(Sample(IMG, **targets), rng=np.random.default_rng(0))
    _message_ok(info.value, op, words)


def test_boxes_past_the_border_are_clipped_not_rejected():
    boxes = np.array([[-5, -2, 4, 6], [8, 3, 30, 40], [2, 2, 5, 5]], np.float32)
    keep = boxes.copy()
    s = Sample(IMG, boxes=boxes, box_labels=np.array([1, 2, 3]))
    out = HFlip(p=0.0)(s, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out.boxes, [[0, 0, 4, 6], [8, 3, 12, 10], [2, 2, 5, 5]])
    np.testing.assert_array_equal(boxes, keep)  # the caller's array is untouched
    assert out.box_labels.tolist() == [1, 2, 3]
    out = Rotate(degrees=(30, 30))(s, rng=np.random.default_rng(0))
    assert len(out.boxes) == 3
    assert (out.boxes >= 0).all() and (out.boxes[:, [0, 2]] <= 12).all()
    assert (out.boxes[:, [1, 3]] <= 10).all()


def test_keypoints_leaving_the_image_are_kept_and_hidden():
    kp = np.array([[[1.5, 1.5, 2], [11.5, 5.5, 2], [6.0, 5.0, 1]]], np.float32)
    out = Translate(x=(5, 5), y=(0, 0), unit="pixels")(Sample(IMG, keypoints=kp),
                                                        rng=np.random.default_rng(0))
    assert out.keypoints.shape == kp.shape
    np.testing.assert_allclose(out.keypoints[..., 0], kp[..., 0] + 5)
    assert out.keypoints[0, :, 2].tolist() == [2, 0, 1]  # 6 + 5 < 12: still inside


BAD_FIELDS = [
    (lambda: HFlip(p=1.5), "p"), (lambda: HFlip(p=-0.1), "p"), (lambda: VFlip(p=np.nan), "p"),
    (lambda: HFlip(p="0.5"), "p"), (lambda: Maybe(HFlip(), p=2.0), "p"),
    (lambda: Maybe("HFlip", p=0.5), "op"),
    (lambda: Rotate(degrees=(10.0, -10.0)), "degrees"),
    (lambda: Rotate(degrees=(0.0, float("nan"))), "degrees"),
    (lambda: Rotate(degrees=-10), "degrees"), (lambda: Shear(x=float("nan")), "x"),
    (lambda: Scale(scale=(1.2, 0.8)), "scale"), (lambda: Scale(scale=(0.0, 1.0)), "scale"),
    (lambda: Translate(x=(0.1, -0.1)), "x"), (lambda: Translate(unit="cm"), "unit"),
    (lambda: Shear(x=(5.0, -5.0)), "x"), (lambda: Shear(x=(0.0, 90.0)), "x"),
    (lambda: Affine(scale=(2.0, 1.0)), "scale"), (lambda: Affine(translate=(0.5, 1.5)),
                                                  "translate"),
    (lambda: RandomResizedCrop(scale=(0.9, 0.1)), "scale"),
    (lambda: RandomResizedCrop(ratio=(2.0, 0.5)), "ratio"),
    (lambda: RandomResizedCrop(size=0), "size"), (lambda: Resize(size=(10, -1)), "size"),
    (lambda: Crop(size=8, position="left"), "position"), (lambda: Pad(padding=-1), "padding"),
    (lambda: Rotate(interpolation="bicubic"), "interpolation"), (lambda: Rotate(fill="x"), "fill"),
    (lambda: Rotate(mask_fill=0.5), "mask_fill"),
    (lambda: HFlip(keypoint_pairs=[(0, 1, 2)]), "keypoint_pairs"),
    (lambda: Seq([HFlip(), "Rotate"]), "ops"), (lambda: OneOf([]), "ops"),
    (lambda: OneOf([HFlip(), VFlip()], weights=[1.0]), "weights"),
    (lambda: OneOf([HFlip(), VFlip()], weights=[1.0, -1.0]), "weights"),
    (lambda: SomeOf([HFlip(), VFlip()], k=3), "k"),
]


@pytest.mark.parametrize("make, field", BAD_FIELDS, ids=[f for _, f in BAD_FIELDS])
def test_bad_fields_raise_on_construction(make, field):
    with pytest.raises(AugkitValueError) as info:
        make()
    assert re.match(rf"^\w+: {field} ", str(info.value)), str(info.value)


def test_torch_batches_and_bad_tensors():
    op = Rotate()
    cases = [
        (torch.zeros(2, 3, 8, 8, dtype=torch.uint8), AugkitValueError, ["4 dims", "(2, 3, 8, 8)"]),
        (torch.zeros(1, 1, 3, 8, 8), AugkitValueError, ["5 dims"]),
        (torch.zeros(3, 8, 8, dtype=torch.float64), AugkitTypeError, ["float64", "(3, 8, 8)"]),
        (torch.zeros(3, 8, 8, dtype=torch.int64), AugkitTypeError, ["int64"]),
        (torch.zeros(8, 8, 3), AugkitValueError, ["HWC", "(8, 8, 3)"]),
        (torch.full((3, 8, 8), 2.0), AugkitValueError, ["[0, 1]"]),
        (torch.full((3, 8, 8), float("nan")), AugkitValueError, ["NaN"]),
        (torch.zeros(3, 0, 8), AugkitValueError, ["empty"]),
    ]
    for t, err, words in cases:
        with pytest.raises(err) as info:
            op(t, rng=np.random.default_rng(0))
        _message_ok(info.value, op, ["image", *words])


def test_pil_modes_outside_l_rgb_rgba():
    from PIL import Image

    with pytest.raises(AugkitValueError, match=r"^Rotate: image PIL mode 'F'"):
        Rotate()(Image.new("F", (8, 6)))
    with pytest.raises(AugkitValueError, match="CMYK"):
        Rotate()(Image.new("CMYK", (8, 6)))


def test_keypoint_pairs_out_of_range_is_typed():
    s = Sample(IMG, keypoints=np.zeros((2, 3, 3), np.float32))
    with pytest.raises(AugkitValueError, match=r"^HFlip: keypoint_pairs .*\(0, 5\).*\(2, 3, 3\)"):
        HFlip(p=1.0, keypoint_pairs=[(0, 5)])(s, rng=np.random.default_rng(0))


def test_replay_with_wrong_step_count_is_typed():
    seq = Seq((HFlip(), Rotate()))
    with pytest.raises(AugkitValueError, match=r"^Seq: params have 1 steps; expected 2"):
        seq.apply(Sample(IMG), {"steps": [{"flip": True}]})


def test_rng_must_be_a_generator():
    with pytest.raises(AugkitTypeError, match=r"^Rotate: rng is int; expected a numpy"):
        Rotate()(IMG, rng=0)
