"""Fill semantics, one rule for every op with a `fill` field (`augkit.functional.fill`).

* fills are in image units (0..255 uint8, 0..1 float32), one value or one per channel;
* a single value paints every channel (OpenCV alone would read a number as (v, 0, 0, 0));
* a wrong count or an out-of-range value is a typed error naming the op and the field, at
  apply time (the first moment dtype and channels are known), never a clamp or a raw crash;
* mask_fill must fit the mask dtype (0 / 1 for bool masks);
* keypoints on the image border, x in [0, W] and y in [0, H], stay visible.

The ops are discovered from the registry: a new op with a `fill` field fails
`test_every_fill_op_is_covered` until it has an uncovering instance below.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from augkit import Sample
from augkit.core import registered_ops
from augkit.errors import AugkitValueError
from augkit.functional.fill import fill_for, label_fill_for
from augkit.functional.geometry import hflip, warp_keypoints

RICH = ("AugMix", "AutoAugment", "RandAugment", "TrivialAugment", "UniformAugment")


def _ops():
    return registered_ops()


def _make(name, **kw):
    """An instance sure to uncover pixels (nearest sampling where the op has a choice, so the
    uncovered pixels hold the fill exactly) and, where params are drawn, the params to use
    (None: draw them)."""
    ops = _ops()
    cls = ops[name]
    near = {"interpolation": "nearest"}
    table = {
        "Affine": lambda: (cls(degrees=(40.0, 40.0), **near, **kw), None),
        "Rotate": lambda: (cls(degrees=(45.0, 45.0), **near, **kw), None),
        "Scale": lambda: (cls(scale=(0.5, 0.5), **near, **kw), None),
        "Shear": lambda: (cls(x=(30.0, 30.0), **near, **kw), None),
        "Translate": lambda: (cls(x=(0.25, 0.25), y=(0.0, 0.0), **near, **kw), None),
        "Crop": lambda: (cls(size=24, position="center", **kw), None),
        "CenterCrop": lambda: (cls(size=24, **kw), None),
        "PadIfNeeded": lambda: (cls(min_height=24, min_width=20, **kw), None),
        "Pad": lambda: (cls(padding=2, **kw), None),
        "PadCrop": lambda: (cls(padding=4, **kw), {"dx": 3, "dy": -2}),
        "CutOut": lambda: (cls(size=6, holes=3, **kw), None),
        "ElasticDistortion": lambda: (cls(alpha=300.0, sigma=2.0, **near, **kw), None),
        # a squeezed first cell: the border pixel samples half a pixel past the edge
        "GridDistortion": lambda: (cls(**kw), {"xsteps": [0.1, 1.9, 1.0, 1.0, 1.0],
                                               "ysteps": [0.1, 1.9, 1.0, 1.0, 1.0]}),
        # issue 15's warps: a fitted frame around a skewed quad, a barrel lens, a zoom-out
        "Perspective": lambda: (cls(fit_output=True, keep_size=False, **near, **kw),
                                {"corners": [[3.0, 2.0], [14.0, 4.0], [12.0, 13.0], [1.0, 15.0]]}),
        "OpticalDistortion": lambda: (cls(**near, **kw), {"k": 0.5}),
        "ThinPlateSpline": lambda: (cls(num_control_points=3, **near, **kw), {"points": [
            [2 * x - 0.5, 2 * y - 0.5] for y in (0, 0.5, 1) for x in (0, 0.5, 1)]}),
        "AutoAugment": lambda: (cls(policy=((("Rotate", 1.0, 9),),), space="torchvision",
                                    levels=10, **kw), None),
        "RandAugment": lambda: (cls(n=1, m=30, ops=("Rotate",), **kw), None),
        "TrivialAugment": lambda: (cls(ops=("Rotate",), **kw), None),
        "UniformAugment": lambda: (cls(n=1, prob=(1.0, 1.0), ops=("Rotate",), **kw), None),
        "AugMix": lambda: (cls(**kw), None),
    }
    return table[name]()


def _fill_op_names():
    return sorted(n for n, c in _ops().items() if dataclasses.is_dataclass(c)
                  and "fill" in {f.name for f in dataclasses.fields(c)})


def _mask_fill_op_names():
    """Ops whose mask_fill reaches a mask. AugMix has the field too (every runner does) but
    refuses masks while it warps (spatial=True) and has no warps without: see
    `test_augmix_takes_mask_fill_and_leaves_masks_to_its_rule`."""
    return sorted(n for n, c in _ops().items() if dataclasses.is_dataclass(c) and n != "AugMix"
                  and "mask_fill" in {f.name for f in dataclasses.fields(c)})


FILL_OPS = _fill_op_names()
MASK_FILL_OPS = _mask_fill_op_names()
CHANNELS = (0, 3, 4, 5)  # 0: grey (H, W)


def _image(channels, dtype):
    v = 200 if dtype == np.uint8 else 0.8
    shape = (16, 16) if channels == 0 else (16, 16, channels)
    return np.full(shape, v, dtype)


def _run(op, params, s, seed=0):
    if params is None:
        return op.sample_apply(np.random.default_rng(seed), s)[0]
    return op.apply(s, params)


def test_every_fill_op_is_covered():
    assert {"Rotate", "Pad", "CutOut", "ElasticDistortion", "GridDistortion"} <= set(FILL_OPS)
    for name in FILL_OPS:
        _make(name)  # KeyError: a new op with a fill field needs an entry in `_make`


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("name", FILL_OPS)
def test_scalar_fill_paints_every_channel(name, channels, dtype):
    fill = 37 if dtype == np.uint8 else 0.25
    op, params = _make(name, fill=fill)
    img = _image(channels, dtype)
    outs = [_run(op, params, Sample(img), seed).image for seed in range(3)]
    for out in outs:
        assert out.dtype == img.dtype and out.ndim == img.ndim
        if out.ndim == 3:  # a constant grey image and a scalar fill: every pixel stays grey
            assert (out == out[..., :1]).all(), f"{name}: fill did not reach every channel"
    grey = [o if o.ndim == 2 else o[..., 0] for o in outs]
    if name == "AugMix":  # mixes the chains with the original: no pixel holds the fill
        return
    if name == "GridDistortion":  # interpolation blends the fill into the border pixels
        assert any((np.abs(g.astype(float) - float(img.flat[0])) > 1e-3).any() for g in grey)
        assert all(((g >= min(fill, img.flat[0])) & (g <= max(fill, img.flat[0]))).all()
                   for g in grey)
        return
    assert any((g == np.asarray(fill, dtype)).any() for g in grey), f"{name}: no fill pixel"


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("name", [n for n in FILL_OPS if n != "AugMix"])
def test_per_channel_fill(name, dtype):
    fill = (10, 20, 30, 40) if dtype == np.uint8 else (0.1, 0.2, 0.3, 0.4)
    op, params = _make(name, fill=fill, **({"interpolation": "nearest"} if name ==
                                           "GridDistortion" else {}))
    img = _image(4, dtype)
    out = _run(op, params, Sample(img)).image
    want = np.asarray(fill, dtype)
    if name == "GridDistortion":  # nearest sampling never leaves the image here
        return
    assert (out == want).all(-1).any(), f"{name}: no pixel holds the per-channel fill"


def _raises_named(name, fn, field, words=""):
    """A typed error naming the op and the field (the rich runners name themselves, not the
    inner step that uncovers pixels: issue #11)."""
    with pytest.raises(AugkitValueError) as e:
        fn()
    msg = str(e.value)
    who, _, rest = msg.partition(": ")
    assert who == name, msg
    assert rest.startswith(field + " "), msg
    assert words in rest, msg


def _wrong_count(channels):
    return 2 if channels in (0, 3) else 3


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("channels", CHANNELS)
@pytest.mark.parametrize("name", [n for n in FILL_OPS if n != "AugMix"])
def test_wrong_fill_count_is_typed(name, channels, dtype):
    k = _wrong_count(channels)
    op, params = _make(name, fill=(0,) * k)
    img = _image(channels, dtype)
    _raises_named(name, lambda: _run(op, params, Sample(img)), "fill",
                  f"has {k} values for image {img.shape}")


@pytest.mark.parametrize("name", [n for n in FILL_OPS if n != "AugMix"])
@pytest.mark.parametrize("dtype, fill", [(np.uint8, 300), (np.uint8, -5), (np.uint8, (0, 0, 256)),
                                         (np.float32, 1.5), (np.float32, -0.1),
                                         (np.float32, 37)])
def test_fill_out_of_the_image_range_is_typed(name, dtype, fill):
    op, params = _make(name, fill=fill)
    img = _image(3, dtype)
    _raises_named(name, lambda: _run(op, params, Sample(img)), "fill", "outside")


def test_augmix_checks_its_fill_when_a_geometric_step_runs():
    op, _ = _make("AugMix", fill=(1, 2))
    img = _image(3, np.uint8)
    raised = 0
    for seed in range(8):
        try:
            op(img, rng=np.random.default_rng(seed))
        except AugkitValueError as e:
            assert ": fill has 2 values" in str(e)
            raised += 1
    assert raised > 0


@pytest.mark.parametrize("name", FILL_OPS)
@pytest.mark.parametrize("fill", [float("nan"), float("inf"), True, (0, float("nan")), ()])
def test_non_finite_or_bool_fill_is_rejected_on_construction(name, fill):
    with pytest.raises(AugkitValueError, match=rf"^{name}: fill is "):
        _make(name, fill=fill)


@pytest.mark.parametrize("name", MASK_FILL_OPS)
@pytest.mark.parametrize("mask_fill", [True, 0.5, float("nan"), "255"])
def test_non_integer_mask_fill_is_rejected_on_construction(name, mask_fill):
    with pytest.raises(AugkitValueError, match=rf"^{name}: mask_fill is "):
        _make(name, mask_fill=mask_fill)


@pytest.mark.parametrize("name", MASK_FILL_OPS)
@pytest.mark.parametrize("dtype, mask_fill", [(np.uint8, 300), (np.uint8, -1), (np.bool_, 5),
                                              (np.bool_, -1), (np.int16, 40000)])
def test_mask_fill_outside_the_mask_dtype_is_typed(name, dtype, mask_fill):
    op, params = _make(name, mask_fill=mask_fill)
    s = Sample(_image(3, np.uint8), mask=np.zeros((16, 16), dtype))
    _raises_named(name, lambda: _run(op, params, s), "mask_fill",
                  f"does not fit the mask dtype {np.dtype(dtype)}")


@pytest.mark.parametrize("name", [n for n in MASK_FILL_OPS if n != "GridDistortion"])
@pytest.mark.parametrize("dtype, mask_fill", [(np.uint8, 255), (np.bool_, 1), (np.int32, -7)])
def test_mask_fill_that_fits_is_written(name, dtype, mask_fill):
    op, params = _make(name, mask_fill=mask_fill)
    s = Sample(_image(3, np.uint8), mask=np.zeros((16, 16), dtype))
    out = _run(op, params, s).mask
    assert out.dtype == np.dtype(dtype)
    assert (out == np.asarray(mask_fill).astype(dtype)).any()
    assert set(np.unique(out).tolist()) <= {0, np.asarray(mask_fill).astype(dtype).item()}


@pytest.mark.parametrize("fill", [100.6, 99.4, (100.6, 0.2, 254.7)])
def test_fractional_uint8_fill_is_rounded_once_on_every_path(fill):
    """numpy slicing (small pads), OpenCV borders (large pads) and warps agree."""
    from augkit.poor import Pad, Rotate

    want = np.round(np.asarray(fill, np.float64)).astype(np.uint8)
    for size in (6, 80):  # below and above the size where Pad switches to OpenCV
        out = Pad(padding=2, fill=fill)(np.full((size, size, 3), 200, np.uint8))
        assert (out[0, 0] == want).all() and (out[-1, -1] == want).all()
    out = Rotate(degrees=(45.0, 45.0), interpolation="nearest", fill=fill)(
        np.full((20, 20, 3), 200, np.uint8))
    assert (out[0, 0] == want).all()
    assert fill_for("Pad", fill, np.zeros((2, 2, 3), np.uint8)) == (
        float(want) if want.ndim == 0 else tuple(float(v) for v in want))


def test_batch_path_checks_the_fill_and_names_the_op():
    from augkit.poor import Pad, Rotate

    x = np.full((4, 16, 16, 3), 200, np.uint8)
    _raises_named("Rotate", lambda: Rotate(fill=300).batch(x), "fill", "outside")
    _raises_named("Pad", lambda: Pad(padding=2, fill=(1, 2)).batch(x), "fill",
                  "has 2 values for image (16, 16, 3)")
    got = Pad(padding=2, fill=37).batch(x)
    assert (got[:, 0, 0] == 37).all()
    xf = np.full((2, 16, 16, 4), 0.5, np.float32)
    _raises_named("Rotate", lambda: Rotate(fill=2.0).batch(xf), "fill", "outside")


def test_fused_seq_checks_the_fill():
    from augkit import Seq
    from augkit.poor import Rotate, Scale

    op = Seq([Rotate(fill=(1, 2, 3)), Scale(fill=(1, 2, 3))])
    with pytest.raises(AugkitValueError, match="fill has 3 values for image"):
        op(np.zeros((8, 8, 4), np.uint8), rng=np.random.default_rng(0))


def test_fill_for_returns_one_value_or_one_per_channel():
    rgb = np.zeros((2, 2, 3), np.uint8)
    assert fill_for("X", 7, rgb) == 7.0
    assert fill_for("X", (7,), rgb) == 7.0
    assert fill_for("X", (1, 2, 3), rgb) == (1.0, 2.0, 3.0)
    assert fill_for("X", (0.5,), np.zeros((2, 2), np.float32)) == 0.5
    assert fill_for("X", np.uint8(9), rgb) == 9.0
    with pytest.raises(AugkitValueError, match=r"^X: fill has 3 values for image \(2, 2\)"):
        fill_for("X", (1, 2, 3), np.zeros((2, 2), np.uint8))
    assert label_fill_for("X", 255, np.zeros((2, 2), np.uint8)) == 255
    with pytest.raises(AugkitValueError, match="^X: mask_fill is 2; it does not fit"):
        label_fill_for("X", 2, np.zeros((2, 2), bool))


# --- keypoints on the border -------------------------------------------------------------

def test_keypoint_at_x0_stays_visible_after_hflip():
    from augkit.poor import HFlip

    kp = np.array([[0.0, 5.0, 1.0], [16.0, 3.0, 1.0], [7.5, 16.0, 1.0], [16.5, 2.0, 1.0]],
                  np.float32)
    s = Sample(np.zeros((16, 16, 3), np.uint8), keypoints=kp)
    out = HFlip(p=1.0)(s, rng=np.random.default_rng(0)).keypoints
    np.testing.assert_allclose(out[:, 0], 16.0 - kp[:, 0])
    assert out[:, 2].tolist() == [1.0, 1.0, 1.0, 0.0]  # [0, W] x [0, H], closed


def test_keypoint_visibility_uses_the_closed_rectangle():
    kp = np.array([[0.0, 0.0, 1.0], [10.0, 8.0, 1.0], [10.0 + 1e-3, 4.0, 1.0],
                   [3.0, -1e-3, 1.0]])
    out = warp_keypoints(kp, np.eye(3), (8, 10))
    assert out[:, 2].tolist() == [1.0, 1.0, 0.0, 0.0]
    flipped = warp_keypoints(kp[:2], hflip(10.0), (8, 10))
    assert flipped[:, 2].tolist() == [1.0, 1.0]
    assert math.isclose(flipped[0, 0], 10.0) and math.isclose(flipped[1, 0], 0.0)


@pytest.mark.parametrize("name", ["ElasticDistortion", "GridDistortion"])
def test_remap_ops_keep_border_keypoints_visible(name):
    op, params = _make(name, )
    if name == "ElasticDistortion":  # a zero field: every point stays put
        op = type(op)(alpha=0.0)
        params = None
    kp = np.array([[0.0, 0.0, 1.0], [16.0, 16.0, 1.0], [0.0, 9.0, 1.0]])
    s = Sample(_image(3, np.uint8), keypoints=kp)
    out = _run(op, params, s).keypoints
    np.testing.assert_allclose(out[:, :2], kp[:, :2], atol=1e-6)
    assert out[:, 2].tolist() == [1.0, 1.0, 1.0]


def test_every_runner_takes_fill_and_mask_fill():
    """Issue #11: ``RandAugment(mask_fill=255)`` was a TypeError; rotated and sheared masks
    were filled with 0, a real class in VOC-style data (255 = ignore)."""
    for name in RICH:
        fields = {f.name for f in dataclasses.fields(_ops()[name])}
        assert {"fill", "mask_fill"} <= fields, name
        assert _make(name, mask_fill=255)[0].mask_fill == 255


def test_augmix_takes_mask_fill_and_leaves_masks_to_its_rule():
    from augkit.rich import AugMix

    mask = np.full((16, 16), 7, np.uint8)
    s = Sample(_image(3, np.uint8), mask=mask)
    with pytest.raises(AugkitValueError, match="^AugMix: input has mask"):
        AugMix(mask_fill=255)(s, rng=np.random.default_rng(0))
    out = AugMix(mask_fill=255, spatial=False)(s, rng=np.random.default_rng(0))
    assert out.mask is mask  # photometric chains only: the mask is left alone

