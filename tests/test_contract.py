"""The op contract over every registered op: new ops are covered with no new test code.

Ops are found through `augkit.core.registered_ops()` at collection time and exercised through
their example instances (`augkit.testing.example_instances`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from augkit import Sample
from augkit.compose import Seq
from augkit.core import GeometricOp, registered_ops
from augkit.errors import AugkitError
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
from augkit.testing import (
    check_op,
    edge_images,
    example_instances,
    images,
    refuses_targets,
    samples,
    seeds,
)

REGISTRY = registered_ops()
# multi-image ops (Mosaic, CopyPaste) combine the sample with others (Sample.extras): their
# contract runs in tests/test_multi_image.py
NAMES = sorted(n for n in REGISTRY if not getattr(REGISTRY[n], "extra_samples", 0))


def _instances(name):
    return example_instances(REGISTRY[name])


def _geometric_ops(name):
    """Geometric example instances that accept targets."""
    return [op for op in _instances(name)
            if bool(op.geometric) and not refuses_targets(op)]


def _dot_ops(name):
    return [op for op in _geometric_ops(name) if getattr(op, "check_dot", True)]


DOT_NAMES = [n for n in NAMES if _dot_ops(n)]
GEOMETRIC_NAMES = [n for n in NAMES if _geometric_ops(n)]


def test_registry_has_the_poor_geometric_ops():
    for n in ("HFlip", "VFlip", "Rotate", "Scale", "Translate", "Shear", "Affine", "Resize",
              "Crop", "Pad", "PadCrop", "RandomResizedCrop", "Seq", "OneOf", "SomeOf", "Maybe"):
        assert n in REGISTRY, n


@pytest.mark.parametrize("name", NAMES)
def test_every_op_declares_tier_and_geometry(name):
    for op in _instances(name):
        assert op.tier in ("poor", "middle", "rich"), (name, op.tier)
        assert isinstance(op.geometric, bool), (name, op.geometric)


@pytest.mark.parametrize("name", NAMES)
@given(s=samples(max_side=24), seed=seeds(), data=st.data())
def test_contract(name, s, seed, data):
    op = data.draw(st.sampled_from(_instances(name)), label="op")
    check_op(op, s, seed)


@pytest.mark.parametrize("name", NAMES)
def test_contract_on_default_sample(name):
    for op in _instances(name):
        for seed in range(3):
            check_op(op, seed=seed)


# --- targets follow the pixels ------------------------------------------------------------

def _dot_sample(rng, h, w):
    """Black image with one bright 3x3 blob; every keypoint sits on the blob's centre."""
    img = np.zeros((h, w, 3), np.uint8)
    cy = int(rng.integers(h // 4, 3 * h // 4))
    cx = int(rng.integers(w // 4, 3 * w // 4))
    img[cy - 1:cy + 2, cx - 1:cx + 2] = 255
    kp = np.zeros((2, 4, 3), np.float32)  # identical keypoints: identity swaps are harmless
    kp[..., 0], kp[..., 1], kp[..., 2] = cx + 0.5, cy + 0.5, 2
    return Sample(img, keypoints=kp)


# Draws where the dot or the mask leaves the image say nothing: assume() makes hypothesis
# draw others instead of counting them as passes. Small crops keep the dot in ~15% of draws,
# so the filtering health check is off; a test where nothing passes fails as Unsatisfiable.
FILTERED = settings(suppress_health_check=[HealthCheck.filter_too_much])


@pytest.mark.parametrize("name", DOT_NAMES)
@FILTERED
@given(seed=seeds(), h=st.integers(24, 40), w=st.integers(24, 40), data=st.data())
def test_keypoint_lands_on_the_moved_dot(name, seed, h, w, data):
    op = data.draw(st.sampled_from(_dot_ops(name)), label="op")
    rng = np.random.default_rng(seed)
    s = _dot_sample(rng, h, w)
    out = op(s, rng=rng)
    weight = out.image.astype(np.float64).sum(-1)
    oh, ow = weight.shape
    assume(weight.sum() >= 255 * 3 * 0.5)  # else the dot was cropped away (or sampled out)
    edge = np.concatenate([weight[0], weight[-1], weight[:, 0], weight[:, -1]])
    assume(edge.max() == 0)  # else the dot touches the border: its centroid is biased
    kp = out.keypoints.reshape(-1, 3)
    assert (kp[:, 2] == 2).all(), f"{op}: a keypoint on a visible dot lost its visibility"
    # on the dot: within 1 px of a pixel at least half as bright as the brightest
    rows, cols = np.nonzero(weight >= 0.5 * weight.max())
    gap_x = np.maximum(np.maximum(cols - kp[:, :1], kp[:, :1] - (cols + 1)), 0)
    gap_y = np.maximum(np.maximum(rows - kp[:, 1:2], kp[:, 1:2] - (rows + 1)), 0)
    gap = np.hypot(gap_x, gap_y).min(1).max()
    assert gap <= 1.0, f"{op}: keypoint {kp[0, :2]} is {gap:.2f} px from the moved dot"
    if isinstance(op, (GeometricOp, Seq)):  # one matrix: the blob's centroid moves exactly
        ys, xs = np.mgrid[0:oh, 0:ow] + 0.5
        centre = np.array([(weight * xs).sum(), (weight * ys).sum()]) / weight.sum()
        dist = np.abs(kp[:, :2] - centre).max()
        assert dist <= 1.0, f"{op}: keypoints {kp[0, :2]} vs dot centroid {centre}"


def _box_mask_sample(rng, h, w):
    x1, x2 = np.sort(rng.choice(np.arange(w + 1), 2, replace=False))
    y1, y2 = np.sort(rng.choice(np.arange(h + 1), 2, replace=False))
    mask = np.zeros((h, w), np.uint8)
    mask[y1:y2, x1:x2] = 1
    img = np.full((h, w, 3), 128, np.uint8)
    return Sample(img, mask=mask, boxes=np.array([[x1, y1, x2, y2]], np.float32),
                  box_labels=np.array([7]))


def _mask_box(mask):
    ys, xs = np.nonzero(mask == 1)
    if len(xs) == 0:
        return None
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64)


# ops that copy whole pixels (or shift by a translation) without rescaling: the moved mask's
# bounding box is the moved box within a pixel
EXACT_COPY_TYPES = (HFlip, VFlip, Pad, PadCrop, Crop, Translate)


def _exact_copy(op):
    if isinstance(op, EXACT_COPY_TYPES):
        return True
    if type(op).__name__ == "Albu":  # the example wraps albumentations' HorizontalFlip
        return "HorizontalFlip" in op.spec
    kids = op.children()
    return bool(kids) and all(_exact_copy(c) for c in kids)


def test_exact_copy_ops_are_found_in_the_registry():
    exact = {n for n in GEOMETRIC_NAMES if all(_exact_copy(o) for o in _geometric_ops(n))}
    assert {"HFlip", "VFlip", "Pad", "PadCrop", "Crop", "Translate", "Albu"} <= exact
    assert not exact & {"Rotate", "Scale", "Resize", "Shear", "ElasticDistortion"}


@pytest.mark.parametrize("name", GEOMETRIC_NAMES)
@FILTERED
@given(seed=seeds(), h=st.integers(8, 40), w=st.integers(8, 40), data=st.data())
def test_moved_mask_lies_inside_moved_box(name, seed, h, w, data):
    op = data.draw(st.sampled_from(_geometric_ops(name)), label="op")
    rng = np.random.default_rng(seed)
    s = _box_mask_sample(rng, h, w)
    out = op(s, rng=rng)
    mb = _mask_box(out.mask)
    assume(mb is not None)  # else the mask left the image (the box may keep a sliver)
    b = out.boxes[0]
    assert (mb[:2] >= b[:2] - 1).all() and (mb[2:] <= b[2:] + 1).all(), (
        f"{op}: mask box {mb} is not inside the moved box {b}")
    if _exact_copy(op):  # whole pixels are moved: the box is tight too
        assert np.abs(mb - b).max() <= 1.0, f"{op}: mask box {mb} vs moved box {b}"


EXACT_OPS = [HFlip(p=1.0), VFlip(p=1.0), Translate(), Translate(x=(-5, 5), y=(-5, 5),
             unit="pixels"), PadCrop(), Pad(padding=(3, 1, 0, 2)), Crop(size=(20, 14)),
             Crop(size=48, position="center"), Scale(scale=(1.0, 1.8)),
             Scale(scale=(1.0, 1.5), keep_aspect=False), Resize(size=(50, 60)),
             Affine(translate=(0.2, 0.2), scale=(1.0, 1.4)),
             RandomResizedCrop(size=48, scale=(0.2, 1.0)),
             Seq((HFlip(p=1.0), Translate(), Scale(scale=(1.0, 1.3))))]


@pytest.mark.parametrize("op", EXACT_OPS, ids=repr)
@given(seed=seeds(), h=st.integers(8, 40), w=st.integers(8, 40))
def test_moved_mask_box_matches_moved_box(op, seed, h, w):
    """Flips, translations and enlarging scales: the box of the moved mask is the moved box
    within a pixel."""
    rng = np.random.default_rng(seed)
    s = _box_mask_sample(rng, h, w)
    out = op(s, rng=rng)
    mb = _mask_box(out.mask)
    b = out.boxes[0].astype(np.float64)
    if mb is None:  # moved out of the image: the clipped box has no area left
        assert min(b[2] - b[0], b[3] - b[1]) <= 1.0, f"{op}: box {b} but the mask is empty"
        return
    assert np.abs(mb - b).max() <= 1.0, f"{op}: mask box {mb} vs moved box {b}"
    assert out.box_labels.tolist() == [7]


# --- fused vs unfused Seq -------------------------------------------------------------------

FUSABLE = [HFlip(p=1.0), VFlip(p=0.5), Rotate(degrees=20.0), Scale(scale=(0.8, 1.3)),
           Translate(), Shear(x=10.0), Affine(degrees=10.0, translate=(0.1, 0.1)),
           PadCrop(padding=3), Pad(padding=2), Crop(size=(26, 30)), Resize(size=(36, 30)),
           RandomResizedCrop(size=32, scale=(0.5, 1.0))]


def _erode(valid, n=2):
    return cv2.erode(valid.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=n,
                     borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


@given(seed=seeds(), steps=st.lists(st.sampled_from(FUSABLE), min_size=2, max_size=3),
       s=samples(with_mask=False, with_boxes=False, with_keypoints=True, dtype=np.float32,
                 channels=3, kind="smooth", min_side=24, max_side=40))
def test_fused_seq_matches_unfused(seed, steps, s):
    h, w = s.size
    labels = np.zeros((h, w), np.int32)
    labels[: h // 2, : w // 3], labels[h // 2:, w // 2:] = 1, 2
    mask = np.stack([np.ones((h, w), np.int32), labels], -1)  # channel 0 marks valid pixels
    s = s.replace(mask=mask)
    fused = Seq(tuple(steps))(s, rng=np.random.default_rng(seed))
    plain = Seq(tuple(steps), fuse=False)(s, rng=np.random.default_rng(seed))
    assert fused.image.shape == plain.image.shape
    # keypoints move by the same composed matrix, up to float rounding
    np.testing.assert_allclose(fused.keypoints[..., :2], plain.keypoints[..., :2], atol=1e-3)
    if s.keypoints.shape[-1] == 3:  # a point leaving mid-run is hidden only when unfused
        assert (fused.keypoints[..., 2] >= plain.keypoints[..., 2]).all()
    # pixels: compare where both saw image content, away from the fill border
    valid = _erode((fused.mask[..., 0] == 1) & (plain.mask[..., 0] == 1))
    if valid.sum() == 0:
        return
    diff = np.abs(fused.image - plain.image)[valid]
    assert diff.mean() < 0.02 and diff.max() < 0.15, (diff.mean(), diff.max(), steps)
    # labels: nearest sampling may disagree only next to a label boundary
    lab = plain.mask[..., 1].astype(np.uint8)
    k = np.ones((5, 5), np.uint8)
    near_edge = cv2.dilate(lab, k) != cv2.erode(lab, k)
    bad = valid & (fused.mask[..., 1] != plain.mask[..., 1]) & ~near_edge
    assert not bad.any(), f"{steps}: labels differ away from boundaries at {np.argwhere(bad)[:3]}"


@given(seed=seeds(), steps=st.lists(st.sampled_from(FUSABLE), min_size=2, max_size=4),
       h=st.integers(16, 40), w=st.integers(16, 40), fuse=st.booleans())
def test_seq_mask_stays_inside_box(seed, steps, h, w, fuse):
    """One fused warp: within 1 px. Unfused, each nearest-neighbour step may add up to half a
    pixel (times the later magnification, at most ~3 here), so allow 3 px."""
    rng = np.random.default_rng(seed)
    s = _box_mask_sample(rng, h, w)
    out = Seq(tuple(steps), fuse=fuse)(s, rng=rng)
    mb = _mask_box(out.mask)
    tol = 1.0 if fuse else 3.0
    if mb is not None:
        b = out.boxes[0]
        assert (mb[:2] >= b[:2] - tol).all() and (mb[2:] <= b[2:] + tol).all(), (mb, b, steps)


@dataclass(frozen=True)
class _CropToFirstBox(GeometricOp):
    """Draws its crop from the (moved) first box: it reads targets while sampling."""

    def sample(self, rng, s):
        x1, y1, x2, y2 = (int(v) for v in np.round(s.boxes[0]))
        return {"left": x1, "top": y1, "w": max(1, x2 - x1), "h": max(1, y2 - y1)}

    def out_size(self, params, size):
        return params["h"], params["w"]

    def matrix(self, params, size):
        return np.array([[1.0, 0, -params["left"]], [0, 1.0, -params["top"]], [0, 0, 1.0]])


@given(seed=seeds(), h=st.integers(16, 40), w=st.integers(16, 40))
def test_fused_ops_draw_from_the_moved_targets(seed, h, w):
    """Within a fused run, a geometric op samples from boxes as earlier steps moved them."""
    rng = np.random.default_rng(seed)
    s = _box_mask_sample(rng, h, w)
    steps = (HFlip(p=1.0), Pad(padding=(3, 1, 0, 0)), _CropToFirstBox())
    fused, pf = Seq(steps).sample_apply(np.random.default_rng(seed), s)
    plain, pp = Seq(steps, fuse=False).sample_apply(np.random.default_rng(seed), s)
    assert pf == pp
    np.testing.assert_array_equal(fused.mask, plain.mask)
    assert (fused.mask == 1).all()  # the crop is exactly the moved box


@pytest.mark.parametrize("name", NAMES)
@given(img=edge_images(), seed=seeds(), data=st.data())
def test_contract_on_edge_images(name, img, seed, data):
    """1x1, 1xN, grey, 4-channel, Fortran-order, strided, read-only arrays and extreme
    values: the whole contract, the dot test on a probe of the same layout included."""
    op = data.draw(st.sampled_from(_instances(name)), label="op")
    check_op(op, Sample(img), seed)


def test_a_user_class_cannot_shadow_a_builtin_op():
    from dataclasses import dataclass

    from augkit import PixelOp
    from augkit.core import registered_ops

    with pytest.raises(AugkitError, match="Rotate: class name is already registered by "
                       "augkit.poor.affine.Rotate"):
        @dataclass(frozen=True)
        class Rotate(PixelOp):
            pass
    assert registered_ops()["Rotate"].__module__ == "augkit.poor.affine"


def test_whitening_must_come_last_in_a_seq():
    import augkit as A

    with pytest.raises(AugkitError, match="Seq: ops has Whiten at position 0"):
        A.Seq([A.Whiten(), A.Rotate()])
    assert A.Seq([A.Rotate(), A.Whiten()]).ops[-1] == A.Whiten()


@pytest.mark.parametrize("k", [(0, 1, 1), "1", 1.0, True, (1, True), -1, 4])
def test_someof_k_is_validated_with_a_typed_error(k):
    import augkit as A

    with pytest.raises(AugkitError, match="SomeOf: k is"):
        A.SomeOf([A.HFlip(), A.VFlip(), A.Rotate()], k=k)


def test_someof_k_cannot_exceed_the_ops_with_positive_weight():
    import augkit as A

    with pytest.raises(AugkitError, match="SomeOf: k is 2; expected 0 <= k <= 1"):
        A.SomeOf([A.HFlip(), A.VFlip()], k=2, weights=[1.0, 0.0])


def test_a_legit_output_that_looks_like_chw_passes_check_op():
    """Found by hypothesis: padding a 1x1 five-channel image gives (3, 5, 5), which the
    input check would take for CHW. Outputs are checked without that layout guess."""
    from augkit.poor import Pad

    s = Sample(np.arange(5, dtype=np.uint8).reshape(1, 1, 5))
    op = Pad(padding=(1, 2, 3, 0), fill=0.5)
    check_op(op, s, 0)
    assert op(s.image).shape == (3, 5, 5)


@pytest.mark.parametrize("name", NAMES)
@given(seed=seeds(), dtype=st.sampled_from([np.uint8, np.float32]))
def test_a_bare_image_takes_the_same_path_as_an_image_only_sample(name, seed, dtype):
    """Pixel and geometric ops run a bare numpy image without the Sample round trip: the
    pixels must be exactly those of the same call on an image-only Sample."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (20, 24, 3)).astype(dtype)
    if dtype == np.float32:
        img /= 255
    for op in _instances(name):
        try:
            want = op(Sample(img), np.random.default_rng(seed)).image
        except AugkitError as e:
            with pytest.raises(type(e)):
                op(img, np.random.default_rng(seed))
            continue
        got = op(img, np.random.default_rng(seed))
        assert got.dtype == want.dtype and np.array_equal(got, want), (name, op)


_SHORTCUT_OPS = ("Crop", "Pad", "PadCrop", "RandomResizedCrop", "Resize", "HFlip", "VFlip")


@pytest.mark.parametrize("name", _SHORTCUT_OPS)
@given(img=images(min_side=1, max_side=40), seed=seeds(), data=st.data())
def test_warp_shortcuts_equal_the_matrix_warp(name, img, seed, data):
    """Ops that warp an image-only sample without building their matrix (`_warp_only`:
    a slice, a border copy, a resize of a window) must give exactly the pixels of the
    general warp of `matrix(params)`, raise the same errors, and leave the input alone."""
    side = data.draw(st.integers(1, 48))
    fill = data.draw(st.sampled_from([0.0, 1.0, (0.0, 1.0, 0.5), 0.25]))
    interp = data.draw(st.sampled_from(["linear", "nearest", "cubic", "area"]))
    op = {"Crop": lambda: Crop(size=(side, data.draw(st.integers(1, 48))), fill=fill,
                               position=data.draw(st.sampled_from(["random", "center"]))),
          "Pad": lambda: Pad(padding=data.draw(st.sampled_from([0, 3, (1, 2), (0, 1, 5, 2)])),
                             fill=fill),
          "PadCrop": lambda: PadCrop(padding=data.draw(st.integers(0, 6)), fill=fill),
          "RandomResizedCrop": lambda: RandomResizedCrop(size=side, interpolation=interp),
          "Resize": lambda: Resize(size=(side, data.draw(st.integers(1, 48))),
                                   interpolation=interp)}.get(name, lambda: _instances(name)[0])()
    params = op.sample(np.random.default_rng(seed), Sample(img))
    before = img.copy()
    try:
        want = GeometricOp._warp_only(op, img, params)
    except AugkitError as e:
        with pytest.raises(type(e)):
            op._warp_only(img, params)
        return
    got = op._warp_only(img, params)
    assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
    assert np.array_equal(img, before)


def test_the_dot_test_ignores_a_stray_pixel_of_the_blobs_contrast():
    """Hypothesis found UniformAugment drawing Invert then a one-pixel CutOut hole: the black
    hole in the inverted (bright) background has the inverted blob's contrast, and the dot
    test took it for part of the blob, outside the (correct) box. Only the largest connected
    region is the blob."""
    from augkit._contract import check_targets_follow_pixels
    from augkit.rich import UniformAugment

    assert check_targets_follow_pixels(UniformAugment(), np.zeros((1, 1), np.uint8), 448308281)
