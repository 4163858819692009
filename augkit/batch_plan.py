"""The batched path's planning, shared by the numpy executor (`augkit.batch`) and the torch
one (`augkit.batch_torch`): per-image draws in per-image order, per-image plans of steps
(made by the ops themselves), and running plans over a batch through a backend that knows
how to warp, run a leaf, take and put images. Knows no op class.
"""

from __future__ import annotations

import numpy as np

from .errors import value_error
from .functional.batch_warp import warp_batch
from .sample import Sample, stand_in


class NeedsPixels(Exception):
    """Raised by `Op.draw_for_batch` for an op that draws inside its own `sample_apply` (its
    `sample` does not say its params): the batch then draws image by image through
    `sample_apply` (`sample_batch`, `sample_items`), from the same generator state."""


def multi_image_error(op):
    """The typed error of the batched path for an op that combines each sample with other
    samples (``extra_samples`` > 0: Mosaic, CopyPaste): a batch of images carries none."""
    from .errors import type_error

    return type_error(op, "batch", f"is not supported: {type(op).__name__} combines each "
                      "sample with other samples (Sample.extras), which a batch of images "
                      "does not carry; apply it per sample (AugmentedDataset) before "
                      "collating")


def refuse_multi_image(op) -> None:
    """Raise `multi_image_error` when `op` or an op inside it is a multi-image op: checked
    before any draw, so the refusal does not depend on which images draw it."""
    if getattr(op, "extra_samples", 0):
        raise multi_image_error(op)
    for c in op.children():
        refuse_multi_image(c)


def _image(images, j):
    img = images[j]
    return img[..., 0] if img.ndim == 3 and img.shape[-1] == 1 else img


def sample_batch(op, rng: np.random.Generator, images) -> list:
    """Per-image parameters, drawn in the order ``[op(img, rng) for img in images]`` draws.

    ``images`` is a (B, H, W[, C]) array: only its shape and dtype are read, unless the op
    draws inside its own `sample_apply` (then each image is run through it for its params;
    the executors run such ops image by image instead: `Op.batch_needs_pixels`)."""
    view = stand_in(tuple(images.shape[1:]), images.dtype)
    state = rng.bit_generator.state
    try:
        return [op.draw_for_batch(rng, view)[0] for _ in range(images.shape[0])]
    except NeedsPixels:
        rng.bit_generator.state = state
        return [op.sample_apply(rng, Sample(_image(images, j)))[1]
                for j in range(images.shape[0])]


def sample_items(op, rngs, images) -> list:
    """Image j's parameters drawn from its own generator ``rngs[j]`` (per-item streams: what
    ``op(images[j], rngs[j])`` draws), with one pixel-less view for the whole batch."""
    view = stand_in(tuple(images.shape[1:]), images.dtype)
    out = []
    for j, r in enumerate(rngs):
        state = r.bit_generator.state
        try:
            out.append(op.draw_for_batch(r, view)[0])
        except NeedsPixels:
            r.bit_generator.state = state
            out.append(op.sample_apply(r, Sample(_image(images, j)))[1])
    return out


def one_by_one(op, images, rngs) -> np.ndarray:
    """``op.sample_apply(rngs[j], Sample(images[j]))`` image by image, stacked: the per-image
    path itself, for ops that draw inside their own `sample_apply` (`Op.batch_needs_pixels`)."""
    outs = [op.sample_apply(r, Sample(_image(images, j)))[0].image for j, r in enumerate(rngs)]
    return stack_outputs(outs, images, op)


def rows_of(cols: dict, n: int) -> list[dict]:
    """One array per key -> n per-image params dicts of plain Python values."""
    if not cols:
        return [{} for _ in range(n)]
    keys = list(cols)
    vals = [np.asarray(cols[k]).tolist() for k in keys]
    return [dict(zip(keys, row)) for row in zip(*vals)]


def columns_of(params: list[dict]) -> dict:
    """Per-image params dicts -> one array per key."""
    return {k: np.array([p[k] for p in params]) for k in params[0]} if params else {}


def stack_outputs(outs: list, x: np.ndarray, op) -> np.ndarray:
    """Per-image outputs of a (B, H, W, C) batch as one array of the batch's layout."""
    first = outs[0]
    for o in outs:
        if o.shape != first.shape or o.dtype != first.dtype:
            raise value_error(op, "images", f"came out as {first.shape} and {o.shape}; a batch "
                              "needs one output size")
    out = np.stack(outs)
    return out.reshape(out.shape[:3] + x.shape[3:]) if out.ndim == 3 else out


# --- the general path: per-image plans, grouped step by step --------------------------------

def plans_of(op, params: list, size) -> list[list]:
    """Each image's steps (("warp", matrix, out_size, style, op, group) / ("leaf", op,
    params, out_size)),
    planned by the op itself (`Op.plan_batch`; combinators and runners plan their parts)."""
    plans = []
    for p in params:
        steps: list = []
        op.plan_batch(p, tuple(size), steps)
        plans.append(steps)
    return plans


def _step_key(step) -> tuple:
    """Steps with equal keys run as one call: warps of one output size and style (each image
    its own matrix), leaves whose ops share a `batch_key` (each image its own params)."""
    if step[0] == "warp":
        return ("warp", step[2], step[3])
    return ("leaf", step[1].batch_key())


def _sizes_agree(plans, size) -> bool:
    """Whether all images have one size after every step position (an image with fewer steps
    keeps its last size): then the batch can run step by step."""
    first = None
    longest = max(len(p) for p in plans)
    for steps in plans:
        seq, cur = [], tuple(size)
        for k in range(longest):
            if k < len(steps):
                cur = tuple(steps[k][2] if steps[k][0] == "warp" else steps[k][3])
            seq.append(cur)
        if first is None:
            first = seq
        elif seq != first:
            return False
    return True


def _run_step(be, step, x, group):
    if step[0] == "warp":
        return be.warp(x, np.stack([st[1] for st in group]), step[2], step[3], step[4],
                       [st[5] for st in group])
    return be.leaf(step[1], x, [st[2] for st in group], step[3])


def run_plans(op, x, plans: list, be):
    """Run per-image plans over batch `x` with backend `be` (`batch.NumpyBackend`,
    `batch_torch.TorchBackend`). When sizes agree at every step position, step by
    step: at position k the images are grouped by their k-th step (`_step_key`), so a runner
    that picks one of 14 ops per image makes at most 14 calls per step, not one per image.
    Otherwise images are grouped by their whole plan."""
    n = x.shape[0]
    if any(plans) and _sizes_agree(plans, be.size(x)):
        out, owned = x, False
        for k in range(max(len(p) for p in plans)):
            groups: dict[tuple, list[int]] = {}
            for i, steps in enumerate(plans):
                if k < len(steps):
                    groups.setdefault(_step_key(steps[k]), []).append(i)
            resized = None  # the batch at its new size, when this position changes it
            for idx in groups.values():
                group = [plans[i][k] for i in idx]
                if len(idx) == n:
                    out, owned = _run_step(be, group[0], out, group), True
                    continue
                y = _run_step(be, group[0], be.take(out, idx), group)
                if be.size(y) != be.size(out):  # (sizes agree: every group changes alike)
                    resized = be.empty(n, y) if resized is None else resized
                    be.put(resized, idx, y)
                    continue
                if not owned:
                    out, owned = be.copy(out), True
                be.put(out, idx, y)
            if resized is not None:
                out, owned = resized, True
        return out if owned and out is not x else be.copy(x)
    groups = {}
    for i, steps in enumerate(plans):
        groups.setdefault(tuple(_step_key(st) for st in steps), []).append(i)
    result = None
    for idx in groups.values():
        y = x if len(idx) == n else be.take(x, idx)
        for k, step in enumerate(plans[idx[0]]):
            y = _run_step(be, step, y, [plans[i][k] for i in idx])
        if len(idx) == n:
            return y if y is not x else be.copy(x)
        if result is None:
            result = be.empty(n, y)
        elif result.shape[1:] != y.shape[1:] or result.dtype != y.dtype:
            raise value_error(op, "images", f"would come out as {tuple(result.shape[1:])} and "
                              f"{tuple(y.shape[1:])}; a batch needs one output size")
        be.put(result, idx, y)
    return result


class NumpyBackend:
    """How the general path runs on numpy (B, H, W, C) batches (torch has its own)."""

    @staticmethod
    def warp(x, ms, out_size, style, op, groups=None):
        return warp_batch(x, ms, out_size, style[0], style[1], op, style[3])

    @staticmethod
    def leaf(op, x, params, size=None):
        return _leaf_batch(op, x, params, size)

    @staticmethod
    def size(x):
        return tuple(x.shape[1:3])

    @staticmethod
    def take(x, idx):
        return x[idx]

    @staticmethod
    def put(x, idx, y):
        x[idx] = y

    @staticmethod
    def copy(x):
        return x.copy()

    @staticmethod
    def empty(n, like):
        return np.empty((n,) + like.shape[1:], like.dtype)


def _leaf_batch(op, x: np.ndarray, params: list, size=None) -> np.ndarray:
    out = op.image_batch(x, params)
    want = tuple(x.shape[1:3]) if size is None else tuple(size)
    if tuple(out.shape[1:3]) != want:  # later draws assumed the planned size
        raise value_error(op, "images", f"changed size {tuple(x.shape[1:3])} -> "
                          f"{tuple(out.shape[1:3])}, not the planned {want}; the batched path "
                          "resizes only as an op's out_size says (use the per-image path "
                          "for this op)")
    return out
