"""The `augkit` command, run as a subprocess (`python -m augkit`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import augkit
import augkit as A
from augkit import cli
from augkit.core import registered_ops

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "augkit", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_version():
    r = run("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"augkit {augkit.__version__}"


def test_ops_lists_every_op_with_tier_and_geometry():
    r = run("ops")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["op", "tier", "geometric"]
    rows = {ln.split()[0]: ln.split() for ln in lines[1:]}
    # ops defined by other tests in this process (user ops) are not in the subprocess's list
    ops = {n: c for n, c in registered_ops().items() if c.__module__.startswith("augkit.")}
    assert set(ops) <= set(rows) and len(rows) >= 16
    for name in ("HFlip", "Rotate", "RandomResizedCrop"):
        assert rows[name][1] == "poor" and rows[name][2] == "True", rows[name]
    for name, cls in ops.items():  # the table agrees with the classes themselves
        if isinstance(cls.tier, str):
            assert rows[name][1] == cls.tier, rows[name]
        if isinstance(cls.geometric, bool):
            assert rows[name][2] == str(cls.geometric), rows[name]
        else:  # combinators: it depends on their children
            assert rows[name][2] == "depends", rows[name]


def test_no_command_prints_help_and_bad_command_fails():
    r = run()
    assert r.returncode == 0 and "ops" in r.stdout
    r = run("no-such-command")
    assert r.returncode != 0 and "invalid choice" in r.stderr


def _plugins_loaded_after(argv):
    code = (f"import sys; from augkit.cli import main\ntry:\n    main({argv!r})\n"
            "except SystemExit:\n    pass\n"
            "print('PLUGINS', sorted(m for m in ('augkit.search.cli', 'augkit.show', "
            "'benchmarks', 'benchmarks.__main__') if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout, r.stdout.strip().splitlines()[-1]


def test_ops_command_loads_no_plugin():
    _, loaded = _plugins_loaded_after(["ops"])
    assert loaded == "PLUGINS []"


def test_version_and_help_never_import_the_benchmarks():
    out, loaded = _plugins_loaded_after(["--version"])
    assert out.startswith(f"augkit {augkit.__version__}") and loaded == "PLUGINS []"
    out, loaded = _plugins_loaded_after(["--help"])
    assert "bench" in out and "source checkout" in out  # listed, from a static line
    assert "benchmarks" not in loaded and "benchmarks.__main__" not in loaded
    _, loaded = _plugins_loaded_after(["bench", "--help"])  # the checkout has them
    assert "benchmarks.__main__" in loaded


def test_bench_outside_a_checkout_says_how_to_run_it(tmp_path):
    """The benchmarks package ships with the source, not the wheel: augkit alone (here a link
    to the package, away from the checkout) must explain that instead of a traceback."""
    (tmp_path / "augkit").symlink_to(ROOT / "augkit", target_is_directory=True)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    probe = subprocess.run([sys.executable, "-c", "import augkit, importlib.util as u; "
                            "print(augkit.__file__, u.find_spec('benchmarks'))"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert probe.stdout.split()[-1] == "None", probe.stdout  # really no benchmarks here
    r = subprocess.run([sys.executable, "-m", "augkit", "bench", "--smoke"], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("augkit bench: error: the benchmarks package ships with "
                               "augkit's source"), r.stderr
    assert "run from a checkout: python -m benchmarks" in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "-m", "augkit", "ops"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "HFlip" in r.stdout, r.stderr


def test_bench_finds_the_checkout_augkit_is_installed_from(tmp_path):
    """An editable install puts augkit, not its checkout, on the path: `augkit bench` from
    any folder still finds the checkout's benchmarks (emulated: the checkout is on sys.path
    only while augkit is imported)."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import augkit; sys.path.pop(0)\n"
            "import importlib.util as u; assert u.find_spec('benchmarks') is None\n"
            "from augkit.cli import main; sys.exit(main(['bench', '--help']))")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120, env=dict(os.environ, PYTHONPATH=""))
    assert r.returncode == 0, r.stderr
    assert "--smoke" in r.stdout


# each subcommand's error paths: (argv, what the one line says)
ERRORS = [
    (["no-such-command"], "augkit: error: argument COMMAND: invalid choice"),
    (["ops", "--bogus"], "augkit: error: unrecognized arguments: --bogus"),
    (["show", "Rotate", "--n", "1", "--out", "missing_dir/x.png"],
     "augkit show: error: out 'missing_dir/x.png': the folder 'missing_dir' does not exist"),
    (["show", "Rotate", "--n", "1", "--out", "grid.nope"],
     "augkit show: error: out 'grid.nope': no image format for the extension '.nope'"),
    (["show", "--n", "x"], "augkit show: error: argument --n: invalid int value: 'x'"),
    (["show", "--n", "0", "--out", "{tmp}/g.png"], "augkit show: error: n is 0"),
    (["show", "NoSuchOp", "--out", "{tmp}/g.png"], "augkit show: error: target 'NoSuchOp'"),
    (["show", "--image", "missing.jpg", "--out", "{tmp}/g.png"],
     "augkit show: error: image 'missing.jpg' is not a file"),
    (["show", "{tmp}/bad.yaml", "--out", "{tmp}/g.png"],
     "augkit show: error: target '{tmp}/bad.yaml' is neither an op file (load: "),
    (["show", '{"type": "Rotate", "degrees": }', "--out", "{tmp}/g.png"],
     "augkit show: error: target (inline JSON) is not valid JSON"),
    (["bench", "--sizes", "abc"], "augkit bench: error: sizes is 'abc'"),
    (["bench", "--out", "missing_dir/r.md"],
     "augkit bench: error: out 'missing_dir/r.md': the folder 'missing_dir' does not exist"),
    (["search", "--no-such-flag"], "augkit: error: unrecognized arguments: --no-such-flag"),
    (["evaluate", "--run", "{tmp}/no_run"], "augkit evaluate: error: "),
]


@pytest.mark.parametrize("argv, says", ERRORS, ids=[" ".join(a[:3]) for a, _ in ERRORS])
def test_every_command_error_is_one_line_and_exit_2(tmp_path, argv, says):
    """Through the real entry point (`python -m augkit`): `show --out missing_dir/x.png`
    printed a traceback (exit 1); a missing benchmarks package exited 1."""
    (tmp_path / "bad.yaml").write_text("format: augkit/1\nop: !!python/object/apply:os.system"
                                       " ['true']\n")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    r = run(*argv)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.count("\n") == 1 and r.stderr.endswith("\n"), r.stderr
    assert r.stderr.startswith(says.replace("{tmp}", str(tmp_path))), r.stderr
    assert not (ROOT / "missing_dir").exists() and not (ROOT / "grid.nope").exists()


class _Boom:
    """A plugin whose command fails in the given way."""

    def __init__(self, exc):
        self.exc = exc

    def register(self, sub):
        sub.add_parser("boom").set_defaults(func=self.run)

    def run(self, args):
        raise self.exc


@pytest.mark.parametrize("exc, line", [
    (A.AugkitValueError("boom: size is 0; expected >= 1"), "size is 0; expected >= 1"),
    (FileNotFoundError(2, "No such file or directory", "x.csv"),
     "No such file or directory: x.csv"),
    (RuntimeError("it\nbroke"), "RuntimeError: it broke (AUGKIT_TRACEBACK=1 shows where)"),
    (SystemExit("benchmarks: no real photos found"), "benchmarks: no real photos found"),
])
def test_main_turns_any_plugin_failure_into_one_line(monkeypatch, capsys, exc, line):
    monkeypatch.setitem(sys.modules, "augkit_test_boom", _Boom(exc))
    monkeypatch.setattr(cli, "PLUGINS", {"boom": "augkit_test_boom"})
    monkeypatch.delenv("AUGKIT_TRACEBACK", raising=False)
    assert cli.main(["boom"]) == 2
    err = capsys.readouterr().err
    assert err == f"augkit boom: error: {line}\n"
    monkeypatch.setenv("AUGKIT_TRACEBACK", "1")
    if not isinstance(exc, SystemExit):
        with pytest.raises(type(exc)):
            cli.main(["boom"])


def test_argparse_exits_stay_systemexit_with_one_line_usage_errors(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"augkit {augkit.__version__}"
    with pytest.raises(SystemExit) as e:
        cli.main(["show", "--n", "x"])
    assert e.value.code == 2
    assert capsys.readouterr().err == ("augkit show: error: argument --n: invalid int value: "
                                       "'x' (see: augkit show --help)\n")
