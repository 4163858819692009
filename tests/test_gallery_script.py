"""docs/gen_gallery.py: it draws the checkout's augkit, and redraws only what changed.

The gallery is built once into a temporary folder (never into docs/); the tests then change
one input at a time and check which files the next run touches (bytes and mtimes)."""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "gen_gallery.py"


def _load():
    spec = importlib.util.spec_from_file_location("gen_gallery_under_test", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def gen():
    """The script, with each op's source hash computed once per test module: the sources are
    read again on every run, and an edit of augkit while these tests run (a shared working
    tree) must not look like a change made by a test. The real hash is tested on its own."""
    mod = _load()
    real, memo = mod.sources_key, {}

    def once(classes):
        key = tuple(classes)
        if key not in memo:
            memo[key] = real(classes)
        return memo[key]

    mod.sources_key, mod.real_sources_key = once, real
    return mod


def _state(folder: Path) -> dict[str, tuple[int, bytes]]:
    """name -> (mtime in ns, bytes) of every file the generator writes under `folder`."""
    files = [*sorted((folder / "gallery").iterdir()), folder / "gallery.md"]
    return {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in files}


@pytest.fixture(scope="module")
def built(gen, tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    done = gen.main(["--out", str(out)])
    return out, done


def test_first_run_draws_every_picture_and_the_manifest_names_them(gen, built):
    out, done = built
    names = {f.name for f in (out / "gallery").glob("*.jpg")}
    assert set(done["written"]) == names and not done["removed"]
    manifest = json.loads((out / "gallery" / "manifest.json").read_text())["pictures"]
    assert set(manifest) == names
    for name, entry in manifest.items():
        assert {"key", "render", "photo", "op", "sources"} <= set(entry), name
    import augkit

    for op, cls in augkit.registered_ops().items():
        if op not in gen.SKIP and isinstance(cls.tier, str):
            assert f"{op}.jpg" in names, op
    for name in (*(f"tier-{t}.jpg" for t in gen.TIERS), "mixer.jpg"):
        assert name in names


def test_second_run_with_nothing_changed_touches_nothing(gen, built):
    out, _ = built
    before = _state(out)
    done = gen.main(["--out", str(out)])
    assert done["recomputed"] == [] and done["written"] == [] and done["removed"] == []
    assert _state(out) == before


def test_pictures_are_deterministic_a_lost_manifest_rewrites_nothing(gen, built):
    """Every picture recomputed from scratch encodes to the same bytes: not rewritten."""
    out, _ = built
    (out / "gallery" / "manifest.json").unlink()
    before = _state(out)
    done = gen.main(["--out", str(out)])
    assert len(done["recomputed"]) == len(list((out / "gallery").glob("*.jpg")))
    assert done["written"] == []
    after = _state(out)
    assert {k: v for k, v in after.items() if k != "manifest.json"} == before


def test_a_changed_manifest_entry_recomputes_only_that_picture(gen, built):
    out, _ = built
    path = out / "gallery" / "manifest.json"
    data = json.loads(path.read_text())
    data["pictures"]["Rotate.jpg"]["key"] = "stale"
    path.write_text(json.dumps(data))
    before = _state(out)
    done = gen.main(["--out", str(out)])
    assert done["recomputed"] == ["Rotate.jpg"] and done["written"] == []
    after = _state(out)
    assert json.loads(after["manifest.json"][1])["pictures"]["Rotate.jpg"]["key"] != "stale"
    assert {k: v for k, v in after.items() if k != "manifest.json"} == \
        {k: v for k, v in before.items() if k != "manifest.json"}


def test_a_changed_op_setting_rewrites_only_its_picture(gen, built, monkeypatch):
    out, _ = built
    before = _state(out)
    monkeypatch.setitem(gen.LADDERS, "Rotate", [("90 deg", {"degrees": (90, 90)})])
    done = gen.main(["--out", str(out)])
    assert done["recomputed"] == ["Rotate.jpg"] and done["written"] == ["Rotate.jpg"]
    after = _state(out)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"Rotate.jpg", "manifest.json"}
    monkeypatch.undo()  # and back: only Rotate again
    done = gen.main(["--out", str(out)])
    assert done["written"] == ["Rotate.jpg"]
    assert _state(out)["Rotate.jpg"][1] == before["Rotate.jpg"][1]


def test_pictures_of_ops_that_no_longer_exist_are_removed(gen, built):
    out, _ = built
    gone = out / "gallery" / "GoneOp.jpg"
    gone.write_bytes((out / "gallery" / "HFlip.jpg").read_bytes())
    path = out / "gallery" / "manifest.json"
    data = json.loads(path.read_text())
    data["pictures"]["GoneOp.jpg"] = dict(data["pictures"]["HFlip.jpg"])
    path.write_text(json.dumps(data))
    done = gen.main(["--out", str(out)])
    assert done["removed"] == ["GoneOp.jpg"] and done["written"] == []
    assert not gone.exists()
    assert "GoneOp.jpg" not in json.loads(path.read_text())["pictures"]


def test_force_rewrites_and_only_limits_the_run(gen, built):
    out, _ = built
    before = _state(out)
    done = gen.main(["--out", str(out), "--force", "--only", "HFlip,mixer"])
    assert sorted(done["written"]) == ["HFlip.jpg", "mixer.jpg"]
    after = _state(out)
    assert after["HFlip.jpg"][0] != before["HFlip.jpg"][0]  # rewritten (same bytes)
    assert after["HFlip.jpg"][1] == before["HFlip.jpg"][1]
    assert after["Rotate.jpg"] == before["Rotate.jpg"]
    with pytest.raises(SystemExit):
        gen.main(["--out", str(out), "--only", "NoSuchPicture"])


def test_an_ops_source_files_are_part_of_its_key(gen):
    """Editing an op's file (or its kernels' module) changes its pictures' keys."""
    import augkit
    import augkit.functional.geometry as geometry

    for name, cls in augkit.registered_ops().items():
        assert inspect.getsourcefile(cls) in gen.source_files([cls]), name
    assert geometry.__file__ in gen.source_files([augkit.Rotate])


def test_the_source_hash_follows_the_files_bytes(gen, tmp_path, monkeypatch):
    f = tmp_path / "op.py"
    f.write_text("a = 1\n")
    monkeypatch.setattr(gen, "source_files", lambda classes: [str(f)])
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    first = gen.real_sources_key([object])
    assert gen.real_sources_key([object]) == first
    f.write_text("a = 2\n")
    assert gen.real_sources_key([object]) != first


def test_float_outputs_are_shown_min_max_scaled(gen):
    import augkit

    s = gen.photo()
    out = augkit.Normalize()(s)
    shown, note = gen.displayable(out)
    img = out.image.astype(np.float64)
    expect = (img - img.min()) / (img.max() - img.min())
    np.testing.assert_allclose(shown.image, expect, atol=1e-6)
    assert note == f" [{img.min():.1f}, {img.max():.1f}]"
    assert shown.mask is s.mask and shown.boxes is s.boxes
    same, note = gen.displayable(s)  # uint8 (and floats in [0, 1]) are shown as they are
    assert same is s and note == ""


def test_the_script_stops_on_an_augkit_outside_the_checkout(gen, monkeypatch):
    monkeypatch.setattr(gen, "A", types.SimpleNamespace(__file__="/elsewhere/augkit/__init__.py"))
    with pytest.raises(SystemExit, match="not from the checkout"):
        gen.check_checkout()


def test_the_script_imports_the_checkouts_augkit_over_an_installed_one(tmp_path):
    """A decoy augkit earlier on the path (PYTHONPATH, as an installed copy would be) is not
    what the script draws: it puts its own checkout first."""
    decoy = tmp_path / "site" / "augkit"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise ImportError('the decoy augkit was imported')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    probe = subprocess.run([sys.executable, "-c", "import augkit"], env=env, cwd=tmp_path,
                           capture_output=True, text=True)
    assert "decoy" in probe.stderr  # without the script's path fix, the decoy wins
    run = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path / "docs"),
                          "--only", "HFlip"], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "docs" / "gallery" / "HFlip.jpg").is_file()
    assert not (tmp_path / "docs" / "gallery" / "Rotate.jpg").exists()
