"""torchvision v2 and albumentations interop, checked against those libraries' own kernels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torchvision import tv_tensors as tvt
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

import augkit as A
from augkit.interop.albumentations import from_albu, to_albu, to_albu_dict
from augkit.interop.torchvision import as_v2

Al = pytest.importorskip("albumentations")
H, W = 24, 36


def _target(fmt="XYXY", instance_masks=False):
    g = torch.Generator().manual_seed(1)
    img = tvt.Image(torch.randint(0, 256, (3, H, W), dtype=torch.uint8, generator=g))
    shape = (2, H, W) if instance_masks else (H, W)
    mask = tvt.Mask(torch.randint(0, 4, shape, dtype=torch.uint8, generator=g))
    xyxy = torch.tensor([[2.0, 3.0, 12.0, 20.0], [20.0, 1.0, 35.0, 9.0]])
    boxes = tvt.BoundingBoxes(xyxy, format="XYXY", canvas_size=(H, W))
    boxes = TF.convert_bounding_box_format(boxes, new_format=fmt)
    kp = tvt.KeyPoints(torch.tensor([[3.0, 4.0], [30.0, 20.0], [0.0, 0.0]]), canvas_size=(H, W))
    return img, {"masks": mask, "boxes": boxes, "keypoints": kp, "labels": torch.tensor([5, 7])}


@pytest.mark.parametrize("fmt", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize("instance_masks", [False, True])
@pytest.mark.parametrize("op, kernel", [(A.HFlip(p=1.0), TF.horizontal_flip),
                                        (A.VFlip(p=1.0), TF.vertical_flip)])
def test_v2_flip_matches_torchvision_kernels(op, kernel, fmt, instance_masks):
    img, tgt = _target(fmt, instance_masks)
    out_img, out = as_v2(op)(img, tgt)
    assert type(out_img) is tvt.Image and torch.equal(out_img, kernel(img))
    assert type(out["masks"]) is tvt.Mask and torch.equal(out["masks"], kernel(tgt["masks"]))
    assert out["boxes"].format == tgt["boxes"].format
    assert torch.allclose(out["boxes"], kernel(tgt["boxes"]), atol=1e-4)
    assert out["keypoints"].canvas_size == (H, W)
    assert torch.allclose(out["keypoints"], kernel(tgt["keypoints"]), atol=1e-4)
    assert out["labels"] is tgt["labels"]  # unknown leaves pass through untouched


def test_v2_center_crop_and_pad_match_torchvision():
    img, tgt = _target("XYWH")
    out_img, out = as_v2(A.Crop(size=(16, 20), position="center"))(img, tgt)
    assert torch.equal(out_img, TF.center_crop(img, [16, 20]))
    assert torch.equal(out["masks"], TF.center_crop(tgt["masks"], [16, 20]))
    ref = TF.clamp_bounding_boxes(TF.center_crop(tgt["boxes"], [16, 20]))
    assert out["boxes"].canvas_size == (16, 20) and torch.allclose(out["boxes"], ref, atol=1e-4)
    assert torch.allclose(out["keypoints"], TF.center_crop(tgt["keypoints"], [16, 20]))
    out_img, out = as_v2(A.Pad(padding=(1, 2, 3, 4)))(img, tgt)
    assert torch.equal(out_img, TF.pad(img, [1, 2, 3, 4]))
    assert torch.allclose(out["boxes"], TF.pad(tgt["boxes"], [1, 2, 3, 4]), atol=1e-4)
    assert torch.allclose(out["keypoints"], TF.pad(tgt["keypoints"], [1, 2, 3, 4]))


def test_center_crop_with_odd_margin_floors_like_albumentations():
    """docs/interop.md: the centre window starts at floor((H - h) / 2), as albumentations's
    CenterCrop; torchvision's rounds half to even, one pixel further for margins 3, 7, ..."""
    img = np.random.default_rng(0).integers(0, 256, (9, 12, 3), dtype=np.uint8)
    ours = A.Crop(size=(6, 5), position="center")(img)  # margins 3 and 7
    np.testing.assert_array_equal(ours, Al.CenterCrop(6, 5)(image=img)["image"])
    np.testing.assert_array_equal(ours, img[1:7, 3:8])
    tv = TF.center_crop(torch.from_numpy(img).permute(2, 0, 1), [6, 5]).permute(1, 2, 0)
    np.testing.assert_array_equal(tv.numpy(), img[2:8, 4:9])
    tv = TF.center_crop(torch.from_numpy(img).permute(2, 0, 1), [4, 7]).permute(1, 2, 0)
    ours = A.Crop(size=(4, 7), position="center")(img)  # margins 5 and 5: the same window
    np.testing.assert_array_equal(tv.numpy(), ours)


def test_v2_rotate_moves_boxes_like_torchvision():
    img, tgt = _target()
    out_img, out = as_v2(A.Rotate(degrees=(90.0, 90.0)))(img, tgt)
    ref = TF.rotate(tgt["boxes"], 90.0)
    assert torch.allclose(out["boxes"], ref, atol=1e-3)
    assert torch.equal(out_img, TF.rotate(img, 90.0)) or (out_img != TF.rotate(img, 90.0)).float(
    ).mean() < 0.05


def test_v2_accepts_pil_plain_tensor_and_compose():
    from PIL import Image

    pil = Image.fromarray(np.arange(H * W * 3, dtype=np.uint8).reshape(H, W, 3))
    out = as_v2(A.HFlip(p=1.0))(pil)
    assert isinstance(out, Image.Image)
    assert np.array_equal(np.asarray(out), np.asarray(pil)[:, ::-1])
    plain = torch.arange(3 * H * W, dtype=torch.uint8).reshape(3, H, W)
    pipe = v2.Compose([as_v2(A.VFlip(p=1.0)), v2.ToDtype(torch.float32, scale=True)])
    y, label = pipe(plain, 3)
    assert label == 3 and y.dtype == torch.float32
    assert torch.allclose(y, plain.flip(1).float() / 255)


def test_v2_seeded_by_torch_and_by_rng():
    img, tgt = _target()
    t = as_v2(A.Rotate(degrees=40))
    torch.manual_seed(3)
    a = t(img, tgt)
    torch.manual_seed(3)
    b = t(img, tgt)
    c = t(img, tgt)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1]["boxes"], b[1]["boxes"])
    assert not torch.equal(b[0], c[0])
    r1 = as_v2(A.Rotate(degrees=40), rng=np.random.default_rng(9))(img)
    r2 = as_v2(A.Rotate(degrees=40), rng=np.random.default_rng(9))(img)
    assert torch.equal(r1, r2)


def test_v2_rejects_rotated_boxes_and_video():
    img, _ = _target()
    rb = tvt.BoundingBoxes(torch.tensor([[5.0, 5.0, 4.0, 4.0, 10.0]]), format="XYWHR",
                           canvas_size=(H, W))
    with pytest.raises(A.AugkitValueError, match="HFlip: boxes have format XYWHR"):
        as_v2(A.HFlip())(img, rb)
    with pytest.raises(A.AugkitTypeError, match="Video"):
        as_v2(A.HFlip())(tvt.Video(torch.zeros(2, 3, 8, 8, dtype=torch.uint8)))
    with pytest.raises(A.AugkitTypeError, match="as_v2: op"):
        as_v2(v2.RandomHorizontalFlip())


def test_tv_image_at_augkit_boundary():
    img, _ = _target()
    out = A.HFlip(p=1.0)(img)
    assert type(out) is tvt.Image and torch.equal(out, TF.horizontal_flip(img))
    f = tvt.Image(img.float() / 255)
    rot = A.Rotate(degrees=30)
    out = rot(f, rng=np.random.default_rng(0))
    ref = rot(f.permute(1, 2, 0).numpy(), rng=np.random.default_rng(0))
    assert type(out) is tvt.Image and np.allclose(out.permute(1, 2, 0).numpy(), ref)


@given(st.lists(st.tuples(st.floats(0, W - 2), st.floats(0, H - 2), st.floats(1, 30),
                          st.floats(1, 30)), min_size=1, max_size=5),
       st.sampled_from(["XYXY", "XYWH", "CXCYWH"]))
def test_v2_box_formats_round_trip_through_double_flip(rows, fmt):
    xyxy = torch.tensor([[x, y, min(x + w, W), min(y + h, H)] for x, y, w, h in rows])
    boxes = TF.convert_bounding_box_format(
        tvt.BoundingBoxes(xyxy, format="XYXY", canvas_size=(H, W)), new_format=fmt)
    twice = as_v2(A.Seq([A.HFlip(p=1.0), A.HFlip(p=1.0)], fuse=False))
    out = twice(tvt.Image(torch.zeros(1, H, W, dtype=torch.uint8)), boxes)[1]
    assert out.format == boxes.format and torch.allclose(out, boxes, atol=1e-3)


# --- albumentations --------------------------------------------------------------------

def _sample():
    rng = np.random.default_rng(0)
    return A.Sample(rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
                    mask=rng.integers(0, 3, (H, W)).astype(np.int64),
                    boxes=np.array([[2.0, 3.0, 12.0, 20.0], [20.0, 1.0, 35.0, 9.0]], np.float32),
                    box_labels=np.array([4, 9]),
                    keypoints=np.array([[3.5, 4.5, 1.0], [30.5, 20.5, 1.0]], np.float32))


@pytest.mark.parametrize("albu, ours", [(lambda: Al.HorizontalFlip(p=1.0), A.HFlip(p=1.0)),
                                        (lambda: Al.VerticalFlip(p=1.0), A.VFlip(p=1.0))])
def test_from_albu_flip_equals_augkit_flip(albu, ours):
    s = _sample()
    a = from_albu(albu())(s, rng=np.random.default_rng(0))
    b = ours(s, rng=np.random.default_rng(0))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask)
    assert a.mask.dtype == s.mask.dtype
    assert np.allclose(a.boxes, b.boxes, atol=1e-3) and np.array_equal(a.box_labels, [4, 9])
    assert np.allclose(a.keypoints, b.keypoints, atol=1e-4)


def test_from_albu_deterministic_replayable_and_pure():
    s = _sample()
    before = s.image.copy()
    op = from_albu(Al.Compose([Al.Rotate(limit=45, p=1.0), Al.RandomBrightnessContrast(p=1.0)]))
    a = op(s, rng=np.random.default_rng(5))
    b = op(s, rng=np.random.default_rng(5))
    c = op(s, rng=np.random.default_rng(6))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.keypoints, b.keypoints)
    assert not np.array_equal(a.image, c.image)
    params = op.sample(np.random.default_rng(5), s)
    assert np.array_equal(op.apply(s, params).image, a.image)
    assert np.array_equal(s.image, before)


def test_from_albu_serialises_and_lambda_still_runs(tmp_path):
    op = from_albu(Al.Rotate(limit=10, p=1.0))
    assert A.from_dict(A.to_dict(op)) == op and hash(op) == hash(A.from_dict(A.to_dict(op)))
    path = A.save(A.Seq([A.HFlip(), op]), tmp_path / "p.json")
    assert A.load(path).ops[1] == op
    lam = from_albu(Al.Lambda(image=_invert, p=1.0))
    img = _sample().image
    assert np.array_equal(lam(img, rng=np.random.default_rng(0)), 255 - img)


def test_from_albu_pipeline_is_built_once_and_ignored_by_eq_and_hash():
    op, twin = from_albu(Al.Rotate(limit=10, p=1.0)), from_albu(Al.Rotate(limit=10, p=1.0))
    h = hash(op)
    op(_sample(), rng=np.random.default_rng(0))  # builds and caches the routing Compose
    assert op._pipeline is op._pipeline
    assert op == twin and hash(op) == h == hash(twin)  # twin has no cache yet
    assert A.to_dict(op) == A.to_dict(twin)  # the cache is not a field


def _invert(x, **kw):
    return 255 - x


def test_from_albu_dropped_boxes_take_their_labels():
    s = _sample()
    out = from_albu(Al.Crop(x_min=0, y_min=0, x_max=16, y_max=24, p=1.0))(s)
    assert out.image.shape == (24, 16, 3)
    assert np.array_equal(out.box_labels, [4]) and np.allclose(out.boxes, [[2, 3, 12, 20]])
    assert out.keypoints[1, 2] == 0 and out.keypoints[0, 2] == 1  # left the image: invisible


def test_from_albu_rejects_non_transforms():
    with pytest.raises(A.AugkitTypeError, match="from_albu: transform"):
        from_albu(A.HFlip())
    with pytest.raises(A.AugkitValueError, match="Albu: spec"):
        A.interop.albumentations.Albu(spec="{not json")


@pytest.mark.parametrize("op", [
    A.Rotate(degrees=(20.0, 20.0)), A.Shear(x=(10.0, 10.0), y=(0.0, 0.0)),
    A.Shear(x=(0.0, 0.0), y=(-8.0, -8.0)), A.Translate(x=(0.25, 0.25), y=(-0.25, -0.25)),
    A.Translate(x=(3.0, 3.0), y=(2.0, 2.0), unit="pixels"), A.Scale(scale=(1.3, 1.3)),
    A.Affine(degrees=(15.0, 15.0), scale=(1.2, 1.2)), A.Pad(padding=(1, 2, 3, 4)),
    A.Crop(size=(16, 20), position="center"), A.HFlip(p=1.0), A.VFlip(p=1.0),
    A.Seq([A.HFlip(p=1.0), A.Rotate(degrees=(-30.0, -30.0))])])
def test_to_albu_twin_moves_keypoints_like_augkit(op):
    s = _sample()
    ours = op(A.Sample(s.image, keypoints=s.keypoints[:, :2]), rng=np.random.default_rng(0))
    c = Al.Compose([to_albu(op)], seed=0,
                   keypoint_params=Al.KeypointParams(format="xy", remove_invisible=False))
    r = c(image=s.image, keypoints=s.keypoints[:, :2] - 0.5)
    assert r["image"].shape == ours.image.shape
    assert np.allclose(np.asarray(r["keypoints"])[:, :2] + 0.5, ours.keypoints, atol=1e-3)
    assert Al.from_dict(to_albu_dict(op)).__class__ is type(to_albu(op))


def test_to_albu_rejects_ops_without_twin():
    with pytest.raises(A.AugkitValueError, match="PadCrop: op PadCrop has no albumentations twin"):
        to_albu(A.PadCrop())


@pytest.mark.parametrize("op", [A.Invert(), A.Posterize(bits=3), A.Solarize(threshold=100.0)])
def test_to_albu_pixel_twins_are_pixel_exact(op):
    img = _sample().image
    ours = op(img, rng=np.random.default_rng(0))
    theirs = Al.Compose([to_albu(op)], seed=0)(image=img)["image"]
    assert np.array_equal(ours, theirs)


def test_to_albu_gaussian_blur_within_rounding():
    img = _sample().image
    op = A.Blur(kernel=5, sigma=1.5)
    theirs = Al.Compose([to_albu(op)], seed=0)(image=img)["image"]
    assert np.abs(op(img).astype(int) - theirs).max() <= 1


# --- timm: recipe ----------------------------------------------------------------------

def test_recipe_tiers_build_run_and_follow_targets():
    from augkit.tiers import recipe

    s = _sample()
    for tier in ("poor", "middle", "rich"):
        op, mixer = recipe(tier, 24, num_classes=5)
        assert (mixer is None) == (tier == "poor")
        a = op(s, rng=np.random.default_rng(0))
        b = op(s, rng=np.random.default_rng(0))
        assert a.image.shape == s.image.shape and np.array_equal(a.image, b.image)
        assert np.array_equal(a.box_labels, s.box_labels)
        assert A.from_dict(A.to_dict(op)) == op
        if mixer is not None:
            images, soft = mixer(torch.zeros(4, 3, 24, 24, dtype=torch.uint8), torch.arange(4))
            assert soft.shape == (4, 5) and torch.allclose(soft.sum(1), torch.ones(4))
    names = [type(o).__name__ for o in recipe("middle", 224).op.ops]
    assert names == ["RandomResizedCrop", "HFlip", "ColorShift", "CutOut"]
    assert type(recipe("rich", 32).op.ops[-1]).__name__ == "RandAugment"
    assert type(recipe("rich", 32, policy="autoaugment-cifar10").op.ops[-1]).__name__ == \
        "AutoAugment"


def test_recipe_eval_and_errors():
    from augkit.tiers import recipe

    op, mixer = recipe("rich", 32, train=False)
    assert mixer is None and op == A.Resize(size=32)
    with pytest.raises(A.AugkitValueError, match="recipe: tier"):
        recipe("gold", 32)
    with pytest.raises(A.AugkitValueError, match="recipe: mix"):
        recipe("middle", 32, mix=("mixup", "blend"))
    with pytest.raises(A.AugkitValueError, match="recipe: policy"):
        recipe("rich", 32, policy="no-such-policy")
    assert recipe("middle", 32, mix=()).mixer is None


@pytest.mark.parametrize("albu", [lambda: Al.Rotate(limit=30, p=1.0),
                                  lambda: Al.RandomBrightnessContrast(p=1.0),
                                  lambda: Al.RandomCrop(16, 16, p=1.0),
                                  lambda: Al.Compose([Al.ElasticTransform(p=1.0), Al.CLAHE(p=1.0)]),
                                  lambda: Al.Perspective(p=1.0)])
def test_from_albu_passes_the_augkit_op_contract(albu):
    from augkit.testing import check_op

    op = from_albu(albu())
    for seed in range(4):
        check_op(op, seed=seed)


def test_v2_several_images_follow_one_draw():
    img, _ = _target()
    other = tvt.Image(255 - img)
    t = as_v2(A.Seq([A.HFlip(), A.VFlip()]), rng=np.random.default_rng(0))
    outs = [t(img, other) for _ in range(8)]
    assert all(torch.equal(b, 255 - a) for a, b in outs)  # the same flips on both
    assert any(not torch.equal(a, outs[0][0]) for a, _ in outs)  # and the draws vary
