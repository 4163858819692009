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
* any other op (CutOut, elastic, ...): its ``apply`` per image;
* RandAugment and TrivialAugment at discrete magnitudes are asked first (``batch_numpy``,
  `augkit.rich.batch_steps`): they draw through compiled draw programs, the same calls in
  the same order, and run each step position grouped as the general path does.

Images only: the batch path moves no masks, boxes or keypoints (use the per-sample path for
those). Inputs: numpy ``(B, H, W, C)`` or ``(B, H, W)`` uint8 / float32 in [0, 1], or a torch
``(B, C, H, W)`` tensor; the output is the same kind. Every image must end the same size.
"""

from __future__ import annotations

import numpy as np

from .batch_plan import (  # noqa: F401 (public here: the batched path's API)
    NumpyBackend,
    columns_of,
    one_by_one,
    plans_of,
    refuse_multi_image,
    rows_of,
    run_plans,
    sample_batch,
    sample_items,
    stack_outputs,
)
from .errors import type_error, value_error
from .functional.batch_warp import warp_batch
from .functional.matrices import matmul3s
from .fusion import style_compatible
from .rng import resolve_rng
from .sample import Sample, stand_in

__all__ = ["apply_batch", "apply_batch_items", "sample_batch", "sample_items",
           "apply_batch_params", "rows_of", "columns_of", "stack_outputs"]


def apply_batch(op, images, rng: np.random.Generator | None = None):
    """Augment every image of a batch with its own parameters; returns the same kind. A
    torch batch stays on its device (`augkit.batch_torch`)."""
    refuse_multi_image(op)
    if _is_torch(images):
        from .batch_torch import apply_torch

        return apply_torch(op, images, resolve_rng(rng, op))
    if hasattr(images, "images") and hasattr(images, "replace"):  # a SampleBatch
        from .batch_dense import apply_dense

        return apply_dense(op, images, resolve_rng(rng, op))
    arr, back = _to_bhwc(images, op)
    rng = resolve_rng(rng, op)
    fast = getattr(op, "batch_numpy", None)  # a runner's own route (augkit.rich.batch_steps)
    if fast is not None and arr.shape[1] * arr.shape[2] <= _GROUP_MAX:
        out = fast(arr, rng)
        if out is not None:
            return back(out)
    if op.batch_needs_pixels():  # it draws inside its own sample_apply: image by image
        return back(one_by_one(op, arr, [rng] * arr.shape[0]))
    plan = _static_plan(op, tuple(arr.shape[1:3]))
    if plan is not None:
        return back(_run_static(plan, arr, rng))
    params = sample_batch(op, rng, arr)
    return back(_apply(op, arr, params))


def apply_batch_items(op, images, rngs: list):
    """``[op(img, r) for img, r in zip(images, rngs)]`` in one pass: image j augmented from
    its own generator (per-item streams, e.g. `rng.item_rng`). A fixed chain whose steps draw
    only doubles takes each image's doubles in one ``rngs[j].random(k)`` (the very doubles
    its steps would draw one by one) and the vectorised static plan; any other op draws
    per item (`sample_items`) and applies the params (`apply_batch_params`). A torch batch
    stays on its device."""
    refuse_multi_image(op)
    if _is_torch(images):
        from .batch_torch import apply_torch_items

        return apply_torch_items(op, images, rngs)
    arr, back = _to_bhwc(images, op)
    if len(rngs) != arr.shape[0]:
        raise value_error(op, "rngs", f"has {len(rngs)} generators for a batch of "
                          f"{arr.shape[0]} images")
    if op.batch_needs_pixels():
        return back(one_by_one(op, arr, rngs))
    plan = _static_plan(op, tuple(arr.shape[1:3]))
    if plan is not None:
        ks = [o.batch_draw_count() for stage in plan for o, _ in stage[1]]
        if all(k is not None for k in ks):
            total = sum(ks)
            u = np.stack([r.random(total) for r in rngs]) if total else \
                np.empty((len(rngs), 0))
            return back(_run_static(plan, arr, None, doubles=u))
    return apply_batch_params(op, images, sample_items(op, rngs, arr))


def apply_batch_params(op, images, params: list):
    """Apply recorded per-image parameters (from `sample_batch` or ``op.sample``)."""
    refuse_multi_image(op)
    if _is_torch(images):
        from .batch_torch import apply_torch

        return apply_torch(op, images, None, params)
    if hasattr(images, "images") and hasattr(images, "replace"):
        from .batch_dense import apply_dense

        return apply_dense(op, images, None, params)
    arr, back = _to_bhwc(images, op)
    if len(params) != arr.shape[0]:
        raise value_error(op, "params", f"has {len(params)} entries for a batch of "
                          f"{arr.shape[0]} images")
    plan = _static_plan(op, tuple(arr.shape[1:3]))
    if plan is not None:  # a fixed chain: its steps' params, step by step, vectorised
        chain = op.batch_chain()[0]
        if len(chain) == 1 and chain[0] is op:
            plist = [list(params)]
        else:
            plist = [[p["steps"][k] for p in params] for k in range(len(chain))]
        return back(_run_static(plan, arr, None, plist))
    return back(_apply(op, arr, params))


# --- the static path: a fixed chain of ops, every step vectorised -------------------------

def _single(o) -> bool:
    """Whether `o` is one fixed step (no children, the standard draw-then-apply)."""
    chain = o.batch_chain()
    return chain is not None and len(chain[0]) == 1 and chain[0][0] is o


def _static_plan(op, size) -> list | None:
    """Stages [("geo", [(op, size_before)], style) | ("leaf", [(op, size)], None)] when every
    image takes the same steps (no Maybe / OneOf / SomeOf) and every size is known before
    drawing, else None (the general path)."""
    chain = op.batch_chain()
    if chain is None:
        return None
    ops, fuse = chain
    plan: list = []
    for o in ops:
        if not _single(o):
            return None
        if not o.is_matrix_warp():
            if o.geometric:  # its own apply may change the size: the general path plans it
                return None
            plan.append(("leaf", [(o, size)], None))
            continue
        out = o.batch_out_size(size)
        if out is None:
            return None
        style = o.warp_style()
        if fuse and plan and plan[-1][0] == "geo":
            merged = style_compatible(plan[-1][2], style)
            if merged is not None:
                plan[-1] = ("geo", plan[-1][1] + [(o, size)], merged)
                size = tuple(out)
                continue
        plan.append(("geo", [(o, size)], style))
        size = tuple(out)
    return plan


def _run_static(plan, arr, rng, plist=None, doubles=None):
    """Run a static plan: params drawn here from `rng`, given per step (`plist`), or made
    from each image's doubles (`doubles`, (B, k) rows)."""
    n = arr.shape[0]
    steps = [st for stage in plan for st in stage[1]]
    ks = [o.batch_draw_count() for o, _ in steps]
    if plist is not None:
        cols = [columns_of(ps) if o.is_matrix_warp() else None for (o, _), ps in zip(steps, plist)]
    elif doubles is not None or all(k is not None for k in ks):
        # one draw for the whole batch (or each image's row): bit-identical params
        u = rng.random((n, sum(ks))) if doubles is None else doubles
        cols, at = [], 0
        for (o, _), k in zip(steps, ks):
            cols.append(o.batch_params(u[:, at:at + k]))
            at += k
        plist = None
    else:  # per-image draws in per-image order
        views = [stand_in(size + arr.shape[3:], arr.dtype) for _, size in steps]
        plist = [[None] * n for _ in steps]
        for j in range(n):
            for k, (o, _) in enumerate(steps):
                plist[k][j] = o.sample(rng, views[k])
        cols = [columns_of(ps) if o.is_matrix_warp() else None for (o, _), ps in zip(steps, plist)]
    x, i = arr, 0
    for kind, stage, style in plan:
        if kind == "leaf":
            o = stage[0][0]
            x = NumpyBackend.leaf(o, x, plist[i] if plist is not None else rows_of(cols[i], n))
            i += 1
            continue
        ms = None
        for o, size in stage:
            m = o.batch_matrices(cols[i], size, n)
            ms = m if ms is None else matmul3s(m, ms)
            i += 1
        o, size = stage[-1]
        x = warp_batch(x, ms, o.batch_out_size(size), style[0], style[1], stage[0][0],
                       style[3])
    return x if x is not arr else arr.copy()


# --- the general path: per-image draws, planned by each op, grouped step by step ---------

def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "permute")


# Above this many pixels an image, grouping images step by step costs more in copies (the
# groups are gathered and scattered back) than it saves in calls: the recorded params are
# applied image by image instead (the same pixels). Measured at 224x224: runners 15-25%
# slower grouped than one by one; at 32x32 grouping wins by 20-30%.
_GROUP_MAX = 128 * 128


def _apply(op, arr: np.ndarray, params: list) -> np.ndarray:
    if arr.shape[1] * arr.shape[2] > _GROUP_MAX:
        outs = [op.apply(Sample(a if a.shape[-1] != 1 else a[:, :, 0]), p).image
                for a, p in zip(arr, params)]
        return stack_outputs(outs, arr, op)
    return run_plans(op, arr, plans_of(op, params, arr.shape[1:3]), NumpyBackend)


# --- the boundary ----------------------------------------------------------------------------

def _to_bhwc(images, op):
    """(array (B, H, W, C), function back to the caller's kind) for a numpy batch or a list
    of images (torch tensors and SampleBatches have their own executors); validates once
    per batch."""
    if isinstance(images, np.ndarray):
        arr = images
    elif isinstance(images, (list, tuple)) and images and all(
            isinstance(i, np.ndarray) for i in images):
        first = images[0]
        for i, img in enumerate(images):
            if img.shape != first.shape or img.dtype != first.dtype:
                raise value_error(op, "images", f"[{i}] is {img.shape} {img.dtype}; a batch "
                                  f"needs one shape and dtype ({first.shape} {first.dtype} "
                                  "like images[0])")
        arr = np.stack(images)
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
    if arr.shape[1] <= 4 and arr.shape[3] > 4 and arr.shape[2] > 4:
        raise value_error(op, "images", f"look like (B, C, H, W) {arr.shape}; numpy batches are "
                          "(B, H, W, C): use images.transpose(0, 2, 3, 1)")
    _check_batch(arr, op, arr.shape)
    return arr, (lambda out: out)


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
