"""`GeometricOp.window`: an op's matrix as an integer window resized and flipped, which `Seq`
composes on a bare image instead of numpy matrices. Every window must be what the matrix
does (`augkit.testing.check_window`), and the composed window what `mirrored_window` reads
off the fused matrix."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import augkit
from augkit import Sample, Seq
from augkit import compose as C
from augkit import poor as P
from augkit.core import GeometricOp, registered_ops
from augkit.functional import geometry as G
from augkit.sample import stand_in
from augkit.testing import check_window, example_instances


def _windowed_ops():
    return [op for cls in registered_ops().values()
            if issubclass(cls, GeometricOp) and cls.window is not GeometricOp.window
            for op in example_instances(cls)]


def test_the_ops_that_have_windows():
    names = {type(op).__name__ for op in _windowed_ops()}
    assert names >= {"RandomResizedCrop", "Resize", "HFlip", "VFlip"}


@pytest.mark.parametrize("op", _windowed_ops(), ids=lambda o: repr(o)[:40])
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(1, 700), w=st.integers(1, 700))
def test_every_window_is_what_the_matrix_does(op, seed, h, w):
    size = (h, w)
    params = op.sample(np.random.default_rng(seed), stand_in((h, w, 3), np.uint8))
    assert op.window(params, size) is not None  # its own draws are always a window
    check_window(op, params, size)


@given(h=st.integers(1, 64), w=st.integers(1, 64), data=st.data())
def test_resized_crop_windows_inside_and_outside_the_image(h, w, data):
    op = P.RandomResizedCrop(size=(7, 9))
    top, left = data.draw(st.integers(-3, h + 3)), data.draw(st.integers(-3, w + 3))
    ch, cw = data.draw(st.integers(0, h + 3)), data.draw(st.integers(0, w + 3))
    params = {"top": top, "left": left, "height": ch, "width": cw}
    win = op.window(params, (h, w))
    inside = top >= 0 and left >= 0 and 0 < ch <= h - top and 0 < cw <= w - left
    assert (win is not None) == inside
    if inside:
        check_window(op, params, (h, w))
    assert op.window({**params, "top": float(top)}, (h, w)) is None  # not an integer window


def test_check_window_fails_a_window_that_is_not_the_matrix():
    class _WrongFlip(P.HFlip):  # claims a top-bottom flip for its left-right matrix
        # (underscored: not registered, so no other test meets it)
        def window(self, params, size):
            w = super().window(params, size)
            return w[:4] + (0 if w[4] == 1 else w[4],)

    with pytest.raises(AssertionError, match="_WrongFlip: window"):
        check_window(_WrongFlip(p=1.0), {"flip": True}, (5, 6))


def _drawn(ops, seed, size):
    rng = np.random.default_rng(seed)
    drawn, view = [], stand_in(size + (3,), np.uint8)
    for op in ops:
        p = op.sample(rng, view)
        drawn.append((op, p, view.size))
        view = stand_in(tuple(op.out_size(p, view.size)) + (3,), np.uint8)
    return drawn, view.size


_FIRST = [P.RandomResizedCrop(size=(12, 10)), P.Resize(size=(9, 14)), P.HFlip(p=0.5),
          P.Crop(size=6), P.Rotate(degrees=10)]
_LATER = [P.HFlip(p=0.5), P.VFlip(p=0.5), P.HFlip(p=1.0), P.Resize(size=(12, 10)),
          P.Resize(size=(5, 5)), P.RandomResizedCrop(size=(12, 10))]


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(4, 80), w=st.integers(4, 80),
       first=st.sampled_from(_FIRST), later=st.lists(st.sampled_from(_LATER), max_size=3))
def test_the_composed_window_is_the_fused_matrix_window(seed, h, w, first, later):
    drawn, out = _drawn([first, *later], seed, (h, w))
    got = C._window(drawn)
    want = G.mirrored_window(C._composed(drawn), out, (h, w))
    if got is not None:  # else Seq falls back to the matrices
        assert got == want
    whole = all(isinstance(o, (P.HFlip, P.VFlip, P.Resize)) for o in later)
    if whole and not isinstance(first, (P.Crop, P.Rotate)):
        assert got is not None  # a resized window, its flips and resizes need no matrices


def test_a_window_after_the_first_op_declines():
    """Only the first op may cut: a later op must take its whole input (a flip, a resize)."""
    for ops in ([P.HFlip(p=1.0), P.RandomResizedCrop(size=8)],
                [P.Resize(size=50), P.RandomResizedCrop(size=8), P.HFlip()]):
        drawn, out = _drawn(ops, 0, (30, 40))
        assert C._window(drawn) is None
    drawn, out = _drawn([P.RandomResizedCrop(size=8), P.Resize(size=6)], 0, (30, 40))
    assert C._window(drawn) == G.mirrored_window(C._composed(drawn), out, (30, 40))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), h=st.integers(8, 64), w=st.integers(8, 64))
def test_a_crop_and_flip_on_a_bare_image_builds_no_matrix(seed, h, w):
    """The photo recipe's route: windows only (`_composed` never called), the pixels of
    `sample_apply`. (The output is larger than any window: always a resize.)"""
    seq = Seq([augkit.RandomResizedCrop(size=(70, 66)), augkit.HFlip(), augkit.VFlip()])
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    want = seq.sample_apply(np.random.default_rng(seed), Sample(img))[0].image
    calls = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(C, "_composed", lambda drawn: calls.append(drawn))
        got = seq(img, np.random.default_rng(seed))
    assert not calls and np.array_equal(got, want)
