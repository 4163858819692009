"""Every ```python block of README.md and docs/*.md runs: each page's blocks in order, in one
namespace, in a fresh working directory. A block right after ``<!-- no-run -->`` is skipped
(only for what cannot run in CI, e.g. a GPU or a long training run)."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALL_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(<!--\s*no-run\s*-->\s*\n)?^```python[^\n]*\n(.*?)^```\s*$",
                   re.MULTILINE | re.DOTALL)


def blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of each runnable python block."""
    out = []
    for m in BLOCK.finditer(text):
        if m.group(1) is None:
            out.append((text.count("\n", 0, m.start(2)) + 1, m.group(2)))
    return out


def test_block_parser_skips_no_run_and_keeps_order():
    text = ("x\n```python\na = 1\n```\n<!-- no-run -->\n```python\nraise SystemExit\n```\n"
            "```bash\nls\n```\n```python\nb = a + 1\n```\n")
    assert [code for _, code in blocks(text)] == ["a = 1\n", "b = a + 1\n"]
    assert [line for line, _ in blocks(text)] == [3, 13]


PAGES = [p for p in ALL_PAGES if blocks(p.read_text())]


def test_getting_started_has_examples():
    assert {"README.md", "index.md", "taxonomy.md"} <= {p.name for p in PAGES}


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_code_runs(page, tmp_path, monkeypatch):
    code_blocks = blocks(page.read_text())
    from augkit.core import REGISTRY

    monkeypatch.chdir(tmp_path)
    # a real module, so dataclasses and pickle defined in the page work
    module = types.ModuleType(f"docs_{page.stem.replace('-', '_')}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    try:
        for line, code in code_blocks:
            try:
                exec(compile(code, f"{page.name}:{line}", "exec"), module.__dict__)
            except Exception as e:
                raise AssertionError(f"{page.relative_to(ROOT)} block at line {line} failed: "
                                     f"{type(e).__name__}: {e}") from e
    finally:  # ops a page defines must not leak into other tests
        for name in [n for n, c in REGISTRY.items() if c.__module__ == module.__name__]:
            del REGISTRY[name]


def _nav_pages(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [p for v in node.values() for p in _nav_pages(v)]
    return [p for v in node for p in _nav_pages(v)]


def test_every_nav_page_exists_and_every_page_is_in_the_nav():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    nav = _nav_pages(config["nav"])
    missing = [p for p in nav if not (ROOT / "docs" / p).is_file()]
    assert not missing, f"pages in mkdocs.yml nav but not in docs/: {missing}"
    assert sorted(p.name for p in (ROOT / "docs").glob("*.md")) == sorted(nav)


def test_gallery_has_a_picture_of_every_op():
    import importlib.util

    import augkit

    spec = importlib.util.spec_from_file_location("gen_gallery", ROOT / "docs" / "gen_gallery.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = (ROOT / "docs" / "gallery.md").read_text()
    for name, cls in augkit.registered_ops().items():
        if name in gen.SKIP or not isinstance(cls.tier, str):
            continue
        assert f"![{name}](gallery/{name}.jpg)" in text, f"{name}: run docs/gen_gallery.py"
        assert (ROOT / "docs" / "gallery" / f"{name}.jpg").is_file()
    total = sum(f.stat().st_size for f in (ROOT / "docs" / "gallery").iterdir())
    assert total < 3_000_000
