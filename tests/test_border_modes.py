"""Border modes (`border` on every op that samples outside the image, #15): OpenCV's border
types as the reference for warps and pads, torchvision's ``padding_mode`` for pads and the
CIFAR pad-and-crop, the per-image path == numpy batch == torch batch for every mode, the
fusion rule, the albumentations mapping, and typed errors for unknown names."""

from __future__ import annotations

import dataclasses
import io
import warnings

import cv2
import numpy as np
import pytest
import torch
from conftest import coco_photos
from hypothesis import given, settings
from hypothesis import strategies as st

import augkit as A
from augkit.compose import Seq
from augkit.core import registered_ops
from augkit.errors import AugkitValueError
from augkit.functional import geometry as G
from augkit.fusion import fuse_groups
from augkit.middle import ElasticDistortion, GridDistortion
from augkit.mix import SampleBatch
from augkit.poor.center_crop import CenterCrop
from augkit.poor.pad_if_needed import PadIfNeeded
from augkit.rich import AugMix, AutoAugment, RandAugment, TrivialAugment, UniformAugment
from augkit.sample import Sample

MODES = ("reflect", "reflect101", "replicate", "wrap")
CV = {"constant": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE,
      "reflect": cv2.BORDER_REFLECT, "wrap": cv2.BORDER_WRAP,
      "reflect101": cv2.BORDER_REFLECT_101}
TV = {"replicate": "edge", "reflect": "symmetric", "reflect101": "reflect"}  # no wrap there


@pytest.fixture(scope="module")
def photos(shared_data):
    return [p[:120, :150] for p in coco_photos(shared_data, 70, 73)]  # writable, for torch


def _labels(h, w, dtype=np.uint8):
    return (np.arange(h * w).reshape(h, w) % 251).astype(dtype)


def _cv_fold(i, n, mode):
    return cv2.borderInterpolate(int(i), int(n), CV[mode])


def _reference_nearest(mask, m, out_size, mode):
    """An independent nearest warp: float64 inverse of each output centre, floor (the
    nearest pixel centre), every index folded by cv2.borderInterpolate. Also returns where a
    source lies within augkit's float32 position error (`functional.nearest`: 1.5 ulp) of
    half-way between two pixels: a tie either rounding may break either way."""
    oh, ow = out_size
    inv = np.linalg.inv(m)
    ys, xs = np.mgrid[0:oh, 0:ow] + 0.5
    src = inv @ np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    sx, sy = src[0] / src[2], src[1] / src[2]
    def near(v):  # within 4 float32 ulp of an edge (a half-way point in index coordinates)
        return np.abs(v - np.round(v)) < 4 * np.spacing(np.float32(1) + np.abs(v).astype(
            np.float32)) + 1e-6

    ties = near(sx) | near(sy)
    h, w = mask.shape[:2]
    fx = np.array([_cv_fold(i, w, mode) for i in np.floor(sx).astype(int)])
    fy = np.array([_cv_fold(i, h, mode) for i in np.floor(sy).astype(int)])
    return mask[fy, fx].reshape((oh, ow) + mask.shape[2:]), ties.reshape(oh, ow)


def _equal_but_ties(got, want_and_ties):
    want, ties = want_and_ties
    assert ties.mean() < 0.05 and np.array_equal(got[~ties], want[~ties])


# --- names -----------------------------------------------------------------------------

def test_names_are_opencv_border_types():
    assert G.CV_BORDERS == CV and set(G.BORDERS) == set(CV)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_fold_index_is_opencv_border_interpolate(mode, n):
    i = np.arange(-40, 41)
    assert G.fold_index(i, n, mode).tolist() == [_cv_fold(v, n, mode) for v in i]


def _border_ops():
    return sorted(n for n, cls in registered_ops().items() if dataclasses.is_dataclass(cls)
                  and "border" in {f.name for f in dataclasses.fields(cls)})


def test_the_ops_that_sample_outside_have_a_border_field():
    want = {"Rotate", "Scale", "Shear", "Translate", "Affine", "Crop", "Pad", "PadCrop",
            "CenterCrop", "PadIfNeeded", "ElasticDistortion", "GridDistortion", "AutoAugment",
            "RandAugment", "TrivialAugment", "UniformAugment", "AugMix"}
    assert want <= set(_border_ops())


@pytest.mark.parametrize("bad", ["mirror", "REFLECT", "", None, 4, ["reflect"]])
def test_unknown_border_is_a_typed_error_naming_op_and_field(bad):
    for name in _border_ops():
        with pytest.raises(AugkitValueError, match=rf"^{name}: border is "):
            registered_ops()[name](border=bad)


def test_border_serialises_and_defaults_to_constant():
    op = Seq((A.Rotate(border="wrap"), PadIfNeeded(min_height=8, border="reflect101"),
              RandAugment(border="reflect")))
    assert A.from_dict(A.to_dict(op)) == op
    assert A.to_dict(A.Rotate())["border"] == "constant"
    img = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    assert np.array_equal(A.Rotate()(img, np.random.default_rng(1)),
                          A.Rotate(border="constant")(img, np.random.default_rng(1)))


# --- warps against OpenCV ----------------------------------------------------------------

WARPS = [(A.Rotate(), {"angle": 33.0}),
         (A.Affine(), {"angle": -20.0, "dx": 0.13, "dy": -0.2, "scale": 0.7, "shear": 12.0}),
         (A.Shear(), {"sx": 25.0, "sy": -10.0}), (A.Scale(), {"sx": 0.57, "sy": 0.83}),
         (A.Translate(), {"dx": 0.3, "dy": -0.45}), (A.Scale(), {"sx": 1.73, "sy": 1.31})]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("k", range(len(WARPS)))
@pytest.mark.parametrize("interp", ["linear", "nearest", "cubic"])
def test_warps_equal_opencv_warpaffine_with_the_border_type(photos, mode, k, interp):
    base, params = WARPS[k]
    op = dataclasses.replace(base, border=mode, interpolation=interp)
    img = photos[k % len(photos)]
    h, w = img.shape[:2]
    mask = _labels(h, w)
    out = op.apply(Sample(img, mask=mask), params)
    m = op.matrix(params, (h, w))
    if interp != "nearest":  # nearest: augkit's own tie rule (below), not OpenCV's
        flag = cv2.INTER_LINEAR if interp == "linear" else cv2.INTER_CUBIC
        ref = cv2.warpAffine(img, G.to_cv(m)[:2], (w, h), flags=flag, borderMode=CV[mode])
        assert np.array_equal(out.image, ref)
        f = img.astype(np.float32) / 255
        ref_f = cv2.warpAffine(f, G.to_cv(m)[:2], (w, h), flags=flag, borderMode=CV[mode])
        got_f = op.apply(Sample(f), params).image
        assert np.abs(got_f - np.clip(ref_f, 0, 1)).max() <= 1e-6
    else:
        _equal_but_ties(out.image, _reference_nearest(img, m, (h, w), mode))
    _equal_but_ties(out.mask, _reference_nearest(mask, m, (h, w), mode))
    wide = _labels(h, w, np.int64) + (1 << 40)  # labels OpenCV cannot warp
    _equal_but_ties(op.apply(Sample(img, mask=wide), params).mask,
                    _reference_nearest(wide, m, (h, w), mode))


def test_boxes_and_keypoints_move_with_the_matrix_only():
    img = np.zeros((40, 50, 3), np.uint8)
    s = Sample(img, boxes=np.array([[5.0, 6.0, 30.0, 35.0]]),
               keypoints=np.array([[10.5, 3.5, 2.0], [49.0, 39.0, 2.0]]))
    outs = [A.Rotate(border=b).apply(s, {"angle": 17.0}) for b in G.BORDERS]
    for o in outs[1:]:
        assert np.array_equal(o.boxes, outs[0].boxes)
        assert np.array_equal(o.keypoints, outs[0].keypoints)


def test_distortions_remap_with_the_border_type(photos):
    img = photos[0]
    h, w = img.shape[:2]
    mask = _labels(h, w)
    for base in (ElasticDistortion(alpha=60.0, sigma=6.0), GridDistortion(distort_limit=0.5)):
        for mode in MODES:
            op = dataclasses.replace(base, border=mode)
            params = op.sample(np.random.default_rng(3), Sample(img))
            mx, my, _ = op.geometry(params, (h, w))
            out = op.apply(Sample(img, mask=mask), params)
            ref = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=CV[mode])
            assert np.array_equal(out.image, ref)
            ix, iy = np.floor(mx + 0.5).astype(int), np.floor(my + 0.5).astype(int)
            fx = np.vectorize(_cv_fold)(ix, w, mode)
            fy = np.vectorize(_cv_fold)(iy, h, mode)
            assert np.array_equal(out.mask, mask[fy, fx])


def test_a_non_constant_border_ignores_fill():
    # fill / mask_fill paint nothing outside "constant": a fill that could not fit the
    # image is not refused there (albumentations and torchvision ignore it too)
    img = np.random.default_rng(0).integers(0, 256, (20, 24), dtype=np.uint8)
    s = Sample(img, mask=_labels(20, 24, np.int8))
    out = A.Rotate(border="reflect", fill=(1, 2, 3), mask_fill=1000).apply(s, {"angle": 30.0})
    assert np.array_equal(out.image, A.Rotate(border="reflect").apply(s, {"angle": 30.0}).image)
    with pytest.raises(AugkitValueError, match="Rotate: fill has 3 values"):
        A.Rotate(fill=(1, 2, 3)).apply(s, {"angle": 30.0})


# --- pads against OpenCV and torchvision ---------------------------------------------------

PADS = [(3, 5, 7, 2), (0, 9, 0, 1), (40, 1, 2, 60)]  # (left, top, right, bottom)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ltrb", PADS)
def test_pad_equals_copymakeborder_and_torchvision(photos, mode, ltrb):
    import torchvision.transforms.v2.functional as TF

    l, t, r, b = ltrb
    img = photos[1][:30, :37]
    mask = _labels(30, 37)
    wide = _labels(30, 37, np.int64) - (1 << 40)
    op = A.Pad(padding=ltrb, border=mode)
    ref = cv2.copyMakeBorder(img, t, b, l, r, CV[mode])
    assert np.array_equal(op(img), ref)  # the image-only path
    out = op(Sample(img, mask=mask, boxes=np.array([[1.0, 2.0, 9.0, 8.0]])))
    assert np.array_equal(out.image, ref)
    assert np.array_equal(out.mask, cv2.copyMakeBorder(mask, t, b, l, r, CV[mode]))
    assert np.array_equal(out.boxes, [[1.0 + l, 2.0 + t, 9.0 + l, 8.0 + t]])
    rows = np.array([_cv_fold(i, 30, mode) for i in range(-t, 30 + b)])
    cols = np.array([_cv_fold(i, 37, mode) for i in range(-l, 37 + r)])
    assert np.array_equal(op(Sample(img, mask=wide)).mask, wide[rows][:, cols])
    if mode in TV and (mode == "replicate" or max(ltrb) < 30):  # torchvision's limits
        tv = TF.pad(torch.from_numpy(img).permute(2, 0, 1), list(ltrb), padding_mode=TV[mode])
        assert np.array_equal(out.image, tv.permute(1, 2, 0).numpy())


@pytest.mark.parametrize("mode", MODES)
def test_crop_center_crop_and_pad_if_needed_pad_as_copymakeborder(photos, mode):
    img = photos[2][:21, :26]
    for op, (t, b, l, r) in (
            (A.Crop(size=(30, 31), position="center", border=mode), (5, 4, 3, 2)),
            (CenterCrop(size=(25, 40), border=mode), (2, 2, 7, 7)),
            (PadIfNeeded(min_height=33, min_width=27, position="top_left", border=mode),
             (0, 12, 0, 1))):
        ref = cv2.copyMakeBorder(img, t, b, l, r, CV[mode])
        assert np.array_equal(op(img), ref), op
        out = op(Sample(img, mask=_labels(21, 26)))
        assert np.array_equal(out.image, ref)
        assert np.array_equal(out.mask, cv2.copyMakeBorder(_labels(21, 26), t, b, l, r,
                                                           CV[mode]))


def _cifar(shared_data, n):
    from PIL import Image

    npz = shared_data / "cifar10_jpeg" / "cifar10_jpeg.npz"
    if not npz.is_file():
        pytest.skip("cifar10_jpeg absent")
    d = np.load(npz)
    off, buf = d["train_offsets"], d["train_jpeg"]
    return [np.asarray(Image.open(io.BytesIO(buf[off[i]:off[i + 1]].tobytes())).convert("RGB"))
            for i in range(n)]


def test_cifar_pad_and_crop_reflect101_is_torchvision_random_crop(shared_data):
    """PadCrop(4, border="reflect101") == torchvision's RandomCrop(32, padding=4,
    padding_mode="reflect") for every crop offset, on the per-image and both batched paths
    (torchvision's window at (top, left) is augkit's shift dy = 4 - top, dx = 4 - left)."""
    import torchvision.transforms.v2 as T
    import torchvision.transforms.v2.functional as TF

    imgs = _cifar(shared_data, 4)
    op = A.PadCrop(padding=4, border="reflect101")
    tv = T.RandomCrop(32, padding=4, padding_mode="reflect")
    for img in imgs:
        t = torch.from_numpy(img.copy()).permute(2, 0, 1)
        padded = TF.pad(t, [4, 4, 4, 4], padding_mode="reflect")
        for top in range(9):
            for left in range(9):
                want = TF.crop(padded, top, left, 32, 32).permute(1, 2, 0).numpy()
                got = op.apply(Sample(img), {"dx": 4 - left, "dy": 4 - top}).image
                assert np.array_equal(got, want)
    # torchvision's own draws land on augkit's outputs for the same offsets
    cands = [[op.apply(Sample(img), {"dx": dx, "dy": dy}).image.tobytes()
              for dx in range(-4, 5) for dy in range(-4, 5)] for img in imgs]
    torch.manual_seed(0)
    for _ in range(10):
        for img, cand in zip(imgs, cands):
            want = tv(torch.from_numpy(img.copy()).permute(2, 0, 1)).permute(1, 2, 0).numpy()
            assert np.ascontiguousarray(want).tobytes() in cand
    # and the recipe on the batched paths (fused: a mirror and a folded shift)
    x = np.stack(imgs)
    pipe = Seq((op, A.HFlip()))
    rng = np.random.default_rng(5)
    per = np.stack([pipe(im, rng) for im in x])
    assert np.array_equal(pipe.batch(x, np.random.default_rng(5)), per)
    got = pipe.batch(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(),
                     np.random.default_rng(5))
    assert np.array_equal(got.permute(0, 2, 3, 1).numpy(), per)


# --- per image == numpy batch == torch batch -----------------------------------------------

def _op_for(kind, mode, interp):
    warp = {"interpolation": interp, "border": mode}
    return {
        "Rotate": lambda: A.Rotate(degrees=45, **warp),
        "Affine": lambda: A.Affine(degrees=20, translate=(0.2, 0.3), scale=(0.4, 1.6), shear=15,
                                   **warp),
        "Scale": lambda: A.Scale(scale=(0.2, 0.7), keep_aspect=False, **warp),
        "Shear": lambda: A.Shear(x=30, y=10, **warp),
        "Translate": lambda: A.Translate(x=(-0.9, 0.9), y=(-40, 40), unit="pixels", **warp)
        if interp == "nearest" else A.Translate(x=(-0.9, 0.9), y=(-0.7, 0.7), **warp),
        "Crop": lambda: A.Crop(size=(50, 33), border=mode),
        "Pad": lambda: A.Pad(padding=(5, 40, 1, 3), border=mode),
        "PadCrop": lambda: A.PadCrop(padding=12, border=mode),
        "CenterCrop": lambda: CenterCrop(size=(9, 60), border=mode),
        "PadIfNeeded": lambda: PadIfNeeded(min_height=48, min_width=48, position="random",
                                           border=mode),
        "Elastic": lambda: ElasticDistortion(alpha=40.0, sigma=5.0, **warp),
        "Grid": lambda: GridDistortion(distort_limit=0.6, **warp),
        "RandAugment": lambda: RandAugment(n=2, m=28, ops=("Rotate", "ShearX", "TranslateY"),
                                           **warp),
        "Seq": lambda: Seq((A.PadCrop(padding=6, border=mode), A.HFlip(),
                            A.Rotate(degrees=30, **warp))),
    }[kind]()


KINDS = ("Rotate", "Affine", "Scale", "Shear", "Translate", "Crop", "Pad", "PadCrop",
         "CenterCrop", "PadIfNeeded", "Elastic", "Grid", "RandAugment", "Seq")


def _tensor(x):
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(KINDS), mode=st.sampled_from(MODES),
       interp=st.sampled_from(["nearest", "linear"]), seed=st.integers(0, 2**16),
       hw=st.sampled_from([(30, 36), (17, 40), (64, 72)]), c=st.sampled_from([1, 3, 4]),
       float32=st.booleans())
def test_per_image_equals_numpy_batch_equals_torch_batch(kind, mode, interp, seed, hw, c,
                                                         float32):
    op = _op_for(kind, mode, interp)
    x = np.random.default_rng(seed).integers(0, 256, (5,) + hw + (c,), dtype=np.uint8)
    if float32:
        x = x.astype(np.float32) / 255
    rng = np.random.default_rng(seed)
    per = np.stack([op(im, rng) for im in x])
    assert np.array_equal(op.batch(x, np.random.default_rng(seed)), per)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # host fallback notices
        got = op.batch(_tensor(x), np.random.default_rng(seed)).permute(0, 2, 3, 1).numpy()
    # gpu.md's tolerances: nearest exact, linear within 1 level (uint8) / 1.5/255 (float32);
    # integer shifts exact on uint8
    linear = getattr(op, "interpolation", "linear") != "nearest" or kind == "Seq"
    shifts = kind in ("Crop", "Pad", "PadCrop", "CenterCrop", "PadIfNeeded")
    tol = 0 if not linear else (1.5 / 255 if float32 else 0 if shifts else 1)
    if kind == "RandAugment":
        # two warps in a row (bordered warps do not fuse): each may round the other way,
        # and the second interpolates the first's difference (seen: 2 levels at one pixel)
        tol *= 2
    assert got.shape == per.shape and got.dtype == per.dtype
    assert np.abs(got.astype(np.float64) - per).max() <= tol, (kind, mode)


@pytest.mark.parametrize("mode", MODES)
def test_masks_of_a_sample_batch_take_the_border_too(mode):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (4, 3, 24, 30), dtype=np.uint8)
    masks = np.stack([_labels(24, 30)] * 4)
    op = Seq((A.Rotate(degrees=40, border=mode), A.Pad(padding=(3, 0, 9, 2), border="wrap")))
    b = SampleBatch(torch.from_numpy(imgs), masks=torch.from_numpy(masks),
                    boxes=[torch.tensor([[2.0, 3.0, 20.0, 18.0]])] * 4)
    out = op.batch(b, np.random.default_rng(1))
    r = np.random.default_rng(1)
    for j in range(4):
        want = op(Sample(imgs[j].transpose(1, 2, 0).copy(), mask=masks[j],
                         boxes=np.array([[2.0, 3.0, 20.0, 18.0]])), r)
        assert np.array_equal(out.masks[j].numpy(), want.mask)
        assert np.allclose(out.boxes[j].numpy(), want.boxes)
        assert np.abs(out.images[j].permute(1, 2, 0).numpy().astype(int) - want.image).max() <= 1


# --- fusion ----------------------------------------------------------------------------------

def _groups(ops, size=(32, 40)):
    run = [(op, op.sample(np.random.default_rng(0), Sample(np.zeros(size + (3,), np.uint8))),
            size) for op in ops]
    return [len(g) for g, _, _, _ in fuse_groups(run)]


def test_fusion_rule_for_non_constant_borders():
    r, f = A.Rotate(border="reflect"), A.HFlip(p=1.0)
    assert _groups([A.Rotate(), A.Rotate()]) == [2]  # constant: unchanged
    assert _groups([r, r]) == [1, 1]  # two reflecting warps: sequential != fused
    assert _groups([r, A.Rotate()]) == [1, 1]
    assert _groups([A.Rotate(), r]) == [1, 1]
    assert _groups([f, r]) == [1, 1]  # the reflection would move with what is before it
    assert _groups([r, f, A.Resize(size=(20, 20))]) == [3]  # after it: nothing uncovered
    assert _groups([A.PadCrop(border="reflect101"), f]) == [2]


@pytest.mark.parametrize("mode", MODES)
def test_fused_runs_equal_the_sequence(photos, mode):
    """Where the rule fuses (a bordered warp, then warps that uncover nothing), the fused
    warp equals the steps one by one: exactly for the integer ones."""
    img = photos[0][:40, :52]
    for ops in ((A.PadCrop(padding=7, border=mode), A.HFlip(p=1.0)),
                (A.Pad(padding=(4, 9, 0, 2), border=mode), A.VFlip(p=1.0), A.HFlip(p=1.0)),
                (A.Translate(x=(-9, -9), y=(5, 5), unit="pixels", border=mode),
                 A.Crop(size=(20, 30)))):
        rng = np.random.default_rng(4)
        fused = Seq(ops)(Sample(img, mask=_labels(40, 52)), rng)
        rng = np.random.default_rng(4)
        steps = Seq(ops, fuse=False)(Sample(img, mask=_labels(40, 52)), rng)
        assert np.array_equal(fused.image, steps.image)
        assert np.array_equal(fused.mask, steps.mask)


# --- runners and interop -------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_runner_steps_take_the_border(mode):
    img = np.random.default_rng(0).integers(0, 256, (30, 34, 3), dtype=np.uint8)
    out = RandAugment(n=1, m=30, ops=("Rotate",), border=mode)(img, np.random.default_rng(2))
    # torchvision's space at m = 30 of 30 levels: a rotation by +-30 degrees, exactly
    want = [A.Rotate(degrees=(a, a), interpolation="nearest", border=mode)(img)
            for a in (30.0, -30.0)]
    assert any(np.array_equal(out, w) for w in want)
    assert not any(np.array_equal(out, A.Rotate(degrees=(a, a), interpolation="nearest")(img))
                   for a in (30.0, -30.0))


@pytest.mark.parametrize("runner", [
    RandAugment(n=2, m=20, ops=("Rotate", "ShearX", "TranslateY")),
    TrivialAugment(ops=("Rotate", "ShearY")),
    UniformAugment(n=1, prob=(1.0, 1.0), ops=("Rotate", "TranslateX")),
    AutoAugment([[["Rotate", 1.0, 0.9], ["ShearX", 1.0, 0.8]]]),
    AugMix(width=2, depth=2)], ids=lambda r: type(r).__name__)
def test_runners_hand_the_border_to_their_geometric_steps(runner):
    """The same draws with border="wrap" and "constant" agree wherever the steps read
    inside the image and differ only where they read outside (found by running the
    constant runner on an all-white image)."""
    img = np.random.default_rng(0).integers(1, 256, (30, 34, 3), dtype=np.uint8)
    wrap = dataclasses.replace(runner, border="wrap", interpolation="nearest")
    const = dataclasses.replace(runner, interpolation="nearest")
    changed = False
    for seed in range(4):
        a, b = wrap(img, np.random.default_rng(seed)), const(img, np.random.default_rng(seed))
        outside = const(np.full_like(img, 255), np.random.default_rng(seed)) == 0
        if isinstance(runner, AugMix):  # chains are mixed with the image: no pixel-wise test
            changed = changed or not np.array_equal(a, b)
            continue
        assert np.array_equal(a[~outside], b[~outside])
        assert (b[outside] == 0).all() and (a[outside] != 0).all()  # image content there
    if isinstance(runner, AugMix):
        assert changed
        no_warps = dataclasses.replace(wrap, spatial=False)
        assert np.array_equal(no_warps(img, np.random.default_rng(0)),
                              dataclasses.replace(no_warps, border="constant")(
                                  img, np.random.default_rng(0)))


def test_albumentations_border_modes_map_both_ways(photos):
    import albumentations as Alb

    from augkit.interop.albumentations import from_albu, to_albu

    img = photos[1][:25, :30]
    for mode, bm in ((m, CV[m]) for m in MODES):
        t = Alb.PadIfNeeded(min_height=40, min_width=38, border_mode=bm, p=1.0)
        op = from_albu(t, native=True)
        assert isinstance(op, PadIfNeeded) and op.border == mode
        assert np.array_equal(op(img), t(image=img)["image"])
        t = Alb.CenterCrop(40, 36, pad_if_needed=True, border_mode=bm, p=1.0)
        op = from_albu(t, native=True)
        assert isinstance(op, CenterCrop) and op.border == mode
        assert np.array_equal(op(img), t(image=img)["image"])
        assert to_albu(A.Rotate(border=mode)).border_mode == bm
        assert to_albu(A.Pad(padding=2, border=mode)).border_mode == bm
        assert to_albu(PadIfNeeded(min_height=8, border=mode)).border_mode == bm
