"""Shared fixtures: hypothesis profiles and the real data in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def data_root() -> Path:
    """../shared/data relative to the repo root, or $AUGKIT_DATA."""
    env = os.environ.get("AUGKIT_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = data_root()
    if not root.is_dir():
        pytest.skip(f"real data folder {root} is absent (set AUGKIT_DATA)")
    return root


def coco_photos(shared_data: Path, start: int, stop: int) -> list:
    """COCO128 train photos ``start:stop`` (sorted by name) as writable RGB arrays: the
    reference tests' inputs (each test file takes its own slice)."""
    import numpy as np
    from PIL import Image

    root = shared_data / "coco128" / "images" / "train2017"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    return [np.array(Image.open(p).convert("RGB")) for p in sorted(root.glob("*.jpg"))[start:stop]]


def coco_instance_planes(root: Path, stem: str, w: int, h: int) -> tuple[list, list]:
    """COCO128 instance polygons of photo `stem` (`root` the coco128 folder) rasterised at
    (h, w): the non-empty (h, w) uint8 planes and their class ids, in file order."""
    import numpy as np
    from PIL import Image, ImageDraw

    planes, classes = [], []
    for line in (root / f"instance_segmentation/labels/train2017/{stem}.txt").read_text(
    ).splitlines():
        t = line.split()
        pts = np.array(t[1:], float).reshape(-1, 2) * [w, h]
        m = Image.new("L", (w, h), 0)
        ImageDraw.Draw(m).polygon([tuple(p) for p in pts], fill=1)
        m = np.asarray(m)
        if m.any():
            planes.append(m)
            classes.append(int(t[0]))
    return planes, classes
