"""Ops as data: `to_dict` / `from_dict` through the op registry, `save` / `load` as YAML or JSON.

A saved file is ``{"format": FORMAT, "op": {...}}``; an op dict is ``{"type": ClassName,
field: value, ...}`` with nested ops as nested dicts (so "type" is not a field name for ops).
Batch mixers (`augkit.mix`) go through the same code with their own registry and a ``mix.``
type prefix (see `Kind`).
YAML is read with the safe loader only and nothing is ever pickled.

Every document augkit reads (`load`, `augkit.load_policy`, the CLI's inline JSON) goes through
`read_document` / `parse_document`: malformed YAML or JSON, bad UTF-8 and too-deep nesting
become the caller's typed error (one line), and a document is refused before anything is
built from it when it nests deeper than `MAX_DEPTH`, holds more than `MAX_NODES` nodes, or
expands through YAML aliases to more than `MAX_ALIAS_NODES` nodes beyond those written out
(alias bombs), or refers to itself.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._atomic import write_text
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


def _plain(v, op, field: str):
    if _kind_of(v) is not None:
        return to_dict(v)
    if isinstance(v, (tuple, list)):
        return [_plain(x, op, f"{field}[{i}]") for i, x in enumerate(v)]
    if isinstance(v, dict):
        return {str(k): _plain(x, op, f"{field}[{k!r}]") for k, x in v.items()}
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return _leaf(v, op, field)


def to_dict(op) -> dict:
    """A plain dict (JSON/YAML-able) that `from_dict` turns back into an equal op (or batch
    mixer: ``{"type": "mix.Name", ...}``). A field holding anything else than ops, numbers,
    strings, lists and dicts raises `AugkitTypeError` naming the op and the field."""
    kind = _kind_of(op)
    if kind is None:
        raise type_error("to_dict", "op", f"is {type(op).__name__}; expected an augkit op")
    d = {"type": kind.prefix + type(op).__name__}
    contract_p = getattr(type(op), "contract_p", False)
    for f in dataclasses.fields(op):
        if f.init:
            v = getattr(op, f.name)
            if contract_p and f.name == "p" and v == 1.0:
                continue  # the contract's default: files stay as they were before `p`
            d[f.name] = _plain(v, op, f.name)
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


def _leaf(v, op, field: str):
    """A field value that YAML and JSON can hold, or a typed error naming the op and field."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    cls = type(v)
    if isinstance(v, (types.FunctionType, types.MethodType, functools.partial)):
        # e.g. Lambda(fn=lambda img: ...): only importable functions have a name
        raise type_error(op, field, f"holds {getattr(v, '__qualname__', cls.__name__)!r}, a "
                         "lambda, closure, method or partial, which cannot be saved: use a "
                         "module-level function (saved as 'module:function')")
    raise type_error(op, field, f"holds a {cls.__module__}.{cls.__qualname__}, which cannot be "
                     "saved as YAML or JSON (only ops, numbers, strings, lists and dicts can)")


def save(op: Op, path) -> Path:
    """Write `op` to `path` (.yaml/.yml as YAML, anything else as JSON).

    An op holding a value YAML and JSON cannot represent (e.g. ``from_albu(Lambda)``, which
    keeps the albumentations object itself) raises `AugkitTypeError` naming that op and field,
    before anything is written."""
    path = Path(path)
    doc = {"format": FORMAT, "op": to_dict(op)}
    if _fmt(path) == "yaml":
        import yaml

        write_text(path, yaml.safe_dump(doc, sort_keys=False))
    else:
        write_text(path, json.dumps(doc, indent=2))
    return path


def load(path) -> Op:
    """Read an op written by `save` (safe YAML / JSON only; see `read_document` for the
    limits on what a file may hold). Every malformed file raises `AugkitValueError`."""
    path = Path(path)
    doc = read_document(path, lambda what: value_error("load", str(path), what))
    if not isinstance(doc, dict) or "op" not in doc:
        raise value_error("load", str(path), "is not an augkit op file (no 'op' key)")
    if doc.get("format") != FORMAT:
        raise value_error("load", str(path), f"has format {doc.get('format')!r}; this augkit "
                          f"reads {FORMAT!r}")
    return from_dict(doc["op"])


# --- reading documents: the one guarded path for ops, policies and the command line --------

#: Limits on what a YAML/JSON document may expand to, checked on the parsed node graph
#: before any Python object is built from it (`read_document`).
MAX_DEPTH = 64  # nesting levels of lists and mappings, aliases expanded
MAX_NODES = 1 << 24  # nodes written out (a fitted 32x32 RGB `Whiten` holds ~9.4 million)
MAX_ALIAS_NODES = 100_000  # nodes that YAML aliases may add on top of those written out


class _TooBig(Exception):
    """Over a limit (message: what the document does)."""


class _Invalid(Exception):
    """Not a valid document (message: the parser's reason)."""


def _one_line(e: BaseException) -> str:
    """A parser's message on one line: yaml's marks become ``(line L, column C)``."""
    problem = getattr(e, "problem", None)
    mark = getattr(e, "problem_mark", None)
    if problem is not None:
        context = getattr(e, "context", None)
        text = f"{context}: {problem}" if context else problem
        if mark is not None:
            text += f" (line {mark.line + 1}, column {mark.column + 1})"
        return text
    return " ".join(str(e).split())


@functools.cache
def _yaml_loader():
    """yaml's SafeLoader, counting nodes and nesting while it composes the node graph."""
    import yaml

    class Loader(yaml.SafeLoader):
        depth = nodes = 0

        def compose_node(self, parent, index):
            if not self.check_event(yaml.AliasEvent):
                self.nodes += 1
                if self.nodes > MAX_NODES:
                    raise _TooBig(f"holds more than {MAX_NODES} nodes")
            if self.check_event(yaml.ScalarEvent, yaml.AliasEvent):
                return super().compose_node(parent, index)
            if self.depth >= MAX_DEPTH:  # a list or mapping one level too deep
                raise _TooBig(f"nests deeper than {MAX_DEPTH} levels")
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return Loader


def _children(node) -> list:
    if isinstance(node.value, list):  # sequence: nodes; mapping: (key, value) pairs
        return [c for item in node.value for c in (item if isinstance(item, tuple) else (item,))]
    return []


def _check_expansion(root) -> None:
    """Size and depth of the node graph with every alias expanded, without expanding it:
    one pass over the distinct nodes (memoised), refusing cycles (``&a [*a]``)."""
    size: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded nodes, depth)
    distinct = 0
    stack = [(root, False)]
    open_ = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            kids = [size[id(c)] for c in _children(node)]
            total = 1 + sum(k[0] for k in kids)
            depth = 0 if isinstance(node.value, str) else 1 + max((k[1] for k in kids),
                                                                  default=0)
            if depth > MAX_DEPTH:
                raise _TooBig(f"nests deeper than {MAX_DEPTH} levels once its aliases are "
                              "expanded")
            size[key] = (total, depth)
            open_.discard(key)
            distinct += 1
            if total > distinct + MAX_ALIAS_NODES:
                raise _TooBig(f"expands through its aliases to more than {MAX_ALIAS_NODES} "
                              "nodes beyond those written out")
            continue
        if key in size:
            continue
        if key in open_:
            raise _TooBig("refers to itself through an alias")
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)


def _check_plain(doc) -> None:
    """Depth and node count of parsed JSON (no aliases there), without recursion."""
    nodes, stack = 0, [(doc, 0)]
    while stack:
        v, depth = stack.pop()  # depth: lists and dicts around v
        nodes += 1
        if nodes > MAX_NODES:
            raise _TooBig(f"holds more than {MAX_NODES} nodes")
        if isinstance(v, (dict, list)):
            if depth >= MAX_DEPTH:
                raise _TooBig(f"nests deeper than {MAX_DEPTH} levels")
            stack.extend((x, depth + 1) for x in (v.values() if isinstance(v, dict) else v))


def parse_document(text, fmt: str, error: Callable[[str], Exception]):
    """Parse YAML (``fmt="yaml"``, safe constructors only: no code, no Python objects) or
    JSON text (str or UTF-8 bytes) into plain data, within `MAX_DEPTH`, `MAX_NODES` and
    `MAX_ALIAS_NODES`. Every failure, bad encoding and syntax included, raises
    ``error(what)`` (what: a one-line reason); nothing is built from a document that is
    over a limit."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise error(f"is not UTF-8 text (byte {text[e.start]:#04x} at offset "
                        f"{e.start})") from None
    try:
        return _parse_yaml(text) if fmt == "yaml" else _parse_json(text)
    except _TooBig as e:
        raise error(f"is refused: it {e}") from None
    except RecursionError:
        raise error(f"is refused: it nests deeper than {MAX_DEPTH} levels") from None
    except (_Invalid, ValueError, OverflowError) as e:  # syntax; int() of 5000 digits
        raise error(f"is not valid {fmt.upper()}: {_one_line(e)}") from None


def _parse_yaml(text: str):
    import yaml

    loader = _yaml_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    except yaml.YAMLError as e:
        raise _Invalid(_one_line(e)) from None
    finally:
        loader.dispose()


def _parse_json(text: str):
    doc = json.loads(text)
    _check_plain(doc)
    return doc


def read_document(path, error: Callable[[str], Exception], fmt: str | None = None):
    """`parse_document` of the file at `path`; `fmt` from the suffix when not given (.yaml /
    .yml: YAML, anything else: JSON). A file that cannot be read raises its OSError."""
    path = Path(path)
    return parse_document(path.read_bytes(), fmt or _fmt(path), error)
