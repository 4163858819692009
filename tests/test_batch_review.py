"""Review of the batched path (issues #13, #14): counterexamples to its contract.

``op.batch(x, rng)`` must equal ``[op(img, rng) for img in x]`` (numpy exactly; torch within
docs/gpu.md's tolerances) for any op and any batch, with typed augkit errors for bad input;
``op.batch(SampleBatch)`` must move targets as the per-image path does. Each test below failed
on the tree it was written against.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit import AugkitError, Sample
from augkit.compose import Maybe, OneOf, Seq
from augkit.core import PixelOp
from augkit.mix import SampleBatch
from augkit.poor import (
    D4,
    BBoxSafeCrop,
    Crop,
    HFlip,
    Invert,
    RandomResizedCrop,
    RandomRotate90,
    Resize,
    Rotate,
    Transpose,
)
from augkit.rich import AugMix


def _images(shape, seed=0, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        return rng.integers(0, 256, shape, dtype=np.uint8)
    return rng.random(shape, dtype=np.float32)


def _per_image(op, x, seed):
    rng = np.random.default_rng(seed)
    return np.stack([op(img, rng) for img in x])


def _torch(x):
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def _from_torch(t):
    return t.permute(0, 2, 3, 1).numpy()


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the host-path notice
        return fn(*args)


# --- 1. an op that overrides sample_apply (the documented "draw and apply in one pass") --

@dataclass(frozen=True)
class _DimInOnePass(PixelOp):
    """A user op that draws inside `sample_apply` (its `sample` is the base's: {})."""

    register: ClassVar[bool] = False

    def sample_apply(self, rng, s):
        v = float(rng.random())
        return s.replace(image=self.image(s.image, {"v": v})), {"v": v}

    def image(self, img, params):
        return (img.astype(np.float32) * np.float32(params["v"])).astype(img.dtype)


@pytest.mark.parametrize("op", [_DimInOnePass(), Seq((Rotate(degrees=10), _DimInOnePass())),
                                Maybe(_DimInOnePass(), 0.7),
                                OneOf((_DimInOnePass(), Invert()))], ids=repr)
def test_an_op_that_draws_in_sample_apply_batches_like_the_loop(op):
    x = _images((4, 9, 11, 3))
    np.testing.assert_array_equal(op.batch(x, np.random.default_rng(3)), _per_image(op, x, 3))
    got = _quiet(op.batch, _torch(x), np.random.default_rng(3))
    np.testing.assert_array_equal(_from_torch(got), _per_image(op, x, 3))


# --- 2. AugMix (a runner overriding sample_apply without _Steps._draw) ---------------------

@pytest.mark.parametrize("op", [AugMix(), AugMix(spatial=False, width=2, depth=2)], ids=repr)
def test_augmix_batches_like_the_loop(op):
    x = _images((3, 12, 12, 3))
    np.testing.assert_array_equal(op.batch(x, np.random.default_rng(1)), _per_image(op, x, 1))
    got = _quiet(op.batch, _torch(x), np.random.default_rng(1))
    np.testing.assert_array_equal(_from_torch(got), _per_image(op, x, 1))


# --- 3. exact dihedral ops change the size of non-square images ---------------------------

@pytest.mark.parametrize("op", [Transpose(p=1.0), Seq((HFlip(), Transpose(p=1.0))),
                                Seq((Transpose(p=1.0), Rotate(degrees=10)))], ids=repr)
@pytest.mark.parametrize("shape", [(3, 5, 7, 3), (2, 130, 140, 3)])
def test_a_dihedral_op_that_swaps_the_sides_batches_like_the_loop(op, shape):
    x = _images(shape)
    want = _per_image(op, x, 1)
    np.testing.assert_array_equal(op.batch(x, np.random.default_rng(1)), want)
    got = _from_torch(_quiet(op.batch, _torch(x), np.random.default_rng(1)))
    assert got.shape == want.shape  # torch: linear warps within 1 level (docs/gpu.md)
    assert np.abs(got.astype(int) - want).max() <= 1


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_quarter_turns_batch_like_the_loop_when_the_sizes_agree(seed):
    x = _images((3, 6, 9, 3), seed)
    for op in (RandomRotate90(), D4()):
        try:
            want = _per_image(op, x, seed)
        except ValueError:  # the turns differ in parity: no one batch size
            with pytest.raises(AugkitError):
                op.batch(x, np.random.default_rng(seed))
            continue
        np.testing.assert_array_equal(op.batch(x, np.random.default_rng(seed)), want)


# --- 4. different size-changing steps at one step position -------------------------------

@pytest.mark.parametrize("op", [
    OneOf((Resize(size=16), Resize(size=16, interpolation="nearest"))),
    OneOf((Crop(size=16), Resize(size=16))),
    OneOf((Seq((Crop(size=16), Invert())), RandomResizedCrop(size=16))),
], ids=repr)
def test_choices_that_reach_one_size_by_different_steps(op):
    x = _images((8, 32, 32, 3))
    want = _per_image(op, x, 1)
    np.testing.assert_array_equal(op.batch(x, np.random.default_rng(1)), want)
    got = _from_torch(_quiet(op.batch, _torch(x), np.random.default_rng(1)))
    assert got.shape == want.shape and np.abs(got.astype(int) - want).max() <= 1


# --- 5. SampleBatch: an op whose draw reads the boxes -----------------------------------

def test_bbox_safe_crop_on_a_sample_batch_draws_from_the_boxes():
    rng = np.random.default_rng(0)
    n, h, w = 4, 32, 40
    imgs = rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8)
    masks = rng.integers(0, 5, (n, h, w), dtype=np.uint8)
    boxes = [np.array([[10.0, 8.0, 20.0, 18.0], [25.0, 3.0, 30.0, 9.0]], np.float32)
             for _ in range(n)]
    op = BBoxSafeCrop(size=(16, 12))
    r = np.random.default_rng(5)
    want = [op(Sample(imgs[j], mask=masks[j], boxes=boxes[j], box_labels=np.arange(2)), rng=r)
            for j in range(n)]
    batch = SampleBatch(_torch(imgs), masks=torch.from_numpy(masks),
                        boxes=[torch.from_numpy(b) for b in boxes],
                        box_labels=[torch.arange(2) for _ in range(n)])
    out = _quiet(op.batch, batch, np.random.default_rng(5))
    for j, s in enumerate(want):
        assert np.abs(_from_torch(out.images[j:j + 1])[0].astype(int) - s.image).max() <= 1
        np.testing.assert_array_equal(out.masks[j].numpy(), s.mask)
        np.testing.assert_array_equal(out.boxes[j].numpy(), s.boxes)


def test_a_sample_batch_whose_images_come_out_in_different_sizes_is_a_typed_error():
    n, h, w = 4, 6, 9
    imgs = _images((n, h, w, 3))
    batch = SampleBatch(_torch(imgs), masks=torch.zeros((n, h, w), dtype=torch.uint8))
    # seed 0 turns the images by 90 and 180 degrees: (9, 6) and (6, 9)
    with pytest.raises(AugkitError):
        _quiet(RandomRotate90().batch, batch, np.random.default_rng(0))


# --- 6. bad input gets a typed error; valid input is not refused --------------------------

def test_a_list_of_images_of_different_sizes_is_a_typed_error():
    with pytest.raises(AugkitError, match="HFlip: images"):
        HFlip().batch([np.zeros((4, 4, 3), np.uint8), np.zeros((5, 5, 3), np.uint8)])


def test_one_pixel_images_with_five_channels_are_a_batch():
    x = _images((3, 1, 1, 5))
    op = Seq((HFlip(), Invert()))
    np.testing.assert_array_equal(op.batch(x, np.random.default_rng(0)), _per_image(op, x, 0))


# --- 7. a runner's fill that does not fit the images: the runner's own typed error ----------

@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_a_runner_fill_that_misfits_is_refused_naming_the_runner(seed, kind):
    from augkit.rich import AutoAugment, RandAugment

    grey = _images((2, 8, 8))
    x = grey if kind == "numpy" else torch.from_numpy(grey[:, None].copy())
    for op in (AutoAugment(fill=(10, 20, 30)),
               RandAugment(fill=(10, 20, 30), ops=("Invert", "Rotate"))):
        name = type(op).__name__
        with pytest.raises(AugkitError, match=f"{name}: fill"):  # what the loop raises
            _per_image(op, grey, seed)
        with pytest.raises(AugkitError, match=f"{name}: fill"):
            _quiet(op.batch, x, np.random.default_rng(seed))


def test_such_an_op_runs_once_per_image_not_twice(monkeypatch):
    """The executors run an op that draws in its own sample_apply image by image through
    sample_apply (the per-image path itself): its kernel runs once per image, not a second
    time in an apply pass after the draws."""
    calls = []
    real = _DimInOnePass.image
    monkeypatch.setattr(_DimInOnePass, "image",
                        lambda self, img, p: calls.append(1) or real(self, img, p))
    op = Seq((Rotate(degrees=10), _DimInOnePass()))
    x = _images((5, 8, 8, 3))
    want = _per_image(op, x, 2)
    calls.clear()
    np.testing.assert_array_equal(op.batch(x, np.random.default_rng(2)), want)
    assert len(calls) == 5
    from augkit.batch import apply_batch_items

    calls.clear()
    got = apply_batch_items(op, x, [np.random.default_rng(j) for j in range(5)])
    assert len(calls) == 5
    for j in range(5):
        np.testing.assert_array_equal(got[j], op(x[j], np.random.default_rng(j)))


def test_per_item_generators_on_a_tensor_stay_on_the_tensor():
    from augkit.batch import apply_batch_items

    op = Seq((Rotate(degrees=10, interpolation="nearest"), Invert()))
    x = _images((4, 9, 7, 3))
    got = apply_batch_items(op, _torch(x), [np.random.default_rng(j) for j in range(4)])
    assert isinstance(got, torch.Tensor) and got.shape == (4, 3, 9, 7)
    for j in range(4):
        np.testing.assert_array_equal(_from_torch(got)[j], op(x[j], np.random.default_rng(j)))
