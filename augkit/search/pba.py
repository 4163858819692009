"""Population Based Augmentation (Ho et al., ICML 2019), sized for a CPU.

A population of proxies trains side by side, each with its own augmentation hyperparameters:
one (probability, magnitude) pair per op, both in tenths, all zero at the start. Every
`interval` epochs each member is scored on a validation part of the search data; the worst
quarter copies the weights, optimiser state and hyperparameters of a random member of the
best quarter (exploit) and perturbs the hyperparameters (explore: each value is redrawn with
probability 0.2, else moved by 0-3 tenths). The reward is what the policy does to training,
not how a trained model sees augmented images.

Decisions, all made by the driver between rounds from seeded streams, so the same run gives
the same schedule on one process, on many (`workers`) or on Ray. A member's augmentation is
the base augmentation followed by `AutoAugment` over `policy_of(hp)`: a plain policy the
existing runners load, so the policy written at the end is exactly what the best member was
trained with in its last interval. One extra *control* member trains with the base
augmentation alone and never evolves: the population has to beat it.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

import numpy as np

LEVELS = 10  # probabilities and magnitudes in tenths
# PBA's op list: the AutoAugment ops without Invert (and without Identity, which is p = 0)
EXCLUDED = ("Identity", "Invert")


@dataclass
class Member:
    idx: int
    seed: int
    hp: list  # [[prob_level, mag_level], ...], one pair per op
    control: bool = False
    state: bytes | None = None  # torch.save of Learner.state()
    history: list = field(default_factory=list)  # [[epoch, val_acc], ...]
    schedule: list = field(default_factory=list)  # [[epoch_start, hp], ...] of its lineage
    events: list = field(default_factory=list)  # [[epoch, "copied member j"], ...]

    def plain(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "state"}


def default_ops(space: str) -> tuple[str, ...]:
    from . import algorithm as A

    return tuple(o for o in A.all_ops(space) if o not in EXCLUDED)


def steps_of(hp, ops) -> list[tuple[str, float, float]]:
    """The active (op, probability, magnitude) steps of `hp`, probability > 0."""
    return [(op, p / LEVELS, m / LEVELS) for op, (p, m) in zip(ops, hp) if p > 0]


def policy_of(hp, ops, space: str, name: str = "pba"):
    """The plain policy of `hp`: every unordered pair of active ops is a two-step
    sub-policy (one active op: a one-step policy); None when no op is active."""
    from ..policy import Policy, Step

    steps = [Step(op, p, m) for op, p, m in steps_of(hp, ops)]
    if not steps:
        return None
    subs = ([(a, b) for i, a in enumerate(steps) for b in steps[i + 1:]]
            if len(steps) > 1 else [(steps[0],)])
    return Policy(subpolicies=tuple(subs), name=name, space=space, levels=None,
                  source="augkit search (population based augmentation)")


def grid_points(k: int) -> list[tuple[int, int]]:
    """`k` (probability, magnitude) points in tenths for the grid method, RandAugment's own
    search (Cubuk et al., 2020) over one global magnitude: magnitudes spread over 1..9 tenths,
    each at probability 1 (RandAugment's: every step applies) and, where `k` allows, 0.5."""
    mags = np.unique(np.round(np.linspace(1, 9, max(1, -(-k // 2)))).astype(int))
    pts = [(p, int(m)) for m in mags for p in (LEVELS, LEVELS // 2)]
    return pts[:k] if len(pts) >= k else (pts * k)[:k]


def explore(rng: np.random.Generator, hp) -> list:
    out = []
    for pair in hp:
        new = []
        for v in pair:
            if rng.random() < 0.2:
                v = int(rng.integers(0, LEVELS + 1))
            else:
                v = int(np.clip(v + int(rng.integers(0, 4)) * int(rng.choice((-1, 1))), 0,
                                LEVELS))
            new.append(v)
        out.append(new)
    return out


def exploit_pairs(rng: np.random.Generator, scores: list[float]) -> list[tuple[int, int]]:
    """(loser, donor) positions: the bottom quarter copies random members of the top one
    (truncation selection); ties in score keep the lower position."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    q = max(1, len(scores) // 4)
    top, bottom = order[:q], order[-q:]
    return [(i, int(top[rng.integers(0, len(top))])) for i in bottom if i not in top]


# -- one member's interval: runs in this process, a worker process or a Ray task --------
def member_op(hp, ops, space, base_dict):
    from ..compose import Seq
    from ..rich import AutoAugment
    from ..serial import from_dict

    base = from_dict(base_dict)
    pol = policy_of(hp, ops, space)
    return base if pol is None else Seq([base, AutoAugment(pol)])


def train_interval(task: dict) -> dict:
    """Train one member through epochs [e0, e1) from its saved state; its accuracy on the
    clean validation part at e1 (the data: `pool.shared()`)."""
    import torch

    from .pool import shared
    from .train import Learner, TrainConfig, ce_acc, predict

    d = shared()
    t0, c0 = time.perf_counter(), time.process_time()
    cfg = TrainConfig(**task["train"])
    x, y = d["x"], d["y"]
    learner = Learner(cfg, 1 if x.ndim == 3 else x.shape[3], d["n_classes"], len(x))
    if task["state"] is not None:
        learner.load(torch.load(io.BytesIO(task["state"]), weights_only=False))
    op = member_op(task["hp"], task["ops"], task["space"], task["base"])
    learner.run(x, y, d["mean"], d["std"], op, range(task["e0"], task["e1"]))
    _, acc = ce_acc(predict(learner.net, d["xv"], d["mean"], d["std"]), d["yv"])
    buf = io.BytesIO()
    torch.save(learner.state(), buf)
    return {"state": buf.getvalue(), "acc": float(acc), "wall_s": time.perf_counter() - t0,
            "cpu_s": time.process_time() - c0}
