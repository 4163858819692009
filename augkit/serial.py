"""Ops as data: `to_dict` / `from_dict` through the op registry, `save` / `load` as YAML or JSON.

A saved file is ``{"format": FORMAT, "op": {...}}``; an op dict is ``{"type": ClassName,
field: value, ...}`` with nested ops as nested dicts (so "type" is not a field name for ops).
Batch mixers (`augkit.mix`) go through the same code with their own registry and a ``mix.``
type prefix (see `Kind`).
YAML is read with the safe loader only and nothing is ever pickled.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .core import REGISTRY, Op, import_builtin_ops
from .errors import type_error, value_error

FORMAT = "augkit/1"


class Kind(NamedTuple):
    """A family of serialisable frozen dataclasses: its base class, its registry (class name
    -> class), the prefix its type names carry in dicts, and a function that imports the
    modules defining its built-in classes."""

    base: type
    registry: dict
    prefix: str
    fill: Callable[[], object]
    what: str  # "op", "batch mixer": for messages


OPS = Kind(Op, REGISTRY, "", import_builtin_ops, "op")
# kinds defined in modules that import heavy libraries: type-name prefix -> module with KIND
_LAZY = {"mix.": "augkit.mix.base"}  # batch mixers import torch


def _kind_of(obj) -> Kind | None:
    if isinstance(obj, Op):
        return OPS
    for module in _LAZY.values():
        mod = sys.modules.get(module)  # not loaded: obj cannot be one of its classes
        if mod is not None and isinstance(obj, mod.KIND.base):
            return mod.KIND
    return None


def _kind_named(name: str) -> Kind:
    for prefix, module in _LAZY.items():
        if name.startswith(prefix):
            return importlib.import_module(module).KIND
    return OPS


def _plain(v):
    if _kind_of(v) is not None:
        return to_dict(v)
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def to_dict(op) -> dict:
    """A plain dict (JSON/YAML-able) that `from_dict` turns back into an equal op (or batch
    mixer: ``{"type": "mix.Name", ...}``)."""
    kind = _kind_of(op)
    if kind is None:
        raise type_error("to_dict", "op", f"is {type(op).__name__}; expected an augkit op")
    d = {"type": kind.prefix + type(op).__name__}
    for f in dataclasses.fields(op):
        if f.init:
            d[f.name] = _plain(getattr(op, f.name))
    return d


def _revive(v):
    if isinstance(v, dict) and isinstance(v.get("type"), str):
        return from_dict(v)
    if isinstance(v, list):
        return [_revive(x) for x in v]
    return v


def from_dict(d: dict):
    """Rebuild an op (or batch mixer) from `to_dict` output, looked up in its registry by
    type name."""
    if not isinstance(d, dict) or not isinstance(d.get("type"), str):
        raise value_error("from_dict", "type", f"is missing in {d!r}; expected "
                          "{'type': OpName, ...}")
    name = d["type"]
    kind = _kind_named(name)
    short = name[len(kind.prefix):]
    if short not in kind.registry:
        kind.fill()
    cls = kind.registry.get(short)
    if cls is None:
        raise value_error("from_dict", "type", f"{name!r} is not a registered {kind.what} "
                          "(import the module that defines it first)")
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = set(d) - names - {"type"}
    if unknown:
        raise value_error(name, "fields", f"{sorted(unknown)} are unknown; expected some of "
                          f"{sorted(names)}")
    return cls(**{k: _revive(v) for k, v in d.items() if k != "type"})


def _fmt(path: Path) -> str:
    return "yaml" if path.suffix.lower() in (".yaml", ".yml") else "json"


def save(op: Op, path) -> Path:
    """Write `op` to `path` (.yaml/.yml as YAML, anything else as JSON)."""
    path = Path(path)
    doc = {"format": FORMAT, "op": to_dict(op)}
    if _fmt(path) == "yaml":
        import yaml

        path.write_text(yaml.safe_dump(doc, sort_keys=False))
    else:
        path.write_text(json.dumps(doc, indent=2))
    return path


def load(path) -> Op:
    """Read an op written by `save` (safe YAML / JSON only)."""
    path = Path(path)
    text = path.read_text()
    if _fmt(path) == "yaml":
        import yaml

        doc = yaml.safe_load(text)
    else:
        doc = json.loads(text)
    if not isinstance(doc, dict) or "op" not in doc:
        raise value_error("load", str(path), "is not an augkit op file (no 'op' key)")
    if doc.get("format") != FORMAT:
        raise value_error("load", str(path), f"has format {doc.get('format')!r}; this augkit "
                          f"reads {FORMAT!r}")
    return from_dict(doc["op"])
