"""Shared pieces of the benchmark: single-thread setup, real images, timing, table.

Rows are plain dicts so that other benchmark modules (``bench_mix``, ``bench_policies``) can
return them from ``run(repeats)`` without importing this file::

    {"row": "Rotate", "size": 256, "augkit": 1234.5, "albumentations": 987.0, ...,
     "note": "..."}

Every numeric value other than ``size`` is a throughput in images per second under the
library's column name. `normalise_rows` also accepts a few other spellings (see there).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")

# Libraries in the order of the table's columns; "augkit batch" is augkit's batched path.
COLUMNS = ("augkit", "augkit batch", "albumentations", "torchvision", "kornia", "timm")
AUGKIT_COLUMNS = ("augkit", "augkit batch")


def single_thread_env() -> None:
    """Pin BLAS/OpenMP pools to one thread; effective only before numpy/torch load them."""
    for v in THREAD_VARS:
        os.environ[v] = "1"


def single_thread_libs() -> None:
    """Pin torch's and OpenCV's own pools (safe to call after import)."""
    import cv2
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process
        pass
    cv2.setNumThreads(1)


def data_root() -> Path:
    env = os.environ.get("AUGKIT_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry",
                  "hubble_deep_field", "retina", "cat", "colorwheel")


def load_photos(limit: int = 64) -> list:
    """Real RGB photos as uint8 HWC arrays: scikit-image's bundled ones, then coco128."""
    import numpy as np

    photos = []
    try:
        from skimage import data as skd

        for name in SKIMAGE_PHOTOS:
            fn = getattr(skd, name, None)
            if fn is None:
                continue
            try:
                img = np.asarray(fn())
            except Exception:  # a dataset that needs pooch/network: skip it
                continue
            if img.ndim == 3 and img.shape[2] >= 3:
                photos.append(np.ascontiguousarray(img[:, :, :3]).astype(np.uint8))
    except ImportError:
        pass
    coco = data_root() / "coco128" / "images" / "train2017"
    if coco.is_dir():
        import cv2

        for p in sorted(coco.glob("*.jpg")):
            if len(photos) >= limit:
                break
            bgr = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if bgr is not None:
                photos.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    if not photos:
        raise SystemExit("benchmarks: no real photos found (install scikit-image or set "
                         "AUGKIT_DATA to the folder holding coco128)")
    return photos[:limit]


def resized(photos: list, size: int, n: int) -> list:
    """`n` images of size x size (cycling through the photos), each its own array."""
    import cv2
    import numpy as np

    out = []
    for i in range(n):
        p = photos[i % len(photos)]
        interp = cv2.INTER_AREA if min(p.shape[:2]) > size else cv2.INTER_LINEAR
        out.append(np.ascontiguousarray(cv2.resize(p, (size, size), interpolation=interp)))
    return out


def throughput(fn: Callable[[], object], n_images: int, repeats: int, warmup: int = 1,
               min_time: float = 0.0, max_call: float = 2.0) -> float:
    """Images per second: `fn` processes `n_images`; median over `repeats` timed calls.

    Each timed call loops `fn` until `min_time` seconds passed so short calls are not
    dominated by timer noise; a call slower than `max_call` seconds is timed once.
    """
    first = None
    for _ in range(warmup):
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
    if first is not None and first > max_call:  # a multi-second call: one timing is plenty
        t0 = time.perf_counter()
        fn()
        return n_images / (time.perf_counter() - t0)
    times = []
    for _ in range(max(1, repeats)):
        loops = 0
        t0 = time.perf_counter()
        while True:
            fn()
            loops += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        times.append(dt / loops)
    return n_images / statistics.median(times)


def interleaved_throughput(fns: dict, n_images: int, repeats: int, min_time: float = 0.0,
                           max_call: float = 2.0) -> dict:
    """`throughput` for several columns of one row, timed in turns: every repeat times each
    column once, the order rotated every repeat, so a change in machine load (or in the
    allocator's state) hits every column alike; the median per column. A column whose call
    raises is left out (its error under its key, as a string); a column slower than
    `max_call` seconds is timed once."""
    out: dict = {}
    live = {}
    for k, fn in fns.items():  # warm-up, and the slow columns timed once
        try:
            t0 = time.perf_counter()
            fn()
            first = time.perf_counter() - t0
        except Exception as e:  # one broken column must not sink the row
            out[k] = f"{type(e).__name__}: {str(e)[:80]}"
            continue
        if first > max_call:
            t0 = time.perf_counter()
            fn()
            out[k] = n_images / (time.perf_counter() - t0)
        else:
            live[k] = fn
    times: dict = {k: [] for k in live}
    keys = list(live)
    for r in range(max(1, repeats)):
        order = keys[r % len(keys):] + keys[:r % len(keys)] if keys else []
        for k in order:
            loops = 0
            t0 = time.perf_counter()
            while True:
                live[k]()
                loops += 1
                dt = time.perf_counter() - t0
                if dt >= min_time:
                    break
            times[k].append(dt / loops)
    for k, ts in times.items():
        out[k] = n_images / statistics.median(ts)
    return out


# --- rows ------------------------------------------------------------------------------

_NAME_KEYS = ("row", "name", "op", "transform", "pipeline", "policy")
_LIB_ALIASES = {"albu": "albumentations", "tv": "torchvision", "torchvision.transforms.v2":
                "torchvision", "tv2": "torchvision", "augkit_batch": "augkit batch"}


def normalise_rows(rows, source: str) -> list[dict]:
    """Accept rows from other benchmark modules in a few shapes and return ours.

    Wide rows (one key per library) are kept; long rows (``library`` + ``images_per_s`` /
    ``img_s`` / ``ms`` / ``seconds``, with ``batch`` or ``n`` images) are grouped into wide
    ones; ``*_ms`` columns with a ``batch`` size become images per second.
    """
    wide: dict[tuple, dict] = {}
    for r in rows or []:
        if not isinstance(r, dict):
            continue
        name = next((str(r[k]) for k in _NAME_KEYS if k in r), source)
        size = r.get("size", r.get("side", ""))
        key = (name, size)
        out = wide.setdefault(key, {"row": name, "size": size, "note": ""})
        n = r.get("batch", r.get("n", r.get("images", 1))) or 1
        if "library" in r or "lib" in r:
            lib = _LIB_ALIASES.get(str(r.get("library", r.get("lib"))),
                                   str(r.get("library", r.get("lib"))))
            val = _rate(r, n)
            if val is not None:
                out[lib] = val
        else:
            for k, v in r.items():
                if k in _NAME_KEYS or k in ("size", "side", "note", "batch", "n", "images"):
                    continue
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    if k.endswith("_ms"):
                        k, v = k[:-3], (n / (v / 1000.0) if v > 0 else None)
                    out[_LIB_ALIASES.get(k, k)] = v
        if r.get("note"):
            out["note"] = "; ".join(x for x in (out["note"], str(r["note"])) if x)
    return list(wide.values())


def _rate(r, n):
    for k in ("images_per_s", "img_s", "images_s", "ips", "throughput"):
        if isinstance(r.get(k), (int, float)):
            return float(r[k])
    if isinstance(r.get("ms"), (int, float)) and r["ms"] > 0:
        return n / (r["ms"] / 1000.0)
    if isinstance(r.get("seconds"), (int, float)) and r["seconds"] > 0:
        return n / r["seconds"]
    return None


def ratio(row: dict, ours: str = "augkit") -> float | None:
    """Column `ours` / the best peer in the row, or None when either is missing."""
    mine = row.get(ours)
    peers = [v for k, v in row.items() if k not in ("row", "size", "note", *AUGKIT_COLUMNS)
             and isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not isinstance(mine, (int, float)) or not peers:
        return None
    return mine / max(peers)


def fmt_rate(v) -> str:
    if not isinstance(v, (int, float)):
        return "–"
    if v >= 100_000:
        return f"{v / 1000:.0f}k"
    if v >= 10_000:
        return f"{v / 1000:.1f}k"
    if v >= 1000:
        return f"{v / 1000:.2f}k"
    return f"{v:.0f}"


def markdown_table(rows: list[dict]) -> str:
    """One line per row: images/s per library, augkit's per-image and batched throughput
    over the best peer's (the limits, e.g. memcpy, are not peers), notes."""
    extra = []
    for r in rows:
        for k in r:
            if k not in ("row", "size", "note") and k not in COLUMNS and k not in extra:
                extra.append(k)
    cols = [c for c in COLUMNS if any(c in r for r in rows)] + extra
    head = ["row", "size", *cols, "augkit / best peer", "batch / best peer", "note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        cells = [str(r.get("row", "")), str(r.get("size", ""))]
        cells += [fmt_rate(r.get(c)) for c in cols]
        for ours in AUGKIT_COLUMNS:
            q = ratio(r, ours)
            cells.append("–" if q is None else f"{q:.2f}×")
        cells.append(str(r.get("note", "")).replace("|", "/"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_outputs(args, report: str, data) -> None:
    """`--out` gets the Markdown report, `--json` the raw data (when given)."""
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
    if args.json:
        import json

        with open(args.json, "w") as f:
            json.dump(data, f, indent=1, default=str)
