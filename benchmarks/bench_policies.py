"""Policy runner throughput: augkit (numpy uint8 HWC) against torchvision.transforms.v2 (uint8
CHW tensors) and timm's PIL versions, at 32x32 and 224x224, single thread, one process.

The augkit runners are configured to do what the peer does (torchvision's magnitude space,
bins and nearest interpolation), so the rows compare the same augmentation. timm ships no
CIFAR-10 policy or TrivialAugment, so those cells stay empty; its "original" policy is the
paper's ImageNet one and gets its own row.

    python -m benchmarks.bench_policies [--repeats 5]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

SIZES = (32, 224)


def _photos(n: int = 16) -> list[np.ndarray]:
    from skimage import data as skd

    out = []
    for name in ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry"):
        img = np.asarray(getattr(skd, name)())
        if img.ndim == 3 and img.shape[2] >= 3:
            out.append(np.ascontiguousarray(img[:, :, :3]))
    try:
        from pathlib import Path

        import cv2

        root = Path(os.environ.get("AUGKIT_DATA", Path(__file__).resolve().parents[2]
                                   / "shared" / "data"))
        for p in sorted((root / "coco128" / "images").rglob("*.jpg"))[: n - len(out)]:
            out.append(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB))
    except ImportError:
        pass
    return out[:n]


def _resized(photos, side):
    import cv2

    return [cv2.resize(p, (side, side), interpolation=cv2.INTER_AREA) for p in photos]


def _rate(fn, inputs, min_time: float) -> float:
    """Images/s of one timed run of at least `min_time` seconds."""
    n, t0 = 0, time.perf_counter()
    while True:
        for x in inputs:
            fn(x)
        n += len(inputs)
        dt = time.perf_counter() - t0
        if dt >= min_time:
            return n / dt


def _interleaved(cells, repeats: int, min_time: float = 0.2) -> dict:
    """Median images/s per library; the libraries take turns within each repeat so that a
    change in machine load hits all of them alike (the ratios are what we report)."""
    for _, fn, inputs in cells:  # warm-up
        for x in inputs[:4]:
            fn(x)
    rates: dict = {lib: [] for lib, _, _ in cells}
    for _ in range(repeats):
        for lib, fn, inputs in cells:
            rates[lib].append(_rate(fn, inputs, min_time))
    return {lib: statistics.median(v) for lib, v in rates.items()}


def _cases():
    """(row name, augkit op, torchvision transform or None, timm transform or None)."""
    import torchvision.transforms.v2 as T
    from timm.data.auto_augment import auto_augment_transform, rand_augment_transform

    from augkit.rich import AutoAugment, RandAugment, TrivialAugment

    hp = {"translate_pct": 150 / 331, "img_mean": (0, 0, 0)}
    return [
        ("AutoAugment-CIFAR10",
         AutoAugment("autoaugment-cifar10", space="torchvision", levels=9),
         T.AutoAugment(T.AutoAugmentPolicy.CIFAR10), None),
        ("AutoAugment-ImageNet",
         AutoAugment("autoaugment-imagenet", space="torchvision", levels=9),
         T.AutoAugment(T.AutoAugmentPolicy.IMAGENET), auto_augment_transform("original", hp)),
        ("RandAugment n2 m9", RandAugment(n=2, m=9), T.RandAugment(num_ops=2, magnitude=9),
         rand_augment_transform("rand-m9-n2-p1.0-inc1", hp)),
        ("TrivialAugmentWide", TrivialAugment(), T.TrivialAugmentWide(), None),
    ]


def run(repeats: int = 5) -> list[dict]:
    """Rows {"op", "size", "library", "img_per_s"} (also as "images_per_s")."""
    import cv2
    import torch
    from PIL import Image

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    photos = _photos()
    rows = []
    for side in SIZES:
        arrays = _resized(photos, side)
        tensors = [torch.from_numpy(a).permute(2, 0, 1).contiguous() for a in arrays]
        pils = [Image.fromarray(a) for a in arrays]
        rng = np.random.default_rng(0)
        for name, ours, tv, tm in _cases():
            cells = [("augkit", lambda x, op=ours, g=rng: op(x, g), arrays),
                     ("torchvision", tv, tensors), ("timm", tm, pils)]
            got = _interleaved([c for c in cells if c[1] is not None], repeats)
            for lib, v in got.items():
                rows.append({"op": name, "size": side, "library": lib, "img_per_s": v,
                             "images_per_s": v})
    return rows


def markdown(rows: list[dict]) -> str:
    libs = ("augkit", "torchvision", "timm")
    keys = sorted({(r["op"], r["size"]) for r in rows}, key=lambda k: (k[1], k[0]))
    lines = ["| policy | size | " + " | ".join(f"{lib} img/s" for lib in libs)
             + " | augkit / torchvision | augkit / timm |",
             "|---|---|" + "---|" * (len(libs) + 2)]
    for op, size in keys:
        v = {r["library"]: r["img_per_s"] for r in rows if (r["op"], r["size"]) == (op, size)}
        cells = [f"{v[lib]:,.0f}" if lib in v else "n/a" for lib in libs]
        ratios = [f"{v['augkit'] / v[p]:.1f}x" if p in v else "n/a"
                  for p in ("torchvision", "timm")]
        lines.append(f"| {op} | {size}x{size} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(markdown(run(args.repeats)))
