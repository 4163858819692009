"""Field checks shared by the poor tier's geometric ops."""

from __future__ import annotations

from ..checks import check_warp_fields
from ..core import MAX_SIDE, check_range
from ..errors import short_repr, value_error

__all__ = ["MAX_SIDE", "as_hw", "check_size", "check_warp_fields", "range_of"]


def _side(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_SIDE


def check_size(op, field: str, size) -> tuple[int, int]:
    """An output size: int (square) or (height, width), each in [1, MAX_SIDE] (32766:
    OpenCV's remap needs sides below 32767)."""
    hw = (size, size) if isinstance(size, int) and not isinstance(size, bool) else size
    if not (isinstance(hw, tuple) and len(hw) == 2 and all(_side(v) for v in hw)):
        raise value_error(op, field, f"is {short_repr(size)}; expected an int or (height, "
                          f"width) of ints in [1, {MAX_SIDE}]")
    return hw


def as_hw(size) -> tuple[int, int]:
    """A size field `check_size` accepted, as (height, width), without re-checking it."""
    return (size, size) if isinstance(size, int) else size


def range_of(op, field: str, v, lo=float("-inf"), hi=float("inf")) -> tuple[float, float]:
    """Validate a (low, high) range field given as a pair."""
    check_range(op, field, v, lo, hi)
    return float(v[0]), float(v[1])
