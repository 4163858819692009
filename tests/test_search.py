"""The search job end to end: tiny searches on digits and CIFAR-10 (JPEG copy), crash-safe
resume after a real kill -9, failed trials, and the planted-invariance check."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("optuna")
pytest.importorskip("sklearn")

from augkit.policy import load_policy  # noqa: E402
from augkit.rich import AutoAugment  # noqa: E402
from augkit.search import run  # noqa: E402

TINY = dict(method="density", strict=False, subset=240, folds=2, trials=4, epochs=1,
            progress=False)
REPO = Path(__file__).resolve().parents[1]


def read_trials(run_dir: Path) -> list[dict]:
    with open(run_dir / "trials.csv") as f:
        return list(csv.DictReader(f))


def test_tiny_search_on_digits_writes_a_loadable_policy(tmp_path):
    res = run("digits", tmp_path / "r", **TINY)
    for name in ("policy.yaml", "trials.csv", "report.md", "report.png", "study.db",
                 "config.json", "cost.json"):
        assert (res.run_dir / name).is_file(), name
    pol = load_policy(str(res.policy_path))
    assert pol == res.policy
    assert 1 <= len(pol.subpolicies) <= 2 * 5 and all(len(s) == 2 for s in pol.subpolicies)
    assert pol.levels is None and all(0 <= st.magnitude <= 1 for s in pol.subpolicies for st in s)
    img = np.random.default_rng(0).integers(0, 256, (24, 24), dtype=np.uint8)
    out = AutoAugment(pol)(img, rng=np.random.default_rng(1))
    assert out.shape == img.shape and out.dtype == np.uint8
    rows = read_trials(res.run_dir)
    assert len(rows) == 2 * 4
    assert {r["state"] for r in rows} == {"COMPLETE"}
    for r in rows:  # both objectives are recorded for every trial; value is the chosen one
        acc, ce = float(r["acc"]), float(r["ce"])
        assert 0 <= acc <= 1 and ce > 0
        assert float(r["value"]) == pytest.approx(acc)
    assert res.cost["train_cpu_s"] > 0 and res.cost["score_cpu_s"] > 0
    md = (res.run_dir / "report.md").read_text()
    assert "fold training" in md and "scoring" in md and "Final policy" in md


def test_tiny_search_on_cifar10_npz(tmp_path, shared_data):
    npz = shared_data / "cifar10_jpeg" / "cifar10_jpeg.npz"
    if not npz.is_file():
        pytest.skip(f"{npz} absent")
    res = run(f"npz:{npz}", tmp_path / "c", method="density", strict=False, subset=200,
              folds=2, trials=3, epochs=1, objective="ce", progress=False)
    rows = read_trials(res.run_dir)
    assert len(rows) == 6 and all(r["state"] == "COMPLETE" for r in rows)
    for r in rows:  # objective "ce": the study maximises minus the cross-entropy
        assert float(r["value"]) == pytest.approx(-float(r["ce"]))
    assert load_policy(str(res.policy_path)).subpolicies


def test_same_out_dir_with_another_config_is_an_error_before_work(tmp_path):
    run("digits", tmp_path / "r", **TINY)
    before = sorted(p.name for p in (tmp_path / "r").iterdir())
    with pytest.raises(ValueError, match="different configuration.*trials"):
        run("digits", tmp_path / "r", **{**TINY, "trials": 5})
    with pytest.raises(ValueError, match="different configuration.*epochs"):
        run(resume=tmp_path / "r", epochs=3, progress=False)
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == before


def test_a_raising_trial_is_recorded_as_failed_and_the_search_goes_on(tmp_path, monkeypatch):
    import augkit.search.algorithm as A

    real = A.score

    def flaky(trained, x, y, steps, space, seed, net=None):
        if seed[2] % 2 == 1:  # every odd trial number raises
            raise RuntimeError("boom in candidate")
        return real(trained, x, y, steps, space, seed, net=net)

    monkeypatch.setattr(A, "score", flaky)
    res = run("digits", tmp_path / "f", **TINY)
    rows = read_trials(res.run_dir)
    assert len(rows) == 8
    failed = [r for r in rows if r["state"] == "FAIL"]
    assert len(failed) == 4 and all("boom in candidate" in r["error"] for r in failed)
    assert all(r["state"] == "COMPLETE" for r in rows if int(r["number"]) % 2 == 0)
    assert res.policy.subpolicies  # built from the completed trials


def _count_trials(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as c:
            return c.execute("select count(*) from trials where state='COMPLETE'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_resume_after_kill_9_loses_and_repeats_no_trial(tmp_path):
    opts = dict(method="density", strict=False, subset=200, folds=2, trials=8, epochs=1)
    code = (f"from augkit.search import run; run('digits', {str(tmp_path / 'k')!r}, "
            f"progress=False, **{opts!r})")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    db = tmp_path / "k" / "study.db"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and _count_trials(db) < 3:
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)  # mid-search: fold 0 has 3+ of its 8 trials
    proc.wait()
    n_before = _count_trials(db)
    assert 3 <= n_before < 16
    assert not (tmp_path / "k" / "policy.yaml").exists()

    res = run(resume=tmp_path / "k", progress=False)
    rows = read_trials(res.run_dir)
    ref = read_trials(run("digits", tmp_path / "u", progress=False, **opts).run_dir)
    assert len(rows) == len(ref) == 16
    keys = [(r["fold"], r["number"]) for r in rows]
    assert len(set(keys)) == 16 and all(r["state"] == "COMPLETE" for r in rows)
    cands = [tuple(r[c] for c in ("op0", "prob0", "mag0", "op1", "prob1", "mag1"))
             for r in rows]
    assert len(set(cands)) == 16  # no candidate re-proposed after the restart
    assert res.cost["sessions"] == 2


def test_a_trial_left_running_by_a_crash_is_finished_not_lost(tmp_path):
    import optuna

    from augkit.search.job import load_study, storage_of

    res = run("digits", tmp_path / "s", **{**TINY, "trials": 3})
    conf = json.loads((res.run_dir / "config.json").read_text())
    study = load_study(storage_of(res.run_dir), 0, conf)
    t = study.ask()  # what a process killed mid-trial leaves behind: RUNNING, half-suggested
    from augkit.search.algorithm import all_ops

    op0 = t.suggest_categorical("op0", list(all_ops()))
    assert t.number == 3
    # the state of a 4-trial run killed during its 4th trial of fold 0
    (res.run_dir / "config.json").write_text(json.dumps({**conf, "trials": 4}))
    out = run(resume=res.run_dir, progress=False)
    fold0 = [r for r in out.trials if r["fold"] == 0]
    assert [r["number"] for r in fold0] == [0, 1, 2, 3]
    assert all(r["state"] == "COMPLETE" for r in fold0)
    assert fold0[3]["op0"] == op0  # its stored parameter was kept
    cands = {tuple(r[c] for c in ("prob0", "mag0", "op1", "prob1", "mag1")) for r in fold0}
    assert len(cands) == 4  # the parameters it lacked are fresh draws, not a replay
    states = {tr.state for tr in load_study(storage_of(res.run_dir), 0, conf).trials}
    assert states == {optuna.trial.TrialState.COMPLETE}


def test_planted_invariance_ranks_the_planted_ops_above_destructive_ones(tmp_path):
    """Fold models learn a density that contains small rotations and shifts (their training
    images get them); held-out images are clean. Density matching must then prefer Rotate /
    Translate (they keep the data inside the learned density) over Invert / Solarize."""
    from augkit.compose import Seq
    from augkit.poor import Rotate, Translate

    planted = Seq([Rotate(degrees=20.0), Translate(x=(-0.15, 0.15), y=(-0.15, 0.15))])
    ops = ["Rotate", "TranslateX", "TranslateY", "Invert", "Solarize"]
    res = run("digits", tmp_path / "p", method="density", subset=800, folds=2, trials=16,
              epochs=8, ops=ops, base=planted, top_n=4, batch_size=32, progress=False)
    clean = [json.loads((res.run_dir / f"fold{k}.json").read_text())["clean_val_acc"]
             for k in (0, 1)]
    assert min(clean) > 0.8, clean  # the fold models did learn the digits
    done = [r for r in res.trials if r["state"] == "COMPLETE"]

    def mean_score(names):
        # trials whose strongest-probability step is one of `names`
        vals = [r["value"] for r in done
                if max(((r["op0"], r["prob0"]), (r["op1"], r["prob1"])), key=lambda s: s[1])[0]
                in names]
        return np.mean(vals) if vals else np.nan
    planted_score = mean_score({"Rotate", "TranslateX", "TranslateY"})
    destructive_score = mean_score({"Invert", "Solarize"})
    assert planted_score > destructive_score + 0.05, (planted_score, destructive_score)
    from collections import Counter

    strong = Counter(s.op for sub in res.policy.subpolicies for s in sub if s.prob >= 0.5)
    n_planted = sum(strong[o] for o in ("Rotate", "TranslateX", "TranslateY"))
    n_bad = strong["Invert"] + strong["Solarize"]
    assert n_planted > n_bad, strong
