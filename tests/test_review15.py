"""Review of issue 15 (p on every op, border modes, Mosaic / CopyPaste, the new ops): defects
found by probing, one failing test each (each fixed; kept as regression tests)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import augkit as A
from augkit.middle import CopyPaste, Mosaic
from augkit.poor import HFlip


def _instances(h, w, n, seed):
    r = np.random.default_rng(seed)
    img = r.integers(0, 256, (h, w, 3), dtype=np.uint8)
    mask = np.zeros((h, w, n), np.uint8)
    boxes = []
    for k in range(n):
        y0, x0 = int(r.integers(0, h // 2)), int(r.integers(0, w // 2))
        y1, x1 = y0 + int(r.integers(3, h // 2)), x0 + int(r.integers(3, w // 2))
        mask[y0:y1, x0:x1, k] = 1
        boxes.append([x0, y0, x1, y1])
    return A.Sample(img, mask=mask, boxes=np.array(boxes, float), box_labels=np.arange(n))


def _batches():
    yield np.zeros((2, 8, 8, 3), np.uint8)
    yield torch.zeros((2, 3, 8, 8), dtype=torch.uint8)


# docs/multi-image.md: "op.batch(images) (and a pipeline holding a multi-image op) raises an
# AugkitTypeError naming the op and batch". The refusal lives in Mosaic/CopyPaste.image_batch,
# which runs only when some image of the batch takes the op: with p < 1 (or inside a OneOf)
# a batch whose images all skip it is augmented silently, so the same pipeline fails or
# passes depending on the draw.
@pytest.mark.parametrize("make", [
    lambda: A.Seq([Mosaic(p=0.5), HFlip()]),
    lambda: A.Seq([CopyPaste(p=0.5), HFlip()]),
    lambda: A.OneOf([Mosaic(), HFlip()]),
    lambda: A.OneOf([CopyPaste(), HFlip()]),
], ids=["seq-mosaic-p", "seq-copypaste-p", "oneof-mosaic", "oneof-copypaste"])
def test_batch_refuses_multi_image_ops_at_every_draw(make):
    op = make()
    for x in _batches():
        for seed in range(8):
            with pytest.raises(A.AugkitTypeError, match="batch"):
                op.batch(x, np.random.default_rng(seed))


# Same doc: the refusal is an AugkitTypeError naming `batch`. CopyPaste inside a Seq (p = 1)
# instead reaches CopyPaste.sample, which raises AugkitValueError "extras is missing"
# (Mosaic's sample does not take the extras, so Mosaic gets the documented error).
def test_batch_refusal_of_copy_paste_in_a_pipeline_is_the_documented_error():
    op = A.Seq([CopyPaste(), HFlip()])
    for x in _batches():
        with pytest.raises(A.AugkitTypeError, match=r"^CopyPaste: batch is not supported"):
            op.batch(x, np.random.default_rng(0))


# refuse_unfit (augkit/probability.py): "What op refuses whatever its draw, checked on a
# skipped call too (same input, same error, at any p)". A multi-image op refuses a sample
# without extras whatever its draw at p = 1, but with p < 1 a skipped call returns the sample
# untouched: the mistake (no extras, e.g. the op used outside AugmentedDataset) shows up only
# on some calls, which docs/multi-image.md says augkit never hides.
@pytest.mark.parametrize("op", [CopyPaste(p=0.5), Mosaic(target_size=16, cell_shape=16, p=0.5)],
                         ids=["copypaste", "mosaic"])
def test_missing_extras_refused_at_any_p(op):
    s = _instances(40, 48, 2, 0)
    for seed in range(8):
        with pytest.raises(A.AugkitValueError, match="extras"):
            op(s, np.random.default_rng(seed))
