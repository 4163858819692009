"""The exact copy paths of `geometry.warp_checked` give the matrix warp's pixels: a fused
flip and integer shift (PadCrop + HFlip in a `Seq`) is a mirror and a shifted copy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit.functional import geometry as G


def _opencv(img, m, out_size, interp, fill):
    """The warp OpenCV makes of the same matrix (no fast path)."""
    import cv2

    oh, ow = out_size
    mc = G.to_cv(m)[:2]
    flag = cv2.INTER_NEAREST if interp == "nearest" else cv2.INTER_LINEAR
    out = cv2.warpAffine(img, mc, (ow, oh), flags=flag, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=G._border(fill))
    return out.reshape((oh, ow) + img.shape[2:])


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(1, 20), w=st.integers(1, 20),
       c=st.sampled_from([1, 3, 4]), sx=st.sampled_from([-1.0, 1.0]),
       sy=st.sampled_from([-1.0, 1.0]), tx=st.integers(-25, 45), ty=st.integers(-25, 45),
       oh=st.integers(1, 24), ow=st.integers(1, 24), dtype=st.sampled_from(["u8", "f32"]),
       interp=st.sampled_from(["linear", "nearest"]))
def test_mirror_and_integer_shift_equal_the_opencv_warp(seed, h, w, c, sx, sy, tx, ty, oh,
                                                        ow, dtype, interp):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
    fill = 7.0
    if dtype == "f32":
        img, fill = img.astype(np.float32) / 255, 0.25
    m = np.array([[sx, 0.0, float(tx)], [0.0, sy, float(ty)], [0.0, 0.0, 1.0]])
    got = G.warp_checked(img, m, (oh, ow), interp, fill)
    want = _opencv(img, m, (oh, ow), interp, fill)
    if dtype == "u8":
        np.testing.assert_array_equal(got, want)
    else:  # OpenCV's float weights at whole-pixel positions can be 1 - 4e-9: the copy is exact
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


@pytest.mark.parametrize("code,m", [(1, [[-1, 0, 36], [0, 1, -2]]),
                                    (0, [[1, 0, 3], [0, -1, 30]]),
                                    (-1, [[-1, 0, 40], [0, -1, 40]])])
def test_the_mirror_shift_takes_the_copy_path(code, m, monkeypatch):
    calls = []
    monkeypatch.setattr(G, "warp_cv", lambda *a, **k: calls.append(a))
    img = np.arange(32 * 32 * 3, dtype=np.uint8).reshape(32, 32, 3)
    mat = np.array(m + [[0, 0, 1]], float)
    out = G.warp_checked(img, mat, (32, 32), "linear", 0.0)
    assert not calls and out.shape == img.shape  # no OpenCV warp


def _one_warp_pipelines():
    from augkit import Seq
    from augkit import poor as P

    return [Seq([P.RandomResizedCrop(size=(20, 24)), P.HFlip(p=0.5), P.VFlip(p=0.5)]),
            Seq([P.RandomResizedCrop(size=16, scale=(0.5, 1.0)), P.HFlip()]),  # a window
            Seq([P.Crop(size=8), P.HFlip(p=0.5)]),  # a window of the output's size: a crop
            Seq([P.PadCrop(padding=4), P.HFlip()]),
            Seq([P.PadCrop(padding=4, border="reflect101"), P.HFlip()]),
            Seq([P.Rotate(degrees=20), P.Scale(scale=(0.8, 1.2)), P.HFlip(p=0.5)]),
            Seq([P.Crop(size=20), P.Resize(size=(28, 24)), P.VFlip()]),
            Seq([P.Translate(x=(-0.2, 0.2), y=(-0.1, 0.1), fill=(10, 20, 30)), P.HFlip(),
                 P.Rotate(degrees=5, fill=(10, 20, 30))]),
            # windows (GeometricOp.window) composed without matrices, and where they decline
            Seq([P.RandomResizedCrop(size=(30, 26)), P.HFlip(), P.Resize(size=(17, 19))]),
            Seq([P.Resize(size=(33, 21)), P.VFlip(p=0.5)]),
            Seq([P.HFlip(p=0.5), P.RandomResizedCrop(size=(14, 18))])]


@pytest.mark.parametrize("k", range(11))
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(8, 40), w=st.integers(8, 40))
def test_seq_one_warp_bare_image_path_equals_sample_apply(k, seed, h, w):
    """`Seq(...)(img)` on a bare image takes a shortcut when its ops are one fused warp
    (no run bookkeeping): the same pixels as `sample_apply`, and the generator moved alike."""
    from augkit import Sample

    seq = _one_warp_pipelines()[k]
    assert seq._one_warp() is not None  # the shortcut is taken for these
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
    got = seq(img, r1)
    want = seq.sample_apply(r2, Sample(img))[0].image
    assert got.shape == want.shape and np.array_equal(got, want)
    assert r1.random() == r2.random()


def test_seq_one_warp_is_off_where_it_would_change_results():
    from augkit import Seq
    from augkit.poor import HFlip, Rotate, Scale
    from augkit.poor.color import ColorShift

    assert Seq([Rotate(), HFlip()], fuse=False)._one_warp() is None
    assert Seq([Rotate(), ColorShift()])._one_warp() is None  # not all geometric
    assert Seq([Rotate(), Scale(p=0.5)])._one_warp() is None  # a step some images skip
    assert Seq([Rotate(border="reflect"), Rotate()])._one_warp() is None  # two warps
    assert Seq([HFlip()])._one_warp() is None  # one op: its own apply shortcuts


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), h=st.integers(8, 40), w=st.integers(8, 40),
       flips=st.sampled_from(["h", "v", "hv"]), mask=st.booleans(),
       interpolation=st.sampled_from(["linear", "nearest", "area", "cubic"]))
def test_a_resized_crop_fused_with_flips_is_the_resize_then_the_flip(seed, h, w, flips, mask,
                                                                     interpolation):
    """RandomResizedCrop + flips fused in a Seq take the resize-window path and then flip:
    the same pixels (and mask) as the ops one after the other, in the per-image and the
    numpy batch paths; before, the fused matrix went through a slower warp with other
    pixels."""
    import augkit as A
    from augkit.batch import apply_batch

    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    m = rng.integers(0, 5, (h, w), dtype=np.uint8) if mask else None
    ops = [A.RandomResizedCrop(size=(9, 11), interpolation=interpolation)]
    ops += [A.HFlip(p=1.0)] * ("h" in flips) + [A.VFlip(p=1.0)] * ("v" in flips)
    s = A.Sample(img, mask=m)
    fused = A.Seq(ops)(s, np.random.default_rng(seed))
    step = s
    g = np.random.default_rng(seed)
    for op in ops:
        step = op(step, g)
    assert np.array_equal(fused.image, step.image)
    if mask:
        assert np.array_equal(fused.mask, step.mask)
    batch = np.stack([img, img[::-1].copy()])
    got = apply_batch(A.Seq(ops), batch, np.random.default_rng(seed))
    g = np.random.default_rng(seed)
    want = np.stack([A.Seq(ops)(b, g) for b in batch])
    assert np.array_equal(got, want)
