"""The package's layers: no module of augkit imports a module that imports it back (function-
level imports included), and the layer contracts in pyproject.toml hold (`lint-imports`,
also run by CI). See docs/design.md, "Layers"."""

from __future__ import annotations

import sys

import pytest

grimp = pytest.importorskip("grimp")  # a dev dependency (import-linter's graph builder)


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.find_modules_directly_imported_by(w)))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_module_of_augkit_imports_a_module_that_imports_it_back():
    graph = grimp.build_graph("augkit", cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_function_level_circle(tmp_path, monkeypatch):
    """The check above could pass by missing circles: a two-module package whose circle is
    closed by an import inside a function is found."""
    pkg = tmp_path / "circ_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("circ_pkg", cache_dir=None)
    assert _cycles(graph) == [["circ_pkg.a", "circ_pkg.b"]]
    sys.modules.pop("circ_pkg", None)


def test_the_layer_contracts_hold():
    from pathlib import Path

    lint = pytest.importorskip("importlinter.cli")
    config = Path(__file__).resolve().parents[1] / "pyproject.toml"
    assert lint.lint_imports(config_filename=str(config), no_cache=True) == 0
