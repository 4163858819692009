"""`BBoxSafeCrop`: random crops that never cut a box (albumentations' BBoxSafeRandomCrop and
RandomSizedBBoxSafeCrop)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import augkit
from augkit import Sample
from augkit.poor.bbox_safe_crop import BBoxSafeCrop
from augkit.testing import check_op, default_sample


@st.composite
def boxed(draw):
    h, w = draw(st.integers(4, 60)), draw(st.integers(4, 60))
    n = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    xs, ys = np.sort(rng.uniform(0, w, (n, 2)), 1), np.sort(rng.uniform(0, h, (n, 2)), 1)
    boxes = np.stack([xs[:, 0], ys[:, 0], xs[:, 1], ys[:, 1]], 1).astype(np.float32)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    return Sample(img, boxes=boxes, box_labels=np.arange(n)), draw(st.integers(0, 2**32 - 1))


@settings(max_examples=60, deadline=None)
@given(data=boxed())
def test_no_box_is_ever_cut(data):
    s, seed = data
    op = BBoxSafeCrop()
    params = op.sample(np.random.default_rng(seed), s)
    out = op.apply(s, params)
    t, left = params["top"], params["left"]
    moved = s.boxes - np.array([left, t, left, t], np.float32)
    np.testing.assert_allclose(out.boxes, moved, atol=1e-4)  # shifted, not clipped
    assert out.image.shape[:2] == (params["height"], params["width"])
    np.testing.assert_array_equal(out.image, s.image[t:t + params["height"],
                                                     left:left + params["width"]])


@settings(max_examples=30, deadline=None)
@given(data=boxed())
def test_a_size_resizes_the_safe_window(data):
    s, seed = data
    out = BBoxSafeCrop(size=(20, 24))(s, rng=np.random.default_rng(seed))
    assert out.image.shape == (20, 24, 3)
    assert (out.boxes[:, 2] - out.boxes[:, 0] > 0).all() or (s.boxes[:, 2] == s.boxes[:, 0]).any()


def test_crops_vary_and_cover_the_range():
    s = Sample(np.zeros((40, 50, 3), np.uint8), boxes=np.array([[20, 15, 30, 25]], np.float32))
    op, rng = BBoxSafeCrop(), np.random.default_rng(0)
    ps = [op.sample(rng, s) for _ in range(400)]
    lefts = {p["left"] for p in ps}
    rights = {p["left"] + p["width"] for p in ps}
    assert lefts == set(range(0, 21)) and rights == set(range(30, 51))


def test_without_boxes_sides_follow_the_erosion_rate():
    s = Sample(np.zeros((40, 50, 3), np.uint8))
    op, rng = BBoxSafeCrop(erosion_rate=0.5), np.random.default_rng(1)
    hs = [op.sample(rng, s)["height"] for _ in range(300)]
    assert min(hs) == 20 and max(hs) == 40
    assert BBoxSafeCrop(p=0.0)(s.image).shape == s.image.shape


def test_contract():
    for op in BBoxSafeCrop.example():
        check_op(op)
        check_op(op, default_sample(4), seed=4)


@pytest.mark.parametrize("kwargs,field", [(dict(erosion_rate=1.0), "erosion_rate"),
                                          (dict(erosion_rate=-0.1), "erosion_rate"),
                                          (dict(size=0), "size"), (dict(p=2), "p")])
def test_bad_fields_are_typed(kwargs, field):
    with pytest.raises(augkit.AugkitValueError, match=f"BBoxSafeCrop: {field}"):
        BBoxSafeCrop(**kwargs)
