"""Batched augmentation, one call per batch: augkit's batched path on numpy (B, H, W, C) and on
torch (B, C, H, W) tensors on a device, against kornia's batched augmentation (per-sample
parameters, float32 (B, C, H, W) in [0, 1], its native format) and augkit's own per-image
loop, for the policy runners, geometric ops and a CIFAR pipeline.

    python -m benchmarks batched [--device cpu|cuda] [--sizes 32] [--images 128]
                                 [--only "RandAugment n2 m9,TrivialAugmentWide"] [--repeats 5]
    python -m benchmarks.bench_batched (the same options)

One thread on the CPU (`torch.set_num_threads(1)`, OpenCV's too); on CUDA every timed call
ends with `torch.cuda.synchronize()`. Cells are interleaved, medians of the repeats. The
augkit runners use torchvision's magnitude space (what kornia's follow); the rows compare
the same kind of work, not bit-identical pictures.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

COLUMNS = ("augkit per image", "augkit numpy batch", "augkit torch batch", "kornia")


def _cases():
    """(row, augkit op, kornia factory or None)."""
    import kornia.augmentation as K
    from kornia.augmentation import auto

    from augkit.compose import Seq
    from augkit.poor import Affine, HFlip, PadCrop, Rotate
    from augkit.rich import AutoAugment, RandAugment, TrivialAugment

    return [
        ("AutoAugment-CIFAR10", AutoAugment("autoaugment-cifar10", space="torchvision",
                                            levels=9), lambda: auto.AutoAugment("cifar10")),
        ("RandAugment n2 m9", RandAugment(n=2, m=9), lambda: auto.RandAugment(n=2, m=9)),
        ("TrivialAugmentWide", TrivialAugment(), lambda: auto.TrivialAugment()),
        ("Rotate", Rotate(degrees=30), lambda: K.RandomRotation(30.0, p=1.0)),
        ("Affine", Affine(degrees=15, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5),
         lambda: K.RandomAffine(15.0, (0.1, 0.1), (0.9, 1.1), 5.0, p=1.0)),
        ("PadCrop+HFlip+Rotate", Seq((PadCrop(padding=4), HFlip(), Rotate(degrees=15))),
         lambda: K.AugmentationSequential(K.RandomCrop((32, 32), padding=4, p=1.0),
                                          K.RandomHorizontalFlip(), K.RandomRotation(15.0))),
    ]


def _images(n: int, side: int) -> np.ndarray:
    import cv2

    from benchmarks.bench_policies import _photos

    photos = _photos()
    return np.stack([cv2.resize(photos[i % len(photos)], (side, side),
                                interpolation=cv2.INTER_AREA) for i in range(n)])


def _timed(fn, sync, min_time: float) -> float:
    """Calls per second of one run of at least `min_time` seconds."""
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        sync()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= min_time:
            return n / dt


DEFAULT_SIZES = ((32, 128), (224, 32))  # (side, batch)


def run(repeats: int | None = 5, device: str = "cpu", sizes=DEFAULT_SIZES,
        min_time: float = 0.2, only=()) -> list[dict]:
    """Rows {"op", "size", "batch", "device", "library", "img_per_s"}; `only`: row names to
    keep (all when empty)."""
    repeats = 5 if repeats is None else repeats
    import cv2
    import torch

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    dev = torch.device(device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    rows = []
    warnings.simplefilter("ignore", RuntimeWarning)  # host-fallback notices
    for side, b in sizes:
        arr = _images(b, side)
        t8 = torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous().to(dev)
        tf = t8.float().div(255)
        for name, op, kf in _cases():
            if (side != 32 and name == "PadCrop+HFlip+Rotate") or (only and name not in only):
                continue
            rng = np.random.default_rng(0)
            kornia = kf().to(dev) if kf is not None else None
            cells = {"augkit per image": lambda op=op, a=arr, g=rng: [op(im, g) for im in a],
                     "augkit numpy batch": lambda op=op, a=arr, g=rng: op.batch(a, g),
                     "augkit torch batch": lambda op=op, t=t8, g=rng: op.batch(t, g)}
            if kornia is not None:
                cells["kornia"] = lambda k=kornia, t=tf: k(t)
            rates: dict[str, list[float]] = {k: [] for k in cells}
            for fn in cells.values():  # warm-up (caches, lazy imports, CUDA kernels)
                fn()
            for _ in range(repeats):
                for lib, fn in cells.items():
                    rates[lib].append(_timed(fn, sync, min_time) * b)
            for lib, v in rates.items():
                rows.append({"op": name, "size": side, "batch": b, "device": dev.type,
                             "library": lib, "img_per_s": statistics.median(v)})
    return rows


def markdown(rows: list[dict]) -> str:
    """One row per (op, size): images/s per column, and augkit numpy batch / kornia and
    torch batch / kornia (the same run, the same machine)."""
    keys = list(dict.fromkeys((r["op"], r["size"], r["batch"], r["device"]) for r in rows))
    out = ["| row | size | batch | device | " + " | ".join(COLUMNS)
           + " | numpy batch / kornia | torch batch / kornia |",
           "|---|---|---|---|" + "---|" * (len(COLUMNS) + 2)]
    for op, size, b, dev in keys:
        got = {r["library"]: r["img_per_s"] for r in rows
               if (r["op"], r["size"], r["batch"], r["device"]) == (op, size, b, dev)}
        cells = [f"{got[c]:,.0f}" if c in got else "–" for c in COLUMNS]
        ratios = [f"{got[c] / got['kornia']:.2f}x" if "kornia" in got and c in got else "–"
                  for c in ("augkit numpy batch", "augkit torch batch")]
        out.append(f"| {op} | {size} | {b} | {dev} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(out)


def from_args(args) -> list[dict]:
    """The rows `python -m benchmarks batched` asks for: --smoke, --sizes (each side with
    --images per batch; the parser's default keeps `DEFAULT_SIZES`), --only, --repeats."""
    only = tuple(n.strip() for n in (getattr(args, "only", "") or "").split(",") if n.strip())
    if args.smoke:
        return run(1, args.device, sizes=((16, 4),), min_time=0.0, only=only)
    sizes = getattr(args, "sizes", None)
    if sizes and sizes != "256,32":  # (the parser's default is the per-op benchmark's)
        sizes = tuple((int(v), int(getattr(args, "images", 128))) for v in sizes.split(","))
    else:
        sizes = DEFAULT_SIZES
    return run(args.repeats, args.device, sizes=sizes, only=only)


def main(argv=None) -> None:
    from benchmarks.__main__ import add_arguments

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(p)
    a = p.parse_args(["batched"] + list(argv if argv is not None else __import__("sys").argv[1:]))
    print(markdown(from_args(a)))


if __name__ == "__main__":
    main()
