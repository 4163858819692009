"""Search job parts: data specs and their errors, proxy networks and receptive fields,
`augkit evaluate`, and the CLI."""

from __future__ import annotations

import gzip
import hashlib
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("optuna")
pytest.importorskip("sklearn")

from augkit.errors import AugkitValueError  # noqa: E402
from augkit.search import data as D  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


# -- data --------------------------------------------------------------------------------------
def _hashes(x):
    return {hashlib.sha1(im.tobytes()).hexdigest() for im in x}


def test_digits_split_is_stratified_disjoint_and_independent_of_the_subset():
    a = D.prepare("digits", subset=300, test_size=0.25, seed=3)
    b = D.prepare("digits", subset=900, test_size=0.25, seed=3)
    assert a.search.x.shape[1:] == (24, 24) and a.search.x.dtype == np.uint8
    assert len(a.search) == 300 and len(a.test) == round(0.25 * 1797)
    assert np.array_equal(a.test.x, b.test.x)  # the test part never depends on the subset
    assert not (_hashes(a.search.x) & _hashes(a.test.x))
    assert not (_hashes(b.search.x) & _hashes(b.test.x))
    counts = np.bincount(a.search.y, minlength=10)
    assert counts.min() >= 28 and counts.max() <= 32  # ~30 per class
    assert a.search.flip_ok is False


def test_kfold_is_stratified_and_partitions():
    y = np.repeat(np.arange(5), 13)
    folds = D.kfold(y, 3, seed=0)
    held = np.concatenate([v for _, v in folds])
    assert sorted(held) == list(range(len(y)))
    for tr, va in folds:
        assert not set(tr) & set(va)
        assert np.bincount(y[va], minlength=5).min() >= 4


def test_mnist_idx_reader_on_the_real_files(shared_data):
    root = shared_data / "mnist_test"
    if not root.is_dir():
        pytest.skip("mnist_test absent")
    p = D.prepare(f"mnist:{root}", subset=500, test_size=200, seed=0)
    assert p.search.x.shape == (500, 28, 28) and len(p.test) == 200
    with gzip.open(root / "t10k-labels-idx1-ubyte.gz") as f:  # independent reader (README)
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    assert np.array_equal(np.bincount(y), np.bincount(D.open_source(f"mnist:{root}").labels))


def test_npz_decodes_like_pil(shared_data):
    import io

    from PIL import Image

    npz = shared_data / "cifar10_jpeg" / "cifar10_jpeg.npz"
    if not npz.is_file():
        pytest.skip("cifar10_jpeg absent")
    src = D.open_source(f"npz:{npz}")
    d = np.load(npz)
    off, buf = d["train_offsets"], d["train_jpeg"]
    for i in (0, 12345, 49999):
        ref = np.asarray(Image.open(io.BytesIO(buf[off[i]:off[i + 1]].tobytes())).convert("RGB"))
        got = src.get(np.array([i]))[0]
        assert got.shape == (32, 32, 3)
        assert np.abs(got.astype(int) - ref).max() <= 2  # libjpeg builds may differ by a level
    assert src.test is not None and len(src.test.labels) == 10000


def test_cifar10_pickle_layout_and_folder_layout(tmp_path):
    import cv2

    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (50, 32, 32, 3), dtype=np.uint8)
    for i in range(1, 6):
        chunk = imgs[(i - 1) * 10:i * 10]
        batch = {b"data": chunk.transpose(0, 3, 1, 2).reshape(10, -1),
                 b"labels": list(range(10))}
        (root / f"data_batch_{i}").write_bytes(pickle.dumps(batch))
    src = D.open_source(f"cifar10:{tmp_path}")
    assert np.array_equal(src.get(np.arange(50)), imgs)

    for c in ("cat", "dog"):
        (tmp_path / "f" / c).mkdir(parents=True)
        for j in range(3):
            cv2.imwrite(str(tmp_path / "f" / c / f"{j}.png"), imgs[j][..., ::-1])
    fsrc = D.open_source(f"folder:{tmp_path / 'f'}", image_size=32)
    assert fsrc.classes == ("cat", "dog") and list(fsrc.labels) == [0, 0, 0, 1, 1, 1]
    assert np.array_equal(fsrc.get(np.array([1]))[0], imgs[1])


@pytest.mark.parametrize("spec, match", [
    ("imagenet:/x", "unknown"),
    ("npz:/nonexistent/file.npz", "no such file"),
    ("mnist:/nonexistent", "no such folder"),
    ("cifar10:/nonexistent", "missing"),
    ("folder:", "needs a path"),
])
def test_bad_specs_are_clear_errors(spec, match):
    with pytest.raises(AugkitValueError, match=match):
        D.prepare(spec)


def test_malformed_and_empty_datasets_are_clear_errors(tmp_path):
    np.savez(tmp_path / "bad.npz", images=np.zeros(3))
    with pytest.raises(AugkitValueError, match="lacks train_jpeg"):
        D.prepare(f"npz:{tmp_path / 'bad.npz'}")
    np.savez(tmp_path / "off.npz", train_jpeg=np.zeros(10, np.uint8),
             train_offsets=np.array([0, 5, 3]), train_labels=np.array([0, 1]))
    with pytest.raises(AugkitValueError, match="offsets"):
        D.prepare(f"npz:{tmp_path / 'off.npz'}")
    (tmp_path / "folder" / "a").mkdir(parents=True)
    (tmp_path / "folder" / "b").mkdir()
    (tmp_path / "folder" / "a" / "x.png").write_bytes(b"not really")
    with pytest.raises(AugkitValueError, match="class 'b' is empty"):
        D.prepare(f"folder:{tmp_path / 'folder'}")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "t10k-images-idx3-ubyte").write_bytes(b"\0\0\x08\x01" + bytes(8))
    (tmp_path / "m" / "t10k-labels-idx1-ubyte").write_bytes(b"\0\0\x08\x01" + bytes(8))
    with pytest.raises(AugkitValueError, match="magic 2051"):
        D.prepare(f"mnist:{tmp_path / 'm'}")


def test_too_small_subset_for_k_folds_and_bad_options_fail_before_work(tmp_path):
    from augkit.search import run

    with pytest.raises(AugkitValueError, match="3-fold search needs at least 3 per class"):
        run("digits", tmp_path / "a", method="density", strict=False, subset=20, folds=3,
            progress=False)
    with pytest.raises(AugkitValueError, match="ops has unknown op.*Blur"):
        run("digits", tmp_path / "b", ops="Rotate,Blur", progress=False)
    with pytest.raises(AugkitValueError, match="objective"):
        run("digits", tmp_path / "c", objective="f1", progress=False)
    with pytest.raises(AugkitValueError, match="folds"):
        run("digits", tmp_path / "d", method="density", strict=False, folds=1, progress=False)
    with pytest.raises(AugkitValueError, match="holds no search run"):
        run(resume=tmp_path / "nothing", progress=False)
    assert not any((tmp_path / n).exists() for n in "abcd")


# -- proxies and receptive fields ------------------------------------------------------------
def test_receptive_field_matches_hand_computed_values():
    from torch import nn

    from augkit.search.proxy import receptive_field

    # r = 1 + (3-1)*1 = 3; stride 2 conv: r = 3 + 2*1 = 5, j = 2; dilated 3x3 (d=2): r = 5 +
    # 2*2*2 = 13; 2x2 max-pool stride 2: r = 13 + 1*2 = 15, j = 4; 5x5: r = 15 + 4*4 = 31
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(4, 4, 3, 2, 1),
                        nn.ReLU(), nn.Conv2d(4, 4, 3, padding=2, dilation=2), nn.MaxPool2d(2),
                        nn.Conv2d(4, 4, 5, padding=2))
    rf = receptive_field(net, 31)
    assert (rf.size, rf.jump, rf.covers) == (31, 4, True)
    with pytest.warns(RuntimeWarning, match="does NOT cover the 32px input"):
        assert receptive_field(net, 32).covers is False


@pytest.mark.parametrize("name", ["resnext", "sepdil", "inception"])
def test_proxies_cover_32px_and_rf_matches_the_gradient_footprint(name):
    """The calculator against an independent measurement: the input pixels that the centre
    output unit's gradient reaches (all-positive weights so no ReLU blocks a path)."""
    import torch

    from augkit.search.proxy import build, receptive_field

    net = build(name, 3, 10, width=8)
    rf = receptive_field(net, 32)
    assert rf.covers
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.weight.fill_(1.0 / m.weight[0].numel())
    net.eval()
    size = 2 * rf.size + 8 * rf.jump  # big enough that the footprint is not clipped
    x = torch.ones(1, 3, size, size, requires_grad=True)
    f = net.features(x)
    c = f.shape[-1] // 2
    f[0, :, c, c].sum().backward()
    cols = torch.nonzero(x.grad[0].abs().sum(0).sum(0)).flatten()
    footprint = int(cols.max() - cols.min() + 1)
    assert rf.size - rf.jump < footprint <= rf.size  # exact up to border alignment


def test_proxy_forward_shapes_and_bad_names():
    import torch

    from augkit.search.proxy import build

    for name in ("resnext", "sepdil", "inception"):
        assert build(name, 1, 7, 8)(torch.zeros(2, 1, 24, 24)).shape == (2, 7)
    with pytest.raises(AugkitValueError, match="proxy"):
        build("vgg", 3, 10)


# -- evaluate ----------------------------------------------------------------------------------
def test_t_interval_and_verdict():
    from augkit.search.evaluation import t_interval, verdict_of

    m, lo, hi = t_interval(np.array([0.01, 0.02, 0.03]))
    # t(0.975, df=2) = 4.3027 (table value); sd = 0.01; half-width = 4.3027 * 0.01 / sqrt(3)
    assert m == pytest.approx(0.02) and hi - m == pytest.approx(4.3027 * 0.01 / 3 ** 0.5, 1e-4)
    by_arm = {"base": np.array([0.80, 0.81, 0.82]),
              "base+trivialaugment": np.array([0.85, 0.86, 0.84]),
              "base+searched": np.array([0.90, 0.91, 0.89])}
    summary = [{"arm": a, "acc_mean": float(v.mean())} for a, v in by_arm.items()]
    assert verdict_of(summary, by_arm).startswith("Verdict: use the searched policy")
    by_arm["base+searched"] = np.array([0.86, 0.83, 0.86])  # within noise of trivialaugment
    summary = [{"arm": a, "acc_mean": float(v.mean())} for a, v in by_arm.items()]
    assert verdict_of(summary, by_arm).startswith("Verdict: use base+trivialaugment")


def test_density_guard_at_chance_names_the_budget(tmp_path):
    from augkit.search import run
    from augkit.search.population import SearchGuardError

    with pytest.raises(SearchGuardError, match="fold model 0.*chance.*--epochs"):
        run("digits", tmp_path / "g", method="density", subset=600, folds=2, trials=2,
            epochs=1, lr=1e-7, progress=False)
    assert not (tmp_path / "g" / "policy.yaml").exists()  # no policy from a blind proxy


def test_evaluate_compares_all_arms_on_the_held_out_split(tmp_path):
    from augkit.search import evaluate, run

    res = run("digits", tmp_path / "r", method="density", strict=False, subset=200, folds=2,
              trials=3, epochs=1, progress=False)
    ev = evaluate(run_dir=res.run_dir, seeds=2, epochs=1, width=8, subset=150, workers=2,
                  progress=False)
    arms = [s["arm"] for s in ev.summary]
    assert arms == ["none", "base", "base+randaugment", "base+trivialaugment",
                    "base+autoaugment-cifar10", "base+random", "base+searched"]
    assert len(ev.rows) == 14
    md = (ev.out / "eval.md").read_text().strip().splitlines()
    assert md[-1].startswith("Verdict: ") and md[-1] == ev.verdict
    assert (ev.out / "eval.csv").is_file() and (ev.out / "eval.png").is_file()
    px = {s["arm"]: s["pixel_change"] for s in ev.summary}
    assert px["none"] == 0 and px["base"] > 0 and px["base+randaugment"] > 0
    # paired: the same seed gives the same initialisation and batch order, so the
    # un-augmented arms are reproducible exactly, in one process or in two
    from augkit.search.evaluation import evaluate as ev_fn

    again = ev_fn(run_dir=res.run_dir, seeds=1, epochs=1, width=8, subset=150,
                  arms=["none", "base"], out=tmp_path / "again", workers=1, progress=False)
    first = {(r["arm"], r["seed"]): r["acc"] for r in ev.rows}
    assert [r["acc"] for r in again.rows] == [first[("none", 0)], first[("base", 0)]]
    assert again.verdict.startswith("Verdict: ")


def test_verdict_names_a_tie_when_searched_beats_base_but_not_the_best():
    from augkit.search.evaluation import verdict_of

    by_arm = {"base": np.array([0.60, 0.61, 0.605]),
              "base+randaugment": np.array([0.63, 0.64, 0.62]),
              "base+searched": np.array([0.625, 0.645, 0.62])}
    summary = [{"arm": a, "acc_mean": float(v.mean())} for a, v in by_arm.items()]
    v = verdict_of(summary, by_arm)
    assert v.startswith("Verdict: use the searched policy or base+randaugment (a tie)"), v


def test_fractions_are_nested_stratified_and_the_log_fit_recovers_a_slope(tmp_path):
    from augkit.search.evaluation import nested_subsets
    from augkit.search.fractions import check_fractions, fit_log2

    y = np.repeat(np.arange(4), 50)
    subs = nested_subsets(y, [0.125, 0.25, 0.5], seed=3)
    assert set(subs[0.125]) < set(subs[0.25]) < set(subs[0.5])
    for f, idx in subs.items():
        assert (np.bincount(y[idx], minlength=4) == round(50 * f)).all()
    n = np.array([100, 200, 400, 800])
    a, b = fit_log2(n, 0.3 + 0.04 * np.log2(n))
    assert a == pytest.approx(0.3) and b == pytest.approx(0.04)
    assert check_fractions("0.5,0.125,1") == [0.125, 0.5]
    for bad in ("0", "1.5", "x", ""):
        with pytest.raises(AugkitValueError, match="fractions"):
            check_fractions(bad)


def test_evaluate_fractions_on_a_tiny_budget(tmp_path):
    from augkit.search import evaluate

    ev = evaluate("autoaugment-cifar10", "digits", out=tmp_path / "f", seeds=1, epochs=1,
                  width=8, subset=200, arms=["none", "base"], fractions="0.25,0.5,1",
                  workers=1, progress=False)
    lines = (ev.out / "fractions.md").read_text()
    assert "| none |" in lines and "points per doubling" in lines
    assert (ev.out / "fractions.png").is_file()
    import csv

    with open(ev.out / "fractions.csv") as f:
        rows = list(csv.DictReader(f))
    sizes = sorted({int(r["n_train"]) for r in rows})
    assert len(sizes) == 3 and sizes[-1] == 200 and abs(sizes[0] - 50) <= 5


# -- CLI -----------------------------------------------------------------------------------------
def test_cli_registers_cheaply_and_reports_bad_input(tmp_path):
    code = ("import sys, augkit.search.cli, augkit.search; "
            "print(sorted(m for m in ('torch', 'optuna', 'ray', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout
    assert out.strip() == "[]"
    from augkit.cli import main

    assert main(["search", "--data", "nope:x", "--out", str(tmp_path / "o")]) == 2
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])


def test_identity_check_flags_a_policy_below_every_zero_cost_policy():
    from augkit.search.evaluation import identity_check

    summary = [{"arm": "base+randaugment", "pixel_change": 29.6},
               {"arm": "base+random", "pixel_change": 17.0},
               {"arm": "base+searched", "pixel_change": 24.2}]
    assert "within their range" in identity_check(summary)
    summary[-1]["pixel_change"] = 7.1  # the population search's near-identity policy
    assert "near-identity" in identity_check(summary)
    assert identity_check(summary[:2]) is None  # no searched arm: nothing to say
