"""Policy files: the shipped ones equal the published tables, bad files give named errors,
save/load round-trips, and a Policy travels through the AutoAugment op's serialisation."""

from __future__ import annotations

import numpy as np
import pytest

import augkit
from augkit.policy import Policy, PolicyError, Step, load_policy, save_policy, shipped_policies
from augkit.policy.io import policies_dir
from augkit.rich import AutoAugment

# The AutoAugment paper's appendix tables (Cubuk et al. 2019), typed in independently of the
# shipped YAML: "p1 op1 level1 p2 op2 level2" per sub-policy, levels 0..9 of 10.
PUBLISHED = {
    "autoaugment-cifar10": """
        0.1 Invert 7 0.2 Contrast 6 | 0.7 Rotate 2 0.3 TranslateX 9
        0.8 Sharpness 1 0.9 Sharpness 3 | 0.5 ShearY 8 0.7 TranslateY 9
        0.5 AutoContrast 8 0.9 Equalize 2 | 0.2 ShearY 7 0.3 Posterize 7
        0.4 Color 3 0.6 Brightness 7 | 0.3 Sharpness 9 0.7 Brightness 9
        0.6 Equalize 5 0.5 Equalize 1 | 0.6 Contrast 7 0.6 Sharpness 5
        0.7 Color 7 0.5 TranslateX 8 | 0.3 Equalize 7 0.4 AutoContrast 8
        0.4 TranslateY 3 0.2 Sharpness 6 | 0.9 Brightness 6 0.2 Color 8
        0.5 Solarize 2 0.0 Invert 3 | 0.2 Equalize 0 0.6 AutoContrast 0
        0.2 Equalize 8 0.6 Equalize 4 | 0.9 Color 9 0.6 Equalize 6
        0.8 AutoContrast 4 0.2 Solarize 8 | 0.1 Brightness 3 0.7 Color 0
        0.4 Solarize 5 0.9 AutoContrast 3 | 0.9 TranslateY 9 0.7 TranslateY 9
        0.9 AutoContrast 2 0.8 Solarize 3 | 0.8 Equalize 8 0.1 Invert 3
        0.7 TranslateY 9 0.9 AutoContrast 1""",
    "autoaugment-svhn": """
        0.9 ShearX 4 0.2 Invert 3 | 0.9 ShearY 8 0.7 Invert 5
        0.6 Equalize 5 0.6 Solarize 6 | 0.9 Invert 3 0.6 Equalize 3
        0.6 Equalize 1 0.9 Rotate 3 | 0.9 ShearX 4 0.8 AutoContrast 3
        0.9 ShearY 8 0.4 Invert 5 | 0.9 ShearY 5 0.2 Solarize 6
        0.9 Invert 6 0.8 AutoContrast 1 | 0.6 Equalize 3 0.9 Rotate 3
        0.9 ShearX 4 0.3 Solarize 3 | 0.8 ShearY 8 0.7 Invert 4
        0.9 Equalize 5 0.6 TranslateY 6 | 0.9 Invert 4 0.6 Equalize 7
        0.3 Contrast 3 0.8 Rotate 4 | 0.8 Invert 5 0.0 TranslateY 2
        0.7 ShearY 6 0.4 Solarize 8 | 0.6 Invert 4 0.8 Rotate 4
        0.3 ShearY 7 0.9 TranslateX 3 | 0.1 ShearX 6 0.6 Invert 5
        0.7 Solarize 2 0.6 TranslateY 7 | 0.8 ShearY 4 0.8 Invert 8
        0.7 ShearX 9 0.8 TranslateY 3 | 0.8 ShearY 5 0.7 AutoContrast 3
        0.7 ShearX 2 0.1 Invert 5""",
    "autoaugment-imagenet": """
        0.4 Posterize 8 0.6 Rotate 9 | 0.6 Solarize 5 0.6 AutoContrast 5
        0.8 Equalize 8 0.6 Equalize 3 | 0.6 Posterize 7 0.6 Posterize 6
        0.4 Equalize 7 0.2 Solarize 4 | 0.4 Equalize 4 0.8 Rotate 8
        0.6 Solarize 3 0.6 Equalize 7 | 0.8 Posterize 5 1.0 Equalize 2
        0.2 Rotate 3 0.6 Solarize 8 | 0.6 Equalize 8 0.4 Posterize 6
        0.8 Rotate 8 0.4 Color 0 | 0.4 Rotate 9 0.6 Equalize 2
        0.0 Equalize 7 0.8 Equalize 8 | 0.6 Invert 4 1.0 Equalize 8
        0.6 Color 4 1.0 Contrast 8 | 0.8 Rotate 8 1.0 Color 2
        0.8 Color 8 0.8 Solarize 7 | 0.4 Sharpness 7 0.6 Invert 8
        0.6 ShearX 5 1.0 Equalize 9 | 0.4 Color 0 0.6 Equalize 3
        0.4 Equalize 7 0.2 Solarize 4 | 0.6 Solarize 5 0.6 AutoContrast 5
        0.6 Invert 4 1.0 Equalize 8 | 0.6 Color 4 1.0 Contrast 8
        0.8 Equalize 8 0.6 Equalize 3""",
}


def _parse(text):
    out = []
    for chunk in text.replace("\n", "|").split("|"):
        f = chunk.split()
        if f:
            out.append(((f[1], float(f[0]), int(f[2])), (f[4], float(f[3]), int(f[5]))))
    return out


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_shipped_policy_equals_the_published_table(name):
    pol = load_policy(name)
    want = _parse(PUBLISHED[name])
    assert len(want) == 25
    assert [tuple((s.op, s.prob, s.magnitude) for s in sp) for sp in pol.subpolicies] == want
    assert pol.name == name and pol.space == "autoaugment" and pol.levels == 10
    assert "AutoAugment" in pol.source and "2019" in pol.source


@pytest.mark.parametrize("name,tv", [("autoaugment-cifar10", "CIFAR10"),
                                     ("autoaugment-svhn", "SVHN"),
                                     ("autoaugment-imagenet", "IMAGENET")])
def test_shipped_policy_agrees_with_torchvision(name, tv):
    """A second, independent transcription: torchvision's (magnitude-free ops carry None)."""
    import torchvision.transforms.v2 as T

    aa = T.AutoAugment(getattr(T.AutoAugmentPolicy, tv))
    pol = load_policy(name)
    for sp, tv_sp in zip(pol.subpolicies, aa._policies, strict=True):
        for st, (op, p, m) in zip(sp, tv_sp, strict=True):
            assert (st.op, st.prob) == (op, p)
            if m is not None:
                assert st.magnitude == m


def test_shipped_names_and_folder():
    assert set(PUBLISHED) <= set(shipped_policies())
    assert (policies_dir() / "autoaugment-cifar10.yaml").is_file()
    assert augkit.load_policy("autoaugment-svhn") == load_policy("autoaugment-svhn")


def _write(tmp_path, text, name="p.yaml"):
    f = tmp_path / name
    f.write_text(text)
    return f


HEAD = "format: augkit-policy/1\nname: t\nspace: autoaugment\nlevels: 10\nsubpolicies:\n"


@pytest.mark.parametrize("body,pattern", [
    ("- [[Rotate, 0.5, 3]]\n- [[Blur, 0.5, 3]]\n", r"sub-policy 1, step 0 \(Blur\): unknown op"),
    ("- [[Rotate, 1.5, 3]]\n", r"sub-policy 0, step 0 \(Rotate\): probability 1.5 is out of"),
    ("- [[Rotate, 0.5, 3], [Color, 0.5, 11]]\n",
     r"sub-policy 0, step 1 \(Color\): level 11 is out of range"),
    ("- [[Rotate, 0.5, 3], [Color, 0.5, 2.5]]\n", r"step 1 \(Color\): level 2.5 is out"),
    ("- [[Rotate, 0.5]]\n", r"sub-policy 0, step 0 \(Rotate\): missing field 'magnitude'"),
    ("- [{op: Rotate, magnitude: 3}]\n", r"sub-policy 0, step 0: missing field 'prob'"),
    ("- [{prob: 0.5, magnitude: 3}]\n", r"sub-policy 0, step 0: missing field 'op'"),
    ("- [{op: Rotate, prob: 0.5, magnitude: 3, p: 1}]\n", r"step 0: unknown fields \['p'\]"),
    ("- [Rotate, 0.5, 3]\n", r"sub-policy 0, step 0: 'Rotate' is not a step"),
    ("- []\n", r"sub-policy 0 is empty"),
    ("- [[Rotate, 0.5, .inf]]\n", r"step 0 \(Rotate\): magnitude inf is not a finite"),
])
def test_bad_files_name_file_subpolicy_step_and_problem(tmp_path, body, pattern):
    f = _write(tmp_path, HEAD + body)
    with pytest.raises(PolicyError, match=pattern) as e:
        load_policy(f)
    assert str(f) in str(e.value)
    assert isinstance(e.value, ValueError) and isinstance(e.value, augkit.AugkitValueError)


@pytest.mark.parametrize("text,pattern", [
    ("name: t\n", r"missing field 'subpolicies'"),
    ("format: augkit-policy/9\nsubpolicies: []\n", r"format is 'augkit-policy/9'"),
    ("subpolicies: [[[Rotate, 0.5, 3]]]\nextra: 1\n", r"unknown keys \['extra'\]"),
    ("space: nowhere\nsubpolicies: [[[Rotate, 0.5, 0.3]]]\n", r"space is 'nowhere'"),
    ("levels: 0\nsubpolicies: [[[Rotate, 0.5, 0]]]\n", r"levels is 0"),
    ("subpolicies: [[[Rotate, 0.5, 3]]]\n", r"magnitude 3 is out of range; expected a norm"),
    ("space: wide\nsubpolicies: [[[Cutout, 0.5, 0.3]]]\n", r"'Cutout' is not in space 'wide'"),
    ("- a\n- : b: c\n", r"not valid YAML"),
    ("subpolicies: !!python/object/apply:os.system [echo hi]\n", r"not valid YAML"),
])
def test_bad_documents(tmp_path, text, pattern):
    with pytest.raises(PolicyError, match=pattern):
        load_policy(_write(tmp_path, text))


def test_unknown_name_lists_the_shipped_policies():
    with pytest.raises(PolicyError, match="autoaugment-cifar10"):
        load_policy("autoaugment-mnist")


def test_steps_as_mappings_and_magnitude_free_ops(tmp_path):
    f = _write(tmp_path, "subpolicies:\n- [{op: Rotate, prob: 0.5, magnitude: 0.25}, "
               "[Equalize, 0.3]]\n")
    pol = load_policy(f)
    assert pol.subpolicies == ((Step("Rotate", 0.5, 0.25), Step("Equalize", 0.3, 0)),)
    assert pol.levels is None and pol.space == "autoaugment"


@pytest.mark.parametrize("levels,mags", [(None, (0.0, 0.25, 1.0)), (10, (0, 3, 10))])
def test_save_load_round_trip(tmp_path, levels, mags):
    pol = Policy(((Step("Rotate", 0.5, mags[1]), Step("Invert", 0.1, mags[0])),
                  (Step("Color", 1.0, mags[2]),)),
                 name="mine", source="searched: 'quotes' and: colons", levels=levels)
    path = save_policy(pol, tmp_path / "mine.yaml")
    assert load_policy(path) == pol
    assert "subpolicies:\n- [[Rotate, 0.5," in path.read_text()
    for name in PUBLISHED:  # the shipped files round-trip too
        shipped = load_policy(name)
        assert load_policy(save_policy(shipped, tmp_path / f"{name}.yaml")) == shipped


def test_policy_objects_validate_on_construction():
    with pytest.raises(PolicyError, match=r"sub-policy 0, step 0 \(Nope\): unknown op"):
        Policy(((Step("Nope", 0.5, 0.5),),))
    with pytest.raises(PolicyError, match="probability"):
        Policy.from_data([[("Rotate", -0.1, 0.5)]])
    with pytest.raises(PolicyError, match="no sub-policies"):
        Policy(())


def test_autoaugment_serialises_policy_as_plain_data(tmp_path):
    pol = Policy.from_data([[("Rotate", 0.7, 2), ("Equalize", 0.5, 0)], [("Color", 0.4, 9)]],
                           space="torchvision", levels=9)
    op = AutoAugment(pol)
    d = augkit.to_dict(op)
    assert d["policy"] == [[["Rotate", 0.7, 2], ["Equalize", 0.5, 0]], [["Color", 0.4, 9]]]
    assert d["space"] == "torchvision" and d["levels"] == 9
    back = augkit.from_dict(d)
    assert back == op and back.resolved().subpolicies == pol.subpolicies
    named = AutoAugment("autoaugment-svhn")
    assert augkit.from_dict(augkit.to_dict(named)) == named
    path = augkit.save(named, tmp_path / "op.yaml")
    assert augkit.load(path) == named


def test_policies_are_packaged_as_augkit_policies():
    """The wheel carries policies/ as augkit.policies (a real `pip install .` was checked by
    hand; this guards the configuration that makes it work)."""
    tomllib = pytest.importorskip("tomllib")
    root = policies_dir().parent if (policies_dir().parent / "pyproject.toml").is_file() else None
    if root is None:
        pytest.skip("not running from a checkout")
    cfg = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert cfg["package-dir"]["augkit.policies"] == "policies"
    assert "*.yaml" in cfg["package-data"]["augkit.policies"]
    assert '"augkit.policies"' in (root / "setup.py").read_text()


@pytest.mark.parametrize("kw, field, words", [
    (dict(policy=[[("Rotate", 2.0, 3)]]), "policy", "sub-policy 0, step 0 (Rotate): probability"),
    (dict(policy=[[("Rotate", 0.5, 10**400)]]), "policy", "float range"),
    (dict(policy=[[("Rotate", 0.5, 1e9)]], levels=10), "policy", "level"),
    (dict(policy=[["Rotate"]]), "policy", "step 0 is 'Rotate'"),
    (dict(policy=[5]), "policy", "sub-policy 0 is 5"),
    (dict(policy=[[(["x"], 0.5, 1)]]), "policy", "unknown op"),
    (dict(policy=()), "policy", "no sub-policies"),
    (dict(space="bogus"), "space", "bogus"),
    (dict(space={"a": 1}), "space", "unhashable"),
    (dict(levels=True), "levels", "True"),
    (dict(levels=0), "levels", "[1, 1000]"),
    (dict(policy="no-such-policy"), "policy", "no-such-policy"),
])
def test_autoaugment_errors_name_autoaugment_and_the_field(kw, field, words):
    """Issue #11: these said "Policy: ..." or crashed untyped (a 400-digit magnitude, junk
    nesting, an unhashable space)."""
    with pytest.raises(augkit.AugkitError) as info:
        AutoAugment(**kw)
    msg = str(info.value)
    assert msg.startswith(f"AutoAugment: {field} "), msg
    assert words in msg, msg
    assert "Policy:" not in msg


def test_policy_data_junk_is_a_policy_error():
    for data, words in (([[("Rotate", 0.5, 10**400)]], "is not a finite number"),
                        ([[("Rotate", 0.5, 10**5000)]], "magnitude <int of"),
                        ([["Rotate"]], "step 0 is 'Rotate'"), (5, "sub-policies are int"),
                        ([[({"a": 1}, 0.5, 1)]], "unknown op {'a': 1}")):
        with pytest.raises(PolicyError) as info:
            Policy.from_data(data)
        assert words in str(info.value), str(info.value)
    with pytest.raises(PolicyError, match="space is {}"):
        Policy.from_data([[("Rotate", 0.5, 0.5)]], space={})


def test_cutout_magnitude_scales_with_the_image():
    """Issue #11: Cutout at magnitude 0.95 cut 57 px from a 32 px image. In the autoaugment
    space it is now 60/331 of each side at magnitude 1 (the paper's 60 px at 331 px, scaled
    as torchvision scales the paper's 150 px translation)."""
    from augkit.policy.space import op_at

    op = op_at("Cutout", 0.95)
    for side in (32, 331):
        img = np.ones((side, side, 3), np.uint8)
        extents = []
        for seed in range(8):
            hole = op(img, rng=np.random.default_rng(seed)) == 0
            extents.append(max(hole.any((1, 2)).sum(), hole.any((0, 2)).sum()))
        want = round(0.95 * 60 / 331 * side)
        assert max(extents) == want  # holes clipped at the border are smaller
    assert want == 57  # the paper's size on the paper's images
