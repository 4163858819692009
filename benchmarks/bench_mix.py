"""Batch mixer benchmark: augkit vs torchvision.transforms.v2 and timm on the same batch.

CPU, one thread (``torch.set_num_threads(1)``), float32 batches of 128x3x32x32 (CIFAR) and
64x3x224x224 (ImageNet), class-index labels. Each row is the median time of one call that
returns mixed images and soft labels. timm's Mixup works in place on its input (and needs
an even batch); augkit and torchvision return fresh tensors and leave the input alone. The
"plain copy" row (``images.clone()``) is the floor for any mixer that does not modify its
input. Like for like: every library gets the same float32 batch, so no uint8 -> float
conversion is timed for anyone (torchvision's and timm's mixers need float batches).

    python -m benchmarks.bench_mix            # prints a Markdown table
"""

from __future__ import annotations

import time

import numpy as np

SIZES = ((128, 3, 32, 32, 10), (64, 3, 224, 224, 1000))


def _median_ms(fn, repeats: int) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def _cases(x, y, k):
    import timm.data
    import torch
    import torchvision.transforms.v2 as T

    from augkit.mix import RICAP, CutMix, CutOut, MixUp

    rng = np.random.default_rng(0)
    timm_x = x.clone()  # timm mixes in place: give it its own tensor to scribble on
    mixers = {
        "augkit": {"MixUp": MixUp(num_classes=k), "CutMix": CutMix(num_classes=k),
                   "CutOut": CutOut(size=0.5, num_classes=k), "RICAP": RICAP(num_classes=k)},
        "torchvision": {"MixUp": T.MixUp(num_classes=k), "CutMix": T.CutMix(num_classes=k)},
        "timm": {"MixUp": timm.data.Mixup(mixup_alpha=1.0, cutmix_alpha=0.0, num_classes=k,
                                          label_smoothing=0.0),
                 "CutMix": timm.data.Mixup(mixup_alpha=0.0, cutmix_alpha=1.0, num_classes=k,
                                           label_smoothing=0.0)},
    }
    yield "plain copy", "torch", lambda: x.clone()
    for op in ("MixUp", "CutMix", "CutOut", "RICAP"):
        for lib, table in mixers.items():
            if op not in table:
                continue
            m = table[op]
            if lib == "augkit":
                yield op, lib, (lambda m=m: m(x, y, rng=rng))
            elif lib == "timm":
                yield op, lib, (lambda m=m: m(timm_x, y))
            else:
                yield op, lib, (lambda m=m: m(x, y))
    del torch


def run(repeats: int = 20, smoke: bool = False) -> list[dict]:
    """Rows {"op", "size", "library", "ms_per_batch"} for every (size, op, library); "ms"
    and "batch" repeat them for `python -m benchmarks`. `smoke`: one tiny batch, once."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rows = []
    sizes = ((8, 3, 16, 16, 10),) if smoke else SIZES
    repeats = 1 if smoke else repeats
    try:
        for b, c, h, w, k in sizes:
            g = torch.Generator().manual_seed(0)
            x = torch.rand((b, c, h, w), generator=g)
            y = torch.randint(0, k, (b,), generator=g)
            size = f"{b}x{c}x{h}x{w}"
            for op, lib, fn in _cases(x, y, k):
                ms = _median_ms(fn, repeats)
                rows.append({"op": op, "size": size, "library": lib, "ms_per_batch": ms,
                             "ms": ms, "batch": b})
    finally:
        torch.set_num_threads(threads)
    return rows


def markdown(rows: list[dict]) -> str:
    """One table: rows are (size, op); columns are libraries, plus augkit's ratios."""
    libs = ["augkit", "torchvision", "timm", "torch"]
    keys = []
    for r in rows:
        if (r["size"], r["op"]) not in keys:
            keys.append((r["size"], r["op"]))
    ms = {(r["size"], r["op"], r["library"]): r["ms_per_batch"] for r in rows}
    lines = ["| batch | op | augkit ms | torchvision ms | timm ms | plain copy ms | "
             "timm / augkit | augkit / copy |", "|---|---|---|---|---|---|---|---|"]
    for size, op in keys:
        if op == "plain copy":
            continue
        vals = [ms.get((size, op, lib)) for lib in libs[:3]]
        copy = ms.get((size, "plain copy", "torch"))
        a, timm = vals[0], vals[2]
        cells = [f"{v:.3f}" if v is not None else "-" for v in vals]
        ratio_t = f"{timm / a:.2f}x" if a and timm else "-"
        ratio_c = f"{a / copy:.2f}x" if a and copy else "-"
        lines.append(f"| {size} | {op} | " + " | ".join(cells)
                     + f" | {copy:.3f} | {ratio_t} | {ratio_c} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
