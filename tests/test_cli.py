"""The `augkit` command, run as a subprocess (`python -m augkit`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import augkit
from augkit.core import registered_ops

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "augkit", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_version():
    r = run("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"augkit {augkit.__version__}"


def test_ops_lists_every_op_with_tier_and_geometry():
    r = run("ops")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["op", "tier", "geometric"]
    rows = {ln.split()[0]: ln.split() for ln in lines[1:]}
    # ops defined by other tests in this process (user ops) are not in the subprocess's list
    ops = {n: c for n, c in registered_ops().items() if c.__module__.startswith("augkit.")}
    assert set(ops) <= set(rows) and len(rows) >= 16
    for name in ("HFlip", "Rotate", "RandomResizedCrop"):
        assert rows[name][1] == "poor" and rows[name][2] == "True", rows[name]
    for name, cls in ops.items():  # the table agrees with the classes themselves
        if isinstance(cls.tier, str):
            assert rows[name][1] == cls.tier, rows[name]
        if isinstance(cls.geometric, bool):
            assert rows[name][2] == str(cls.geometric), rows[name]
        else:  # combinators: it depends on their children
            assert rows[name][2] == "depends", rows[name]


def test_no_command_prints_help_and_bad_command_fails():
    r = run()
    assert r.returncode == 0 and "ops" in r.stdout
    r = run("no-such-command")
    assert r.returncode != 0 and "invalid choice" in r.stderr


def _plugins_loaded_after(argv):
    code = (f"import sys; from augkit.cli import main\ntry:\n    main({argv!r})\n"
            "except SystemExit:\n    pass\n"
            "print('PLUGINS', sorted(m for m in ('augkit.search.cli', 'augkit.show', "
            "'benchmarks', 'benchmarks.__main__') if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout, r.stdout.strip().splitlines()[-1]


def test_ops_command_loads_no_plugin():
    _, loaded = _plugins_loaded_after(["ops"])
    assert loaded == "PLUGINS []"


def test_version_and_help_never_import_the_benchmarks():
    out, loaded = _plugins_loaded_after(["--version"])
    assert out.startswith(f"augkit {augkit.__version__}") and loaded == "PLUGINS []"
    out, loaded = _plugins_loaded_after(["--help"])
    assert "bench" in out and "source checkout" in out  # listed, from a static line
    assert "benchmarks" not in loaded and "benchmarks.__main__" not in loaded
    _, loaded = _plugins_loaded_after(["bench", "--help"])  # the checkout has them
    assert "benchmarks.__main__" in loaded


def test_bench_outside_a_checkout_says_how_to_run_it(tmp_path):
    """The benchmarks package ships with the source, not the wheel: augkit alone (here a link
    to the package, away from the checkout) must explain that instead of a traceback."""
    (tmp_path / "augkit").symlink_to(ROOT / "augkit", target_is_directory=True)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    probe = subprocess.run([sys.executable, "-c", "import augkit, importlib.util as u; "
                            "print(augkit.__file__, u.find_spec('benchmarks'))"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert probe.stdout.split()[-1] == "None", probe.stdout  # really no benchmarks here
    r = subprocess.run([sys.executable, "-m", "augkit", "bench", "--smoke"], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "run from a checkout: python -m benchmarks" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "augkit", "ops"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "HFlip" in r.stdout, r.stderr
