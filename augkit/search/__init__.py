"""The policy search job (`augkit search`) and its honest evaluation (`augkit evaluate`).

``augkit.search.run(...)`` searches a policy (Fast-AutoAugment-style density matching with
Optuna's TPE, crash-safe SQLite storage, optional Ray backend) and writes policy.yaml and a
report; ``augkit.search.evaluate(...)`` trains from scratch per arm and says which to use.
Importing this package is cheap: torch, optuna, ray and scikit-learn load on first use.
"""

from __future__ import annotations


def run(*args, **kwargs):
    from .job import run as _run

    return _run(*args, **kwargs)


def evaluate(*args, **kwargs):
    from .evaluation import evaluate as _evaluate

    return _evaluate(*args, **kwargs)


run.__doc__ = "Search a policy; see `augkit.search.job.run`."
evaluate.__doc__ = "Compare augmentation arms; see `augkit.search.evaluation.evaluate`."

__all__ = ["run", "evaluate"]
