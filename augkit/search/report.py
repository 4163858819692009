"""Outputs of a search run: policy.yaml, trials.csv, report.md, report.png."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from . import algorithm as A

COLUMNS = ("fold", "number", "state", "value", "acc", "ce", "op0", "prob0", "mag0", "op1",
           "prob1", "mag1", "wall_s", "cpu_s", "error")


def trial_rows(storage, cfg: dict) -> list[dict]:
    """Every trial of every fold as a flat dict (the trials.csv row)."""
    from .study import load_study

    rows = []
    for k in range(cfg["folds"]):
        for t in load_study(storage, k, cfg).trials:
            r = {"fold": k, "number": t.number, "state": t.state.name, "value": t.value,
                 "params": dict(t.params)}
            r.update({c: t.params.get(c) for c in COLUMNS if c.startswith(("op", "prob", "mag"))})
            r.update({c: t.user_attrs.get(c) for c in ("acc", "ce", "wall_s", "cpu_s", "error")})
            rows.append(r)
    return rows


def cost_of(run_dir: Path, rows: list[dict], folds: int) -> dict:
    sessions = json.loads((run_dir / "cost.json").read_text()).get("sessions", [])
    fold = [json.loads((run_dir / f"fold{k}.json").read_text()) for k in range(folds)
            if (run_dir / f"fold{k}.json").is_file()]
    return {
        "sessions": len(sessions),
        "wall_s": sum(s.get("wall_s", 0.0) for s in sessions),
        "train_wall_s": sum(s.get("train_wall_s", 0.0) for s in sessions),
        "score_wall_s": sum(s.get("score_wall_s", 0.0) for s in sessions),
        "train_cpu_s": sum(f["cpu_s"] for f in fold),
        "score_cpu_s": sum(r["cpu_s"] or 0.0 for r in rows),
    }


def write(run_dir: Path, cfg: dict, storage, ops):
    from ..policy import save_policy
    from .study import SearchResult

    rows = trial_rows(storage, cfg)
    per_fold = [A.top_subpolicies([r for r in rows if r["fold"] == k], cfg["top_n"])
                for k in range(cfg["folds"])]
    policy = A.merge(per_fold, name=f"searched-{str(cfg['data']).split(':')[0]}",
                     source=f"augkit search ({cfg['data']}, {cfg['folds']} folds x "
                            f"{cfg['trials']} trials, {cfg['proxy']} proxy, objective "
                            f"{cfg['objective']}; Fast-AutoAugment-style density matching)",
                     space=cfg["space"])
    path = run_dir / "policy.yaml"
    save_policy(policy, path)
    with open(run_dir / "trials.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    cost = cost_of(run_dir, rows, cfg["folds"])
    _markdown(run_dir, cfg, rows, policy, cost)
    _plot(run_dir, cfg, rows, policy)
    return SearchResult(run_dir, policy, path, rows, cost)


def op_counts(policy) -> Counter:
    return Counter(s.op for sub in policy.subpolicies for s in sub)


def _markdown(run_dir, cfg, rows, policy, cost) -> None:
    states = Counter(r["state"] for r in rows)
    lines = [f"# augkit search: {cfg['data']}", "",
             f"Fast-AutoAugment-style density matching: {cfg['folds']} folds, "
             f"{cfg['trials']} TPE trials per fold, proxy `{cfg['proxy']}` trained "
             f"{cfg['epochs']} epochs per fold, objective `{cfg['objective']}`, "
             f"top {cfg['top_n']} sub-policies per fold.", "",
             f"Trials: {len(rows)} ({', '.join(f'{v} {k.lower()}' for k, v in states.items())})."]
    if states.get("FAIL"):
        first = next(r for r in rows if r["state"] == "FAIL")
        lines.append(f"First failure: fold {first['fold']} trial {first['number']}: "
                     f"{first['error']}")
    folds = [json.loads((run_dir / f"fold{k}.json").read_text()) for k in range(cfg["folds"])]
    lines += ["", "Fold models, accuracy on their clean held-out part: " + ", ".join(
        f"fold {k} {f.get('clean_val_acc', float('nan')):.4f} (n={f.get('n_val')})"
        for k, f in enumerate(folds)) + ". A candidate scoring near these keeps the data "
        "where the model still recognises it."]
    lines += ["", "## Cost", "", "| phase | wall-clock s | CPU-s |", "|---|---:|---:|",
              f"| fold training | {cost['train_wall_s']:.1f} | {cost['train_cpu_s']:.1f} |",
              f"| scoring | {cost['score_wall_s']:.1f} | {cost['score_cpu_s']:.1f} |",
              f"| whole run ({cost['sessions']} session(s)) | {cost['wall_s']:.1f} | |", "",
              "## Final policy (magnitudes in [0, 1] of the "
              f"`{policy.space}` space)", "", "| # | step 1 | step 2 |", "|---:|---|---|"]
    for i, sub in enumerate(policy.subpolicies):
        cells = [f"{s.op} p={s.prob:.2f} m={s.magnitude:.2f}" for s in sub]
        lines.append(f"| {i} | " + " | ".join(cells) + " |")
    done = sorted((r for r in rows if r["state"] == "COMPLETE"), key=lambda r: -r["value"])
    lines += ["", "## Best trials", "", "| fold | trial | acc | ce | sub-policy |",
              "|---:|---:|---:|---:|---|"]
    for r in done[:10]:
        lines.append(f"| {r['fold']} | {r['number']} | {r['acc']:.4f} | {r['ce']:.4f} | "
                     f"{r['op0']}({r['prob0']:.2f},{r['mag0']:.2f}) "
                     f"{r['op1']}({r['prob1']:.2f},{r['mag1']:.2f}) |")
    lines += ["", "Op frequency in the final policy: " + ", ".join(
        f"{k} {v}" for k, v in op_counts(policy).most_common()), "",
        "![report](report.png)", ""]
    (run_dir / "report.md").write_text("\n".join(lines))


def _plot(run_dir, cfg, rows, policy) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.8))
    for k in range(cfg["folds"]):
        rs = [r for r in rows if r["fold"] == k and r["value"] is not None]
        xs = [r["number"] for r in rs]
        vs = [r["value"] for r in rs]
        best = [max(vs[: i + 1]) for i in range(len(vs))]
        (line,) = a.plot(xs, vs, ".", alpha=0.5, label=f"fold {k}")
        a.plot(xs, best, "-", color=line.get_color())
    a.set_xlabel("trial")
    a.set_ylabel("accuracy" if cfg["objective"] == "acc" else "- cross-entropy")
    a.set_title("score per trial (dots) and best so far (lines)")
    a.legend(fontsize=8)
    counts = op_counts(policy).most_common()
    b.barh([c[0] for c in counts][::-1], [c[1] for c in counts][::-1])
    b.set_title("op frequency in the final policy")
    fig.tight_layout()
    fig.savefig(run_dir / "report.png", dpi=90)
    plt.close(fig)
