"""Fast-AutoAugment-style density matching.

A fold model trained on D_train (with the base augmentation) sees its held-out D_val through a
candidate sub-policy; a candidate that keeps augmented D_val where the model still recognises
it (high accuracy / low cross-entropy) keeps the data inside the training density. Optuna's
TPE proposes candidates (two steps: op, probability, magnitude in [0, 1]); the top
sub-policies of every fold are merged into the final policy. No candidate retrains a model.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import value_error

OBJECTIVES = ("acc", "ce")  # maximise accuracy, or minimise mean cross-entropy
STEPS = 2


def all_ops(space: str = "autoaugment") -> tuple[str, ...]:
    from ..policy import space as S

    return S.space_ops(space)


def check_ops(ops, space: str = "autoaugment") -> tuple[str, ...]:
    known = all_ops(space)
    if ops is None:
        return known
    if isinstance(ops, str):
        ops = [o.strip() for o in ops.split(",") if o.strip()]
    ops = tuple(ops)
    unknown = [o for o in ops if o not in known]
    if unknown or not ops:
        raise value_error("search", "ops", f"has unknown op(s) {unknown or ops}; "
                          f"expected names from {list(known)}")
    return ops


def suggest(trial, ops: tuple[str, ...]) -> dict:
    """Ask a trial (Optuna's, or Ray Tune's captor of it) for one candidate sub-policy."""
    for i in range(STEPS):
        trial.suggest_categorical(f"op{i}", list(ops))
        trial.suggest_float(f"prob{i}", 0.0, 1.0)
        trial.suggest_float(f"mag{i}", 0.0, 1.0)
    return {}


def steps_of(params: dict):
    """The `Step`s of a candidate from its flat trial params."""
    from ..policy import Step

    return tuple(Step(params[f"op{i}"], float(params[f"prob{i}"]), float(params[f"mag{i}"]))
                 for i in range(STEPS))


def subpolicy_op(steps, space: str):
    from ..policy import Policy
    from ..rich import AutoAugment

    return AutoAugment(Policy(subpolicies=(tuple(steps),), space=space))


def score(trained, x_val: np.ndarray, y_val: np.ndarray, steps, space: str, seed: int,
          net=None) -> dict:
    """Augment the held-out images with the candidate and measure the fold model on them."""
    from .train import augment_batch, ce_acc, predict

    t0, c0 = time.perf_counter(), time.process_time()
    net = net if net is not None else trained.net()
    op = subpolicy_op(steps, space)
    xa = augment_batch(x_val, op, np.random.default_rng(seed))
    ce, acc = ce_acc(predict(net, xa, trained.mean, trained.std), y_val)
    return {"ce": ce, "acc": acc, "wall_s": time.perf_counter() - t0,
            "cpu_s": time.process_time() - c0}


def value_of(metrics: dict, objective: str) -> float:
    """The study value (maximised): accuracy, or minus the cross-entropy."""
    return metrics["acc"] if objective == "acc" else -metrics["ce"]


def trial_seed(seed: int, fold: int, number: int) -> list[int]:
    """Scoring randomness depends on (seed, fold, trial number) only, so a trial re-run after
    a crash gives the same result."""
    return [int(seed), int(fold), int(number), 17]


def top_subpolicies(trials: list[dict], top_n: int) -> list[tuple]:
    """The best `top_n` distinct candidates of one fold (trials: dicts with params/value)."""
    done = sorted((t for t in trials if t["state"] == "COMPLETE"), key=lambda t: -t["value"])
    out, seen = [], set()
    for t in done:
        steps = steps_of(t["params"])
        key = tuple((s.op, round(s.prob, 3), round(s.magnitude, 3)) for s in steps)
        if key not in seen:
            seen.add(key)
            out.append(steps)
        if len(out) == top_n:
            break
    return out


def merge(per_fold: list[list[tuple]], name: str, source: str, space: str):
    """Concatenate the folds' top sub-policies into one `Policy` (magnitudes in [0, 1])."""
    from ..policy import Policy, Step

    subs = tuple(tuple(Step(s.op, round(s.prob, 4), round(s.magnitude, 4)) for s in steps)
                 for fold in per_fold for steps in fold)
    if not subs:
        raise value_error("search", "trials", "produced no completed trial to build a policy")
    return Policy(subpolicies=subs, name=name, source=source, space=space, levels=None)


def random_policy(n_sub: int, ops: tuple[str, ...], space: str, seed: int, name: str):
    """A random policy with the searched policy's structure: `n_sub` sub-policies of
    `STEPS` steps, ops, probabilities and magnitudes uniform (the control arm)."""
    from ..policy import Policy, Step

    rng = np.random.default_rng([seed, 23])
    subs = tuple(tuple(Step(str(rng.choice(ops)), round(float(rng.uniform()), 4),
                            round(float(rng.uniform()), 4)) for _ in range(STEPS))
                 for _ in range(n_sub))
    return Policy(subpolicies=subs, name=name, source="random control", space=space)
