"""The population-based search job (`method="pba"`): rounds, checkpoints, backends, guards.

Run directory: ``config.json``, ``population.pt`` (every member's weights, optimiser state,
hyperparameters and history after the last finished round; replaced atomically, so a
``kill -9`` loses at most the round in flight, which `--resume` trains again from the same
state and seeds, to the same result), ``cost.json``, and the outputs of `pba_report.write`.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from .._atomic import save_torch
from ..errors import AugkitValueError, value_error
from . import pba as P

MIN_VAL = 250  # validation images: below this, 1 image is > 0.4 points and arms blur


class SearchGuardError(AugkitValueError):
    """The search cannot give a useful answer at this budget; the message names what to
    raise."""


def split_val(y: np.ndarray, val_size, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (train, validation) indices of the search part."""
    from .data import _count, stratified_pick

    nv = _count(val_size, len(y), "val_size")
    val = np.sort(stratified_pick(y, nv, np.random.default_rng([seed, 31])))
    return np.setdiff1d(np.arange(len(y)), val), val


def _init_members(cfg: dict, n_ops: int) -> list[P.Member]:
    """PBA: every member starts with no augmentation. Grid: member i applies every op at
    one (probability, magnitude) point of `P.grid_points`. The control: none, always."""
    from .study import hash_seed

    k = cfg["population"]
    points = P.grid_points(k) if cfg["method"] == "grid" else [(0, 0)] * k
    hps = [[[p, m] for _ in range(n_ops)] for p, m in points] + [[[0, 0]] * n_ops]
    return [P.Member(i, hash_seed(cfg["seed"], i, 41), [list(v) for v in hp],
                     control=(i == k), schedule=[[0, [list(v) for v in hp]]])
            for i, hp in enumerate(hps)]


def load_checkpoint(run_dir: Path):
    import torch

    p = run_dir / "population.pt"
    if not p.is_file():
        return None
    ck = torch.load(p, weights_only=False)
    ck["members"] = [P.Member(**m) for m in ck["members"]]
    return ck


def save_checkpoint(run_dir: Path, ck: dict) -> None:
    save_torch(run_dir / "population.pt", {**ck, "members": [m.__dict__ for m in ck["members"]]})


def _task(m: P.Member, cfg: dict, ops, base: dict, e0: int, e1: int) -> dict:
    train = {"proxy": cfg["proxy"], "width": cfg["width"], "epochs": cfg["epochs"],
             "batch_size": cfg["batch_size"], "lr": cfg["lr"], "seed": m.seed}
    return {"train": train, "hp": m.hp, "ops": list(ops), "space": cfg["space"],
            "base": base, "state": m.state, "e0": e0, "e1": e1}


def _evolve(ck: dict, cfg: dict, r: int, e1: int) -> None:
    """Exploit and explore after round `r` (not after the last)."""
    import copy

    rng = np.random.default_rng([cfg["seed"], r, 29])
    pop = [m for m in ck["members"] if not m.control]
    for li, di in P.exploit_pairs(rng, [m.history[-1][1] for m in pop]):
        loser, donor = pop[li], pop[di]
        loser.state, loser.hp = donor.state, copy.deepcopy(donor.hp)
        loser.schedule = copy.deepcopy(donor.schedule)
        loser.events.append([e1, f"copied member {donor.idx}"])
        loser.hp = P.explore(rng, loser.hp)
    for m in pop:
        if m.schedule[-1][1] != m.hp:
            m.schedule.append([e1, copy.deepcopy(m.hp)])


def at_chance(acc: float, n: int, n_classes: int) -> bool:
    """Within three standard errors of guessing, on `n` images of `n_classes` classes."""
    chance = 1.0 / n_classes
    return acc <= chance + 3 * math.sqrt(chance * (1 - chance) / n)


def n_rounds(cfg: dict) -> int:
    """Rounds of training between decisions; a grid trains each member in one go."""
    return 1 if cfg["method"] == "grid" else -(-cfg["epochs"] // cfg["interval"])


def chance_guard(cfg: dict, best: float, n_val: int, n_classes: int,
                 what: str = "the best member") -> None:
    """A proxy within three standard errors of guessing has learned nothing to rank by."""
    chance = 1.0 / n_classes
    if at_chance(best, n_val, n_classes):
        raise SearchGuardError(
            f"search: epochs: {what} reaches {best:.3f} validation accuracy, at "
            f"chance ({chance:.3f}) for {n_classes} classes after {cfg['epochs']} epochs; "
            "raise --epochs (or --subset / --width) so that the proxy learns")


def run_pba(run_dir: Path, cfg: dict, prep, backend: str, ray_address, workers, prog,
            on_round=None):
    """Run (or resume) the population; returns (checkpoint, info) for the report."""
    from .train import base_op, channel_stats

    x_all, y_all = prep.search.x, prep.search.y
    tr, va = split_val(y_all, cfg["val_size"], cfg["seed"])
    if len(va) < MIN_VAL and cfg["strict"]:
        raise SearchGuardError(
            f"search: subset: {len(va)} validation images cannot tell policies apart (one "
            f"image is {100 / len(va):.2f} points; at least {MIN_VAL} needed); raise "
            "--subset or --val-size")
    ops = tuple(cfg["ops"]) if cfg["ops"] else P.default_ops(cfg["space"])
    x, y = x_all[tr], y_all[tr]
    mean, std = channel_stats(x)
    n_classes = len(prep.search.classes)
    xv = x_all[va]
    if cfg["val_op"] is not None:  # the conditions the policy must prepare for, drawn once
        from ..serial import from_dict
        from .train import augment_batch

        xv = augment_batch(xv, from_dict(cfg["val_op"]), np.random.default_rng([cfg["seed"], 47]))
    data = {"x": x, "y": y, "xv": xv, "yv": y_all[va], "mean": mean, "std": std,
            "n_classes": n_classes}
    from ..serial import to_dict

    base = cfg["base"] or to_dict(base_op(x.shape[1], prep.search.flip_ok))
    ck = load_checkpoint(run_dir) or {"round": 0, "members": _init_members(cfg, len(ops)),
                                      "ops": list(ops)}
    rounds = n_rounds(cfg)
    info = {"ops": ops, "n_train": len(tr), "n_val": len(va), "n_classes": n_classes,
            "rounds": rounds, "cpu_s": 0.0}
    if ck["round"] >= rounds:  # finished before (a resume): the guards still hold
        info["cpu_s"] = ck.get("cpu_s", 0.0)
        if cfg["strict"]:
            chance_guard(cfg, best_member(ck).history[-1][1], len(va), n_classes)
        return ck, info
    prog.log(f"{cfg['method']}: {cfg['population']} members + 1 control, {cfg['epochs']} "
             f"epochs in {rounds} round(s); {len(tr)} training / {len(va)} "
             f"validation images; {backend} backend")
    from .pool import open_pool

    runner = open_pool(data, backend, workers, ray_address)
    try:
        for r in range(ck["round"], rounds):
            step = -(-cfg["epochs"] // rounds)
            e0, e1 = r * step, min((r + 1) * step, cfg["epochs"])
            t0 = time.perf_counter()
            outs = []
            for o in runner.imap(P.train_interval,
                                 [_task(m, cfg, ops, base, e0, e1) for m in ck["members"]]):
                outs.append(o)
                prog.member()
            for m, o in zip(ck["members"], outs):
                m.state = o["state"]
                m.history.append([e1, o["acc"]])
                ck["cpu_s"] = ck.get("cpu_s", 0.0) + o["cpu_s"]
            pop = [m for m in ck["members"] if not m.control]
            best = max(pop, key=lambda m: m.history[-1][1])
            ctrl = ck["members"][-1].history[-1][1]
            if r < rounds - 1:
                _evolve(ck, cfg, r, e1)
            ck["round"] = r + 1
            save_checkpoint(run_dir, ck)
            if on_round is not None:
                on_round()
            prog.round(r + 1, rounds, e1, best.history[-1][1], ctrl,
                       time.perf_counter() - t0)
            if cfg["strict"] and 2 * e1 >= cfg["epochs"]:  # from half-way: still guessing?
                chance_guard(cfg, best.history[-1][1], len(va), n_classes)
    finally:
        runner.close()
    info["cpu_s"] = ck.get("cpu_s", 0.0)
    return ck, info


def best_member(ck: dict) -> P.Member:
    pop = [m for m in ck["members"] if not m.control]
    return max(pop, key=lambda m: (m.history[-1][1], -m.idx))


def population_guard(cfg: dict, ck: dict) -> str | None:
    """The population has to beat the control (the base augmentation alone)."""
    best, ctrl = best_member(ck), ck["members"][-1]
    if best.history[-1][1] > ctrl.history[-1][1]:
        return None
    return (f"search: epochs: no member beat the control trained with the base augmentation "
            f"alone ({best.history[-1][1]:.4f} against {ctrl.history[-1][1]:.4f}); "
            "augmentation pays off with longer training: raise --epochs (or --population)")


def check_options(cfg: dict) -> None:
    for k, lo in (("population", 2), ("interval", 1)):
        v = cfg[k]
        if not (isinstance(v, int) and not isinstance(v, bool) and lo <= v <= 256):
            raise value_error("search", k, f"is {v!r}; expected an integer in [{lo}, 256]")
    v = cfg["val_size"]
    if isinstance(v, bool) or not (isinstance(v, float) and 0 < v < 1
                                   or isinstance(v, int) and v >= 1):
        raise value_error("search", "val_size", f"is {v!r}; expected a fraction in (0, 1) or "
                          "a count >= 1")
