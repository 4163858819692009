"""Reading YAML / JSON documents (`augkit.load`, `augkit.load_policy`, the CLI's inline JSON):
every malformed file is a typed error on one line, and a document is refused before it is
built when it would expand past the limits (`augkit.serial.read_document`)."""

from __future__ import annotations

import json
import time

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import augkit as A
from augkit import serial
from augkit.policy import io as policy_io
from augkit.policy.model import PolicyError

# (file suffix, bytes): each raised a raw yaml / json / codec / recursion error before
BAD = {
    "constructor": (".yaml", b"format: augkit/1\nop: !!python/object/apply:os.system ['true']\n"),
    "parser": (".yaml", b"format: augkit/1\nop: [unclosed\n"),
    "scanner": (".yaml", b"format: augkit/1\nop: {type: HFlip}\n\tp: 1\n"),
    "undefined alias": (".yaml", b"format: augkit/1\nop: *nowhere\n"),
    "two documents": (".yaml", b"format: augkit/1\n---\nop: {type: HFlip}\n"),
    "unhashable key": (".yaml", b"? [a, b]\n: 1\n"),
    "bad int literal": (".yaml", b"format: augkit/1\nop: !!int 12abc\n"),
    "not utf-8 yaml": (".yaml", b"\xff\xfe\x00garbage: [\n"),
    "deep yaml": (".yaml", b"[" * 20000 + b"]" * 20000),
    "deep yaml block": (".yaml", b"".join(b"  " * i + b"- \n" for i in range(3000))),
    "json syntax": (".json", b"{not json"),
    "not utf-8 json": (".json", b'{"format": "augkit/1", "op": "\xff"}'),
    "deep json": (".json", b"[" * 100000 + b"]" * 100000),
    "huge json int": (".json", b'{"format": "augkit/1", "op": ' + b"7" * 5000 + b"}"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_load_wraps_every_parser_failure_in_one_typed_line(tmp_path, name):
    suffix, data = BAD[name]
    path = tmp_path / f"doc{suffix}"
    path.write_bytes(data)
    with pytest.raises(A.AugkitValueError) as e:
        A.load(path)
    msg = str(e.value)
    assert msg.startswith(f"load: {path} ") and "\n" not in msg, msg


@pytest.mark.parametrize("name", sorted(n for n in BAD if BAD[n][0] == ".yaml"))
def test_load_policy_wraps_the_same_failures(tmp_path, name):
    path = tmp_path / "policy.yaml"
    path.write_bytes(BAD[name][1])
    with pytest.raises(PolicyError) as e:
        A.load_policy(path)
    assert str(e.value).startswith(f"{path}: ") and "\n" not in str(e.value), str(e.value)


def test_no_code_runs_from_yaml(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.yaml"
    path.write_text(f"format: augkit/1\nop: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(A.AugkitValueError, match="is not valid YAML: .*constructor"):
        A.load(path)
    with pytest.raises(PolicyError, match="is not valid YAML"):
        A.load_policy(path)
    assert not marker.exists()


def _laughs(levels: int) -> str:
    """The classic alias bomb: 10**levels strings from a few hundred bytes."""
    lines = ["defs:", '  - &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"'
             ', "lol"]']
    lines += [f"  - &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_at_once(tmp_path):
    """~700 bytes that expand to 10**9 nodes: 15 s and 1.3 GB before any error, before."""
    path = tmp_path / "laughs.yaml"
    path.write_text(_laughs(9) + "format: augkit/1\nop: *l8\n")
    assert len(path.read_bytes()) < 800
    t0 = time.perf_counter()
    with pytest.raises(A.AugkitValueError, match="refused: it expands through its aliases"):
        A.load(path)
    with pytest.raises(PolicyError, match="refused: it expands through its aliases"):
        A.load_policy(path)
    assert time.perf_counter() - t0 < 1.0


def test_aliased_op_tree_is_refused_before_it_is_built(tmp_path):
    """Five levels of Seqs of ten aliases: 10**5 HFlips from ~600 bytes, which loaded (slowly)
    into a 111111-op tree before."""
    lines = ["format: augkit/1", "defs:",
             f"  - &s0 {{type: Seq, fuse: false, ops: [{', '.join(['{type: HFlip}'] * 10)}]}}"]
    lines += [f"  - &s{i} {{type: Seq, fuse: false, ops: [{', '.join([f'*s{i - 1}'] * 10)}]}}"
              for i in range(1, 5)]
    path = tmp_path / "tree.yaml"
    path.write_text("\n".join(lines + ["op: *s4"]) + "\n")
    assert len(path.read_bytes()) < 700
    t0 = time.perf_counter()
    with pytest.raises(A.AugkitValueError, match=r"load: .* is refused: it expands through its "
                       rf"aliases to more than {serial.MAX_ALIAS_NODES} nodes"):
        A.load(path)
    assert time.perf_counter() - t0 < 1.0


def test_aliased_policy_cannot_expand_to_a_million_steps(tmp_path):
    """1000 sub-policies of 1000 steps through aliases (~6 KB): 10**6 steps, built, before."""
    steps = "[&s [Rotate, 0.5, 3]" + ",*s" * 999 + "]"
    path = tmp_path / "policy.yaml"
    path.write_text(f"format: augkit-policy/1\nlevels: 10\nsubpolicies: [&a {steps}"
                    + ",*a" * 999 + "]\n")
    assert len(path.read_bytes()) < 7000
    t0 = time.perf_counter()
    with pytest.raises(PolicyError, match="refused: it expands through its aliases"):
        A.load_policy(path)
    assert time.perf_counter() - t0 < 1.0


def _policy(n_sub: int, n_steps: int) -> str:
    sub = "[" + ", ".join(["[Rotate, 0.5, 0.3]"] * n_steps) + "]"
    return "format: augkit-policy/1\nsubpolicies:\n" + f"- {sub}\n" * n_sub


def test_policy_sub_policy_and_step_counts_are_bounded(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(_policy(policy_io.MAX_SUBPOLICIES, 2))
    assert len(A.load_policy(path).subpolicies) == policy_io.MAX_SUBPOLICIES
    path.write_text(_policy(policy_io.MAX_SUBPOLICIES + 1, 2))
    with pytest.raises(PolicyError, match=rf"has {policy_io.MAX_SUBPOLICIES + 1} sub-policies; "
                       rf"at most {policy_io.MAX_SUBPOLICIES}"):
        A.load_policy(path)
    path.write_text(_policy(1, policy_io.MAX_STEPS))
    assert len(A.load_policy(path).subpolicies[0]) == policy_io.MAX_STEPS
    path.write_text(_policy(2, policy_io.MAX_STEPS + 1))
    with pytest.raises(PolicyError, match=rf"sub-policy 0 has {policy_io.MAX_STEPS + 1} steps"):
        A.load_policy(path)


def test_depth_and_node_limits_hold_at_their_boundaries(tmp_path, monkeypatch):
    for fmt, dump in (("yaml", yaml.safe_dump), ("json", json.dumps)):
        ok = [0]
        for _ in range(serial.MAX_DEPTH - 1):
            ok = [ok]
        assert serial.parse_document(dump(ok), fmt, ValueError) == ok  # MAX_DEPTH levels
        with pytest.raises(A.AugkitValueError, match=f"nests deeper than {serial.MAX_DEPTH}"):
            serial.parse_document(dump([ok]), fmt, lambda w: A.AugkitValueError(w))
    monkeypatch.setattr(serial, "MAX_NODES", 10)
    for fmt, dump in (("yaml", yaml.safe_dump), ("json", json.dumps)):
        assert serial.parse_document(dump(list(range(9))), fmt, ValueError) == list(range(9))
        with pytest.raises(A.AugkitValueError, match="holds more than 10 nodes"):
            serial.parse_document(dump(list(range(10))), fmt, lambda w: A.AugkitValueError(w))


def test_aliases_that_expand_deeper_than_the_limit_are_refused():
    chain = "&d " + "[" * 30 + "0" + "]" * 30
    doc = "[" * 20 + chain + ", " + "[" * 20 + "*d" + "]" * 40  # written: 50 levels; 70
    serial.parse_document(doc.replace("*d", "0"), "yaml", ValueError)
    with pytest.raises(A.AugkitValueError, match="nests deeper than 64 levels once its aliases"):
        serial.parse_document(doc, "yaml", lambda w: A.AugkitValueError(w))


def test_self_referencing_alias_is_refused():
    for doc in ("&a [*a]", "&m {k: *m}", "a: &x [1, [2, *x]]"):
        with pytest.raises(A.AugkitValueError, match="refers to itself through an alias"):
            serial.parse_document(doc, "yaml", lambda w: A.AugkitValueError(w))


def test_ordinary_aliases_still_load(tmp_path):
    path = tmp_path / "pipe.yaml"
    path.write_text("format: augkit/1\nop:\n  type: Seq\n  fuse: false\n  ops:\n"
                    "  - &r {type: Rotate, degrees: [-10, 10]}\n  - {type: HFlip}\n  - *r\n"
                    "  - <<: *r\n    degrees: 5\n")
    op = A.load(path)
    assert op.ops[0] == op.ops[2] == A.Rotate(degrees=(-10, 10))
    assert op.ops[3] == A.Rotate(degrees=5)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8)
                     | st.floats(allow_nan=False, allow_infinity=False),
                     lambda kids: st.lists(kids, max_size=4)
                     | st.dictionaries(st.text(max_size=5), kids, max_size=4), max_leaves=30)


@settings(max_examples=60, deadline=None)
@given(_json)
def test_documents_within_the_limits_parse_as_plain_yaml_and_json_do(doc):
    assert serial.parse_document(yaml.safe_dump(doc), "yaml", ValueError) == yaml.safe_load(
        yaml.safe_dump(doc))
    assert serial.parse_document(json.dumps(doc).encode(), "json", ValueError) == doc
