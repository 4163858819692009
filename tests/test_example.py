"""Smoke: examples/train_cifar.py trains for a few batches on the real CIFAR-10 npz."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "train_cifar.py"


def _npz(shared_data: Path) -> Path:
    return shared_data / "cifar10_jpeg" / "cifar10_jpeg.npz"


def test_train_cifar_smoke_middle_tier_with_workers_and_mixer(shared_data):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, str(SCRIPT), "--tier", "middle", "--data", str(_npz(shared_data)),
           "--epochs", "1", "--train-size", "128", "--test-size", "128", "--batch-size", "32",
           "--max-batches", "2", "--width", "8", "--workers", "1", "--device", "cpu",
           "--no-progress"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "mixer: Mixer(" in r.stdout and "CutOut" in r.stdout
    m = re.search(r"test accuracy (\d\.\d+)", r.stdout)
    assert m and 0.0 <= float(m.group(1)) <= 1.0


def test_load_cifar_subset_matches_the_npz(shared_data):
    spec = importlib.util.spec_from_file_location("train_cifar", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    x, y = mod.load_cifar(_npz(shared_data), "test", 50, seed=1)
    assert x.shape == (50, 32, 32, 3) and x.dtype == np.uint8 and y.shape == (50,)
    assert len(set(y.tolist())) > 3  # a shuffled subset, not the first class only
    items = mod.Tensors(x, y)
    img, label = items[0]
    assert tuple(img.shape) == (3, 32, 32) and np.array_equal(img.permute(1, 2, 0).numpy(), x[0])
    assert label == y[0]
