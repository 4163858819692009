"""`BoxesFromMasks`: tight boxes from instance masks, after the geometry moved them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import augkit
from augkit import Sample
from augkit.compose import Seq
from augkit.poor import Rotate
from augkit.poor.boxes_from_masks import BoxesFromMasks
from augkit.testing import check_op


def _instances(rng, h, w, n):
    """An (H, W, N) instance mask of random rectangles, their boxes and an id map."""
    masks = np.zeros((h, w, n), np.uint8)
    ids = np.zeros((h, w), np.int32)
    boxes = np.zeros((n, 4), np.float32)
    for i in range(n):
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        y1, x1 = rng.integers(y0 + 1, h + 1), rng.integers(x0 + 1, w + 1)
        masks[y0:y1, x0:x1, i] = 1
        ids[y0:y1, x0:x1] = i + 1
        boxes[i] = (x0, y0, x1, y1)
    return masks, ids, boxes


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(4, 40), w=st.integers(4, 40),
       n=st.integers(1, 4))
def test_rectangles_give_their_own_boxes_back(seed, h, w, n):
    rng = np.random.default_rng(seed)
    masks, ids, boxes = _instances(rng, h, w, n)
    loose = boxes + np.float32([-1, -1, 1, 1])
    out = BoxesFromMasks()(Sample(np.zeros((h, w, 3), np.uint8), mask=masks, boxes=loose))
    np.testing.assert_array_equal(out.boxes, boxes)
    # an id map: later rectangles paint over earlier ones, so compare with its own pixels
    got = BoxesFromMasks(source="ids")(Sample(np.zeros((h, w, 3), np.uint8), mask=ids,
                                              boxes=loose)).boxes
    for i in range(n):
        ys, xs = np.nonzero(ids == i + 1)
        want = loose[i] if len(ys) == 0 else [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        np.testing.assert_array_equal(got[i], want)


def test_after_a_rotation_the_box_is_tight_not_the_grown_enclosure():
    rng = np.random.default_rng(0)
    masks, _, boxes = _instances(rng, 64, 64, 3)
    s = Sample(np.zeros((64, 64, 3), np.uint8), mask=masks, boxes=boxes)
    grown = Rotate(degrees=(30, 30))(s).boxes
    tight = Seq((Rotate(degrees=(30, 30)), BoxesFromMasks()))(s).boxes

    def area(b):
        return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])

    assert (area(tight) <= area(grown) + 1e-3).all() and (area(tight) < area(grown)).any()


def test_contract_and_samples_without_masks_pass():
    check_op(BoxesFromMasks())
    s = Sample(np.zeros((4, 4, 3), np.uint8), boxes=np.float32([[0, 0, 2, 2]]))
    assert BoxesFromMasks()(s).boxes is s.boxes


@pytest.mark.parametrize("mask,source,match", [
    (np.zeros((8, 8), np.uint8), "channels", "one channel per box"),
    (np.zeros((8, 8, 2), np.uint8), "ids", "instance-id map"),
])
def test_layout_mismatches_are_typed(mask, source, match):
    s = Sample(np.zeros((8, 8, 3), np.uint8), mask=mask, boxes=np.float32([[0, 0, 2, 2]] * 3))
    with pytest.raises(augkit.AugkitValueError, match=f"BoxesFromMasks: source .*{match}"):
        BoxesFromMasks(source=source)(s)
    with pytest.raises(augkit.AugkitValueError, match="BoxesFromMasks: source"):
        BoxesFromMasks(source="polygons")
    assert BoxesFromMasks()(s).boxes is s.boxes or mask.ndim == 2  # auto: K != N passes


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 5), h=st.integers(1, 12),
       w=st.integers(1, 12))
def test_mask_boxes_kernel_is_the_tight_box_of_every_plane(seed, n, h, w):
    """The one tight-box kernel (BoxesFromMasks, CopyPaste, the mixer): each plane's box from
    its nonzero pixels' extreme indices, zeros and found=False for an empty plane."""
    from augkit.functional.mask_boxes import mask_boxes

    planes = np.random.default_rng(seed).random((n, h, w)) < 0.15
    boxes, found = mask_boxes(planes)
    assert boxes.shape == (n, 4) and boxes.dtype == np.float32
    for k in range(n):
        ys, xs = np.nonzero(planes[k])
        assert found[k] == bool(len(ys))
        want = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] if len(ys) else [0, 0, 0, 0]
        assert boxes[k].tolist() == want
