"""The runners' batched fast route (augkit.rich.batch_steps) and the batched PIL kernels
(augkit.functional.pil_batch) give what the per-image path gives: the same pixels and the
same generator state afterwards, for random seeds, batch sizes (1 and odd ones), uint8 and
float32, colour and grey."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit.errors import AugkitValueError
from augkit.functional import pil as K
from augkit.functional import pil_batch as KB
from augkit.policy import space as S
from augkit.rich import RandAugment, TrivialAugment, batch_steps

cv2 = pytest.importorskip("cv2")
skd = pytest.importorskip("skimage.data")

_SRCS = [skd.astronaut(), skd.coffee(), skd.chelsea(), skd.rocket()]


def _photos(n: int, h: int, w: int, dtype, grey: bool = False) -> np.ndarray:
    out = np.stack([cv2.resize(_SRCS[i % 4], (w, h), interpolation=cv2.INTER_AREA)
                    for i in range(n)])
    if grey:
        out = out[..., 0]
    return out if dtype == "uint8" else (out / np.float32(255)).astype(np.float32)


def _per_image(op, images, rng):
    return np.stack([op(im, rng) for im in images])


def _assert_route_matches(op, images, seed):
    """The route itself (not only op.batch) against the per-image loop, and op.batch."""
    r_route, r_loop, r_batch = (np.random.default_rng(seed) for _ in range(3))
    arr = images if images.ndim == 4 else images[..., None]
    before = images.copy()
    got = batch_steps.run(op, arr, r_route)
    assert got is not None, "the fast route declined a config it should take"
    np.testing.assert_array_equal(images, before)  # the input is left alone
    assert got is not arr and not np.shares_memory(got, arr)
    want = _per_image(op, images, r_loop)
    got = got if images.ndim == 4 else got[..., 0]
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert r_route.bit_generator.state == r_loop.bit_generator.state
    np.testing.assert_array_equal(op.batch(images, r_batch), want)
    assert r_batch.bit_generator.state == r_loop.bit_generator.state


_GEO = dict(interpolation=st.sampled_from(["nearest", "linear"]),
            border=st.sampled_from(["constant", "reflect", "replicate"]))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), batch=st.sampled_from([1, 2, 3, 7, 13]),
       dtype=st.sampled_from(["uint8", "float32"]), grey=st.booleans(),
       n=st.integers(0, 3), m=st.integers(0, 30), p=st.sampled_from([1.0, 0.5]),
       space=st.sampled_from(["torchvision", "wide"]), fill=st.sampled_from([0.0, 0.5]),
       **_GEO)
def test_randaugment_route_matches_per_image(seed, batch, dtype, grey, n, m, p, space, fill,
                                             interpolation, border):
    op = RandAugment(n=n, m=m, p=p, space=space, fill=fill, interpolation=interpolation,
                     border=border)
    _assert_route_matches(op, _photos(batch, 32, 32, dtype, grey), seed)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), batch=st.sampled_from([1, 2, 5, 9, 16]),
       dtype=st.sampled_from(["uint8", "float32"]), grey=st.booleans(),
       levels=st.sampled_from([1, 10, 30]), space=st.sampled_from(["wide", "torchvision"]),
       side=st.sampled_from([(32, 32), (17, 29)]), p=st.sampled_from([1.0, 0.6, 0.0]), **_GEO)
def test_trivialaugment_route_matches_per_image(seed, batch, dtype, grey, levels, space, side,
                                                p, interpolation, border):
    """TrivialAugment's p is the op contract's (one double first, the whole image skipped)."""
    op = TrivialAugment(levels=levels, space=space, interpolation=interpolation, border=border,
                        p=p)
    _assert_route_matches(op, _photos(batch, *side, dtype, grey), seed)


def test_route_with_an_op_subset_and_a_colour_fill():
    op = RandAugment(n=2, m=12, ops=("Rotate", "Equalize", "ShearX", "Posterize"),
                     fill=(10, 20, 30))
    _assert_route_matches(op, _photos(11, 32, 32, "uint8"), 4)


@pytest.mark.parametrize("op", [RandAugment(mstd=0.5), RandAugment(mstd=float("inf")),
                                TrivialAugment(levels=None)])
def test_continuous_magnitudes_decline_before_drawing(op):
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    assert batch_steps.run(op, _photos(4, 32, 32, "uint8"), rng) is None
    assert rng.bit_generator.state == before
    images = _photos(5, 32, 32, "uint8")  # and op.batch (the general path) still agrees
    np.testing.assert_array_equal(op.batch(images, np.random.default_rng(3)),
                                  _per_image(op, images, np.random.default_rng(3)))


def test_misfit_fill_declines_and_raises_as_per_image():
    op = RandAugment(n=2, m=9, fill=(1, 2, 3, 4))  # four fill values, three channels
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    images = _photos(6, 32, 32, "uint8")
    assert batch_steps.run(op, images, rng) is None
    assert rng.bit_generator.state == before
    with pytest.raises(AugkitValueError) as batch_err:
        op.batch(images, np.random.default_rng(1))
    with pytest.raises(AugkitValueError) as loop_err:
        _per_image(op, images, np.random.default_rng(1))
    assert str(batch_err.value) == str(loop_err.value)


def test_replaced_table_entry_is_recompiled():
    """A plug-in replacing an op's entry (`space.add_op`) is what the route runs next."""
    op = TrivialAugment(ops=("Rotate", "Brightness"), levels=5)
    images = _photos(9, 32, 32, "uint8")
    _assert_route_matches(op, images, 7)
    old = S.TABLE["Rotate"]
    try:
        S.add_op("Rotate", S.SpaceOp(old.build, {sp: S.Range(0.0, 90.0, True, "degrees")
                                                 for sp in old.ranges}, geometric=True))
        _assert_route_matches(op, images, 7)
        # the new range turns images further than the old one did
        new = batch_steps.run(op, images, np.random.default_rng(7))
        S.add_op("Rotate", old)
        assert not np.array_equal(new, batch_steps.run(op, images, np.random.default_rng(7)))
    finally:
        S.add_op("Rotate", old)


def test_plugin_op_that_draws_its_own_way_declines():
    """An entry whose op draws in its own sample_apply (no params without pixels): the
    route declines and the general path runs it image by image."""
    from dataclasses import dataclass

    from augkit.core import PixelOp

    @dataclass(frozen=True)
    class _Darken(PixelOp):
        register = False

        def sample_apply(self, rng, s):  # its draw reads the pixels
            p = {"k": float(rng.random()) * float(s.image.mean() > 0)}
            return s.replace(image=self.image(s.image, p)), p

        def image(self, img, params):
            return (img * (1 - 0.5 * params["k"])).astype(img.dtype)

    try:
        S.add_op("Darken", S.SpaceOp(lambda v, unit, geo: _Darken(), {"wide": None}))
        op = TrivialAugment(ops=("Darken", "Rotate"), levels=4)
        images = _photos(5, 32, 32, "uint8")
        assert batch_steps.run(op, images, np.random.default_rng(0)) is None
        np.testing.assert_array_equal(op.batch(images, np.random.default_rng(2)),
                                      _per_image(op, images, np.random.default_rng(2)))
    finally:
        S.remove_op("Darken")


# --- the batched PIL kernels ------------------------------------------------------------

def _batch(data, n, h, w, flat):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8)
    if flat:  # few levels and flat channels: the kernels' degenerate cases
        x = (x // 128 * 200).astype(np.uint8)
        x[0, ..., 1] = 77
    return x


_KERNELS = [("invert", None, K.invert), ("autocontrast", None, K.autocontrast),
            ("equalize", None, K.equalize), ("posterize", "bits", K.posterize),
            ("solarize", "threshold", K.solarize), ("brightness", "factor", K.brightness),
            ("contrast", "factor", K.contrast), ("color", "factor", K.color),
            ("sharpness", "factor", K.sharpness)]


def _values(data, key, n, same):
    one = {"bits": st.integers(0, 8), "threshold": st.floats(0, 256),
           "factor": st.floats(0, 3)}[key]
    vals = [data.draw(one)] * n if same else data.draw(st.lists(one, min_size=n, max_size=n))
    return vals


@settings(max_examples=60, deadline=None)
@given(data=st.data(), kernel=st.sampled_from(_KERNELS), n=st.integers(1, 6),
       h=st.integers(1, 20), w=st.integers(1, 20), flat=st.booleans(), same=st.booleans())
def test_pil_batch_kernels_match_per_image(data, kernel, n, h, w, flat, same):
    name, key, single = kernel
    x = _batch(data, n, h, w, flat)
    before = x.copy()
    if key is None:
        got, want = getattr(KB, name)(x), [single(im) for im in x]
    else:
        vals = _values(data, key, n, same)
        got, want = getattr(KB, name)(x, vals), [single(im, v) for im, v in zip(x, vals)]
    if got is None:  # declined (sharpness below 3x3): the op's per-image loop runs
        assert name == "sharpness" and min(h, w) < 3
        return
    np.testing.assert_array_equal(got, np.stack(want))
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(x, before)  # the input is left alone


@pytest.mark.parametrize("shape,dtype", [((3, 8, 8, 3), np.float32), ((3, 8, 8, 1), np.uint8),
                                         ((3, 8, 8, 4), np.uint8)])
def test_pil_batch_kernels_decline_other_layouts(shape, dtype):
    x = np.zeros(shape, dtype)
    assert KB.autocontrast(x) is None and KB.contrast(x, [1.0] * 3) is None


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.sampled_from([1, 4, 7]),
       layout=st.sampled_from([("uint8", 3), ("float32", 3), ("uint8", 4), ("uint8", 1)]),
       name=st.sampled_from(["AutoContrast", "Equalize", "Contrast", "Color", "Sharpness",
                             "Brightness", "Posterize", "Solarize"]))
def test_pil_ops_image_batch_matches_per_image(seed, n, layout, name):
    """The ops' image_batch (kernel or per-image fallback) for every layout."""
    from augkit.poor import pil_ops

    dtype, c = layout
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, 16, 16, c), dtype=np.uint8)
    if dtype == "float32":
        x = (x / np.float32(255)).astype(np.float32)
    op = getattr(pil_ops, name)()
    key = {"Posterize": "bits", "Solarize": "threshold"}.get(name, "factor")
    params = [{} if name in ("AutoContrast", "Equalize") else {key: _draw(rng, name)}
              for _ in range(n)]
    want = np.stack([op.image(im if c != 1 else im[..., 0], p).reshape(im.shape)
                     for im, p in zip(x, params)])
    np.testing.assert_array_equal(op.image_batch(x, params), want)


def _draw(rng, name):
    if name == "Posterize":
        return int(rng.integers(0, 9))
    if name == "Solarize":
        return float(rng.uniform(0, 256))
    return float(rng.uniform(0, 2))


# --- nearest warps of images that share a matrix (batch_warp._nearest_all) --------------

@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), distinct=st.integers(1, 4),
       border=st.sampled_from(["constant", "reflect", "reflect101", "replicate", "wrap"]),
       dtype=st.sampled_from(["uint8", "float32"]))
def test_nearest_batch_warp_with_shared_matrices_matches_per_image(seed, n, distinct, border,
                                                                   dtype):
    """Images that share a matrix share their source pixels (computed once): each image is
    still what the per-image warp gives, with covered (edge-replicating) and uncovered
    matrices mixed."""
    from augkit.functional import geometry as G
    from augkit.functional.batch_warp import warp_batch

    rng = np.random.default_rng(seed)
    x = _photos(n, 20, 24, dtype)
    pool = [G.rotation(float(rng.uniform(-40, 40)), (12.0, 10.0)) for _ in range(distinct)]
    pool.append(G.scaling(1.5, 1.5, (12.0, 10.0)) @ G.rotation(3.0, (12.0, 10.0)))  # covered
    ms = np.stack([pool[int(rng.integers(len(pool)))] for _ in range(n)])
    fill = 0.25 if dtype == "float32" else 64
    got = warp_batch(x, ms, (20, 24), "nearest", fill, None, border)
    want = np.stack([G.warp_image(x[j], ms[j], (20, 24), "nearest", fill, None, border)
                     for j in range(n)])
    np.testing.assert_array_equal(got, want)
