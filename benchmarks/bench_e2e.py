"""``python -m benchmarks e2e``: input speed as a training loop feels it.

Decode, augment, collate into a batch tensor through a torch `DataLoader`, for augkit,
albumentations and torchvision v2 (the pipelines are in `e2e_pipelines`), interleaved in one
run: for each pipeline and worker count every library's loader is built (persistent
workers) and warmed up by one epoch, then each repeat times one epoch of every library in
turn (the order rotates between repeats; every library's loader shuffles alike, so epoch r
has the same batches in every column); the table keeps the median images/s. One thread
per process (OpenMP/MKL pools, torch and OpenCV pinned in the parent and in each worker).
A per-item breakdown at 32x32 (the seeded stream, the epoch read, the collate) follows.
"""

from __future__ import annotations

import statistics
import time

COLUMNS = ("augkit", "augkit batch", "augkit seed=None", "albumentations", "torchvision",
           "decode-only")


def _worker_init(_):
    from .common import single_thread_libs

    single_thread_libs()


def _epoch(loader) -> int:
    """Consume one epoch; the number of items it delivered (every item, no drop_last)."""
    for _ in loader:
        pass
    return len(loader.dataset)


def time_pipeline(p: dict, workers: int, repeats: int, log) -> dict:
    """One table row: median images/s per library for pipeline `p` at `workers`."""
    import torch
    from torch.utils.data import DataLoader

    loaders = {}
    for lib, (ds, collate) in p["libs"].items():
        # The same shuffle for every library, epoch by epoch: each column's epoch r has the
        # same batches. (With a shuffle of its own, a column's 2-worker epoch time depends on
        # how its batches happened to split the dear and cheap photos between the workers:
        # +-3 % between runs at 4 batches an epoch, measured.)
        kw = {"num_workers": workers, "collate_fn": collate, "batch_size": p["batch"],
              "shuffle": True, "generator": torch.Generator().manual_seed(0)}
        if workers:
            kw.update(persistent_workers=True, worker_init_fn=_worker_init)
        loaders[lib] = DataLoader(ds, **kw)
    times: dict[str, list[float]] = {lib: [] for lib in loaders}
    counts = {lib: _epoch(ld) for lib, ld in loaders.items()}  # warm-up (and worker start)
    libs = list(loaders)
    for r in range(repeats):
        order = libs[r % len(libs):] + libs[:r % len(libs)]
        for lib in order:
            t0 = time.perf_counter()
            _epoch(loaders[lib])
            times[lib].append(time.perf_counter() - t0)
    row = {"pipeline": p["name"], "workers": workers}
    for lib in libs:
        row[lib] = counts[lib] / statistics.median(times[lib])
    log(f"  {p['name'][:40]:40s} w={workers}: " + ", ".join(
        f"{lib} {row[lib]:.0f}" for lib in libs))
    del loaders  # ends the persistent workers
    return row


def run(smoke: bool = False, repeats: int = 3, workers=(0, 2), log=print,
        cifar_items: int | None = None, only: str = "",
        photo_items: int | None = None) -> list[dict]:
    from . import e2e_pipelines
    from .common import data_root, single_thread_libs

    single_thread_libs()
    if cifar_items:
        e2e_pipelines.CIFAR_ITEMS = cifar_items
    if photo_items:
        e2e_pipelines.PHOTO_ITEMS = photo_items
    if smoke:
        repeats, workers = 1, (0,)
    rows = []
    keep = [v.strip().lower() for v in only.split(",") if v.strip()]
    for p in e2e_pipelines.pipelines(data_root(), smoke):
        if keep and not any(k in p["name"].lower() for k in keep):
            continue
        for w in workers:
            rows.append(time_pipeline(p, w, repeats, log))
    return rows


def _ratio(a, b) -> str:
    return f"{a / b:.2f}×" if isinstance(a, float) and isinstance(b, float) and b else "–"


def markdown(rows: list[dict]) -> str:
    from .common import fmt_rate

    head = ["pipeline", "workers", *COLUMNS, "augkit / albu", "batch / albu",
            "augkit / decode-only"]
    lines = ["| " + " | ".join(head) + " |",
             "|---|" + "|".join("---:" for _ in head[1:]) + "|"]
    for r in rows:
        cells = [r["pipeline"], str(r["workers"])] + [fmt_rate(r.get(c)) for c in COLUMNS]
        cells += [_ratio(r.get("augkit"), r.get("albumentations")),
                  _ratio(r.get("augkit batch"), r.get("albumentations")),
                  _ratio(r.get("augkit"), r.get("decode-only"))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- where a 32x32 item's time goes --------------------------------------------------------

def _us(fn, n: int, repeats: int = 5) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / n * 1e6


def per_item_profile(n: int = 2048) -> list[tuple[str, float]]:
    """(step, microseconds per item) at 32x32, one thread, numpy items (no decode)."""
    import numpy as np
    import torch

    import augkit
    from augkit import AugmentedDataset
    from augkit.batch import apply_batch_params, sample_batch
    from augkit.loader import BatchAugment, ToTensors
    from augkit.rng import item_rng

    imgs = np.random.default_rng(0).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    data = [(im, i % 10) for i, im in enumerate(imgs)]
    op = augkit.Seq([augkit.PadCrop(padding=4), augkit.HFlip()])
    seeded, plain = AugmentedDataset(data, op, seed=0), AugmentedDataset(data, op)
    raw = AugmentedDataset(data, None, seed=0)
    shared = torch.zeros(1, dtype=torch.int64).share_memory_()
    g = np.random.default_rng(0)
    batches = [range(j, min(j + 128, n)) for j in range(0, n, 128)]
    items = [raw.__getitems__(b) for b in batches]
    stacks = [np.stack([im for im, _ in it]) for it in items]
    params = [[sample_batch(op, item_rng(0, 0, i), s[:1])[0] for i in b]
              for b, s in zip(batches, stacks)]
    aug = [seeded.__getitems__(b) for b in batches]
    old = np.random.SeedSequence
    return [
        ("per-item stream, before: default_rng(SeedSequence([seed, epoch, index]))",
         _us(lambda: [np.random.default_rng(old([0, 0, i])) for i in range(n)], n)),
        ("per-item stream, now: item_rng (Philox, counter = (0, 0, index, epoch))",
         _us(lambda: [item_rng(0, 0, i) for i in range(n)], n)),
        ("epoch read, before: int(shared_tensor[0])", _us(lambda: [int(shared[0]) for _ in
                                                                   range(n)], n)),
        ("epoch read, now: AugmentedDataset.epoch (numpy view)",
         _us(lambda: [seeded.epoch for _ in range(n)], n)),
        ("op alone: PadCrop(4) + HFlip, one generator", _us(lambda: [op(im, g) for im in imgs],
                                                            n)),
        ("AugmentedDataset batch of items, seed=None", _us(
            lambda: [plain.__getitems__(b) for b in batches], n)),
        ("AugmentedDataset batch of items, seeded", _us(
            lambda: [seeded.__getitems__(b) for b in batches], n)),
        ("AugmentedDataset batch of items, op=None (batched route's workers)", _us(
            lambda: [raw.__getitems__(b) for b in batches], n)),
        ("ToTensors collate (uint8 HWC -> CHW tensor)", _us(
            lambda: [ToTensors()(it) for it in aug], n)),
        ("batched route: per-item params (item_rng + sample_batch)", _us(
            lambda: [[sample_batch(op, item_rng(0, 0, i), s[:1])[0] for i in b]
                     for b, s in zip(batches, stacks)], n)),
        ("batched route: apply_batch_params on the stacked batch", _us(
            lambda: [apply_batch_params(op, s, p) for s, p in zip(stacks, params)], n)),
        ("batched route: the whole BatchAugment collate", _us(
            lambda: [BatchAugment(op)(it) for it in items], n)),
    ]


def profile_table(steps) -> str:
    lines = ["| step (32×32, per item) | µs |", "|---|---:|"]
    lines += [f"| {name} | {us:.1f} |" for name, us in steps]
    return "\n".join(lines)


def main(args, environment, log) -> int:
    """`python -m benchmarks e2e` (args from the benchmark CLI's parser)."""
    from .common import single_thread_libs

    single_thread_libs()
    t0 = time.perf_counter()
    workers = tuple(int(w) for w in str(args.workers).split(",") if w.strip())
    repeats = args.repeats or 3
    rows = run(smoke=args.smoke, repeats=repeats, workers=workers, log=log,
               cifar_items=args.cifar_items, only=args.only,
               photo_items=args.photo_items)
    steps = per_item_profile(256 if args.smoke else 2048)
    items = 256 if args.smoke else args.cifar_items
    report = (f"{environment()}\n- settings: workers {list(workers) if not args.smoke else [0]}"
              f", median of {1 if args.smoke else repeats} epochs after a warm-up epoch, "
              f"CIFAR-10 subset of {items} train images, COCO128 photos (128; 100 with "
              f"masks) cycled to {8 if args.smoke else args.photo_items} items an epoch, "
              f"{time.perf_counter() - t0:.0f} s in all\n\n{markdown(rows)}\n\n"
              f"{profile_table(steps)}\n")
    print(report)
    from .common import write_outputs

    write_outputs(args, report, {"rows": rows, "per_item_us": steps})
    return 0
