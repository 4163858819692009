"""The Ray backend on a local Ray instance (2 CPUs): fold training as Ray tasks, scoring
through Ray Tune + OptunaSearch, results in the local backend's format."""

from __future__ import annotations

import csv
import os

import pytest

pytest.importorskip("optuna")
ray = pytest.importorskip("ray")
pytest.importorskip("ray.tune")

from augkit.policy import load_policy  # noqa: E402
from augkit.search import run  # noqa: E402
from augkit.search.report import COLUMNS  # noqa: E402


@pytest.fixture
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def test_ray_backend_writes_the_local_format(tmp_path, local_ray):
    res = run("digits", tmp_path / "ray", method="density", strict=False, subset=200,
              folds=2, trials=2, epochs=1,
              backend="ray", progress=False)
    with open(res.run_dir / "trials.csv") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == COLUMNS
        rows = list(reader)
    assert len(rows) == 4
    assert sorted((r["fold"], r["number"]) for r in rows) == [
        (str(k), str(n)) for k in range(2) for n in range(2)]
    for r in rows:
        assert r["state"] == "COMPLETE"
        assert 0 <= float(r["acc"]) <= 1 and float(r["ce"]) > 0
        assert float(r["value"]) == pytest.approx(float(r["acc"]))
        assert float(r["cpu_s"]) > 0
    assert load_policy(str(res.policy_path)) == res.policy
    for k in range(2):
        assert (res.run_dir / f"fold{k}.pt").is_file()  # trained by Ray tasks, stored locally
    # the run directory is an ordinary one: the local backend resumes it (nothing to do)
    again = run(resume=res.run_dir, progress=False)
    assert len(again.trials) == 4 and again.policy == res.policy


def test_a_failing_ray_trial_is_recorded_and_the_study_survives(tmp_path, local_ray,
                                                                monkeypatch):
    import augkit.search.job as job
    from augkit.search.train import Trained

    token = tmp_path / "fail-once"
    token.write_text("")

    class FailOnce(Trained):  # defined here, so Ray ships it to the workers by value
        def net(self):
            try:  # the first trial to grab the token raises, in its Ray worker
                os.rename(self.token, f"{self.token}.{os.getpid()}.{id(self)}")
            except FileNotFoundError:
                return super().net()
            raise RuntimeError("worker fault injected by the test")

    real = job._fold_models

    def wrapped(*args, **kw):
        models = real(*args, **kw)
        out = []
        for m in models:
            f = FailOnce(**m.__dict__)
            f.token = str(token)
            out.append(f)
        return out

    monkeypatch.setattr(job, "_fold_models", wrapped)
    res = run("digits", tmp_path / "rf", method="density", strict=False, subset=200,
              folds=2, trials=3, epochs=1,
              backend="ray", progress=False)
    states = sorted(r["state"] for r in res.trials)
    assert states == ["COMPLETE"] * 5 + ["FAIL"]
    assert res.policy.subpolicies and not token.exists()
    failed = next(r for r in res.trials if r["state"] == "FAIL")
    assert "worker fault injected by the test" in failed["error"]


def test_pba_on_ray_equals_the_local_run(tmp_path, local_ray):
    """Population members' intervals run as Ray tasks; the driver's decisions are seeded, so
    the population, the schedule and the policy equal a local run's bit for bit."""
    import json

    opts = dict(method="pba", subset=300, epochs=2, interval=1, population=2, width=8,
                strict=False, progress=False)
    on_ray = run("digits", tmp_path / "ray", backend="ray", **opts)
    local = run("digits", tmp_path / "local", workers=1, **opts)

    def pop(d):
        return json.loads((d / "population.json").read_text())

    assert pop(on_ray.run_dir) == pop(local.run_dir)
    assert on_ray.policy == local.policy
    assert (on_ray.run_dir / "schedule.json").read_text() == (
        local.run_dir / "schedule.json").read_text()
