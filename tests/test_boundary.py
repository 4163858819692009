"""The call boundary: numpy, torch, PIL and Sample in; the same kind out."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from augkit import Sample
from augkit.compose import Seq
from augkit.core import PixelOp
from augkit.errors import AugkitValueError
from augkit.poor import HFlip, Pad, Resize, Rotate

OPS = [HFlip(p=1.0), Rotate(degrees=20.0), Resize(size=(9, 11)), Pad(padding=2),
       Seq((Rotate(degrees=20.0), Resize(size=(9, 11))))]
IMG = np.random.default_rng(0).integers(0, 256, (12, 14, 3), dtype=np.uint8)


def ref(op, img):
    return op(Sample(img), rng=np.random.default_rng(1)).image


@pytest.mark.parametrize("op", OPS, ids=lambda o: type(o).__name__)
def test_numpy_in_numpy_out(op):
    for img in (IMG, IMG[..., 0], IMG[..., :1], IMG.astype(np.float32) / 255):
        before = img.copy()
        out = op(img, rng=np.random.default_rng(1))
        assert type(out) is np.ndarray and out.dtype == img.dtype
        assert out.ndim == img.ndim and out.shape[2:] == img.shape[2:]
        np.testing.assert_array_equal(out, ref(op, img))
        np.testing.assert_array_equal(img, before)


@pytest.mark.parametrize("op", OPS, ids=lambda o: type(o).__name__)
def test_torch_chw_in_torch_chw_out(op):
    for img in (IMG, IMG.astype(np.float32) / 255):
        t = torch.from_numpy(img).permute(2, 0, 1).clone()
        before = t.clone()
        out = op(t, rng=np.random.default_rng(1))
        assert isinstance(out, torch.Tensor) and out.dtype == t.dtype and out.shape[0] == 3
        np.testing.assert_array_equal(out.permute(1, 2, 0).numpy(), ref(op, img))
        assert torch.equal(t, before)
    gray = torch.from_numpy(IMG[..., 0].copy())  # (H, W) stays (H, W)
    out = op(gray, rng=np.random.default_rng(1))
    assert out.ndim == 2
    np.testing.assert_array_equal(out.numpy(), ref(op, IMG[..., 0]))
    one = torch.from_numpy(IMG[..., 0].copy())[None]  # (1, H, W) stays (1, H, W)
    assert op(one, rng=np.random.default_rng(1)).shape[0] == 1


def test_torch_non_contiguous_and_subclass():
    from torchvision import tv_tensors

    t = torch.from_numpy(IMG).permute(2, 0, 1)  # a non-contiguous view
    out = HFlip(p=1.0)(t, rng=np.random.default_rng(0))
    assert torch.equal(out, t.flip(-1))
    img = tv_tensors.Image(t.contiguous())
    out = Rotate()(img, rng=np.random.default_rng(0))
    assert type(out) is tv_tensors.Image


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA"])
def test_pil_in_pil_out(mode):
    pil = Image.fromarray(IMG).convert(mode)
    for op in OPS:
        out = op(pil, rng=np.random.default_rng(1))
        assert isinstance(out, Image.Image) and out.mode == mode
        np.testing.assert_array_equal(np.asarray(out), ref(op, np.asarray(pil)))
    np.testing.assert_array_equal(np.asarray(pil), np.asarray(Image.fromarray(IMG).convert(mode)))


def test_sample_in_sample_out_with_all_targets():
    s = Sample(IMG, mask=np.zeros((12, 14), np.int64), boxes=np.array([[1, 1, 5, 6]]),
               box_labels=np.array([3]), keypoints=np.array([[2, 3]]))
    out = Rotate()(s, rng=np.random.default_rng(0))
    assert isinstance(out, Sample)
    assert out.mask.dtype == np.int64 and out.boxes.dtype == np.float32
    assert out.keypoints.dtype in (np.float32, np.float64)
    assert out.box_labels.tolist() == [3]


def test_grayscale_float32_through_every_kind():
    g = (IMG[..., 0] / 255).astype(np.float32)
    op = Rotate(degrees=30.0, interpolation="cubic")
    for x in (g, torch.from_numpy(g.copy()), torch.from_numpy(g.copy())[None], Sample(g)):
        out = op(x, rng=np.random.default_rng(2))
        arr = out.image if isinstance(out, Sample) else np.asarray(out)
        assert arr.dtype == np.float32 and 0.0 <= arr.min() and arr.max() <= 1.0


def test_identity_outputs_may_share_memory_but_never_write_inputs():
    img = IMG.copy()
    img.setflags(write=False)  # any write attempt would raise
    out = HFlip(p=0.0)(img, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out, IMG)
    Rotate()(img, rng=np.random.default_rng(0))
    Seq((HFlip(p=1.0), Pad(padding=1)))(img, rng=np.random.default_rng(0))


class _Inc(PixelOp):  # a user pixel op (not registered: private name)
    def image(self, img, params):
        return np.minimum(img.astype(np.int16) + 1, 255).astype(img.dtype)


def test_user_pixel_op_works_on_every_kind():
    from dataclasses import dataclass

    op = dataclass(frozen=True)(_Inc)()
    exp = np.minimum(IMG.astype(np.int16) + 1, 255).astype(np.uint8)
    assert np.array_equal(op(IMG), exp)
    t = op(torch.from_numpy(IMG).permute(2, 0, 1))
    assert torch.equal(t, torch.from_numpy(exp).permute(2, 0, 1))
    assert np.array_equal(np.asarray(op(Image.fromarray(IMG))), exp)


def test_empty_targets_travel():
    """No instances, no boxes, no people: empty targets keep their (empty) shapes."""
    s = Sample(IMG, mask=np.zeros((12, 14, 0), np.uint8), boxes=np.zeros((0, 4), np.float32),
               box_labels=np.zeros(0, np.int64), keypoints=np.zeros((0, 17, 3), np.float32))
    for op in OPS:
        out = op(s, rng=np.random.default_rng(0))
        assert out.mask.shape == out.image.shape[:2] + (0,)
        assert out.boxes.shape == (0, 4) and out.box_labels.shape == (0,)
        assert out.keypoints.shape == (0, 17, 3)


@pytest.mark.parametrize("fmt, tv", [("xywh", "xywh"), ("cxcywh", "cxcywh"), ("xyxy", "xyxy"),
                                     ("voc", "xyxy")])
def test_box_formats_match_torchvision_box_convert(fmt, tv):
    from torchvision.ops import box_convert

    rng = np.random.default_rng(0)
    b = rng.uniform(1, 50, (7, 4)).astype(np.float32)
    import augkit

    ours = augkit.boxes_from(b, fmt)
    ref = box_convert(torch.from_numpy(b), tv, "xyxy").numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    np.testing.assert_allclose(augkit.boxes_to(ours, fmt), b, rtol=1e-5)


def test_yolo_boxes_and_keypoint_indices():
    import augkit
    from augkit.sample import keypoints_from_indices, keypoints_to_indices

    h, w = 100, 200
    yolo = np.array([[0.5, 0.5, 0.25, 0.5], [0.1, 0.2, 0.2, 0.2]], np.float32)
    xyxy = augkit.boxes_from(yolo, "yolo", size=(h, w))
    np.testing.assert_allclose(xyxy, [[75, 25, 125, 75], [0, 10, 40, 30]], atol=1e-4)
    np.testing.assert_allclose(augkit.boxes_to(xyxy, "yolo", size=(h, w)), yolo, atol=1e-6)
    with pytest.raises(augkit.AugkitValueError, match="boxes_from: size is required"):
        augkit.boxes_from(yolo, "yolo")
    with pytest.raises(augkit.AugkitValueError, match="boxes_to: fmt is 'xyz'"):
        augkit.boxes_to(xyxy, "xyz")
    idx = np.array([[[3, 4, 2], [0, 0, 0]]], np.float32)  # (people, K, 3) with visibility
    kp = keypoints_from_indices(idx)
    np.testing.assert_array_equal(kp[..., :2], idx[..., :2] + 0.5)
    np.testing.assert_array_equal(kp[..., 2], idx[..., 2])
    np.testing.assert_array_equal(keypoints_to_indices(kp), idx)
    # the pixel a keypoint from integer indices sits on is that very pixel after a flip too
    img = np.zeros((5, 6), np.uint8)
    img[4, 3] = 255
    out = HFlip(p=1.0)(Sample(img, keypoints=kp[0, :1, :2]), rng=np.random.default_rng(0))
    c, r = keypoints_to_indices(out.keypoints)[0].astype(int)
    assert out.image[r, c] == 255


def test_float_images_reject_fills_outside_0_1():
    g = np.random.default_rng(0).random((12, 14, 3), dtype=np.float32)
    with pytest.raises(AugkitValueError, match=r"^Rotate: fill is 2.0; outside \[0, 1\]"):
        Rotate(degrees=(45, 45), fill=2.0)(g, rng=np.random.default_rng(0))
    with pytest.raises(AugkitValueError, match=r"^Pad: fill is -3.0; outside"):
        Pad(padding=1, fill=-3.0)(g, rng=np.random.default_rng(0))
    out = Rotate(degrees=(45, 45), fill=1.0)(g, rng=np.random.default_rng(0))
    assert out.max() <= 1.0 and out[0, 0].tolist() == [1.0, 1.0, 1.0]
