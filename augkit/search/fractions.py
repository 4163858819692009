"""`augkit evaluate --fractions`: accuracy against training-set size, one line per arm.

The lecture's claim: performance on vision tasks grows with the logarithm of the volume of
training data. Every arm is trained on nested stratified fractions of the training part (each
smaller set inside every larger one, the same epochs), and a line acc = a + b * log2(n) is
fitted per arm: b is the accuracy gained per doubling of the data, and an arm's lead over
`none` at the full size divided by none's b says how many doublings of data it is worth.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..errors import value_error


def check_fractions(fractions) -> list[float]:
    """Sorted fractions in (0, 1); a string "0.125,0.25" is accepted; 1 (the full training
    part, always trained) is dropped. Empty or None: no curve."""
    if fractions is None:
        return []
    if isinstance(fractions, str):
        fractions = [v for v in fractions.split(",") if v.strip()]
    try:
        vals = sorted({float(v) for v in fractions})
    except (TypeError, ValueError):
        raise value_error("evaluate", "fractions", f"is {fractions!r}; expected numbers in "
                          "(0, 1], e.g. 0.125,0.25,0.5,1") from None
    if not vals or not all(0 < v <= 1 for v in vals):
        raise value_error("evaluate", "fractions", f"is {fractions!r}; expected numbers in "
                          "(0, 1], e.g. 0.125,0.25,0.5,1")
    return [v for v in vals if v < 1]


def fit_log2(n: np.ndarray, acc: np.ndarray) -> tuple[float, float]:
    """Least-squares (a, b) of acc = a + b * log2(n)."""
    b, a = np.polyfit(np.log2(n.astype(float)), acc, 1)
    return float(a), float(b)


def curves(rows: list[dict], arms) -> dict:
    """Per arm: sizes, mean accuracy per size, and the fitted (a, b)."""
    out = {}
    for arm in arms:
        ns = sorted({r["n_train"] for r in rows if r["arm"] == arm})
        means = np.array([np.mean([r["acc"] for r in rows if r["arm"] == arm
                                   and r["n_train"] == n]) for n in ns])
        a, b = fit_log2(np.array(ns), means) if len(ns) > 1 else (float("nan"), float("nan"))
        out[arm] = {"n": ns, "acc": means, "a": a, "b": b}
    return out


def write_fractions(out: Path, rows: list[dict], arms) -> dict:
    cur = curves(rows, arms)
    with open(out / "fractions.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["arm", "n_train", "acc_mean", "slope_per_doubling"])
        for arm, c in cur.items():
            for n, a in zip(c["n"], c["acc"]):
                w.writerow([arm, n, f"{a:.5f}", f"{c['b']:.5f}"])
    none = cur.get("none")
    lines = ["# Accuracy against training-set size", "",
             "Every arm trained on nested stratified fractions of the training part (same "
             "epochs, seeds and test part); fitted acc = a + b log2(n).", "",
             "| arm | " + " | ".join(f"n={n}" for n in next(iter(cur.values()))["n"])
             + " | points per doubling | worth (doublings of data over none) |",
             "|---|" + "---:|" * (len(next(iter(cur.values()))["n"]) + 2)]
    for arm, c in cur.items():
        worth = "—"
        if none is not None and arm != "none" and none["b"] > 0:
            d = (c["acc"][-1] - none["acc"][-1]) / none["b"]
            worth = f"{d:+.2f} (x{2 ** d:.2f} images)"
        lines.append(f"| {arm} | " + " | ".join(f"{100 * a:.2f}" for a in c["acc"])
                     + f" | {100 * c['b']:+.2f} | {worth} |")
    lines += ["", "![fractions](fractions.png)", ""]
    (out / "fractions.md").write_text("\n".join(lines))
    _plot(out, cur)
    return cur


def _plot(out: Path, cur: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for arm, c in cur.items():
        ns = np.array(c["n"], float)
        (line,) = ax.plot(ns, 100 * c["acc"], "o", label=f"{arm} ({100 * c['b']:+.1f}/doubling)")
        if np.isfinite(c["b"]):
            xs = np.geomspace(ns.min(), ns.max(), 20)
            ax.plot(xs, 100 * (c["a"] + c["b"] * np.log2(xs)), "-", color=line.get_color())
    ax.set_xscale("log", base=2)
    ax.set_xlabel("training images (log scale)")
    ax.set_ylabel("test accuracy %")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "fractions.png", dpi=90)
    plt.close(fig)
