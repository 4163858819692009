"""Field checks shared by the poor tier's geometric ops."""

from __future__ import annotations

from ..core import check_range
from ..errors import value_error
from ..functional.geometry import INTERPOLATIONS


def check_warp_fields(op) -> None:
    """interpolation, fill and mask_fill, for ops that have them."""
    interp = getattr(op, "interpolation", "linear")
    if interp not in INTERPOLATIONS:
        raise value_error(op, "interpolation", f"is {interp!r}; expected one of {INTERPOLATIONS}")
    fill = getattr(op, "fill", 0.0)
    vals = fill if isinstance(fill, tuple) else (fill,)
    if not vals or not all(isinstance(v, (int, float)) for v in vals):
        raise value_error(op, "fill", f"is {fill!r}; expected a number or one per channel")
    if not isinstance(getattr(op, "mask_fill", 0), int):
        raise value_error(op, "mask_fill", f"is {op.mask_fill!r}; expected an integer label")


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
