"""`import augkit` stays light: no torch, cv2, yaml, PIL or torchvision until used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "cv2", "yaml", "PIL", "torchvision", "hypothesis", "optuna", "ray")


def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_import_augkit_loads_no_heavy_module():
    r = _run(f"import augkit, sys; print([m for m in {HEAVY!r} if m in sys.modules])")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", r.stdout


def test_building_ops_and_listing_the_registry_stays_light():
    code = ("import augkit, sys\n"
            "from augkit.core import registered_ops\n"
            "ops = registered_ops()\n"
            "op = augkit.Seq([augkit.HFlip(), augkit.Rotate(10)])\n"
            "d = augkit.to_dict(op)\n"
            f"print(len(ops) > 10, [m for m in {HEAVY!r} if m in sys.modules])")
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True []", r.stdout


def test_heavy_modules_load_on_first_use():
    code = ("import sys, numpy as np, augkit\n"
            "augkit.Rotate(10)(np.zeros((4, 4, 3), np.uint8))\n"
            "print('cv2' in sys.modules, 'torch' in sys.modules)")
    r = _run(code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True False"
