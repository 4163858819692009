"""The search on Ray: fold models trained as Ray tasks, candidates scored through Ray Tune
with Optuna's searcher (`ray.tune.search.optuna.OptunaSearch`) writing into the run's own
SQLite study. Results therefore land in exactly the local backend's format; the policy file
knows nothing about Ray.

A local Ray instance is started when `ray_address` is None (``ray.init()``), otherwise the
driver connects to the cluster at that address. The study lives on the driver, so a failed
worker costs at most its trial (recorded as failed), never the study.
"""

from __future__ import annotations

import os

import numpy as np


def _init(ray_address: str | None):
    import ray

    if not ray.is_initialized():
        kw = {"address": ray_address} if ray_address else {"include_dashboard": False}
        ray.init(ignore_reinit_error=True, log_to_driver=False, logging_level="ERROR", **kw)
    return ray


def _train_task(k, x, y, cfg, n_classes):
    from .train import set_threads, train_fold

    set_threads(1)  # one core per task: folds run side by side
    return train_fold(k, x, y, cfg, n_classes)


def train_folds(jobs, cfg: dict, n_classes: int, ray_address: str | None) -> list:
    """Train one model per fold as parallel Ray tasks; returns `Trained` in job order."""
    ray = _init(ray_address)
    remote = ray.remote(num_cpus=1, max_retries=1)(_train_task)
    return ray.get([remote.remote(k, x, y, cfg, n_classes) for k, x, y in jobs])


def _trainable(config, trained=None, xv=None, yv=None, cfg=None, fold=0):
    """One candidate: score it on the fold's held-out images and report both metrics."""
    from ray import tune

    from . import algorithm as A
    from .train import set_threads

    set_threads(1)
    try:
        m = A.score(trained, xv, yv, A.steps_of(config), cfg["space"],
                    A.trial_seed(cfg["seed"], fold, config["trial_number"]))
    except Exception as e:  # a failing candidate: the searcher records it as FAIL
        tune.report({"value": float("-inf"), "error": f"{type(e).__name__}: {e}"})
        return
    tune.report({"value": A.value_of(m, cfg["objective"]), **m})


def _searcher(**kw):
    """OptunaSearch that records failures with their message: a result carrying "error"
    (the candidate raised) or a Tune error (the worker died) ends the Optuna trial as FAIL
    with an "error" user attr, as the local backend does."""
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    class Searcher(OptunaSearch):
        def on_trial_result(self, trial_id, result):
            if "error" not in result:
                super().on_trial_result(trial_id, result)

        def on_trial_complete(self, trial_id, result=None, error=False):
            ot = self._ot_trials.get(trial_id)
            if ot is None or trial_id in self._completed_trials or not (
                    error or (result and "error" in result)):
                return super().on_trial_complete(trial_id, result, error)
            msg = (result or {}).get("error") or "the Ray worker failed (see the Ray logs)"
            ot.set_user_attr("error", str(msg))
            self._ot_study.tell(ot, state=optuna.trial.TrialState.FAIL)
            self._completed_trials.add(trial_id)

    return Searcher(**kw)


class _Space:
    """Define-by-run search space: the local backend's parameters, plus the Optuna trial's
    number (it seeds the scoring) and id (the driver stores the metrics under it). A class,
    not a closure, because Tune pickles the searcher."""

    def __init__(self, ops: tuple[str, ...]):
        self.ops = ops

    def __call__(self, trial):
        from . import algorithm as A

        A.suggest(trial, self.ops)
        return {"trial_number": trial.number, "optuna_trial_id": trial._trial_id}


def score_fold(storage, k, cfg, trained, xv, yv, ops, prog, ray_address=None) -> None:
    """Run the fold's remaining trials through Ray Tune + OptunaSearch on `storage`."""
    import optuna
    from ray import tune

    from .study import hash_seed, load_study

    study = load_study(storage, k, cfg)
    remaining = cfg["trials"] - len(study.trials)
    if remaining <= 0:
        return
    _init(ray_address)
    n_done = len(study.trials)
    sampler = optuna.samplers.TPESampler(seed=hash_seed(cfg["seed"], k, n_done),
                                         n_startup_trials=max(5, min(15, cfg["trials"] // 4)))

    searcher = _searcher(space=_Space(tuple(ops)), metric="value", mode="max", sampler=sampler,
                            study_name=f"fold-{k}", storage=storage)
    cb = _Recorder(storage, prog, f"fold-{k}")
    fn = tune.with_parameters(_trainable, trained=trained, xv=xv, yv=yv, cfg=cfg, fold=k)
    fn = tune.with_resources(fn, {"cpu": 1})
    import shutil
    import tempfile

    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")  # the study is the record
    scratch = tempfile.mkdtemp(prefix="augkit-ray-")
    tuner = tune.Tuner(
        fn,
        tune_config=tune.TuneConfig(search_alg=searcher, num_samples=remaining),
        run_config=tune.RunConfig(
            name=f"fold-{k}", storage_path=scratch,
            callbacks=[cb], verbose=0, failure_config=tune.FailureConfig(max_failures=0)),
    )
    try:
        tuner.fit()  # failed trials are in the ResultGrid and in the study as FAIL; no raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _recorder_cls():
    from ray.tune import Callback

    class Recorder(Callback):
        """Driver side: copy each trial's metrics into its Optuna trial's user attrs (the
        local backend's format) before the searcher marks it complete."""

        def __init__(self, storage, prog, study_name):
            self.storage, self.prog, self.best = storage, prog, None

        def on_trial_result(self, iteration, trials, trial, result, **info):
            tid = trial.config.get("optuna_trial_id")
            if tid is None:
                return
            for key in ("ce", "acc", "wall_s", "cpu_s"):
                if key in result and "error" not in result:
                    self.storage.set_trial_user_attr(tid, key, float(result[key]))
            v = result.get("value")
            if v is not None and np.isfinite(v):
                self.best = v if self.best is None else max(self.best, v)

        def on_trial_complete(self, iteration, trials, trial, **info):
            self.prog.step(self.best)

        def on_trial_error(self, iteration, trials, trial, **info):
            self.prog.step(self.best)  # the searcher has stored it as FAIL

    return Recorder


def _Recorder(storage, prog, study_name):
    return _recorder_cls()(storage, prog, study_name)
