"""Adding an op is one new file (#13): a geometric op and a pixel op written in a new module
under a tier get the contract tests, serialisation and the batched path with no other file
touched, and policy-space membership with one table entry. The module lives in a temporary
folder added to the tier package's ``__path__``, as a new file in ``augkit/poor/`` would be
found."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

import augkit
from augkit import testing
from augkit.core import registered_ops
from augkit.policy import space as S
from augkit.serial import from_dict, to_dict

NEW_MODULE = textwrap.dedent('''
    """Two ops a contributor might add: nothing else in augkit names them."""
    from dataclasses import dataclass

    import numpy as np

    from augkit.core import GeometricOp, PixelOp, check_range, uniform
    from augkit.functional import geometry as G


    @dataclass(frozen=True)
    class TmpSkewX(GeometricOp):
        """Skew along x about the centre by a factor drawn from `k`."""

        k: tuple = (-0.2, 0.2)
        interpolation: str = "linear"
        fill: float = 0.0
        mask_fill: int = 0

        def validate(self):
            check_range(self, "k", self.k, -1.0, 1.0)

        def sample(self, rng, s):
            return {"k": uniform(rng, *self.k)}

        def matrix(self, params, size):
            k, cy = params["k"], size[0] / 2.0
            return G.translation(-k * cy, 0.0) @ np.array([[1.0, k, 0.0], [0.0, 1.0, 0.0],
                                                           [0.0, 0.0, 1.0]])


    @dataclass(frozen=True)
    class TmpDarken(PixelOp):
        """Scale pixel values by a factor drawn from `factor`."""

        factor: tuple = (0.5, 1.0)

        def validate(self):
            check_range(self, "factor", self.factor, 0.0, 1.0)

        def sample(self, rng, s):
            return {"f": uniform(rng, *self.factor)}

        def image(self, img, params):
            out = img.astype(np.float32) * np.float32(params["f"])
            return out.astype(img.dtype) if img.dtype == np.uint8 else out
''')


@pytest.fixture
def new_module(tmp_path, monkeypatch):
    import augkit.poor

    (tmp_path / "tmp_new_ops.py").write_text(NEW_MODULE)
    monkeypatch.setattr(augkit.poor, "__path__", [*augkit.poor.__path__, str(tmp_path)])
    yield "augkit.poor.tmp_new_ops"
    from augkit.core import REGISTRY

    for name in ("TmpSkewX", "TmpDarken"):
        REGISTRY.pop(name, None)
    sys.modules.pop("augkit.poor.tmp_new_ops", None)


def test_a_new_module_under_a_tier_is_discovered_and_registered(new_module):
    ops = registered_ops()
    assert ops["TmpSkewX"].__module__ == new_module
    assert ops["TmpDarken"].__module__ == new_module
    from augkit.poor import TmpDarken, TmpSkewX  # the tier exports it, with no line there

    assert (TmpSkewX, TmpDarken) == (ops["TmpSkewX"], ops["TmpDarken"])
    assert {"TmpSkewX", "TmpDarken"} <= set(augkit.poor.__all__)


def test_the_new_ops_pass_the_contract_serialise_and_batch(new_module):
    ops = registered_ops()
    for name in ("TmpSkewX", "TmpDarken"):
        op = testing.default_instance(ops[name])  # what tests/test_contract.py runs
        testing.check_op(op)
        testing.check_op(op, testing.default_sample(3), seed=3)
        assert from_dict(to_dict(op)) == op
        images = np.random.default_rng(0).integers(0, 256, (6, 20, 24, 3), dtype=np.uint8)
        got = op.batch(images, np.random.default_rng(5))
        rng = np.random.default_rng(5)
        want = np.stack([op(im, rng) for im in images])
        assert got.dtype == want.dtype and np.abs(got.astype(int) - want).max() <= 1


def test_one_table_entry_puts_a_new_op_in_a_policy_space(new_module):
    darken = registered_ops()["TmpDarken"]
    entry = S.SpaceOp(lambda v, unit, geo: darken(factor=(v, v)),
                      {"torchvision": S.Range(1.0, 0.5, False, "factor")})
    S.add_op("Darken", entry)
    try:
        assert "Darken" in S.space_ops("torchvision") and "Darken" in augkit.policy.OPS
        assert S.op_at("Darken", 1.0, "torchvision") == darken(factor=(0.5, 0.5))
        ra = augkit.rich.RandAugment(n=1, m=9, ops=("Darken",), space="torchvision")
        img = np.full((8, 8, 3), 200, np.uint8)
        assert ra(img, np.random.default_rng(0)).max() < 200  # the runner draws it
    finally:
        S.remove_op("Darken")
    assert "Darken" not in S.space_ops("torchvision") and "Darken" not in S.OPS


def test_every_concrete_op_class_in_the_tree_is_registered():
    """Walk every module of augkit (importing all of them) and compare the Op subclasses
    found there with the registry: discovery by reading source misses none."""
    import importlib
    import pkgutil

    from augkit.core import Op

    for info in pkgutil.walk_packages(augkit.__path__, "augkit."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)

    def subclasses(c):
        for s in c.__subclasses__():
            yield s
            yield from subclasses(s)

    registry = registered_ops()
    missing = {c.__name__ for c in subclasses(Op)
               if c.__module__ in sys.modules  # (not the temporary module above, unloaded)
               and c.__module__.startswith("augkit.") and not c.__name__.startswith("_")
               and c.__dict__.get("register", True) and c.__name__ not in registry}
    assert missing == set()


def test_add_op_refuses_a_bad_entry_with_a_typed_error():
    with pytest.raises(augkit.AugkitValueError, match="add_op: entry"):
        S.add_op("X", {"torchvision": S.Range(0, 1)})
    with pytest.raises(augkit.AugkitValueError, match="add_op: name"):
        S.add_op("not a name", S.SpaceOp(lambda v, u, g: None, {"wide": None}))
