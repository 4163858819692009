"""The batched path with dense targets (`augkit.batch_dense`): ``op.batch(SampleBatch)`` moves
masks, boxes and keypoints exactly as the per-image path does, images within interpolation
tolerance, on the images' device."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import augkit
from augkit import Sample
from augkit.compose import OneOf, Seq
from augkit.middle import CutOut, ElasticDistortion
from augkit.mix import SampleBatch
from augkit.poor import HFlip, PadCrop, RandomResizedCrop, Rotate, Scale, Shear
from augkit.rich import RandAugment, TrivialAugment

OPS = [Rotate(degrees=25, mask_fill=9), Scale(scale=(0.6, 1.3)), Shear(x=15, mask_fill=4),
       Seq((PadCrop(padding=4), HFlip(keypoint_pairs=((0, 1),)), RandomResizedCrop(size=24))),
       OneOf((Rotate(degrees=10), HFlip(p=1.0, keypoint_pairs=((0, 1),)))),
       CutOut(size=8, mask_fill=7), ElasticDistortion(alpha=8, sigma=3),
       RandAugment(mask_fill=3), TrivialAugment()]


def _data(seed, n=5, h=32, w=40):
    rng = np.random.default_rng(seed)
    imgs = rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8)
    masks = rng.integers(0, 5, (n, h, w), dtype=np.uint8)
    boxes = []
    for _ in range(n):
        k = int(rng.integers(0, 4))
        xs, ys = np.sort(rng.uniform(0, w, (k, 2)), 1), np.sort(rng.uniform(0, h, (k, 2)), 1)
        boxes.append(np.stack([xs[:, 0], ys[:, 0], xs[:, 1], ys[:, 1]], 1).astype(np.float32))
    kps = [np.concatenate([rng.uniform(0, [w, h], (1, 2, 2)), np.full((1, 2, 1), 2.0)],
                          -1).astype(np.float32) for _ in range(n)]
    return imgs, masks, boxes, kps


def _batch(imgs, masks, boxes, kps):
    return SampleBatch(torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous(),
                       torch.arange(len(imgs)), torch.from_numpy(masks),
                       [torch.from_numpy(b) for b in boxes],
                       [torch.arange(len(b)) for b in boxes],
                       [torch.from_numpy(k) for k in kps])


def _check(op, seed):
    imgs, masks, boxes, kps = _data(seed)
    rng = np.random.default_rng(seed)
    want = [op(Sample(imgs[j], mask=masks[j], boxes=boxes[j], box_labels=np.arange(len(boxes[j])),
                      keypoints=kps[j]), rng=rng) for j in range(len(imgs))]
    b = _batch(imgs, masks, boxes, kps)
    before = [t.clone() for t in (b.images, b.masks)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = op.batch(b, np.random.default_rng(seed))
    assert torch.equal(b.images, before[0]) and torch.equal(b.masks, before[1])
    assert isinstance(out, SampleBatch) and torch.equal(out.labels, b.labels)
    for j, w in enumerate(want):
        img = out.images[j].permute(1, 2, 0).numpy()
        assert img.shape == w.image.shape and np.abs(img.astype(int) - w.image).max() <= 1
        np.testing.assert_array_equal(out.masks[j].numpy(), w.mask)
        np.testing.assert_array_equal(out.boxes[j].numpy(), w.boxes)
        np.testing.assert_array_equal(out.box_labels[j].numpy(), w.box_labels)
        np.testing.assert_array_equal(out.keypoints[j].numpy(), w.keypoints)


@pytest.mark.parametrize("op", OPS, ids=repr)
def test_targets_move_exactly_as_the_per_image_path_moves_them(op):
    _check(op, 3)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_a_runner_with_every_target_any_seed(seed):
    _check(RandAugment(n=2, m=12, mask_fill=255), seed)


@pytest.mark.parametrize("field,value,match", [
    ("masks", torch.zeros(5, 8, 8, dtype=torch.uint8), "expected \\(B, H, W\\)"),
    ("masks", torch.zeros(5, 32, 40), "integer label maps"),
    ("boxes", [torch.zeros(0, 4)] * 4, "has 4 entries; expected a list of 5"),
])
def test_bad_targets_get_a_typed_error(field, value, match):
    b = _batch(*_data(0)).replace(**{field: value})
    with pytest.raises(augkit.AugkitValueError, match=f"Rotate: {field} .*{match}"):
        Rotate().batch(b, np.random.default_rng(0))


def _instance_data(seed, n=4, h=30, w=36):
    """Images with K_i instance planes (0..3, one per box) as per-image (H, W, K_i) masks,
    and the same as a SampleCollate batch (B, K, H, W) with instance_counts."""
    from augkit.loader import SampleCollate

    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n):
        k = int(rng.integers(0, 4))
        planes = np.zeros((h, w, k), np.uint8)
        boxes = []
        for j in range(k):
            y0, x0 = int(rng.integers(0, h - 8)), int(rng.integers(0, w - 8))
            y1, x1 = y0 + int(rng.integers(3, 8)), x0 + int(rng.integers(3, 8))
            planes[y0:y1, x0:x1, j] = 1
            boxes.append([x0, y0, x1, y1])
        samples.append(Sample(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), mask=planes,
                              boxes=np.array(boxes, np.float32).reshape(-1, 4),
                              box_labels=np.arange(k)))
    return samples, SampleCollate()(samples)


INSTANCE_OPS = [Rotate(degrees=25), Rotate(degrees=25, mask_fill=1),
                Seq((PadCrop(padding=4), HFlip(), RandomResizedCrop(size=(20, 24)))),
                Shear(x=15), CutOut(size=8), ElasticDistortion(alpha=8, sigma=3),
                RandAugment(), OneOf((Rotate(degrees=10), HFlip(p=1.0)))]


@pytest.mark.parametrize("op", INSTANCE_OPS, ids=repr)
@pytest.mark.parametrize("seed", [0, 1])
def test_instance_masks_move_exactly_as_the_per_image_path_moves_them(op, seed):
    """op.batch on (B, K, H, W) instance masks: each image's own planes move as its
    per-image (H, W, K_i) mask moves (warped, or through the op's own apply), the padding
    planes stay empty, instance_counts and boxes follow."""
    samples, batch = _instance_data(seed)
    rng = np.random.default_rng(seed)
    want = [op(s, rng=rng) for s in samples]
    before = batch.masks.clone()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = op.batch(batch, np.random.default_rng(seed))
    assert torch.equal(batch.masks, before)
    assert out.masks.ndim == 4 and out.masks.dtype == before.dtype
    counts = list(out.instance_counts)
    for j, w in enumerate(want):
        k = w.mask.shape[2]
        assert counts[j] == k
        np.testing.assert_array_equal(out.masks[j, :k].permute(1, 2, 0).numpy(), w.mask)
        assert not out.masks[j, k:].any()
        np.testing.assert_array_equal(out.boxes[j].numpy(), w.boxes)


def test_instance_counts_are_checked():
    _, batch = _instance_data(0)
    bad = batch.replace(instance_counts=[9] * len(batch.instance_counts))
    with pytest.raises(augkit.AugkitValueError, match="Rotate: instance_counts"):
        Rotate(degrees=5).batch(bad, np.random.default_rng(0))
