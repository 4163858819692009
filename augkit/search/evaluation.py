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
    if extra is None:
        return base
    return extra() if base is None else Seq([base, extra()])


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
    """Use the searched policy only where it beats the best zero-cost arm beyond noise; say
    so when it beats base but ties the best of the rest."""
    zero = [s for s in summary if s["arm"] != SEARCHED]
    best = max(zero, key=lambda s: s["acc_mean"])
    n = len(by_arm[best["arm"]])
    if SEARCHED not in by_arm:
        return f"Verdict: use {best['arm']} (best mean accuracy over {n} seeds)."

    def diff(arm):
        m, lo, hi = t_interval(by_arm[SEARCHED] - by_arm[arm])
        return lo, hi, (f"{100 * m:+.2f} points, 95% CI [{100 * lo:+.2f}, {100 * hi:+.2f}], "
                        f"{n} paired seeds")
    lo, hi, text = diff(best["arm"])
    if lo > 0:
        return f"Verdict: use the searched policy ({SEARCHED}): it beats {best['arm']} by {text}."
    if "base" in by_arm and best["arm"] != "base" and diff("base")[0] > 0 and hi >= 0:
        return (f"Verdict: use the searched policy or {best['arm']} (a tie): {SEARCHED} beats "
                f"base by {diff('base')[2]}, and minus {best['arm']}: {text}.")
    return (f"Verdict: use {best['arm']}: the searched policy does not beat it beyond noise "
            f"({SEARCHED} minus {best['arm']}: {text}).")


ZERO_COST = ("base+randaugment", "base+trivialaugment", "base+autoaugment-cifar10",
             "base+random")


def identity_check(summary: list[dict]) -> str | None:
    """Whether the searched policy changes images as much as the zero-cost policies do (a
    near-identity policy can win a weak proxy's evaluation without augmenting anything)."""
    px = {s["arm"]: s["pixel_change"] for s in summary}
    others = [px[a] for a in ZERO_COST if a in px]
    if SEARCHED not in px or not others:
        return None
    ok = px[SEARCHED] >= min(others)
    return (f"The searched policy changes images by {px[SEARCHED]:.1f} levels on average; the "
            f"zero-cost policies (RandAugment, TrivialAugment, AutoAugment, random) by "
            f"{min(others):.1f} to {max(others):.1f}: "
            + ("within their range or above." if ok else "**near-identity** by comparison."))


def nested_subsets(y: np.ndarray, fractions, seed: int) -> dict[float, np.ndarray]:
    """Stratified training subsets, each smaller one inside every larger one: the first
    round(f * n_c) images of one fixed permutation of each class c."""
    rng = np.random.default_rng([seed, 37])
    perms = {c: rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)}
    return {f: np.sort(np.concatenate([p[:max(1, round(f * len(p)))] for p in perms.values()]))
            for f in fractions}


def _train_task(task: dict) -> dict:
    """One training of one arm (runs in a pool worker): accuracy on the test part."""
    from .pool import shared
    from .train import TrainConfig, ce_acc, predict, train

    d = shared()
    idx = task["idx"]
    x, y = (d["x"], d["y"]) if idx is None else (d["x"][idx], d["y"][idx])
    trained = train(x, y, d["n_classes"], TrainConfig(**task["train"]), op=task["op"])
    ce, acc = ce_acc(predict(trained.net(), d["xt"], trained.mean, trained.std), d["yt"])
    return {"acc": acc, "ce": ce, "train_s": round(trained.wall_s, 2)}


def pixel_change(op, x: np.ndarray, seed: int = 0) -> float:
    """Mean absolute change, in uint8 levels, that `op` makes to the images `x`."""
    from .train import augment_batch

    if op is None:
        return 0.0
    xa = augment_batch(x, op, np.random.default_rng([seed, 43]))
    return float(np.abs(xa.astype(np.int16) - x.astype(np.int16)).mean())


EVAL_DEFAULTS = {"seeds": 3, "epochs": 40, "width": 32}  # calibrated: docs/search.md


def evaluate(policy=None, data: str | None = None, *, run_dir=None, out=None,
             seeds: int | None = None, epochs: int | None = None, arms=None,
             proxy: str | None = None, width: int | None = None, batch_size: int = 64,
             lr: float = 0.05, subset: int | None = None, test_size=None,
             test_split: str | None = None, image_size: int | None = None,
             threads: int | None = None, progress: bool | None = None,
             workers: int | None = None, fractions=None) -> EvalResult:
    """Compare augmentation arms by training from scratch. `run_dir`: a search run (its data,
    split and policy are reused, so the test part is the one the search never saw);
    otherwise `policy` (a Policy, a name or a path) and `data`. `workers` processes train
    arms side by side (default: one per core; results do not depend on it). `fractions`:
    also train every arm on nested stratified fractions of the training part and fit
    accuracy against log(images) per arm (`fractions.md`, `fractions.png`)."""
    import os

    from ..policy import Policy, load_policy
    from . import algorithm as A
    from .data import prepare
    from .fractions import check_fractions, write_fractions
    from .pool import LocalPool
    from .population import at_chance
    from .train import base_op, set_threads

    seeds = EVAL_DEFAULTS["seeds"] if seeds is None else seeds
    epochs = EVAL_DEFAULTS["epochs"] if epochs is None else epochs
    width = EVAL_DEFAULTS["width"] if width is None else width
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
    for k, v, lo in (("seeds", seeds, 1), ("epochs", epochs, 1), ("width", width, 4)):
        if not (isinstance(v, int) and not isinstance(v, bool) and v >= lo):
            raise value_error("evaluate", k, f"is {v!r}; expected an integer >= {lo}")
    fracs = check_fractions(fractions)
    data = data or cfg.get("data", "digits")
    seed0 = int(cfg.get("seed", 0))
    prep = prepare(data, subset=subset if subset is not None else cfg.get("subset"),
                   test_size=test_size if test_size is not None else cfg.get("test_size"),
                   test_split=test_split or cfg.get("test_split", "holdout"), seed=seed0,
                   min_per_class=1, image_size=image_size or cfg.get("image_size"),
                   max_subset=None if subset is not None else cfg.get("max_subset"))
    set_threads(threads)
    tr, te = prep.search, prep.test
    base = base_op(tr.x.shape[1], tr.flip_ok)
    random_pol = None
    if policy is not None:  # the op set the search drew from
        if cfg.get("ops") is None and cfg.get("method", "density") in ("pba", "grid"):
            from .pba import default_ops

            ops = default_ops(policy.space)
        else:
            ops = A.check_ops(cfg.get("ops"), policy.space)
        random_pol = A.random_policy(len(policy.subpolicies), ops, policy.space, seed0,
                                     name="random-control")
    out = Path(out) if out is not None else (run_dir / "evaluate" if run_dir else Path("evaluate"))
    out.mkdir(parents=True, exist_ok=True)
    proxy = proxy or cfg.get("proxy", "inception")
    subsets = nested_subsets(tr.y, fracs, seed0) if fracs else {}
    tasks = []
    for f in [*fracs, None] if fracs else [None]:
        for s in range(seeds):
            for arm in arms:
                tasks.append({"arm": arm, "seed": s, "fraction": f,
                              "op": _arm_op(arm, base, policy, random_pol),
                              "idx": None if f is None else subsets[f],
                              "train": {"proxy": proxy, "width": width, "epochs": epochs,
                                        "batch_size": batch_size, "lr": lr, "seed": 1000 + s}})
    pool = LocalPool({"x": tr.x, "y": tr.y, "xt": te.x, "yt": te.y,
                      "n_classes": len(tr.classes)}, workers or os.cpu_count() or 1,
                     threads=threads)
    rows = []
    try:
        for t, r in zip(tasks, pool.imap(_train_task, tasks)):  # in order, as they finish
            n = len(tr.y) if t["idx"] is None else len(t["idx"])
            rows.append({"arm": t["arm"], "seed": t["seed"], "n_train": n, **r})
            if progress is not False:
                print(f"[augkit evaluate] {len(rows)}/{len(tasks)} n={n} seed {t['seed']} "
                      f"{t['arm']}: acc {r['acc']:.4f} ce {r['ce']:.4f} ({r['train_s']:.0f}s)",
                      file=sys.stderr, flush=True)
    finally:
        pool.close()
    full = [r for r, t in zip(rows, tasks) if t["fraction"] is None]
    by_arm = {a: np.array([r["acc"] for r in full if r["arm"] == a]) for a in arms}
    ce_arm = {a: np.array([r["ce"] for r in full if r["arm"] == a]) for a in arms}
    probe = te.x[:256]
    summary = []
    for a in arms:
        m, lo, hi = t_interval(by_arm[SEARCHED] - by_arm[a]) if SEARCHED in by_arm else (
            np.nan, np.nan, np.nan)
        extra = _arm_op(a, None, policy, random_pol) if a not in ("none", "base") else (
            None if a == "none" else base)
        summary.append({"arm": a, "acc_mean": float(by_arm[a].mean()),
                        "acc_std": float(by_arm[a].std(ddof=1)) if seeds > 1 else 0.0,
                        "ce_mean": float(ce_arm[a].mean()), "diff_searched_minus_arm": m,
                        "ci_low": lo, "ci_high": hi,
                        "pixel_change": pixel_change(extra, probe, seed0)})
    verdict = verdict_of(summary, by_arm)
    top = max(s["acc_mean"] for s in summary)
    if at_chance(top, len(te.y), len(tr.classes)):
        verdict = (f"Verdict: inconclusive: every arm is at chance ({100 * top:.1f}% for "
                   f"{len(tr.classes)} classes); raise --epochs (or --subset, --width). "
                   f"({verdict[len('Verdict: '):]})")
    _write(out, full, summary, verdict, dict(data=prep.search.name, n_train=len(tr.y),
                                             n_test=len(te.y), epochs=epochs, seeds=seeds,
                                             proxy=f"{proxy} width {width}"))
    if fracs:
        write_fractions(out, rows, arms)
    return EvalResult(out, full, summary, verdict)


def _write(out: Path, rows, summary, verdict, info) -> None:
    with open(out / "eval.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["arm", "seed", "n_train", "acc", "ce", "train_s"])
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
             "(95% CI) | mean pixel change |", "|---|---:|---:|---:|---:|"]
    for s in summary:
        d = ("—" if s["arm"] == SEARCHED or not np.isfinite(s["diff_searched_minus_arm"])
             else f"{100 * s['diff_searched_minus_arm']:+.2f} [{100 * s['ci_low']:+.2f}, "
                  f"{100 * s['ci_high']:+.2f}]")
        lines.append(f"| {s['arm']} | {100 * s['acc_mean']:.2f} ± {100 * s['acc_std']:.2f} | "
                     f"{s['ce_mean']:.4f} | {d} | {s['pixel_change']:.1f} |")
    lines += ["", "Mean pixel change: the mean absolute change (uint8 levels) that the arm's "
              "policy alone (base: the base augmentation) makes to 256 test images."]
    near = identity_check(summary)
    if near:
        lines += ["", near]
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
