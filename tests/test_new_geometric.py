"""The geometric ops issue 15 adds: CenterCrop, LongestMaxSize, SmallestMaxSize, PadIfNeeded,
RandomRotate90, Transpose, D4.

Contract (`check_op` with mask, boxes and keypoints, uint8 and float32), exactness of the
targets (a pixel's value, its mask label and a keypoint on its centre land together), the
direct image paths against the matrix warp, typed errors, and reference tests against
albumentations 2.0.8 (and torchvision v2 where it has the transform) on COCO128 photos, with
the parameters forced to the same values. Tolerance: exact (0 levels) everywhere except the
torchvision resize, which interpolates uint8 its own way (mean difference < 0.5 level).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import coco_photos
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit.core import GeometricOp
from augkit.errors import AugkitValueError
from augkit.functional import dihedral as D
from augkit.poor.center_crop import CenterCrop
from augkit.poor.d4 import D4
from augkit.poor.longest_max_size import LongestMaxSize
from augkit.poor.pad_if_needed import PadIfNeeded
from augkit.poor.rotate90 import RandomRotate90
from augkit.poor.smallest_max_size import SmallestMaxSize
from augkit.poor.transpose import Transpose
from augkit.sample import Sample
from augkit.testing import check_op, example_instances, images, samples, seeds

CLASSES = (CenterCrop, LongestMaxSize, SmallestMaxSize, PadIfNeeded, RandomRotate90, Transpose,
           D4)
INSTANCES = [op for cls in CLASSES for op in example_instances(cls)] + [
    RandomRotate90(p=0.5), Transpose(p=1.0), D4(p=0.6), CenterCrop(size=3, pad_if_needed=False),
    PadIfNeeded(min_height=None, min_width=None, pad_height_divisor=7, pad_width_divisor=5,
                position="bottom_right", fill=(0.1, 0.2, 0.3, 0.4, 0.5))]
IDS = [f"{type(op).__name__}-{i}" for i, op in enumerate(INSTANCES)]
N_PHOTOS = 4


@pytest.fixture(scope="module")
def photos(shared_data):
    return coco_photos(shared_data, 0, N_PHOTOS)  # writable, for torch


def _op_on(op, img, params):
    return op.apply(Sample(img), params).image


# --- contract ---------------------------------------------------------------------------------

@pytest.mark.parametrize("op", INSTANCES, ids=IDS)
@settings(max_examples=15)
@given(s=samples(max_side=20), seed=seeds())
def test_contract_with_every_target(op, s, seed):
    if isinstance(op, CenterCrop) and not op.pad_if_needed:
        big = max(op.size if isinstance(op.size, tuple) else (op.size,))
        if min(s.size) < big:
            return  # refused with a typed error: test_center_crop_refuses_a_larger_window
    if isinstance(op, PadIfNeeded) and isinstance(op.fill, tuple):
        return  # a 5-value fill fits 5-channel images only: test_pad_if_needed_reference
    check_op(op, s, seed)


@pytest.mark.parametrize("op", INSTANCES, ids=IDS)
@settings(max_examples=15)
@given(img=images(max_side=30), seed=seeds())
def test_direct_image_path_equals_the_matrix_warp(op, img, seed):
    """`_warp_only` (slice, copyMakeBorder, resize) gives exactly the pixels of the general
    warp of `matrix(params)`; the D4 family (which moves pixels by exact copies on every path)
    gives exactly numpy's rot90 / flip / transpose."""
    if isinstance(op, PadIfNeeded) and isinstance(op.fill, tuple):
        img = np.zeros(img.shape[:2] + (5,), img.dtype)
    try:
        params = op.sample(np.random.default_rng(seed), Sample(img))
    except AugkitValueError:
        assert isinstance(op, CenterCrop) and not op.pad_if_needed
        return
    if isinstance(op, (RandomRotate90, Transpose, D4)):  # exact copies on every path
        want = D._numpy(img, op._element(params))
        got = op.apply(Sample(img), params).image
        np.testing.assert_array_equal(op._warp_only(img, params), want)
    else:
        want = GeometricOp._warp_only(op, img, params)
        got = op._warp_only(img, params)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert got.flags.c_contiguous or got.base is img or got.base is img.base  # no rot90 view


def _labelled(h, w, c=3):
    """An image whose pixels are all different, its mask the same labels, a box per pixel
    and a keypoint on every pixel centre."""
    idx = np.arange(h * w).reshape(h, w)
    img = np.stack([idx % 251, (idx // 251) % 251, (idx * 7) % 256][:c], -1).astype(np.uint8)
    ys, xs = np.divmod(np.arange(h * w), w)
    kp = np.stack([xs + 0.5, ys + 0.5, np.full(h * w, 2.0)], -1).astype(np.float32)
    boxes = np.stack([xs, ys, xs + 1, ys + 1], -1).astype(np.float32)
    return Sample(img, mask=idx.astype(np.int32), boxes=boxes, keypoints=kp), idx


@pytest.mark.parametrize("element", D.ELEMENTS)
@pytest.mark.parametrize("hw", [(5, 7), (6, 6), (1, 4)])
def test_d4_moves_pixels_masks_boxes_and_keypoints_exactly(element, hw):
    s, idx = _labelled(*hw)
    out = D4().apply(s, {"group_element": element})
    np.testing.assert_array_equal(out.image, D._numpy(s.image, element))
    np.testing.assert_array_equal(out.mask, D._numpy(idx, element))
    # the keypoint on pixel k lands on the centre of the pixel where label k went
    kx, ky = out.keypoints[:, 0], out.keypoints[:, 1]
    assert np.all(kx % 1 == 0.5) and np.all(ky % 1 == 0.5)
    np.testing.assert_array_equal(out.mask[ky.astype(int), kx.astype(int)], idx.ravel())
    np.testing.assert_array_equal(out.boxes, np.stack([kx - 0.5, ky - 0.5, kx + 0.5, ky + 0.5],
                                                      -1))
    assert (out.keypoints[:, 2] == 2).all()


@pytest.mark.parametrize("factor", [0, 1, 2, 3])
def test_rot90_and_transpose_keypoints_match_albumentations(factor):
    """albumentations' keypoints are pixel indices (x' = W - 1 - x): ours are edges, so
    they agree after a half-pixel shift, exactly."""
    import albumentations as A

    rng = np.random.default_rng(factor)
    img = rng.integers(0, 256, (9, 13, 3), dtype=np.uint8)
    kp = np.c_[rng.uniform(0, 12, 6), rng.uniform(0, 8, 6)].astype(np.float32)
    ours = RandomRotate90().apply(Sample(img, keypoints=kp + 0.5), {"factor": factor})
    pipe = A.Compose([A.RandomRotate90(p=1.0)], keypoint_params=A.KeypointParams("xy"))
    t = pipe.transforms[0]
    theirs = t.apply_to_keypoints(np.c_[kp, np.zeros((6, 3))], factor=factor,
                                  shape=img.shape)[:, :2]
    np.testing.assert_allclose(ours.keypoints - 0.5, theirs, atol=1e-5)
    tr = Transpose(p=1.0).apply(Sample(img, keypoints=kp + 0.5), {"transpose": True})
    np.testing.assert_allclose(tr.keypoints - 0.5, kp[:, ::-1], atol=1e-6)


# --- references on COCO128 ---------------------------------------------------------------

def test_d4_rot90_transpose_match_albumentations(photos):
    import albumentations as A

    for img in photos:
        for e in D.ELEMENTS:
            want = A.D4(p=1.0).apply(img, group_element=e)
            np.testing.assert_array_equal(_op_on(D4(), img, {"group_element": e}), want)
        for k in range(4):
            want = A.RandomRotate90(p=1.0).apply(img, factor=k)
            np.testing.assert_array_equal(_op_on(RandomRotate90(), img, {"factor": k}), want)
        want = A.Transpose(p=1.0).apply(img)
        np.testing.assert_array_equal(_op_on(Transpose(), img, {"transpose": True}), want)
        f = img.astype(np.float32) / 255
        np.testing.assert_array_equal(_op_on(D4(), f, {"group_element": "hvt"}),
                                      A.D4(p=1.0).apply(f, group_element="hvt"))


@pytest.mark.parametrize("size", [(200, 300), (201, 301), (480, 640), (300, 700)])
def test_center_crop_matches_albumentations_and_torchvision(photos, size):
    import albumentations as A
    import torch
    import torchvision.transforms.v2.functional as TF

    h, w = size
    for img in photos:
        H, W = img.shape[:2]
        ours = CenterCrop(size=size, pad_if_needed=True)(img, np.random.default_rng(0))
        albu = A.CenterCrop(h, w, pad_if_needed=True, border_mode=0, fill=0, p=1.0)
        np.testing.assert_array_equal(ours, albu(image=img)["image"])
        # torchvision rounds (H - h) / 2 half to even: equal where that is a whole number
        if (H - h) % 2 == 0 and (W - w) % 2 == 0:
            tv = TF.center_crop(torch.from_numpy(img).permute(2, 0, 1), [h, w])
            np.testing.assert_array_equal(ours, tv.permute(1, 2, 0).numpy())


def test_center_crop_moves_targets_as_albumentations(photos):
    import albumentations as A

    img = photos[0]
    boxes = np.array([[100.0, 80.0, 300.0, 260.0], [0.0, 0.0, 640.0, 10.0]], np.float32)
    kp = np.array([[320.0, 240.0], [150.5, 100.25]], np.float32)
    ours = CenterCrop(size=(300, 400))(Sample(img, boxes=boxes, keypoints=kp + 0.5),
                                       np.random.default_rng(0))
    pipe = A.Compose([A.CenterCrop(300, 400, p=1.0)],
                     bbox_params=A.BboxParams("pascal_voc", label_fields=[], clip=True,
                                              min_visibility=0.0, min_area=0.0),
                     keypoint_params=A.KeypointParams("xy", remove_invisible=False))
    theirs = pipe(image=img, bboxes=boxes, keypoints=kp)
    np.testing.assert_allclose(ours.keypoints - 0.5, np.asarray(theirs["keypoints"]), atol=1e-4)
    np.testing.assert_allclose(ours.boxes[:1], np.asarray(theirs["bboxes"])[:1], atol=1e-3)


@pytest.mark.parametrize("cls,acls", [(LongestMaxSize, "LongestMaxSize"),
                                      (SmallestMaxSize, "SmallestMaxSize")])
@pytest.mark.parametrize("side,interp", [(256, "linear"), (333, "linear"), (1000, "linear"),
                                         (160, "area"), (400, "nearest")])
def test_max_size_matches_albumentations(photos, cls, acls, side, interp):
    import albumentations as A
    import cv2

    flag = {"linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA,
            "nearest": cv2.INTER_NEAREST_EXACT}[interp]
    for img in photos:
        ours = cls(max_size=side, interpolation=interp)(img, np.random.default_rng(0))
        want = getattr(A, acls)(max_size=side, interpolation=flag, p=1.0)(image=img)["image"]
        assert ours.shape == want.shape
        np.testing.assert_array_equal(ours, want)


def test_smallest_max_size_against_torchvision_resize(photos):
    """torchvision's Resize(int) truncates the long side where albumentations rounds; where
    the two sizes agree, bilinear uint8 pixels are within half a level on average."""
    import torch
    import torchvision.transforms.v2.functional as TF

    for img in photos:
        ours = SmallestMaxSize(max_size=224)(img, np.random.default_rng(0))
        t = TF.resize(torch.from_numpy(img).permute(2, 0, 1), 224, antialias=False)
        tv = t.permute(1, 2, 0).numpy()
        assert abs(ours.shape[0] - tv.shape[0]) <= 1 and abs(ours.shape[1] - tv.shape[1]) <= 1
        if ours.shape == tv.shape:
            assert np.abs(ours.astype(float) - tv).mean() < 0.5


@pytest.mark.parametrize("position", ["center", "top_left", "top_right", "bottom_left",
                                      "bottom_right"])
def test_pad_if_needed_matches_albumentations(photos, position):
    import albumentations as A

    for img in photos:
        for kw in ({"min_height": 701, "min_width": 900},
                   {"min_height": None, "min_width": None, "pad_height_divisor": 64,
                    "pad_width_divisor": 96}):
            ours = PadIfNeeded(**kw, position=position, fill=(10, 20, 30))(
                img, np.random.default_rng(0))
            want = A.PadIfNeeded(**kw, position=position, border_mode=0, fill=(10, 20, 30),
                                 p=1.0)(image=img)["image"]
            np.testing.assert_array_equal(ours, want)


def test_pad_if_needed_moves_keypoints_and_mask():
    s, idx = _labelled(5, 6)
    op = PadIfNeeded(min_height=9, min_width=8, position="random", mask_fill=-1)
    out, params = op.sample_apply(np.random.default_rng(3), s)
    t, left = params["top"], params["left"]
    assert out.image.shape[:2] == (9, 8) and 0 <= t <= 4 and 0 <= left <= 2
    np.testing.assert_array_equal(out.mask[t:t + 5, left:left + 6], idx)
    assert (out.mask == -1).sum() == 9 * 8 - 30
    np.testing.assert_array_equal(out.keypoints[:, :2], s.keypoints[:, :2] + [left, t])


# --- typed errors and draws ------------------------------------------------------------------

def test_center_crop_refuses_a_larger_window():
    img = np.zeros((10, 30, 3), np.uint8)
    with pytest.raises(AugkitValueError, match=r"CenterCrop: pad_if_needed is False and the "
                                               r"window size \(12, 8\).*\(10, 30\)"):
        CenterCrop(size=(12, 8), pad_if_needed=False)(img)
    skipped = CenterCrop(size=(12, 8), pad_if_needed=False, p=0.0)(img)
    assert skipped.shape == (10, 30, 3)  # skipped: no window
    assert CenterCrop(size=(12, 8))(img).shape == (12, 8, 3)  # padded by default


@pytest.mark.parametrize("make,match", [
    (lambda: CenterCrop(size=0), "CenterCrop: size is 0"),
    (lambda: CenterCrop(pad_if_needed=1), "CenterCrop: pad_if_needed is 1"),
    (lambda: LongestMaxSize(max_size=()), r"LongestMaxSize: max_size is \(\)"),
    (lambda: SmallestMaxSize(max_size=1.5), "SmallestMaxSize: max_size is 1.5"),
    (lambda: PadIfNeeded(min_height=None), "PadIfNeeded: min_height is None and "
                                           "pad_height_divisor is None"),
    (lambda: PadIfNeeded(pad_width_divisor=4), "PadIfNeeded: pad_width_divisor is 4 and "
                                               "min_width is 1024"),
    (lambda: PadIfNeeded(min_height=None, pad_height_divisor=True),
     "PadIfNeeded: pad_height_divisor is True"),
    (lambda: PadIfNeeded(position="middle"), "PadIfNeeded: position is 'middle'"),
    (lambda: RandomRotate90(p=1.5), "RandomRotate90: p is 1.5"),
    (lambda: Transpose(p=True), "Transpose: p is True"),
    (lambda: D4(p=-0.1), "D4: p is -0.1"),
])
def test_bad_fields_are_typed_errors(make, match):
    with pytest.raises(AugkitValueError, match=match):
        make()


def test_d4_replay_with_an_unknown_element_is_a_typed_error():
    with pytest.raises(AugkitValueError, match="D4: params group_element is 'x'"):
        D4().apply(Sample(np.zeros((4, 4), np.uint8)), {"group_element": "x"})


def test_max_size_beyond_the_side_bound_is_a_typed_error():
    with pytest.raises(AugkitValueError, match=r"SmallestMaxSize: max_size is 30000: it makes "
                                               r"image sides \(1, 3\) into \(30000, 90000\)"):
        SmallestMaxSize(max_size=30000)(np.zeros((1, 3, 3), np.uint8))


@given(seed=seeds())
def test_draws_are_uniform_over_their_choices_and_respect_p(seed):
    rng = np.random.default_rng(seed)
    s = Sample(np.zeros((4, 6), np.uint8))
    elements = [D4().sample(rng, s)["group_element"] for _ in range(400)]
    counts = np.array([elements.count(e) for e in D.ELEMENTS])
    assert counts.min() > 20  # each of the 8 about 50 times
    assert all(RandomRotate90(p=0.0).sample(rng, s)["factor"] == 0 for _ in range(20))
    sizes = {LongestMaxSize(max_size=(3, 12)).sample(rng, s)["width"] for _ in range(60)}
    assert sizes == {3, 12}


@settings(max_examples=10)
@given(seed=seeds(), op=st.sampled_from([D4(), RandomRotate90(), Transpose(),
                                         CenterCrop(size=5, pad_if_needed=True),
                                         PadIfNeeded(min_height=20, min_width=9),
                                         LongestMaxSize(max_size=(7, 9))]))
def test_batch_path_equals_the_per_image_path(seed, op):
    imgs = np.random.default_rng(seed).integers(0, 256, (4, 12, 12, 3), dtype=np.uint8)
    if isinstance(op, LongestMaxSize):
        op = LongestMaxSize(max_size=9)  # one output size for the whole batch
    rng = np.random.default_rng(seed)
    want = np.stack([op(im, rng) for im in imgs])
    got = op.batch(imgs, np.random.default_rng(seed))
    np.testing.assert_array_equal(got, want)
