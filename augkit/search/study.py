"""Trial bookkeeping shared by the search's modules: Optuna studies and their storage,
seeds derived from run parts, and the result a search returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class SearchResult:
    run_dir: Path
    policy: object  # augkit.policy.Policy
    policy_path: Path
    trials: list  # one dict per trial (see report.trial_rows)
    cost: dict


def storage_of(run_dir: Path):
    import optuna

    url = f"sqlite:///{Path(run_dir).resolve() / 'study.db'}"
    return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})


def load_study(storage, fold: int, cfg: dict, n_done: int | None = None, salt: int = 0):
    """The fold's study. The sampler's seed includes the number of trials already stored (and
    a salt) so that a resumed run does not replay the proposals made before the crash."""
    import optuna

    name = f"fold-{fold}"
    if n_done is None:
        n_done = 0
    sampler = optuna.samplers.TPESampler(seed=hash_seed(cfg["seed"], fold, n_done, salt),
                                         n_startup_trials=max(5, min(15, cfg["trials"] // 4)))
    return optuna.create_study(study_name=name, storage=storage, direction="maximize",
                               sampler=sampler, load_if_exists=True)


def hash_seed(*parts: int) -> int:
    import numpy as np

    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])
