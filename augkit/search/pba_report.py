"""Outputs of a population-based search: policy.yaml, schedule.json, population.json,
report.md and report.png."""

from __future__ import annotations

import json
from pathlib import Path

from .._atomic import write_text
from . import pba as P
from .population import best_member, population_guard


def schedule_of(member: P.Member, ops, epochs: int) -> list[dict]:
    """The member's lineage as data: one entry per stretch of epochs with fixed
    hyperparameters, each active op with its probability and magnitude in [0, 1]."""
    out = []
    for i, (e0, hp) in enumerate(member.schedule):
        e1 = member.schedule[i + 1][0] if i + 1 < len(member.schedule) else epochs
        if e1 > e0:
            out.append({"epochs": [int(e0), int(e1)], "steps": [
                {"op": op, "prob": p, "magnitude": m} for op, p, m in P.steps_of(hp, ops)]})
    return out


def write(run_dir: Path, cfg: dict, ck: dict, info: dict, cost: dict):
    from ..policy import Policy, Step, save_policy
    from .study import SearchResult

    ops = info["ops"]
    best = best_member(ck)
    name = f"searched-{str(cfg['data']).split(':')[0]}"
    policy = P.policy_of(best.hp, ops, cfg["space"], name=name)
    if policy is None:  # nothing active at the end: an explicit identity policy
        policy = Policy(subpolicies=((Step("Identity", 1.0, 0.0),),), name=name,
                        space=cfg["space"], levels=None, source="augkit search (pba)")
    path = run_dir / "policy.yaml"
    save_policy(policy, path)
    sched = schedule_of(best, ops, cfg["epochs"])
    write_text(run_dir / "schedule.json", json.dumps(
        {"member": best.idx, "space": cfg["space"], "epochs": cfg["epochs"],
         "schedule": sched}, indent=2))
    write_text(run_dir / "population.json", json.dumps(
        {"ops": list(ops), "members": [m.plain() for m in ck["members"]]}, indent=1))
    warning = population_guard(cfg, ck)
    _markdown(run_dir, cfg, ck, info, best, policy, sched, cost, warning)
    _plot(run_dir, cfg, ck, ops, best)
    rows = [{"member": m.idx, "control": m.control, "epoch": e, "acc": a}
            for m in ck["members"] for e, a in m.history]
    return SearchResult(run_dir, policy, path, rows, cost), warning


def _intro(cfg: dict) -> str:
    how = (f"Population based augmentation: {cfg['population']} members, exploit/explore "
           f"every {cfg['interval']} epochs" if cfg["method"] == "pba" else
           f"Grid (RandAugment-style): {cfg['population']} members, each with every op at one "
           "(probability, magnitude) point, the best at the end wins")
    return (f"{how}; one control (base augmentation only); proxy `{cfg['proxy']}` width "
            f"{cfg['width']}, {cfg['epochs']} epochs; ")


def _markdown(run_dir, cfg, ck, info, best, policy, sched, cost, warning) -> None:
    ctrl = ck["members"][-1]
    lines = [f"# augkit search: {cfg['data']}", "",
             _intro(cfg) + f"{info['n_train']} training and {info['n_val']} validation "
             "images of the search part (the test part of `augkit evaluate` is never read).",
             "",
             "| member | final validation accuracy | copied from others |",
             "|---:|---:|---|"]
    for m in ck["members"]:
        tag = "control" if m.control else ("**best**" if m is best else "")
        ev = "; ".join(f"epoch {e}: {t}" for e, t in m.events) or "-"
        lines.append(f"| {m.idx} {tag} | {m.history[-1][1]:.4f} | {ev} |")
    lines += ["", f"Best member {best.idx}: {best.history[-1][1]:.4f}; control "
              f"{ctrl.history[-1][1]:.4f}.", "", "## Cost", "",
              f"Whole run: {cost['wall_s']:.1f} s wall over {cost['sessions']} session(s); "
              f"member training {cost['train_cpu_s']:.1f} CPU-s.", "",
              "## The schedule found (best member's lineage)", "",
              "| epochs | active ops (probability, magnitude) |", "|---|---|"]
    for s in sched:
        ops = ", ".join(f"{d['op']} ({d['prob']:.1f}, {d['magnitude']:.1f})" for d in s["steps"])
        lines.append(f"| {s['epochs'][0]}-{s['epochs'][1]} | {ops or 'none'} |")
    lines += ["", f"`policy.yaml`: the last stretch as a plain policy of "
              f"{len(policy.subpolicies)} two-step sub-policies (every pair of active ops), "
              "loaded by `augkit.load_policy` and run by `augkit.rich.AutoAugment`; "
              "`schedule.json`: the whole schedule as data.", "", "![report](report.png)", "",
              "## What to do next", ""]
    if warning:
        lines.append(f"**Warning:** {warning}.")
    lines.append(f"Check the policy before using it: `augkit evaluate --run {run_dir}` trains "
                 "every arm from scratch with paired seeds on the held-out test part and says "
                 "which to use.")
    (run_dir / "report.md").write_text("\n".join(lines) + "\n")


def _plot(run_dir, cfg, ck, ops, best) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.2))
    for m in ck["members"]:
        e, acc = zip(*m.history)
        style = dict(color="k", lw=2, ls="--") if m.control else (
            dict(lw=2.2) if m is best else dict(lw=0.8, alpha=0.6))
        a.plot(e, acc, label="control" if m.control else (f"best ({m.idx})" if m is best
                                                            else None), **style)
    a.set_xlabel("epoch")
    a.set_ylabel("validation accuracy")
    a.set_title("members over training")
    a.legend(fontsize=8)
    grid = np.zeros((len(ops), cfg["epochs"]))
    for i, (e0, hp) in enumerate(best.schedule):
        e1 = best.schedule[i + 1][0] if i + 1 < len(best.schedule) else cfg["epochs"]
        for k, (p, m) in enumerate(hp):
            grid[k, e0:e1] = p * m / P.LEVELS ** 2
    im = b.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    b.set_yticks(range(len(ops)), ops, fontsize=7)
    b.set_xlabel("epoch")
    b.set_title("schedule found: probability x magnitude")
    fig.colorbar(im, ax=b)
    fig.tight_layout()
    fig.savefig(run_dir / "report.png", dpi=90)
    plt.close(fig)
