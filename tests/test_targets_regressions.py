"""Regressions of issue 11: targets at the boundary, typed errors, keypoint visibility, PIL
whitening, and `check_op`'s dot test (targets follow the pixels)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch
from PIL import Image

import augkit as A
from augkit import Sample
from augkit.compose import Seq
from augkit.core import GeometricOp, Op, PixelOp, registered_ops
from augkit.errors import AugkitError, AugkitTypeError, AugkitValueError, value_error
from augkit.poor import HFlip, VFlip
from augkit.sample import remove_invisible
from augkit.testing import check_op

IMG = np.zeros((40, 50, 3), np.uint8)  # H 40, W 50
PIXEL_OPS = [A.Blur(), A.ColorShift(brightness=0.3), A.Invert(), A.MotionBlur(), A.Identity()]


# --- 1. pixel ops leave every target identical -------------------------------------------

@pytest.mark.parametrize("op", PIXEL_OPS, ids=lambda o: type(o).__name__)
@pytest.mark.parametrize("box_dtype", [np.int64, np.float64, np.float32, np.int32])
def test_pixel_ops_return_targets_untouched(op, box_dtype):
    """Blur used to return int64 boxes as float32, clipped to the image ([0, 0, 60, 60] on
    a 50x40 image came back [0, 0, 50, 40]) while keypoints stayed float64, unclipped."""
    boxes = np.array([[0, 0, 60, 60], [5, 6, 7, 8]], box_dtype)
    kp = np.array([[[70.0, 3.0, 2.0], [-4.0, 5.0, 1.0]]])  # off the image, still visible
    labels = np.array([3, 4])
    s = Sample(IMG, mask=np.zeros((40, 50), np.int64), boxes=boxes, box_labels=labels,
               keypoints=kp)
    out = op(s, rng=np.random.default_rng(0))
    for f in ("mask", "boxes", "box_labels", "keypoints"):
        assert getattr(out, f) is getattr(s, f), f  # the very objects: nothing normalised
    assert out.boxes.dtype == box_dtype and out.boxes[0].tolist() == [0, 0, 60, 60]


def test_targets_given_as_lists_become_arrays_once():
    s = Sample(IMG, boxes=[[1, 2, 3, 4]], box_labels=[7], keypoints=[[1.5, 2.5]])
    out = A.Blur()(s, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out.boxes, np.asarray([[1, 2, 3, 4]]))
    assert out.boxes.dtype == np.asarray([[1, 2, 3, 4]]).dtype
    assert isinstance(out.box_labels, np.ndarray) and isinstance(out.keypoints, np.ndarray)


def test_moved_targets_follow_one_rule():
    """A geometric op returns boxes and keypoints as float32 (float64 kept), boxes clipped
    to the output, keypoints unclipped and hidden when they leave it."""
    for dt, want in ((np.int64, np.float32), (np.float32, np.float32),
                     (np.float64, np.float64)):
        s = Sample(IMG, boxes=np.array([[0, 0, 60, 60]], dt),
                   keypoints=np.array([[70, 3, 2]], dt))
        out = A.HFlip(p=1.0)(s, rng=np.random.default_rng(0))
        assert out.keypoints.dtype == want
        assert out.boxes.dtype in (np.float32, want)
        np.testing.assert_array_equal(out.boxes, [[0, 0, 50, 40]])
        assert out.keypoints.tolist() == [[50 - 70, 3, 0]]


# --- 2 and 3. typed errors naming op, field and shape --------------------------------------

BAD = [
    (dict(boxes=np.array([[np.nan, 0, 1, 1]])), AugkitValueError, r"boxes of shape \(1, 4\) "
     r"contain NaN"),
    (dict(boxes=np.array([[0, 0, np.inf, 1]])), AugkitValueError, r"boxes of shape \(1, 4\)"),
    (dict(boxes=np.array([[5.0, 0, 1, 1]])), AugkitValueError, r"boxes of shape \(1, 4\): row "
     "0 .* inverted"),
    (dict(boxes=[[0, 0, 1, 1], [0, 1]]), AugkitValueError, r"boxes are a ragged list \(row "
     r"lengths \[2, 4\]\)"),
    (dict(boxes=np.ones((2, 4), bool)), AugkitTypeError, r"boxes have dtype bool \(2, 4\)"),
    (dict(boxes=np.array([["a", "b", "c", "d"]])), AugkitTypeError,
     r"boxes have dtype <U1 \(1, 4\)"),
    (dict(keypoints=np.array([[np.nan, 0.0, 0.0]])), AugkitValueError,
     r"keypoints of shape \(1, 3\) contain NaN .*unlabelled keypoint \(0, 0, 0\)"),
    (dict(keypoints=np.array([["a", "b"]])), AugkitTypeError,
     r"keypoints have dtype <U1 \(1, 2\)"),
    (dict(keypoints=[[1.0, 2.0], [3.0]]), AugkitValueError, "keypoints are a ragged list"),
    (dict(boxes=np.zeros((1, 4)), box_labels=[[1], [2, 3]]), AugkitValueError,
     "box_labels are a ragged list"),
]


@pytest.mark.parametrize("op", [A.Blur(), A.Rotate(10), A.Seq([A.HFlip(), A.Blur()])],
                         ids=lambda o: type(o).__name__)
@pytest.mark.parametrize("targets, err, match", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_targets_get_typed_errors_with_the_shape(op, targets, err, match):
    with pytest.raises(err, match=f"^{type(op).__name__}: {match}"):
        op(Sample(IMG, **targets), rng=np.random.default_rng(0))


@pytest.mark.parametrize("make, err, match", [
    (lambda: torch.zeros(3, 8, 8, device="meta"), AugkitValueError,
     r"image tensor is on the 'meta' device \(3, 8, 8\)"),
    (lambda: torch.zeros(3, 8, 8).to_sparse(), AugkitTypeError,
     r"image tensor has layout torch.sparse_coo \(3, 8, 8\)"),
    (lambda: torch.full((3, 8, 9), 2.0), AugkitValueError,
     r"image of shape \(3, 8, 9\) has float32 values in \[2, 2\]"),  # the shape given, CHW
    (lambda: torch.full((3, 8, 9), float("nan")), AugkitValueError,
     r"image of shape \(3, 8, 9\) contains NaN"),
])
def test_bad_tensors_get_typed_errors_naming_the_given_shape(make, err, match):
    with pytest.raises(err, match=f"^Blur: {match}"):
        A.Blur()(make())


@pytest.mark.parametrize("make, err, match", [
    (lambda: torch.zeros(2, 3, 8, 8, device="meta"), AugkitValueError, "'meta' device"),
    (lambda: torch.zeros(2, 3, 8, 8).to_sparse(), AugkitTypeError, "layout torch.sparse_coo"),
])
def test_bad_tensor_batches_get_typed_errors(make, err, match):
    with pytest.raises(err, match=f"^HFlip: images tensor .*{match}"):
        A.HFlip().batch(make())


# --- 4. whitening a PIL image ---------------------------------------------------------------

@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
@pytest.mark.parametrize("op", [A.Whiten(), A.Seq([A.HFlip(), A.Whiten()])],
                         ids=lambda o: type(o).__name__)
def test_whitening_a_pil_image_is_refused_with_what_to_pass(mode, op):
    """Whiten used to crash inside PIL on RGB and return mode 'F' for 'L'."""
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (6, 7, len(mode)),
                                                             dtype=np.uint8).squeeze())
    with pytest.raises(AugkitTypeError, match=rf"^{type(op).__name__}: input is a PIL image "
                       rf"\(mode '{mode}', size \(7, 6\)\).*pass np.asarray\(img\)"):
        op(img, rng=np.random.default_rng(0))
    out = op(np.asarray(img), rng=np.random.default_rng(0))  # what the message says works
    assert out.dtype == np.float32 and abs(float(out.mean())) < 1e-5
    A.HFlip()(img)  # other ops still take PIL


# --- 5. keypoints: the visibility rule on real COCO keypoints ------------------------------

COCO_PAIRS = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16))


def _coco_people(shared_data):
    root = shared_data / "keypoints_mmpose" / "coco"
    j = json.loads((root / "test_coco.json").read_text())
    by_id = {im["id"]: im for im in j["images"]}
    for im_id in sorted({a["image_id"] for a in j["annotations"]}):
        img = np.asarray(Image.open(root / by_id[im_id]["file_name"]).convert("RGB"))
        kp = np.array([a["keypoints"] for a in j["annotations"] if a["image_id"] == im_id],
                      np.float64).reshape(-1, 17, 3)
        yield img, kp


def test_coco_keypoints_keep_their_visibility_and_move_with_the_flip(shared_data):
    seen_unlabelled = 0
    for img, kp in _coco_people(shared_data):
        h, w = img.shape[:2]
        unlabelled = kp[..., 2] == 0
        seen_unlabelled += int(unlabelled.sum())
        assert (kp[unlabelled][:, :2] == 0).all()  # COCO writes them (0, 0, 0)
        out = A.HFlip(p=1.0, keypoint_pairs=COCO_PAIRS)(Sample(img, keypoints=kp))
        order = np.arange(17)
        for a, b in COCO_PAIRS:
            order[a], order[b] = b, a
        want = kp[:, order].copy()
        want[..., 0] = w - want[..., 0]  # the rule: every point's xy moves with the pixels
        np.testing.assert_allclose(out.keypoints, want)
        assert ((out.keypoints[..., 2] == 0) == unlabelled[:, order]).all()
        kept, where = remove_invisible(out.keypoints, (h, w))
        assert (kept[:, 2] > 0).all() and len(kept) == int((~unlabelled).sum())
        np.testing.assert_array_equal(kept, out.keypoints[where])
        assert (~unlabelled[:, order])[where].all()  # labels shaped (P, 17) follow
    assert seen_unlabelled > 0


def test_remove_invisible_drops_hidden_and_off_image_points(shared_data):
    for img, kp in _coco_people(shared_data):
        h, w = img.shape[:2]
        out = A.Seq([A.Rotate(degrees=(40, 40)), A.Crop(size=(h // 2, w // 2))])(
            Sample(img, keypoints=kp), rng=np.random.default_rng(1))
        oh, ow = out.size
        kept, where = remove_invisible(out.keypoints, (oh, ow))
        v = out.keypoints[..., 2] > 0
        assert len(kept) == int(v.sum())  # ops already hide what leaves the image
        assert ((kept[:, 0] >= 0) & (kept[:, 0] <= ow) & (kept[:, 1] >= 0)
                & (kept[:, 1] <= oh)).all()
        xy, _ = remove_invisible(out.keypoints[..., :2], (oh, ow))  # no visibility: size
        inside = ((out.keypoints[..., 0] >= 0) & (out.keypoints[..., 0] <= ow)
                  & (out.keypoints[..., 1] >= 0) & (out.keypoints[..., 1] <= oh))
        assert len(xy) == int(inside.sum())
    with pytest.raises(AugkitValueError, match="remove_invisible: size is None"):
        remove_invisible(np.zeros((3, 2)))
    with pytest.raises(AugkitValueError, match="remove_invisible: keypoints have shape"):
        remove_invisible(np.zeros((3, 4)))


# --- 6. check_op's dot test -------------------------------------------------------------------

@dataclass(frozen=True)
class _RollsImage(Op):
    """Moves the image but not the mask (the issue's example), declared non-geometric."""

    dx: int = 3

    def apply(self, s, params):
        return s.replace(image=np.roll(s.image, self.dx, 1))


@dataclass(frozen=True)
class _RollsImageGeometric(GeometricOp):
    """The same, declared geometric with an identity matrix."""

    dx: int = 3

    def matrix(self, params, size):
        return np.eye(3)

    def apply(self, s, params):
        return s.replace(image=np.roll(s.image, self.dx, 1))


@dataclass(frozen=True)
class _FlipsImageOnly(PixelOp):
    """A 'pixel' op that mirrors the image: targets stay, pixels moved."""

    def image(self, img, params):
        return img[:, ::-1].copy()


@dataclass(frozen=True)
class _MovesImageAndMaskNotKeypoints(GeometricOp):
    changes_targets: ClassVar[bool] = True

    def matrix(self, params, size):
        return np.eye(3)

    def apply(self, s, params):
        return s.replace(image=np.roll(s.image, 4, 1),
                         mask=None if s.mask is None else np.roll(s.mask, 4, 1))


@pytest.mark.parametrize("op", [_RollsImage(), _RollsImage(dx=-2), _RollsImageGeometric(),
                                _FlipsImageOnly(), _MovesImageAndMaskNotKeypoints()],
                         ids=lambda o: f"{type(o).__name__}")
@pytest.mark.parametrize("sample", [None, Sample(np.zeros((6, 5), np.float32)),
                                    Sample(np.zeros((3, 9, 4), np.uint8))],
                         ids=["default", "grey-image-only", "rgba-image-only"])
def test_check_op_catches_ops_whose_targets_stay_behind(op, sample):
    with pytest.raises(AssertionError, match="(do not follow the pixels|off the image's blob|"
                                             "from the image's blob|outside the moved box)"):
        check_op(op, sample, seed=0)


# --- check_op itself catches broken ops (moved from test_contract.py) -------------------

@dataclass(frozen=True)
class _Mutates(PixelOp):
    def image(self, img, params):
        img[0, 0] = 0 if img[0, 0].max() else 1
        return img


@dataclass(frozen=True)
class _Unseeded(PixelOp):
    def sample(self, rng, s):
        return {"v": float(np.random.default_rng().random())}

    def image(self, img, params):
        return (img * 0 + params["v"] * 0.5).astype(img.dtype) if img.dtype == np.float32 \
            else np.full_like(img, int(params["v"] * 255))


@dataclass(frozen=True)
class _NotJson(PixelOp):
    def sample(self, rng, s):
        return {"v": np.float32(rng.random())}

    def image(self, img, params):
        return img


@dataclass(frozen=True)
class _MovesBoxes(PixelOp):
    def apply(self, s, params):
        return s.replace(boxes=None if s.boxes is None else s.boxes + 1)


@dataclass(frozen=True)
class _Float64(PixelOp):
    def image(self, img, params):
        return img.astype(np.float64) / 255.0


@dataclass(frozen=True)
class _RgbOnly(PixelOp):
    """Declares it takes 3 channels only, and keeps its word."""

    accepts_channels: ClassVar[tuple[int, ...]] = (3,)

    def image(self, img, params):
        if img.ndim != 3 or img.shape[2] != 3:
            raise value_error(self, "image", f"has shape {img.shape}; expected RGB")
        return img[..., ::-1].copy()


@dataclass(frozen=True)
class _RefusesUndeclared(PixelOp):
    """Refuses non-RGB images without declaring it."""

    def image(self, img, params):
        return _RgbOnly().image(img, params)


@dataclass(frozen=True)
class _ClaimsRgbOnly(PixelOp):
    """Declares it takes 3 channels only, but silently takes anything."""

    accepts_channels: ClassVar[tuple[int, ...]] = (3,)

    def image(self, img, params):
        return img


@dataclass(frozen=True)
class _LeavesBoxesBehind(GeometricOp):
    """Shifts the image but, wrongly, not through the matrix: boxes stay put."""

    def matrix(self, params, size):
        return np.eye(3)

    def apply(self, s, params):
        return s.replace(image=np.roll(s.image, 3, axis=1))


@pytest.mark.parametrize("op, match", [
    (_Mutates(), "input was modified"),
    (_Unseeded(), "same seed"),
    (_NotJson(), "JSON"),
    (_MovesBoxes(), "non-geometric op changed a target"),
    (_Float64(), "dtype"),
    (HFlip(p=1.0), None),
])
def test_check_op_catches_broken_ops(op, match):
    if match is None:
        check_op(op)
        return
    with pytest.raises(AssertionError, match=match):
        check_op(op)


def test_check_op_holds_ops_to_their_accepted_channels():
    grey5 = Sample(np.zeros((6, 7, 5), np.uint8))
    check_op(_RgbOnly(), grey5)  # 5 channels: refused with an AugkitError, as declared
    check_op(Seq((HFlip(p=1.0), _RgbOnly())), grey5)  # refused through a combinator too
    with pytest.raises(AssertionError, match="declares accepts_channels"):
        check_op(_ClaimsRgbOnly(), grey5)
    with pytest.raises(AugkitError, match="expected RGB"):  # undeclared: the error escapes
        check_op(_RefusesUndeclared(), grey5)


def test_dot_check_catches_targets_left_behind():
    with pytest.raises(AssertionError, match="targets do not follow the pixels"):
        check_op(_LeavesBoxesBehind())


def test_unregistered_private_ops_stay_out_of_the_registry():
    assert not any(n.startswith("_") for n in registered_ops())
    assert issubclass(_Mutates, Op)


def test_seq_does_not_fuse_geometric_ops_that_override_apply():
    """A GeometricOp subclass with its own apply keeps its behaviour inside a Seq."""
    img = np.random.default_rng(0).integers(0, 256, (10, 12, 3), dtype=np.uint8)
    steps = (HFlip(p=1.0), _LeavesBoxesBehind(), VFlip(p=1.0))
    out = Seq(steps)(img, rng=np.random.default_rng(0))
    ref = Seq(steps, fuse=False)(img, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(out, np.roll(img[:, ::-1], 3, axis=1)[::-1])


def test_autocontrast_of_a_subnormal_span_stays_finite():
    img = np.array([[[0.0, 0.5]], [[np.float32(1.4e-45), 0.25]]], np.float32)
    assert np.isfinite(A.AutoContrast()(img)).all()


def test_sanitize_boxes_keeps_a_small_visible_box_next_to_integer_keypoints():
    """Box corners travel as keypoints: integer keypoints must not round them (a box inside
    one pixel would lose its area and be dropped as invisible)."""
    from augkit.poor import HFlip, SanitizeBoxes

    op = SanitizeBoxes(op=HFlip(p=1.0), min_size=0.1, min_area=0.01, min_visibility=0.5)
    img = np.zeros((12, 12, 3), np.uint8)
    boxes = np.array([[4.2, 4.2, 4.9, 4.9], [2.0, 2.0, 9.9, 9.9]])
    outs = [op(A.Sample(img, boxes=boxes, keypoints=kp), rng=np.random.default_rng(0))
            for kp in (np.array([[1.0, 1.0, 2.0]]), np.array([[1, 1, 2]]))]
    assert len(outs[0].boxes) == len(outs[1].boxes) == 2
    assert np.allclose(outs[0].boxes, outs[1].boxes)
