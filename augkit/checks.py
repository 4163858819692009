"""Field checks shared by ops: numbers, ints, bools, probabilities, (low, high) ranges and
warp fields, each raising a typed error that names the op and the field.

Used by ops' `validate` (above the kernels in `augkit.functional`, which take plain values).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import short_repr, value_error
from .functional.fill import check_fill, check_mask_fill
from .functional.geometry import INTERPOLATIONS, check_border

_REAL = (int, float, np.integer, np.floating)


def is_number(v) -> bool:
    """A finite real number: int, float or a numpy real scalar; not a bool, not NaN or inf,
    not an int too large for a float."""
    if isinstance(v, bool) or not isinstance(v, _REAL):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an int beyond the float range
        return False


def check_number(op, field: str, v, lo=-math.inf, hi=math.inf, *, integer: bool = False,
                 above: bool = False, what: str = "") -> None:
    """One finite number (an int when `integer`) in [lo, hi] (``(lo, hi]`` when `above`).
    Bools are not numbers here."""
    ok = is_number(v) and (not integer or isinstance(v, (int, np.integer)))
    if ok:
        ok = (lo < v if above else lo <= v) and v <= hi
    if not ok:
        kind = what or ("an int" if integer else "a finite number")
        bounds = f"{'(' if above else '['}{lo:g}, {hi:g}]" if isinstance(lo, float) or \
            isinstance(hi, float) else f"{'(' if above else '['}{lo}, {hi}]"
        raise value_error(op, field, f"is {short_repr(v)}; expected {kind} in {bounds}")


def check_int(op, field: str, v, lo: int, hi: int, what: str = "") -> None:
    """An int (not a bool) in [lo, hi]."""
    check_number(op, field, v, lo, hi, integer=True, what=what)


def check_bool(op, field: str, v) -> None:
    if not isinstance(v, bool):
        raise value_error(op, field, f"is {short_repr(v)}; expected True or False")


def check_prob(op, field: str, p) -> None:
    if not (is_number(p) and 0.0 <= p <= 1.0):
        raise value_error(op, field, f"is {short_repr(p)}; expected a probability in [0, 1]")


def check_range(op, field: str, r, lo=-np.inf, hi=np.inf) -> None:
    """A (low, high) pair of finite numbers (not bools) with low <= high inside [lo, hi], whose
    width ``high - low`` is itself a finite float (so a uniform draw from it stays finite)."""
    ok = isinstance(r, tuple) and len(r) == 2 and all(is_number(v) for v in r)
    if not ok:
        raise value_error(op, field, f"is {short_repr(r)}; expected a (low, high) pair of "
                          "finite numbers")
    if r[0] > r[1]:
        raise value_error(op, field, f"is inverted {short_repr(r)}; expected low <= high")
    if r[0] < lo or r[1] > hi:
        raise value_error(op, field, f"is {short_repr(r)}; expected values within [{lo}, {hi}]")
    if not math.isfinite(float(r[1]) - float(r[0])):
        raise value_error(op, field, f"is {short_repr(r)}; its width overflows a float")


def symmetric(v, op, field: str) -> tuple[float, float]:
    """Accept x or (lo, hi); x means (-x, x), like torchvision's `degrees=15`."""
    if isinstance(v, bool):
        raise value_error(op, field, f"is {v!r}; expected a number d >= 0, meaning (-d, d), or "
                          "a (low, high) pair")
    if isinstance(v, _REAL):
        if not (is_number(v) and v >= 0):  # also catches NaN, inf and huge ints
            raise value_error(op, field, f"is {short_repr(v)}; a single number d means (-d, d) "
                              "and must be finite and >= 0")
        return (-float(v), float(v))
    return v


def check_warp_fields(op, mask_fill_optional: bool = False) -> None:
    """interpolation, fill, mask_fill and border, for the ops that have them."""
    interp = getattr(op, "interpolation", "linear")
    if interp not in INTERPOLATIONS:
        raise value_error(op, "interpolation", f"is {interp!r}; expected one of {INTERPOLATIONS}")
    if hasattr(op, "fill"):
        check_fill(op, op.fill)
    if hasattr(op, "mask_fill"):
        check_mask_fill(op, op.mask_fill, mask_fill_optional)
    if hasattr(op, "border"):
        check_border(op, op.border)
