"""The policy table's ops against independent references on real photos: PIL's ImageOps /
ImageEnhance for the photometric ops, torchvision.transforms.v2.functional for the geometric
ones, and torchvision's published magnitude tables for the named spaces."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps
from skimage import data as skdata

from augkit import AugkitValueError, Sample
from augkit.photometric import (
    AutoContrast,
    Brightness,
    Color,
    Contrast,
    Equalize,
    Identity,
    Invert,
    Posterize,
    SamplePairing,
    Sharpness,
    Solarize,
)
from augkit.policy import OPS, op_at
from augkit.policy.space import SPACES, value_at


def _coco_photos(root, n=3):
    files = sorted((root / "coco128" / "images").rglob("*.jpg"))[:n]
    out = []
    for f in files:
        img = cv2.imread(str(f), cv2.IMREAD_COLOR)
        out.append(np.ascontiguousarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)[:160, :200]))
    return out


@pytest.fixture(scope="module")
def photos(request):
    imgs = [skdata.astronaut()[::2, ::2].copy(), skdata.chelsea()[:150, :170].copy()]
    from conftest import data_root

    root = data_root()
    if (root / "coco128" / "images").is_dir():
        imgs += _coco_photos(root)
    return imgs


def _max_diff(a, b):
    return int(np.abs(np.asarray(a).astype(int) - np.asarray(b).astype(int)).max())


PIL_CASES = [
    (Invert(), ImageOps.invert),
    (AutoContrast(), ImageOps.autocontrast),
    (Equalize(), ImageOps.equalize),
    *[(Solarize(threshold=t), lambda im, t=t: ImageOps.solarize(im, t))
      for t in (0, 64, 128, 200, 256)],
    *[(Posterize(bits=b), lambda im, b=b: ImageOps.posterize(im, b)) for b in (1, 2, 4, 6, 8)],
    *[(cls(factor=f), lambda im, e=enh, f=f: e(im).enhance(f))
      for cls, enh in ((Brightness, ImageEnhance.Brightness), (Contrast, ImageEnhance.Contrast),
                       (Color, ImageEnhance.Color), (Sharpness, ImageEnhance.Sharpness))
      for f in (0.0, 0.1, 0.55, 1.0, 1.3, 1.9)],
]


@pytest.mark.parametrize("op,ref", PIL_CASES, ids=[repr(c[0]) for c in PIL_CASES])
def test_uint8_equals_pil_on_photos(photos, op, ref):
    for img in photos:
        for x in (img, np.asarray(Image.fromarray(img).convert("L"))):
            got = op(x, np.random.default_rng(0))
            want = np.asarray(ref(Image.fromarray(x)))
            assert got.dtype == np.uint8 and got.shape == x.shape
            assert _max_diff(got, want) == 0, f"{op} differs from PIL on {x.shape}"


@pytest.mark.parametrize("op,ref", PIL_CASES, ids=[repr(c[0]) for c in PIL_CASES])
def test_float_images_follow_the_same_definition(photos, op, ref):
    img = photos[0]
    want = np.asarray(ref(Image.fromarray(img))).astype(np.float32)
    got = op(img.astype(np.float32) / 255, np.random.default_rng(0))
    assert got.dtype == np.float32 and 0.0 <= got.min() and got.max() <= 1.0
    # PIL truncates to 8 bits (and rounds the grey / mean it blends with); the float path does
    # not: one grey level apart, plus half a level of the blend partner scaled by |1 - factor|
    tol = 1.0 + 0.5 * abs(1.0 - getattr(op, "factor", 1.0))
    assert np.abs(got * 255 - want).max() <= tol + 1e-3


def test_sample_pairing_blends_with_the_turned_image(photos):
    for img in photos:
        for w in (0.0, 0.2, 0.4):
            want = Image.blend(Image.fromarray(img), Image.fromarray(img).rotate(180), w)
            assert _max_diff(SamplePairing(weight=w)(img), want) <= 1  # PIL truncates


def test_identity_and_cutout_step(photos):
    img = photos[1]
    assert np.array_equal(Identity()(img), img)
    from augkit.middle import CutOut

    # the paper's grey square, 30 px of its 331 px images: scaled with the image
    op = op_at("Cutout", 0.5, fill=128)
    assert isinstance(op, CutOut) and op.fill == 128
    assert op.size == pytest.approx(30 / 331)
    out, p = op.sample_apply(np.random.default_rng(3), Sample(img))
    (y0, x0, y1, x1), = p["holes"]
    h, w = img.shape[:2]
    assert 0 < y1 - y0 <= round(30 / 331 * h) and 0 < x1 - x0 <= round(30 / 331 * w)
    hole = np.zeros(img.shape[:2], bool)
    hole[y0:y1, x0:x1] = True
    assert hole.any() and (out.image[hole] == 128).all()
    assert np.array_equal(out.image[~hole], img[~hole])
    assert op_at("Cutout", 0.0) == Identity()


@pytest.mark.parametrize("bad", [
    lambda: Solarize(threshold=300), lambda: Posterize(bits=9), lambda: Posterize(bits=2.5),
    lambda: Brightness(factor=-0.1), lambda: Color(factor=(1.5, 0.5)),
    lambda: SamplePairing(weight=1.5)])
def test_bad_fields_raise_named_errors(bad):
    with pytest.raises(AugkitValueError, match=r"^\w+: \w+ "):
        bad()


def test_ranges_draw_within_bounds():
    rng = np.random.default_rng(0)
    s = Sample(np.zeros((4, 4, 3), np.uint8))
    for _ in range(20):
        assert 0.5 <= Brightness(factor=(0.5, 1.5)).sample(rng, s)["factor"] <= 1.5
        assert Posterize(bits=(3, 5)).sample(rng, s)["bits"] in (3, 4, 5)


# --- geometric steps vs torchvision.transforms.v2.functional ------------------------------

def _tv(img):
    import torch

    return torch.from_numpy(img).permute(2, 0, 1).contiguous()


def _np(t):
    return t.permute(1, 2, 0).numpy()


def _branches(op, img):
    """Every output a signed op can give (one per OneOf branch)."""
    s = Sample(img)
    kids = op.ops if hasattr(op, "ops") else (op,)
    return [k.apply(s, k.sample(np.random.default_rng(0), s)).image for k in kids]


def _close(a, b, frac=0.02):
    """Nearest-neighbour warps may round a few boundary pixels differently."""
    return (np.abs(a.astype(int) - b.astype(int)).max(axis=-1) > 0).mean() <= frac


@pytest.mark.parametrize("level", [3, 7, 10])
def test_rotate_matches_torchvision(photos, level):
    import torchvision.transforms.v2.functional as F
    from torchvision.transforms import InterpolationMode

    img = photos[0]
    op = op_at("Rotate", level, "torchvision", levels=10)
    deg = 30.0 * level / 10
    outs = _branches(op, img)
    want = [_np(F.rotate(_tv(img), a, interpolation=InterpolationMode.NEAREST))
            for a in (deg, -deg)]
    assert _close(outs[0], want[0]) and _close(outs[1], want[1])


@pytest.mark.parametrize("name", ["ShearX", "ShearY"])
@pytest.mark.parametrize("m", [0.4, 1.0])
def test_shear_matches_torchvision_about_the_centre(photos, name, m):
    import torchvision.transforms.v2.functional as F
    from torchvision.transforms import InterpolationMode

    img = photos[1]
    h, w = img.shape[:2]
    deg = math.degrees(math.atan(0.3 * m))
    outs = _branches(op_at(name, m, "torchvision"), img)
    # A shear about the centre moves whole rows (columns) by 0.3 * m * (y - h / 2) pixels, so
    # some rows land exactly half-way between two source pixels: nearest sampling may break
    # those ties either way (torchvision and augkit each round their own float32 positions),
    # and a whole row then differs. Those rows are left out; the rest must agree.
    t = 0.3 * m * (np.arange(h if name == "ShearX" else w) + 0.5 - (h if name == "ShearX"
                                                                      else w) / 2)
    tie = np.abs(t - np.floor(t) - 0.5) < 1e-6
    keep = ~tie[:, None] if name == "ShearX" else ~tie[None, :]
    keep = np.broadcast_to(keep, (h, w))
    assert keep.mean() > 0.9
    for sign in (1, -1):
        sh = [sign * deg, 0.0] if name == "ShearX" else [0.0, sign * deg]
        want = _np(F.affine(_tv(img), angle=0.0, translate=[0, 0], scale=1.0, shear=sh,
                            interpolation=InterpolationMode.NEAREST, center=[w / 2, h / 2]))
        assert any(_close(o[keep], want[keep], frac=0.005) for o in outs), (
            f"{name} {sign * deg} not produced")


@pytest.mark.parametrize("name", ["TranslateX", "TranslateY"])
def test_wide_translate_matches_torchvision_exactly(photos, name):
    import torchvision.transforms.v2.functional as F

    img = photos[0]
    for level in (5, 17, 30):
        px = int(32.0 * level / 30)
        outs = _branches(op_at(name, level, "wide", levels=30), img)
        for o, d in zip(outs, (px, -px)):
            t = [d, 0] if name == "TranslateX" else [0, d]
            want = _np(F.affine(_tv(img), angle=0.0, translate=t, scale=1.0, shear=[0.0, 0.0]))
            assert np.array_equal(o, want)


# --- the named spaces reproduce torchvision's published magnitude tables -----------------

def _tv_space(cls):
    return cls._AUGMENTATION_SPACE


@pytest.mark.parametrize("space,cls_name,bins", [
    ("torchvision", "RandAugment", 31), ("torchvision", "AutoAugment", 10),
    ("wide", "TrivialAugmentWide", 31), ("augmix", "AugMix", 11)])
def test_space_values_equal_torchvision_bins(space, cls_name, bins):
    import torchvision.transforms.v2 as T

    table = _tv_space(getattr(T, cls_name))
    h = w = 331
    for name, (fn, signed) in table.items():
        mags = fn(bins, h, w)
        assert name in SPACES[space], name
        r = SPACES[space][name]
        if mags is None:
            assert r is None
            continue
        assert r.signed == signed, name
        for k in range(bins):
            v = value_at(name, k / (bins - 1), space)
            want = float(mags[k])
            if name == "Solarize":
                want *= 255.0  # torchvision: a fraction of the dtype's maximum
            if name.startswith("Translate") and r.unit != "pixels":
                v *= w  # augkit: a fraction of the size
            if name == "Posterize":
                assert op_at(name, k / (bins - 1), space).bits == int(want), (name, k)
            else:
                assert v == pytest.approx(want, rel=1e-5, abs=1e-4), (name, k)


def test_every_table_op_builds_in_the_autoaugment_space(photos):
    img = photos[1]
    rng = np.random.default_rng(0)
    for name in OPS:
        for m in (0.0, 0.5, 1.0):
            out = op_at(name, m)(img, rng)
            assert out.shape == img.shape and out.dtype == np.uint8


def test_op_at_rejects_bad_input():
    with pytest.raises(AugkitValueError, match="name"):
        op_at("Blur", 0.5)
    with pytest.raises(AugkitValueError, match="magnitude"):
        op_at("Rotate", 1.5)
    with pytest.raises(AugkitValueError, match="magnitude"):
        op_at("Rotate", 11, levels=10)
    with pytest.raises(AugkitValueError, match="not in space"):
        op_at("Cutout", 0.5, "wide")


# --- property: any uint8 L / RGB / RGBA image, any magnitude, equals PIL -----------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from augkit.testing import images  # noqa: E402

_ENHANCERS = {Brightness: ImageEnhance.Brightness, Contrast: ImageEnhance.Contrast,
              Color: ImageEnhance.Color, Sharpness: ImageEnhance.Sharpness}


@given(img=images(dtype=np.uint8, channels=[0, 3, 4], min_side=1, max_side=24),
       cls=st.sampled_from(sorted(_ENHANCERS, key=lambda c: c.__name__)),
       factor=st.floats(0.0, 2.0))
def test_enhancers_equal_pil_property(img, cls, factor):
    want = np.asarray(_ENHANCERS[cls](Image.fromarray(img)).enhance(factor))
    got = cls(factor=factor)(img, np.random.default_rng(0))
    assert got.shape == img.shape and _max_diff(got, want) == 0


@given(img=images(dtype=np.uint8, channels=[0, 3], min_side=1, max_side=24),
       threshold=st.integers(0, 256), bits=st.integers(1, 8))
def test_image_ops_equal_pil_property(img, threshold, bits):
    pil = Image.fromarray(img)
    rng = np.random.default_rng(0)
    pairs = [(Solarize(threshold=threshold), ImageOps.solarize(pil, threshold)),
             (Posterize(bits=bits), ImageOps.posterize(pil, bits)),
             (Equalize(), ImageOps.equalize(pil)), (AutoContrast(), ImageOps.autocontrast(pil)),
             (Invert(), ImageOps.invert(pil))]
    for op, want in pairs:
        assert _max_diff(op(img, rng), want) == 0, op


def test_grey_equals_pil_on_every_colour():
    """The float32 form of PIL's fixed-point L conversion is exact: all 2^24 RGB colours
    (and the same with an alpha channel, which is ignored)."""
    from augkit.photometric.kernels import grey

    v = np.arange(256, dtype=np.uint8)
    every = np.stack(np.meshgrid(v, v, v, indexing="ij"), -1).reshape(4096, 4096, 3)
    ref = np.asarray(Image.fromarray(every).convert("L"))
    assert np.array_equal(grey(every), ref)
    rgba = np.concatenate([every[:64], np.full((64, 4096, 1), 7, np.uint8)], axis=2)
    assert np.array_equal(grey(rgba), ref[:64])


def test_point_op_fast_paths_equal_their_lookup_tables():
    """Solarize (threshold + XOR) and Posterize (bit AND) skip the table; they must give
    exactly the table's values for every level, threshold (fractional ones included) and
    layout, and leave the input alone."""
    import cv2

    from augkit.photometric import kernels as K

    levels = np.arange(256, dtype=np.uint8)
    layouts = [levels.reshape(16, 16), np.tile(levels, 3).reshape(16, 16, 3),
               np.tile(levels, 4).reshape(16, 16, 4), np.tile(levels, 6).reshape(32, 48)[:, ::2],
               np.tile(levels, 3).reshape(3, 16, 16).transpose(1, 2, 0)]  # HWC view of CHW
    for img in layouts:
        before = img.copy()
        for t in [*range(0, 257), 0.5, 63.2, 127.5, 255.9]:
            want = np.where(levels < t, levels, 255 - levels).astype(np.uint8)
            assert np.array_equal(K.solarize(img, t), cv2.LUT(np.ascontiguousarray(img), want)
                                  .reshape(img.shape)), t
        for bits in range(1, 9):
            want = K.posterize_lut(bits).astype(np.uint8)
            got = K.posterize(img, bits)
            assert np.array_equal(got, want[img]) and got.flags.c_contiguous, bits
        assert np.array_equal(img, before)


@pytest.mark.parametrize("side", [127, 128, 200])
def test_split_plane_paths_equal_pil(side):
    """Large RGB images take the split-planes route (equalize, autocontrast, per-channel
    tables); around its size threshold, with a flat channel and a two-level channel, the
    results stay PIL's, and a per-channel table gives cv2.LUT's own result."""
    import cv2

    from augkit.photometric import kernels as K

    rng = np.random.default_rng(side)
    img = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    img[..., 1] = 77                                  # flat: both ops leave it alone
    img[..., 2] = np.where(img[..., 2] > 128, 200, 10)  # two levels
    for op, ref in ((Equalize(), ImageOps.equalize), (AutoContrast(), ImageOps.autocontrast)):
        assert _max_diff(op(img), ref(Image.fromarray(img))) == 0, op
    lut = rng.integers(0, 256, (256, 3), dtype=np.uint8)
    assert np.array_equal(K.apply_lut(img, lut), cv2.LUT(img, lut.reshape(256, 1, 3)))


def test_equalize_on_many_channels_is_pil_per_channel():
    """Past four channels the histograms come from bincount (int64) and the table's rows
    from a fresh index: each channel must still be PIL's equalize of that channel."""
    img = np.random.default_rng(0).integers(0, 256, (20, 20, 6), dtype=np.uint8)
    img[..., 2] = 9  # one flat channel
    out = Equalize()(img)
    for k in range(6):
        want = ImageOps.equalize(Image.fromarray(np.ascontiguousarray(img[..., k])))
        assert _max_diff(out[..., k], want) == 0, k


def test_autocontrast_of_a_subnormal_span_is_finite():
    """A channel spanning 1e-45 (a subnormal float32) made 1 / span overflow float32: inf
    times 0 gave NaN. The stretch is computed in float64 there (the reference below)."""
    img = np.array([[[1.2e-38, 1.4e-45, 0.0], [1.0, 0.0, 0.5]],
                    [[0.5, 1.4e-45, 1.0], [0.25, 0.0, 0.75]]], np.float32)
    out = AutoContrast()(img)
    x = img.astype(np.float64)
    lo, hi = x.min((0, 1)), x.max((0, 1))
    np.testing.assert_allclose(out, (x - lo) / (hi - lo), rtol=0, atol=1e-7)
    assert np.isfinite(AutoContrast()(img[..., 1])).all()
