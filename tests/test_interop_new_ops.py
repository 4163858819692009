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
       load("Normalize")(mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3))]


def test_every_new_op_has_a_twin():
    assert sorted(type(op).__name__ for op in OPS) == sorted(MODULES)


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
    A.CenterCrop(10, 10, border_mode=1), A.PadIfNeeded(64, 64, border_mode=4),
    A.LongestMaxSize(max_size_hw=(30, None)), A.ToGray(method="average"),
    A.GaussNoise(noise_scale_factor=0.5), A.Sharpen(method="gaussian"),
    A.Normalize(normalization="image"), A.Normalize(p=0.5), A.Blur(),
    A.Compose([A.D4(), A.Blur()]), A.CenterCrop(10, 10, fill_mask=0.5)])
def test_transforms_without_an_exact_twin_stay_wrapped(t):
    op = from_albu(t, native=True)
    assert isinstance(op, Albu) or type(op).__name__ == "_AlbuObject"
