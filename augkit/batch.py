"""The batched path: per-sample parameters, one pass over a whole batch of images.

``apply_batch(op, images, rng)`` gives the same result as augmenting each image in turn,
``[op(img, rng) for img in images]``, with the same `rng`: parameters are drawn image by
image in exactly that order (same calls, same values), then every step runs once over the
batch with all per-call Python work hoisted out:

* flips: one OpenCV call over the whole stacked batch when every image flips;
* crops, pads and integer shifts (``PadCrop``, ``Crop``, ``Pad``, ``Translate`` in pixels):
  the batch is padded once, then each image is one slice copy;
* other geometric ops (rotate, scale, shear, affine, resized crops, ...): the matrices come
  from each op's own `sample` and `matrix` (consecutive geometric ops inside a `Seq` are
  fused into one matrix, exactly where ``Seq`` fuses them), are converted for OpenCV in one
  vectorised step, and each image is warped straight into the output batch;
* pixel ops: an op may offer ``image_batch(images, params_list)`` for a vectorised kernel;
  otherwise its ``image`` kernel runs per image (no boundary checks, no `Sample` per call);
* any other op (CutOut, elastic, runners): its ``apply`` per image.

Images only: the batch path moves no masks, boxes or keypoints (use the per-sample path for
those). Inputs: numpy ``(B, H, W, C)`` or ``(B, H, W)`` uint8 / float32 in [0, 1], or a torch
``(B, C, H, W)`` tensor; the output is the same kind. Every image must end the same size.
"""

from __future__ import annotations

import numpy as np

from ._batch_ops import (
    SIZE_KEPT,
    columns,
    columns_of,
    has_matrices,
    leaf_batch,
    matmul3s,
    matrices,
    out_size,
    rows_of,
    uniforms,
)
from .compose import Maybe, OneOf, Seq, SomeOf, _style_compatible, fuse_groups
from .core import GeometricOp, Op, PixelOp
from .errors import type_error, value_error
from .functional.batch import warp_batch
from .rng import resolve_rng
from .sample import Sample

__all__ = ["apply_batch", "sample_batch", "apply_batch_params"]


def apply_batch(op: Op, images, rng: np.random.Generator | None = None):
    """Augment every image of a batch with its own parameters; returns the same kind."""
    arr, back = _to_bhwc(images, op)
    rng = resolve_rng(rng, op)
    plan = _static_plan(op)
    if plan is not None:
        return back(_run_static(plan, arr, rng))
    params = sample_batch(op, rng, arr)
    return back(_apply(op, arr, params))


def sample_batch(op: Op, rng: np.random.Generator, images) -> list:
    """Per-image parameters, drawn in the order ``[op(img, rng) for img in images]`` draws.

    ``images`` is a (B, H, W[, C]) array (only its shape and dtype are read)."""
    shape = tuple(images.shape[1:])
    view = Sample(np.broadcast_to(np.zeros((), images.dtype), shape))
    return [_draw(op, rng, view) for _ in range(images.shape[0])]


def apply_batch_params(op: Op, images, params: list):
    """Apply recorded per-image parameters (from `sample_batch` or ``op.sample``)."""
    arr, back = _to_bhwc(images, op)
    if len(params) != arr.shape[0]:
        raise value_error(op, "params", f"has {len(params)} entries for a batch of "
                          f"{arr.shape[0]} images")
    return back(_apply(op, arr, params))


# --- the static path: a fixed chain of ops, every step vectorised -------------------------

def _static_plan(op) -> list | None:
    """Stages [("geo", ops, style) | ("leaf", op)] when every image takes the same steps
    (no Maybe / OneOf / SomeOf), else None (the general path)."""
    if type(op) is Seq:
        ops, fuse = op.ops, op.fuse
    else:
        ops, fuse = (op,), False
    plan: list = []
    for o in ops:
        if isinstance(o, GeometricOp):
            if not has_matrices(o):
                return None
            style = o.warp_style()
            if fuse and plan and plan[-1][0] == "geo":
                merged = _style_compatible(plan[-1][2], style)
                if merged is not None:
                    plan[-1] = ("geo", plan[-1][1] + [o], merged)
                    continue
            plan.append(("geo", [o], style))
        elif o.children() or type(o).sample_apply is not Op.sample_apply:
            return None
        else:
            plan.append(("leaf", o))
    return plan


def _run_static(plan, arr, rng):
    n = arr.shape[0]
    ops = [o for st in plan for o in (st[1] if st[0] == "geo" else [st[1]])]
    ks = [uniforms(o) for o in ops]
    if all(k is not None for k in ks):  # one draw for the whole batch, bit-identical
        u = rng.random((n, sum(ks)))
        cols, at = [], 0
        for o, k in zip(ops, ks):
            cols.append(columns(o, u[:, at:at + k]))
            at += k
        plist = None
    else:
        plist = _draw_static(ops, rng, arr)
        cols = [columns_of(ps) if isinstance(o, GeometricOp) else None
                for o, ps in zip(ops, plist)]
    x, i, size = arr, 0, tuple(arr.shape[1:3])
    for st in plan:
        if st[0] == "leaf":
            x = _leaf_batch(st[1], x, plist[i] if plist else rows_of(cols[i]))
            i += 1
            continue
        ms = None
        for o in st[1]:
            m = matrices(o, cols[i], size, n)
            ms = m if ms is None else matmul3s(m, ms)
            size = out_size(o, size, plist[i][0] if plist else {})
            i += 1
        x = warp_batch(x, ms, size, st[2][0], st[2][1], st[1][0])
        size = tuple(x.shape[1:3])
    return x if x is not arr else arr.copy()


def _draw_static(ops, rng, arr):
    """Per-image draws in per-image order; returns one params list per op."""
    n = arr.shape[0]
    shapes, size = [], tuple(arr.shape[1:3])
    for o in ops:  # the size each op sees (listed geometric ops fix it without a draw)
        shapes.append(size)
        if isinstance(o, GeometricOp) and type(o) not in SIZE_KEPT:
            size = tuple(int(v) for v in o.out_size(_probe(o, rng, size, arr), size))
    views = [Sample(np.broadcast_to(np.zeros((), arr.dtype), sz + arr.shape[3:]))
             for sz in shapes]
    out = [[None] * n for _ in ops]
    for j in range(n):
        for k, o in enumerate(ops):
            out[k][j] = o.sample(rng, views[k])
    return out


def _probe(op, rng, size, arr):
    """Params for `out_size` of an op whose size depends on fields only (no draw kept)."""
    return op.sample(np.random.default_rng(0), Sample(
        np.broadcast_to(np.zeros((), arr.dtype), size + arr.shape[3:])))


# --- drawing: mirrors each combinator's sample_apply, without touching pixels ------------

def _view(s: Sample, size) -> Sample:
    if tuple(size) == s.size:
        return s
    shape = tuple(size) + s.image.shape[2:]
    return Sample(np.broadcast_to(np.zeros((), s.image.dtype), shape))


def _draw(op, rng, s):
    return _draw_size(op, rng, s)[0]


def _draw_size(op, rng, s):
    """(params, size after op). Exact types only: a subclass may draw differently."""
    t = type(op)
    if t is Seq:
        steps = []
        for o in op.ops:
            p, size = _draw_size(o, rng, s)
            steps.append(p)
            s = _view(s, size)
        return {"steps": steps}, s.size
    if t is Maybe:
        if rng.random() < op.p:
            p, size = _draw_size(op.op, rng, s)
            return {"applied": True, "params": p}, size
        return {"applied": False, "params": None}, s.size
    if t is OneOf:
        i = op._choose(rng)
        p, size = _draw_size(op.ops[i], rng, s)
        return {"index": i, "params": p}, size
    if t is SomeOf:
        idx, ps = op._choose(rng), []
        for i in idx:
            p, size = _draw_size(op.ops[i], rng, s)
            ps.append(p)
            s = _view(s, size)
        return {"indices": idx, "params": ps}, s.size
    p = op.sample(rng, s)
    if isinstance(op, GeometricOp):
        return p, tuple(int(v) for v in op.out_size(p, s.size))
    return p, s.size  # other ops keep the size; checked when applied


# --- flattening: one image's params -> steps, fused where Seq fuses ----------------------

def _steps(op, p, size, out: list):
    t = type(op)
    if t is Seq:
        run: list = []
        for o, q in zip(op.ops, p["steps"]):
            if op.fuse and isinstance(o, GeometricOp):
                run.append((o, q, size))
                size = tuple(int(v) for v in o.out_size(q, size))
                continue
            _flush(run, out)
            run = []
            size = _steps(o, q, size, out)
        _flush(run, out)
        return size
    if t is Maybe:
        return _steps(op.op, p["params"], size, out) if p["applied"] else size
    if t is OneOf:
        return _steps(op.ops[p["index"]], p["params"], size, out)
    if t is SomeOf:
        for i, q in zip(p["indices"], p["params"]):
            size = _steps(op.ops[i], q, size, out)
        return size
    if isinstance(op, GeometricOp) and type(op).apply is GeometricOp.apply:
        _flush([(op, p, size)], out)
        return tuple(int(v) for v in op.out_size(p, size))
    out.append(("leaf", op, p))
    return size


def _flush(run, out):
    """Group a run of geometric ops by warp style, exactly as `compose._flush` does."""
    for group, m, osize, style in fuse_groups(run):
        op, p = group[0]
        if len(group) == 1 and type(op).apply is not GeometricOp.apply:
            out.append(("leaf", op, p))
        else:
            out.append(("warp", np.asarray(m, np.float64), (int(osize[0]), int(osize[1])),
                        style, op))  # op: named by fill errors


# --- applying ------------------------------------------------------------------------------

def _signature(steps) -> tuple:
    return tuple((s[0], id(s[1])) if s[0] == "leaf" else (s[0], s[2], s[3]) for s in steps)


def _apply(op, arr: np.ndarray, params: list) -> np.ndarray:
    n, size = arr.shape[0], arr.shape[1:3]
    plans = []
    for p in params:
        steps: list = []
        _steps(op, p, size, steps)
        plans.append(steps)
    groups: dict[tuple, list[int]] = {}
    for i, steps in enumerate(plans):
        groups.setdefault(_signature(steps), []).append(i)
    result = None
    for idx in groups.values():
        x = arr if len(idx) == n else arr[idx]
        for k, step in enumerate(plans[idx[0]]):
            if step[0] == "warp":
                ms = np.stack([plans[i][k][1] for i in idx])
                x = warp_batch(x, ms, step[2], step[3][0], step[3][1], step[4])
            else:
                x = _leaf_batch(step[1], x, [plans[i][k][2] for i in idx])
        if len(idx) == n:
            return x if x is not arr else arr.copy()
        if result is None:
            result = np.empty((n,) + x.shape[1:], x.dtype)
        elif result.shape[1:] != x.shape[1:] or result.dtype != x.dtype:
            raise value_error(op, "images", f"would come out as {result.shape[1:]} and "
                              f"{x.shape[1:]}; a batch needs one output size")
        result[idx] = x
    return result


def _leaf_batch(op, x: np.ndarray, params: list) -> np.ndarray:
    hook = getattr(op, "image_batch", None)
    out = hook(x, params) if hook is not None else leaf_batch(op, x, params)
    if out is None:
        if isinstance(op, PixelOp) and type(op).apply is PixelOp.apply:  # (Identity has
            outs = [op.image(x[j], p) for j, p in enumerate(params)]     # no image kernel)
        else:
            outs = [op.apply(Sample(x[j]), p).image for j, p in enumerate(params)]
        out = _stack(outs, x, op)
    if out.shape[1:3] != x.shape[1:3]:  # later draws assumed the size was kept
        raise value_error(op, "images", f"changed size {x.shape[1:3]} -> {out.shape[1:3]}; "
                          "the batched path resizes only through geometric ops (use the "
                          "per-image path for this op)")
    return out


def _stack(outs, x, op) -> np.ndarray:
    first = outs[0]
    for o in outs:
        if o.shape != first.shape or o.dtype != first.dtype:
            raise value_error(op, "images", f"came out as {first.shape} and {o.shape}; a batch "
                              "needs one output size")
    out = np.stack(outs)
    return out.reshape(out.shape[:3] + x.shape[3:]) if out.ndim == 3 else out


# --- the boundary ----------------------------------------------------------------------------

def _to_bhwc(images, op):
    """(array (B, H, W, C), function back to the caller's kind); validates once per batch."""
    if isinstance(images, np.ndarray):
        arr, back = images, None
    elif type(images).__module__.startswith("torch") and hasattr(images, "permute"):
        return _from_torch(images, op)
    elif isinstance(images, (list, tuple)) and images and all(
            isinstance(i, np.ndarray) for i in images):
        arr, back = np.stack(images), None
    else:
        raise type_error(op, "images", f"is {type(images).__name__}; expected a numpy "
                         "(B, H, W, C) array or a torch (B, C, H, W) tensor")
    if arr.ndim == 3:
        arr4 = arr[..., None]
        _check_batch(arr4, op, arr.shape)
        return arr4, lambda out: out[..., 0]
    if arr.ndim != 4:
        raise value_error(op, "images", f"have shape {arr.shape}; expected (B, H, W, C) or "
                          "(B, H, W)")
    if arr.shape[1] <= 4 and arr.shape[3] > 4:
        raise value_error(op, "images", f"look like (B, C, H, W) {arr.shape}; numpy batches are "
                          "(B, H, W, C): use images.transpose(0, 2, 3, 1)")
    _check_batch(arr, op, arr.shape)
    return arr, back or (lambda out: out)


def _check_batch(arr, op, shape):
    if arr.shape[0] == 0 or arr.size == 0:
        raise value_error(op, "images", f"are empty {shape}")
    if arr.dtype == np.uint8:
        return
    if arr.dtype != np.float32:
        raise type_error(op, "images", f"have dtype {arr.dtype} {shape}; expected uint8, or "
                         "float32 in [0, 1]")
    lo, hi = float(arr.min()), float(arr.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise value_error(op, "images", f"of shape {shape} contain NaN or inf")
    if lo < 0.0 or hi > 1.0:
        raise value_error(op, "images", f"float32 values span [{lo:.4g}, {hi:.4g}]; expected "
                          "[0, 1]")


def _from_torch(t, op):
    import torch

    if t.ndim != 4:
        raise value_error(op, "images", f"tensor has shape {tuple(t.shape)}; expected "
                          "(B, C, H, W)")
    if t.dtype not in (torch.uint8, torch.float32):
        raise type_error(op, "images", f"tensor has dtype {t.dtype} {tuple(t.shape)}; expected "
                         "torch.uint8, or torch.float32 in [0, 1]")
    from .boundary import check_tensor_storage

    check_tensor_storage(t, op, "images")
    device = t.device
    arr = np.ascontiguousarray(t.detach().cpu().permute(0, 2, 3, 1).numpy())
    _check_batch(arr, op, tuple(t.shape))

    def back(out):
        return torch.from_numpy(np.ascontiguousarray(out.transpose(0, 3, 1, 2))).to(device)

    return arr, back
