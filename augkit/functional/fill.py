"""Fill values for uncovered pixels and mask labels: one rule for every op.

* ``fill`` is in the image's own units: 0..255 for uint8, 0..1 for float32. It is one number
  (every channel) or one number per channel. uint8 fills are rounded once, half to even (as
  OpenCV rounds), so every code path paints the same value.
* ``mask_fill`` is an integer label that must fit the mask's dtype (0 or 1 for bool masks).

Fields are checked when an op is built (`check_fill`, `check_mask_fill`, and
`augkit.checks.check_warp_fields`:
finite numbers, no bools); whether they fit an image is checked when the op is applied
(`fill_for`, `label_fill_for`), the first moment the dtype and channel count are known. A
misfit is a typed error naming the op, never a clamp.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import value_error

_U8 = np.dtype(np.uint8)
_F32 = np.dtype(np.float32)
_REAL = (int, float, np.integer, np.floating)
_INT = (int, np.integer)


def _is_number(v) -> bool:
    return isinstance(v, _REAL) and not isinstance(v, bool) and math.isfinite(v)


def _is_label(v) -> bool:
    return isinstance(v, _INT) and not isinstance(v, bool)


# --- construction time: the fields alone --------------------------------------------------

def check_fill(op, fill, field: str = "fill") -> None:
    """A finite number or a non-empty tuple of them (bools are not numbers here)."""
    vals = fill if isinstance(fill, tuple) else (fill,)
    if not vals or not all(_is_number(v) for v in vals):
        raise value_error(op, field, f"is {fill!r}; expected a finite number or one per "
                          "channel, in image units (0..255 for uint8, 0..1 for float32)")


def check_mask_fill(op, mask_fill, optional: bool = False) -> None:
    """An integer label (not a bool); None too when `optional`."""
    if optional and mask_fill is None:
        return
    if not _is_label(mask_fill):
        what = "None (mask unchanged) or an integer label" if optional else "an integer label"
        raise value_error(op, "mask_fill", f"is {mask_fill!r}; expected {what}")


# --- apply time: the fields against the image ---------------------------------------------

def fill_for(op, fill, img: np.ndarray):
    """`fill` checked against `img` (an (H, W) or (H, W, C) array): a float for one value,
    else a tuple of one float per channel. uint8 fills come back rounded."""
    t = type(fill)
    if t is int or t is float:  # the common case first: one in-range number
        dt = img.dtype  # (numpy's built-in dtypes are singletons: `is` is the cheap test)
        if dt is _U8:
            if 0 <= fill <= 255:
                return float(fill) if t is int else float(round(fill))
        elif dt is _F32:
            if 0.0 <= fill <= 1.0:
                return float(fill)
    return fill_for_layout(op, fill, img.dtype, img.shape)


def fill_for_layout(op, fill, dtype, shape) -> float | tuple:
    """`fill_for` for an image of `dtype` and `shape` ((H, W) or (H, W, C)) not at hand
    (a batch checks its per-image layout once)."""
    channels = shape[2] if len(shape) == 3 else 1
    vals = tuple(fill) if isinstance(fill, (tuple, list, np.ndarray)) else (fill,)
    if not vals or not all(_is_number(v) for v in vals):
        raise value_error(op, "fill", f"is {fill!r}; expected a finite number or one per "
                          "channel")
    if len(vals) not in (1, channels):
        raise value_error(op, "fill", f"has {len(vals)} values for image {tuple(shape)}; "
                          f"expected 1 or {channels} (one per channel)")
    dt = np.dtype(dtype)
    if dt == _U8:
        vals = tuple(float(round(float(v))) for v in vals)
        lo, hi = 0.0, 255.0
    else:
        vals = tuple(float(v) for v in vals)
        lo, hi = (0.0, 1.0) if dt == _F32 else (-math.inf, math.inf)
    if not all(lo <= v <= hi for v in vals):
        raise value_error(op, "fill", f"is {fill!r}; outside [{lo:g}, {hi:g}] for a {dt} "
                          f"image {tuple(shape)} (fills are in image units)")
    return vals[0] if len(vals) == 1 else vals


def check_label_fits(op, label, dtype) -> None:
    """`label` must be representable in the mask's dtype (e.g. 255 in uint8, not 256)."""
    dt = np.dtype(dtype)
    if not _is_label(label):
        raise value_error(op, "mask_fill", f"is {label!r}; expected an integer label")
    if dt == np.bool_:
        ok = label in (0, 1)
    elif np.issubdtype(dt, np.integer):
        info = np.iinfo(dt)
        ok = info.min <= label <= info.max
    else:
        ok = True
    if not ok:
        raise value_error(op, "mask_fill", f"is {label}; it does not fit the mask dtype {dt}")


def label_fill_for(op, mask_fill, mask: np.ndarray) -> int:
    """`mask_fill` checked against `mask`'s dtype; returns it as a Python int."""
    if type(mask_fill) is int and (0 <= mask_fill <= 1 or (
            0 <= mask_fill <= 255 and mask.dtype == _U8)):  # the common cases first
        return mask_fill
    check_label_fits(op, mask_fill, mask.dtype)
    return int(mask_fill)
