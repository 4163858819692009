"""Typed errors. Every message names the op, the field and what was wrong.

`AugkitError` is the base; the concrete classes also derive from the matching builtin so that
`except ValueError` in user code keeps working.
"""

from __future__ import annotations


class AugkitError(Exception):
    """Base class of every error augkit raises on purpose."""


class AugkitValueError(AugkitError, ValueError):
    """A value has the right type but is wrong: shape, range, NaN, inverted box, ..."""


class AugkitTypeError(AugkitError, TypeError):
    """An input of a type or dtype augkit does not accept."""


def _name(op) -> str:
    if op is None:
        return "augkit"
    if isinstance(op, str):
        return op
    return type(op).__name__


def short_repr(v, limit: int = 120) -> str:
    """`repr(v)` for messages: shortened, safe for ints too long for `repr`, and bounded for
    containers of any size (a loaded document) through `reprlib`."""
    import reprlib

    try:
        r = reprlib.repr(v) if isinstance(v, (list, tuple, dict, set)) else repr(v)
    except ValueError:  # an int beyond sys.get_int_max_str_digits()
        return f"<int of {v.bit_length()} bits>"
    return r if len(r) <= limit else r[:limit - 4] + " ..."


def value_error(op, field: str, what: str) -> AugkitValueError:
    """Build (not raise) a value error: ``"Rotate: degrees must be ..."``."""
    return AugkitValueError(f"{_name(op)}: {field} {what}")


def type_error(op, field: str, what: str) -> AugkitTypeError:
    return AugkitTypeError(f"{_name(op)}: {field} {what}")
