"""Old tree against new tree, in one run: augkit's own rows of ``python -m benchmarks``.

    python benchmarks/compare_trees.py --old /work/base --new . --repeats 5
    python benchmarks/compare_trees.py --old /work/base --only Rotate,PadCrop --sizes 256

Each tree runs in its own worker process with the tree first on ``sys.path`` (the worker
checks that ``augkit.__file__`` lies inside it), one thread everywhere (BLAS/OpenMP, torch,
OpenCV). Both workers use the *same* benchmark harness, by default the old tree's
``benchmarks`` package (today's rows, and a harness nobody is editing; ``--harness`` picks
another): the same photos, op settings and timing code, so only augkit differs. The
two workers stay alive for the whole run and take turns: for every repeat and every cell
(row, size, column), one timed call in each tree, back to back, the order swapped every
time, so a change in machine load hits both trees alike. Reported: the median images/s per
tree, new/old of the medians, and the median and range of the per-repeat paired ratios
(new/old of the two calls made back to back: the noise). Time is the worker's CPU time by
default (``time.process_time``; one thread, so it is the work done): on a machine shared
with other jobs, wall time also counts the time the core was given to someone else, which
swamps a 5 % difference; ``--clock wall`` times elapsed time as ``python -m benchmarks``
does. A row is flagged "slower" when
both new/old and the paired median are below ``1 - --noise``.

Cells: the per-op rows of `bench_ops` (``augkit`` per image and ``augkit batch``) at
``--sizes``, the policy runners of `bench_policies` (per image, at their own 32 and 224),
and augkit's batch mixers of `bench_mix`; only rows both trees can build are compared.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
           "VECLIB_MAXIMUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
GROUPS = ("ops", "policies", "mix")


# --- the worker: one tree's augkit, the shared harness --------------------------------------

def _load_harness(harness: Path):
    """Import `harness` (a benchmarks folder) as the package ``benchmarks``, whatever
    ``benchmarks`` folder the tree on sys.path has."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "benchmarks", harness / "__init__.py", submodule_search_locations=[str(harness)])
    mod = importlib.util.module_from_spec(spec)
    sys.modules["benchmarks"] = mod
    spec.loader.exec_module(mod)
    return mod


class Worker:
    """Builds the timed callables of one tree lazily and times them on request."""

    def __init__(self, tree: Path, harness: Path, images: int):
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
        sys.path.insert(0, str(tree))
        import augkit

        where = Path(augkit.__file__).resolve()
        if tree not in where.parents:
            raise SystemExit(f"compare_trees: augkit came from {where}, not from {tree}")
        self.augkit_file = str(where)
        _load_harness(harness)
        from benchmarks.common import single_thread_libs

        single_thread_libs()
        self.images = images
        self._inputs: dict = {}
        self._fns: dict = {}

    # cells ------------------------------------------------------------------------------
    def cells(self, groups, sizes) -> list[list]:
        """[group, row, size, column] of every cell this tree can build."""
        out = []
        if "ops" in groups:
            from benchmarks import bench_ops

            for size in sizes:
                for name in bench_ops.row_names():
                    if self._op_factory(name, size) is not None:
                        out += [["ops", name, size, c] for c in ("augkit", "augkit batch")]
        if "policies" in groups:
            from benchmarks import bench_policies

            for size in bench_policies.SIZES:
                out += [["policies", c[0], size, "augkit"] for c in self._policy_cases()]
        if "mix" in groups:
            from benchmarks import bench_mix

            for b, c, h, w, k in bench_mix.SIZES:
                out += [["mix", name, f"{b}x{c}x{h}x{w}", "augkit batch"]
                        for name in self._mix_cases(b, c, h, w, k)]
        return out

    def _op_factory(self, name, size):
        from benchmarks import bench_ops

        try:
            spec = bench_ops._specs(size).get(name)
        except ImportError:
            spec = None
        factory = spec["augkit"] if spec and "augkit" in spec else bench_ops._default_op(name)
        try:
            factory()
        except Exception:  # not in this tree (or broken there): not compared
            return None
        return factory

    def _policy_cases(self) -> list:
        from benchmarks import bench_policies

        try:
            return bench_policies._cases()
        except Exception:
            return []

    def _mix_cases(self, b, c, h, w, k) -> dict:
        import torch

        from benchmarks import bench_mix

        g = torch.Generator().manual_seed(0)
        x = torch.rand((b, c, h, w), generator=g)
        y = torch.randint(0, k, (b,), generator=g)
        return {op: fn for op, lib, fn in bench_mix._cases(x, y, k) if lib == "augkit"}

    # timing -----------------------------------------------------------------------------
    def _fn(self, cell):
        key = tuple(cell)
        if key in self._fns:
            return self._fns[key]
        group, name, size, column = cell
        if group == "ops":
            from benchmarks import bench_ops
            from benchmarks.common import load_photos, resized

            if size not in self._inputs:
                if "photos" not in self._inputs:
                    self._inputs["photos"] = load_photos()
                self._inputs[size] = bench_ops.Inputs(
                    resized(self._inputs["photos"], size, self.images))
            inp = self._inputs[size]
            fn = bench_ops.runner(column, self._op_factory(name, size)(), inp)
            got = (fn, len(inp.numpy))
        elif group == "policies":
            import numpy as np

            from benchmarks import bench_policies

            key_in = ("policy", size)
            if key_in not in self._inputs:
                self._inputs[key_in] = bench_policies._resized(bench_policies._photos(), size)
            arrays = self._inputs[key_in]
            op = next(c[1] for c in self._policy_cases() if c[0] == name)
            rng = np.random.default_rng(0)

            def fn(op=op, rng=rng, arrays=arrays):
                for x in arrays:
                    op(x, rng)
            got = (fn, len(arrays))
        else:
            b, c, h, w = (int(v) for v in size.split("x"))
            from benchmarks import bench_mix

            k = next(s[4] for s in bench_mix.SIZES if s[:4] == (b, c, h, w))
            got = (self._mix_cases(b, c, h, w, k)[name], b)
        got[0]()  # warm-up (first call: imports, caches, lazy tables)
        self._fns[key] = got
        return got

    def time(self, cell, min_time: float, clock: str = "cpu") -> float:
        """Images/s of one timed call (looped until `min_time` seconds passed), in seconds of
        this process's CPU time (``clock="cpu"``) or of wall time ("wall")."""
        fn, n = self._fn(cell)
        now = time.process_time if clock == "cpu" else time.perf_counter
        loops, t0 = 0, now()
        while True:
            fn()
            loops += 1
            dt = now() - t0
            if dt >= min_time:
                return n * loops / dt


def worker_main(tree: str, harness: str, images: int) -> None:
    w = Worker(Path(tree).resolve(), Path(harness).resolve(), images)
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints must not break the protocol
    out.write(json.dumps({"augkit": w.augkit_file}) + "\n")
    out.flush()
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if msg["cmd"] == "cells":
                reply = {"cells": w.cells(msg["groups"], msg["sizes"])}
            else:
                reply = {"rate": w.time(msg["cell"], msg["min_time"], msg["clock"])}
        except Exception as e:  # reported to the parent, which drops the cell
            reply = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


# --- the parent: two workers, interleaved -----------------------------------------------------

class Remote:
    def __init__(self, tree: Path, harness: Path, images: int):
        self.tree = tree
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", str(tree),
             "--harness", str(harness), "--images", str(images)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(tree))
        self.augkit_file = self._read()["augkit"]

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"compare_trees: the worker for {self.tree} died")
        return json.loads(line)

    def ask(self, **msg) -> dict:
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def tree_version(tree: Path) -> str:
    def git(*a):
        return subprocess.run(["git", "-C", str(tree), *a], capture_output=True,
                              text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "?"
    dirty = git("status", "--porcelain", "--", "augkit")
    return head + (" + uncommitted changes under augkit/" if dirty else "")


def compare(args) -> tuple[list[dict], str]:
    old, new = Path(args.old).resolve(), Path(args.new).resolve()
    harness = Path(args.harness or old / "benchmarks").resolve()
    sizes = [int(v) for v in args.sizes.split(",") if v.strip()]
    groups = [g for g in args.groups.split(",") if g.strip()]
    only = {v.strip() for v in args.only.split(",") if v.strip()}
    t0 = time.perf_counter()
    trees = {"old": Remote(old, harness, args.images), "new": Remote(new, harness, args.images)}
    try:
        have = {}
        for which, t in trees.items():
            got = t.ask(cmd="cells", groups=groups, sizes=sizes)
            if "error" in got:
                raise SystemExit(f"compare_trees: {which} tree: {got['error']}")
            have[which] = [tuple(c) for c in got["cells"]]
        cells = [c for c in have["new"] if c in set(have["old"]) and (not only or c[1] in only)]
        rates: dict = {c: {"old": [], "new": []} for c in cells}
        dropped: dict = {}
        for r in range(args.repeats):
            for i, cell in enumerate(cells):
                if cell in dropped:
                    continue
                order = ("old", "new") if (r + i) % 2 == 0 else ("new", "old")
                for which in order:
                    got = trees[which].ask(cmd="time", cell=list(cell), min_time=args.min_time,
                                           clock=args.clock)
                    if "error" in got:
                        dropped[cell] = f"{which}: {got['error']}"
                        break
                    rates[cell][which].append(got["rate"])
            print(f"compare_trees: repeat {r + 1}/{args.repeats} done, "
                  f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        files = {k: t.augkit_file for k, t in trees.items()}
    finally:
        for t in trees.values():
            t.close()
    rows = []
    for cell in cells:
        if cell in dropped:
            rows.append({"group": cell[0], "row": cell[1], "size": cell[2], "column": cell[3],
                         "note": f"failed: {dropped[cell]}"})
            continue
        o, n = rates[cell]["old"], rates[cell]["new"]
        paired = sorted(b / a for a, b in zip(o, n))
        rows.append({"group": cell[0], "row": cell[1], "size": cell[2], "column": cell[3],
                     "old": statistics.median(o), "new": statistics.median(n),
                     "ratio": statistics.median(n) / statistics.median(o),
                     "paired": statistics.median(paired), "paired_lo": paired[0],
                     "paired_hi": paired[-1], "old_all": o, "new_all": n})
    load = os.getloadavg()
    header = (f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
              f"{time.perf_counter() - t0:.0f} s in all\n"
              f"- old: {old} ({tree_version(old)}), augkit from {files['old']}\n"
              f"- new: {new} ({tree_version(new)}), augkit from {files['new']}\n"
              f"- harness: {harness}; {args.images} images per call (ops), "
              f"median of {args.repeats} interleaved repeats, each >= {args.min_time} s of "
              f"{'CPU' if args.clock == 'cpu' else 'wall'} time; one thread; load average at "
              f"the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    return rows, header


def markdown(rows: list[dict], noise: float) -> str:
    from benchmarks.common import fmt_rate

    lines = ["| row | size | column | old img/s | new img/s | new/old | paired: median (range) "
             "| |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "ratio" not in r:
            lines.append(f"| {r['row']} | {r['size']} | {r['column']} | – | – | – | – | "
                         f"{r['note']} |")
            continue
        flag = "slower" if max(r["ratio"], r["paired"]) < 1 - noise else ""
        lines.append(f"| {r['row']} | {r['size']} | {r['column']} | {fmt_rate(r['old'])} | "
                     f"{fmt_rate(r['new'])} | {r['ratio']:.2f} | "
                     f"{r['paired']:.2f} ({r['paired_lo']:.2f}–{r['paired_hi']:.2f}) | {flag} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--old", default="/work/base", help="the tree before (a git worktree)")
    p.add_argument("--new", default=str(HERE.parent), help="the tree after (default: this one)")
    p.add_argument("--harness", default="",
                   help="the benchmarks folder both trees are timed with (default: the old "
                   "tree's)")
    p.add_argument("--sizes", default="256,32", help="image sides of the per-op rows")
    p.add_argument("--groups", default=",".join(GROUPS),
                   help=f"comma separated, of {', '.join(GROUPS)}")
    p.add_argument("--only", default="", help="comma-separated row names to run")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--images", type=int, default=128, help="images per timed call (ops rows)")
    p.add_argument("--min-time", type=float, default=0.05,
                   help="each timed call loops until this many seconds passed")
    p.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                   help="cpu (default): images per second of the worker's CPU time, which "
                   "leaves out the time other processes hold the core on a shared machine; "
                   "wall: elapsed time, as python -m benchmarks")
    p.add_argument("--noise", type=float, default=0.05,
                   help="flag a row 'slower' when new/old and the median paired ratio are "
                   "both below 1 - noise")
    p.add_argument("--json", default="", help="also write the rows (every timing) as JSON")
    p.add_argument("--worker", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker_main(args.worker, args.harness, args.images)
        return 0
    if args.repeats < 1 or args.images < 1 or not args.min_time >= 0:
        p.error("--repeats and --images must be >= 1, --min-time >= 0")
    rows, header = compare(args)
    sys.path.insert(0, str(HERE.parent))
    print(header + "\n\n" + markdown(rows, args.noise))
    if args.json:
        Path(args.json).write_text(json.dumps({"header": header, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
