"""The pixel ops issue 15 adds: Grayscale, ChannelShuffle, ChannelDropout, RandomGamma,
GaussianNoise, SaltAndPepper, MedianBlur, Sharpen, Normalize.

Contract (`check_op` on uint8 / float32 images of 1, 3, 4 and 5 channels, with targets that
must stay untouched), typed errors, and reference tests against albumentations 2.0.8 (its
`apply` with the parameters forced to ours: same gamma, same noise map, same masks, same
kernel) and torchvision v2 where it has the transform, on COCO128 photos. Tolerances: exact
unless stated at the test (gamma: 1 level, albumentations truncates its table; torchvision's
grey: 1 level; noise: 1 level, albumentations truncates; float: 1e-6).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import coco_photos
from hypothesis import given, settings

from augkit.errors import AugkitError, AugkitValueError
from augkit.functional import noise as N
from augkit.functional import tone as T
from augkit.poor.channel_dropout import ChannelDropout
from augkit.poor.channel_shuffle import ChannelShuffle
from augkit.poor.gaussian_noise import GaussianNoise
from augkit.poor.grayscale import Grayscale
from augkit.poor.median_blur import MedianBlur
from augkit.poor.normalize import Normalize
from augkit.poor.random_gamma import RandomGamma
from augkit.poor.salt_and_pepper import SaltAndPepper
from augkit.poor.sharpen import Sharpen
from augkit.sample import Sample
from augkit.testing import check_op, example_instances, samples, seeds

CLASSES = (Grayscale, ChannelShuffle, ChannelDropout, RandomGamma, GaussianNoise,
           SaltAndPepper, MedianBlur, Sharpen, Normalize)
INSTANCES = [op for cls in CLASSES for op in example_instances(cls)] + [
    Grayscale(p=1.0), ChannelShuffle(p=1.0),
    ChannelDropout(channel_drop_range=(1, 2), fill_value=1, p=1.0),
    RandomGamma(gamma=(0.3, 3.0), p=1.0), GaussianNoise(std=0.1, mean=(-0.1, 0.1),
                                                        per_channel=False, p=1.0),
    SaltAndPepper(amount=0.3, p=1.0), MedianBlur(kernel=(5, 9), p=1.0),
    Sharpen(alpha=1.0, lightness=(0.0, 5.0), p=1.0), Normalize(mean=0.5, std=0.25)]
IDS = [f"{type(op).__name__}-{i}" for i, op in enumerate(INSTANCES)]


@pytest.fixture(scope="module")
def photos(shared_data):
    return coco_photos(shared_data, 4, 8)


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

def test_grayscale_matches_albumentations_and_torchvision(photos):
    import albumentations as A
    import torch
    import torchvision.transforms.v2.functional as TF

    for img in photos:
        ours = Grayscale(p=1.0)(img, np.random.default_rng(0))
        np.testing.assert_array_equal(ours, A.ToGray(p=1.0)(image=img)["image"])
        tv = TF.rgb_to_grayscale(torch.from_numpy(img).permute(2, 0, 1), 3)
        assert _diff(ours, tv.permute(1, 2, 0).numpy()) <= 1  # torchvision's own rounding
        f = img.astype(np.float32) / 255
        assert _diff(Grayscale(p=1.0)(f), A.ToGray(p=1.0)(image=f)["image"]) <= 1e-6
    rgba = np.dstack([photos[0], photos[0][..., :1]])
    out = Grayscale(p=1.0)(rgba)
    np.testing.assert_array_equal(out[..., 3], rgba[..., 3])
    np.testing.assert_array_equal(out[..., :3], Grayscale(p=1.0)(photos[0]))


def test_channel_shuffle_and_dropout_match_albumentations(photos):
    import albumentations as A

    rng = np.random.default_rng(0)
    for img in photos:
        s = Sample(img)
        p = ChannelShuffle(p=1.0).sample(rng, s)
        want = A.ChannelShuffle(p=1.0).apply(img, channels_shuffled=p["order"])
        np.testing.assert_array_equal(_apply(ChannelShuffle(), img, p), want)
        op = ChannelDropout(channel_drop_range=(1, 2), fill_value=37, p=1.0)
        p = op.sample(rng, s)
        want = A.ChannelDropout(channel_drop_range=(1, 2), fill=37, p=1.0).apply(
            img, channels_to_drop=p["channels"])
        np.testing.assert_array_equal(_apply(op, img, p), want)
        assert (_apply(op, img, p)[..., p["channels"]] == 37).all()


@pytest.mark.parametrize("g", [0.5, 0.8, 1.2, 2.2])
def test_random_gamma_matches_albumentations_and_torchvision(photos, g):
    import albumentations as A
    import torch
    import torchvision.transforms.v2.functional as TF

    for img in photos:
        ours = _apply(RandomGamma(), img, {"gamma": g})
        assert _diff(ours, A.RandomGamma(p=1.0).apply(img, gamma=g)) <= 1  # albu truncates
        tv = TF.adjust_gamma(torch.from_numpy(img).permute(2, 0, 1), g)
        assert _diff(ours, tv.permute(1, 2, 0).numpy()) <= 1
        exact = np.rint(255 * (img / 255.0) ** g)
        assert _diff(ours, exact) == 0  # rounded to the nearest level
        f = img.astype(np.float32) / 255
        assert _diff(_apply(RandomGamma(), f, {"gamma": g}),
                     A.RandomGamma(p=1.0).apply(f, gamma=g)) <= 1e-6


@pytest.mark.parametrize("per_channel", [True, False])
def test_gaussian_noise_matches_albumentations_with_the_same_noise(photos, per_channel):
    import albumentations as A

    op = GaussianNoise(std=(0.05, 0.2), mean=(-0.05, 0.05), per_channel=per_channel, p=1.0)
    rng = np.random.default_rng(1)
    for img in photos:
        p = op.sample(rng, Sample(img))
        noise = N.gaussian_noise_map(p["seed"], img.shape, p["mean"], p["std"], per_channel)
        ours = _apply(op, img, p)
        want = A.GaussNoise(p=1.0).apply(img, noise_map=noise * 255)
        assert _diff(ours, want) <= 1  # albumentations truncates, augkit rounds
        f = img.astype(np.float32) / 255
        want = A.GaussNoise(p=1.0).apply(f, noise_map=noise)
        assert _diff(_apply(op, f, p), want) <= 1e-6
        # the drawn noise has the drawn statistics (unclipped part)
        assert abs(noise.std() - p["std"]) < 0.01 and abs(noise.mean() - p["mean"]) < 0.01


def test_gaussian_noise_against_torchvision_statistics():
    """torchvision's GaussianNoise draws from torch's generator: compare the distribution of
    the added noise on a mid-grey float image (no clipping at sigma 0.05)."""
    import torch
    import torchvision.transforms.v2 as TV

    img = np.full((256, 256, 3), 0.5, np.float32)
    ours = GaussianNoise(std=0.05, p=1.0)(img, np.random.default_rng(0)) - 0.5
    torch.manual_seed(0)
    tv = TV.GaussianNoise(sigma=0.05)(torch.from_numpy(img).permute(2, 0, 1)).numpy() - 0.5
    assert abs(ours.std() - tv.std()) < 0.002 and abs(ours.mean() - tv.mean()) < 0.002


def test_salt_and_pepper_matches_albumentations_with_the_same_masks(photos):
    import albumentations as A

    op = SaltAndPepper(p=1.0)
    rng = np.random.default_rng(2)
    for img in photos:
        p = op.sample(rng, Sample(img))
        salt, pepper = N.salt_pepper_masks(p["seed"], img.shape[:2], p["amount"], p["salt"])
        n = int(img.shape[0] * img.shape[1] * p["amount"])
        assert salt.sum() + pepper.sum() == n and salt.sum() == int(n * p["salt"])
        assert not (salt & pepper).any()
        want = A.SaltAndPepper(p=1.0).apply(img, salt_mask=salt, pepper_mask=pepper)
        np.testing.assert_array_equal(_apply(op, img, p), want)


@pytest.mark.parametrize("k", [3, 5, 7])
def test_median_blur_matches_albumentations(photos, k):
    import albumentations as A

    for img in photos:
        np.testing.assert_array_equal(_apply(MedianBlur(), img, {"kernel": k}),
                                      A.MedianBlur(p=1.0).apply(img, kernel=k))


@pytest.mark.parametrize("alpha,lightness", [(0.2, 0.5), (0.5, 1.0), (0.35, 0.7), (1.0, 2.0)])
def test_sharpen_matches_albumentations(photos, alpha, lightness):
    import albumentations as A

    kernel = T.sharpen_kernel(alpha, lightness)
    for img in photos:
        ours = _apply(Sharpen(), img, {"alpha": alpha, "lightness": lightness})
        want = A.Sharpen(p=1.0).apply(img, alpha=alpha, sharpening_matrix=kernel)
        np.testing.assert_array_equal(ours, want)
        f = img.astype(np.float32) / 255
        want = A.Sharpen(p=1.0).apply(f, alpha=alpha, sharpening_matrix=kernel)
        assert _diff(_apply(Sharpen(), f, {"alpha": alpha, "lightness": lightness}),
                     want) <= 1e-6
    # the kernel itself is albumentations' own
    make = A.Sharpen._Sharpen__generate_sharpening_matrix
    np.testing.assert_allclose(kernel, make(np.float32(alpha), np.float32(lightness)),
                               atol=1e-7)


def test_normalize_matches_albumentations_and_torchvision(photos):
    import albumentations as A
    import torch
    import torchvision.transforms.v2.functional as TF

    for img in photos:
        ours = Normalize()(img)
        assert ours.dtype == np.float32
        assert _diff(ours, A.Normalize(p=1.0)(image=img)["image"]) <= 1e-5
        t = TF.to_dtype(torch.from_numpy(img).permute(2, 0, 1), torch.float32, scale=True)
        tv = TF.normalize(t, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
        assert _diff(ours, tv.permute(1, 2, 0).numpy()) <= 1e-5
        f = img.astype(np.float32) / 255
        assert _diff(Normalize()(f), ours) <= 1e-5
    grey = photos[0][..., 0]
    np.testing.assert_allclose(Normalize(mean=0.5, std=0.25)(grey), (grey / 255 - 0.5) / 0.25,
                               atol=1e-5)


# --- typed errors, draws, p ------------------------------------------------------------------

@pytest.mark.parametrize("op,img,match", [
    (Grayscale(p=1.0), np.zeros((4, 4, 5), np.uint8), r"Grayscale: image has 5 channels "
                                                       r"\(4, 4, 5\)"),
    (ChannelDropout(), np.zeros((4, 4), np.uint8), r"ChannelDropout: image has 0 channels "
                                                   r"\(4, 4\)"),
    (ChannelDropout(channel_drop_range=(1, 3)), np.zeros((4, 4, 3), np.float32),
     r"ChannelDropout: image has 3 channels \(4, 4, 3\).*needs more than 3"),
    (ChannelDropout(fill_value=200, p=1.0), np.zeros((4, 4, 3), np.float32),
     r"ChannelDropout: fill_value is 200; outside \[0, 1\]"),
    (Normalize(), np.zeros((4, 4), np.uint8), r"Normalize: mean has 3 values for an image of "
                                              r"shape \(4, 4\)"),
    (Normalize(mean=0.5, std=(1, 2)), np.zeros((4, 4, 3), np.uint8),
     r"Normalize: std has 2 values for an image of shape \(4, 4, 3\)"),
])
def test_unfit_images_are_typed_errors(op, img, match):
    with pytest.raises(AugkitValueError, match=match):
        op(img, np.random.default_rng(0))


@pytest.mark.parametrize("make,match", [
    (lambda: Grayscale(p=2), "Grayscale: p is 2"),
    (lambda: ChannelShuffle(p=None), "ChannelShuffle: p is None"),
    (lambda: ChannelDropout(channel_drop_range=(2, 1)), "ChannelDropout: channel_drop_range"),
    (lambda: ChannelDropout(channel_drop_range=(0, 1)), "ChannelDropout: channel_drop_range"),
    (lambda: RandomGamma(gamma=(0.0, 1.0)), "RandomGamma: gamma is"),
    (lambda: RandomGamma(gamma=(80, 120)), "RandomGamma: gamma is"),
    (lambda: GaussianNoise(std=-0.1), "GaussianNoise: std is"),
    (lambda: GaussianNoise(per_channel="yes"), "GaussianNoise: per_channel is 'yes'"),
    (lambda: SaltAndPepper(amount=(0.5, 1.5)), "SaltAndPepper: amount is"),
    (lambda: MedianBlur(kernel=4), "MedianBlur: kernel is 4"),
    (lambda: Sharpen(alpha=(0.5, 1.5)), "Sharpen: alpha is"),
    (lambda: Normalize(std=0), "Normalize: std is 0"),
    (lambda: Normalize(mean="imagenet"), "Normalize: mean is 'imagenet'"),
    (lambda: Normalize(mean=(123.675, 116.28, 103.53)), r"Normalize: mean is .*divide 0-255"),
    (lambda: Normalize(std=1e-9), "Normalize: std is 1e-09"),
])
def test_bad_fields_are_typed_errors(make, match):
    with pytest.raises(AugkitError, match=match):
        make()


def test_replayed_params_that_do_not_fit_the_image_are_typed_errors():
    img = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(AugkitValueError, match=r"ChannelShuffle: params order \[0, 1\]"):
        _apply(ChannelShuffle(), img, {"order": [0, 1]})
    with pytest.raises(AugkitValueError, match=r"ChannelDropout: params channels \[3\]"):
        _apply(ChannelDropout(), img, {"channels": [3]})


@given(seed=seeds())
def test_p_zero_leaves_the_image_and_p_one_always_acts(seed):
    img = np.random.default_rng(seed).integers(0, 256, (8, 9, 3), dtype=np.uint8)
    for cls in (Grayscale, ChannelDropout, RandomGamma, GaussianNoise, SaltAndPepper,
                MedianBlur, Sharpen):
        out = cls(p=0.0)(img, np.random.default_rng(seed))
        np.testing.assert_array_equal(out, img)
        assert out is not img
    rng = np.random.default_rng(seed)
    assert all(Grayscale(p=1.0).sample(rng, Sample(img))["grey"] for _ in range(20))
    gs = [RandomGamma(p=1.0).sample(rng, Sample(img))["gamma"] for _ in range(50)]
    assert min(gs) >= 0.8 and max(gs) <= 1.2 and len(set(gs)) == 50


@pytest.mark.parametrize("layout", ["fortran", "strided"])
def test_normalize_takes_any_memory_layout(layout):
    img = np.random.default_rng(0).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    odd = np.asfortranarray(img) if layout == "fortran" else np.repeat(img, 2, axis=1)[:, ::2]
    np.testing.assert_array_equal(Normalize()(odd), Normalize()(img))
