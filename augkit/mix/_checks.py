"""Value guards of a batch: dense tensors with data, finite pixels and targets, boxes that are
not inverted, soft labels that are probabilities, a (B, C, H, W) layout.

The value checks are device-side reductions collected in a `Pending` and read back with one
device sync per batch (none of them copies the batch): a float batch costs one `sum` (a sum
of finite values is finite unless it overflows, so the element-wise test runs only when the
sum is not finite, to tell NaN/inf from an overflow)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..boundary import check_tensor_storage
from ..errors import AugkitError, type_error, value_error


def dense(op, field: str, t: torch.Tensor) -> None:
    """A strided tensor with data: sparse layouts and the meta device are typed errors (the
    per-sample boundary's rule, `boundary.check_tensor_storage`)."""
    check_tensor_storage(t, op, field)


def check_layout(op, x: torch.Tensor) -> None:
    """(B, C, H, W) or a typed error. The rule: dim 1 > 4 with a last dim <= 4 reads as
    channels-last (B, H, W, C), the per-sample torch boundary's HWC rule one dim up; a
    (B, C, H, W) batch of more than 4 channels with W <= 4 is refused as ambiguous."""
    n, c, h, w = x.shape
    if n < 1 or c < 1 or h < 1 or w < 1:
        raise value_error(op, "images", f"are empty {tuple(x.shape)}")
    if c > 4 and w <= 4:
        raise value_error(op, "images", f"have shape {tuple(x.shape)}, which reads as "
                          "channels-last (B, H, W, C); the mixer takes (B, C, H, W): use "
                          "images.permute(0, 3, 1, 2) (batches of more than 4 channels with "
                          "W <= 4 are refused as ambiguous)")


class Pending:
    """Device-side checks of one batch: (ok flag, failure) pairs, read back in one sync.
    A failure returns the error to raise, or None for a false alarm (a sum that overflowed)."""

    def __init__(self):
        self.flags: list[torch.Tensor] = []
        self.fails: list[Callable[[], AugkitError | None]] = []

    def add(self, ok: torch.Tensor, fail: Callable[[], AugkitError | None]) -> None:
        self.flags.append(ok.reshape(()))
        self.fails.append(fail)

    def check(self) -> None:
        if not self.flags:
            return
        if len(self.flags) == 1:
            all_ok = bool(self.flags[0])
        else:
            all_ok = bool(torch.stack(self.flags).all())  # the one sync
        if all_ok:
            return
        for ok, fail in zip(self.flags, self.fails):
            if not bool(ok):
                err = fail()
                if err is not None:
                    raise err


def _sum(t: torch.Tensor) -> torch.Tensor:
    """The sum of a float tensor, in float32 at least (a float16 sum overflows at 65504)."""
    if t.dtype in (torch.float16, torch.bfloat16):
        return t.sum(dtype=torch.float32)
    return t.sum()


def finite(pending: Pending, op, field: str, t: torch.Tensor, what: str) -> None:
    """NaN / inf in a float tensor: a typed error "`field` `what` contain NaN or inf"."""
    if not t.is_floating_point():
        return

    def fail():
        if bool(torch.isfinite(t).all()):
            return None  # finite values whose sum overflowed
        return value_error(op, field, f"{what} contain NaN or inf")

    pending.add(torch.isfinite(_sum(t)), fail)


def soft_label_values(pending: Pending, op, y: torch.Tensor) -> None:
    """Soft labels are probabilities: finite, >= 0, rows summing to 1 (within float
    rounding: 1e-3, or 4 eps of a 16-bit dtype)."""
    shape = tuple(y.shape)
    finite(pending, op, "labels", y, f"of shape {shape}")
    pending.add(y.amin() >= 0, lambda: value_error(
        op, "labels", f"of shape {shape} have a negative value ({float(y.amin()):g}); "
        "expected soft labels >= 0"))
    tol = max(1e-3, 4 * torch.finfo(y.dtype).eps)
    dev = (y.sum(1, dtype=torch.float32) - 1).abs()

    def off():
        i = int(dev.argmax())
        return value_error(op, "labels", f"of shape {shape}: row {i} sums to "
                           f"{float(y[i].sum(dtype=torch.float32)):g}; expected 1 (soft "
                           "labels are probabilities)")

    pending.add(dev.amax() <= tol, off)


def as_tensors(op, name: str, values, device) -> list[torch.Tensor]:
    """Per-image targets as tensors on `device`, dense and of a numeric dtype."""
    out = []
    for i, v in enumerate(values):
        try:
            t = torch.as_tensor(v, device=device)
        except (ValueError, TypeError, RuntimeError) as e:
            raise value_error(op, f"{name}[{i}]", f"cannot be read as a tensor ({e})") from None
        dense(op, f"{name}[{i}]", t)
        if name != "box_labels" and (t.dtype == torch.bool or t.is_complex()):
            raise type_error(op, f"{name}[{i}]", f"have dtype {t.dtype} {tuple(t.shape)}; "
                             "expected real coordinates")
        out.append(t)
    return out


def _first_non_finite(op, name: str, tensors: list[torch.Tensor]):
    """The error for the first float tensor holding NaN or inf (found after a failed sum)."""
    for i, t in enumerate(tensors):
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            return value_error(op, f"{name}[{i}]", f"of shape {tuple(t.shape)} contain NaN "
                               "or inf")
    return None


def box_values(pending: Pending, op, boxes: list[torch.Tensor]) -> None:
    """Finite, and xyxy with x2 >= x1 and y2 >= y1 (zero-width boxes are fine)."""
    allb = torch.cat([b.reshape(-1, 4) for b in boxes])
    if allb.numel() == 0:
        return

    def inverted():
        for i, b in enumerate(boxes):
            bad = (b[:, 2] < b[:, 0]) | (b[:, 3] < b[:, 1])
            if bool(bad.any()):
                r = int(bad.nonzero()[0, 0])
                return value_error(op, f"boxes[{i}]", f"of shape {tuple(b.shape)}: row {r} "
                                   f"{b[r].tolist()} is inverted; expected xyxy with x2 >= x1 "
                                   "and y2 >= y1")
        return None

    if allb.is_floating_point():
        pending.add(torch.isfinite(_sum(allb)), lambda: _first_non_finite(op, "boxes", boxes))
    pending.add(((allb[:, 2] >= allb[:, 0]) & (allb[:, 3] >= allb[:, 1])).all(), inverted)


def keypoint_values(pending: Pending, op, kps: list[torch.Tensor]) -> None:
    floats = [k for k in kps if k.is_floating_point() and k.numel()]
    if not floats:
        return

    total = torch.stack([_sum(k).float() for k in floats]).sum()
    pending.add(torch.isfinite(total), lambda: _first_non_finite(op, "keypoints", kps))
