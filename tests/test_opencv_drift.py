"""Results that must not move with OpenCV's release or its thread count (issue: a fresh
install with OpenCV 5.1 broke five tests; nearest warps changed with cv2.setNumThreads)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import augkit as A
from augkit.functional.color import add_scalar
from augkit.functional.nearest import source_maps


@pytest.fixture
def restore_threads():
    n = cv2.getNumThreads()
    yield
    cv2.setNumThreads(n)


@pytest.mark.parametrize("op", [
    A.Shear(x=(-6.84, -6.84), interpolation="nearest"),
    A.Rotate(degrees=(33.0, 33.0), interpolation="nearest"),
    A.Shear(x=(2.0, 2.0), y=(-3.0, -3.0), interpolation="nearest"),
])
def test_nearest_warps_do_not_depend_on_the_thread_count(op, restore_threads):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (384, 384, 3), np.uint8)
    mask = rng.integers(0, 7, (384, 384), np.uint8)
    outs = []
    for n in (1, 2, 3, 4, 8):
        cv2.setNumThreads(n)
        out = op(A.Sample(img, mask=mask), rng=np.random.default_rng(5))
        outs.append((out.image, out.mask))
    for image, m in outs[1:]:
        assert np.array_equal(image, outs[0][0]) and np.array_equal(m, outs[0][1])


@pytest.mark.parametrize("shear,centre", [(0.05, 191.5), (0.3, 191.5), (0.12, 192.0),
                                          (0.12, 0.0), (-0.2, 192.0), (-0.2, 0.0)])
def test_nearest_warp_of_tie_rows_does_not_depend_on_the_thread_count(shear, centre,
                                                                      restore_threads):
    """Shears whose rows land half-way between source pixels: OpenCV 5.1's own nearest
    warpAffine broke those ties differently with 1, 2, 3, 4 and 8 threads (up to 10,060
    pixels of 384x384 measured here)."""
    from augkit.functional.geometry import warp_image, warp_mask

    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (384, 384, 3), np.uint8)
    mask = rng.integers(0, 7, (384, 384), np.int64)
    m = np.eye(3)
    m[0, 1], m[0, 2] = shear, -shear * centre
    outs = []
    for n in (1, 2, 3, 4, 8):
        cv2.setNumThreads(n)
        outs.append((warp_image(img, m, (384, 384), "nearest"), warp_mask(mask, m, (384, 384)),
                     warp_image(img, m, (384, 384), "linear")))
    for got in outs[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(got, outs[0]))


def _tol(v):
    """1.5 float32 ulp of |v| and more (the maps' stated error), with a floor near zero."""
    return 4.0 * np.spacing(np.float32(max(abs(v), 1.0)))


@settings(max_examples=60, deadline=None)
@given(a=st.floats(-2, 2), b=st.floats(-2, 2), c=st.floats(-40, 40), d=st.floats(-2, 2),
       e=st.floats(-2, 2), f=st.floats(-40, 40), oh=st.integers(1, 30), ow=st.integers(1, 30))
def test_source_maps_are_the_inverse_mapping_in_float32(a, b, c, d, e, f, oh, ow):
    """An independent reading of the maps: each output pixel index, pushed through the
    inverse matrix in float64, is its source position; the float32 map is that position
    within its stated error, and so names the same pixel wherever the position is not within
    that error of half-way. The perspective route (3x3) reads the same way."""
    m = np.array([[a, b, c], [d, e, f], [0.0, 0.0, 1.0]])
    if abs(np.linalg.det(m)) < 1e-3:
        return
    inv = np.linalg.inv(m)
    for maps in (source_maps(m[:2], (oh, ow)), source_maps(m, (oh, ow))):
        mx, my = (a.copy() for a in maps)
        assert mx.dtype == np.float32 and mx.shape == (oh, ow)
        for y, x in ((0, 0), (oh - 1, ow - 1), (oh // 2, ow // 3)):
            sx, sy, _ = inv @ [x, y, 1.0]
            for got, want in ((mx[y, x], sx), (my[y, x], sy)):
                assert abs(float(got) - want) <= _tol(want)
                if abs(abs(want - np.floor(want)) - 0.5) > _tol(want):
                    assert np.rint(got) == np.round(want)


@pytest.mark.parametrize("threads", [1, 2, 8])
def test_remap_rounds_float_positions_half_to_even(threads, restore_threads):
    """What `warp_nearest` relies on: OpenCV's nearest remap of float32 maps gathers the
    pixel at rint(position), ties to even, whatever the thread count (positions on and next
    to half-way, and far outside within the short range)."""
    from augkit.functional.nearest import warp_nearest

    cv2.setNumThreads(threads)
    rng = np.random.default_rng(threads)
    img = rng.integers(0, 256, (40, 50), np.uint8)
    shape = (96, 96)
    maps = [(rng.integers(-6, 2 * n + 6, shape) / 2).astype(np.float32) for n in (50, 40)]
    nudge = rng.random(shape) < 0.3
    maps[0][nudge] = np.nextafter(maps[0][nudge], np.float32(1e9))
    maps[1][rng.random(shape) < 0.05] = -32768.0
    got = cv2.remap(img, maps[0], maps[1], cv2.INTER_NEAREST,
                    borderMode=cv2.BORDER_CONSTANT, borderValue=(7, 7, 7, 7))
    ix, iy = (np.rint(mp).astype(np.int64) for mp in maps)
    ok = (ix >= 0) & (ix < 50) & (iy >= 0) & (iy < 40)
    want = np.full(shape, 7, np.uint8)
    want[ok] = img[iy[ok], ix[ok]]
    assert np.array_equal(got, want)
    # a singular matrix: every pixel is the border (OpenCV 5.1 misread one array given as
    # both maps, and put some image pixels there)
    out = warp_nearest(img, np.zeros((2, 3)), (64, 64), cv2.BORDER_CONSTANT, (7, 7, 7, 7))
    assert (out == 7).all()


def test_source_maps_far_outside_clamp_to_the_border():
    big = np.array([[1.0, 0.0, -1e12], [0.0, 1.0, 1e12]])
    mx, my = source_maps(big, (3, 4))
    assert (mx == 32767).all() and (my == -32768).all()  # OpenCV's short range: outside
    img = np.full((5, 5), 9, np.uint8)
    from augkit.functional.geometry import warp_image

    m = np.eye(3)
    m[0, 2] = 1e12
    assert (warp_image(img, m, (5, 5), "nearest", fill=3) == 3).all()


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("shape", [(1, 1), (1, 1, 1), (1, 1, 3), (1, 1, 4)])
def test_add_scalar_on_one_pixel_equals_the_same_pixel_in_a_wider_image(dtype, shape):
    """OpenCV 5 reads a one-pixel array as a scalar; the per-channel add must still be the
    per-channel add (the one-pixel image of a two-pixel image's first column)."""
    rng = np.random.default_rng(3)
    for _ in range(50):
        c = 1 if len(shape) == 2 else shape[2]
        two_shape = (1, 2) + shape[2:]
        img = (rng.integers(0, 256, two_shape) if dtype == np.uint8
               else rng.random(two_shape)).astype(dtype)
        vals = list(rng.uniform(-90, 90, c) if dtype == np.uint8 else rng.uniform(-1, 1, c))
        one_in = np.ascontiguousarray(img[:, :1])
        one = add_scalar(one_in, vals)
        assert one.shape == one_in.shape and one.dtype == one_in.dtype
        assert np.array_equal(one, add_scalar(img, vals)[:, :1])


@pytest.mark.parametrize("op", [A.RGBShift(), A.PCALighting(alpha_std=0.5)])
def test_one_pixel_images_pass_through_colour_shifts(op):
    for img in (np.full((1, 1), 100, np.uint8), np.full((1, 1, 3), 100, np.uint8)):
        out = op(img, rng=np.random.default_rng(1))
        assert out.shape == img.shape and out.dtype == img.dtype


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), border=st.sampled_from(["constant", "reflect", "wrap"]),
       perspective=st.booleans())
def test_wide_label_masks_move_as_the_other_masks_move(seed, border, perspective):
    """int64 labels beyond int32 cannot go through OpenCV: numpy gathers them from the same
    source positions, so they land exactly where an int32 copy of the layout lands."""
    from augkit.functional.geometry import warp_mask

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 50, (23, 31)).astype(np.int32)
    wide = small.astype(np.int64) * (1 << 40)
    m = np.eye(3)
    m[:2] += rng.normal(0.0, 0.3, (2, 3)) * [[1, 1, 20], [1, 1, 20]]
    if perspective:
        m[2, :2] = rng.normal(0.0, 0.002, 2)
    if abs(np.linalg.det(m)) < 1e-2:
        return
    want = warp_mask(small, m, (27, 29), border=border).astype(np.int64) * (1 << 40)
    assert np.array_equal(warp_mask(wide, m, (27, 29), border=border), want)
