"""The middle-class tier per sample: CutOut, ElasticDistortion, GridDistortion.

The generic contract (determinism, replay, JSON params, round trip, dtype, no mutation) is in
test_contract.py; here: the reference rules, target handling and the keypoint inversion.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.ndimage import map_coordinates

from augkit import AugkitTypeError, AugkitValueError, Sample
from augkit.functional import distort as D
from augkit.middle import CutOut, ElasticDistortion, GridDistortion

# --- CutOut ---------------------------------------------------------------------------------

def devries_cutout(img, rng, length, n_holes):
    """DeVries & Taylor's reference Cutout (uoguelph-mlrg/Cutout, util/cutout.py), with the
    random calls taken from `rng` in the same order."""
    h, w = img.shape[:2]
    mask = np.ones((h, w), np.float32)
    for _ in range(n_holes):
        y = rng.integers(h)
        x = rng.integers(w)
        y1 = np.clip(y - length // 2, 0, h)
        y2 = np.clip(y + length // 2, 0, h)
        x1 = np.clip(x - length // 2, 0, w)
        x2 = np.clip(x + length // 2, 0, w)
        mask[y1:y2, x1:x2] = 0.0
    return (img * mask[..., None]).astype(img.dtype)


@given(h=st.integers(1, 40), w=st.integers(1, 40), half=st.integers(1, 12),
       holes=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_cutout_matches_the_reference_for_even_sizes(h, w, half, holes, seed):
    img = np.random.default_rng(seed).integers(1, 256, (h, w, 3)).astype(np.uint8)
    out = CutOut(size=2 * half, holes=holes)(img, rng=np.random.default_rng(seed))
    ref = devries_cutout(img, np.random.default_rng(seed), 2 * half, holes)
    np.testing.assert_array_equal(out, ref)


@given(h=st.integers(3, 40), w=st.integers(3, 40), half=st.integers(0, 10),
       seed=st.integers(0, 2**32 - 1))
def test_cutout_odd_size_cuts_exactly_size_pixels(h, w, half, seed):
    size = 2 * half + 1
    op = CutOut(size=size)
    p = op.sample(np.random.default_rng(seed), Sample(np.zeros((h, w), np.uint8)))
    r = np.random.default_rng(seed)
    cy, cx = r.integers(h), r.integers(w)  # the reference's centre draw
    # the hole is centred on that pixel: `half` pixels either side, clipped at the border
    assert p["holes"] == [[max(0, cy - half), max(0, cx - half), min(h, cy + half + 1),
                           min(w, cx + half + 1)]]


def test_cutout_centre_is_uniform_over_the_whole_image():
    """Holes near the border are clipped, not moved inside: every pixel is a centre equally
    often, so the corner pixel is erased with probability (size/2)^2 / (H W)."""
    h, w, size, n = 20, 20, 8, 20000
    op = CutOut(size=size)
    rng = np.random.default_rng(0)
    s = Sample(np.zeros((h, w), np.uint8))
    corner = sum(1 for _ in range(n)
                 if (lambda r: r[0] == 0 and r[1] == 0)(op.sample(rng, s)["holes"][0]))
    expected = (size // 2 + 1) ** 2 / (h * w)  # centres with y - 4 <= 0 and x - 4 <= 0
    assert abs(corner / n - expected) < 0.01


@given(seed=st.integers(0, 2**32 - 1), frac=st.floats(0.1, 1.0))
def test_cutout_targets(seed, frac):
    rng = np.random.default_rng(seed)
    h, w = 30, 40
    img = rng.integers(1, 256, (h, w, 3)).astype(np.uint8)  # never 0, so holes are visible
    mask = rng.integers(0, 5, (h, w)).astype(np.int64)
    kp = np.stack([rng.uniform(0, w, (3, 6)), rng.uniform(0, h, (3, 6)),
                   np.full((3, 6), 2.0)], -1).astype(np.float32)
    boxes = np.array([[1, 2, 20, 25], [5, 5, 6, 6]], np.float32)
    s = Sample(img, mask=mask, boxes=boxes, box_labels=np.array([3, 4]), keypoints=kp)
    out = CutOut(size=frac, holes=2, fill=(0, 0, 0), mask_fill=255)(s, rng=rng)
    hole = (out.image == 0).all(-1)
    assert hole.any()
    np.testing.assert_array_equal(out.mask == 255, hole)
    np.testing.assert_array_equal(out.mask[~hole], mask[~hole])
    np.testing.assert_array_equal(out.image[~hole], img[~hole])
    ix = np.clip(np.floor(kp[..., 0]).astype(int), 0, w - 1)
    iy = np.clip(np.floor(kp[..., 1]).astype(int), 0, h - 1)
    np.testing.assert_array_equal(out.keypoints[..., 2], np.where(hole[iy, ix], 0, 2))
    np.testing.assert_array_equal(out.keypoints[..., :2], kp[..., :2])
    np.testing.assert_array_equal(out.boxes, boxes)
    np.testing.assert_array_equal(out.box_labels, [3, 4])
    # mask_fill=None (default): the mask is left as it was
    out2 = CutOut(size=frac, holes=2)(s, rng=np.random.default_rng(seed))
    assert out2.mask is s.mask or np.array_equal(out2.mask, mask)


def test_cutout_float_fill_and_fraction():
    img = np.ones((10, 20, 3), np.float32)
    out = CutOut(size=(0.5, 0.25), fill=(0.25, 0.5, 0.75))(img, rng=np.random.default_rng(1))
    hole = (out != 1.0).all(-1)
    ys, xs = np.nonzero(hole)
    assert ys.max() - ys.min() + 1 <= 5 and xs.max() - xs.min() + 1 <= 5
    np.testing.assert_allclose(out[hole][0], [0.25, 0.5, 0.75])
    assert out.dtype == np.float32


@pytest.mark.parametrize("kw, field", [
    ({"size": 0}, "size"), ({"size": 1.5}, "size"), ({"size": (3,)}, "size"),
    ({"holes": -1}, "holes"), ({"fill": "black"}, "fill"), ({"mask_fill": 1.5}, "mask_fill"),
])
def test_cutout_bad_fields(kw, field):
    with pytest.raises(AugkitValueError, match=f"CutOut: {field}"):
        CutOut(**kw)


def test_cutout_fill_channel_mismatch_is_typed():
    with pytest.raises(AugkitValueError, match="CutOut: fill"):
        CutOut(fill=(1, 2))(np.zeros((8, 8, 3), np.uint8), rng=np.random.default_rng(0))
    with pytest.raises(AugkitTypeError):
        CutOut()(np.zeros((8, 8, 3), np.int16), rng=np.random.default_rng(0))
    s = Sample(np.zeros((8, 8, 3), np.uint8), mask=np.zeros((8, 8), np.uint8))
    with pytest.raises(AugkitValueError, match="CutOut: mask_fill is 256"):
        CutOut(mask_fill=256)(s, rng=np.random.default_rng(0))


# --- elastic: the backward map is inverted accurately ---------------------------------------

def backward(dx, dy, p):
    """Independent evaluation of p + d(p): scipy's bilinear interpolation of the field."""
    coords = [p[:, 1] - 0.5, p[:, 0] - 0.5]
    ux = map_coordinates(dx.astype(np.float64), coords, order=1, mode="nearest")
    uy = map_coordinates(dy.astype(np.float64), coords, order=1, mode="nearest")
    return p + np.stack([ux, uy], 1)


@given(h=st.integers(8, 80), w=st.integers(8, 80), alpha=st.floats(0.0, 60.0),
       sigma=st.floats(3.0, 10.0), seed=st.integers(0, 2**31 - 2))
def test_elastic_keypoint_inversion_is_accurate(h, w, alpha, sigma, seed):
    dx, dy = D.elastic_field(seed, (h, w), alpha, sigma)
    q = np.random.default_rng(seed).uniform([0, 0], [w, h], (200, 2))
    p = D.elastic_forward(dx, dy, q)
    err = np.abs(backward(dx, dy, p) - q).max()
    assert err < 0.01, err


def test_elastic_default_field_inversion_beats_the_naive_guess():
    """Simard's alpha=34, sigma=4 on a 64x64 image: Newton is accurate to < 0.01 px where
    the usual shortcut q - d(q) is off by about a pixel."""
    dx, dy = D.elastic_field(123, (64, 64), 34.0, 4.0)
    q = np.random.default_rng(0).uniform(0, 64, (2000, 2))
    p = D.elastic_forward(dx, dy, q)
    assert np.abs(backward(dx, dy, p) - q).max() < 0.01
    naive = q - (backward(dx, dy, q) - q)
    assert np.abs(backward(dx, dy, naive) - q).max() > 0.3


def test_elastic_inversion_where_the_field_folds():
    """alpha=60, sigma=3 folds the map (negative Jacobian somewhere): points Newton cannot
    solve are solved exactly cell by cell; every keypoint still maps back onto itself."""
    dx, dy = D.elastic_field(11, (64, 64), 60.0, 3.0)
    jac = (1 + np.gradient(dx, axis=1)) * (1 + np.gradient(dy, axis=0)) - np.gradient(
        dx, axis=0) * np.gradient(dy, axis=1)
    assert jac.min() < 0
    q = np.random.default_rng(1).uniform(0, 64, (1000, 2))
    p = D.elastic_forward(dx, dy, q)
    assert np.abs(backward(dx, dy, p) - q).max() < 1e-3


def test_elastic_field_is_a_pure_function_of_seed_and_params():
    a = D.elastic_field(7, (20, 30), 34.0, 4.0)
    b = D.elastic_field(7, (20, 30), 34.0, 4.0)
    c = D.elastic_field(8, (20, 30), 34.0, 4.0)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    p = ElasticDistortion().sample(np.random.default_rng(0), Sample(np.zeros((5, 5), np.uint8)))
    assert list(p) == ["seed"] and json.loads(json.dumps(p)) == p


@given(seed=st.integers(0, 2**31 - 2))
def test_elastic_keypoint_follows_a_blob(seed):
    """Default params on a 96x96 image: a keypoint on a Gaussian blob lands on the moved
    blob. (Where Simard's field folds, the blob shows up more than once and the keypoint
    sits on one of the copies, so the check is brightness under the keypoint, plus the
    brightest pixel when the blob did not fold.)"""
    rng = np.random.default_rng(seed)
    h = w = 96
    cx, cy = rng.uniform(30, 66, 2)
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    img = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * 1.5 ** 2)).astype(np.float32)
    s = Sample(img, keypoints=np.array([[cx, cy, 2.0]], np.float32))
    out = ElasticDistortion()(s, rng=rng)
    kx, ky, v = out.keypoints[0]
    assert v == 2
    assert out.image[int(ky), int(kx)] > 0.5, "no blob under the keypoint"
    bright = out.image > 0.5
    n_blobs = cv2.connectedComponents(bright.astype(np.uint8))[0] - 1
    if n_blobs == 1:
        iy, ix = np.unravel_index(np.argmax(out.image), out.image.shape)
        assert abs(kx - (ix + 0.5)) <= 1.5 and abs(ky - (iy + 0.5)) <= 1.5


@given(seed=st.integers(0, 2**31 - 2), alpha=st.floats(5.0, 40.0))
def test_elastic_box_encloses_the_moved_object(seed, alpha):
    rng = np.random.default_rng(seed)
    h, w = 64, 72
    x1, y1 = rng.integers(4, 30, 2)
    x2, y2 = x1 + rng.integers(8, 30), y1 + rng.integers(8, 28)
    mask = np.zeros((h, w), np.uint8)
    mask[y1:y2, x1:x2] = 1
    s = Sample(np.zeros((h, w, 3), np.uint8), mask=mask,
               boxes=np.array([[x1, y1, x2, y2]], np.float32), box_labels=np.array([5]))
    out = ElasticDistortion(alpha=alpha, sigma=6.0)(s, rng=rng)
    ys, xs = np.nonzero(out.mask)
    mb = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], float)
    b = out.boxes[0]
    # the enclosing box of the moved outline is the moved object's box, to a pixel
    assert np.abs(mb - b).max() <= 1.0, (mb, b)
    assert out.box_labels.tolist() == [5]


def test_elastic_zero_alpha_is_identity():
    rng = np.random.default_rng(0)
    img = rng.random((17, 23, 3)).astype(np.float32)
    kp = np.array([[3.2, 4.7, 1], [22.9, 16.9, 2]], np.float32)
    out = ElasticDistortion(alpha=0.0)(Sample(img, keypoints=kp), rng=rng)
    np.testing.assert_allclose(out.image, img, atol=1e-6)
    np.testing.assert_allclose(out.keypoints, kp, atol=1e-5)


def test_elastic_on_real_photo_keeps_instances_in_their_boxes(shared_data):
    from PIL import Image, ImageDraw

    root = shared_data / "coco128"
    stem = "000000000400"
    img = np.asarray(Image.open(root / f"images/train2017/{stem}.jpg").convert("RGB"))
    h, w = img.shape[:2]
    masks, boxes = [], []
    for line in open(root / f"instance_segmentation/labels/train2017/{stem}.txt"):
        t = line.split()
        pts = np.array(t[1:], float).reshape(-1, 2) * [w, h]
        m = Image.new("L", (w, h), 0)
        ImageDraw.Draw(m).polygon([tuple(p) for p in pts], fill=1)
        m = np.asarray(m, np.uint8)
        ys, xs = np.nonzero(m)
        masks.append(m)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    op = ElasticDistortion(alpha=400.0, sigma=20.0)
    rng = np.random.default_rng(3)
    p = op.sample(rng, Sample(img))
    for m, b in zip(masks, boxes):
        out = op.apply(Sample(img, mask=m, boxes=np.array([b], np.float32)), p)
        assert out.image.shape == img.shape and out.image.dtype == np.uint8
        ys, xs = np.nonzero(out.mask)
        if len(xs) == 0:
            continue
        mb = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], float)
        b = out.boxes[0]  # the moved outline of the box encloses the moved object
        assert (mb[:2] >= b[:2] - 1).all() and (mb[2:] <= b[2:] + 1).all(), (mb, b)


# --- grid distortion ---------------------------------------------------------------------------

@given(h=st.integers(4, 60), w=st.integers(4, 60), steps=st.integers(1, 8),
       seed=st.integers(0, 2**31 - 2))
def test_grid_forward_inverts_the_maps_exactly(h, w, steps, seed):
    op = GridDistortion(num_steps=steps, distort_limit=0.5)
    p = op.sample(np.random.default_rng(seed), Sample(np.zeros((h, w), np.uint8)))
    map_x, map_y = D.grid_maps(p["xsteps"], p["ysteps"], (h, w))
    # pixel centres: their forward image must sample back at them (map in index coords)
    src = np.stack(np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5), -1).reshape(-1, 2)
    fwd = D.grid_forward(p["xsteps"], p["ysteps"], (h, w), src)
    # the backward map of the forward points, evaluated by linear interpolation of the
    # source knots independently of grid_forward
    ox, sx = D.grid_knots(p["xsteps"], w)
    oy, sy = D.grid_knots(p["ysteps"], h)
    np.testing.assert_allclose(np.interp(fwd[:, 0], ox, sx), src[:, 0], atol=1e-9)
    np.testing.assert_allclose(np.interp(fwd[:, 1], oy, sy), src[:, 1], atol=1e-9)
    assert map_x.shape == (h, w) and (np.diff(map_x, axis=1) > 0).all()


def test_grid_zero_limit_is_identity():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (21, 30, 3)).astype(np.uint8)
    kp = np.array([[1.5, 2.5], [29.0, 20.0]], np.float32)
    out = GridDistortion(distort_limit=0.0)(Sample(img, keypoints=kp), rng=rng)
    np.testing.assert_array_equal(out.image, img)
    np.testing.assert_allclose(out.keypoints, kp, atol=1e-5)


@given(seed=st.integers(0, 2**31 - 2))
def test_grid_keypoint_follows_a_blob(seed):
    rng = np.random.default_rng(seed)
    h, w = 60, 80
    cx, cy = rng.uniform(10, 70), rng.uniform(10, 50)
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    img = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / 2.0).astype(np.float32)
    s = Sample(img, keypoints=np.array([[cx, cy]], np.float32))
    out = GridDistortion(num_steps=4, distort_limit=0.5)(s, rng=rng)
    iy, ix = np.unravel_index(np.argmax(out.image), out.image.shape)
    kx, ky = out.keypoints[0]
    assert abs(kx - (ix + 0.5)) <= 1.0 and abs(ky - (iy + 0.5)) <= 1.0


@pytest.mark.parametrize("cls, kw, field", [
    (ElasticDistortion, {"alpha": -1.0}, "alpha"), (ElasticDistortion, {"sigma": 0}, "sigma"),
    (ElasticDistortion, {"interpolation": "bogus"}, "interpolation"),
    (ElasticDistortion, {"mask_fill": 0.5}, "mask_fill"),
    (GridDistortion, {"num_steps": 0}, "num_steps"),
    (GridDistortion, {"distort_limit": 1.0}, "distort_limit"),
    (GridDistortion, {"distort_limit": (0.3, -0.3)}, "distort_limit"),
])
def test_distortion_bad_fields(cls, kw, field):
    with pytest.raises(AugkitValueError, match=f"{cls.__name__}: {field}"):
        cls(**kw)


@pytest.mark.parametrize("op", [ElasticDistortion(), GridDistortion()], ids=repr)
def test_distortions_handle_many_channels_and_wide_masks(op):
    rng = np.random.default_rng(0)
    img = rng.random((20, 24, 7)).astype(np.float32)
    mask = rng.integers(0, 2**40, (20, 24)).astype(np.int64)
    s = Sample(img, mask=mask)
    out = op(s, rng=rng)
    assert out.image.shape == img.shape and out.mask.dtype == np.int64
    assert set(np.unique(out.mask)) <= set(np.unique(mask)) | {0}
    assert np.array_equal(s.mask, mask)
