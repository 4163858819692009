"""`augkit evaluate`: train from scratch per arm, same model / epochs / optimiser / schedule /
batch order / initialisation, paired seeds, a test split the search never saw, and a verdict.

Arms: none; base (pad-crop, plus flip where it keeps the class); base + RandAugment;
base + TrivialAugment; base + AutoAugment-CIFAR10; base + a random policy of the searched
policy's size and structure; base + the searched policy. Every arm but the last costs nothing
to obtain; the searched policy is recommended only when it beats the best of them by more
than the noise across seeds (a paired 95% t-interval of the difference above zero).
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import value_error

ARMS = ("none", "base", "base+randaugment", "base+trivialaugment",
        "base+autoaugment-cifar10", "base+random", "base+searched")
SEARCHED = "base+searched"


@dataclass
class EvalResult:
    out: Path
    rows: list  # one dict per (arm, seed): arm, seed, acc, ce
    summary: list  # one dict per arm
    verdict: str


def _arm_op(arm: str, base, policy, random_pol):
    from ..compose import Seq
    from ..policy import load_policy
    from ..rich import AutoAugment, RandAugment, TrivialAugment

    if arm == "none":
        return None
    extra = {"base": None, "base+randaugment": lambda: RandAugment(n=2, m=9),
             "base+trivialaugment": TrivialAugment,
             "base+autoaugment-cifar10": lambda: AutoAugment(load_policy("autoaugment-cifar10")),
             "base+random": lambda: AutoAugment(random_pol),
             SEARCHED: lambda: AutoAugment(policy)}[arm]
    return base if extra is None else Seq([base, extra()])


def t_interval(d: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t-interval of paired differences (n = 1: an infinite interval)."""
    d = np.asarray(d, float)
    m = float(d.mean())
    if len(d) < 2:
        return m, -np.inf, np.inf
    from scipy.stats import t

    half = float(t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
    return m, m - half, m + half


def verdict_of(summary: list[dict], by_arm: dict) -> str:
    zero = [s for s in summary if s["arm"] != SEARCHED]
    best = max(zero, key=lambda s: s["acc_mean"])
    n = len(by_arm[best["arm"]])
    if SEARCHED not in by_arm:
        return f"Verdict: use {best['arm']} (best mean accuracy over {n} seeds)."
    d = by_arm[SEARCHED] - by_arm[best["arm"]]
    m, lo, hi = t_interval(d)
    diff = f"{100 * m:+.2f} points, 95% CI [{100 * lo:+.2f}, {100 * hi:+.2f}], {n} paired seeds"
    if lo > 0:
        return f"Verdict: use the searched policy ({SEARCHED}): it beats {best['arm']} by {diff}."
    return (f"Verdict: use {best['arm']}: the searched policy does not beat it beyond noise "
            f"({SEARCHED} minus {best['arm']}: {diff}).")


def evaluate(policy=None, data: str | None = None, *, run_dir=None, out=None, seeds: int = 3,
             epochs: int = 15, arms=None, proxy: str | None = None, width: int = 16,
             batch_size: int = 64, lr: float = 0.05, subset: int | None = None,
             test_size=None, test_split: str | None = None, image_size: int | None = None,
             threads: int | None = None, progress: bool | None = None) -> EvalResult:
    """Compare augmentation arms by training from scratch. `run_dir`: a search run (its data,
    split and policy are reused, so the test part is the one the search never saw);
    otherwise `policy` (a Policy, a name or a path) and `data`."""
    from ..policy import Policy, load_policy
    from . import algorithm as A
    from .data import prepare
    from .job import base_op
    from .train import TrainConfig, ce_acc, predict, set_threads, train

    cfg = {}
    if run_dir is not None:
        run_dir = Path(run_dir)
        try:
            cfg = json.loads((run_dir / "config.json").read_text())
        except (OSError, ValueError):
            raise value_error("evaluate", "run_dir", f"{run_dir} holds no search run "
                              "(config.json missing)") from None
        if policy is None:
            policy = run_dir / "policy.yaml"
    if policy is not None and not isinstance(policy, Policy):
        policy = load_policy(str(policy))
    arms = tuple(arms) if arms else tuple(a for a in ARMS if policy is not None or a not in
                                          (SEARCHED, "base+random"))
    bad = [a for a in arms if a not in ARMS]
    if bad or (policy is None and (SEARCHED in arms or "base+random" in arms)):
        raise value_error("evaluate", "arms", f"{bad or arms} invalid; expected names from "
                          f"{ARMS} (the searched and random arms need a policy)")
    if not (isinstance(seeds, int) and seeds >= 1):
        raise value_error("evaluate", "seeds", f"is {seeds!r}; expected an integer >= 1")
    data = data or cfg.get("data", "digits")
    seed0 = int(cfg.get("seed", 0))
    prep = prepare(data, subset=subset if subset is not None else cfg.get("subset"),
                   test_size=test_size if test_size is not None else cfg.get("test_size"),
                   test_split=test_split or cfg.get("test_split", "holdout"), seed=seed0,
                   min_per_class=1, image_size=image_size or cfg.get("image_size"))
    set_threads(threads)
    tr, te = prep.search, prep.test
    base = base_op(tr.x.shape[1], tr.flip_ok)
    random_pol = None
    if policy is not None:
        ops = A.check_ops(cfg.get("ops"), policy.space)  # the op set the search drew from
        random_pol = A.random_policy(len(policy.subpolicies), ops, policy.space, seed0,
                                     name="random-control")
    out = Path(out) if out is not None else (run_dir / "evaluate" if run_dir else Path("evaluate"))
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    total = len(arms) * seeds
    for s in range(seeds):
        for arm in arms:
            tc = TrainConfig(proxy=proxy or cfg.get("proxy", "inception"), width=width,
                             epochs=epochs, batch_size=batch_size, lr=lr, seed=1000 + s)
            trained = train(tr.x, tr.y, len(tr.classes), tc,
                            op=_arm_op(arm, base, policy, random_pol))
            ce, acc = ce_acc(predict(trained.net(), te.x, trained.mean, trained.std), te.y)
            rows.append({"arm": arm, "seed": s, "acc": acc, "ce": ce,
                         "train_s": round(trained.wall_s, 2)})
            if progress is not False:
                print(f"[augkit evaluate] {len(rows)}/{total} seed {s} {arm}: acc {acc:.4f} "
                      f"ce {ce:.4f} ({trained.wall_s:.0f}s)", file=sys.stderr, flush=True)
    by_arm = {a: np.array([r["acc"] for r in rows if r["arm"] == a]) for a in arms}
    ce_arm = {a: np.array([r["ce"] for r in rows if r["arm"] == a]) for a in arms}
    summary = []
    for a in arms:
        m, lo, hi = t_interval(by_arm[SEARCHED] - by_arm[a]) if SEARCHED in by_arm else (
            np.nan, np.nan, np.nan)
        summary.append({"arm": a, "acc_mean": float(by_arm[a].mean()),
                        "acc_std": float(by_arm[a].std(ddof=1)) if seeds > 1 else 0.0,
                        "ce_mean": float(ce_arm[a].mean()), "diff_searched_minus_arm": m,
                        "ci_low": lo, "ci_high": hi})
    verdict = verdict_of(summary, by_arm)
    _write(out, rows, summary, verdict, dict(data=prep.search.name, n_train=len(tr.y),
                                             n_test=len(te.y), epochs=epochs, seeds=seeds,
                                             proxy=tc.proxy))
    return EvalResult(out, rows, summary, verdict)


def _write(out: Path, rows, summary, verdict, info) -> None:
    with open(out / "eval.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["arm", "seed", "acc", "ce", "train_s"])
        w.writeheader()
        w.writerows(rows)
    with open(out / "eval_summary.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(summary[0]))
        w.writeheader()
        w.writerows(summary)
    lines = [f"# augkit evaluate: {info['data']}", "",
             f"{info['n_train']} training images, {info['n_test']} test images (never used by "
             f"the search), proxy `{info['proxy']}`, {info['epochs']} epochs, {info['seeds']} "
             "paired seeds (same initialisation and batch order in every arm).", "",
             "| arm | accuracy % (mean ± std) | cross-entropy | searched − arm, points "
             "(95% CI) |", "|---|---:|---:|---:|"]
    for s in summary:
        d = ("—" if s["arm"] == SEARCHED or not np.isfinite(s["diff_searched_minus_arm"])
             else f"{100 * s['diff_searched_minus_arm']:+.2f} [{100 * s['ci_low']:+.2f}, "
                  f"{100 * s['ci_high']:+.2f}]")
        lines.append(f"| {s['arm']} | {100 * s['acc_mean']:.2f} ± {100 * s['acc_std']:.2f} | "
                     f"{s['ce_mean']:.4f} | {d} |")
    lines += ["", "![evaluate](eval.png)", "", verdict]
    (out / "eval.md").write_text("\n".join(lines) + "\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6))
    for i, s in enumerate(summary):
        accs = [100 * r["acc"] for r in rows if r["arm"] == s["arm"]]
        ax.bar(i, 100 * s["acc_mean"], yerr=100 * s["acc_std"], alpha=0.6, capsize=3)
        ax.plot([i] * len(accs), accs, "k.", ms=4)
    ax.set_xticks(range(len(summary)), [s["arm"] for s in summary], rotation=25, ha="right",
                  fontsize=8)
    lo = min(100 * r["acc"] for r in rows)
    ax.set_ylim(max(0, lo - 5), None)
    ax.set_ylabel("test accuracy %")
    fig.tight_layout()
    fig.savefig(out / "eval.png", dpi=90)
    plt.close(fig)
