"""Geometry against independent implementations (numpy, PIL, torchvision, torch), computed here.

Pixel-centre conventions: augkit uses edge coordinates (pixel i spans [i, i+1)); PIL's
rotate/affine and torchvision (grid_sample with align_corners=False) rotate about the same
centre (w/2, h/2 in edge coordinates = (w-1)/2 in index coordinates), so no offset is needed.
torchvision's `affine` turns clockwise for positive angles and shears with x' = x - tan(s) y;
augkit (like PIL/OpenCV rotate) turns counter-clockwise and shears with x' = x + tan(s) y, so
the reference is called with -angle and -shear.

Tolerances (uint8 levels), on smooth images, away from the 2-px fill border:
flips, integer shifts, crops, pads: exact. Rotate vs torchvision: <= 1, vs PIL: <= 2 (PIL
rounds its 8-bit weights differently). Affine/Scale/Shear vs torchvision: <= 2. Resize vs
torch bilinear (align_corners=False, no antialias): float32 <= 1e-4, uint8 <= 1. Nearest
resize of masks: exact except where a sample point falls exactly between two pixels.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TF
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from torchvision.transforms import InterpolationMode

from augkit import Sample
from augkit.compose import Seq
from augkit.poor import (
    Affine,
    Crop,
    HFlip,
    Pad,
    PadCrop,
    RandomResizedCrop,
    Resize,
    Rotate,
    Scale,
    Shear,
    Translate,
    VFlip,
)

BILINEAR = InterpolationMode.BILINEAR


def smooth(h, w, seed=0, c=3):
    rng = np.random.default_rng(seed)
    small = rng.random((4, 4, c)).astype(np.float32)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).reshape(h, w, c)
    return np.round(big.clip(0, 1) * 255).astype(np.uint8)


def chw(img):
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)


def hwc(t):
    return t.permute(1, 2, 0).numpy()


def covered(op, params, h, w):
    """Pixels whose 5x5 neighbourhood comes from inside the input (no fill blending)."""
    ones = op.apply(Sample(np.full((h, w), 255, np.uint8)), params).image == 255
    return cv2.erode(ones.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=2,
                     borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


def maxdiff(a, b, where=None):
    d = np.abs(a.astype(np.int64) - b.astype(np.int64))
    if where is not None:
        d = d[where]
    return int(d.max()) if d.size else 0


sizes = st.integers(12, 48)


@given(h=sizes, w=sizes, seed=st.integers(0, 100))
def test_flips_match_numpy_and_pil(h, w, seed):
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    mask = np.random.default_rng(seed + 1).integers(0, 9, (h, w)).astype(np.int32)
    s = Sample(img, mask=mask)
    out = HFlip(p=1.0).apply(s, {"flip": True})
    np.testing.assert_array_equal(out.image, np.asarray(
        Image.fromarray(img).transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    np.testing.assert_array_equal(out.mask, mask[:, ::-1])
    out = VFlip(p=1.0).apply(s, {"flip": True})
    np.testing.assert_array_equal(out.image, np.asarray(
        Image.fromarray(img).transpose(Image.Transpose.FLIP_TOP_BOTTOM)))
    np.testing.assert_array_equal(out.mask, mask[::-1])
    gray = img[..., 0]
    np.testing.assert_array_equal(HFlip(p=1.0)(gray, rng=np.random.default_rng(0)),
                                  gray[:, ::-1])
    f32 = img.astype(np.float32) / 255
    np.testing.assert_array_equal(VFlip(p=1.0)(f32, rng=np.random.default_rng(0)), f32[::-1])


@given(h=sizes, w=sizes, angle=st.floats(-180, 180), seed=st.integers(0, 100))
def test_rotate_matches_torchvision_and_pil(h, w, angle, seed):
    img = smooth(h, w, seed)
    op = Rotate(degrees=(angle, angle))
    p = {"angle": angle}
    ours = op.apply(Sample(img), p).image
    valid = covered(op, p, h, w)
    tv = hwc(TF.rotate(chw(img), angle, interpolation=BILINEAR))
    assert maxdiff(ours, tv, valid) <= 1
    pil = np.asarray(Image.fromarray(img).rotate(angle, resample=Image.Resampling.BILINEAR))
    assert maxdiff(ours, pil, valid) <= 2


@given(h=sizes, w=sizes, angle=st.floats(-45, 45), dx=st.floats(-0.3, 0.3),
       dy=st.floats(-0.3, 0.3), scale=st.floats(0.6, 1.6), shear=st.floats(-30, 30),
       seed=st.integers(0, 100))
def test_affine_matches_torchvision(h, w, angle, dx, dy, scale, shear, seed):
    img = smooth(h, w, seed)
    op = Affine()
    p = {"angle": angle, "dx": dx, "dy": dy, "scale": scale, "shear": shear}
    ours = op.apply(Sample(img), p).image
    tv = hwc(TF.affine(chw(img), angle=-angle, translate=[dx * w, dy * h], scale=scale,
                       shear=[-shear, 0.0], interpolation=BILINEAR))
    assert maxdiff(ours, tv, covered(op, p, h, w)) <= 2


@pytest.mark.parametrize("op, params, ref", [
    (Scale(), {"sx": 1.3, "sy": 1.3}, dict(angle=0.0, translate=[0, 0], scale=1.3, shear=[0, 0])),
    (Scale(), {"sx": 0.7, "sy": 0.7}, dict(angle=0.0, translate=[0, 0], scale=0.7, shear=[0, 0])),
    (Shear(), {"sx": 12.0, "sy": 0.0}, dict(angle=0.0, translate=[0, 0], scale=1.0,
                                           shear=[-12.0, 0.0])),
    (Translate(), {"dx": 0.125, "dy": -0.25}, dict(angle=0.0, translate=[4.0, -6.0], scale=1.0,
                                                   shear=[0, 0])),
])
def test_single_warps_match_torchvision(op, params, ref):
    h, w = 24, 32
    img = smooth(h, w, 3)
    ours = op.apply(Sample(img), params).image
    tv = hwc(TF.affine(chw(img), interpolation=BILINEAR, **ref))
    assert maxdiff(ours, tv, covered(op, params, h, w)) <= 2


@given(h=sizes, w=sizes, dx=st.integers(-8, 8), dy=st.integers(-8, 8), seed=st.integers(0, 99))
def test_integer_shifts_are_exact(h, w, dx, dy, seed):
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    ref = np.zeros_like(img)
    ref[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        img[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    out = Translate(unit="pixels").apply(Sample(img), {"dx": float(dx), "dy": float(dy)}).image
    np.testing.assert_array_equal(out, ref)
    out = PadCrop(padding=8).apply(Sample(img), {"dx": dx, "dy": dy}).image
    np.testing.assert_array_equal(out, ref)


@given(h=sizes, w=sizes, pad=st.tuples(*[st.integers(0, 5)] * 4), seed=st.integers(0, 99))
def test_pad_and_crop_match_numpy(h, w, pad, seed):
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    l, t, r, b = pad
    out = Pad(padding=pad, fill=7).apply(Sample(img), {}).image
    np.testing.assert_array_equal(out, np.pad(img, ((t, b), (l, r), (0, 0)), constant_values=7))
    ch, cw = max(1, h // 2), max(1, w // 3)
    op = Crop(size=(ch, cw))
    p = op.sample(np.random.default_rng(seed), Sample(img))
    out = op.apply(Sample(img), p).image
    np.testing.assert_array_equal(out, img[p["top"]:p["top"] + ch, p["left"]:p["left"] + cw])
    big = Crop(size=(h + 4, w + 2), position="center").apply(
        Sample(img), {"top": -2, "left": -1}).image
    np.testing.assert_array_equal(big, np.pad(img, ((2, 2), (1, 1), (0, 0))))


def _torch_resize(img_f32, oh, ow, mode="bilinear"):
    t = torch.from_numpy(img_f32).permute(2, 0, 1)[None]
    kw = {"align_corners": False} if mode == "bilinear" else {}
    return torch.nn.functional.interpolate(t, size=(oh, ow), mode=mode, **kw)[0].permute(
        1, 2, 0).numpy()


@given(h=sizes, w=sizes, oh=st.integers(5, 64), ow=st.integers(5, 64), seed=st.integers(0, 99))
def test_resize_matches_torch_bilinear(h, w, oh, ow, seed):
    img = np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)
    out = Resize(size=(oh, ow)).apply(Sample(img), {}).image
    np.testing.assert_allclose(out, _torch_resize(img, oh, ow), atol=1e-4)
    u8 = (img * 255).round().astype(np.uint8)
    out = Resize(size=(oh, ow)).apply(Sample(u8), {}).image
    ref = _torch_resize(u8.astype(np.float32), oh, ow).round()
    assert maxdiff(out, ref) <= 1


@given(h=sizes, w=sizes, oh=st.integers(5, 64), ow=st.integers(5, 64), seed=st.integers(0, 99))
def test_resize_mask_is_centre_nearest(h, w, oh, ow, seed):
    """Output pixel i takes input pixel floor((i + 0.5) * w / ow): the pixel-centre rule
    (torch 'nearest-exact', PIL NEAREST), not OpenCV's legacy floor(i * w / ow)."""
    mask = np.random.default_rng(seed).integers(0, 50, (h, w)).astype(np.int32)
    out = Resize(size=(oh, ow)).apply(Sample(np.zeros((h, w), np.uint8), mask=mask), {}).mask
    fy = (np.arange(oh) + 0.5) * h / oh
    fx = (np.arange(ow) + 0.5) * w / ow
    ref = mask[np.floor(fy).astype(int)[:, None], np.floor(fx).astype(int)[None, :]]
    tie = (np.abs(fy - np.round(fy)) < 1e-6)[:, None] | (np.abs(fx - np.round(fx)) < 1e-6)[None]
    assert (out == ref)[~tie].all()


@given(h=sizes, w=sizes, seed=st.integers(0, 999))
def test_random_resized_crop_matches_torchvision(h, w, seed):
    img = smooth(h, w, seed)
    op = RandomResizedCrop(size=(20, 24), scale=(0.3, 1.0))
    p = op.sample(np.random.default_rng(seed), Sample(img))
    ours = op.apply(Sample(img), p).image
    tv = hwc(TF.resized_crop(chw(img), p["top"], p["left"], p["height"], p["width"], [20, 24],
                             interpolation=BILINEAR, antialias=False))
    # torchvision replicates the crop's edge; augkit samples the real pixels just outside it,
    # so only the output pixels that read across the crop edge may differ
    k = int(np.ceil(max(20 / p["height"], 24 / p["width"]))) + 1
    inner = np.zeros(ours.shape[:2], bool)
    inner[k:-k, k:-k] = True
    assert maxdiff(ours, tv, inner) <= 1


@given(h=sizes, w=sizes, seed=st.integers(0, 99))
def test_fused_flip_resize_matches_step_by_step_reference(h, w, seed):
    img = np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)
    out = Seq((HFlip(p=1.0), Resize(size=(30, 26))))(img, rng=np.random.default_rng(0))
    ref = _torch_resize(np.ascontiguousarray(img[:, ::-1]), 30, 26)
    np.testing.assert_allclose(out, ref, atol=1e-4)  # no dark fringe at the border


def test_points_and_boxes_follow_reference_formulas():
    h, w = 20, 30
    s = Sample(np.zeros((h, w, 3), np.uint8), boxes=np.array([[2, 3, 10, 8]], np.float32),
               keypoints=np.array([[0.5, 0.5], [29.5, 19.5], [10.5, 8.5]], np.float32))
    out = HFlip(p=1.0).apply(s, {"flip": True})
    np.testing.assert_allclose(out.boxes, [[20, 3, 28, 8]])
    np.testing.assert_allclose(out.keypoints, [[29.5, 0.5], [0.5, 19.5], [19.5, 8.5]])
    out = Resize(size=(40, 15)).apply(s, {})
    np.testing.assert_allclose(out.boxes, [[1, 6, 5, 16]])
    np.testing.assert_allclose(out.keypoints, [[0.25, 1.0], [14.75, 39.0], [5.25, 17.0]])
    # rotation by 90 degrees about the centre, as a rotation of the point around (15, 10)
    out = Rotate(degrees=(90, 90)).apply(s, {"angle": 90.0})
    a = np.radians(90.0)
    x, y = 10.5 - 15, 8.5 - 10
    exp = [15 + np.cos(a) * x + np.sin(a) * y, 10 - np.sin(a) * x + np.cos(a) * y]
    np.testing.assert_allclose(out.keypoints[2], exp, atol=1e-5)
    # and the pixel under the keypoint moved with it (checked against cv2 independently)
    img = np.zeros((h, w), np.uint8)
    img[8, 10] = 255
    rot = cv2.warpAffine(img, cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), 90, 1.0),
                         (w, h), flags=cv2.INTER_NEAREST)
    r, c = np.argwhere(rot == 255)[0]
    np.testing.assert_allclose(exp, [c + 0.5, r + 0.5], atol=1e-5)


@pytest.mark.parametrize("fill", [77, (10, 20, 30)])
def test_fill_colour_matches_pil(fill):
    """Uncovered pixels get the fill on every channel (OpenCV alone would read a bare number
    as (v, 0, 0, 0))."""
    img = smooth(24, 32, 5)
    ours = Rotate(degrees=(45, 45), fill=fill).apply(Sample(img), {"angle": 45.0}).image
    rgb = (fill,) * 3 if isinstance(fill, int) else fill
    pil = np.asarray(Image.fromarray(img).rotate(45, resample=Image.Resampling.BILINEAR,
                                                 fillcolor=rgb))
    assert ours[0, 0].tolist() == list(rgb) == pil[0, 0].tolist()
    assert maxdiff(ours, pil, covered(Rotate(), {"angle": 45.0}, 24, 32)) <= 2
    shifted = Translate(unit="pixels", fill=fill).apply(Sample(img), {"dx": 3.0, "dy": 0.0})
    assert shifted.image[5, 0].tolist() == list(rgb)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("mode", [cv2.BORDER_CONSTANT, cv2.BORDER_REPLICATE,
                                  cv2.BORDER_REFLECT_101])
@given(seed=st.integers(0, 2**32 - 1), perspective=st.booleans(), side=st.integers(90, 200),
       dst=st.booleans())
def test_rgba_route_is_bit_identical_to_the_rgb_warp(dtype, mode, seed, perspective, side,
                                                     dst):
    """RGB images are warped and remapped as RGBA (OpenCV has no 3-channel SIMD kernel):
    the result must be exactly OpenCV's own 3-channel result, border values included."""
    from augkit.functional.distort import remap_image
    from augkit.functional.geometry import warp_cv
    from augkit.functional.scratch import rgba_worth

    rng = np.random.default_rng(seed)
    h, w = int(side), int(rng.integers(90, 200))
    img = rng.integers(0, 256, (h, w, 3)).astype(dtype)
    if dtype == np.float32:
        img /= 255
    m = np.eye(3) + np.concatenate([rng.normal(0, 0.2, (2, 3)), np.zeros((1, 3))])
    m[:2, 2] = rng.normal(0, 15, 2)
    if perspective:
        m[2, :2] = rng.normal(0, 1e-3, 2)
    mc = m if perspective else m[:2]
    border = (0.2, 0.4, 0.6, 0.0) if dtype == np.float32 else (10.0, 20.0, 30.0, 0.0)
    out_hw = (int(rng.integers(91, 180)), int(rng.integers(91, 180)))
    assert rgba_worth(img, True, out_hw[0] * out_hw[1])
    warp = cv2.warpPerspective if perspective else cv2.warpAffine
    ref = warp(img, mc, out_hw[::-1], flags=cv2.INTER_LINEAR, borderMode=mode,
               borderValue=border)
    out = np.empty_like(ref) if dst else None
    got = warp_cv(img, mc, out_hw, cv2.INTER_LINEAR, mode, border, out)
    assert got.shape == ref.shape and got.dtype == ref.dtype
    assert np.array_equal(got, ref)
    assert out is None or got is out
    mx = rng.uniform(-5, w + 5, (h, w)).astype(np.float32)
    my = rng.uniform(-5, h + 5, (h, w)).astype(np.float32)
    fill = (0.2, 0.4, 0.6) if dtype == np.float32 else (10, 20, 30)
    ref = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                    borderValue=border)
    assert np.array_equal(remap_image(img, mx, my, "linear", fill), ref)
