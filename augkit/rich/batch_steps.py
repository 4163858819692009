"""The batched fast route of RandAugment and TrivialAugment at discrete magnitudes (numpy).

`augkit.batch.apply_batch` asks the runner first (`_Steps.batch_numpy`). The route draws
exactly what ``[op(img, rng) for img in images]`` draws, call for call and value for value,
but without the general path's per-image machinery (a params dict per image and step, a
plan per image, the steps keyed image by image):

* before any draw, every op the runner can pick at its magnitudes is compiled once into a
  small draw program (`_compile`): a standard `OneOf` is one ``rng.integers(k)``, an op whose
  `sample` takes a fixed number of doubles (`Op.batch_draw_count`) is that many
  ``rng.random()``, an op that draws nothing (probed with a generator that refuses every
  call) has fixed params. Anything else (continuous magnitudes, a plug-in op that draws its
  own way, a fill that misfits the images) declines the route: the general path runs;
* the draw loop walks those programs image by image, in the per-image order;
* each step position then runs as the general path runs it (`batch_plan.run_plans`): the
  matrix warps of one style in one `warp_batch` call (a fixed op's matrix is built once, a
  drawn one through `batch_params` / `batch_matrices`), the pixel ops of one `batch_key` in
  one `image_batch` call.

Same pixels as the per-image loop (tests/test_runner_batch_route.py holds it to that).
"""

from __future__ import annotations

import functools

import numpy as np

from ..batch_plan import NumpyBackend
from ..compose import OneOf, _standard
from ..core import GeometricOp, Op, PixelOp
from ..policy import space as S
from ..probability import p_of
from ..sample import stand_in

_CHOICE, _SAMPLE, _FIXED = 0, 1, 2
_MEMO_MAX = 512  # matrices kept per drawing op (runner magnitudes repeat their params)


class _NoDraws:
    """A generator that refuses every call: an op that samples with it draws nothing."""

    def __getattr__(self, name):
        raise _Drew(name)


class _Drew(Exception):
    pass


class _Leaf:
    """One op a program can end in: how its images run (`key`: the general path's step
    key), its fixed params and matrix (or None: drawn per image), and a memo of the
    matrices of the params it drew."""

    __slots__ = ("op", "key", "params", "matrix", "style", "memo")

    def __init__(self, op, key, params=None, matrix=None, style=None):
        self.op, self.key, self.params, self.matrix, self.style = op, key, params, matrix, style
        self.memo = {}

    def matrix_of(self, params, size):
        """``op.matrix(params, size)`` as the general path's plan builds it, memoised on the
        params' values."""
        try:
            key = tuple(params.values())
            m = self.memo.get(key)
        except TypeError:  # an unhashable value: no memo
            return np.asarray(self.op.matrix(params, size), np.float64)
        if m is None:
            if len(self.memo) >= _MEMO_MAX:
                self.memo.clear()
            m = self.memo[key] = np.asarray(self.op.matrix(params, size), np.float64)
        return m


def _compile(op, view, leaves: list):
    """A draw program for `op` on images like `view`, or None when the route cannot take
    it. Programs: (_CHOICE, [programs]), (_SAMPLE, leaf id) (its standard `sample`, per
    image), (_FIXED, leaf id) (it draws nothing)."""
    size = view.size
    if type(op) is OneOf and _standard(op, OneOf) and op.weights is None and p_of(op) >= 1:
        subs = [_compile(o, view, leaves) for o in op.ops]
        return None if any(s is None for s in subs) else (_CHOICE, subs)
    if op.children() or type(op).sample_apply is not Op.sample_apply or p_of(op) < 1:
        return None  # it draws its own way (or skips): the general path runs it
    if op.geometric:
        if not op.is_matrix_warp() or op.batch_out_size(size) != tuple(size) or \
                type(op).draw_for_batch is not GeometricOp.draw_for_batch:
            return None
        style = op.warp_style()
        leaf = _Leaf(op, ("warp", tuple(size), style), style=style)
    elif isinstance(op, PixelOp) and type(op).draw_for_batch is Op.draw_for_batch and \
            type(op).plan_batch is Op.plan_batch:
        leaf = _Leaf(op, ("leaf", op.batch_key()))
    else:
        return None
    leaves.append(leaf)
    try:
        params = op.sample(_NoDraws(), view)
    except _Drew:
        return (_SAMPLE, len(leaves) - 1)
    except Exception:  # a refusal: the general path raises it where the per-image one does
        return None
    leaf.params = params
    if leaf.style is not None:
        leaf.matrix = leaf.matrix_of(params, size)
    return (_FIXED, len(leaves) - 1)


@functools.lru_cache(maxsize=32)
def _table(runner, shape, dtype, entries):
    """(programs, leaves) for every (op, magnitude) `runner` can pick, or None."""
    view = stand_in(shape, dtype)
    leaves: list = []
    progs = []
    for name, m in runner._batch_choices():
        prog = _compile(runner._op(name, m), view, leaves)
        if prog is None:
            return None
        progs.append(prog)
    return progs, leaves


def run(runner, arr: np.ndarray, rng) -> np.ndarray | None:
    """The runner over batch `arr` (B, H, W, C), or None (before any draw) when the route
    does not apply."""
    spec = runner._batch_spec()
    if spec is None:
        return None
    names = runner.op_names()
    view = stand_in(tuple(arr.shape[1:]), arr.dtype)
    if not runner._fills_fit(view):  # the general path raises it where the per-image one does
        return None
    key = (tuple(arr.shape[1:]), arr.dtype, tuple(id(S.TABLE.get(n)) for n in names))
    try:
        table = _table(runner, *key)
    except TypeError:  # an unhashable field value: compiled for this call only
        table = _table.__wrapped__(runner, *key)
    if table is None:
        return None
    progs, leaves = table
    ids, drawn = _draw(spec, progs, leaves, view, rng, arr.shape[0], p_of(runner))
    return _execute(arr, ids, drawn, leaves)


def _draw(spec, progs, leaves, view, rng, n_images, keep):
    """Per step position: each image's leaf id (-1: no op) and its drawn params (None:
    the leaf's fixed ones). `keep`: the runner's own `p` of the op contract (an image
    whose first double is at or above it is skipped whole, as `probability` skips it)."""
    steps, pick, p = spec  # steps per image; pick(rng) -> program index; step probability
    ints, rand = rng.integers, rng.random
    ids = [[-1] * n_images for _ in range(steps)]
    drawn = [[None] * n_images for _ in range(steps)]
    for j in range(n_images):
        if keep < 1.0 and rand() >= keep:
            continue
        for t in range(steps):
            node = progs[pick(rng)]
            if p < 1.0 and rand() >= p:
                continue
            while node[0] == _CHOICE:
                sub = node[1]
                node = sub[int(ints(len(sub)))]
            lid = ids[t][j] = node[1]
            if node[0] == _SAMPLE:
                drawn[t][j] = leaves[lid].op.sample(rng, view)
    return ids, drawn


def _execute(arr, ids, drawn, leaves):
    """Each step position as `batch_plan.run_plans` runs it: images grouped by step key."""
    n = arr.shape[0]
    size = tuple(arr.shape[1:3])
    out, owned = arr, False
    for t in range(len(ids)):
        groups: dict = {}
        for j, lid in enumerate(ids[t]):
            if lid >= 0:
                groups.setdefault(leaves[lid].key, []).append(j)
        for key, idx in groups.items():
            first = leaves[ids[t][idx[0]]]
            got = [(leaves[ids[t][j]], drawn[t][j]) for j in idx]
            x = out if len(idx) == n else out[idx]
            if key[0] == "warp":
                ms = np.array([lf.matrix if p is None else lf.matrix_of(p, size)
                               for lf, p in got])
                y = NumpyBackend.warp(x, ms, size, first.style, first.op)
            else:
                y = NumpyBackend.leaf(first.op, x, [lf.params if p is None else p
                                                    for lf, p in got], size)
            if len(idx) == n:
                out, owned = y, True
                continue
            if not owned:
                out, owned = out.copy(), True
            out[idx] = y
    return out if owned else arr.copy()
