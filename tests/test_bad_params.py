"""Bad constructor arguments: every registered op, every field, a list of bad values.

Each value either builds an op that then works on a small image (uint8 and float32, finite
output in range), or raises an AugkitError whose message starts ``"<Op>: <field> "``: never a
bare TypeError / ValueError / OverflowError, never an op that fails later (issue #11).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import augkit as A
from augkit import AugkitError, AugkitTypeError, AugkitValueError
from augkit.core import MAX_SIDE, registered_ops, standardizes_output
from augkit.testing import example_instances

BAD = [None, True, False, "x", "", float("nan"), float("inf"), -float("inf"), -1, -1.5, 0,
       10**400, 2**63, 10**9, 1e308, -1e308, (), (None,), (float("nan"), 1.0),
       (1.0, float("inf")), (-1e308, 1e308), (True, 5), (1, 2, 3), ((1, 2), (3,)),
       (("x", 1.0, 2),), {"a": 1}, [[1, [2]]], np.float32(0.5), np.float32("nan"),
       (np.float32(0.1), np.float32(0.3)), np.int64(-3), object()]
IMG = np.random.default_rng(0).integers(0, 256, (12, 14, 3), dtype=np.uint8)
SKIP = {"Albu"}  # one `spec` string, parsed by albumentations: tested below on its own


def _base(cls):
    """The defaults where they build (fields coupled to others, such as OneOf's weights to
    its ops, then stay consistent), else the class's first example."""
    try:
        return cls()
    except AugkitError:
        return example_instances(cls)[0]


# multi-image ops need other samples to run (Sample.extras): tests/test_multi_image.py
CASES = [(name, f.name) for name, cls in sorted(registered_ops().items()) if name not in SKIP
         and not getattr(cls, "extra_samples", 0) for f in dataclasses.fields(cls) if f.init]


def _works(op):
    for img in (IMG, IMG.astype(np.float32) / 255):
        out = op(img, rng=np.random.default_rng(0))
        assert isinstance(out, np.ndarray)
        if standardizes_output(op):  # Whiten: float32 out, unbounded by design
            assert out.dtype == np.float32 and np.isfinite(out).all()
            continue
        assert out.dtype == img.dtype
        if out.dtype == np.float32:
            assert np.isfinite(out).all() and 0 <= out.min() and out.max() <= 1


def _coupled(base) -> list[str]:
    """Fields the base instance sets away from their defaults: a bad value elsewhere may be
    refused in their name (OneOf's ops=() against the example's two weights)."""
    return [f.name for f in dataclasses.fields(base) if f.init and f.default is not
            dataclasses.MISSING and getattr(base, f.name) != f.default]


@pytest.mark.parametrize("name, field", CASES, ids=[f"{n}.{f}" for n, f in CASES])
def test_bad_field_values_build_a_working_op_or_raise_a_typed_error(name, field):
    cls = registered_ops()[name]
    base = _base(cls)
    named = [field] + _coupled(base)
    for v in BAD:
        try:
            op = dataclasses.replace(base, **{field: v})
        except AugkitError as e:
            assert isinstance(e, (AugkitValueError, AugkitTypeError))
            assert any(str(e).startswith(f"{name}: {g} ") for g in named), (v, str(e))
            continue
        try:
            _works(op)
        except AugkitError as e:  # a fill that does not fit the image: named at call time
            assert str(e).startswith(f"{name}: {field} "), (v, str(e))


def test_albu_spec_junk_is_typed():
    for v in (None, 5, "", "{", '{"transform": 3}'):
        with pytest.raises(AugkitError, match=r"^Albu: spec "):
            registered_ops()["Albu"](spec=v)


@pytest.mark.parametrize("make, field", [
    (lambda: A.ColorShift(brightness=float("nan")), "brightness"),
    (lambda: A.ColorShift(hue=(0.0, float("nan"))), "hue"),
    (lambda: A.rich.AugMix(alpha=float("inf")), "alpha"),
    (lambda: A.Rotate(degrees=10**400), "degrees"),
    (lambda: A.Rotate(degrees=(-1e308, 1e308)), "degrees"),
    (lambda: A.MotionBlur(angle=(-1e308, 1e308)), "angle"),
    (lambda: A.Translate(x=(-1e308, 1e308)), "x"),
    (lambda: A.HFlip(keypoint_pairs=None), "keypoint_pairs"),
    (lambda: A.rich.RandAugment(ops=-1), "ops"),
    (lambda: A.rich.RandAugment(n=10**9), "n"),
    (lambda: A.rich.RandAugment(levels=True), "levels"),
    (lambda: A.rich.UniformAugment(ops=(), n=1), "ops"),
    (lambda: A.rich.UniformAugment(space="bogus"), "space"),
    (lambda: A.rich.TrivialAugment(levels=2**63), "levels"),
    (lambda: A.Resize(size=(True, 5)), "size"),
    (lambda: A.Resize(size=10**9), "size"),
    (lambda: A.Resize(size=MAX_SIDE + 1), "size"),
    (lambda: A.CutOut(holes=10**12), "holes"),
    (lambda: A.middle.GridDistortion(num_steps=10**9), "num_steps"),
    (lambda: A.middle.ElasticDistortion(sigma=1e9), "sigma"),
    (lambda: A.Blur(kernel=10**9 + 1), "kernel"),
    (lambda: A.Pad(padding=(True, 5)), "padding"),
    (lambda: A.HFlip(p=True), "p"),
    (lambda: A.Solarize(threshold=True), "threshold"),
    (lambda: A.Posterize(bits=(True, 5)), "bits"),
    (lambda: A.PCALighting(eigval=(55.46, 4.794, 1.148)), "eigval"),  # the 0-255 scale
    (lambda: A.rich.AugMix(spatial="yes"), "spatial"),
])
def test_named_bad_arguments_raise_typed_errors(make, field):
    """The reported cases, and the amplification bounds (each one hung, exploded or crashed
    untyped at call time before)."""
    with pytest.raises(AugkitError) as info:
        make()
    assert isinstance(info.value, (AugkitValueError, AugkitTypeError))
    assert f": {field} " in str(info.value), str(info.value)


def test_unknown_keyword_is_a_typed_type_error_listing_the_fields():
    with pytest.raises(AugkitTypeError) as info:
        A.ColorShift(q=0.8)
    msg = str(info.value)
    assert msg.startswith("ColorShift: q ")
    for f in ("brightness", "contrast", "saturation", "hue", "random_order"):
        assert f in msg
    with pytest.raises(TypeError, match=r"^Rotate: limit .*degrees, interpolation, fill"):
        A.Rotate(limit=20)  # still a TypeError for `except TypeError` code
    with pytest.raises(AugkitTypeError, match=r"^Rotate: arguments .*at most 5"):
        A.Rotate(10, "linear", 0, 0, "constant", 5)
    with pytest.raises(AugkitTypeError, match=r"^Rotate: degrees is given twice"):
        A.Rotate(10, degrees=5)
    assert A.Rotate(10, "nearest") == A.Rotate(degrees=10, interpolation="nearest")


def test_bools_are_not_numbers_and_numpy_scalars_are():
    with pytest.raises(AugkitValueError, match=r"^Rotate: degrees "):
        A.Rotate(degrees=True)
    with pytest.raises(AugkitValueError, match=r"^Affine: scale "):
        A.Affine(scale=(True, 1.0))
    f32 = A.Scale(scale=(np.float32(0.5), np.float32(1.5)))
    f64 = A.Scale(scale=(np.float64(0.5), np.float64(1.5)))
    assert f32 == A.Scale(scale=(0.5, 1.5)) == f64  # stored as Python floats
    assert type(f32.scale[0]) is float
    op = A.ColorShift(brightness=np.float32(0.25), hue=np.float64(0.1))
    params = op.sample(np.random.default_rng(0), A.Sample(IMG))
    assert all(type(params[k]) is float for k in ("brightness", "hue"))  # JSON-able draws
    assert A.Crop(size=np.int64(8)).size == 8 and A.HFlip(p=np.float32(1.0)).p == 1.0
    assert A.Rotate(fill=np.array([1, 2, 3], np.uint8)).fill == (1, 2, 3)  # small array


def test_nan_parameters_no_longer_reach_the_pixels():
    """Before: ColorShift(brightness=nan) built and returned an all-NaN float image."""
    with pytest.raises(AugkitValueError, match=r"^ColorShift: brightness is nan"):
        A.ColorShift(brightness=float("nan"))
    with pytest.raises(AugkitValueError, match=r"^AugMix: alpha is inf"):
        A.rich.AugMix(alpha=float("inf"))
    # mstd=inf keeps timm's meaning (uniform in [0, m]); NaN does not
    assert math.isinf(A.rich.RandAugment(mstd=float("inf")).mstd)
    with pytest.raises(AugkitValueError, match=r"^RandAugment: mstd "):
        A.rich.RandAugment(mstd=float("nan"))


def test_pad_past_the_size_limit_is_typed_at_call_time():
    op = A.Pad(padding=(MAX_SIDE // 2, 0))
    with pytest.raises(AugkitValueError, match=r"^Pad: padding .*at most"):
        op(np.zeros((4, 4), np.uint8))


def test_plugin_init_vars_and_own_inits_are_accepted():
    """The unknown-keyword check reads the class's real __init__: a plug-in's InitVar is an
    argument, and an op with its own **kwargs __init__ is not second-guessed."""
    from augkit.core import PixelOp

    @dataclasses.dataclass(frozen=True)
    class _ScaledOp(PixelOp):
        k: float = 1.0
        scale: dataclasses.InitVar[float] = 1.0  # spelled out: annotations are strings here

        def __post_init__(self, scale):
            object.__setattr__(self, "k", self.k * scale)
            super().__post_init__()

        def image(self, img, params):
            return img

    assert _ScaledOp(k=2.0, scale=3.0).k == 6.0
    with pytest.raises(AugkitTypeError, match="bogus is not an argument"):
        _ScaledOp(bogus=1)
