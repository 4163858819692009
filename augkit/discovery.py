"""Registration by discovery: find the modules of a package tree that define subclasses of a
base class, by reading their source, and import exactly those.

An op written in a new file anywhere under ``augkit/`` is registered (and so serialised and
contract-tested) without an import line anywhere else: `core.registered_ops` imports every
module that defines an `Op` subclass, and the batch mixers' registry does the same for
`BatchMixer`. Reading source instead of importing everything keeps a registry lookup from
loading torch or ray through modules that define no op (the search job, interop helpers).

A class counts when one of its bases (by name, ``Base`` or ``module.Base``) is a root or a
class already found in the tree, transitively; top-level ``class`` statements only, read
with a regular expression (a tenth of the time of parsing every file: the scan runs on the
first registry lookup of every process). The scan respects
``__path__`` (a package extended at run time is scanned too) and re-reads a file only when
its modification time changes. Modules named ``__main__`` are never imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import re
import sys

# a top-level class statement: its name and its base list (which may span lines)
_CLASS = re.compile(r"^class\s+(\w+)\s*\(([^)]*)\)\s*:", re.M)
# file path -> (mtime, [(class name, base names)])
_CLASSES: dict[str, tuple[float, list[tuple[str, tuple[str, ...]]]]] = {}


def _paths(package: str) -> list[str]:
    mod = sys.modules.get(package)
    if mod is not None:
        return list(getattr(mod, "__path__", ()))
    spec = importlib.util.find_spec(package)  # imports the parents only
    return list(spec.submodule_search_locations or ()) if spec else []


def _tree(package: str):
    """(module name, source file) for every module under `package`, packages included."""
    for info in pkgutil.iter_modules(_paths(package)):
        root = getattr(info.module_finder, "path", None)
        if root is None or info.name == "__main__":
            continue
        name = f"{package}.{info.name}"
        if info.ispkg:
            yield name, os.path.join(root, info.name, "__init__.py")
            yield from _tree(name)
        else:
            yield name, os.path.join(root, info.name + ".py")


def _classes(path: str) -> list[tuple[str, tuple[str, ...]]]:
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return []
    hit = _CLASSES.get(path)
    if hit is not None and hit[0] == mtime:
        return hit[1]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    found = []
    for m in _CLASS.finditer(text):
        bases = tuple(b.strip().rsplit(".", 1)[-1] for b in m.group(2).split(",")
                      if b.strip() and "=" not in b)  # (metaclass=... is no base)
        found.append((m.group(1), bases))
    _CLASSES[path] = (mtime, found)
    return found


def _derived(tree: str, roots: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """(module, names of the classes it defines that derive from `roots`) for every module
    under `tree` that defines one."""
    defs = [(name, _classes(path)) for name, path in _tree(tree)]
    known, grew = set(roots), True
    while grew:  # a class may derive from one defined in a module listed later
        grew = False
        for _, classes in defs:
            for cls, bases in classes:
                if cls not in known and known.intersection(bases):
                    known.add(cls)
                    grew = True
    out = []
    for name, classes in defs:
        found = [cls for cls, bases in classes if known.intersection(bases)]
        if found:
            out.append((name, found))
    return out


def modules_defining(package: str, roots: tuple[str, ...]) -> list[str]:
    """The modules under `package` that define a class derived from one named in `roots`."""
    return [name for name, _ in _derived(package, roots)]


def import_defining(package: str, roots: tuple[str, ...]) -> None:
    """Import every module under `package` that defines a subclass of one of `roots`."""
    for name in modules_defining(package, roots):
        if name not in sys.modules:
            importlib.import_module(name)


def defined_in(package: str, roots: tuple[str, ...] = ("Op",),
               tree: str = "augkit") -> dict[str, type]:
    """The public classes (no leading underscore) derived from `roots` that modules under
    `package` define, by name, importing those modules only. Bases are resolved over the
    whole `tree` (a tier's ops derive from core's bases)."""
    out = {}
    for name, classes in _derived(tree, roots):
        if name == package or name.startswith(package + "."):
            mod = importlib.import_module(name)
            out.update({c: getattr(mod, c) for c in classes if not c.startswith("_")})
    return out


def lazy_exports(package: str, extra: dict[str, str] | None = None):
    """(``__getattr__``, ``__dir__``) for a package whose public names are the ops its
    modules define (found by `defined_in`, so a new file needs no line in ``__init__``),
    plus `extra` (name -> module defining it). ``__all__`` lists them all."""
    extra = dict(extra or {})

    def names() -> list[str]:
        return sorted(set(defined_in(package)) | set(extra))

    def __getattr__(name: str):
        if name == "__all__":
            return names()
        if name in extra:
            return getattr(importlib.import_module(extra[name]), name)
        if not name.startswith("_"):
            found = defined_in(package).get(name)
            if found is not None:
                return found
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return names()

    return __getattr__, __dir__
