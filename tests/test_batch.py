"""The batched path agrees with the per-image path, parameter for parameter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import augkit
from augkit.batch import apply_batch, apply_batch_params, sample_batch
from augkit.compose import Maybe, OneOf, Seq, SomeOf
from augkit.errors import AugkitTypeError, AugkitValueError
from augkit.poor import (
    Affine,
    Crop,
    HFlip,
    Pad,
    PadCrop,
    RandomResizedCrop,
    Resize,
    RGBShift,
    Rotate,
    Scale,
    Shear,
    Translate,
    VFlip,
)

cv2 = pytest.importorskip("cv2")
skd = pytest.importorskip("skimage.data")


def _photos(h: int, w: int, n: int) -> np.ndarray:
    """n real photos resized to (h, w), uint8 HWC, stacked."""
    srcs = [skd.astronaut(), skd.coffee(), skd.chelsea(), skd.rocket()]
    return np.stack([cv2.resize(srcs[i % len(srcs)], (w, h), interpolation=cv2.INTER_AREA)
                     for i in range(n)])


BATCH = _photos(32, 32, 12)
ODD = _photos(29, 35, 6)


def per_image(op, images, seed):
    rng = np.random.default_rng(seed)
    return np.stack([op(im, rng) for im in images])


def batched(op, images, seed):
    return apply_batch(op, images, np.random.default_rng(seed))


def assert_close(a, b, exact=True):
    """Equal bit for bit: the batch path draws the same parameters and builds the same
    matrices (the same IEEE operations in the same order) as the per-image path. `exact=False`
    (for paths that are not the same computation, e.g. fused vs unfused) allows every value
    within one grey level except for at most 0.1%."""
    assert a.shape == b.shape and a.dtype == b.dtype
    if exact:
        np.testing.assert_array_equal(a, b)
        return
    unit = 1.0 if a.dtype == np.uint8 else 1.0 / 255
    d = np.abs(a.astype(np.float64) - b.astype(np.float64))
    assert (d > unit + 1e-9).mean() <= 1e-3, f"{(d > unit).mean():.4%} values differ"


GEOMETRIC = [
    HFlip(), HFlip(p=1.0), VFlip(), VFlip(p=1.0), Rotate(degrees=30), Rotate(degrees=(0, 0)),
    Scale(scale=(0.8, 1.25)), Scale(scale=(0.8, 1.2), keep_aspect=False), Translate(),
    Translate(x=(-3, 3), y=(-2, 2), unit="pixels"), Shear(x=15, y=5),
    Affine(degrees=20, translate=(0.1, 0.2), scale=(0.9, 1.1), shear=8),
    Rotate(degrees=20, interpolation="nearest", fill=(255, 0, 0)),
    Crop(size=20), Crop(size=(20, 24), position="center"), Crop(size=40), Pad(padding=3),
    Pad(padding=(1, 2, 3, 4), fill=128), PadCrop(padding=4), RandomResizedCrop(size=24),
    Resize(size=16), Resize(size=(40, 20), interpolation="cubic"),
    Resize(size=(20, 48), interpolation="nearest"), Rotate(degrees=25, fill=128),
    Scale(scale=(0.5, 0.8), interpolation="nearest", fill=(0, 64, 255)),
]
COMBINED = [
    Seq((PadCrop(padding=4), HFlip(), Rotate(degrees=15))),
    Seq((HFlip(), Rotate(degrees=15), Scale(), Translate())),
    Seq((Rotate(degrees=10), Rotate(degrees=10, interpolation="nearest"))),  # two warps
    Seq((Rotate(degrees=10), Scale()), fuse=False),
    Seq((Crop(size=24), Resize(size=32), HFlip())),
    OneOf((HFlip(p=1.0), Rotate(degrees=15), VFlip(p=1.0))),
    OneOf((Rotate(degrees=15), PadCrop(padding=2)), weights=(0.3, 0.7)),
    Maybe(Rotate(degrees=10), p=0.5),
    SomeOf((HFlip(p=1.0), Rotate(degrees=15), Shear(x=10)), k=(1, 2)),
    Seq((Maybe(HFlip(p=1.0)), Rotate(degrees=5), Seq((Scale(), PadCrop(padding=2))))),
]


@pytest.mark.parametrize("op", GEOMETRIC + COMBINED, ids=lambda o: type(o).__name__)
@pytest.mark.parametrize("images", [BATCH, ODD], ids=["32x32", "29x35"])
def test_matches_per_image_path(op, images):
    for seed in (0, 1):
        assert_close(batched(op, images, seed), per_image(op, images, seed))


@pytest.mark.parametrize("op", [HFlip(), VFlip(p=1.0), PadCrop(padding=4), Crop(size=20),
                                Pad(padding=2), Seq((PadCrop(padding=3), HFlip()))],
                         ids=lambda o: type(o).__name__)
@pytest.mark.parametrize("images", [BATCH, _photos(80, 72, 4)], ids=["small", "large"])
def test_copy_paths_are_exact(op, images):
    assert_close(batched(op, images, 3), per_image(op, images, 3), exact=True)
    colour = Pad(padding=(1, 2, 3, 4), fill=(10, 20, 30))
    assert_close(batched(colour, images, 3), per_image(colour, images, 3), exact=True)


def test_float32_images():
    f = BATCH.astype(np.float32) / 255
    for op in (Rotate(degrees=20), Seq((PadCrop(padding=4), HFlip(), Scale())),
               Resize(size=20, interpolation="lanczos")):
        out = batched(op, f, 5)
        assert out.dtype == np.float32 and 0.0 <= out.min() and out.max() <= 1.0
        assert_close(out, per_image(op, f, 5))


def _registered(name):
    return augkit.registered_ops()[name]  # a renamed op fails here, loudly


@pytest.mark.parametrize("name,kwargs", [
    ("ColorShift", dict(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)),
    ("Blur", dict(kernel=5)), ("CutOut", dict(size=16)),
    ("ElasticDistortion", dict(alpha=20.0, sigma=4.0)), ("RGBShift", {}), ("PCALighting", {}),
    ("MotionBlur", {}), ("GridDistortion", {}),
])
def test_pixel_and_other_ops(name, kwargs):
    op = _registered(name)(**kwargs)
    assert_close(batched(op, BATCH, 7), per_image(op, BATCH, 7))
    f = BATCH.astype(np.float32) / 255
    assert_close(batched(op, f, 8), per_image(op, f, 8))


def test_tier_pipeline_matches():
    colour, cutout = _registered("ColorShift"), _registered("CutOut")
    op = Seq((PadCrop(padding=4), HFlip(), Rotate(degrees=15),
              colour(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1), cutout(size=16)))
    assert_close(batched(op, BATCH, 11), per_image(op, BATCH, 11))


def test_fused_batch_agrees_with_unfused_per_image_path():
    """One warp for the chain vs one warp per op: same picture up to interpolation blur."""
    big = _photos(64, 64, 4)
    fused = Seq((Rotate(degrees=10), Scale(scale=(0.9, 1.1)), Translate(x=(-0.05, 0.05))))
    unfused = Seq(fused.ops, fuse=False)
    a = batched(fused, big, 2).astype(np.float64)
    b = per_image(unfused, big, 2).astype(np.float64)
    inner = (slice(None), slice(12, -12), slice(12, -12))  # away from the fill border
    assert np.abs(a - b)[inner].mean() < 4.0


@given(seed=st.integers(0, 2**32 - 1), deg=st.floats(0, 45), pad=st.integers(0, 6),
       p=st.floats(0, 1))
def test_property_random_params(seed, deg, pad, p):
    op = Seq((PadCrop(padding=pad), HFlip(p=p), Rotate(degrees=deg), VFlip(p=p)))
    assert_close(batched(op, BATCH[:4], seed), per_image(op, BATCH[:4], seed))


def test_sample_batch_draws_what_the_per_image_path_draws():
    for op in (Rotate(degrees=30), Affine(degrees=5, translate=(0.1, 0.1)), PadCrop(padding=4),
               OneOf((HFlip(), Crop(size=20)))):
        got = sample_batch(op, np.random.default_rng(9), BATCH)
        rng = np.random.default_rng(9)
        want = [op.sample(rng, augkit.Sample(im)) for im in BATCH]
        assert got == want


def test_apply_batch_params_replays():
    op = Seq((PadCrop(padding=4), Rotate(degrees=20)))
    params = sample_batch(op, np.random.default_rng(4), BATCH)
    out = apply_batch_params(op, BATCH, params)
    assert_close(out, batched(op, BATCH, 4))
    want = np.stack([op.apply(augkit.Sample(im), p).image for im, p in zip(BATCH, params)])
    assert_close(out, want)
    with pytest.raises(AugkitValueError, match="params"):
        apply_batch_params(op, BATCH, params[:3])


def test_torch_batches_round_trip():
    torch = pytest.importorskip("torch")
    op = Seq((PadCrop(padding=4), HFlip(), Rotate(degrees=15)))
    t = torch.from_numpy(BATCH).permute(0, 3, 1, 2).contiguous()
    out = batched(op, t, 6)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.uint8
    assert tuple(out.shape) == tuple(t.shape)
    np.testing.assert_array_equal(out.permute(0, 2, 3, 1).numpy(), batched(op, BATCH, 6))
    f = t.float() / 255
    assert batched(op, f, 6).dtype == torch.float32


def test_grey_batches_and_lists():
    grey = BATCH[..., 0].copy()
    op = Seq((PadCrop(padding=2), Rotate(degrees=15)))
    out = batched(op, grey, 8)
    assert out.shape == grey.shape
    assert_close(out, per_image(op, grey, 8))
    assert_close(batched(op, list(BATCH), 8), batched(op, BATCH, 8), exact=True)


def test_input_is_never_modified():
    before = BATCH.copy()
    for op in (HFlip(p=1.0), Rotate(degrees=0), Translate(x=(0, 0), y=(0, 0)),
               Seq((PadCrop(padding=0), HFlip(p=0.0)))):
        out = batched(op, BATCH, 1)
        assert out is not BATCH
        out[...] = 0
        np.testing.assert_array_equal(BATCH, before)


def test_bad_batches_raise_typed_errors_naming_the_op():
    op = Rotate(degrees=10)
    with pytest.raises(AugkitTypeError, match="Rotate: images .*int16"):
        apply_batch(op, BATCH.astype(np.int16))
    with pytest.raises(AugkitValueError, match=r"Rotate: images .*\(B, C, H, W\)"):
        apply_batch(op, BATCH.transpose(0, 3, 1, 2))
    with pytest.raises(AugkitValueError, match="Rotate: images .*span"):
        apply_batch(op, BATCH.astype(np.float32))
    with pytest.raises(AugkitValueError, match="Rotate: images .*shape"):
        apply_batch(op, BATCH[0, 0])
    with pytest.raises(AugkitTypeError, match="Rotate: images"):
        apply_batch(op, "not a batch")
    with pytest.raises(AugkitTypeError, match="Rotate: rng"):
        apply_batch(op, BATCH, rng=42)
    with pytest.raises(AugkitValueError, match="one output size"):
        apply_batch(OneOf((Resize(size=8), Resize(size=16))), BATCH, np.random.default_rng(0))


@pytest.mark.parametrize("interpolation", ["linear", "nearest", "cubic"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_warp_kernel_mixes_fast_paths_and_warps(interpolation, dtype):
    """One batch whose matrices take every path: flip, shift, resize-like, warp, perspective."""
    from augkit.functional import geometry as G
    from augkit.functional.batch_warp import warp_batch

    x = BATCH[:6] if dtype == np.uint8 else (BATCH[:6] / np.float32(255)).astype(np.float32)
    c = (16.0, 16.0)
    persp = G.rotation(5, c).copy()
    persp[2, 0] = 1e-3
    ms = np.stack([G.hflip(32), G.translation(3, -2), G.scaling(1.25, 1.25, c),
                   G.rotation(17, c), G.vflip(32) @ G.hflip(32), persp])
    got = warp_batch(x, ms, (32, 32), interpolation, 0.25 if dtype == np.float32 else 40)
    fill = 0.25 if dtype == np.float32 else 40
    want = np.stack([G.warp_image(x[j], ms[j], (32, 32), interpolation, fill)
                     for j in range(len(ms))])
    assert_close(got, want)
    if dtype == np.float32:
        assert 0.0 <= got.min() and got.max() <= 1.0


def test_a_size_changing_non_geometric_op_is_refused_not_misdrawn():
    from dataclasses import dataclass
    from typing import ClassVar

    from augkit.core import PixelOp

    @dataclass(frozen=True)
    class _Halve(PixelOp):
        register: ClassVar[bool] = False

        def image(self, img, params):
            return np.ascontiguousarray(img[::2, ::2])

    with pytest.raises(AugkitValueError, match="_Halve: images changed size"):
        apply_batch(Seq((_Halve(), Crop(size=8))), BATCH, np.random.default_rng(0))


@pytest.mark.parametrize("op", [RGBShift(), RGBShift(r_shift=(0, 90), g_shift=0, b_shift=(-40, 5)),
                                Seq((Rotate(degrees=20), RGBShift(), HFlip()))],
                         ids=lambda o: type(o).__name__)
def test_rgb_shift_takes_one_draw_for_the_batch_and_stays_exact(op):
    """RGBShift draws only uniforms, so the static path draws the whole batch's shifts in
    one call: the same doubles, the same shifts, the same pixels as image by image."""
    from augkit.batch import rows_of

    shift = op.ops[1] if isinstance(op, Seq) else op
    assert shift.batch_draw_count() == 3
    rng = np.random.default_rng(3)
    want = [shift.sample(rng, augkit.Sample(im)) for im in BATCH]
    got = rows_of(shift.batch_params(np.random.default_rng(3).random((len(BATCH), 3))),
                  len(BATCH))
    assert got == want
    assert_close(batched(op, BATCH, 5), per_image(op, BATCH, 5))
    f = BATCH.astype(np.float32) / 255
    assert_close(batched(op, f, 6), per_image(op, f, 6))


@pytest.mark.parametrize("interpolation", ["nearest", "linear", "area", "cubic", "lanczos"])
@pytest.mark.parametrize("size", [20, (40, 36), 32])
def test_a_uniform_resize_is_one_call_per_image_and_exact(interpolation, size):
    """Resize and Pad draw nothing: the static path takes them without per-image draws, and
    a batch that shares one resize matrix runs one cv2.resize per image, nothing else."""
    op = Resize(size=size, interpolation=interpolation)
    assert op.batch_draw_count() == 0 and Pad(padding=2).batch_draw_count() == 0
    for images in (BATCH, BATCH.astype(np.float32) / 255, BATCH[..., :1]):
        assert_close(batched(op, images, 1), per_image(op, images, 1), exact=True)
    chain = Seq((Pad(padding=(1, 2, 3, 4)), Resize(size=24), RGBShift()))
    assert_close(batched(chain, BATCH, 2), per_image(chain, BATCH, 2))


@pytest.mark.parametrize("padding", [0, 1, 4, 13])
def test_padcrop_offsets_are_drawn_for_the_whole_batch_exactly(padding):
    """PadCrop's offsets are `core.integer` draws (one double each), so the static path
    draws them for the batch at once: the same offsets as image by image, the same pixels."""
    from augkit.batch import rows_of

    op = PadCrop(padding=padding)
    assert op.batch_draw_count() == 2
    rng = np.random.default_rng(8)
    want = [op.sample(rng, augkit.Sample(im)) for im in BATCH]
    got = rows_of(op.batch_params(np.random.default_rng(8).random((len(BATCH), 2))),
                  len(BATCH))
    assert got == want
    assert {p["dx"] for p in want} <= set(range(-padding, padding + 1))
    assert_close(batched(op, BATCH, 9), per_image(op, BATCH, 9), exact=True)


def test_integer_draws_are_uniform():
    from augkit.core import integer

    rng = np.random.default_rng(0)
    v = np.array([integer(rng, -3, 4) for _ in range(70000)])
    assert v.min() == -3 and v.max() == 3
    assert np.allclose(np.bincount(v + 3) / len(v), 1 / 7, atol=0.006)


# --- regressions: identity steps, and bit-for-bit agreement of fused chains ------------------

@pytest.mark.parametrize("op", [
    augkit.Identity(), Seq((augkit.Identity(), HFlip())),
    OneOf((augkit.Identity(), Rotate(degrees=10))), Maybe(augkit.Identity(), p=0.5),
    SomeOf((augkit.Identity(), VFlip(), Rotate(degrees=5)), k=(1, 3)),
], ids=lambda o: type(o).__name__)
def test_identity_batches_alone_and_inside_combinators(op):
    """Identity has no image kernel (its apply returns the sample): the batch path used to
    call the missing kernel and raise NotImplementedError."""
    for images in (BATCH, BATCH[..., 0], BATCH.astype(np.float32) / 255):
        out = batched(op, images, 3)
        assert_close(out, per_image(op, images, 3))
        assert not np.shares_memory(out, images)


_CHAIN_STEPS = [HFlip(), VFlip(), Rotate(degrees=30), Scale(), Shear(x=15, y=5),
                Affine(degrees=20, translate=(0.1, 0.2), scale=(0.9, 1.1), shear=8),
                Translate(), PadCrop(padding=3), RandomResizedCrop(size=24),
                Rotate(degrees=10, interpolation="nearest"),
                _registered("ColorShift")(brightness=0.3), RGBShift(), _registered("Blur")()]


@given(steps=st.lists(st.sampled_from(_CHAIN_STEPS), min_size=1, max_size=4),
       fuse=st.booleans(), seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([np.uint8, np.float32]), channels=st.sampled_from([1, 3, 4]),
       h=st.integers(5, 48), w=st.integers(5, 48))
def test_seq_batch_equals_per_image_calls_bit_for_bit(steps, fuse, seed, dtype, channels, h, w):
    """The docs promise `op.batch(images)` is `[op(img) for img in images]`: exactly, not
    within an ulp (the batch used to build its matrices with other float operations, e.g.
    ColorShift then Rotate on float32 RGBA differed in the last bit)."""
    x = np.random.default_rng(seed).random((4, h, w, channels), dtype=np.float32)
    images = (x * 255).astype(np.uint8) if dtype == np.uint8 else x
    op = Seq(tuple(steps), fuse=fuse)
    assert_close(batched(op, images, seed), per_image(op, images, seed))


def test_colour_then_rotate_on_float_rgba_is_exact():
    op = Seq((_registered("ColorShift")(brightness=0.3), Rotate(degrees=30)))
    for seed in range(20):
        x = np.random.default_rng(seed).random((6, 39, 39, 4), dtype=np.float32)
        assert_close(batched(op, x, seed), per_image(op, x, seed))


def test_large_images_take_the_one_by_one_route_with_the_same_pixels():
    """Above 128x128 pixels the general path applies the recorded params image by image
    (grouping costs more in copies there): the same result as grouping, either way."""
    from augkit.batch import _GROUP_MAX
    from augkit.rich import RandAugment

    big = np.random.default_rng(2).integers(0, 256, (5, 140, 132, 3), dtype=np.uint8)
    assert big.shape[1] * big.shape[2] > _GROUP_MAX
    for op in (RandAugment(n=2, m=9), OneOf((Rotate(degrees=15), Crop(size=100)),
                                            weights=(0.5, 0.5))):
        rng = np.random.default_rng(1)
        want = [op(im, rng) for im in big]
        if len({w.shape for w in want}) == 1:
            assert_close(batched(op, big, 1), np.stack(want), exact=True)
    grey = big[..., 0]
    assert_close(batched(Rotate(degrees=10), grey, 3), per_image(Rotate(degrees=10), grey, 3))


@pytest.mark.parametrize("op", [Seq((PadCrop(padding=4), HFlip())), Rotate(degrees=20),
                                Seq((Pad(padding=2), Resize(size=24), RGBShift())),
                                OneOf((HFlip(p=1.0), Rotate(degrees=15)))],
                         ids=lambda o: type(o).__name__)
def test_each_image_from_its_own_generator(op):
    """apply_batch_items equals op(img, rng_j) image by image: a chain of double-drawing
    steps takes each image's doubles in one rng.random(k), anything else draws per item."""
    from augkit.batch import apply_batch_items
    from augkit.rng import item_rng

    want = np.stack([op(im, item_rng(7, 1, j)) for j, im in enumerate(BATCH)])
    got = apply_batch_items(op, BATCH, [item_rng(7, 1, j) for j in range(len(BATCH))])
    assert_close(got, want, exact=True)
    with pytest.raises(AugkitValueError, match="rngs"):
        apply_batch_items(op, BATCH, [item_rng(7, 1, 0)])


@pytest.mark.parametrize("op", [Seq((PadCrop(padding=4), HFlip())),
                                Seq((PadCrop(padding=3), HFlip(), VFlip())),
                                Seq((PadCrop(padding=2, fill=(5, 6, 7)), VFlip(p=0.7)))],
                         ids=["hflip", "both", "vflip"])
@pytest.mark.parametrize("images", [BATCH, _photos(80, 72, 4)], ids=["small", "large"])
def test_mirrored_pad_crops_take_the_copy_path_exactly(op, images):
    """A fused flip and integer shift is a mirror and a shifted copy in the batch too."""
    assert_close(batched(op, images, 4), per_image(op, images, 4), exact=True)
