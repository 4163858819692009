"""The batched path on torch (B, C, H, W) tensors, on whatever device they live on.

``op.batch(x)`` with a tensor lands here. Parameters are drawn on the host with the op's own
generator, exactly as the per-image path draws them (`batch_plan.sample_batch`), so one seed
augments alike on a laptop CPU and on a GPU. Each image's steps are planned by the ops
(`Op.plan_batch`) and run step by step (`batch_plan.run_plans`): geometric runs as one
`grid_sample` per group of images (`functional.torch_warp`), leaf steps through the op's
``image_batch_torch`` hook. An op without a torch kernel still works: its images go through
the host (numpy) kernel and come back to the device, and augkit says so once per op class
(a `RuntimeWarning`), so a pipeline never fails for lack of a kernel.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from .batch_plan import (
    NumpyBackend,
    one_by_one,
    plans_of,
    run_plans,
    sample_batch,
    sample_items,
)
from .boundary import check_tensor_storage
from .errors import type_error, value_error
from .functional import torch_warp as TW
from .functional.fill import fill_for_layout

_NP = {torch.uint8: np.uint8, torch.float32: np.float32}
_WARNED: set[str] = set()


def apply_torch(op, t, rng, params: list | None = None):
    """`op` over a (B, C, H, W) uint8 / float32 tensor, on its device; same kind out. With
    `params` (recorded per-image parameters) nothing is drawn."""
    _check(t, op)
    n, c, h, w = t.shape
    if params is None and op.batch_needs_pixels():  # it draws in its own sample_apply
        _say_host_once(op, "its draws (they happen inside its sample_apply)")
        return _host(op, t, lambda a: one_by_one(op, a, [rng] * n))
    if params is None:
        params = sample_batch(op, rng, _proxy(t))
    elif len(params) != n:
        raise value_error(op, "params", f"has {len(params)} entries for a batch of {n} images")
    return run_plans(op, t, plans_of(op, params, (h, w)), TorchBackend)


def apply_torch_items(op, t, rngs):
    """`apply_torch` with image j augmented from its own generator ``rngs[j]``."""
    _check(t, op)
    if len(rngs) != t.shape[0]:
        raise value_error(op, "rngs", f"has {len(rngs)} generators for a batch of "
                          f"{t.shape[0]} images")
    if op.batch_needs_pixels():
        _say_host_once(op, "its draws (they happen inside its sample_apply)")
        return _host(op, t, lambda a: one_by_one(op, a, rngs))
    return apply_torch(op, t, None, sample_items(op, rngs, _proxy(t)))


def _proxy(t):
    """A pixel-less (B, H, W, C) numpy stand-in of `t` (the draws read shape and dtype)."""
    n, c, h, w = t.shape
    return np.broadcast_to(np.zeros((), _NP[t.dtype]), (n, h, w, c))


def _check(t, op) -> None:
    if t.ndim != 4:
        raise value_error(op, "images", f"tensor has shape {tuple(t.shape)}; expected "
                          "(B, C, H, W)")
    if t.dtype not in _NP:
        raise type_error(op, "images", f"tensor has dtype {t.dtype} {tuple(t.shape)}; expected "
                         "torch.uint8, or torch.float32 in [0, 1]")
    check_tensor_storage(t, op, "images")
    if t.numel() == 0:
        raise value_error(op, "images", f"are empty {tuple(t.shape)}")
    if t.dtype == torch.float32:
        lo, hi = torch.aminmax(t)
        lo, hi = float(lo), float(hi)  # (NaN compares false below)
        if not (0.0 <= lo and hi <= 1.0):
            raise value_error(op, "images", f"float32 values span [{lo:.4g}, {hi:.4g}] "
                              f"{tuple(t.shape)}; expected finite values in [0, 1]")


def _host(op, x: torch.Tensor, run) -> torch.Tensor:
    """Run `run(numpy BHWC batch)` on the host and bring the result back to x's device."""
    arr = np.ascontiguousarray(x.detach().cpu().permute(0, 2, 3, 1).numpy())
    out = run(arr)
    return torch.from_numpy(np.ascontiguousarray(out.transpose(0, 3, 1, 2))).to(x.device)


def _say_host_once(op, what: str) -> None:
    name = type(op).__name__
    if name not in _WARNED:
        _WARNED.add(name)
        warnings.warn(f"augkit: {name} has no torch kernel for {what}; its images go through "
                      "the host (numpy) path and back (said once per op)", RuntimeWarning,
                      stacklevel=3)


class TorchBackend:
    """How `batch_plan.run_plans` runs on torch (B, C, H, W) tensors."""

    @staticmethod
    def size(x):
        return tuple(x.shape[2:4])

    @staticmethod
    def take(x, idx):
        return x[torch.as_tensor(idx, device=x.device)]

    @staticmethod
    def put(x, idx, y):
        x[torch.as_tensor(idx, device=x.device)] = y

    @staticmethod
    def copy(x):
        return x.clone()

    @staticmethod
    def empty(n, like):
        return torch.empty((n,) + tuple(like.shape[1:]), dtype=like.dtype, device=like.device)

    @staticmethod
    def warp(x, ms, out_size, style, op, groups=None):
        interp, fill, border = style[0], style[1], style[3] or "constant"
        if interp not in TW.MODES or (interp == "nearest" and not TW.nearest_exact_ok(
                ms, tuple(x.shape[2:]), tuple(out_size))):
            # area / lanczos, and nearest resizes: OpenCV's kernels on the host
            _say_host_once(op, f"{interp!r} interpolation")
            return _host(op, x, lambda a: NumpyBackend.warp(a, ms, out_size, style, op))
        n, c, h, w = x.shape
        f = 0.0 if border != "constant" else fill_for_layout(
            op, 0.0 if fill is None else fill, _NP[x.dtype], (h, w, c))
        return TW.warp_images(x, ms, out_size, interp, f if isinstance(f, tuple) else (f,) * c,
                              border)

    @staticmethod
    def leaf(op, x, params, size=None):
        out = op.image_batch_torch(x, params)
        if out is None:
            _say_host_once(op, "its image")
            out = _host(op, x, lambda a: NumpyBackend.leaf(op, a, params, size))
        want = tuple(x.shape[2:]) if size is None else tuple(size)
        if tuple(out.shape[2:]) != want:
            raise value_error(op, "images", f"changed size {tuple(x.shape[2:])} -> "
                              f"{tuple(out.shape[2:])}, not the planned {want}; the batched "
                              "path resizes only as an op's out_size says")
        return out
