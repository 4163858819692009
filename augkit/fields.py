"""Field handling shared by every op's construction (`augkit.core.Op`): lists frozen to
tuples, numpy scalars to Python numbers, non-finite or unhashable values refused, and unknown
or doubled constructor arguments reported as one typed error naming the op's fields."""

from __future__ import annotations

import dataclasses
import math
import sys

import numpy as np

from .errors import short_repr, type_error, value_error

WALK = 256  # tuples up to this length are frozen and scanned entry by entry
FLOAT_MAX = sys.float_info.max
INIT_NAMES: dict[type, tuple[str, ...]] = {}  # per class: its __init__'s argument names
FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # per class: its dataclass fields
POSITIONAL: dict[type, int] = {}  # per class: how many __init__ arguments are positional


def freeze_value(v):
    """Lists (e.g. from YAML) become tuples so ops stay hashable; numpy scalars (np.float32,
    np.int64, np.bool_, ...) become the Python numbers they hold, so every check, draw and
    serialisation sees plain int / float / bool; small numeric arrays become tuples. Tuples
    and arrays longer than 256 (fitted data such as a whitening matrix) are left as they
    are: their op checks them as a whole."""
    if isinstance(v, list) or (isinstance(v, tuple) and len(v) <= WALK):
        out = tuple(freeze_value(x) for x in v)
        return v if type(v) is tuple and all(a is b for a, b in zip(out, v)) else out
    if isinstance(v, np.generic) and isinstance(v, (np.number, np.bool_)):
        return v.item()
    if isinstance(v, np.ndarray) and v.ndim and v.size <= WALK and v.dtype.kind in "biuf":
        return freeze_value(v.tolist())  # e.g. fill=np.array([124, 116, 104])
    return v


def scan_value(op, field: str, v, inf_ok: bool, depth: int = 0) -> None:
    """Refuse non-finite floats, ints too large for a float and unhashable values anywhere
    in a field (tuples searched 4 levels deep, up to 256 entries each: large fitted data such
    as a whitening matrix is left to the op's own `validate`)."""
    t = type(v)
    if t is float:
        if not math.isfinite(v) and not (inf_ok and v == math.inf):
            raise value_error(op, field, f"is {short_repr(getattr(op, field))}; expected "
                              "finite numbers (NaN and inf are refused)")
    elif t is int:
        if not -FLOAT_MAX <= v <= FLOAT_MAX:
            raise value_error(op, field, f"is {short_repr(getattr(op, field))}; expected "
                              "numbers within the float range")
    elif t is tuple:
        if depth < 4 and len(v) <= WALK:
            for x in v:
                scan_value(op, field, x, inf_ok, depth + 1)
    elif t is str or t is bool or v is None or isinstance(v, np.ndarray) or hasattr(
            v, "sample_apply"):  # an op: its own fields were scanned when it was built
        pass  # large arrays (a fitted whitening matrix) are the op's own to check
    else:
        try:
            hash(v)
        except TypeError:
            raise type_error(op, field, f"is {short_repr(getattr(op, field))}, which holds an "
                             f"unhashable {t.__name__}; ops are frozen: use numbers, strings "
                             "and lists / tuples of them") from None


def field_names(cls) -> tuple[str, ...]:
    names = FIELD_NAMES.get(cls)
    if names is None:
        names = FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


ANY_ARGS = ("*",)  # an __init__ taking *args or **kwargs: nothing to check here


def init_names(cls) -> tuple[str, ...]:
    """The argument names of the class's __init__ (dataclass fields, InitVars, or a
    plug-in's own __init__), read once per class."""
    names = INIT_NAMES.get(cls)
    if names is None:
        import inspect

        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            names = ANY_ARGS
        else:
            names = tuple(p.name for p in params if p.kind != p.POSITIONAL_ONLY)
            POSITIONAL[cls] = sum(p.kind == p.POSITIONAL_OR_KEYWORD for p in params)
        INIT_NAMES[cls] = names
    return names


def check_arguments(cls, args, kwargs) -> None:
    """Unknown keywords and surplus positionals as one typed error naming the op's fields
    (a plain dataclass raises a bare TypeError)."""
    names = init_names(cls)
    if names is ANY_ARGS:
        return
    listed = ", ".join(names) if names else "none"
    for k in kwargs:
        if k not in names:
            raise type_error(cls.__name__, k, f"is not an argument of {cls.__name__}; its "
                             f"fields are: {listed}")
    most = POSITIONAL[cls]  # keyword-only fields (the contract's `p`) come last in `names`
    if len(args) > most:
        raise type_error(cls.__name__, "arguments", f"are {len(args)} positional values; "
                         f"{cls.__name__} takes at most {most} ({', '.join(names[:most])})")
    for k in names[:len(args)]:
        if k in kwargs:
            raise type_error(cls.__name__, k, "is given twice (positionally and by keyword)")
