"""The `augkit` command. Subcommands live in their own modules, imported only when used.

Every error ends the command with one line on stderr, ``augkit CMD: error: what``, and exit
status 2 (argparse's usage errors included); set ``AUGKIT_TRACEBACK=1`` to see the traceback
of an unexpected one.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path

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


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2), for the command and all its subcommands."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def _checkout_root() -> Path | None:
    """The source checkout augkit runs from (an editable install or PYTHONPATH), if any:
    the folder above the augkit package, when it holds the benchmarks."""
    import augkit

    root = Path(augkit.__file__).parent.parent
    return root if (root / "benchmarks" / "__main__.py").is_file() else None


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

    p = Parser(prog="augkit", description=__doc__.split("\n\n")[0])
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
        top = mod.split(".")[0]
        if cmd in CHECKOUT_PLUGINS and importlib.util.find_spec(top) is None:
            root = _checkout_root()  # augkit installed from a checkout: its benchmarks
            if root is not None:
                sys.path.append(str(root))
        try:
            module = importlib.import_module(mod)
        except ModuleNotFoundError as e:  # a plugin whose optional deps are missing
            if argv_cmd != cmd:
                continue
            if cmd in CHECKOUT_PLUGINS and e.name == top:
                raise SystemExit(f"the {top} package ships with augkit's source, not with an "
                                 f"installed augkit; run from a checkout: python -m {top}"
                                 ) from None
            raise SystemExit(f"unavailable ({e})") from None
        seen.add(mod)
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns its exit status (0, or 2 after a one-line error). argparse's
    ``--help``, ``--version`` and usage errors (one line too) raise SystemExit(0 / 2) as
    argparse always does."""
    argv = sys.argv[1:] if argv is None else list(argv)
    cmd = next((a for a in argv if not a.startswith("-")), None)
    # a known command loads only its own plugin (`augkit ops` imports none); help and
    # unknown commands load them all so that every command is listed
    known = cmd in PLUGINS or cmd == "ops"
    prog = f"augkit {cmd}" if known else "augkit"
    try:
        # --version (no command) needs no plugin at all
        parser = build_parser(cmd if known else None,
                              plugins=known or not any(a == "--version" for a in argv))
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        return int(args.func(args) or 0)
    except SystemExit as e:  # argparse's help, version, usage (already printed): as is
        if e.code is None or isinstance(e.code, int):
            raise
        return _fail(prog, str(e.code))  # a plugin's message
    except Exception as e:
        if os.environ.get("AUGKIT_TRACEBACK"):
            raise
        return _fail(prog, _describe(e))


def _describe(e: Exception) -> str:
    from .errors import AugkitError

    if isinstance(e, AugkitError):
        return str(e)
    if isinstance(e, OSError) and e.strerror:
        return f"{e.strerror}: {e.filename}" if e.filename else e.strerror
    return f"{type(e).__name__}: {e} (AUGKIT_TRACEBACK=1 shows where)"


def _fail(prog: str, message: str) -> int:
    message = " ".join(message.split())
    cmd = prog.split()[-1]
    if message.startswith(f"{cmd}: "):  # "augkit show: error: show: out ..." says it twice
        message = message[len(cmd) + 2:]
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
