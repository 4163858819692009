"""`p` on every op (`augkit.probability`): the contract's skip, over every registered op that
takes it, on the per-image path, its replay, the batched paths and serialisation. `Maybe` is
the independent implementation of the same meaning (draw u; apply when u < p) that the
contract's `p` must match draw for draw."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit import Sample
from augkit.batch import apply_batch_items
from augkit.compose import Maybe, OneOf, Seq
from augkit.core import registered_ops
from augkit.errors import AugkitError
from augkit.poor import HFlip, Rotate, Scale, Translate
from augkit.poor.color import ColorShift
from augkit.serial import from_dict, to_dict
from augkit.testing import assert_same, default_sample, example_instances, refuses_targets

REGISTRY = registered_ops()
# (multi-image ops need Sample.extras: their p is tested in tests/test_multi_image.py)
CONTRACT = sorted(n for n, c in REGISTRY.items() if c.contract_p
                  and not getattr(c, "extra_samples", 0))
# ops returning standardised float32 take p = 1 only (test_standardising_ops_refuse_p)
SKIPPABLE = [n for n in CONTRACT if not REGISTRY[n].__dict__.get("standardizes", False)]
OWN_P = sorted(n for n, c in REGISTRY.items()
               if not c.contract_p and "p" in {f.name for f in dataclasses.fields(c)})


def _op(name, p):
    op = example_instances(REGISTRY[name])[0]
    return op if name not in SKIPPABLE else dataclasses.replace(op, p=p)


def _sample(op, seed=0):
    s = default_sample(seed)
    return Sample(s.image) if refuses_targets(op) else s


def test_every_op_takes_p():
    """Every registered op has a `p`: the contract's, or its own documented one."""
    assert len(CONTRACT) >= 40
    for name, cls in REGISTRY.items():
        assert "p" in {f.name for f in dataclasses.fields(cls)}, name
    # the contract's p is keyword-only: no existing positional call changes meaning
    assert ColorShift(0.3).brightness == 0.3 and ColorShift(p=0.8).p == 0.8
    assert HFlip(0.3).p == 0.3 and "HFlip" in OWN_P and "RandAugment" in OWN_P


@pytest.mark.parametrize("name", SKIPPABLE)
def test_p0_leaves_the_sample_untouched(name):
    op = _op(name, 0.0)
    s = _sample(op)
    out, params = op.sample_apply(np.random.default_rng(1), s)
    assert params == {"skipped": True}
    assert_same(out, s, f"{name}(p=0)")
    assert op.sample(np.random.default_rng(1), s) == {"skipped": True}
    assert_same(op.apply(s, {"skipped": True}), s, f"{name}.apply(skipped)")
    assert np.array_equal(op(s.image, np.random.default_rng(2)), s.image)


@pytest.mark.parametrize("name", SKIPPABLE)
def test_p_matches_maybe_draw_for_draw(name):
    """op(p) and Maybe(op(p=1), p) draw the same doubles and give the same output; replaying
    the params gives the call's output."""
    op = _op(name, 0.5)
    maybe = Maybe(dataclasses.replace(op, p=1.0), 0.5)
    skipped = applied = 0
    for seed in range(12):
        s = _sample(op, seed)
        r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
        out, params = op.sample_apply(r1, s)
        ref, mparams = maybe.sample_apply(r2, s)
        assert_same(out, ref, f"{name}(p=0.5) vs Maybe, seed {seed}")
        assert r1.random() == r2.random(), "the generators must have moved alike"
        assert params.get("skipped", False) is (not mparams["applied"])
        skipped += params.get("skipped", False)
        applied += not params.get("skipped", False)
        assert_same(op.apply(s, params), out, f"{name} replay, seed {seed}")
    assert skipped and applied  # both branches exercised (probability 1 - 2 * 0.5**12)


@pytest.mark.parametrize("name", CONTRACT)
def test_batched_paths_honour_p(name):
    """op.batch on numpy and torch, and per-item streams, equal the per-image calls."""
    op = _op(name, 0.5)
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (6, 24, 32, 3), dtype=np.uint8)
    want = [op(img, np.random.default_rng(10 + j)) for j, img in enumerate(images)]
    if len({w.shape for w in want}) != 1:
        return  # skips and resizes give ragged outputs: the batch refuses those (tested below)
    got = apply_batch_items(op, images, [np.random.default_rng(10 + j) for j in range(6)])
    assert np.array_equal(got, np.stack(want)), name
    got_t = apply_batch_items(op, torch.from_numpy(images).permute(0, 3, 1, 2),
                              [np.random.default_rng(10 + j) for j in range(6)])
    diff = np.abs(got_t.permute(0, 2, 3, 1).numpy().astype(int) - np.stack(want))
    assert diff.max() <= 1, name  # the torch kernels' documented tolerance (docs/gpu.md)
    # one generator for the whole batch: the same as calling image after image with it
    r = np.random.default_rng(5)
    seq = [op(img, r) for img in images]
    if len({x.shape for x in seq}) != 1:
        with pytest.raises(AugkitError):
            op.batch(images, np.random.default_rng(5))
        return
    assert np.array_equal(op.batch(images, np.random.default_rng(5)), np.stack(seq)), name


def test_fused_run_with_a_skipping_step():
    """A Seq whose geometric run holds a p < 1 step: not fused across it, the batch equal to
    the per-image path, and the fused steps around it still one warp."""
    op = Seq((Rotate(degrees=20.0), Scale(p=0.5), Translate()))
    images = np.random.default_rng(0).integers(0, 256, (8, 20, 20, 3), dtype=np.uint8)
    r = np.random.default_rng(9)
    want = np.stack([op(img, r) for img in images])
    assert np.array_equal(op.batch(images, np.random.default_rng(9)), want)
    t = torch.from_numpy(images).permute(0, 3, 1, 2)
    got = op.batch(t, np.random.default_rng(9)).permute(0, 2, 3, 1).numpy()
    assert np.abs(got.astype(int) - want).max() <= 1  # the torch warp's linear tolerance
    flags = [op.sample(np.random.default_rng(k), Sample(images[0]))["steps"][1]
             for k in range(20)]
    assert any(f == {"skipped": True} for f in flags) and any(f != {"skipped": True}
                                                               for f in flags)


@settings(max_examples=30, deadline=None)
@given(p=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_skip_rate_and_stream(p, seed):
    """The skip is one double u, applied when u < p; at p = 1 nothing is drawn."""
    op = ColorShift(p=p)
    s = Sample(np.zeros((4, 4, 3), np.uint8))
    r = np.random.default_rng(seed)
    u = np.random.default_rng(seed).random()
    params = op.sample(r, s)
    if p >= 1.0:  # nothing drawn for the skip: the params and stream of the op as before
        r2 = np.random.default_rng(seed)
        assert params == ColorShift().sample(r2, s) and r.random() == r2.random()
    assert ("skipped" in params) is (p < 1.0 and u >= p)


def test_skip_frequency():
    op = OneOf((HFlip(p=1.0), Rotate()), p=0.3)
    r = np.random.default_rng(0)
    s = Sample(np.zeros((4, 4, 3), np.uint8))
    n = 4000
    applied = sum("skipped" not in op.sample(r, s) for _ in range(n))
    assert abs(applied / n - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)


def test_serialisation_of_p():
    op = Seq((Rotate(degrees=10.0, p=0.25), ColorShift()), p=0.5)
    d = to_dict(op)
    assert d["p"] == 0.5 and d["ops"][0]["p"] == 0.25
    assert "p" not in d["ops"][1]  # the default is not written: old files stay as they were
    assert from_dict(d) == op
    assert from_dict({"type": "Rotate", "degrees": 5.0}).p == 1.0


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan"), True, "0.5", None])
def test_bad_p_is_a_typed_error(bad):
    with pytest.raises(AugkitError, match=r"ColorShift.*\bp\b"):
        ColorShift(p=bad)


def test_inputs_untouched_and_targets_kept_when_skipped():
    s = default_sample(0)
    before = {f: np.array(getattr(s, f), copy=True) for f in ("image", "mask", "boxes")}
    out, params = Rotate(degrees=30.0, p=0.0).sample_apply(np.random.default_rng(0), s)
    assert params == {"skipped": True}
    for f, v in before.items():
        assert np.array_equal(getattr(s, f), v) and np.array_equal(getattr(out, f), v)


def test_standardising_ops_refuse_p():
    """Whiten / Normalize return float32 standardised images: a skipped image would stay
    uint8 in [0, 255], so p < 1 is a typed error naming the field."""
    for name in ("Whiten", "Normalize"):
        with pytest.raises(AugkitError, match=rf"{name}.*\bp\b"):
            REGISTRY[name](p=0.5)


def test_interop_carries_p():
    import albumentations as Alb

    from augkit.interop.albumentations import from_albu, to_albu

    assert to_albu(Rotate(degrees=10.0, p=0.3)).p == 0.3
    assert to_albu(Seq((Rotate(degrees=10.0),), p=0.4)).p == 0.4
    op = from_albu(Alb.Compose([Alb.HorizontalFlip(p=0.5)], p=0.25), native=True)
    assert isinstance(op, Seq) and op.p == 0.25 and op.ops == (HFlip(p=0.5),)
