"""Policy runners built from the magnitude table (augkit.policy.space).

Every runner is an ordinary registered op: `sample` draws plain params (which ops, their
magnitudes and their own params), `apply` replays them, and because the steps are ordinary
augkit ops, masks, boxes and keypoints move with the image (torchvision's AutoAugment raises
on those). AugMix is the exception: it mixes differently warped copies, so it refuses
samples with targets unless its ops are photometric only (``spatial=False``).

Every runner takes `interpolation`, `fill` (image units), `mask_fill` (a mask label; 0 by
default, 255 for VOC-style "ignore") and `border` ("constant" by default; "reflect",
"reflect101", "replicate", "wrap" extend image and mask instead of painting the fills) and
hands them to its geometric steps (rotate, shear, translate), so the pixels and mask labels
they uncover are the caller's choice. The Cutout
step erases image pixels only and leaves the mask as it is, as albumentations'
CoarseDropout does by default.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import ClassVar

from ..compose import Maybe, OneOf, Seq
from ..core import Op, check_int, check_number, check_prob, is_number, uniform
from ..errors import AugkitError, short_repr, value_error
from ..functional.fill import fill_for, label_fill_for
from ..policy import space as S
from ..policy.model import Policy, PolicyError
from ..sample import stand_in_of

MAX_STEPS = 64  # n (RandAugment, UniformAugment), AugMix's width and depth: ops per image
MAX_LEVELS = 1000  # magnitude bins; the published runners use 10 or 30


def _check_space(op, space, ops=None):
    if not isinstance(space, str) or space not in S.SPACES:
        raise value_error(op, "space", f"is {short_repr(space)}; expected one of "
                          f"{tuple(S.SPACES)}")
    if ops is None:
        return
    if not (isinstance(ops, tuple) and all(isinstance(n, str) for n in ops)):
        raise value_error(op, "ops", f"is {short_repr(ops)}; expected None or a list of op "
                          "names")
    if not ops:
        raise value_error(op, "ops", "is empty; expected None or at least one op name")
    names = S.space_ops(space)
    for n in ops:
        if n not in names:
            raise value_error(op, "ops", f"contain {n!r}, which is not in space {space!r}; "
                              f"expected some of {names}")


def _check_levels(op, levels, optional: bool = False):
    if optional and levels is None:
        return
    check_int(op, "levels", levels, 1, MAX_LEVELS,
              what="None or an int" if optional else "an int")


def _fills(name: str) -> bool:
    """Whether step `name` paints `fill` (and `mask_fill`): geometric steps and Cutout."""
    return name in S.GEOMETRIC_OPS or name == "Cutout"


def check_fills(op, s) -> None:
    """The runner's fill and mask_fill against this sample, so a misfit names the runner
    (not the inner step that would paint it)."""
    fill_for(op, op.fill, s.image)
    if s.mask is not None:
        label_fill_for(op, op.mask_fill, s.mask)


def _check_geo(op):
    """interpolation, fill, mask_fill and border of the runner's geometric steps."""
    from ..poor._common import check_warp_fields

    check_warp_fields(op)


class _Steps:
    """Shared draw/replay of a list of (op name, magnitude) steps: subclasses implement
    `sample_apply`, returning params ``{"steps": [{"op", "magnitude", "params"}, ...]}``,
    and say in `_continuous` whether their magnitudes are continuous draws."""

    def _continuous(self) -> bool:
        """Whether magnitudes are continuous draws (never the same float twice)."""
        return True

    def _op(self, name, m):
        # names and space were validated with the runner; m is in [0, 1] by construction.
        # The build cache only pays off for a few discrete magnitudes: continuous ones would
        # all miss and evict the cached discrete builds of other runners.
        build = S.build if self._continuous() else S.build_cached
        return build(name, float(m), self.space, self.interpolation, self.fill, self.mask_fill,
                     self.border)

    def _run(self, rng, s, name, m):
        if _fills(name):
            check_fills(self, s)
        out, p = self._op(name, m).sample_apply(rng, s)
        return out, {"op": name, "magnitude": m, "params": p}

    def _replay(self, s, step):
        if step["params"] is None:
            return s
        if _fills(step["op"]):
            check_fills(self, s)
        return self._op(step["op"], step["magnitude"]).apply(s, step["params"])

    def _draw(self, rng, s, run):
        """Draw the steps, running each through ``run(rng, s, name, m) -> (s, step)``."""
        raise NotImplementedError(f"{type(self).__name__}._draw")

    def sample_apply(self, rng, s):
        return self._draw(rng, s, self._run)

    def sample(self, rng, s):
        return self.sample_apply(rng, s)[1]

    def apply(self, s, params):
        for st in params["steps"]:
            s = self._replay(s, st)
        return s

    # -- the batched path: the same draws on a pixel-less view; each step planned by the op
    # it names, so images that drew the same op share a call (`augkit.batch`) -------------
    def draw_for_batch(self, rng, view):
        def run(rng, s, name, m):
            if _fills(name):  # as _run: a fill that misfits names the runner
                check_fills(self, s)
            p, size = self._op(name, m).draw_for_batch(rng, s)
            return stand_in_of(s, size), {"op": name, "magnitude": m, "params": p}

        s, params = self._draw(rng, view, run)
        return params, s.size

    def batch_numpy(self, images, rng):
        """A numpy (B, H, W, C) batch through the fast route (`augkit.rich.batch_steps`), or
        None (nothing drawn) where it does not apply: `augkit.batch` then takes the
        general path."""
        from . import batch_steps

        return batch_steps.run(self, images, rng)

    def _batch_spec(self):
        """(steps per image, pick(rng) -> index into `_batch_choices`, step probability) for
        the fast route, or None where it does not apply."""
        return None

    def _batch_choices(self):
        """Every (op name, magnitude) a step can pick, in the order `pick` indexes them."""
        return ()

    def _fills_fit(self, view) -> bool:
        """Whether `fill` and `mask_fill` fit images like `view` (`check_fills`), or no step
        paints them."""
        if not any(_fills(n) for n in self.op_names()):
            return True
        try:
            check_fills(self, view)
        except AugkitError:
            return False
        return True

    def plan_batch(self, params, size, steps):
        for st in params["steps"]:
            if st["params"] is not None:
                size = self._op(st["op"], st["magnitude"]).plan_batch(st["params"], size,
                                                                      steps)
        return size


# --- AutoAugment ----------------------------------------------------------------------------

@dataclass(frozen=True)
class AutoAugment(Op):
    """Run a searched policy: one random sub-policy per image, each step applied with its
    probability.

    policy: a shipped name ("autoaugment-cifar10"), a YAML path, a `Policy`, or the
    sub-policies as plain nested lists ``[[[op, prob, magnitude], ...], ...]``. A `Policy` is
    stored as that nested data together with its `space` and `levels`, so the op serialises
    through augkit.to_dict / from_dict. `space` / `levels` (None: the policy's own) re-read
    the magnitudes in another space: ``AutoAugment("autoaugment-imagenet",
    space="torchvision", levels=9)`` is torchvision's AutoAugment(IMAGENET).

    `interpolation`, `fill` (image units) and `mask_fill` (a label, e.g. 255 = ignore) go to
    the geometric steps, as every runner's do.
    """

    tier: ClassVar[str] = "rich"
    changes_targets: ClassVar[bool] = True  # its geometric steps move every target

    policy: str | tuple = "autoaugment-cifar10"
    space: str | None = None
    levels: int | None = None
    interpolation: str = "nearest"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        if isinstance(self.policy, Policy):
            pol = self.policy
            object.__setattr__(self, "policy", pol.to_data())
            if self.space is None:
                object.__setattr__(self, "space", pol.space)
            if self.levels is None:
                object.__setattr__(self, "levels", pol.levels)
        if not isinstance(self.policy, (str, tuple)):
            raise value_error(self, "policy", f"is {type(self.policy).__name__}; expected a "
                              "policy name, path, Policy or nested [[op, prob, magnitude]] data")
        if self.space is not None:
            _check_space(self, self.space)
        _check_levels(self, self.levels, optional=True)
        _check_geo(self)
        try:
            self.resolved()  # fail now, not on the first image
        except PolicyError as e:
            # the policy's own message names the file or "Policy"; name this op and field
            msg = str(e)
            if msg.startswith("Policy: "):
                msg = msg[len("Policy: "):]
            what = (f"{self.policy!r} does not validate: {msg}" if isinstance(self.policy, str)
                    else f"data does not validate: {msg}")
            raise value_error(self, "policy", what) from None

    def resolved(self) -> Policy:
        """The policy with this op's space and levels applied."""
        return _resolve_policy(self.policy, self.space, self.levels)

    @functools.cached_property
    def _tree(self) -> Op:
        pol = self.resolved()
        subs = []
        for sp in pol.subpolicies:
            steps = tuple(Maybe(S.op_at(st.op, pol.normalised(st), pol.space, None,
                                        interpolation=self.interpolation, fill=self.fill,
                                        mask_fill=self.mask_fill, border=self.border),
                                float(st.prob)) for st in sp)
            subs.append(Seq(steps, fuse=False))
        return OneOf(tuple(subs))

    def children(self):
        return (self._tree,)

    def sample(self, rng, s):
        return self._tree.sample(rng, s)

    def sample_apply(self, rng, s):
        check_fills(self, s)
        return self._tree.sample_apply(rng, s)

    def draw_for_batch(self, rng, view):
        check_fills(self, view)  # as sample_apply
        return self._tree.draw_for_batch(rng, view)

    def plan_batch(self, params, size, steps):
        return self._tree.plan_batch(params, size, steps)

    def apply(self, s, params):
        check_fills(self, s)
        return self._tree.apply(s, params)


@functools.lru_cache(maxsize=64)
def _resolve_policy(policy, space, levels) -> Policy:
    from ..policy.io import load_policy

    if isinstance(policy, str):
        pol = load_policy(policy)
        space = pol.space if space is None else space
        levels = pol.levels if levels is None else levels
        return Policy(pol.subpolicies, pol.name, pol.source, space, levels)
    return Policy.from_data(policy, space=space or "autoaugment", levels=levels)


# --- RandAugment / TrivialAugment / UniformAugment -------------------------------------------

@dataclass(frozen=True)
class RandAugment(_Steps, Op):
    """RandAugment: `n` ops drawn uniformly (with replacement) from `ops`, each at magnitude
    `m` on a scale of 0..`levels`, each applied with probability `p`.

    The magnitude scale is explicit: ``levels=30`` is torchvision's (31 bins, its default
    m=9 is 0.3 of the range); the paper and timm use ``levels=10`` (m=9 is 0.9 of the range),
    three times stronger for the same m. `mstd` > 0 adds Gaussian noise to m per op (timm's
    magnitude noise), clipped to [0, min(mmax, levels)]: augkit never extrapolates past the
    table's range; mstd > 100 or inf draws m uniformly from [0, m].
    """

    tier: ClassVar[str] = "rich"
    changes_targets: ClassVar[bool] = True  # its geometric steps move every target

    n: int = 2
    m: float = 9
    levels: int = 30
    mstd: float = 0.0
    mmax: float | None = None
    p: float = 1.0
    space: str = "torchvision"
    ops: tuple | None = None
    interpolation: str = "nearest"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    infinite_ok: ClassVar[tuple[str, ...]] = ("mstd",)  # timm: mstd inf = uniform in [0, m]

    def validate(self):
        check_int(self, "n", self.n, 0, MAX_STEPS)
        _check_levels(self, self.levels)
        if self.mmax is not None:
            check_number(self, "mmax", self.mmax, 0.0, float(MAX_LEVELS), above=True,
                         what="None or a number")
        top = self.levels if self.mmax is None else self.mmax
        check_number(self, "m", self.m, 0.0, float(max(top, self.levels)))
        if not (is_number(self.mstd) or self.mstd == math.inf) or self.mstd < 0 \
                or isinstance(self.mstd, bool):
            raise value_error(self, "mstd", f"is {short_repr(self.mstd)}; expected a number "
                              ">= 0 (or inf)")
        check_prob(self, "p", self.p)
        _check_space(self, self.space, self.ops)
        _check_geo(self)

    def op_names(self) -> tuple[str, ...]:
        if self.ops is not None:
            return tuple(self.ops)
        return S.ops_in_space(S.RANDAUGMENT_OPS, self.space)

    def _continuous(self):
        return self.mstd > 0

    def _magnitude(self, rng) -> float:
        m = float(self.m)
        if self.mstd > 100 or math.isinf(self.mstd):
            m = uniform(rng, 0, m)
        elif self.mstd > 0:
            m = float(rng.normal(m, self.mstd))
        top = self.levels if self.mmax is None else self.mmax
        return min(max(m, 0.0), float(top), float(self.levels)) / self.levels

    def _batch_spec(self):
        if self.mstd > 0:  # a magnitude per step: no fixed set of ops to compile
            return None
        k = len(self.op_names())
        return self.n, (lambda rng: int(rng.integers(k))), self.p

    def _batch_choices(self):
        m = self._magnitude(None)  # (mstd 0: no draw)
        return tuple((name, m) for name in self.op_names())

    def _draw(self, rng, s, run):
        names = self.op_names()
        steps = []
        for _ in range(self.n):
            name = names[int(rng.integers(len(names)))]
            m = self._magnitude(rng)
            if self.p < 1.0 and rng.random() >= self.p:
                steps.append({"op": name, "magnitude": m, "params": None})
                continue
            s, st = run(rng, s, name, m)
            steps.append(st)
        return s, {"steps": steps}


@dataclass(frozen=True)
class TrivialAugment(_Steps, Op):
    """TrivialAugment: one op drawn uniformly from `ops`, its magnitude drawn uniformly from
    the bins 0..`levels` (``levels=None``: continuous in [0, 1]). ``space="wide"``,
    ``levels=30`` is torchvision's TrivialAugmentWide."""

    tier: ClassVar[str] = "rich"
    changes_targets: ClassVar[bool] = True  # its geometric steps move every target

    space: str = "wide"
    levels: int | None = 30
    ops: tuple | None = None
    interpolation: str = "nearest"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        _check_space(self, self.space, self.ops)
        _check_levels(self, self.levels, optional=True)
        _check_geo(self)

    def op_names(self):
        if self.ops is not None:
            return tuple(self.ops)
        return S.ops_in_space(S.TRIVIALAUGMENT_OPS, self.space)

    def _continuous(self):
        return self.levels is None

    def _batch_spec(self):
        if self.levels is None:  # continuous magnitudes: no fixed set of ops to compile
            return None
        k, bins = len(self.op_names()), self.levels + 1

        def pick(rng):
            i = int(rng.integers(k))
            return i * bins + int(rng.integers(bins))

        return 1, pick, 1.0

    def _batch_choices(self):
        return tuple((name, lv / self.levels) for name in self.op_names()
                     for lv in range(self.levels + 1))

    def _draw(self, rng, s, run):
        names = self.op_names()
        name = names[int(rng.integers(len(names)))]
        if self.levels is None:
            m = float(rng.random())
        else:
            m = int(rng.integers(self.levels + 1)) / self.levels
        s, st = run(rng, s, name, m)
        return s, {"steps": [st]}


@dataclass(frozen=True)
class UniformAugment(_Steps, Op):
    """UniformAugment (LingChen et al. 2020): `n` distinct ops from `ops`, each applied with
    a probability drawn uniformly from `prob` and at a magnitude drawn uniformly from [0, 1]
    of the space's range (signed ops with a random sign)."""

    tier: ClassVar[str] = "rich"
    changes_targets: ClassVar[bool] = True  # its geometric steps move every target

    n: int = 2
    prob: tuple = (0.2, 0.8)
    space: str = "autoaugment"
    ops: tuple | None = None
    interpolation: str = "nearest"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        from ..core import check_range

        _check_space(self, self.space, self.ops)  # first: n is checked against the op list
        names = self.op_names()
        check_int(self, "n", self.n, 0, len(names), what=f"an int (distinct ops of {names})")
        check_range(self, "prob", self.prob, 0.0, 1.0)
        _check_geo(self)

    def op_names(self):
        if self.ops is not None:
            return tuple(self.ops)
        return S.ops_in_space(S.UNIFORMAUGMENT_OPS, self.space)

    def _draw(self, rng, s, run):
        names = self.op_names()
        idx = rng.choice(len(names), size=self.n, replace=False)
        steps = []
        for i in idx:
            name = names[int(i)]
            keep = uniform(rng, *self.prob)
            m = float(rng.random())
            if rng.random() >= keep:
                steps.append({"op": name, "magnitude": m, "params": None})
                continue
            s, st = run(rng, s, name, m)
            steps.append(st)
        return s, {"steps": steps}
