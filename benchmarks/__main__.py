"""``python -m benchmarks`` / ``augkit bench``: augkit against its peers, side by side.

One run, single-threaded, the same real photos for every library in its native format,
warm-up then the median of several repeats; prints a Markdown table of images/s with the
ratio augkit / best peer per row. ``--smoke`` runs every row once on tiny inputs (for CI).

``python -m benchmarks e2e`` times whole input pipelines instead (decode, augment, collate
through a DataLoader at 0 and 2 workers; see `benchmarks.bench_e2e`).
"""

from __future__ import annotations

import os

# Before numpy / torch / OpenCV load their thread pools (python -m benchmarks).
for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
           "VECLIB_MAXIMUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import importlib  # noqa: E402
import inspect  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

# Optional benchmark modules owned by other parts of the project: `run(repeats) -> rows`.
EXTRA_MODULES = ("benchmarks.bench_policies", "benchmarks.bench_mix")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", nargs="?", choices=("ops", "e2e", "batched"), default="ops",
                   help="ops: per-op micro-benchmarks (default); e2e: whole input pipelines "
                   "through a DataLoader; batched: one call per batch, numpy and torch "
                   "(on --device) against kornia")
    p.add_argument("--device", default="cpu",
                   help="batched: the torch device of the torch-batched and kornia columns")
    p.add_argument("--smoke", action="store_true",
                   help="every row once on tiny inputs (a CI check that it still runs)")
    p.add_argument("--sizes", default="256,32", help="image sides, comma separated")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed repeats (median is kept; default 7, e2e: 3 epochs)")
    p.add_argument("--images", type=int, default=128, help="images per timed call (the batch)")
    p.add_argument("--min-time", type=float, default=0.05,
                   help="each timed repeat loops until this many seconds passed")
    p.add_argument("--only", default="", help="comma-separated row names to run (e2e: "
                   "pipelines whose name contains one of them)")
    p.add_argument("--no-extra", action="store_true",
                   help="skip the policy and mixer modules")
    p.add_argument("--out", default="", help="also write the report (Markdown) to this file")
    p.add_argument("--json", default="", help="also write the raw rows (images/s) as JSON")
    p.add_argument("--workers", default="0,2", help="e2e: DataLoader worker counts, comma "
                   "separated")
    p.add_argument("--cifar-items", type=int, default=5120,
                   help="e2e: CIFAR-10 train images in the subset (a multiple of 128)")
    p.add_argument("--photo-items", type=int, default=512,
                   help="e2e: items per photo epoch (the COCO128 photos cycled; a multiple "
                   "of 64)")


def register(subparsers) -> None:
    """The `augkit bench` subcommand (see augkit.cli.PLUGINS)."""
    p = subparsers.add_parser("bench", help="time augkit against its peers (Markdown table)")
    add_arguments(p)
    p.set_defaults(func=run_cli)


def environment() -> str:
    """Machine, versions and date, for the report header."""
    import platform

    lines = [f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"]
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       cpu)
    except OSError:
        pass
    lines.append(f"- machine: {cpu or platform.machine()}, {os.cpu_count()} logical CPUs, "
                 f"{platform.system()} {platform.release()}; benchmark threads: 1")
    try:
        load = os.getloadavg()
        lines.append(f"- load average at the end (1/5/15 min): {load[0]:.2f} / {load[1]:.2f} / "
                     f"{load[2]:.2f} (above ~1 means the CPU was shared with other work)")
    except OSError:
        pass
    vers = [f"python {platform.python_version()}"]
    for mod in ("augkit", "numpy", "cv2", "torch", "torchvision", "albumentations", "kornia",
                "timm", "PIL"):
        try:
            vers.append(f"{mod} {importlib.import_module(mod).__version__}")
        except Exception:  # not installed: say so rather than fail
            vers.append(f"{mod} (absent)")
    lines.append("- versions: " + ", ".join(vers))
    return "\n".join(lines)


def _extra_rows(repeats: int, smoke: bool, log) -> list[dict]:
    from .common import normalise_rows

    rows = []
    for name in EXTRA_MODULES:
        short = name.rsplit(".", 1)[1]
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                rows.append({"row": short, "size": "", "note": f"import failed: {e}"})
            else:
                rows.append({"row": short, "size": "", "note": "not built yet: skipped"})
            continue
        fn = getattr(mod, "run", None)
        if fn is None:
            rows.append({"row": short, "size": "", "note": "has no run(repeats): skipped"})
            continue
        kwargs = {}
        if smoke and "smoke" in inspect.signature(fn).parameters:
            kwargs["smoke"] = True
        t0 = time.perf_counter()
        try:
            got = normalise_rows(fn(repeats, **kwargs), short)
        except Exception as e:  # another module's failure is reported, not fatal
            rows.append({"row": short, "size": "", "note": f"failed: {type(e).__name__}: {e}"})
            continue
        log(f"  {short}: {len(got)} rows in {time.perf_counter() - t0:.1f}s")
        rows.extend(got)
    return rows


def _sizes(args) -> list[int]:
    """The checked arguments' sizes; every bad argument is an AugkitValueError naming it,
    raised before any benchmark runs (`augkit bench` turns it into one line, exit 2)."""
    from augkit.errors import value_error

    try:
        sizes = [int(v) for v in str(args.sizes).split(",") if v.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise value_error("bench", "sizes", f"is {args.sizes!r}; expected image sides >= 1, "
                          "comma separated (e.g. 256,32)")
    if args.repeats is None:
        args.repeats = 3 if args.what == "e2e" else 7
    for name in ("repeats", "images", "cifar_items", "photo_items"):
        if getattr(args, name) < 1:
            raise value_error("bench", name, f"is {getattr(args, name)}; expected >= 1")
    if not args.min_time >= 0:
        raise value_error("bench", "min_time", f"is {args.min_time}; expected >= 0")
    for name in ("out", "json"):
        path = getattr(args, name)
        folder = os.path.dirname(path) or "."
        if path and not os.path.isdir(folder):
            raise value_error("bench", name, f"{path!r}: the folder {folder!r} does not exist")
    try:
        workers = [int(v) for v in str(args.workers).split(",") if v.strip()]
    except ValueError:
        workers = []
    if not workers or min(workers) < 0:
        raise value_error("bench", "workers", f"is {args.workers!r}; expected worker counts "
                          ">= 0, comma separated (e.g. 0,2)")
    return sizes


def run_cli(args) -> int:
    sizes = _sizes(args)
    if args.what == "e2e":
        from . import bench_e2e

        return bench_e2e.main(args, environment, lambda m: print(m, file=sys.stderr,
                                                                 flush=True))
    if args.what == "batched":
        from . import bench_batched

        rows = bench_batched.from_args(args)  # --smoke, --sizes, --images, --only
        print(f"{environment()}\n- device: {args.device}\n\n{bench_batched.markdown(rows)}\n")
        return 0
    from . import bench_ops
    from .common import load_photos, markdown_table, resized, single_thread_libs

    single_thread_libs()
    if args.smoke:
        sizes, n, repeats, min_time = [16], 4, 1, 0.0
    else:
        n, repeats, min_time = args.images, args.repeats, args.min_time
    only = {v.strip() for v in args.only.split(",") if v.strip()}

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    photos = load_photos()
    log(f"benchmarks: {len(photos)} photos, sizes {sizes}, {n} images per call, "
        f"{repeats} repeats")
    rows = bench_ops.run(sizes, lambda s: resized(photos, s, n), repeats, min_time, only, log)
    if not args.no_extra and not only:
        rows += _extra_rows(repeats, args.smoke, log)
    table = markdown_table(rows)
    report = (f"{environment()}\n- settings: sizes {sizes}, {n} images per timed call, "
              f"median of {repeats}, {time.perf_counter() - t0:.0f} s in all\n\n{table}\n")
    print(report)
    from .common import write_outputs

    write_outputs(args, report, rows)
    return 0


def main(argv=None) -> int:
    from augkit.errors import AugkitError

    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    add_arguments(p)
    try:
        return run_cli(p.parse_args(argv))
    except AugkitError as e:
        print(f"{p.prog}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
