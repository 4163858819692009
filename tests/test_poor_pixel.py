"""Poor man's pixel ops: blur, colour shifting, PCA lighting, whitening and SanitizeBoxes.

References are computed independently in the tests: torchvision's functional colour ops and
Gaussian blur, PIL's filters, direct numpy formulas, and real data (skimage photos, CIFAR-10).
"""

from __future__ import annotations

import io
import json

import cv2
import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TF
from hypothesis import given
from hypothesis import strategies as st

from augkit import from_dict, to_dict
from augkit.errors import AugkitError, AugkitValueError
from augkit.poor import (
    Blur,
    ColorShift,
    HFlip,
    MotionBlur,
    PCALighting,
    RGBShift,
    Rotate,
    SanitizeBoxes,
    Translate,
    Whiten,
)
from augkit.sample import Sample
from augkit.testing import images


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A real RGB photo, 128x128 uint8."""
    from skimage import data

    return cv2.resize(data.astronaut(), (128, 128), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def cifar(shared_data):
    """2000 CIFAR-10 train images (uint8, 32x32x3), a fixed random subset."""
    from PIL import Image

    path = shared_data / "cifar10_jpeg" / "cifar10_jpeg.npz"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    d = np.load(path)
    buf, off = d["train_jpeg"], d["train_offsets"]
    idx = np.random.default_rng(0).choice(len(off) - 1, 2000, replace=False)
    return np.stack([np.asarray(Image.open(io.BytesIO(buf[off[i]:off[i + 1]].tobytes()))
                                .convert("RGB")) for i in idx])


def chw(img):
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


def hwc(t):
    return t.permute(1, 2, 0).numpy()


def diff(a, b):
    return np.abs(a.astype(np.float64) - b.astype(np.float64)).max()


def apply(op, img, params):
    return op.apply(Sample(img), params).image


# --- blur ------------------------------------------------------------------------------------

@pytest.mark.parametrize("k,sigma", [(3, 0.8), (5, 1.5), (7, 2.0), (9, 0.5)])
def test_gaussian_blur_matches_torchvision(photo, k, sigma):
    op = Blur(kernel=k, sigma=sigma)
    f = photo.astype(np.float32) / 255
    want = hwc(TF.gaussian_blur(chw(f), [k, k], [sigma, sigma]))
    assert diff(apply(op, f, {"kernel": k, "sigma": sigma}), want) < 1e-5
    out8 = apply(op, photo, {"kernel": k, "sigma": sigma})
    assert diff(out8, hwc(TF.gaussian_blur(chw(photo), [k, k], [sigma, sigma]))) <= 1
    assert diff(out8, want * 255) <= 0.5 + 1e-3  # uint8: the float result, rounded


def _window_reference(img, k, reduce, mode):
    """Independent numpy filter: pad, take every k x k window, reduce."""
    r = k // 2
    x = img.astype(np.float64)
    x = x if x.ndim == 3 else x[:, :, None]
    pad = np.pad(x, ((r, r), (r, r), (0, 0)), mode=mode)
    win = np.lib.stride_tricks.sliding_window_view(pad, (k, k), axis=(0, 1))
    return reduce(win.reshape(win.shape[:3] + (-1,)), axis=3).reshape(img.shape)


@pytest.mark.parametrize("k", [3, 5, 7])
def test_box_blur_matches_numpy_and_pil(photo, k):
    from PIL import Image, ImageFilter

    out = apply(Blur(kind="box"), photo, {"kernel": k})
    assert diff(out, _window_reference(photo, k, np.mean, "reflect")) <= 0.5 + 1e-6
    pil = np.asarray(Image.fromarray(photo).filter(ImageFilter.BoxBlur(k // 2)))
    r = k // 2  # PIL repeats edge pixels: compare away from the border
    assert diff(out[r:-r, r:-r], pil[r:-r, r:-r]) <= 1


@pytest.mark.parametrize("k", [3, 5, 7])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_median_blur_matches_pil(photo, k, dtype):
    from PIL import Image, ImageFilter

    img = photo if dtype == np.uint8 else photo.astype(np.float32) / 255
    out = apply(Blur(kind="median"), img, {"kernel": k})
    assert out.dtype == dtype and out.shape == img.shape
    pil = np.asarray(Image.fromarray(photo).filter(ImageFilter.MedianFilter(k)))
    r = k // 2
    scale = 1 if dtype == np.uint8 else 255
    assert diff(out[r:-r, r:-r] * scale, pil[r:-r, r:-r]) < 1e-3
    assert diff(out, _window_reference(img, k, np.median, "edge")) < 1e-6


@pytest.mark.parametrize("k", [3, 5, 9])
def test_motion_blur_axis_aligned_is_a_line_mean(photo, k):
    f = photo.astype(np.float32) / 255
    r = k // 2
    pad = np.pad(f.astype(np.float64), ((0, 0), (r, r), (0, 0)), mode="reflect")
    horizontal = np.mean([pad[:, i:i + f.shape[1]] for i in range(k)], axis=0)
    assert diff(apply(MotionBlur(), f, {"kernel": k, "angle": 0.0}), horizontal) < 1e-5
    pad = np.pad(f.astype(np.float64), ((r, r), (0, 0), (0, 0)), mode="reflect")
    vertical = np.mean([pad[i:i + f.shape[0]] for i in range(k)], axis=0)
    assert diff(apply(MotionBlur(), f, {"kernel": k, "angle": 90.0}), vertical) < 1e-5


@given(k=st.sampled_from([3, 5, 7, 9]), angle=st.floats(-360, 360), v=st.floats(0, 1))
def test_motion_blur_keeps_constant_images_and_is_point_symmetric(k, angle, v):
    from augkit.functional.blur import motion_kernel

    kern = motion_kernel(k, angle)
    assert abs(kern.sum() - 1) < 1e-5 and (kern >= 0).all()
    assert np.allclose(kern, kern[::-1, ::-1], atol=1e-6)  # centred: the image does not move
    img = np.full((11, 13, 3), v, np.float32)
    out = apply(MotionBlur(), img, {"kernel": k, "angle": angle})
    assert diff(out, img) < 1e-5


@given(k=st.sampled_from([1, 3, 5, 7, 9, 15]),
       angles=st.lists(st.floats(-360, 360), min_size=1, max_size=12))
def test_motion_kernels_for_a_batch_equal_the_single_kernel(k, angles):
    """The batched path builds all kernels of one size at once: each must be exactly the
    kernel a single call builds."""
    from augkit.functional.blur import motion_kernel, motion_kernels

    many = motion_kernels(k, angles)
    assert many.shape == (len(angles), k, k)
    for a, kern in zip(angles, many):
        assert np.array_equal(kern, motion_kernel(k, a))


# --- colour: torchvision as the oracle -------------------------------------------------------

ONE = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0, "order": [0, 1, 2, 3]}


@pytest.mark.parametrize("name,fn,values", [
    ("brightness", TF.adjust_brightness, [0.0, 0.4, 0.9, 1.3, 2.0]),
    ("contrast", TF.adjust_contrast, [0.0, 0.3, 0.8, 1.5, 2.5]),
    ("saturation", TF.adjust_saturation, [0.0, 0.3, 0.8, 1.6, 3.0]),
    ("hue", TF.adjust_hue, [-0.5, -0.27, -0.05, 0.1, 0.33, 0.5]),
])
def test_color_adjustments_match_torchvision(photo, name, fn, values):
    noise = np.random.default_rng(1).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    for img in (photo, noise):
        for v in values:
            out = apply(ColorShift(), img, {**ONE, name: v})
            assert diff(out, hwc(fn(chw(img), v))) <= 2, (name, v)
            f = img.astype(np.float32) / 255
            outf = apply(ColorShift(), f, {**ONE, name: v})
            assert diff(outf, hwc(fn(chw(f), v))) < 1e-3, (name, v)


def test_color_shift_chain_matches_torchvision_in_the_drawn_order(photo):
    op = ColorShift(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
    fns = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue]
    names = ["brightness", "contrast", "saturation", "hue"]
    orders = set()
    for seed in range(6):
        p = op.sample(np.random.default_rng(seed), Sample(photo))
        orders.add(tuple(p["order"]))
        f = photo.astype(np.float32) / 255
        t = chw(f)
        for i in p["order"]:
            t = fns[i](t, p[names[i]])
        assert diff(apply(op, f, p), hwc(t)) < 2e-3
    assert len(orders) > 1  # random_order=True really shuffles


def test_color_shift_fixed_order_and_factor_ranges():
    op = ColorShift(brightness=0.5, contrast=(0.2, 0.3), saturation=0.0, hue=0.2,
                    random_order=False)
    for seed in range(20):
        p = op.sample(np.random.default_rng(seed), Sample(np.zeros((4, 4, 3), np.uint8)))
        assert p["order"] == [0, 1, 2, 3]
        assert 0.5 <= p["brightness"] <= 1.5 and 0.2 <= p["contrast"] <= 0.3
        assert p["saturation"] == 1.0 and -0.2 <= p["hue"] <= 0.2


@given(img=images(channels=[3, 4], min_side=1, max_side=12))
def test_identity_factors_copy_and_zero_saturation_greys(img):
    out = apply(ColorShift(), img, ONE)
    assert np.array_equal(out, img) and out is not img
    grey = apply(ColorShift(), img, {**ONE, "saturation": 0.0})
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1],
                                                                         grey[..., 2])
    assert np.array_equal(grey[..., 3:], img[..., 3:])  # alpha kept


def test_grey_images_skip_saturation_and_hue():
    grey = np.random.default_rng(2).integers(0, 256, (9, 7), dtype=np.uint8)
    out = apply(ColorShift(), grey, {**ONE, "saturation": 0.0, "hue": 0.3})
    assert np.array_equal(out, grey)
    out = apply(ColorShift(), grey[:, :, None], {**ONE, "contrast": 0.5})
    want = np.clip(np.rint(0.5 * grey + 0.5 * grey.mean()), 0, 255)
    assert diff(out[:, :, 0], want) <= 1


def test_rgba_keeps_alpha(photo):
    alpha = np.random.default_rng(3).integers(0, 256, photo.shape[:2] + (1,), dtype=np.uint8)
    rgba = np.concatenate([photo, alpha], axis=2)
    p = {**ONE, "contrast": 1.4, "saturation": 0.5, "hue": 0.2}
    out = apply(ColorShift(), rgba, p)
    assert np.array_equal(out[:, :, 3:], alpha)
    assert np.array_equal(out[:, :, :3], apply(ColorShift(), photo, p))
    out = apply(RGBShift(), rgba, {"shift": [10.0, -20.0, 30.0]})
    assert np.array_equal(out[:, :, 3:], alpha)


@pytest.mark.parametrize("shift", [[10.0, -20.0, 30.0], [-255.0, 0.4, 254.6]])
def test_rgb_shift_is_a_clipped_add_in_grey_levels(photo, shift):
    want = np.clip(photo.astype(np.float64) + np.array(shift), 0, 255)
    assert diff(apply(RGBShift(), photo, {"shift": shift}), want) <= 0.5 + 1e-9
    f = photo.astype(np.float32) / 255
    outf = apply(RGBShift(), f, {"shift": shift})
    assert outf.dtype == np.float32 and diff(outf * 255, want) < 1e-3
    grey = photo[:, :, 1]
    lum = 0.299 * shift[0] + 0.587 * shift[1] + 0.114 * shift[2]
    assert diff(apply(RGBShift(), grey, {"shift": shift}),
                np.clip(grey.astype(np.float64) + lum, 0, 255)) <= 0.5 + 1e-9


# --- PCA lighting ----------------------------------------------------------------------------

def test_pca_lighting_is_the_alexnet_formula(photo):
    op = PCALighting(alpha_std=0.5)
    p = op.sample(np.random.default_rng(4), Sample(photo))
    alpha = np.array(p["alpha"])
    vec = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                    [-0.5836, -0.6948, 0.4203]])
    rgb = vec @ (alpha * np.array([0.2175, 0.0188, 0.0045]))
    want = np.clip(photo / 255.0 + rgb, 0, 1)
    assert diff(apply(op, photo, p), want * 255) <= 0.5 + 1e-6
    assert diff(apply(op, (photo / 255).astype(np.float32), p), want) < 1e-6


def test_pca_alpha_is_normal_with_alpha_std():
    op = PCALighting(alpha_std=0.2)
    rng = np.random.default_rng(5)
    a = np.array([op.sample(rng, Sample(np.zeros((2, 2, 3), np.uint8)))["alpha"]
                  for _ in range(3000)])
    assert np.allclose(a.std(0), 0.2, atol=0.015) and np.allclose(a.mean(0), 0, atol=0.015)


def test_pca_fit_on_cifar_finds_the_pixel_covariance(cifar):
    op = PCALighting.fit(cifar[:1000])
    px = cifar[:1000].reshape(-1, 3) / 255.0
    cov = np.cov(px.T, bias=True)
    vec, val = np.array(op.eigvec), np.array(op.eigval)
    assert np.allclose(cov @ vec, vec * val, atol=1e-6)
    assert np.allclose(vec.T @ vec, np.eye(3), atol=1e-9) and (np.diff(val) <= 0).all()
    # natural images share the luminance axis: CIFAR's first component is ImageNet's
    assert abs(vec[:, 0] @ np.array(PCALighting().eigvec)[:, 0]) > 0.99
    op2 = from_dict(json.loads(json.dumps(to_dict(op))))
    assert op2 == op


# --- whitening -------------------------------------------------------------------------------

def test_standardize_matches_the_tensorflow_formula(photo):
    out = apply(Whiten(), photo, {})
    x = photo / 255.0
    want = (x - x.mean()) / max(x.std(), 1 / np.sqrt(x.size))
    assert out.dtype == np.float32 and diff(out, want) < 1e-5
    assert abs(out.mean()) < 1e-5 and abs(out.std() - 1) < 1e-5
    assert diff(apply(Whiten(), (photo / 255).astype(np.float32), {}), want) < 1e-5
    flat = np.full((5, 5), 0.3, np.float32)
    assert np.array_equal(apply(Whiten(), flat, {}), np.zeros((5, 5), np.float32))


def test_zca_on_cifar_gives_identity_covariance(cifar):
    small = np.stack([cv2.resize(x, (8, 8), interpolation=cv2.INTER_AREA) for x in cifar])
    fit, held = small[:1500], small[1500:]
    x = fit.reshape(len(fit), -1) / 255.0
    s_min = np.linalg.eigvalsh(np.cov(x.T, bias=True)).min()
    op = Whiten.fit(fit, eps=1e-3 * s_min)
    w = np.stack([apply(op, img, {}) for img in fit]).reshape(len(fit), -1).astype(np.float64)
    assert np.abs(np.cov(w.T, bias=True) - np.eye(w.shape[1])).max() < 2e-2
    m = np.array(op.matrix)
    assert np.allclose(m, m.T, atol=1e-8)  # ZCA's W is symmetric (PCA whitening's is not)
    h = np.stack([apply(op, img, {}) for img in held]).reshape(len(held), -1)
    assert 0.7 < np.diag(np.cov(h.T)).mean() < 1.6  # unseen images: roughly white too
    # uint8 and float paths agree; the op round-trips through JSON
    img = held[0]
    assert diff(apply(op, img, {}), apply(op, (img / 255).astype(np.float32), {})) < 1e-3
    op2 = from_dict(json.loads(json.dumps(to_dict(op))))
    assert op2 == op and np.array_equal(apply(op2, img, {}), apply(op, img, {}))
    with pytest.raises(AugkitValueError, match=r"Whiten: image has shape \(9, 8, 3\)"):
        op(np.zeros((9, 8, 3), np.uint8))


# --- SanitizeBoxes ---------------------------------------------------------------------------

@given(st.lists(st.tuples(st.floats(0, 30), st.floats(0, 30), st.floats(0, 6), st.floats(0, 6)),
                max_size=8),
       st.floats(0, 3), st.floats(0, 10))
def test_sanitize_keeps_labels_with_their_boxes(rows, min_size, min_area):
    b = np.array([[x, y, min(x + w, 32), min(y + h, 32)] for x, y, w, h in rows],
                 np.float32).reshape(-1, 4)
    labels = np.arange(100, 100 + len(b))
    s = Sample(np.zeros((32, 32, 3), np.uint8), boxes=b, box_labels=labels)
    out = SanitizeBoxes(min_size=min_size, min_area=min_area)(s)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    keep = (w >= min_size) & (h >= min_size) & (w * h >= min_area)
    assert np.array_equal(out.boxes, b[keep])
    assert np.array_equal(out.box_labels, labels[keep])
    assert out.image is s.image


def test_sanitize_visibility_across_a_wrapped_op():
    img = np.zeros((40, 40, 3), np.uint8)
    boxes = np.array([[0, 0, 20, 10], [2, 20, 6, 30], [30, 30, 40, 40]], np.float32)
    s = Sample(img, boxes=boxes, box_labels=np.array([7, 8, 9]))
    shift = Translate(x=(-4.0, -4.0), y=(0.0, 0.0), unit="pixels")  # pushes boxes 4 px left
    # box 0 keeps 16/20 = 0.8 of its width, box 1 keeps 2/4 = 0.5, box 2 is whole
    for mv, kept in [(0.4, [7, 8, 9]), (0.6, [7, 9]), (0.9, [9])]:
        out = SanitizeBoxes(op=shift, min_visibility=mv)(s, rng=np.random.default_rng(0))
        assert out.box_labels.tolist() == kept, mv
        assert out.keypoints is None
    with pytest.raises(AugkitValueError, match="SanitizeBoxes: min_visibility"):
        SanitizeBoxes(min_visibility=0.5)


def test_sanitize_with_keypoints_and_pairs_leaves_the_op_result_alone():
    rng = np.random.default_rng(6)
    kp = np.concatenate([rng.uniform(0, 30, (2, 5, 2)), np.full((2, 5, 1), 2.0)], -1)
    s = Sample(np.zeros((30, 30), np.uint8), boxes=np.array([[20, 2, 30, 12]], np.float32),
               box_labels=np.array([1]), keypoints=kp.astype(np.float32))
    inner = HFlip(p=1.0, keypoint_pairs=((0, 1), (2, 4)))
    out = SanitizeBoxes(op=inner, min_visibility=0.99)(s, rng=np.random.default_rng(0))
    alone = inner(s, rng=np.random.default_rng(0))
    assert np.array_equal(out.keypoints, alone.keypoints)
    assert np.array_equal(out.boxes, alone.boxes) and out.box_labels.tolist() == [1]


# --- dtypes, channels, errors ----------------------------------------------------------------

PIXEL_OPS = [Blur(), Blur(kind="box"), Blur(kind="median", kernel=(3, 9)),
             Blur(kernel=0, sigma=(0.5, 2.0)), MotionBlur(), ColorShift(hue=0.3),
             RGBShift(), PCALighting(alpha_std=0.3)]


@pytest.mark.parametrize("op", PIXEL_OPS, ids=lambda o: type(o).__name__)
def test_float_and_uint8_paths_agree(photo, op):
    # uint8 rounds after every step (OpenCV blurs use fixed point): ColorShift chains four
    tol = 4.0 if isinstance(op, ColorShift) else 1.5
    for seed in range(3):
        p = op.sample(np.random.default_rng(seed), Sample(photo))
        a = apply(op, photo, p).astype(np.float64)
        b = apply(op, photo.astype(np.float32) / 255, p) * 255.0
        assert np.abs(a - b).mean() < 0.6 and np.abs(a - b).max() <= tol, p


@pytest.mark.parametrize("op", PIXEL_OPS, ids=lambda o: type(o).__name__)
@given(shape=st.sampled_from([(1, 1), (4, 1), (2, 3, 1), (4, 1, 3), (5, 1, 3), (7, 9, 4),
                             (12, 10, 3)]),
       dtype=st.sampled_from([np.uint8, np.float32]), seed=st.integers(0, 2**32 - 1))
def test_shapes_and_dtypes_are_kept_and_input_untouched(op, shape, dtype, seed):
    rng = np.random.default_rng(seed)
    img = rng.random(shape, dtype=np.float32)
    img = (img * 255).astype(np.uint8) if dtype == np.uint8 else img
    before = img.copy()
    out = op(img, rng=np.random.default_rng(seed))
    assert out.shape == img.shape and out.dtype == img.dtype
    assert np.array_equal(img, before)
    if dtype == np.float32:
        assert out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("op", [ColorShift(), RGBShift(), PCALighting()],
                         ids=lambda o: type(o).__name__)
def test_colour_ops_reject_other_channel_counts(op):
    img = np.zeros((8, 8, 2), np.uint8)
    with pytest.raises(AugkitValueError, match=rf"{type(op).__name__}: image has 2 channels "
                       r"\(8, 8, 2\)"):
        op(img, rng=np.random.default_rng(0))


def test_brightness_alone_works_on_any_channel_count():
    img = np.full((4, 4, 6), 100, np.uint8)
    op = ColorShift(brightness=(1.5, 1.5), contrast=0, saturation=0, hue=0)
    assert (op(img) == 150).all()
    assert (Blur(kind="median")(img) == 100).all()


@pytest.mark.parametrize("make", [
    lambda: Blur(kernel=4), lambda: Blur(kernel=(7, 3)), lambda: Blur(kind="bilateral"),
    lambda: Blur(sigma=(0.0, 1.0)), lambda: Blur(kind="box", kernel=0),
    lambda: MotionBlur(kernel=(2, 5)), lambda: MotionBlur(angle=(10.0, 0.0)),
    lambda: ColorShift(brightness=-0.1), lambda: ColorShift(hue=0.7),
    lambda: ColorShift(hue=(-0.6, 0.1)), lambda: ColorShift(saturation=(2.0, 1.0)),
    lambda: ColorShift(random_order="yes"), lambda: RGBShift(r_shift=-3),
    lambda: RGBShift(g_shift=(0, 300)), lambda: PCALighting(alpha_std=-1),
    lambda: PCALighting(eigval=(1.0, 2.0)), lambda: PCALighting(eigvec=((1, 0, 0),)),
    lambda: Whiten(mode="pca"), lambda: Whiten(mode="zca"), lambda: Whiten(eps=0.0),
    lambda: Whiten(matrix=((1.0,),)),
    lambda: Whiten(mode="zca", mean=(0.0,), matrix=((1.0, 2.0),), shape=(1, 1)),
    lambda: SanitizeBoxes(min_area=-1), lambda: SanitizeBoxes(min_visibility=1.5),
    lambda: SanitizeBoxes(op="HFlip"),
])
def test_bad_fields_raise_typed_errors(make):
    with pytest.raises(AugkitError) as e:
        make()
    assert isinstance(e.value, ValueError)
    assert str(e.value).split(":")[0] in {"Blur", "MotionBlur", "ColorShift", "RGBShift",
                                          "PCALighting", "Whiten", "SanitizeBoxes"}


def test_whiten_output_is_float32_for_uint8_input(photo):
    out = Whiten()(photo)
    assert out.dtype == np.float32 and out.shape == photo.shape and out.min() < 0
    assert Whiten.standardizes is True


@pytest.mark.parametrize("make", [
    lambda k, a: MotionBlur(kernel=k, angle=a),
    lambda k, a: Blur(kernel=k, sigma=a / 30 + 0.1),
    lambda k, a: Blur(kernel=k, kind="box"),
], ids=["motion", "gaussian", "box"])
def test_float_blurs_stay_in_unit_range(make):
    """Issue #11: ``MotionBlur(kernel=9, angle=45.0)`` on a white float32 image returned
    1.0000001, which the next op refused. Outputs are the filter's, clipped to [0, 1]."""
    white = np.ones((20, 24, 3), np.float32)
    for k in (3, 5, 7, 9, 15):
        for a in (0.0, 10.0, 30.0, 45.0, 60.0, 135.0):
            op = make(k, a)
            out = op(white, rng=np.random.default_rng(0))
            assert out.dtype == np.float32 and 0.0 <= out.min() and out.max() <= 1.0
            Rotate(degrees=5)(out, rng=np.random.default_rng(0))  # the next op accepts it
    # the clip only removes rounding: away from 1 the filter is untouched
    img = np.random.default_rng(0).random((20, 24, 3), dtype=np.float32) * 0.9
    p = {"kernel": 9, "angle": 45.0}
    from augkit.functional.blur import motion_kernel

    ref = cv2.filter2D(img, -1, motion_kernel(9, 45.0), borderType=cv2.BORDER_REFLECT_101)
    np.testing.assert_array_equal(MotionBlur().image(img, p), ref)


def test_batched_motion_blur_is_clipped_like_the_per_image_path():
    white = np.ones((4, 20, 24, 3), np.float32)
    op = MotionBlur(kernel=9, angle=45.0)
    out = op.batch(white, rng=np.random.default_rng(0))
    rng = np.random.default_rng(0)
    per_image = np.stack([op(im, rng=rng) for im in white])
    assert out.max() <= 1.0
    np.testing.assert_array_equal(out, per_image)


def test_out_of_range_float_message_shows_the_real_values():
    """Issue #11: 1.0000001 was printed as "values in [1, 1]"."""
    img = np.full((4, 5, 3), np.float32(1.0000001), np.float32)
    with pytest.raises(AugkitValueError, match=r"values in \[1\.00000012, 1\.00000012\]"):
        Rotate()(img, rng=np.random.default_rng(0))
