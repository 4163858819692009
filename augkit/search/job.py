"""The search job: config and run directory, and the density-matching method.

Every run directory holds ``config.json`` (what defines the run) and ``cost.json``
(wall-clock per session). The population methods (``grid``, ``pba``) run in
`population.run_pba` and write through `pba_report` (``population.pt``, ``schedule.json``,
``population.json``, ``policy.yaml``, ``report.md``, ``report.png``). Density matching runs
here: ``study.db`` (Optuna SQLite storage, one study per fold), ``fold{k}.pt`` +
``fold{k}.json`` (trained fold models and their cost), and the outputs of `report.write`:
``policy.yaml``, ``trials.csv``, ``report.md``, ``report.png``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .._atomic import save_torch, write_text
from ..errors import value_error
from . import algorithm as A
from .progress import Progress
from .study import SearchResult, hash_seed, load_study, storage_of  # noqa: F401 (re-exported)
from .train import base_op, train_fold  # noqa: F401 (re-exported)

FORMAT = 2  # 2: method, population options and max_subset (format 1 was density only)
NO_CAP = 2 ** 31 - 1  # max_subset of a format-1 run: it searched its whole pool
# What defines a run (and must match on --resume). Defaults = the default budget: on 2 CPU
# cores the grid searches a 3,000-image CIFAR-10 subset in about 9 minutes (docs/search.md).
DEFAULTS = {
    "data": "digits", "subset": None, "test_size": None, "test_split": "holdout",
    "image_size": None, "folds": 3, "trials": 60, "epochs": None, "proxy": "inception",
    "width": None, "objective": "acc", "top_n": 5, "ops": None, "space": "autoaugment",
    "seed": 0, "batch_size": 64, "lr": 0.05,
    "base": None,  # fold-training augmentation as an augkit op (dict); None: pad-crop (+ flip)
    "method": "grid", "population": 8, "interval": 3, "val_size": 0.2, "strict": True,
    "max_subset": 3000,  # no --subset: a stratified subset of at most this many images
    "val_op": None,  # pba: an augkit op (dict) applied once to the validation images
}
METHODS = ("pba", "grid", "density")
# Defaults that depend on the method: population members train the whole schedule (long
# enough for augmentation to pay); density matching's fold models only need to recognise.
METHOD_DEFAULTS = {"pba": {"epochs": 30, "width": 32}, "grid": {"epochs": 30, "width": 32},
                   "density": {"epochs": 8, "width": 16}}


def check_config(cfg: dict) -> dict:
    """Validate every option before any work; returns the normalised config."""
    unknown = set(cfg) - set(DEFAULTS)
    if unknown:
        raise value_error("search", "options", f"{sorted(unknown)} are unknown; expected "
                          f"{sorted(DEFAULTS)}")
    c = {**DEFAULTS, **{k: v for k, v in cfg.items() if v is not None}}
    if c["method"] not in METHODS:
        raise value_error("search", "method", f"is {c['method']!r}; expected one of {METHODS}")
    for k, v in METHOD_DEFAULTS[c["method"]].items():
        c[k] = v if c[k] is None else c[k]
    if not isinstance(c["strict"], bool):
        raise value_error("search", "strict", f"is {c['strict']!r}; expected True or False")
    from .population import check_options

    check_options(c)

    def pos_int(k, lo=1):
        if not (isinstance(c[k], int) and not isinstance(c[k], bool) and c[k] >= lo):
            raise value_error("search", k, f"is {c[k]!r}; expected an integer >= {lo}")
    for k, lo in (("folds", 2), ("trials", 1), ("epochs", 1), ("top_n", 1), ("batch_size", 1),
                  ("seed", 0), ("width", 4), ("max_subset", 1)):
        pos_int(k, lo)
    if c["objective"] not in A.OBJECTIVES:
        raise value_error("search", "objective", f"is {c['objective']!r}; expected one of "
                          f"{A.OBJECTIVES}")
    from .proxy import PROXIES

    if c["proxy"] not in PROXIES:
        raise value_error("search", "proxy", f"is {c['proxy']!r}; expected one of "
                          f"{sorted(PROXIES)}")
    if not (isinstance(c["lr"], (int, float)) and c["lr"] > 0):
        raise value_error("search", "lr", f"is {c['lr']!r}; expected a positive number")
    c["ops"] = list(A.check_ops(c["ops"], c["space"])) if c["ops"] is not None else None
    for key in ("base", "val_op"):
        if c[key] is not None:
            c[key] = _op_dict(key, c[key])
    return c


def _op_dict(key: str, op) -> dict:
    """An augkit op (or its dict) in the normal form stored in config.json."""
    from ..core import Op
    from ..serial import from_dict, to_dict

    if isinstance(op, Op):
        op = to_dict(op)
    try:
        op = to_dict(from_dict(op))  # normal form, for comparisons
    except Exception as e:
        raise value_error("search", key, f"is not an augkit op ({e})") from None
    return json.loads(json.dumps(op))  # tuples -> lists, as stored in JSON


def _load_json(p: Path, default):
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return default


def _write_json(p: Path, obj) -> None:
    write_text(p, json.dumps(obj, indent=2, sort_keys=True))


def open_run_dir(out, resume, given: dict) -> tuple[Path, dict]:
    """Create `out`, or reopen `resume` / an `out` that holds the same run. A run directory
    whose config differs from the options given is an error, before any work."""
    if resume is not None:
        run_dir = Path(resume)
        stored = _load_json(run_dir / "config.json", None)
        if stored is None:
            raise value_error("search", "resume", f"{run_dir} holds no search run "
                              "(config.json missing)")
        stored = check_config(_migrate(stored))
        explicit = {k: v for k, v in given.items() if v is not None}
        clash = {k: (stored.get(k), v) for k, v in explicit.items()
                 if check_config({**stored, k: v})[k] != stored.get(k)}
        if clash:
            raise value_error("search", "resume", f"{run_dir} was run with a different "
                              f"configuration: {_diff(clash)}")
        return run_dir, stored
    cfg = check_config(given)
    run_dir = Path(out) if out is not None else Path("runs") / time.strftime("search-%Y%m%d-%H%M%S")
    stored = _load_json(run_dir / "config.json", None)
    if stored is not None:
        stored = check_config(_migrate(stored))
        clash = {k: (stored.get(k), v) for k, v in cfg.items() if stored.get(k) != v}
        if clash:
            raise value_error("search", "out", f"{run_dir} holds a run with a different "
                              f"configuration: {_diff(clash)}; pick another --out")
    elif run_dir.exists() and any(run_dir.iterdir()):
        raise value_error("search", "out", f"{run_dir} exists and is not a search run "
                          "directory; pick another --out")
    return run_dir, cfg


def _migrate(stored: dict) -> dict:
    """A stored config in the current format: format-1 runs were density matching over the
    whole pool, and must resume as such, not with today's defaults."""
    stored = dict(stored)
    if stored.pop("format", 1) < 2:
        stored.setdefault("method", "density")
        stored.setdefault("max_subset", NO_CAP)
    return stored


def _diff(clash: dict) -> str:
    return ", ".join(f"{k}: run has {a!r}, given {b!r}" for k, (a, b) in sorted(clash.items()))


def run(data: str | None = None, out=None, *, resume=None, backend: str = "local",
        ray_address: str | None = None, threads: int | None = None, progress=None,
        workers: int | None = None, **options) -> SearchResult:
    """Search a policy. See `DEFAULTS` for `options` (method, subset, epochs, width, proxy,
    population, interval, val_size, ops, space, seed; folds, trials, objective, top_n for
    density matching). Returns the policy and the run record; ``augkit search`` is this
    function on the command line. `workers`: processes for the population's members (default:
    one per CPU core; results do not depend on it)."""
    if backend not in ("local", "ray"):
        raise value_error("search", "backend", f"is {backend!r}; expected 'local' or 'ray'")
    run_dir, cfg = open_run_dir(out, resume, {"data": data, **options})
    from .data import kfold, prepare

    prep = prepare(cfg["data"], subset=cfg["subset"], test_size=cfg["test_size"],
                   test_split=cfg["test_split"], seed=cfg["seed"], min_per_class=cfg["folds"],
                   image_size=cfg["image_size"], max_subset=cfg["max_subset"])
    run_dir.mkdir(parents=True, exist_ok=True)
    _write_json(run_dir / "config.json", {"format": FORMAT, **cfg})
    from .train import set_threads

    set_threads(threads)
    if cfg["method"] in ("pba", "grid"):
        return _run_pba(run_dir, cfg, prep, backend, ray_address, workers, progress)
    ops = A.check_ops(cfg["ops"], cfg["space"])
    x, y = prep.search.x, prep.search.y
    folds = kfold(y, cfg["folds"], cfg["seed"])
    costs = _load_json(run_dir / "cost.json", {"sessions": []})
    session = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "wall_s": 0.0, "cpu_s": 0.0,
               "train_wall_s": 0.0, "score_wall_s": 0.0}
    costs["sessions"].append(session)
    t0, c0 = time.perf_counter(), time.process_time()

    def save_cost():
        session.update(wall_s=time.perf_counter() - t0, cpu_s=time.process_time() - c0)
        _write_json(run_dir / "cost.json", costs)

    n_classes = len(prep.search.classes)
    prog = Progress(cfg["folds"] * cfg["trials"], 0, progress)
    prog.log(f"{prep.search.name}: {len(y)} search images ({len(prep.test.y)} held out for "
             f"evaluate), {cfg['folds']} folds x {cfg['trials']} trials, run dir {run_dir}")
    try:
        tt = time.perf_counter()
        models = _fold_models(run_dir, cfg, x, y, folds, n_classes, backend, ray_address, prog)
        session["train_wall_s"] = time.perf_counter() - tt
        save_cost()
        if cfg["strict"]:  # a fold model at chance recognises nothing: no density to match
            from .population import chance_guard

            for k, (_, val) in enumerate(folds):
                acc = _load_json(run_dir / f"fold{k}.json", {}).get("clean_val_acc", 1.0)
                chance_guard(cfg, acc, len(val), n_classes, what=f"fold model {k}")
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = storage_of(run_dir)
        ts = time.perf_counter()
        prog.done = sum(min(cfg["trials"], len(load_study(storage, k, cfg).trials))
                        for k in range(cfg["folds"]))
        prog.start_done, prog.t0 = prog.done, time.perf_counter()  # ETA from scoring alone
        if prog.bar is not None:
            prog.bar.n = prog.done
            prog.bar.refresh()
        for k, (_, val) in enumerate(folds):
            args = (storage, k, cfg, models[k], x[val], y[val], ops, prog)
            finish_stale(*args)
            if backend == "ray":
                from .ray_backend import score_fold

                score_fold(*args, ray_address=ray_address)
            else:
                score_fold_local(*args, on_trial=save_cost)
            session["score_wall_s"] = time.perf_counter() - ts
            save_cost()
    finally:
        prog.close()
        save_cost()
    from . import report

    return report.write(run_dir, cfg, storage, ops)


def _run_pba(run_dir, cfg, prep, backend, ray_address, workers, progress):
    from . import pba_report
    from .population import SearchGuardError, run_pba

    costs = _load_json(run_dir / "cost.json", {"sessions": []})
    session = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "wall_s": 0.0}
    costs["sessions"].append(session)
    t0 = time.perf_counter()

    def save_cost():  # after every round too: a killed session still counts its time
        session["wall_s"] = time.perf_counter() - t0
        _write_json(run_dir / "cost.json", costs)
    save_cost()
    from .population import n_rounds

    # the bar counts member trainings: rounds x (members + the control)
    prog = Progress(n_rounds(cfg) * (cfg["population"] + 1), 0, progress, unit="training")
    prog.log(f"{prep.search.name}: {len(prep.search.y)} search images "
             f"({len(prep.test.y)} held out for evaluate), run dir {run_dir}")
    try:
        ck, info = run_pba(run_dir, cfg, prep, backend, ray_address,
                           workers or os.cpu_count() or 1, prog, on_round=save_cost)
    finally:
        prog.close()
        save_cost()
    cost = {"sessions": len(costs["sessions"]),
            "wall_s": sum(x.get("wall_s", 0.0) for x in costs["sessions"]),
            "train_cpu_s": info["cpu_s"]}
    res, warning = pba_report.write(run_dir, cfg, ck, info, cost)
    if warning and cfg["strict"]:
        raise SearchGuardError(f"{warning} (report and policy written to {run_dir})")
    return res


def record(study, trial_id: int, metrics: dict | None, error: str | None, cfg: dict):
    """Store a finished trial's metrics (both objectives, its cost) and state."""
    import optuna

    t = optuna.trial.Trial(study, trial_id)
    if metrics is not None:
        for key in ("ce", "acc", "wall_s", "cpu_s"):
            t.set_user_attr(key, float(metrics[key]))
        study.tell(t, A.value_of(metrics, cfg["objective"]))
    else:
        t.set_user_attr("error", error)
        study.tell(t, state=optuna.trial.TrialState.FAIL)


def _score_one(study, trial, k, cfg, trained, net, xv, yv, ops):
    A.suggest(trial, ops)
    try:
        m = A.score(trained, xv, yv, A.steps_of(trial.params), cfg["space"],
                    A.trial_seed(cfg["seed"], k, trial.number), net=net)
        record(study, trial._trial_id, m, None, cfg)
    except Exception as e:  # a failing candidate is recorded, and the search goes on
        record(study, trial._trial_id, None, f"{type(e).__name__}: {e}", cfg)


def _best(study) -> float | None:
    vals = [t.value for t in study.trials if t.value is not None]
    return max(vals) if vals else None


def finish_stale(storage, k, cfg, trained, xv, yv, ops, prog) -> None:
    """Trials left RUNNING by a killed process: score them now, with their stored params
    (missing ones are drawn), so no trial is lost and none is repeated."""
    import optuna

    study = load_study(storage, k, cfg)
    stale = [t for t in study.trials if t.state == optuna.trial.TrialState.RUNNING]
    if not stale:
        return
    # parameters the dead process had not drawn yet come from a fresh stream
    study = load_study(storage, k, cfg, n_done=len(study.trials), salt=1)
    net = trained.net()
    for fz in stale:
        _score_one(study, optuna.trial.Trial(study, fz._trial_id), k, cfg, trained, net, xv,
                   yv, ops)
        prog.log(f"fold {k}: re-scored trial {fz.number} left running by an earlier process")


def score_fold_local(storage, k, cfg, trained, xv, yv, ops, prog, on_trial=None) -> None:
    study = load_study(storage, k, cfg)
    n = len(study.trials)
    if n < cfg["trials"]:
        study = load_study(storage, k, cfg, n_done=n)
    net = trained.net()
    while len(study.trials) < cfg["trials"]:
        _score_one(study, study.ask(), k, cfg, trained, net, xv, yv, ops)
        prog.step(_best(study))
        if on_trial is not None:
            on_trial()


def _fold_models(run_dir, cfg, x, y, folds, n_classes, backend, ray_address, prog) -> list:
    """Load the fold models already trained; train the others (in parallel on Ray)."""
    import torch

    from .train import Trained

    models, todo = [None] * len(folds), []
    for k in range(len(folds)):
        p = run_dir / f"fold{k}.pt"
        if p.is_file():
            models[k] = Trained(**torch.load(p, weights_only=False))
        else:
            todo.append(k)
    if not todo:
        return models
    prog.log(f"training {len(todo)} fold model(s): {cfg['proxy']}, {cfg['epochs']} epochs")
    jobs = [(k, x[folds[k][0]], y[folds[k][0]]) for k in todo]
    if backend == "ray":
        from .ray_backend import train_folds

        done = train_folds(jobs, cfg, n_classes, ray_address)
    else:
        done = [train_fold(k, xt, yt, cfg, n_classes) for k, xt, yt in jobs]
    from .train import ce_acc, predict

    for k, trained in zip(todo, done):
        val = folds[k][1]
        ce, acc = ce_acc(predict(trained.net(), x[val], trained.mean, trained.std), y[val])
        save_torch(run_dir / f"fold{k}.pt", trained.__dict__)
        _write_json(run_dir / f"fold{k}.json", {
            "wall_s": trained.wall_s, "cpu_s": trained.cpu_s, "n_train": int(len(folds[k][0])),
            "n_val": int(len(val)), "clean_val_acc": acc, "clean_val_ce": ce})
        models[k] = trained
        prog.log(f"fold {k}: trained in {trained.wall_s:.1f}s wall, {trained.cpu_s:.1f} CPU-s; "
                 f"clean held-out accuracy {acc:.4f}")
    return models
