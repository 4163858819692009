"""The benchmark harness works (it is never a timed test: nothing here asserts a speed)."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from benchmarks import common


def test_normalise_rows_accepts_wide_long_and_ms_rows():
    wide = common.normalise_rows([{"row": "MixUp", "size": 32, "augkit": 10.0, "timm": 5.0,
                                   "note": "n"}], "m")
    assert wide == [{"row": "MixUp", "size": 32, "note": "n", "augkit": 10.0, "timm": 5.0}]
    long = common.normalise_rows([
        {"op": "RandAugment", "size": 224, "library": "augkit", "images_per_s": 3.0},
        {"op": "RandAugment", "size": 224, "library": "tv", "ms": 500.0, "batch": 2},
    ], "p")
    assert long == [{"row": "RandAugment", "size": 224, "note": "", "augkit": 3.0,
                     "torchvision": 4.0}]
    ms = common.normalise_rows([{"name": "CutMix", "batch": 128, "augkit_ms": 2.0}], "m")
    assert ms[0]["augkit"] == pytest.approx(64000.0)
    assert common.normalise_rows([None, "junk"], "m") == []


def test_ratios_use_the_best_peer_and_skip_limits():
    row = {"row": "Rotate", "size": 32, "augkit": 30.0, "augkit batch": 90.0,
           "albumentations": 10.0, "kornia": 45.0, "note": ""}
    assert common.ratio(row) == pytest.approx(30.0 / 45.0)
    assert common.ratio(row, "augkit batch") == pytest.approx(2.0)
    assert common.ratio({"row": "memcpy", "numpy": 5.0}) is None
    table = common.markdown_table([row, {"row": "memcpy (limit)", "size": 32, "numpy": 1e6}])
    lines = table.splitlines()
    assert lines[0].startswith("| row | size | augkit | augkit batch | albumentations |")
    assert "0.67×" in lines[2] and "2.00×" in lines[2] and "1000k" in lines[3]
    assert common.fmt_rate(None) == "–" and common.fmt_rate(1234.0) == "1.23k"


def test_throughput_counts_images_per_second():
    calls = []
    rate = common.throughput(lambda: calls.append(1), n_images=10, repeats=3, min_time=0.0)
    assert len(calls) == 4 and rate > 0  # one warm-up, three timed calls


def test_real_photos_are_loaded_and_resized():
    pytest.importorskip("skimage")
    photos = common.load_photos(limit=3)
    assert len(photos) == 3 and all(p.dtype == np.uint8 and p.shape[2] == 3 for p in photos)
    small = common.resized(photos, 16, 5)
    assert [im.shape for im in small] == [(16, 16, 3)] * 5


def test_one_row_runs_for_every_library():
    pytest.importorskip("albumentations")
    pytest.importorskip("kornia")
    pytest.importorskip("torchvision")
    from benchmarks import bench_ops

    common.single_thread_libs()
    images = [np.full((16, 16, 3), i * 20, np.uint8) for i in range(4)]
    row = bench_ops.measure("PadCrop", 16, bench_ops.Inputs(images), repeats=1, min_time=0.0)
    for lib in ("augkit", "augkit batch", "albumentations", "torchvision", "kornia"):
        assert row[lib] > 0, row
    missing = bench_ops.measure("NoSuchOp", 16, bench_ops.Inputs(images), 1, 0.0)
    assert "augkit" not in missing and "not in augkit yet" in missing["note"]


def test_cli_registers_the_bench_subcommand():
    from benchmarks.__main__ import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(["bench", "--smoke", "--only", "HFlip"])
    assert args.smoke and args.only == "HFlip" and callable(args.func)


def test_the_batched_benchmark_runs_every_column():
    """`python -m benchmarks batched --smoke`'s rows: augkit per image, numpy batch, torch
    batch and kornia for every case, and a torch-batch / kornia ratio per row."""
    pytest.importorskip("kornia")
    from benchmarks import bench_batched

    rows = bench_batched.run(1, "cpu", sizes=((16, 2),), min_time=0.0)
    libs = {(r["op"], r["library"]) for r in rows}
    ops = {r["op"] for r in rows}
    assert "RandAugment n2 m9" in ops and "Rotate" in ops
    assert all((op, lib) in libs for op in ops for lib in bench_batched.COLUMNS)
    assert all(r["img_per_s"] > 0 and r["device"] == "cpu" for r in rows)
    table = bench_batched.markdown(rows)
    assert table.count("\n") == len(ops) + 1 and "x |" in table
