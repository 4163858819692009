"""The Ray backend on a local Ray instance (2 CPUs): fold training as Ray tasks, scoring
through Ray Tune + OptunaSearch, results in the local backend's format."""

from __future__ import annotations

import csv

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
    res = run("digits", tmp_path / "ray", subset=200, folds=2, trials=3, epochs=1,
              backend="ray", progress=False)
    with open(res.run_dir / "trials.csv") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == COLUMNS
        rows = list(reader)
    assert len(rows) == 6
    assert sorted((r["fold"], r["number"]) for r in rows) == [
        (str(k), str(n)) for k in range(2) for n in range(3)]
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
    assert len(again.trials) == 6 and again.policy == res.policy
