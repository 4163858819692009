"""The exact copy paths of `geometry.warp_checked` give the matrix warp's pixels: a fused
flip and integer shift (PadCrop + HFlip in a `Seq`) is a mirror and a shifted copy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit.functional import geometry as G


def _opencv(img, m, out_size, interp, fill):
    """The warp OpenCV makes of the same matrix (no fast path)."""
    import cv2

    oh, ow = out_size
    mc = G.to_cv(m)[:2]
    flag = cv2.INTER_NEAREST if interp == "nearest" else cv2.INTER_LINEAR
    out = cv2.warpAffine(img, mc, (ow, oh), flags=flag, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=G._border(fill))
    return out.reshape((oh, ow) + img.shape[2:])


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(1, 20), w=st.integers(1, 20),
       c=st.sampled_from([1, 3, 4]), sx=st.sampled_from([-1.0, 1.0]),
       sy=st.sampled_from([-1.0, 1.0]), tx=st.integers(-25, 45), ty=st.integers(-25, 45),
       oh=st.integers(1, 24), ow=st.integers(1, 24), dtype=st.sampled_from(["u8", "f32"]),
       interp=st.sampled_from(["linear", "nearest"]))
def test_mirror_and_integer_shift_equal_the_opencv_warp(seed, h, w, c, sx, sy, tx, ty, oh,
                                                        ow, dtype, interp):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
    fill = 7.0
    if dtype == "f32":
        img, fill = img.astype(np.float32) / 255, 0.25
    m = np.array([[sx, 0.0, float(tx)], [0.0, sy, float(ty)], [0.0, 0.0, 1.0]])
    got = G.warp_checked(img, m, (oh, ow), interp, fill)
    want = _opencv(img, m, (oh, ow), interp, fill)
    if dtype == "u8":
        np.testing.assert_array_equal(got, want)
    else:  # OpenCV's float weights at whole-pixel positions can be 1 - 4e-9: the copy is exact
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


@pytest.mark.parametrize("code,m", [(1, [[-1, 0, 36], [0, 1, -2]]),
                                    (0, [[1, 0, 3], [0, -1, 30]]),
                                    (-1, [[-1, 0, 40], [0, -1, 40]])])
def test_the_mirror_shift_takes_the_copy_path(code, m, monkeypatch):
    calls = []
    monkeypatch.setattr(G, "warp_cv", lambda *a, **k: calls.append(a))
    img = np.arange(32 * 32 * 3, dtype=np.uint8).reshape(32, 32, 3)
    mat = np.array(m + [[0, 0, 1]], float)
    out = G.warp_checked(img, mat, (32, 32), "linear", 0.0)
    assert not calls and out.shape == img.shape  # no OpenCV warp
