"""Serialisation: to_dict/from_dict, save/load as YAML and JSON, format version, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from augkit import AugkitValueError, Sample, from_dict, load, save, to_dict
from augkit.compose import Maybe, OneOf, Seq, SomeOf
from augkit.core import registered_ops
from augkit.poor import Affine, HFlip, Pad, RandomResizedCrop, Rotate
from augkit.serial import FORMAT
from augkit.testing import example_instances

PIPE = Seq((
    HFlip(p=0.5, keypoint_pairs=[(1, 2), (3, 4)]),
    OneOf((Rotate(degrees=15), Affine(scale=(0.9, 1.1), shear=5.0)), weights=(2.0, 1.0)),
    SomeOf((Pad(padding=(1, 2)), Maybe(RandomResizedCrop(size=(20, 24)), p=0.3)), k=(0, 2)),
), fuse=False)

ALL = [ex for _, cls in sorted(registered_ops().items()) for ex in example_instances(cls)]


def _same_output(a, b):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (24, 28, 3), dtype=np.uint8)
    s = Sample(img, boxes=np.array([[2, 3, 10, 12]], np.float32),
               keypoints=rng.uniform(0, 20, (2, 5, 3)).astype(np.float32))
    x = a(s, rng=np.random.default_rng(5))
    y = b(s, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(x.image, y.image)
    np.testing.assert_array_equal(x.boxes, y.boxes)
    np.testing.assert_array_equal(x.keypoints, y.keypoints)


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_save_load_round_trip(tmp_path, suffix):
    path = save(PIPE, tmp_path / f"pipe{suffix}")
    text = path.read_text()
    assert FORMAT in text
    back = load(path)
    assert back == PIPE and to_dict(back) == to_dict(PIPE)
    _same_output(PIPE, back)


def test_file_layout_uses_type_and_format_keys(tmp_path):
    import yaml

    doc = json.loads(save(PIPE, tmp_path / "p.json").read_text())
    assert doc["format"] == FORMAT == "augkit/1"
    assert doc["op"]["type"] == "Seq" and doc["op"]["ops"][0]["type"] == "HFlip"
    assert doc["op"]["ops"][0]["keypoint_pairs"] == [[1, 2], [3, 4]]
    ydoc = yaml.safe_load(save(PIPE, tmp_path / "p.yaml").read_text())
    assert ydoc == doc  # the same document in either syntax


@pytest.mark.parametrize("op", ALL, ids=lambda o: type(o).__name__)
def test_every_registered_op_round_trips_through_yaml(tmp_path, op):
    back = load(save(op, tmp_path / "op.yaml"))
    assert type(back) is type(op) and to_dict(back) == to_dict(op)


def test_hand_written_yaml_with_lists_loads_to_hashable_ops(tmp_path):
    p = tmp_path / "hand.yaml"
    p.write_text("format: augkit/1\nop:\n  type: Seq\n  ops:\n"
                 "    - {type: Rotate, degrees: [-10, 10]}\n"
                 "    - {type: HFlip, p: 1.0, keypoint_pairs: [[0, 1]]}\n")
    op = load(p)
    assert op == Seq((Rotate(degrees=(-10, 10)), HFlip(p=1.0, keypoint_pairs=((0, 1),))))
    hash(op)


def test_unknown_op_and_fields_are_typed_errors(tmp_path):
    with pytest.raises(AugkitValueError, match=r"from_dict: type 'NoSuchOp' is not a registered"):
        from_dict({"type": "NoSuchOp"})
    with pytest.raises(AugkitValueError, match=r"^Rotate: fields \['angle'\] are unknown"):
        from_dict({"type": "Rotate", "angle": 3})
    with pytest.raises(AugkitValueError, match=r"from_dict: type is missing"):
        from_dict({"ops": []})
    with pytest.raises(AugkitValueError, match=r"^Rotate: degrees is inverted"):
        from_dict({"type": "Rotate", "degrees": [5, -5]})  # fields are validated on load
    p = tmp_path / "nested.json"
    p.write_text(json.dumps({"format": FORMAT, "op": {"type": "Seq",
                                                      "ops": [{"type": "Bogus"}]}}))
    with pytest.raises(AugkitValueError, match="'Bogus' is not a registered op"):
        load(p)


def test_format_version_is_checked(tmp_path):
    p = tmp_path / "old.json"
    p.write_text(json.dumps({"format": "augkit/0", "op": {"type": "HFlip"}}))
    with pytest.raises(AugkitValueError, match=r"format 'augkit/0'"):
        load(p)
    p.write_text(json.dumps({"type": "HFlip"}))
    with pytest.raises(AugkitValueError, match="not an augkit op file"):
        load(p)


def test_yaml_is_loaded_safely(tmp_path):
    p = tmp_path / "evil.yaml"
    p.write_text("format: augkit/1\nop: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(AugkitValueError, match="is not valid YAML"):  # more: test_load_guards
        load(p)


def test_to_dict_rejects_non_ops():
    with pytest.raises(TypeError, match="to_dict: op is dict"):
        to_dict({"type": "HFlip"})


def test_batch_mixers_round_trip_through_the_common_serialiser(tmp_path):
    import json

    import augkit
    from augkit import mix

    m = mix.Mixer(choices=[mix.MixUp(alpha=0.4), mix.CutMix(alpha=1.0)], p=[0.3, 0.5],
                  num_classes=10, label_smoothing=0.1)
    assert augkit.from_dict(json.loads(json.dumps(augkit.to_dict(m)))) == m
    path = augkit.save(m, tmp_path / "mixer.yaml")
    assert augkit.load(path) == m
    cut = augkit.from_dict(augkit.to_dict(augkit.middle.CutOut()))
    assert type(cut).__module__.startswith("augkit.middle")


def test_choice_combinators_keep_positional_fields_and_names():
    ops = (HFlip(p=1.0), Rotate(degrees=10))
    some = SomeOf(ops, 2, (1.0, 2.0))
    assert (some.k, some.weights) == (2, (1.0, 2.0))
    one = OneOf(ops, (3.0, 1.0))
    assert one.weights == (3.0, 1.0)
    assert list(to_dict(some)) == ["type", "ops", "k", "weights"]
    assert list(to_dict(one)) == ["type", "ops", "weights"]
    assert from_dict(to_dict(some)) == some and from_dict(to_dict(one)) == one
    assert some.geometric and one.geometric and OneOf((HFlip(),)).tier == "poor"
    assert "_Choice" not in registered_ops()
    with pytest.raises(AugkitValueError, match="^OneOf: ops is empty"):
        OneOf(())
    with pytest.raises(AugkitValueError, match=r"^SomeOf: k is 3; expected 0 <= k <= 2"):
        SomeOf(ops, 3)
    with pytest.raises(AugkitValueError, match=r"^SomeOf: weights is \(1.0,\)"):
        SomeOf(ops, 1, (1.0,))
