"""to_albu / from_albu(native=True) for the ops of issue 15: every twin round-trips, and the
converted op gives the albumentations transform's pixels where the draws can be forced."""

from __future__ import annotations

import numpy as np
import pytest

from augkit.compose import Seq
from augkit.interop.albumentations import Albu, from_albu, to_albu, to_albu_dict
from augkit.poor._catalog import MODULES, load

A = pytest.importorskip("albumentations")

OPS = [load("CenterCrop")(size=(20, 30), pad_if_needed=True, fill=3, mask_fill=1, p=0.7),
       load("LongestMaxSize")(max_size=(40, 64), interpolation="area", p=0.9),
       load("SmallestMaxSize")(max_size=48),
       load("PadIfNeeded")(min_height=None, min_width=50, pad_height_divisor=32,
                           position="bottom_left", fill=(1, 2, 3)),
       load("RandomRotate90")(p=0.4), load("Transpose")(), load("D4")(p=0.9),
       load("Grayscale")(p=0.2), load("ChannelShuffle")(),
       load("ChannelDropout")(channel_drop_range=(1, 2), fill_value=9),
       load("RandomGamma")(gamma=(0.5, 1.5)),
       load("GaussianNoise")(std=(0.1, 0.2), mean=(-0.1, 0.0), per_channel=False),
       load("SaltAndPepper")(amount=(0.1, 0.2), salt_vs_pepper=0.3),
       load("MedianBlur")(kernel=(3, 9), p=0.6), load("Sharpen")(alpha=0.3, lightness=(1, 2)),
       load("Normalize")(mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3)),
       load("HueSaturationValue")(hue_shift_limit=10, sat_shift_limit=(-5, 40), p=0.3),
       load("CLAHE")(clip_limit=(2, 6), tile_grid_size=(4, 6), p=0.8),
       load("JpegCompression")(quality=(30, 70)),
       load("PlanckianJitter")(temperature=(4500, 12000), mode="cied", p=0.6),
       load("Perspective")(scale=(0.02, 0.2), fit_output=True, interpolation="cubic",
                           fill=(1, 2, 3), mask_fill=4),
       load("OpticalDistortion")(distort_limit=0.3, mode="fisheye", border="reflect101"),
       load("ThinPlateSpline")(scale_range=(0.1, 0.3), num_control_points=3,
                               interpolation="nearest")]

OPS += [load("Illumination")(mode="gaussian", intensity=(0.05, 0.15), effect="darken",
                             center=(0.2, 0.6), sigma=(0.3, 0.5))]
NO_TWIN = {"PhotoMetricDistort"}  # torchvision's RandomPhotometricDistort; albumentations has none


def test_every_new_op_has_a_twin():
    assert sorted(type(op).__name__ for op in OPS) == sorted(set(MODULES) - NO_TWIN)


@pytest.mark.parametrize("op", OPS, ids=lambda op: type(op).__name__)
def test_to_albu_then_native_from_albu_round_trips(op):
    t = to_albu(op)
    back = from_albu(t, native=True)
    assert type(back) is type(op)
    # the same op up to spelling (a number x and the range (x, x) are one field value)
    assert to_albu_dict(back) == to_albu_dict(op), (t, back)
    assert isinstance(from_albu(t), Albu)  # the default still wraps


def test_a_pipeline_of_twins_converts_to_native_ops_and_gives_the_same_pixels():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (37, 50, 3), dtype=np.uint8)
    pipe = A.Compose([A.HorizontalFlip(p=1.0), A.PadIfNeeded(64, 64, border_mode=0, fill=5),
                      A.CenterCrop(48, 40, p=1.0), A.Transpose(p=1.0), A.ToGray(p=1.0),
                      A.Sharpen(alpha=(0.4, 0.4), lightness=(0.8, 0.8), p=1.0),
                      A.MedianBlur(blur_limit=(5, 5), p=1.0), A.Normalize()])
    op = from_albu(pipe, native=True)
    assert isinstance(op, Seq) and not any(isinstance(o, Albu) for o in op.ops)
    ours = op(img, np.random.default_rng(1))
    theirs = pipe(image=img)["image"]
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() < 1e-5  # every step forced: same pixels


@pytest.mark.parametrize("t", [
    A.CenterCrop(10, 10, pad_position="random"), A.PadIfNeeded(64, 64, fill_mask=0.5),
    A.LongestMaxSize(max_size_hw=(30, None)), A.ToGray(method="average"),
    A.GaussNoise(noise_scale_factor=0.5), A.Sharpen(method="gaussian"),
    A.Normalize(normalization="image"), A.Normalize(p=0.5), A.Blur(),
    A.Compose([A.D4(), A.Blur()]), A.CenterCrop(10, 10, fill_mask=0.5),
    A.ImageCompression(compression_type="webp"), A.PlanckianJitter(sampling_method="gaussian")])
def test_transforms_without_an_exact_twin_stay_wrapped(t):
    op = from_albu(t, native=True)
    assert isinstance(op, Albu) or type(op).__name__ == "_AlbuObject"


def test_the_colour_twins_give_albumentations_pixels():
    """HueSaturationValue, CLAHE and JpegCompression converted from albumentations, with the
    draws pinned by one-point ranges, give albumentations' pixels; PlanckianJitter within 1
    level (albumentations truncates)."""
    img = np.random.default_rng(3).integers(0, 256, (41, 57, 3), dtype=np.uint8)
    pinned = [A.HueSaturationValue((12, 12), (-20, -20), (9, 9), p=1.0),
              A.CLAHE(clip_limit=(3, 3), tile_grid_size=(4, 4), p=1.0),
              A.ImageCompression(quality_range=(55, 55), p=1.0)]
    for t in pinned:
        op = from_albu(t, native=True)
        assert not isinstance(op, Albu)
        np.testing.assert_array_equal(op(img, np.random.default_rng(0)), t(image=img)["image"])
    t = A.PlanckianJitter(temperature_limit=(6000, 6000), p=1.0)
    ours = from_albu(t, native=True)(img, np.random.default_rng(0))
    assert np.abs(ours.astype(int) - t(image=img)["image"]).max() <= 1


def test_planckian_ranges_albumentations_cannot_take_have_no_twin():
    from augkit.errors import AugkitValueError

    for temp in ((7000, 8000), (3000.5, 9000)):
        with pytest.raises(AugkitValueError, match="PlanckianJitter: temperature is .*6000 K"):
            to_albu(load("PlanckianJitter")(temperature=temp))
    with pytest.raises(AugkitValueError, match="JpegCompression: rgb is True"):
        to_albu(load("JpegCompression")(rgb=True))
