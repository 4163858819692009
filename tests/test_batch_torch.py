"""The batched path on torch (B, C, H, W) tensors (`augkit.batch_torch`): the same draws as
the per-image path, geometric runs as one grid_sample per group of images, pixel ops through
their torch kernels or the host; on the tensor's own device."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import augkit
from augkit.compose import Maybe, OneOf, Seq
from augkit.poor import (
    Affine,
    Crop,
    HFlip,
    PadCrop,
    RandomResizedCrop,
    Resize,
    Rotate,
    Scale,
    Shear,
    Translate,
    VFlip,
)
from augkit.rich import AutoAugment, RandAugment, TrivialAugment, UniformAugment

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
LINEAR = [Rotate(degrees=20), Affine(degrees=10, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=5),
          Scale(), Scale(scale=(0.5, 1.5), keep_aspect=False), Shear(x=10, y=5),
          Translate(), RandomResizedCrop(size=(24, 20)), Resize(size=(20, 28)),
          Seq((PadCrop(padding=4), HFlip(), Rotate(degrees=10))),
          Rotate(degrees=30, fill=(10, 200, 30)),
          OneOf((Rotate(degrees=15), Scale(), HFlip(p=1.0)))]
EXACT = [HFlip(), VFlip(p=0.7), PadCrop(padding=4), Crop(size=(20, 24)),
         Maybe(Translate(x=(-3, 3), y=(0, 2), unit="pixels"), p=0.6),
         Rotate(degrees=(90, 90)), Rotate(degrees=(180, 180))]
RUNNERS = [RandAugment(), RandAugment(n=3, m=12, mstd=0.5), TrivialAugment(), UniformAugment(),
           AutoAugment("autoaugment-cifar10")]


def _batch(n=12, h=32, w=40, c=3, seed=0, dtype=np.uint8):
    x = np.random.default_rng(seed).integers(0, 256, (n, h, w, c), dtype=np.uint8)
    return x if dtype == np.uint8 else (x.astype(np.float32) / 255)


def _tensor(x, device="cpu"):
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(device)


def _per_image(op, x, seed):
    rng = np.random.default_rng(seed)
    return np.stack([op(im, rng) for im in x])


def _torch_batch(op, x, seed, device="cpu"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # host fallback notices
        out = op.batch(_tensor(x, device), np.random.default_rng(seed))
    assert out.device.type == device and out.ndim == 4
    return out.permute(0, 2, 3, 1).cpu().numpy()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", LINEAR, ids=repr)
def test_linear_warps_match_the_per_image_path_within_one_level(op, device):
    x = _batch()
    want = _per_image(op, x, 3)
    got = _torch_batch(op, x, 3, device)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.abs(got.astype(int) - want).max() <= 1
    if getattr(op, "fill", 0) != 0:
        return  # (a uint8 fill: float images refuse it)
    f = _batch(dtype=np.float32)
    gotf, wantf = _torch_batch(op, f, 4, device), _per_image(op, f, 4)
    assert gotf.dtype == np.float32 and np.abs(gotf - wantf).max() <= 1.5 / 255


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", EXACT, ids=repr)
def test_flips_shifts_crops_and_right_angles_are_exact(op, device):
    x = _batch(h=32, w=32)
    np.testing.assert_array_equal(_torch_batch(op, x, 5, device), _per_image(op, x, 5))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", RUNNERS, ids=repr)
def test_runners_match_the_per_image_path(op, device):
    """Nearest-sampled geometric steps (augkit's own source indices, gathered on the
    device) and the PIL ops: the same pixels."""
    x = _batch(n=24)
    np.testing.assert_array_equal(_torch_batch(op, x, 7, device), _per_image(op, x, 7))


@pytest.mark.parametrize("device", DEVICES)
def test_nearest_ties_break_as_the_per_image_path_breaks_them(device):
    """A shear factor of 0.12 puts source positions exactly half-way between pixels (0.12 *
    12.5 = 1.5): they must round (half to even) to the pixel the per-image remap takes."""
    import math

    a = math.degrees(math.atan(0.12))
    for op in (Shear(x=(0, 0), y=(a, a), interpolation="nearest"),
               Shear(x=(a, a), y=(0, 0), interpolation="nearest", fill=(9, 8, 7))):
        x = _batch(n=4, h=32, w=40)
        np.testing.assert_array_equal(_torch_batch(op, x, 1, device), _per_image(op, x, 1))


@pytest.mark.parametrize("device", DEVICES)
def test_displacement_fields_are_sampled_on_the_device(device):
    from augkit.middle import ElasticDistortion, GridDistortion

    for op in (ElasticDistortion(alpha=8, sigma=3), ElasticDistortion(alpha=20, fill=(9, 8, 7)),
               GridDistortion(), Seq((Rotate(degrees=10), ElasticDistortion(alpha=5)))):
        x = _batch(n=6)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a torch kernel: no host fallback notice
            got = op.batch(_tensor(x, device), np.random.default_rng(2))
        assert got.device.type == device
        got = got.permute(0, 2, 3, 1).cpu().numpy()
        assert np.abs(got.astype(int) - _per_image(op, x, 2)).max() <= 1


def test_cubic_warps_agree_away_from_the_border():
    op = Rotate(degrees=15, interpolation="cubic")
    x = _batch()
    d = np.abs(_torch_batch(op, x, 2).astype(int) - _per_image(op, x, 2)).max(-1)
    assert d[:, 3:-3, 3:-3].max() <= 1 and d.max() <= 32


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(2, 24), w=st.integers(2, 24),
       c=st.sampled_from([1, 3, 4]), n=st.integers(1, 6))
def test_any_batch_keeps_dtype_device_and_leaves_its_input_alone(seed, h, w, c, n):
    op = Seq((PadCrop(padding=2), HFlip(), Rotate(degrees=20)))
    x = _batch(n, h, w, c, seed)
    t = _tensor(x)
    before = t.clone()
    out = op.batch(t, np.random.default_rng(seed))
    assert torch.equal(t, before)
    assert out.dtype == torch.uint8 and out.shape == t.shape and out is not t
    again = op.batch(t, np.random.default_rng(seed))
    assert torch.equal(out, again)  # same seed, same pixels
    want = _per_image(op, x, seed)
    assert np.abs(out.permute(0, 2, 3, 1).numpy().astype(int) - want).max() <= 1


def test_an_op_without_a_torch_kernel_goes_through_the_host_and_says_so_once():
    from augkit import batch_torch
    from augkit.poor import Grayscale

    op = Grayscale(p=0.7)
    batch_torch._WARNED.discard("Grayscale")
    x = _batch(n=4)
    with pytest.warns(RuntimeWarning, match="Grayscale has no torch kernel"):
        got = op.batch(_tensor(x), np.random.default_rng(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        op.batch(_tensor(x), np.random.default_rng(1))  # said once only
    np.testing.assert_array_equal(got.permute(0, 2, 3, 1).numpy(), _per_image(op, x, 1))


@pytest.mark.parametrize("bad,err,match", [
    (torch.zeros(2, 3, 8), augkit.AugkitValueError, "expected \\(B, C, H, W\\)"),
    (torch.zeros(2, 3, 8, 8, dtype=torch.float64), augkit.AugkitTypeError, "float64"),
    (torch.full((2, 3, 8, 8), 2.0), augkit.AugkitValueError, "span \\[2, 2\\]"),
    (torch.full((2, 3, 8, 8), float("nan")), augkit.AugkitValueError, "expected finite"),
    (torch.zeros(0, 3, 8, 8, dtype=torch.uint8), augkit.AugkitValueError, "empty"),
])
def test_bad_tensors_get_a_typed_error_naming_the_op(bad, err, match):
    with pytest.raises(err, match="Rotate: images .*" + match):
        Rotate().batch(bad, np.random.default_rng(0))


def test_recorded_params_replay_on_a_tensor():
    from augkit.batch import apply_batch_params, sample_batch

    op = Seq((RandomResizedCrop(size=24), HFlip()))
    x = _batch()
    params = sample_batch(op, np.random.default_rng(9), x)
    got = apply_batch_params(op, _tensor(x), params).permute(0, 2, 3, 1).numpy()
    assert np.abs(got.astype(int) - _per_image(op, x, 9)).max() <= 1
    with pytest.raises(augkit.AugkitValueError, match="params"):
        apply_batch_params(op, _tensor(x), params[:3])


def _pixel_ops():
    from augkit.middle import CutOut
    from augkit.poor import ColorShift, PCALighting, RGBShift
    from augkit.poor import pil_ops as P

    return [ColorShift(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1), RGBShift(),
            PCALighting(), CutOut(size=8, fill=(0.1, 0.2, 0.3)), CutOut(size=5, holes=3),
            P.Invert(), P.Solarize(), P.Posterize(), P.AutoContrast(), P.Equalize(),
            P.Brightness(), P.Contrast(), P.Color(), P.Sharpness(), P.SamplePairing(),
            P.Identity()]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op", _pixel_ops() + RUNNERS, ids=repr)
def test_pixel_ops_and_runners_run_their_torch_kernels(op, device):
    """No host fallback (the notice would be an error here): uint8 exact, float32 within
    1e-5 of the per-image path."""
    x = _batch(n=10)
    for data, tol in ((x, 0), (x.astype(np.float32) / 255, 1e-5)):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            got = op.batch(_tensor(data, device), np.random.default_rng(4))
        assert got.device.type == device and got.dtype == _tensor(data).dtype
        got = got.permute(0, 2, 3, 1).cpu().numpy()
        want = _per_image(op, data, 4)
        assert np.abs(got.astype(np.float64) - want).max() <= tol


@pytest.mark.parametrize("device", DEVICES)
def test_blurs_run_on_the_device_within_one_level(device):
    from augkit.poor import Blur, MotionBlur

    x = _batch(n=8)
    for op in (Blur(), Blur(kind="box"), Blur(kind="median"), Blur(kernel=0, sigma=(0.5, 3)),
               MotionBlur(kernel=(3, 15))):
        for data, tol in ((x, 1), (x.astype(np.float32) / 255, 1e-5)):
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)  # no host fallback
                got = op.batch(_tensor(data, device), np.random.default_rng(6))
            got = got.permute(0, 2, 3, 1).cpu().numpy()
            assert np.abs(got.astype(np.float64) - _per_image(op, data, 6)).max() <= tol
    tiny = _batch(n=3, h=4, w=5)  # a 15-pixel kernel does not fit: the host path, same pixels
    op = MotionBlur(kernel=(15, 15))
    np.testing.assert_array_equal(_torch_batch(op, tiny, 1, device), _per_image(op, tiny, 1))
