"""Field checks shared by the poor tier's geometric ops."""

from __future__ import annotations

from ..core import check_range
from ..errors import value_error
from ..functional.fill import check_warp_fields

__all__ = ["as_hw", "check_size", "check_warp_fields", "range_of"]


def check_size(op, field: str, size) -> tuple[int, int]:
    """An output size: int (square) or (height, width), both >= 1."""
    hw = (size, size) if isinstance(size, int) else size
    if not (isinstance(hw, tuple) and len(hw) == 2 and all(isinstance(v, int) and v >= 1
                                                           for v in hw)):
        raise value_error(op, field, f"is {size!r}; expected an int or (height, width) >= 1")
    return hw


def as_hw(size) -> tuple[int, int]:
    """A size field `check_size` accepted, as (height, width), without re-checking it."""
    return (size, size) if isinstance(size, int) else size


def range_of(op, field: str, v, lo=float("-inf"), hi=float("inf")) -> tuple[float, float]:
    """Validate a (low, high) range field given as a pair."""
    check_range(op, field, v, lo, hi)
    return float(v[0]), float(v[1])
