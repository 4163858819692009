"""`augkit search` and `augkit evaluate` subcommands (imports nothing heavy until run)."""

from __future__ import annotations

import sys


def _search(args) -> int:
    from ..errors import AugkitError
    from .job import run

    opts = {k: getattr(args, k) for k in ("subset", "test_size", "test_split", "image_size",
                                          "folds", "trials", "epochs", "proxy", "width",
                                          "objective", "top_n", "ops", "space", "seed",
                                          "method", "population", "interval", "val_size")}
    if args.no_guards:
        opts["strict"] = False
    try:
        res = run(args.data, args.out, resume=args.resume, backend=args.backend,
                  ray_address=args.ray_address, threads=args.threads, workers=args.workers,
                  progress=False if args.quiet else None, **opts)
    except AugkitError as e:
        print(f"augkit search: error: {e}", file=sys.stderr)
        return 2
    c = res.cost
    print(f"policy: {res.policy_path} ({len(res.policy.subpolicies)} sub-policies)")
    print(f"report: {res.run_dir / 'report.md'}")
    if "score_cpu_s" in c:
        print(f"cost: {c['wall_s']:.0f}s wall; fold training {c['train_cpu_s']:.0f} CPU-s, "
              f"scoring {c['score_cpu_s']:.0f} CPU-s")
    else:
        print(f"cost: {c['wall_s']:.0f}s wall; member training {c['train_cpu_s']:.0f} CPU-s")
    return 0


def _evaluate(args) -> int:
    from ..errors import AugkitError
    from .evaluation import evaluate

    if args.run is None and args.policy is None and args.data is None:
        args.data = "digits"
    try:
        res = evaluate(args.policy, args.data, run_dir=args.run, out=args.out, seeds=args.seeds,
                       epochs=args.epochs, arms=args.arms.split(",") if args.arms else None,
                       proxy=args.proxy, width=args.width, subset=args.subset,
                       test_size=args.test_size, test_split=args.test_split,
                       threads=args.threads, progress=not args.quiet, workers=args.workers,
                       fractions=args.fractions)
    except AugkitError as e:
        print(f"augkit evaluate: error: {e}", file=sys.stderr)
        return 2
    print((res.out / "eval.md").read_text())
    return 0


def _size(v: str):
    f = float(v)
    return int(f) if f >= 1 else f


def register(subparsers) -> None:
    s = subparsers.add_parser(
        "search", help="search an augmentation policy (scored by training proxies with it)",
        description="Search a policy on DATA and write policy.yaml, report.md and report.png "
                    "(pba: also schedule.json and population.json; density: trials.csv) into "
                    "the run directory. With no arguments: the built-in digits.")
    s.add_argument("--data", default=None, help="digits (default), cifar10:DIR, folder:DIR, "
                   "npz:PATH or mnist:DIR")
    s.add_argument("--out", default=None, help="run directory (default runs/search-<time>)")
    s.add_argument("--resume", default=None, metavar="DIR", help="continue the run in DIR")
    s.add_argument("--backend", choices=("local", "ray"), default="local")
    s.add_argument("--ray-address", default=None, help="Ray cluster (default: local Ray)")
    s.add_argument("--subset", type=int, default=None,
                   help="stratified subset size (default: all, at most 3,000)")
    s.add_argument("--test-size", type=_size, default=None,
                   help="held-out test part: fraction or count (default 0.2)")
    s.add_argument("--test-split", choices=("holdout", "official"), default=None)
    s.add_argument("--image-size", type=int, default=None, help="resize folder/npz images")
    s.add_argument("--method", choices=("pba", "grid", "density"), default=None,
                   help="grid (default): RandAugment-style grid of one global probability "
                        "and magnitude, scored by training; pba: population based "
                        "augmentation, scored by training; density: Fast-AutoAugment "
                        "density matching")
    s.add_argument("--population", type=int, default=None, help="pba members (default 8)")
    s.add_argument("--interval", type=int, default=None,
                   help="pba: epochs between exploit/explore steps (default 3)")
    s.add_argument("--val-size", type=_size, default=None,
                   help="pba: validation part of the search data, fraction or count (0.2)")
    s.add_argument("--workers", type=int, default=None,
                   help="pba: processes (default: CPU cores; results do not depend on it)")
    s.add_argument("--no-guards", action="store_true",
                   help="warn instead of stopping when the budget is too small to conclude")
    s.add_argument("--folds", type=int, default=None, help="K (default 3)")
    s.add_argument("--trials", "--budget", dest="trials", type=int, default=None,
                   help="TPE trials per fold (default 60)")
    s.add_argument("--epochs", type=int, default=None,
                   help="training epochs: pba members (default 30), density fold models (8)")
    s.add_argument("--proxy", choices=("inception", "resnext", "sepdil"), default=None)
    s.add_argument("--width", type=int, default=None)
    s.add_argument("--objective", choices=("acc", "ce"), default=None)
    s.add_argument("--top-n", type=int, default=None, help="sub-policies kept per fold")
    s.add_argument("--ops", default=None, help="comma-separated op names (default: all)")
    s.add_argument("--space", default=None, help="magnitude space (default autoaugment)")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--threads", type=int, default=None, help="torch threads")
    s.add_argument("--quiet", action="store_true", help="no progress output")
    s.set_defaults(func=_search)

    e = subparsers.add_parser(
        "evaluate", help="train from scratch per augmentation arm and compare",
        description="Compare none / base / RandAugment / TrivialAugment / AutoAugment-CIFAR10 "
                    "/ a random policy / the searched policy with paired seeds.")
    e.add_argument("--run", default=None, metavar="DIR", help="a search run directory")
    e.add_argument("--policy", default=None, help="policy name or YAML path")
    e.add_argument("--data", default=None)
    e.add_argument("--out", default=None)
    e.add_argument("--seeds", type=int, default=None, help="paired seeds (default 3)")
    e.add_argument("--epochs", type=int, default=None, help="epochs per training (default 40)")
    e.add_argument("--width", type=int, default=None, help="proxy width (default 32)")
    e.add_argument("--workers", type=int, default=None,
                   help="processes (default: CPU cores; results do not depend on it)")
    e.add_argument("--fractions", default=None, metavar="F,F,...",
                   help="also train on nested fractions of the training part, e.g. "
                        "0.125,0.25,0.5,1, and plot accuracy against log(images)")
    e.add_argument("--arms", default=None, help="comma-separated subset of the arms")
    e.add_argument("--proxy", choices=("inception", "resnext", "sepdil"), default=None)
    e.add_argument("--subset", type=int, default=None)
    e.add_argument("--test-size", type=_size, default=None)
    e.add_argument("--test-split", choices=("holdout", "official"), default=None)
    e.add_argument("--threads", type=int, default=None)
    e.add_argument("--quiet", action="store_true")
    e.set_defaults(func=_evaluate)
