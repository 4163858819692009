"""`augkit.loader.SampleCollate`: the dense-task DataLoader path, Samples in, a
`SampleBatch` out, through a real DataLoader and on to the mixer and the batched path."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader

import augkit as A
from augkit import Sample
from augkit.loader import SampleCollate
from augkit.mix import CutMix, SampleBatch


def _samples(n=6, h=24, w=20, seed=0, instances=False):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        k = int(rng.integers(0, 3))
        xs, ys = np.sort(rng.uniform(0, w, (k, 2)), 1), np.sort(rng.uniform(0, h, (k, 2)), 1)
        mask = (rng.integers(0, 2, (h, w, 3), dtype=np.uint8) if instances
                else rng.integers(0, 4, (h, w), dtype=np.uint8))
        out.append((Sample(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), mask=mask,
                           boxes=np.stack([xs[:, 0], ys[:, 0], xs[:, 1], ys[:, 1]], 1),
                           box_labels=np.arange(k), keypoints=rng.uniform(0, 20, (1, 2, 3))),
                    i % 3))
    return out


def test_a_batch_of_samples_becomes_a_sample_batch():
    items = _samples()
    b = SampleCollate()(items)
    assert isinstance(b, SampleBatch)
    assert b.images.shape == (6, 3, 24, 20) and b.images.dtype == torch.uint8
    assert b.masks.shape == (6, 24, 20) and b.masks.dtype == torch.uint8
    for j, (s, _) in enumerate(items):
        np.testing.assert_array_equal(b.images[j].permute(1, 2, 0).numpy(), s.image)
        np.testing.assert_array_equal(b.masks[j].numpy(), s.mask)
        np.testing.assert_allclose(b.boxes[j].numpy(), s.boxes, rtol=1e-6)
        assert b.boxes[j].dtype == torch.float32 and b.boxes[j].shape == (len(s.boxes), 4)
        np.testing.assert_array_equal(b.box_labels[j].numpy(), s.box_labels)
        np.testing.assert_array_equal(b.keypoints[j].numpy(), s.keypoints)
    assert b.labels.tolist() == [0, 1, 2, 0, 1, 2]
    inst = SampleCollate()(_samples(instances=True))
    assert inst.masks.shape == (6, 3, 24, 20)


def test_through_a_dataloader_the_augmentation_and_the_mixer():
    op = A.Seq([A.PadCrop(padding=2), A.HFlip(), A.Rotate(degrees=10)])
    ds = A.AugmentedDataset(_samples(8), op, seed=0)
    loader = DataLoader(ds, batch_size=4, collate_fn=SampleCollate(mean=0.5, std=0.25))
    for b in loader:
        assert b.images.dtype == torch.float32 and b.images.shape == (4, 3, 24, 20)
        assert len(b.boxes) == 4 and b.masks.shape == (4, 24, 20)
        mixed = CutMix(num_classes=3)(b.replace(images=b.images.clamp(0, 1)),
                                      rng=np.random.default_rng(0))
        assert mixed.labels.shape == (4, 3) and len(mixed.boxes) == 4
        moved = A.Rotate(degrees=5, mask_fill=9).batch(
            b.replace(images=(b.images * 0.25 + 0.5).clamp(0, 1)), np.random.default_rng(1))
        assert moved.masks.shape == b.masks.shape


@pytest.mark.parametrize("items,field,match", [
    ([Sample(np.zeros((4, 4, 3), np.uint8), mask=np.zeros((4, 4), np.uint8)),
      Sample(np.zeros((4, 4, 3), np.uint8))], "mask", "present in 1 of 2"),
    ([np.zeros((4, 4, 3), np.uint8)], "items\\[0\\]", "expected an augkit.Sample"),
    ([Sample(np.zeros((4, 4, 3), np.uint8)), Sample(np.zeros((5, 4, 3), np.uint8))],
     "images\\[1\\]", "one batch, one size"),
])
def test_mismatched_batches_are_typed_errors(items, field, match):
    with pytest.raises(A.AugkitError, match=f"SampleCollate: {field} .*{match}"):
        SampleCollate()(items)


class _SharedCheck:
    """A collate_fn that reports whether the collate's tensors are born in shared memory."""

    def __init__(self, collate):
        self.collate = collate

    def __call__(self, items):
        out = self.collate(items)
        images = out.images if hasattr(out, "images") else out
        masks = out.masks if hasattr(out, "masks") else None
        from augkit.batch_memory import in_shared_memory

        return images, in_shared_memory(images), masks is None or in_shared_memory(masks)


def test_worker_collates_are_born_in_shared_memory_and_equal_the_main_process():
    """In a DataLoader worker the collated batch is allocated in shared memory (a worker
    slot, see augkit.batch_memory; sending it copies nothing); the values equal the 0-worker
    ones."""
    import torch
    from torch.utils.data import DataLoader

    from augkit.loader import SampleCollate, ToTensors

    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (12, 10, 3), dtype=np.uint8) for _ in range(8)]
    samples = [A.Sample(im, mask=rng.integers(0, 4, (12, 10), dtype=np.uint8)) for im in imgs]
    for data, collate in ((imgs, ToTensors()), (imgs, ToTensors(mean=0.5, std=0.25)),
                          (samples, SampleCollate(mean=0.5, std=0.25))):
        got = {}
        for w in (0, 1):
            batches = list(DataLoader(data, batch_size=4, num_workers=w,
                                      collate_fn=_SharedCheck(collate)))
            got[w] = torch.cat([b[0] for b in batches])
            if w:
                assert all(b[1] and b[2] for b in batches)
        assert torch.equal(got[0], got[1])


@settings(max_examples=40, deadline=None)
@given(c=st.sampled_from([0, 1, 2, 3, 4, 6]), per_channel=st.booleans(),
       seed=st.integers(0, 2**16), hw=st.sampled_from([(9, 7), (60, 57)]))
def test_normalising_collate_equals_the_float_formula_bit_for_bit(c, per_channel, seed, hw):
    """ToTensors(mean, std) on uint8 goes through per-channel tables for 1-4 channels (one
    c-channel table for small images, a table per plane from ~56x56): the very float32
    values of ``x.float() * (1/255 / std) - mean / std`` on the whole batch."""
    from augkit.loader import ToTensors

    rng = np.random.default_rng(seed)
    h, w = hw
    shape = (h, w) if c == 0 else (h, w, c)
    k = max(c, 1)
    per_channel = per_channel and k <= 4  # ToTensors takes one value or one per channel (1-4)
    mean = tuple(rng.random(k if per_channel else 1).tolist())
    std = tuple((0.1 + rng.random(k if per_channel else 1)).tolist())
    imgs = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(3)]
    x = torch.from_numpy(np.stack([im.reshape(h, w, k) for im in imgs])).permute(0, 3, 1, 2)
    std_t = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    want = x.to(torch.float32).mul_((1.0 / 255.0) / std_t).add_(
        -torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1) / std_t)
    assert torch.equal(ToTensors(mean, std)(imgs), want)
