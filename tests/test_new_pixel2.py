"""The pixel ops of issue 15, second part: HueSaturationValue, CLAHE, JpegCompression,
PlanckianJitter.

Contract (`check_op` on uint8 / float32 images of 1, 3, 4 and 5 channels, refused layouts
included), typed errors, replays, and reference tests against albumentations 2.0.8 (its
`apply` with the parameters forced to ours) on COCO128 photos. Tolerances: HueSaturationValue,
CLAHE and JpegCompression identical on uint8 and on float32 (both go through uint8 as
albumentations' ``uint8_io``), grey images included; PlanckianJitter within 1 level on uint8
(albumentations truncates its table, augkit rounds) and 1e-6 on float32.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from conftest import coco_photos
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit.errors import AugkitError, AugkitValueError
from augkit.functional import albu_pixel as AP
from augkit.poor.clahe import CLAHE
from augkit.poor.hue_saturation_value import HueSaturationValue
from augkit.poor.jpeg_compression import JpegCompression
from augkit.poor.planckian_jitter import PlanckianJitter
from augkit.sample import Sample
from augkit.testing import check_op, example_instances, samples, seeds

CLASSES = (HueSaturationValue, CLAHE, JpegCompression, PlanckianJitter)
INSTANCES = [op for cls in CLASSES for op in example_instances(cls)] + [
    HueSaturationValue(hue_shift_limit=(-90, 90), sat_shift_limit=255, val_shift_limit=(0, 80),
                       p=1.0),
    CLAHE(clip_limit=(1.0, 40.0), tile_grid_size=(3, 5), p=1.0), CLAHE(clip_limit=2, p=1.0),
    JpegCompression(quality=(1, 100), p=1.0), JpegCompression(quality=5, rgb=True, p=1.0),
    PlanckianJitter(p=1.0), PlanckianJitter(temperature=(4000, 9000), mode="cied", p=1.0)]
IDS = [f"{type(op).__name__}-{i}" for i, op in enumerate(INSTANCES)]


@pytest.fixture(scope="module")
def photos(shared_data):
    return coco_photos(shared_data, 8, 12)


def _apply(op, img, params):
    return op.apply(Sample(img), params).image


def _diff(a, b):
    return np.abs(a.astype(np.float64) - b.astype(np.float64)).max()


@pytest.mark.parametrize("op", INSTANCES, ids=IDS)
@settings(max_examples=15)
@given(s=samples(max_side=20), seed=seeds())
def test_contract(op, s, seed):
    check_op(op, s, seed)


# --- references on COCO128 ---------------------------------------------------------------

@pytest.mark.parametrize("hue,sat,val", [(-9.2, -27.5, -19.3), (15.7, 12.3, 7.9),
                                         (0.0, 30.0, 0.0), (179.5, -255.0, 255.0),
                                         (-0.4, 0.6, -0.9)])
def test_hue_saturation_value_matches_albumentations(photos, hue, sat, val):
    import albumentations as A

    t = A.HueSaturationValue(p=1.0)
    params = {"hue": hue, "sat": sat, "val": val}
    for img in photos:
        f = img.astype(np.float32) / 255
        np.testing.assert_array_equal(_apply(HueSaturationValue(), img, params),
                                      t.apply(img, hue_shift=hue, sat_shift=sat, val_shift=val))
        np.testing.assert_array_equal(_apply(HueSaturationValue(), f, params),
                                      t.apply(f, hue_shift=hue, sat_shift=sat, val_shift=val))
        grey = img[:, :, 1]
        with warnings.catch_warnings():  # albumentations warns that hue / sat do not apply
            warnings.simplefilter("ignore")
            want = t.apply(grey, hue_shift=hue, sat_shift=sat, val_shift=val)
        np.testing.assert_array_equal(_apply(HueSaturationValue(), grey, params), want)
    rgba = np.dstack([photos[0], photos[0][:, :, :1]])
    out = _apply(HueSaturationValue(), rgba, params)
    np.testing.assert_array_equal(out[:, :, 3], rgba[:, :, 3])
    np.testing.assert_array_equal(out[:, :, :3], _apply(HueSaturationValue(), photos[0], params))


def test_hue_shift_is_a_rotation_of_opencv_hue(photos):
    """An independent check of the hue rule: OpenCV's H moves by the shift mod 180."""
    import cv2

    img = photos[0]
    h0 = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    out = _apply(HueSaturationValue(), img, {"hue": 30.0, "sat": 0.0, "val": 0.0})
    # back through HSV once more: compare hue where the colour is saturated and bright
    h1 = cv2.cvtColor(out, cv2.COLOR_RGB2HSV)
    sure = (h0[:, :, 1] > 100) & (h0[:, :, 2] > 100)
    assert sure.sum() > 1000
    moved = (h1[:, :, 0][sure].astype(int) - h0[:, :, 0][sure] - 30) % 180
    assert np.mean(np.minimum(moved, 180 - moved) <= 2) > 0.99


@pytest.mark.parametrize("clip", [1.0, 2.5, 4.0, 17.0])
@pytest.mark.parametrize("grid", [(8, 8), (4, 6)])
def test_clahe_matches_albumentations(photos, clip, grid):
    import albumentations as A

    t = A.CLAHE(tile_grid_size=grid, p=1.0)
    op = CLAHE(tile_grid_size=grid)
    for img in photos:
        f = img.astype(np.float32) / 255
        np.testing.assert_array_equal(_apply(op, img, {"clip_limit": clip}),
                                      t.apply(img, clip_limit=clip))
        np.testing.assert_array_equal(_apply(op, f, {"clip_limit": clip}),
                                      t.apply(f, clip_limit=clip))
        grey = np.ascontiguousarray(img[:, :, 0])
        np.testing.assert_array_equal(_apply(op, grey, {"clip_limit": clip}),
                                      t.apply(grey, clip_limit=clip))


def test_clahe_on_grey_is_opencv_clahe(photos):
    import cv2

    grey = np.ascontiguousarray(photos[1][:, :, 2])
    want = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(grey)
    np.testing.assert_array_equal(_apply(CLAHE(), grey[:, :, None], {"clip_limit": 3.0}),
                                  want[:, :, None])


@pytest.mark.parametrize("q", [1, 30, 75, 99, 100])
def test_jpeg_matches_albumentations_for_every_channel_count(photos, q):
    import albumentations as A

    t = A.ImageCompression(p=1.0)
    for img in photos:
        f = img.astype(np.float32) / 255
        for x in (img, f, img[:, :, :1], img[:, :, :2], np.dstack([img, img[:, :, :2]])):
            ours = _apply(JpegCompression(), x, {"quality": q})
            want = t.apply(x, quality=q, image_type=".jpg")
            assert ours.shape == x.shape and ours.dtype == x.dtype
            np.testing.assert_array_equal(ours, want)
        grey = np.ascontiguousarray(img[:, :, 0])
        np.testing.assert_array_equal(_apply(JpegCompression(), grey, {"quality": q}),
                                      t.apply(grey, quality=q, image_type=".jpg"))


def test_jpeg_is_opencvs_codec_and_degrades_with_quality(photos):
    import cv2

    img = photos[2]
    ok, buf = cv2.imencode(".jpg", img, (cv2.IMWRITE_JPEG_QUALITY, 40))
    np.testing.assert_array_equal(_apply(JpegCompression(), img, {"quality": 40}),
                                  cv2.imdecode(buf, cv2.IMREAD_UNCHANGED))
    err = [np.abs(_apply(JpegCompression(), img, {"quality": q}).astype(int) - img).mean()
           for q in (5, 40, 95)]
    assert err[0] > err[1] > err[2] > 0


@pytest.mark.parametrize("q", [20, 75, 95])
def test_jpeg_rgb_matches_torchvision(photos, q):
    import torch
    import torchvision.transforms.v2.functional as TF

    for img in photos:
        rgba = np.dstack([img, img[:, :, 1]])
        ours = _apply(JpegCompression(rgb=True), rgba, {"quality": q})
        tv = TF.jpeg(torch.from_numpy(img).permute(2, 0, 1), q).permute(1, 2, 0).numpy()
        np.testing.assert_array_equal(ours[:, :, :3], tv)
        np.testing.assert_array_equal(ours[:, :, 3], _apply(JpegCompression(), rgba,
                                                            {"quality": q})[:, :, 3])


@pytest.mark.parametrize("mode", ["blackbody", "cied"])
def test_planckian_matches_albumentations(photos, mode):
    import albumentations as A
    from albumentations.augmentations.pixel.functional import PLANCKIAN_COEFFS

    t = A.PlanckianJitter(mode=mode, p=1.0)
    first = AP.PLANCKIAN[mode][0]
    temps = [first, first + 122, 5999, 6000, 6543, 14999, 15000]
    for img in photos:
        f = img.astype(np.float32) / 255
        for k in temps:
            op = PlanckianJitter(mode=mode)
            ours = _apply(op, img, {"temperature": k})
            assert _diff(ours, t.apply(img, temperature=k)) <= 1  # albumentations truncates
            r, b = AP.planckian_coeffs(k, mode)
            want = np.clip(np.rint(img.astype(np.float64) * [r, 1.0, b]), 0, 255)
            assert _diff(ours, want) <= 1  # rounded to the nearest (OpenCV's float32 product:
            assert (ours != want).mean() < 1e-4  # a tie now and then goes the other way)
            assert _diff(_apply(op, f, {"temperature": k}), t.apply(f, temperature=k)) <= 1e-6
    # the table is albumentations' own
    assert {first + 500 * i: list(c) for i, c in enumerate(AP.PLANCKIAN[mode][1])} == \
        PLANCKIAN_COEFFS[mode]


def test_planckian_draws_follow_albumentations_rule():
    rng = np.random.default_rng(0)
    img = np.zeros((4, 4, 3), np.uint8)
    ks = np.array([PlanckianJitter(p=1.0).sample(rng, Sample(img))["temperature"]
                   for _ in range(4000)])
    assert ks.min() >= 3000 and ks.max() <= 15000
    assert abs((ks < 6000).mean() - 0.4) < 0.03  # the warm side 40% of the time
    assert abs(np.median(ks[ks < 6000]) - 4500) < 150  # uniform on each side
    assert abs(np.median(ks[ks >= 6000]) - 10500) < 300
    fixed = PlanckianJitter(temperature=5000, p=1.0).sample(rng, Sample(img))
    assert fixed == {"temperature": 5000}
    one_side = [PlanckianJitter(temperature=(7000, 8000), p=1.0).sample(rng, Sample(img))
                for _ in range(200)]
    assert all(7000 <= d["temperature"] <= 8000 for d in one_side)


def test_draws_cover_their_ranges():
    rng = np.random.default_rng(1)
    img = np.zeros((4, 4, 3), np.uint8)
    qs = {JpegCompression(quality=(3, 6), p=1.0).sample(rng, Sample(img))["quality"]
          for _ in range(200)}
    assert qs == {3, 4, 5, 6}  # both ends included, as albumentations' randint
    hsv = [HueSaturationValue(p=1.0).sample(rng, Sample(img)) for _ in range(300)]
    for key, lim in (("hue", 20), ("sat", 30), ("val", 20)):
        v = np.array([d[key] for d in hsv])
        assert v.min() >= -lim and v.max() <= lim and v.min() < -0.8 * lim < 0.8 * lim < v.max()
    cl = [CLAHE(p=1.0).sample(rng, Sample(img))["clip_limit"] for _ in range(200)]
    assert 1.0 <= min(cl) < 1.2 and 3.8 < max(cl) <= 4.0


# --- typed errors, replays, p ----------------------------------------------------------------

@pytest.mark.parametrize("op,img,match", [
    (HueSaturationValue(p=1.0), np.zeros((4, 4, 5), np.uint8),
     r"HueSaturationValue: image has 5 channels \(4, 4, 5\)"),
    (HueSaturationValue(p=0.0), np.zeros((4, 4, 2), np.float32),
     r"HueSaturationValue: image has 2 channels \(4, 4, 2\)"),
    (CLAHE(p=1.0), np.zeros((4, 4, 2), np.uint8), r"CLAHE: image has 2 channels \(4, 4, 2\)"),
    (PlanckianJitter(p=1.0), np.zeros((4, 4), np.uint8),
     r"PlanckianJitter: image has 0 channels \(4, 4\).*no colour cast"),
    (PlanckianJitter(p=0.0), np.zeros((4, 4, 1), np.float32),
     r"PlanckianJitter: image has 1 channels \(4, 4, 1\)"),
    (PlanckianJitter(p=1.0), np.zeros((4, 4, 5), np.uint8),
     r"PlanckianJitter: image has 5 channels \(4, 4, 5\)"),
])
def test_refused_layouts_are_typed_errors(op, img, match):
    with pytest.raises(AugkitValueError, match=match):
        op(img, np.random.default_rng(0))


@pytest.mark.parametrize("make,match", [
    (lambda: HueSaturationValue(hue_shift_limit=200), "HueSaturationValue: hue_shift_limit"),
    (lambda: HueSaturationValue(sat_shift_limit=-5), "HueSaturationValue: sat_shift_limit is -5"),
    (lambda: HueSaturationValue(val_shift_limit=(10, -10)), "val_shift_limit is inverted"),
    (lambda: HueSaturationValue(p=1.5), "HueSaturationValue: p is 1.5"),
    (lambda: CLAHE(clip_limit=(4, 1)), "CLAHE: clip_limit is inverted"),
    (lambda: CLAHE(clip_limit=-1), "CLAHE: clip_limit is"),
    (lambda: CLAHE(tile_grid_size=(0, 8)), r"CLAHE: tile_grid_size is \(0, 8\)"),
    (lambda: CLAHE(tile_grid_size=8), "CLAHE: tile_grid_size is 8"),
    (lambda: CLAHE(tile_grid_size=(8.0, 8)), "CLAHE: tile_grid_size is"),
    (lambda: JpegCompression(quality=0), "JpegCompression: quality is 0"),
    (lambda: JpegCompression(quality=(50, 101)), r"JpegCompression: quality is \(50, 101\)"),
    (lambda: JpegCompression(quality=(90, 80)), "JpegCompression: quality is"),
    (lambda: JpegCompression(quality=75.5), "JpegCompression: quality is 75.5"),
    (lambda: JpegCompression(rgb=1), "JpegCompression: rgb is 1"),
    (lambda: PlanckianJitter(mode="warm"), "PlanckianJitter: mode is 'warm'"),
    (lambda: PlanckianJitter(temperature=(2000, 9000)), "PlanckianJitter: temperature is"),
    (lambda: PlanckianJitter(temperature=(3000, 9000), mode="cied"),
     "PlanckianJitter: temperature is"),
    (lambda: PlanckianJitter(temperature=20000), "PlanckianJitter: temperature is"),
])
def test_bad_fields_are_typed_errors(make, match):
    with pytest.raises(AugkitError, match=match):
        make()


def test_replayed_params_that_do_not_fit_are_typed_errors():
    img = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(AugkitValueError, match=r"JpegCompression: params quality 101"):
        _apply(JpegCompression(), img, {"quality": 101})
    with pytest.raises(AugkitValueError, match=r"JpegCompression: params quality 50.5"):
        _apply(JpegCompression(), img, {"quality": 50.5})
    with pytest.raises(AugkitValueError, match=r"PlanckianJitter: params temperature 3500 "):
        _apply(PlanckianJitter(mode="cied"), img, {"temperature": 3500})


@pytest.mark.parametrize("cls", CLASSES)
@settings(max_examples=10, deadline=None)
@given(seed=seeds(), float_image=st.booleans())
def test_a_replay_of_the_params_gives_identical_pixels(cls, seed, float_image):
    """The params carry every draw (JpegCompression its quality, PlanckianJitter its
    temperature): the JSON of the params replays the call pixel for pixel."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (24, 31, 3), dtype=np.uint8)
    if float_image:
        img = img.astype(np.float32) / 255
    op = cls(p=1.0)
    out, params = op.sample_apply(np.random.default_rng(seed), Sample(img))
    replay = op.apply(Sample(img.copy()), json.loads(json.dumps(params))).image
    np.testing.assert_array_equal(replay, out.image)
    np.testing.assert_array_equal(op(img, np.random.default_rng(seed)), out.image)


@given(seed=seeds())
def test_p_zero_leaves_the_image(seed):
    img = np.random.default_rng(seed).integers(0, 256, (8, 9, 3), dtype=np.uint8)
    for cls in CLASSES:
        out = cls(p=0.0)(img, np.random.default_rng(seed))
        np.testing.assert_array_equal(out, img)
        assert out is not img
