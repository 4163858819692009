"""The geometric ops issue 15 adds last: Perspective, OpticalDistortion, ThinPlateSpline.

Reference tests against albumentations 2.0.8 on COCO128 photos with the parameters forced to
the same values (albumentations' `apply` with the maps / matrix of our draw). Tolerances:

* Perspective: identical pixels (linear, cubic), every size mode; nearest differs at
  fewer than 1 in 10,000 pixels (augkit's own nearest tie rule, `functional.nearest`).
* OpticalDistortion: fisheye within 1 grey level at < 0.1% of the pixels (the same formula
  in float32, another order of operations); camera: albumentations' maps come from OpenCV's
  `initUndistortRectifyMap`, which OpenCV 5.1 shifts by half a pixel, so the reference maps
  are OpenCV's distortion model evaluated by `cv2.projectPoints` instead: identical pixels.
* ThinPlateSpline: within 1 grey level at < 1% of the pixels at 4 control points (float32
  sums of large weights in another order; 4 levels at < 4% at 6 points, whose weights are
  larger still).
* Keypoints and boxes: Perspective to float precision (albumentations' pixel indices are
  our edge coordinates minus 0.5); the distortions within 1 px of albumentations' (which
  rounds through an inverse map / a mask), and the exact inverse of the backward map.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import coco_photos
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit.compose import Seq
from augkit.errors import AugkitValueError
from augkit.poor import Rotate
from augkit.poor.optical_distortion import OpticalDistortion, folds, pixel_boxes
from augkit.poor.perspective import Perspective
from augkit.poor.thin_plate_spline import MAX_POINTS, ThinPlateSpline, control_points
from augkit.sample import Sample
from augkit.testing import check_op, example_instances, samples, seeds

A = pytest.importorskip("albumentations")
F = pytest.importorskip("albumentations.augmentations.geometric.functional")

INSTANCES = [op for cls in (Perspective, OpticalDistortion, ThinPlateSpline)
             for op in example_instances(cls)] + [
    Perspective(scale=0.3, fit_output=True, keep_size=False, border="reflect101"),
    OpticalDistortion(distort_limit=(0.2, 0.5), mode="fisheye", interpolation="cubic"),
    ThinPlateSpline(scale_range=(0.05, 0.08), num_control_points=5, fill=(0.1, 0.2, 0.3))]
IDS = [f"{type(op).__name__}-{i}" for i, op in enumerate(INSTANCES)]


@pytest.fixture(scope="module")
def photos(shared_data):
    return coco_photos(shared_data, 40, 43)


def _levels(a, b):
    d = np.abs(a.astype(np.int64) - b.astype(np.int64))
    return int(d.max()), float((d > 0).mean())


# --- contract -------------------------------------------------------------------------------

@pytest.mark.parametrize("op", INSTANCES, ids=IDS)
@settings(max_examples=15)
@given(s=samples(max_side=24), seed=seeds())
def test_contract_with_every_target(op, s, seed):
    if isinstance(op.fill, tuple) and (s.image.ndim == 2 or s.image.shape[2] != 3):
        with pytest.raises(AugkitValueError, match="fill has 3 values"):
            op(s, np.random.default_rng(seed))
        return
    check_op(op, s, seed)


@settings(max_examples=10)
@given(seed=seeds(), op=st.sampled_from([Perspective(), Perspective(interpolation="cubic"),
                                         OpticalDistortion(distort_limit=0.4),
                                         ThinPlateSpline(scale_range=(0.05, 0.1))]))
def test_batch_path_equals_the_per_image_path(seed, op):
    imgs = np.random.default_rng(seed).integers(0, 256, (3, 20, 26, 3), dtype=np.uint8)
    rng = np.random.default_rng(seed)
    want = np.stack([op(im, rng) for im in imgs])
    np.testing.assert_array_equal(op.batch(imgs, np.random.default_rng(seed)), want)


@pytest.mark.parametrize("op", [Perspective(), Perspective(scale=0.3, fit_output=True),
                                Seq((Perspective(), Rotate(degrees=20)))], ids=repr)
def test_perspective_on_a_torch_batch_matches_the_per_image_path(op):
    """Regression: the torch batch warped by affine_grid, which takes only the first two rows
    of a matrix, so a homography's projective row was dropped (up to ~230 levels off)."""
    import torch

    imgs = np.random.default_rng(0).integers(0, 256, (4, 40, 48, 3), dtype=np.uint8)
    rng = np.random.default_rng(3)
    want = np.stack([op(im, rng) for im in imgs])
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous()
    got = op.batch(x, np.random.default_rng(3)).permute(0, 2, 3, 1).numpy()
    assert _levels(got, want)[0] <= 1  # grid_sample in float32 against OpenCV's fixed point


def test_perspective_fuses_with_the_affine_ops():
    ys, xs = np.mgrid[0:40, 0:50] / 60.0
    smooth = np.stack([xs, ys, (xs + ys) / 2], -1).astype(np.float32)  # interpolates exactly
    s = Sample(smooth,
               keypoints=np.array([[20.5, 15.5, 2.0]], np.float32))
    pipe = Seq((Perspective(), Rotate(degrees=15)))
    fused, params = pipe.sample_apply(np.random.default_rng(1), s)
    m = Rotate(degrees=15).matrix(params["steps"][1], (40, 50)) @ \
        Perspective().matrix(params["steps"][0], (40, 50))
    p = m @ np.array([20.5, 15.5, 1.0])
    np.testing.assert_allclose(fused.keypoints[0, :2], p[:2] / p[2], atol=1e-4)
    unfused = Seq(pipe.ops, fuse=False).apply(s, params)
    inner = (slice(12, -12), slice(12, -12))
    assert np.abs(fused.image[inner] - unfused.image[inner]).max() < 1e-3


# --- Perspective against albumentations --------------------------------------------------------

def _albu_perspective(corners, shape, keep_size, fit_output):
    pts = np.array(corners, np.float32)
    m, mw, mh = F.compute_perspective_params(pts, shape[:2])
    if fit_output:
        m, mw, mh = F.expand_transform(m, shape[:2])
    return m, mw, mh


@pytest.mark.parametrize("keep_size,fit_output", [(True, False), (False, False), (True, True),
                                                  (False, True)])
@pytest.mark.parametrize("interp", ["linear", "cubic", "nearest"])
def test_perspective_matches_albumentations(photos, keep_size, fit_output, interp):
    flag = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC, "nearest": 0}[interp]
    for i, img in enumerate(photos):
        op = Perspective(scale=(0.05, 0.15), keep_size=keep_size, fit_output=fit_output,
                         interpolation=interp, fill=(10, 20, 30))
        params = op.sample(np.random.default_rng(i), Sample(img))
        m, mw, mh = _albu_perspective(params["corners"], img.shape, keep_size, fit_output)
        t = A.Perspective(keep_size=keep_size, fit_output=fit_output, interpolation=flag,
                          fill=(10, 20, 30), p=1.0)
        want = t.apply(img, matrix=m, max_height=mh, max_width=mw)
        got = op.apply(Sample(img), params).image
        assert got.shape == want.shape
        worst, share = _levels(got, want)
        if interp == "nearest":
            assert share < 1e-4
        else:
            assert worst == 0


def test_perspective_targets_match_albumentations(photos):
    img = photos[0]
    h, w = img.shape[:2]
    kp = np.array([[100.0, 80.0], [320.25, 240.5], [500.0, 400.0], [600.0, 30.0]], np.float32)
    boxes = np.array([[150.0, 120.0, 300.0, 260.0], [320.0, 200.0, 420.0, 330.0]], np.float32)
    for keep_size, fit_output in [(True, False), (False, True)]:
        op = Perspective(scale=0.1, keep_size=keep_size, fit_output=fit_output)
        params = op.sample(np.random.default_rng(5), Sample(img))
        m, mw, mh = _albu_perspective(params["corners"], img.shape, keep_size, fit_output)
        out = op.apply(Sample(img, keypoints=kp + 0.5, boxes=boxes + 0.5), params)
        t = A.Perspective(keep_size=keep_size, fit_output=fit_output, p=1.0)
        theirs = t.apply_to_keypoints(np.c_[kp, np.zeros((4, 3))], matrix=m, max_height=mh,
                                      max_width=mw, shape=img.shape)
        np.testing.assert_allclose(out.keypoints - 0.5, theirs[:, :2], atol=2e-3)
        norm = boxes / [w, h, w, h]
        tb = F.perspective_bboxes(norm, img.shape, m, mw, mh, keep_size)
        oh, ow = out.image.shape[:2]
        np.testing.assert_allclose(out.boxes - 0.5, tb * [ow, oh, ow, oh], atol=2e-3)


def test_perspective_draws_like_albumentations():
    """The corners: |N(0, s)| folded into [0, 0.32) of each side, inward from each corner."""
    op = Perspective(scale=(0.05, 0.1))
    s = Sample(np.zeros((100, 200), np.uint8))
    c = np.array([op.sample(np.random.default_rng(i), s)["corners"] for i in range(400)])
    frac = c / [200, 100]
    inward = np.stack([frac[:, 0], [1, 0] - frac[:, 1] * [1, -1], 1 - frac[:, 2],
                       [0, 1] + frac[:, 3] * [1, -1]], 1)
    assert (inward >= 0).all() and (inward < 0.32).all()
    # |N(0, s)|, s uniform in [0.05, 0.1]: mean 0.8 * 0.075 = 0.06
    assert 0.05 < inward.mean() < 0.07
    assert op.sample(np.random.default_rng(0), s)["corners"] == \
        op.sample(np.random.default_rng(0), s)["corners"]


@pytest.mark.parametrize("side", [1, 2, 3])
def test_perspective_on_tiny_images(side):
    img = np.arange(side * side * 3, dtype=np.uint8).reshape(side, side, 3)
    for op in (Perspective(), Perspective(fit_output=True),
               Perspective(fit_output=True, keep_size=False), Perspective(keep_size=False)):
        for seed in range(5):
            out = op(Sample(img, keypoints=np.array([[0.5, 0.5]], np.float32)),
                     np.random.default_rng(seed))
            assert out.image.ndim == 3 and min(out.image.shape[:2]) >= 1
            assert np.isfinite(out.keypoints).all()


# --- OpticalDistortion ---------------------------------------------------------------------

def _camera_reference_maps(k, size):
    """OpenCV's own distortion model (`projectPoints`, no map convention involved) at the
    pixel indices: the maps albumentations' camera mode means."""
    h, w = size
    cam = np.array([[w, 0, w / 2], [0, h, h / 2], [0, 0, 1]], np.float64)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    obj = np.stack([(xs - w / 2) / w, (ys - h / 2) / h, np.ones_like(xs)], -1)
    pts, _ = cv2.projectPoints(obj.reshape(-1, 1, 3), np.zeros(3), np.zeros(3), cam,
                               np.array([k, k, 0, 0, 0], np.float64))
    pts = pts.reshape(h, w, 2).astype(np.float32)
    return pts[..., 0], pts[..., 1]


@pytest.mark.parametrize("k", [-0.5, -0.05, 0.03, 0.4])
@pytest.mark.parametrize("interp", ["linear", "nearest"])
def test_optical_camera_matches_albumentations(photos, k, interp):
    flag = cv2.INTER_LINEAR if interp == "linear" else cv2.INTER_NEAREST
    t = A.OpticalDistortion(interpolation=flag, p=1.0)
    op = OpticalDistortion(interpolation=interp)
    for img in photos:
        mx, my = _camera_reference_maps(k, img.shape[:2])
        ours_x, ours_y, _ = op.geometry({"k": k}, img.shape[:2])
        assert np.abs(ours_x - mx).max() < 1e-3 and np.abs(ours_y - my).max() < 1e-3
        worst, share = _levels(op.apply(Sample(img), {"k": k}).image,
                               t.apply(img, map_x=mx, map_y=my))
        # (nearest: a source position a float32 rounding away from a half-pixel tie takes
        # the other neighbour, whatever its value)
        assert share < 1e-3 and (worst <= 1 or interp == "nearest")


def test_optical_camera_is_the_identity_at_zero_whatever_opencv_does():
    """OpenCV 5.1's initUndistortRectifyMap (albumentations' camera maps) moves every pixel
    by half a pixel without any distortion (OpenCV 4 does not): augkit's maps do not."""
    mx, my, _ = OpticalDistortion().geometry({"k": 0.0}, (30, 40))
    np.testing.assert_array_equal(mx, np.broadcast_to(np.arange(40, dtype=np.float32), (30, 40)))
    np.testing.assert_array_equal(my.T, np.broadcast_to(np.arange(30, dtype=np.float32),
                                                        (40, 30)))
    ax, _ = F.get_camera_matrix_distortion_maps((30, 40), 0.0)
    assert np.abs(ax - mx).max() in (0.0, 0.5)  # 0.5 under OpenCV 5


@pytest.mark.parametrize("k", [-0.6, -0.2, 0.05, 0.5])
@pytest.mark.parametrize("interp", ["linear", "cubic", "nearest"])
def test_optical_fisheye_matches_albumentations(photos, k, interp):
    flag = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC, "nearest": 0}[interp]
    t = A.OpticalDistortion(mode="fisheye", interpolation=flag, p=1.0)
    op = OpticalDistortion(mode="fisheye", interpolation=interp)
    for img in photos:
        mx, my = F.get_fisheye_distortion_maps(img.shape[:2], k)
        worst, share = _levels(op.apply(Sample(img), {"k": k}).image,
                               t.apply(img, map_x=mx, map_y=my))
        assert share < 1e-3 and (worst <= 1 or interp == "nearest")


@pytest.mark.parametrize("mode", ["camera", "fisheye"])
@pytest.mark.parametrize("k", [-0.6, -0.3, 0.1, 0.7])
def test_optical_keypoints_are_the_exact_inverse(mode, k):
    """A point at the source of an output pixel centre lands on that centre (the copy nearest
    the image centre where the model turns back), or, if no pixel shows it, outside."""
    h, w = 50, 70
    op = OpticalDistortion(mode=mode)
    mx, my, forward = op.geometry({"k": k}, (h, w))
    ys, xs = np.mgrid[0:h, 0:w]
    src = np.stack([mx.ravel() + 0.5, my.ravel() + 0.5], 1)
    back = forward(src)
    c = np.array([w / 2, h / 2])
    f = np.array([w, h]) if mode == "camera" else np.hypot(w / 2, h / 2)
    r_out = np.hypot(*((np.stack([xs.ravel(), ys.ravel()], 1) - c) / f).T)
    r_back = np.hypot(*((back - 0.5 - c) / f).T)
    want = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], 1)
    same = np.abs(back - want).max(1) < 1e-3
    # where it is not the same pixel, it is a copy nearer the centre (a fold)
    assert (same | (r_back < r_out)).all()
    if k > -1 / 3:  # no fold inside the image: every pixel comes back exactly
        assert same.all()
    # the centre (pixel index (W/2, H/2)) stays; a point far out that no pixel shows (k < 0)
    # is moved beyond the image
    lost = forward(np.array([[-1e4, -1e4], [w / 2 + 0.5, h / 2 + 0.5]]))
    np.testing.assert_allclose(lost[1], [w / 2 + 0.5, h / 2 + 0.5], atol=1e-9)
    if k < 0:
        assert not (0 <= lost[0, 0] <= w and 0 <= lost[0, 1] <= h)


# --- ThinPlateSpline -----------------------------------------------------------------------

def _albu_tps_maps(points, n, size):
    h, w = size
    src = F.generate_control_points(n)
    weights, affine = F.compute_tps_weights(src, np.array(points))
    x, y = np.meshgrid(np.arange(w), np.arange(h))
    pts = np.stack([x.ravel(), y.ravel()], 1).astype(np.float32)
    out = F.tps_transform(pts / [w, h], src, weights, affine)
    out *= [w, h]
    return (out[:, 0].reshape(h, w).astype(np.float32),
            out[:, 1].reshape(h, w).astype(np.float32))


@pytest.mark.parametrize("n,scale,levels,share", [(2, (0.2, 0.4), 1, 1e-3),
                                                  (4, (0.2, 0.4), 1, 1e-2),
                                                  (4, (0.05, 0.1), 1, 1e-2),
                                                  (6, (0.2, 0.4), 4, 4e-2)])
def test_thin_plate_spline_matches_albumentations(photos, n, scale, levels, share):
    t = A.ThinPlateSpline(p=1.0)
    op = ThinPlateSpline(scale_range=scale, num_control_points=n)
    for i, img in enumerate(photos):
        params = op.sample(np.random.default_rng(i), Sample(img))
        mx, my = _albu_tps_maps(params["points"], n, img.shape[:2])
        worst, got_share = _levels(op.apply(Sample(img), params).image,
                                   t.apply(img, map_x=mx, map_y=my))
        assert worst <= levels and got_share < share


def test_thin_plate_spline_draws_like_albumentations():
    op = ThinPlateSpline(scale_range=(0.3, 0.3), num_control_points=3)
    s = Sample(np.zeros((8, 8), np.uint8))
    d = np.array([op.sample(np.random.default_rng(i), s)["points"] for i in range(300)])
    src = np.stack(np.meshgrid(np.linspace(0, 1, 3), np.linspace(0, 1, 3)), -1).reshape(-1, 2)
    np.testing.assert_array_equal(control_points(3), src)
    assert abs((d - src).std() - 0.03) < 0.002  # N(0, scale / 10)
    np.testing.assert_array_equal(control_points(2), F.generate_control_points(2))


def test_every_control_grid_has_a_spline():
    for n in range(2, MAX_POINTS + 1, 5):
        mx, my, _ = ThinPlateSpline(num_control_points=n, scale_range=(0.0, 0.0)).geometry(
            {"points": control_points(n).tolist()}, (9, 11))
        assert np.isfinite(mx).all() and np.isfinite(my).all()


def test_thin_plate_spline_targets_match_albumentations(photos):
    img = photos[1]
    h, w = img.shape[:2]
    kp = np.array([[150.0, 120.0], [320.0, 240.0], [420.0, 300.0]], np.float32)
    box = np.array([[200.0, 150.0, 380.0, 320.0]], np.float32)
    op = ThinPlateSpline(scale_range=(0.05, 0.1))
    t = A.ThinPlateSpline(keypoint_remapping_method="direct", p=1.0)
    for seed in range(3):
        params = op.sample(np.random.default_rng(seed), Sample(img))
        mx, my, _ = op.geometry(params, (h, w))
        out = op.apply(Sample(img, keypoints=kp + 0.5, boxes=box), params)
        theirs = t.apply_to_keypoints(np.c_[kp, np.zeros((3, 3))], map_x=mx, map_y=my,
                                      shape=img.shape)
        # (albumentations reads its inverse map at the truncated index: up to ~1.5 px off)
        assert np.abs(out.keypoints - 0.5 - theirs[:, :2]).max() <= 1.5
        tb = F.remap_bboxes(box.astype(np.float64), mx, my, (h, w))
        assert np.abs(out.boxes - tb).max() <= 1.0
        # and the keypoints are the inverse of the map: the map sends them back
        for x, y in out.keypoints - 0.5:
            j, i = int(round(x)), int(round(y))
            src = np.array([mx[i, j], my[i, j]])
            assert np.abs(src - kp[np.argmin(np.abs(out.keypoints[:, 0] - 0.5 - x))]).max() < 1.0


# --- folds: boxes hold every copy ------------------------------------------------------------

@settings(max_examples=20)
@given(seed=seeds(), data=st.data())
def test_boxes_of_a_folded_field_are_the_boxes_of_the_moved_mask(seed, data):
    """albumentations' default ThinPlateSpline range folds most draws: a box then holds every
    output pixel whose source lies in it, which is exactly where its nearest-remapped mask
    lands (integer boxes)."""
    rng = np.random.default_rng(seed)
    h, w = data.draw(st.integers(16, 48)), data.draw(st.integers(16, 48))
    x1, x2 = np.sort(rng.choice(np.arange(w + 1), 2, replace=False))
    y1, y2 = np.sort(rng.choice(np.arange(h + 1), 2, replace=False))
    mask = np.zeros((h, w), np.uint8)
    mask[y1:y2, x1:x2] = 1
    s = Sample(np.zeros((h, w, 3), np.uint8), mask=mask,
               boxes=np.array([[x1, y1, x2, y2]], np.float32))
    op = data.draw(st.sampled_from([ThinPlateSpline(),
                                    OpticalDistortion(distort_limit=(-0.9, -0.5))]))
    out, params = op.sample_apply(rng, s)
    mx, my, _ = op.geometry(params, (h, w))
    ys, xs = np.nonzero(out.mask)
    if folds(mx, my) and len(xs):
        np.testing.assert_array_equal(out.boxes[0], [xs.min(), ys.min(), xs.max() + 1,
                                                     ys.max() + 1])
    elif len(xs):  # smooth: the moved outline, within a pixel of the mask
        b = out.boxes[0]
        assert xs.min() >= b[0] - 1 and xs.max() + 1 <= b[2] + 1
        assert ys.min() >= b[1] - 1 and ys.max() + 1 <= b[3] + 1


def test_pixel_boxes_screen_blocks_without_losing_pixels():
    rng = np.random.default_rng(0)
    mx = rng.uniform(-5, 45, (37, 41)).astype(np.float32)  # a field folded everywhere
    my = rng.uniform(-5, 40, (37, 41)).astype(np.float32)
    boxes = np.array([[3, 4, 9, 30], [0, 0, 41, 37], [20.5, 1.5, 21.0, 2.0]], np.float32)
    got = pixel_boxes(boxes, mx, my, np.full((3, 4), -1, np.float32))
    for b, g in zip(boxes, got):
        inside = ((mx + 0.5 >= b[0]) & (mx + 0.5 < b[2]) & (my + 0.5 >= b[1])
                  & (my + 0.5 < b[3]))
        ys, xs = np.nonzero(inside)
        want = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] if len(xs) else [-1] * 4
        np.testing.assert_array_equal(g, want)


# --- typed errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("make,match", [
    (lambda: Perspective(scale=-0.1), "Perspective: scale is"),
    (lambda: Perspective(scale=(0.2, 0.1)), r"Perspective: scale is inverted"),
    (lambda: Perspective(scale=(0.0, 2.0)), r"Perspective: scale is \(0.0, 2.0\)"),
    (lambda: Perspective(keep_size=1), "Perspective: keep_size is 1"),
    (lambda: Perspective(fit_output="yes"), "Perspective: fit_output is 'yes'"),
    (lambda: Perspective(interpolation="bilinear"), "Perspective: interpolation is"),
    (lambda: Perspective(border="mirror"), "Perspective: border is 'mirror'"),
    (lambda: Perspective(fill=float("nan")), "Perspective: fill"),
    (lambda: OpticalDistortion(distort_limit=1.5), r"OpticalDistortion: distort_limit is"),
    (lambda: OpticalDistortion(distort_limit=-0.1), "OpticalDistortion: distort_limit is"),
    (lambda: OpticalDistortion(mode="barrel"), "OpticalDistortion: mode is 'barrel'"),
    (lambda: OpticalDistortion(border=3), "OpticalDistortion: border is 3"),
    (lambda: OpticalDistortion(mask_fill=0.5), "OpticalDistortion: mask_fill"),
    (lambda: ThinPlateSpline(scale_range=0.3), "ThinPlateSpline: scale_range is 0.3"),
    (lambda: ThinPlateSpline(scale_range=(0.1, 1.2)), "ThinPlateSpline: scale_range is"),
    (lambda: ThinPlateSpline(num_control_points=1), "ThinPlateSpline: num_control_points is 1"),
    (lambda: ThinPlateSpline(num_control_points=MAX_POINTS + 1),
     "ThinPlateSpline: num_control_points is"),
    (lambda: ThinPlateSpline(num_control_points=4.0), "ThinPlateSpline: num_control_points"),
    (lambda: ThinPlateSpline(interpolation="area", border="edge"), "ThinPlateSpline: border"),
])
def test_bad_fields_are_typed_errors(make, match):
    with pytest.raises(AugkitValueError, match=match):
        make()


def test_a_fill_that_does_not_fit_the_image_is_a_typed_error():
    img = np.zeros((10, 12, 4), np.uint8)
    for op in (Perspective(fill=(1, 2, 3)), OpticalDistortion(fill=(1, 2, 3)),
               ThinPlateSpline(fill=(1, 2, 3))):
        with pytest.raises(AugkitValueError, match=f"{type(op).__name__}: fill has 3 values"):
            op(img, np.random.default_rng(0))
