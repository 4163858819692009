"""The `augkit` command. Subcommands live in their own modules, imported only when used."""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> module with `register(subparsers)` that adds it and sets `func`
PLUGINS = {
    "search": "augkit.search.cli",
    "evaluate": "augkit.search.cli",
    "show": "augkit.show",
    "bench": "benchmarks.__main__",
}

# plugins that live in the source checkout, not in the installed package: help lists them
# from this line without importing them (importing benchmarks also pins thread counts)
CHECKOUT_PLUGINS = {"bench": "time augkit against its peers (from a source checkout)"}


def _ops(args) -> int:
    from .core import registered_ops

    rows = []
    for name, cls in sorted(registered_ops().items()):
        geometric = cls.geometric if isinstance(cls.geometric, bool) else "depends"
        tier = cls.tier if isinstance(cls.tier, str) else "depends"
        rows.append((name, tier, str(geometric), cls.__module__))
    widths = [max(len(r[i]) for r in rows + [("op", "tier", "geometric", "module")])
              for i in range(4)]
    for r in [("op", "tier", "geometric", "module")] + rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    return 0


def build_parser(argv_cmd: str | None = None, plugins: bool = True) -> argparse.ArgumentParser:
    """The parser; `argv_cmd` given: load only that command's plugin; `plugins=False`: none."""
    from ._version import __version__

    p = argparse.ArgumentParser(prog="augkit", description=__doc__)
    p.add_argument("--version", action="version", version=f"augkit {__version__}")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    ops = sub.add_parser("ops", help="list every registered op with its tier and geometry")
    ops.set_defaults(func=_ops)
    seen = set()
    for cmd, mod in PLUGINS.items():
        if not plugins or mod in seen or (argv_cmd is not None and argv_cmd != cmd):
            continue
        if argv_cmd is None and cmd in CHECKOUT_PLUGINS:
            sub.add_parser(cmd, help=CHECKOUT_PLUGINS[cmd], add_help=False)
            continue
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as e:  # a plugin whose optional deps are missing
            if argv_cmd != cmd:
                continue
            top = mod.split(".")[0]
            if cmd in CHECKOUT_PLUGINS and e.name == top:
                raise SystemExit(f"augkit {cmd}: the {top} package is not installed with "
                                 f"augkit; run from a checkout: python -m {top}") from None
            raise SystemExit(f"augkit {cmd}: unavailable ({e})") from None
        seen.add(mod)
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cmd = next((a for a in argv if not a.startswith("-")), None)
    # a known command loads only its own plugin (`augkit ops` imports none); help and
    # unknown commands load them all so that every command is listed
    known = cmd in PLUGINS or cmd == "ops"
    # --version (no command) needs no plugin at all
    parser = build_parser(cmd if known else None,
                          plugins=known or not any(a == "--version" for a in argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
