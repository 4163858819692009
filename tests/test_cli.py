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


def test_ops_command_loads_no_plugin():
    code = ("import sys; from augkit.cli import main; main(['ops']); "
            "print('PLUGINS', sorted(m for m in ('augkit.search.cli', 'augkit.show', "
            "'benchmarks.__main__') if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "PLUGINS []"
