"""Registration by discovery: find the modules of a package tree that define subclasses of a
base class, by reading their source, and import exactly those.

An op written in a new file anywhere under ``augkit/`` is registered (and so serialised and
contract-tested) without an import line anywhere else: `core.registered_ops` imports every
module that defines an `Op` subclass, and the batch mixers' registry does the same for
`BatchMixer`. Reading source instead of importing everything keeps a registry lookup from
loading torch or ray through modules that define no op (the search job, interop helpers).

A class counts when one of its bases (by name, ``Base`` or ``module.Base``) is a root or a
class already found in the tree, transitively; top-level classes only. The scan respects
``__path__`` (a package extended at run time is scanned too) and re-reads a file only when
its modification time changes. Modules named ``__main__`` are never imported.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import pkgutil
import sys

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
        tree = ast.parse(f.read(), path)
    found = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases = tuple(b.id if isinstance(b, ast.Name) else b.attr for b in node.bases
                          if isinstance(b, (ast.Name, ast.Attribute)))
            found.append((node.name, bases))
    _CLASSES[path] = (mtime, found)
    return found


def modules_defining(package: str, roots: tuple[str, ...]) -> list[str]:
    """The modules under `package` that define a class derived from one named in `roots`."""
    defs = [(name, _classes(path)) for name, path in _tree(package)]
    known, grew = set(roots), True
    while grew:  # a class may derive from one defined in a module listed later
        grew = False
        for _, classes in defs:
            for cls, bases in classes:
                if cls not in known and known.intersection(bases):
                    known.add(cls)
                    grew = True
    return [name for name, classes in defs
            if any(known.intersection(bases) for _, bases in classes)]


def import_defining(package: str, roots: tuple[str, ...]) -> None:
    """Import every module under `package` that defines a subclass of one of `roots`."""
    for name in modules_defining(package, roots):
        if name not in sys.modules:
            importlib.import_module(name)
