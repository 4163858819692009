"""Population based augmentation (`augkit search --method pba`, the default): end-to-end
runs on tiny budgets, determinism across worker counts, kill -9 + --resume, the guards, and
a planted task whose answer is known."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("optuna")

from augkit.errors import AugkitValueError  # noqa: E402
from augkit.policy import load_policy  # noqa: E402
from augkit.search import pba as P  # noqa: E402
from augkit.search import run  # noqa: E402
from augkit.search.population import SearchGuardError, population_guard  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TINY = dict(method="pba", subset=300, epochs=4, interval=2, population=4, width=8, strict=False,
            progress=False)


def _histories(run_dir: Path) -> list:
    pop = json.loads((run_dir / "population.json").read_text())
    return [(m["idx"], m["history"], m["schedule"], m["events"]) for m in pop["members"]]


def test_tiny_pba_on_digits_writes_policy_schedule_and_report(tmp_path):
    res = run("digits", tmp_path / "r", workers=1, **TINY)
    d = res.run_dir
    for name in ("policy.yaml", "schedule.json", "population.json", "report.md", "report.png",
                 "population.pt", "config.json", "cost.json"):
        assert (d / name).is_file(), name
    assert load_policy(str(res.policy_path)) == res.policy
    sched = json.loads((d / "schedule.json").read_text())
    assert sched["schedule"][0]["epochs"][0] == 0 and sched["schedule"][-1]["epochs"][1] == 4
    # the plain policy is exactly the last stretch of the schedule: its active ops in pairs
    last = {(s["op"], s["prob"], s["magnitude"]) for s in sched["schedule"][-1]["steps"]}
    in_policy = {(s.op, s.prob, s.magnitude) for sub in res.policy.subpolicies for s in sub}
    assert last == in_policy or (not last and in_policy == {("Identity", 1.0, 0.0)})
    pop = json.loads((d / "population.json").read_text())
    assert len(pop["members"]) == 5 and pop["members"][-1]["control"]
    assert all(len(m["history"]) == 2 for m in pop["members"])  # two rounds of two epochs
    assert pop["members"][-1]["schedule"] == [[0, [[0, 0]] * len(pop["ops"])]]  # never moves
    md = (d / "report.md").read_text()
    assert "## What to do next" in md and "augkit evaluate --run" in md


def test_workers_do_not_change_the_result(tmp_path):
    one = run("digits", tmp_path / "one", workers=1, **TINY)
    two = run("digits", tmp_path / "two", workers=2, **TINY)
    assert _histories(one.run_dir) == _histories(two.run_dir)
    assert one.policy == two.policy


def test_tiny_pba_on_the_cifar10_npz(tmp_path, shared_data):
    npz = shared_data / "cifar10_jpeg" / "cifar10_jpeg.npz"
    if not npz.is_file():
        pytest.fail(f"shared data missing: {npz}")
    res = run(f"npz:{npz}", tmp_path / "c", workers=2, **TINY)
    cfg = json.loads((res.run_dir / "config.json").read_text())
    assert cfg["method"] == "pba" and cfg["test_split"] == "holdout"
    assert load_policy(str(res.policy_path)) == res.policy


def test_resume_after_kill_9_repeats_and_loses_nothing(tmp_path):
    """A run killed in the middle resumes from its last finished round and ends exactly as an
    uninterrupted run does."""
    opts = dict(method="pba", subset=300, epochs=12, interval=2, population=4, width=8,
                strict=False)
    code = (f"from augkit.search import run; run('digits', {str(tmp_path / 'k')!r}, "
            f"workers=1, progress=False, **{opts!r})")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
    ck = tmp_path / "k" / "population.pt"
    deadline = time.time() + 300
    while not ck.is_file() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert ck.is_file(), "no round finished"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    import torch

    done = torch.load(ck, weights_only=False)["round"]
    assert 1 <= done < 6, done  # killed in the middle, with finished rounds on disk
    res = run(resume=tmp_path / "k", workers=1, progress=False)
    ref = run("digits", tmp_path / "u", workers=1, progress=False, **opts)
    assert _histories(res.run_dir) == _histories(ref.run_dir)
    assert res.policy == ref.policy
    assert len(json.loads((res.run_dir / "cost.json").read_text())["sessions"]) == 2


def test_guard_at_chance_names_the_budget(tmp_path):
    with pytest.raises(SearchGuardError, match="epochs.*chance"):
        run("digits", tmp_path / "g", method="pba", subset=1400, epochs=2, interval=1,
            population=2, width=4, lr=1e-7, workers=1, progress=False)


def test_guard_validation_part_too_small(tmp_path):
    with pytest.raises(SearchGuardError, match="subset"):
        run("digits", tmp_path / "v", subset=300, epochs=2, workers=1, progress=False)
    assert not (tmp_path / "v" / "population.pt").exists()  # stopped before any training


def test_guard_population_must_beat_the_control():
    ctrl_hist = [[3, 0.50]]
    ck = {"members": [P.Member(0, 1, [[0, 0]], history=[[3, 0.45]]),
                      P.Member(1, 2, [[0, 0]], history=[[3, 0.49]]),
                      P.Member(2, 3, [[0, 0]], control=True, history=ctrl_hist)]}
    msg = population_guard({}, ck)
    assert msg is not None and "control" in msg and "--epochs" in msg
    ck["members"][1].history = [[3, 0.51]]
    assert population_guard({}, ck) is None


@pytest.mark.parametrize("bad", [dict(population=1), dict(interval=0), dict(method="bogus"),
                                 dict(population=True), dict(strict="yes")])
def test_bad_pba_options_are_refused_before_work(tmp_path, bad):
    with pytest.raises(AugkitValueError):
        run("digits", tmp_path / "b", **{**TINY, **bad})
    assert not (tmp_path / "b").exists()


def test_exploit_copies_the_top_quarter_into_the_bottom_quarter():
    rng = np.random.default_rng(0)
    scores = [0.1, 0.9, 0.5, 0.3, 0.8, 0.2, 0.7, 0.4]
    pairs = P.exploit_pairs(rng, scores)
    assert sorted(li for li, _ in pairs) == [0, 5]  # the two worst
    assert all(di in (1, 4) for _, di in pairs)  # from the two best


def test_explore_stays_on_the_grid_and_moves_at_most_three_unless_resampled():
    rng = np.random.default_rng(1)
    hp = [[5, 5]] * 200
    new = P.explore(rng, hp)
    flat = np.array(new).ravel()
    assert flat.min() >= 0 and flat.max() <= P.LEVELS
    moved = np.abs(flat - 5)
    # about 80% are perturbations (|d| <= 3); the rest are uniform redraws
    assert (moved <= 3).mean() > 0.8 and (moved > 3).any()


def test_policy_of_pairs_every_active_op():
    ops = ("Rotate", "Invert", "Solarize")
    pol = P.policy_of([[3, 4], [0, 9], [10, 2]], ops, "autoaugment")
    assert [[(s.op, s.prob, s.magnitude) for s in sub] for sub in pol.subpolicies] == [
        [("Rotate", 0.3, 0.4), ("Solarize", 1.0, 0.2)]]
    assert P.policy_of([[0, 4]] * 3, ops, "autoaugment") is None
    one = P.policy_of([[2, 4], [0, 0], [0, 0]], ops, "autoaugment")
    assert len(one.subpolicies) == 1 and len(one.subpolicies[0]) == 1


def test_planted_test_time_transform_is_found_over_irrelevant_ops(tmp_path):
    """Validation digits are inverted (the conditions at test time: dark strokes on light
    paper), training digits are not. A model trained on the clean digits alone reads the
    inverted ones at chance; members that draw Invert score far higher and spread through the
    population, while Rotate, ShearX and Cutout buy nothing. The search must find Invert."""
    from augkit.photometric import Invert

    ops = ["Invert", "Rotate", "ShearX", "Cutout"]
    res = run("digits", tmp_path / "p", method="pba", subset=1000, val_size=0.3, epochs=8,
              interval=2, population=4, width=8, ops=ops, val_op=Invert(), batch_size=32,
              workers=2, progress=False)
    pop = json.loads((res.run_dir / "population.json").read_text())
    best = max((m for m in pop["members"] if not m["control"]),
               key=lambda m: m["history"][-1][1])
    ctrl = pop["members"][-1]
    assert ctrl["history"][-1][1] < 0.3  # the planted shift is real: clean training fails
    assert best["history"][-1][1] > ctrl["history"][-1][1] + 0.3
    prob = dict(zip(pop["ops"], (p for p, _ in best["hp"])))
    assert prob["Invert"] >= 5 and prob["Invert"] == max(prob.values()), prob
    assert any(s.op == "Invert" for sub in res.policy.subpolicies for s in sub)


def test_grid_points_spread_magnitude_at_two_probabilities():
    for k in (2, 3, 4, 8, 12):
        pts = P.grid_points(k)
        assert len(pts) == k
        assert all(p in (5, 10) and 1 <= m <= 9 for p, m in pts)
    assert len(set(P.grid_points(8))) == 8
    mags = sorted({m for _, m in P.grid_points(8)})
    assert mags[0] == 1 and mags[-1] == 9  # the whole range, weakest to strongest


def test_tiny_grid_trains_each_point_once_and_keeps_the_best(tmp_path):
    res = run("digits", tmp_path / "g", method="grid", subset=300, epochs=2, population=4,
              width=8, strict=False, workers=2, progress=False)
    pop = json.loads((res.run_dir / "population.json").read_text())
    members = [m for m in pop["members"] if not m["control"]]
    for m, (p, mag) in zip(members, P.grid_points(4)):
        assert m["hp"] == [[p, mag]] * len(pop["ops"])  # every op at the member's point
        assert len(m["history"]) == 1 and m["events"] == [] and len(m["schedule"]) == 1
    best = max(members, key=lambda m: (m["history"][-1][1], -m["idx"]))
    p, mag = best["hp"][0]
    steps = {(s.op, s.prob, s.magnitude) for sub in res.policy.subpolicies for s in sub}
    assert steps == {(op, p / 10, mag / 10) for op in pop["ops"]}
    assert "Grid (RandAugment-style)" in (res.run_dir / "report.md").read_text()


def test_a_format_1_run_resumes_as_density_matching(tmp_path):
    """Runs written before the population methods existed were density matching over the
    whole pool; resuming one must not start a population in its directory."""
    from augkit.search.job import NO_CAP, open_run_dir

    d = tmp_path / "old"
    d.mkdir()
    old = {"format": 1, "data": "digits", "subset": None, "test_size": None,
           "test_split": "holdout", "image_size": None, "folds": 3, "trials": 60, "epochs": 8,
           "proxy": "inception", "width": 16, "objective": "acc", "top_n": 5, "ops": None,
           "space": "autoaugment", "seed": 0, "batch_size": 64, "lr": 0.05, "base": None}
    (d / "config.json").write_text(json.dumps(old))
    _, cfg = open_run_dir(None, d, {})
    assert cfg["method"] == "density" and cfg["max_subset"] == NO_CAP
    assert cfg["epochs"] == 8 and cfg["width"] == 16


@pytest.mark.parametrize("bad", [-3, 2.5, "x", True, 0])
def test_val_size_is_checked_before_anything_is_written(tmp_path, bad):
    with pytest.raises(AugkitValueError, match="val_size"):
        run("digits", tmp_path / "v", val_size=bad, progress=False)
    assert not (tmp_path / "v").exists()


def test_resuming_a_finished_run_keeps_the_chance_guard(tmp_path):
    from augkit.search.population import best_member, load_checkpoint

    opts = dict(method="grid", subset=1400, epochs=1, population=2, width=4, lr=1e-7,
                workers=1, progress=False)
    with pytest.raises(SearchGuardError, match="chance"):
        run("digits", tmp_path / "c", **opts)
    ck = load_checkpoint(tmp_path / "c")
    assert ck["round"] == 1 and best_member(ck).history  # the round was saved
    with pytest.raises(SearchGuardError, match="chance"):
        run(resume=tmp_path / "c", workers=1, progress=False)
    assert not (tmp_path / "c" / "policy.yaml").exists()


def test_tiny_grid_on_the_cifar10_npz_with_a_progress_bar(tmp_path, shared_data, capsys):
    npz = shared_data / "cifar10_jpeg" / "cifar10_jpeg.npz"
    if not npz.is_file():
        pytest.fail(f"shared data missing: {npz}")
    res = run(f"npz:{npz}", tmp_path / "g", method="grid", subset=300, epochs=1, population=2,
              width=8, strict=False, workers=1, progress=True)
    assert load_policy(str(res.policy_path)) == res.policy
    err = capsys.readouterr().err
    assert "3/3" in err and "training" in err  # one tick per member training (2 + control)
