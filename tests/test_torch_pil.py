"""The batched torch pixel kernels (`functional.torch_pil`, `functional.torch_color`) against
augkit's per-image numpy kernels, image by image: random uint8 and float32 batches (B 1..5,
sides 1..24, grey / RGB / RGBA), per-image parameters from the ops' ranges; inputs untouched,
dtype and device kept. The same checks run on CUDA when a GPU is present."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augkit.functional import color as NC
from augkit.functional import pil as NP
from augkit.functional import torch_color as TC
from augkit.functional import torch_pil as TP
from augkit.middle.cutout import CutOut
from augkit.poor.color import ColorShift, RGBShift

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device on this machine"))]


def _images(seed: int, b: int, h: int, w: int, c: int, dtype: str) -> np.ndarray:
    """(B, H, W, C) test images: uniform noise, a few levels (ties, flat histograms), or a
    flat channel, chosen per image by the seed."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(b):
        kind = rng.integers(4)
        if kind == 0:
            img = rng.random((h, w, c))
        elif kind == 1:
            img = rng.integers(0, 4, (h, w, c)) * (85 / 255)
        elif kind == 2:
            img = rng.random((h, w, c))
            img[..., rng.integers(c)] = rng.integers(256) / 255
        else:
            img = np.round(rng.random((h, w, c)) * 255) / 255
        out.append(img)
    a = np.stack(out)
    if dtype == "uint8":
        return np.round(a * 255).astype(np.uint8)
    return a.astype(np.float32)


@st.composite
def batches(draw, channels=(1, 3, 4)):
    b = draw(st.integers(1, 5))
    h = draw(st.integers(1, 24))
    w = draw(st.integers(1, 24))
    c = draw(st.sampled_from(channels))
    dtype = draw(st.sampled_from(["uint8", "float32"]))
    return _images(draw(st.integers(0, 2 ** 32 - 1)), b, h, w, c, dtype)


def _to_torch(a: np.ndarray, device: str) -> torch.Tensor:
    return torch.from_numpy(a).permute(0, 3, 1, 2).contiguous().to(device)


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.permute(0, 2, 3, 1).cpu().numpy()


def _check(out: torch.Tensor, x: torch.Tensor, x_before: torch.Tensor, ref: np.ndarray,
           tol_u8: int, tol_f: float) -> None:
    """dtype, shape and device kept, input untouched, within tolerance of `ref`."""
    assert out.dtype == x.dtype and out.shape == x.shape and out.device == x.device
    assert torch.equal(x, x_before), "the kernel wrote into its input"
    got = _to_numpy(out)
    ref = np.asarray(ref).reshape(got.shape)
    assert ref.dtype == got.dtype
    diff = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    tol = tol_u8 if got.dtype == np.uint8 else np.reshape(tol_f, (-1, 1, 1, 1))  # per image
    assert (diff <= tol).all(), (diff.max(), np.argwhere(diff > tol)[:5])


def _run(device: str, a: np.ndarray, kernel, params, ref_fn, tol_u8=0, tol_f=0.0):
    """Torch `kernel(x, params)` against `ref_fn(image_j, params[j])` per image; `tol_f` may
    be a function of the parameters (one tolerance per image)."""
    tol_f = tol_f(np.asarray(params, np.float64)) if callable(tol_f) else tol_f
    x = _to_torch(a, device)
    before = x.clone()
    out = kernel(x) if params is None else kernel(x, params)
    ref = np.stack([ref_fn(a[j]) if params is None else ref_fn(a[j], params[j])
                    for j in range(len(a))])
    _check(out, x, before, ref, tol_u8, tol_f)


def _factors(draw, n):
    """Enhancer factors: mostly the policies' 0..2, sometimes up to the ops' bound 100."""
    hi = draw(st.sampled_from([2.0, 2.0, 100.0]))
    return [draw(st.floats(0.0, hi)) for _ in range(n)]


# --- ImageOps point operations ------------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@given(a=batches())
def test_invert_autocontrast_equalize(device, a):
    for kernel, ref in ((TP.invert, NP.invert), (TP.autocontrast, NP.autocontrast),
                        (TP.equalize, NP.equalize)):
        _run(device, a, kernel, None, ref)


@pytest.mark.parametrize("device", DEVICES)
@given(a=batches(), data=st.data())
def test_solarize(device, a, data):
    t = [data.draw(st.one_of(st.floats(0.0, 256.0), st.integers(0, 256).map(float)))
         for _ in range(len(a))]
    _run(device, a, TP.solarize, t, NP.solarize)


@pytest.mark.parametrize("device", DEVICES)
@given(a=batches(), data=st.data())
def test_posterize(device, a, data):
    bits = [data.draw(st.integers(0, 8)) for _ in range(len(a))]
    _run(device, a, TP.posterize, bits, NP.posterize)


def test_autocontrast_subnormal_span():
    """A float channel spanning one subnormal step: the float32 inverse would overflow."""
    a = np.zeros((1, 2, 2, 1), np.float32)
    a[0, 0, 0, 0] = np.float32(1e-45)
    _run("cpu", a, TP.autocontrast, None, NP.autocontrast)
    assert _to_numpy(TP.autocontrast(_to_torch(a, "cpu"))).max() == 1.0


def test_equalize_uses_pil_rule():
    """One image, one channel whose histogram makes step // 2 matter: the table by hand."""
    a = np.array([0] * 1000 + [10] * 600 + [200] * 400, np.uint8).reshape(1, 40, 50, 1)
    out = _to_numpy(TP.equalize(_to_torch(a, "cpu")))
    step = (2000 - 400) // 255  # pixels minus the count of the last non-empty level: 6
    want = {v: min(255, (below + step // 2) // step)
            for v, below in ((0, 0), (10, 1000), (200, 1600))}
    assert want == {0: 0, 10: 167, 200: 255}
    for v, w in want.items():
        assert (out[a == v] == w).all()


# --- enhancers ----------------------------------------------------------------------------

def _scaled(f):
    """Float contrast / sharpness: the degenerate image (a float32 mean, a 3x3 filter) is
    summed in another order than numpy's / OpenCV's, a few float32 ulps apart, and the
    blend scales that by |1 - factor|: 5e-7 per unit (1e-5 up to factor 21)."""
    return 5e-7 * np.maximum(1.0, np.abs(1.0 - f))


ENHANCERS = [(TP.brightness, NP.brightness, 0, 0.0), (TP.contrast, NP.contrast, 0, _scaled),
             (TP.color, NP.color, 0, 0.0), (TP.sharpness, NP.sharpness, 0, _scaled)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kernel,ref,tol_u8,tol_f", ENHANCERS,
                         ids=[k[0].__name__ for k in ENHANCERS])
@given(a=batches(), data=st.data())
def test_enhancers(device, kernel, ref, tol_u8, tol_f, a, data):
    _run(device, a, kernel, _factors(data.draw, len(a)), ref, tol_u8, tol_f)


@pytest.mark.parametrize("device", DEVICES)
@given(a=batches(), data=st.data())
def test_sample_pairing(device, a, data):
    w = [data.draw(st.floats(0.0, 1.0)) for _ in range(len(a))]
    _run(device, a, TP.sample_pairing, w, NP.sample_pairing)


def test_one_factor_for_every_image_and_scalar_forms():
    a = _images(3, 4, 9, 11, 3, "uint8")
    x = _to_torch(a, "cpu")
    assert torch.equal(TP.brightness(x, 0.7), TP.brightness(x, [0.7] * 4))
    assert torch.equal(TP.brightness(x, torch.tensor(0.7)), TP.brightness(x, [0.7] * 4))
    assert torch.equal(TP.solarize(x, torch.full((4,), 100.0)), TP.solarize(x, 100))


# --- ColorShift and RGBShift --------------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@given(a=batches(), data=st.data())
def test_color_shift(device, a, data):
    op = ColorShift(brightness=data.draw(st.sampled_from([0.0, 0.4, 1.0])),
                    contrast=data.draw(st.sampled_from([0.0, 0.4, 1.0])),
                    saturation=data.draw(st.sampled_from([0.0, 0.4, (0.0, 60.0)])),
                    hue=data.draw(st.sampled_from([0.0, 0.05, 0.5])),
                    random_order=data.draw(st.booleans()))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    ps = [op.sample(rng, None) for _ in a]
    x = _to_torch(a, device)
    before = x.clone()
    out = TC.color_shift(x, [p["order"] for p in ps],
                         *([p[k] for p in ps] for k in ("brightness", "contrast", "saturation",
                                                        "hue")))
    ref = np.stack([op.image(a[j], ps[j]).reshape(a[j].shape) for j in range(len(a))])
    # uint8: hue within 1 level; float32: a few ulps, times the largest factor (saturation)
    tol_f = [2e-6 * max(1.0, p["saturation"], p["contrast"], p["brightness"]) for p in ps]
    _check(out, x, before, ref, 1, tol_f)


def test_color_shift_saturation_fixed_point_exact():
    """Saturation alone on uint8 RGB: OpenCV's 10-bit fixed point, bit for bit."""
    a = _images(11, 5, 13, 17, 3, "uint8")
    f = [0.0, 0.3, 1.7, 5.0, 20.0]
    ref = np.stack([NC.adjust_saturation(a[j], f[j]) for j in range(5)])
    x = _to_torch(a, "cpu")
    _check(TC.adjust_saturation(x, f), x, x.clone(), ref, 0, 0.0)


def test_color_shift_refuses_bad_params():
    x = _to_torch(_images(1, 2, 4, 4, 3, "uint8"), "cpu")
    with pytest.raises(ValueError, match="color_shift: order"):
        TC.color_shift(x, [[0, 0, 1, 2]] * 2, 1.0, 1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="color_shift: factors"):
        TC.color_shift(x, [0, 1, 2, 3], [1.0, 1.0, 1.0], 1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="color_shift: x"):
        TC.color_shift(x[:, :2], [0, 1, 2, 3], 1.0, 1.5, 1.0, 0.0)


@pytest.mark.parametrize("device", DEVICES)
@given(a=batches(), data=st.data())
def test_shift_channels(device, a, data):
    op = RGBShift(*(data.draw(st.sampled_from([0.0, 20.0, 255.0])) for _ in range(3)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    shifts = [[v / 255.0 for v in op.sample(rng, None)["shift"]] for _ in a]
    _run(device, a, TC.shift_channels, shifts, NC.shift_channels)


# --- CutOut -------------------------------------------------------------------------------

@pytest.mark.parametrize("device", DEVICES)
@given(a=batches(), data=st.data())
def test_fill_holes(device, a, data):
    h, w, c = a.shape[1:]
    fill = data.draw(st.sampled_from([0.0, 0.5, tuple(np.linspace(0, 1, c).tolist())]))
    if a.dtype == np.uint8:
        fill = tuple(255 * v for v in fill) if isinstance(fill, tuple) else 255 * fill
    op = CutOut(size=data.draw(st.integers(1, max(h, w))), holes=data.draw(st.integers(0, 3)),
                fill=fill)
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    s = types.SimpleNamespace(size=(h, w))
    ps = [op.sample(rng, s) for _ in a]
    x = _to_torch(a, device)
    before = x.clone()
    out = TP.fill_holes(x, [p["holes"] for p in ps], fill)
    _check(out, x, before, op.image_batch(a, ps), 0, 0.0)


def test_fill_holes_clips_and_ignores_empty_rectangles():
    a = _images(5, 2, 6, 7, 3, "uint8")
    holes = [[(-2, -2, 2, 2), (4, 5, 3, 9)], [(5, 6, 99, 99)]]
    out = _to_numpy(TP.fill_holes(_to_torch(a, "cpu"), holes, 7))
    ref = a.copy()
    ref[0, 0:2, 0:2] = 7
    ref[1, 5:, 6:] = 7
    np.testing.assert_array_equal(out, ref)
    # a uint8 fill is rounded as CutOut rounds it (127.5 -> 128), not truncated
    half = _to_numpy(TP.fill_holes(_to_torch(a, "cpu"), holes, 127.5))
    want = CutOut(fill=127.5).image_batch(a, [{"holes": [[0, 0, 2, 2]]}, {"holes": [[5, 6, 6, 7]]}])
    np.testing.assert_array_equal(half, want)


# --- argument errors ----------------------------------------------------------------------

def test_typed_errors():
    x = _to_torch(_images(2, 3, 4, 4, 3, "uint8"), "cpu")
    with pytest.raises(TypeError, match="solarize: x"):
        TP.solarize(x.to(torch.int32), [1, 2, 3])
    with pytest.raises(ValueError, match="brightness: factors"):
        TP.brightness(x, [1.0, 2.0])
    with pytest.raises(ValueError, match="contrast: factors"):
        TP.contrast(x, [1.0, float("nan"), 1.0])
    with pytest.raises(ValueError, match="posterize: bits"):
        TP.posterize(x, [1, 9, 2])
    with pytest.raises(ValueError, match="equalize: x"):
        TP.equalize(x[0])
    with pytest.raises(ValueError, match="fill_holes: fill"):
        TP.fill_holes(x, [[(0, 0, 1, 1)]] * 3, (1, 2))
    with pytest.raises(ValueError, match="shift_channels: shifts"):
        TC.shift_channels(x, [[0.1, 0.2]] * 3)
