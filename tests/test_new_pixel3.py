"""PhotoMetricDistort (torchvision's RandomPhotometricDistort) and Illumination
(albumentations' Illumination) against their references on COCO128 photos, their
properties, and the faster ChannelShuffle / Grayscale / RandomGamma kernels (same bytes).

Tolerances: PhotoMetricDistort equals torchvision bit for bit on uint8 and float32 except
the contrast mean, which augkit sums in float64 so that it does not depend on torch's thread
count: uint8 then differs by at most one level on at most 0.01% of the values, float32 by
at most 1e-6. Illumination equals albumentations exactly (float32 clipped to [0, 1]).
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit import Sample, from_dict, to_dict
from augkit.errors import AugkitValueError
from augkit.functional import channels as CH
from augkit.functional import illumination as IL
from augkit.functional import tone as T
from augkit.functional import tv_color as TV
from augkit.poor.illumination import Illumination
from augkit.poor.photometric_distort import PhotoMetricDistort
from tests.conftest import coco_photos

torch = pytest.importorskip("torch")
tvF = pytest.importorskip("torchvision.transforms.v2.functional")
tvT = pytest.importorskip("torchvision.transforms.v2")
A = pytest.importorskip("albumentations")
AF = pytest.importorskip("albumentations.augmentations.pixel.functional")


@pytest.fixture(scope="module")
def photos(shared_data):
    return coco_photos(shared_data, 100, 106)


def _unit(img):
    return (img.astype(np.float32) / np.float32(255)).astype(np.float32)


def _tv(x, fn, **kw):
    return fn(torch.from_numpy(x).permute(2, 0, 1), **kw).permute(1, 2, 0).numpy()


def _close(ours, ref, u8):
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    d = np.abs(ours.astype(np.float64) - ref.astype(np.float64))
    if u8:
        assert d.max() <= 1 and (d > 0).mean() <= 1e-4, (d.max(), (d > 0).mean())
    else:
        assert d.max() <= 1e-6, d.max()


# --- PhotoMetricDistort -----------------------------------------------------------------------

@pytest.mark.parametrize("u8", [True, False], ids=["uint8", "float32"])
def test_tv_color_kernels_match_torchvision(photos, u8):
    rng = np.random.default_rng(0)
    steps = [(TV.brightness, tvF.adjust_brightness, "brightness_factor", (0.5, 1.5)),
             (TV.contrast, tvF.adjust_contrast, "contrast_factor", (0.3, 1.7)),
             (TV.saturation, tvF.adjust_saturation, "saturation_factor", (0.0, 2.0)),
             (TV.hue, tvF.adjust_hue, "hue_factor", (-0.5, 0.5))]
    for img in photos:
        x = img if u8 else _unit(img)
        for ours, theirs, key, (lo, hi) in steps:
            v = float(rng.uniform(lo, hi))
            _close(ours(x, v), _tv(x, theirs, **{key: v}), u8)


def test_tv_color_grey_images_match_torchvision(photos):
    for img in photos[:3]:
        g = np.ascontiguousarray(img[:, :, 1:2])
        for x in (g, _unit(g)):
            u8 = x.dtype == np.uint8
            _close(TV.brightness(x, 1.3), _tv(x, tvF.adjust_brightness, brightness_factor=1.3),
                   u8)
            _close(TV.contrast(x, 0.6), _tv(x, tvF.adjust_contrast, contrast_factor=0.6), u8)
            assert np.array_equal(TV.saturation(x, 0.2), x)  # grey: no saturation, no hue
            assert np.array_equal(TV.hue(x, 0.2), x)


def test_contrast_mean_is_torchvisions_bit_for_bit_below_2_24_at_any_thread_count():
    img = np.random.default_rng(5).integers(0, 256, (200, 150, 3), dtype=np.uint8)
    g = TV.grey(cv2.split(img), True)
    before = torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            ref = torch.mean(torch.from_numpy(g)[None], dim=(-3, -2, -1)).item()
            assert float(TV._mean(g, True)) == ref
            assert np.array_equal(TV.contrast(img, 1.37), _tv(img, tvF.adjust_contrast,
                                                              contrast_factor=1.37))
    finally:
        torch.set_num_threads(before)


def _tv_params(params):
    order = params["order"]
    return {"brightness_factor": params["brightness"], "contrast_factor": params["contrast"],
            "saturation_factor": params["saturation"], "hue_factor": params["hue"],
            "contrast_before": params["contrast_before"],
            "channel_permutation": None if order is None else torch.tensor(order)}


@pytest.mark.parametrize("u8", [True, False], ids=["uint8", "float32"])
def test_photometric_distort_matches_torchvision_given_the_draws(photos, u8):
    op = PhotoMetricDistort(hue=(-0.3, 0.3), step_p=0.7)
    ref = tvT.RandomPhotometricDistort(hue=(-0.3, 0.3), p=0.7)
    rng = np.random.default_rng(1)
    seen = set()
    for img in photos[:3]:
        x = img if u8 else _unit(img)
        for _ in range(3):
            out, params = op.sample_apply(rng, Sample(x))
            seen.update(k for k in ("brightness", "contrast", "saturation", "hue", "order")
                        if params[k] is not None)
            theirs = ref.transform(torch.from_numpy(x).permute(2, 0, 1), _tv_params(params))
            _close(out.image, theirs.permute(1, 2, 0).numpy(), u8)
    assert len(seen) == 5  # every step was exercised


def test_photometric_distort_draws_like_torchvision():
    """step_p is each step's coin; contrast's position is always drawn."""
    s = Sample(np.zeros((8, 8, 3), np.uint8))
    none = PhotoMetricDistort(step_p=0.0).sample(np.random.default_rng(0), s)
    assert [none[k] for k in ("brightness", "contrast", "saturation", "hue", "order")] == \
        [None] * 5 and isinstance(none["contrast_before"], bool)
    every = PhotoMetricDistort(step_p=1.0, brightness=(2.0, 2.0)).sample(
        np.random.default_rng(0), s)
    assert every["brightness"] == 2.0 and sorted(every["order"]) == [0, 1, 2]
    assert -0.05 <= every["hue"] <= 0.05 and 0.5 <= every["saturation"] <= 1.5
    grey = PhotoMetricDistort(step_p=1.0).sample(np.random.default_rng(0),
                                                 Sample(np.zeros((8, 8), np.uint8)))
    assert grey["order"] == [0]


def test_photometric_distort_declares_step_p_not_p():
    op = PhotoMetricDistort()
    assert type(op).contract_p and op.p == 1.0  # the contract's p skips the whole op
    assert PhotoMetricDistort(p=0.25, step_p=0.9).step_p == 0.9


@given(st.integers(0, 2**32 - 1), st.sampled_from([(9, 7), (9, 7, 1), (9, 7, 3), (9, 7, 4)]),
       st.booleans())
@settings(max_examples=40, deadline=None)
def test_photometric_distort_properties(seed, shape, u8):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, shape, dtype=np.uint8) if u8 else \
        rng.random(shape, dtype=np.float32)
    op = PhotoMetricDistort(step_p=0.6)
    out, params = op.sample_apply(np.random.default_rng(seed), Sample(img))
    assert out.image.shape == img.shape and out.image.dtype == img.dtype
    if not u8:
        assert 0.0 <= out.image.min() and out.image.max() <= 1.0
    # replay after a JSON round trip, same seed same pixels
    import json

    again = op.apply(Sample(img), json.loads(json.dumps(params))).image
    assert np.array_equal(again, out.image)
    assert np.array_equal(op(img, np.random.default_rng(seed)), out.image)
    if len(shape) == 3 and shape[2] == 4:  # alpha kept out of every step
        assert np.array_equal(out.image[:, :, 3], img[:, :, 3])
    # no step: the input itself, as a copy
    ident = PhotoMetricDistort(step_p=0.0)(img, np.random.default_rng(seed))
    assert np.array_equal(ident, img) and ident is not img


def test_photometric_distort_permutation_alone_permutes_the_colour_channels():
    img = np.random.default_rng(2).integers(0, 256, (6, 5, 4), dtype=np.uint8)
    params = {"brightness": None, "contrast": None, "saturation": None, "hue": None,
              "contrast_before": True, "order": [2, 0, 1]}
    out = PhotoMetricDistort().apply(Sample(img), params).image
    assert np.array_equal(out, img[:, :, [2, 0, 1, 3]])


@pytest.mark.parametrize("kw", [{"brightness": (1.5, 0.5)}, {"contrast": (-0.1, 1.0)},
                                {"saturation": 1.2}, {"hue": (-0.6, 0.0)}, {"step_p": 1.5},
                                {"brightness": (0.5, float("nan"))}])
def test_photometric_distort_bad_fields_are_typed_errors(kw):
    with pytest.raises(AugkitValueError, match="PhotoMetricDistort"):
        PhotoMetricDistort(**kw)


@pytest.mark.parametrize("params", [{"brightness": -1.0}, {"hue": 0.7}, {"order": [0, 0, 1]},
                                    {"saturation": "x"}])
def test_photometric_distort_bad_params_are_typed_errors(params):
    full = {"brightness": None, "contrast": None, "saturation": None, "hue": None,
            "contrast_before": True, "order": None, **params}
    with pytest.raises(AugkitValueError, match="PhotoMetricDistort: params"):
        PhotoMetricDistort().apply(Sample(np.zeros((4, 4, 3), np.uint8)), full)


def test_photometric_distort_refuses_two_channels():
    with pytest.raises(AugkitValueError, match="PhotoMetricDistort: image has 2 channels"):
        PhotoMetricDistort()(np.zeros((4, 4, 2), np.uint8))


# --- Illumination -----------------------------------------------------------------------------

def _albu_illum(x, mode, params):
    if mode == "linear":
        out = AF.apply_linear_illumination(x, params["intensity"], params["angle"])
    elif mode == "corner":
        # albumentations' cv2.distanceTransform (DIST_MASK_PRECISE) is the exact Euclidean
        # distance at 2+ OpenCV threads but off by up to 6e-5 px at one thread; augkit's is
        # exact at any count: compare at 2 threads
        before = cv2.getNumThreads()
        cv2.setNumThreads(2)
        try:
            out = AF.apply_corner_illumination(x, params["intensity"], params["corner"])
        finally:
            cv2.setNumThreads(before)
    else:
        out = AF.apply_gaussian_illumination(x, params["intensity"], tuple(params["center"]),
                                             params["sigma"])
    return np.clip(out, 0, 1) if x.dtype == np.float32 else out


@pytest.mark.parametrize("mode", IL.MODES)
@pytest.mark.parametrize("kind", ["uint8", "float32", "grey"])
def test_illumination_matches_albumentations_given_the_draws(photos, mode, kind):
    op = Illumination(mode=mode, intensity=(0.01, 0.2))
    rng = np.random.default_rng(3)
    for img in photos:
        x = img if kind == "uint8" else _unit(img) if kind == "float32" else \
            np.ascontiguousarray(img[:, :, 0])
        for _ in range(3):
            out, params = op.sample_apply(rng, Sample(x))
            np.testing.assert_array_equal(out.image, _albu_illum(x, mode, params))


def test_illumination_does_not_depend_on_opencvs_thread_count(photos):
    x = photos[2]
    before = cv2.getNumThreads()
    try:
        outs = []
        for n in (1, 2):
            cv2.setNumThreads(n)
            outs.append([IL.illuminate(x, "corner", {"intensity": 0.17, "corner": c})
                         for c in range(4)])
    finally:
        cv2.setNumThreads(before)
    assert all(np.array_equal(a, b) for a, b in zip(*outs))


@pytest.mark.parametrize("angle", [0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0, 33.3])
def test_illumination_linear_angle_shortcuts_match_albumentations(photos, angle):
    x = photos[0]
    for i in (0.15, -0.15):
        p = {"intensity": i, "angle": angle}
        np.testing.assert_array_equal(IL.illuminate(x, "linear", p), _albu_illum(x, "linear", p))


def test_illumination_transform_draws_what_albumentations_applies(photos):
    """The op's params are the transform's apply keywords: the same pixels."""
    x = photos[1]
    for mode in IL.MODES:
        op = Illumination(mode=mode)
        params = op.sample(np.random.default_rng(0), Sample(x))
        t = A.Illumination(mode=mode, p=1.0)
        kw = dict(params, center=tuple(params["center"])) if mode == "gaussian" else params
        before = cv2.getNumThreads()
        cv2.setNumThreads(2)  # albumentations' corner distances are exact from 2 threads on
        try:
            theirs = t.apply(x, **kw)
        finally:
            cv2.setNumThreads(before)
        np.testing.assert_array_equal(op.apply(Sample(x), params).image, theirs)


@given(st.integers(0, 2**32 - 1), st.sampled_from(IL.MODES),
       st.sampled_from([(1, 1), (5, 9), (9, 5, 1), (7, 6, 3), (6, 7, 4), (5, 5, 6)]),
       st.booleans(), st.sampled_from(["both", "brighten", "darken"]))
@settings(max_examples=50, deadline=None)
def test_illumination_properties(seed, mode, shape, u8, effect):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, shape, dtype=np.uint8) if u8 else \
        rng.random(shape, dtype=np.float32)
    op = Illumination(mode=mode, effect=effect, intensity=(0.0, 1.0))
    out, params = op.sample_apply(np.random.default_rng(seed), Sample(img))
    assert out.image.shape == img.shape and out.image.dtype == img.dtype
    if not u8:
        assert 0.0 <= out.image.min() and out.image.max() <= 1.0
    if effect != "both":
        assert (params["intensity"] >= 0) == (effect == "brighten") or params["intensity"] == 0
    assert np.array_equal(op(img, np.random.default_rng(seed)), out.image)
    # the same map on every channel: equal channels stay equal
    if len(shape) == 3 and shape[2] > 1:
        flat = np.repeat(img[:, :, :1], shape[2], axis=2)
        o = op.apply(Sample(flat), params).image
        assert all(np.array_equal(o[:, :, 0], o[:, :, k]) for k in range(shape[2]))
    # no intensity: the image itself
    zero = dict(params, intensity=0.0)
    assert np.array_equal(op.apply(Sample(img), zero).image, img)


@pytest.mark.parametrize("kw", [{"mode": "radial"}, {"effect": "dim"},
                                {"intensity": (0.3, 0.1)}, {"intensity": (0.1, 1.5)},
                                {"angle": (-10.0, 10.0)}, {"center": (0.5, 1.2)},
                                {"sigma": (0.0, 0.5)}])
def test_illumination_bad_fields_are_typed_errors(kw):
    with pytest.raises(AugkitValueError, match="Illumination"):
        Illumination(**kw)


@pytest.mark.parametrize("mode,params", [("linear", {"intensity": 0.1}),
                                         ("linear", {"intensity": 2.0, "angle": 0.0}),
                                         ("corner", {"intensity": 0.1, "corner": 4}),
                                         ("gaussian", {"intensity": 0.1, "center": [0.5],
                                                       "sigma": 0.3}),
                                         ("gaussian", {"intensity": 0.1, "center": [0.5, 0.5],
                                                       "sigma": 0.0})])
def test_illumination_bad_params_are_typed_errors(mode, params):
    with pytest.raises(AugkitValueError, match="Illumination: params"):
        Illumination(mode=mode).apply(Sample(np.zeros((4, 4, 3), np.uint8)), params)


@pytest.mark.parametrize("op", [PhotoMetricDistort(step_p=0.8, hue=(-0.2, 0.1)),
                                Illumination(mode="gaussian", effect="darken")],
                         ids=lambda op: type(op).__name__)
def test_new_ops_serialise_and_batch(op):
    assert from_dict(to_dict(op)) == op
    images = np.random.default_rng(4).integers(0, 256, (5, 12, 10, 3), dtype=np.uint8)
    batch = op.batch(images, np.random.default_rng(9))
    rng = np.random.default_rng(9)
    assert np.array_equal(batch, np.stack([op(im, rng) for im in images]))


def test_illumination_twin_round_trips_and_refuses_ranges_albumentations_cannot_take():
    from augkit.interop.albumentations import from_albu, to_albu

    op = Illumination(mode="corner", intensity=(0.05, 0.1), effect="darken")
    t = to_albu(op)
    assert isinstance(t, A.Illumination) and from_albu(t, native=True) == op
    with pytest.raises(AugkitValueError, match="Illumination: intensity"):
        to_albu(Illumination(intensity=(0.1, 0.5)))


# --- the faster ChannelShuffle / Grayscale / RandomGamma kernels: the same bytes --------------

def _images(rng, shapes, dtypes=(np.uint8, np.float32)):
    for shape in shapes:
        for dt in dtypes:
            img = rng.integers(0, 256, shape).astype(np.uint8) if dt == np.uint8 else \
                rng.random(shape, dtype=np.float32)
            yield img
            if img.ndim == 3:  # a non-contiguous view of the same values
                yield np.concatenate([img, img], axis=1)[:, ::2]


def test_shuffle_channels_is_numpys_fancy_index_for_every_order():
    rng = np.random.default_rng(0)
    for img in _images(rng, [(1, 1, 3), (5, 7, 3), (4, 3, 4), (6, 5, 2), (3, 4, 5)]):
        for order in itertools.permutations(range(img.shape[2])):
            out = CH.shuffle_channels(img, order)
            assert out.flags.c_contiguous and out.dtype == img.dtype
            assert np.array_equal(out, img[:, :, list(order)])


def test_shuffle_transform_route_is_exact_on_every_rgb_triple():
    a = np.arange(256, dtype=np.uint8)
    r, g, b = np.meshgrid(a, a, a[::17], indexing="ij")  # every (R, G) pair, 16 blues
    img = np.stack([r, g, b], -1).reshape(256, -1, 3)
    for order in ([1, 2, 0], [2, 0, 1], [0, 2, 1], [1, 0, 2]):
        assert np.array_equal(CH.shuffle_channels(img, order), img[:, :, order])


def test_grey_keep_channels_is_opencvs_grey_in_every_channel():
    rng = np.random.default_rng(1)
    for img in _images(rng, [(1, 1, 3), (9, 11, 3), (8, 6, 4)]):
        c = img.shape[2]
        grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY if c == 3 else cv2.COLOR_RGBA2GRAY)
        out = CH.grey_keep_channels(img)
        assert out.shape == img.shape and out.dtype == img.dtype
        assert all(np.array_equal(out[:, :, k], grey) for k in range(3))
        if c == 4:
            assert np.array_equal(out[:, :, 3], img[:, :, 3])


@pytest.mark.parametrize("translate", [True, False], ids=["stringzilla", "opencv"])
def test_gamma_tables_give_the_same_bytes_on_every_route(monkeypatch, translate):
    if translate:
        pytest.importorskip("stringzilla")
    else:
        monkeypatch.setattr(T, "_TRANSLATE", [None])
    rng = np.random.default_rng(2)
    for img in _images(rng, [(1, 1), (7, 5), (6, 4, 3), (5, 5, 4), (4, 6, 6)], (np.uint8,)):
        for g in (0.3, 0.8, 1.0, 1.17, 4.5):
            ref = np.rint((np.arange(256) / 255.0) ** g * 255.0).astype(np.uint8)[img]
            out = T.gamma(img, g)
            assert out.shape == img.shape and out.dtype == np.uint8
            assert np.array_equal(out, ref)


@settings(max_examples=60, deadline=None)
@given(c=st.integers(2, 4), fill=st.sampled_from([0, 1, 37, 255]), seed=st.integers(0, 2**16),
       data=st.data())
def test_drop_channels_opencv_route_equals_numpys_channel_write(c, fill, seed, data):
    """ChannelDropout's uint8 route (a per-channel bitwise and / or) gives the bytes of
    numpy's strided channel write, for every channel count it takes and any fill."""
    from augkit.functional.channels import drop_channels

    img = np.random.default_rng(seed).integers(0, 256, (9, 11, c), dtype=np.uint8)
    chosen = sorted(data.draw(st.sets(st.integers(0, c - 1), min_size=1, max_size=c - 1)))
    want = img.copy()
    want[:, :, chosen] = fill
    before = img.copy()
    got = drop_channels(img, chosen, fill)
    assert got.dtype == np.uint8 and got.flags.c_contiguous
    assert np.array_equal(got, want) and np.array_equal(img, before)
