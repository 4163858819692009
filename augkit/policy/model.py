"""The policy model: a policy is a list of sub-policies, each a short list of steps
(operation, probability, magnitude). Plain frozen data; the runner is augkit.rich.AutoAugment."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AugkitValueError
from . import space as S


class PolicyError(AugkitValueError):
    """A policy (file) that does not validate; the message names file, sub-policy and step."""


@dataclass(frozen=True)
class Step:
    """One (operation, probability, magnitude) step. `magnitude` is normalised to [0, 1]
    when the policy's `levels` is None, else an integer level 0..levels."""

    op: str
    prob: float
    magnitude: float = 0.0


@dataclass(frozen=True)
class Policy:
    """Sub-policies of steps, made in magnitude space `space` (see augkit.policy.space)."""

    subpolicies: tuple[tuple[Step, ...], ...]
    name: str = ""
    source: str = ""
    space: str = "autoaugment"
    levels: int | None = None

    def __post_init__(self):
        where = self.name if isinstance(self.name, str) and self.name else "Policy"
        subs = _as_subpolicies(self.subpolicies, where)
        object.__setattr__(self, "subpolicies", subs)
        check_policy(self, where)

    def to_data(self) -> tuple:
        """The sub-policies as nested tuples ((op, prob, magnitude), ...), per sub-policy."""
        return tuple(tuple((st.op, st.prob, st.magnitude) for st in sp)
                     for sp in self.subpolicies)

    @classmethod
    def from_data(cls, data, **kw) -> Policy:
        """Inverse of `to_data` (lists or tuples; steps as (op, prob, magnitude))."""
        return cls(data, **kw)

    def normalised(self, step: Step) -> float:
        """The step's magnitude in [0, 1]."""
        return S.normalise(step.magnitude, self.levels)


def _as_subpolicies(data, where: str) -> tuple[tuple[Step, ...], ...]:
    """Sub-policies as tuples of `Step`s; malformed nesting is a PolicyError naming the
    sub-policy and step (never a bare TypeError from unpacking)."""
    if not isinstance(data, (list, tuple)):
        raise PolicyError(f"{where}: sub-policies are {type(data).__name__}; expected a list of "
                          "sub-policies, each a list of (op, probability, magnitude) steps")
    subs = []
    for i, sp in enumerate(data):
        if not isinstance(sp, (list, tuple)):
            raise PolicyError(f"{where}: sub-policy {i} is {_short(sp)}; expected a list of "
                              "(op, probability, magnitude) steps")
        steps = []
        for j, st in enumerate(sp):
            if isinstance(st, Step):
                steps.append(st)
            elif isinstance(st, (list, tuple)) and len(st) in (2, 3):
                steps.append(Step(*st))
            else:
                raise PolicyError(f"{where}: sub-policy {i}, step {j} is {_short(st)}; "
                                  "expected (op, probability, magnitude)")
        subs.append(tuple(steps))
    return tuple(subs)


def _short(v) -> str:
    from ..errors import short_repr

    return short_repr(v, 80)


def _finite(v) -> bool:
    """A real number (not a bool) that fits a float and is not NaN or inf."""
    from ..core import is_number

    return is_number(v)


def check_policy(p: Policy, where: str) -> None:
    """Raise PolicyError naming `where`, the sub-policy index and the step on bad content."""
    if not isinstance(p.space, str) or p.space not in S.SPACES:
        raise PolicyError(f"{where}: space is {_short(p.space)}; expected one of "
                          f"{tuple(S.SPACES)}")
    if p.levels is not None and (isinstance(p.levels, bool) or not isinstance(p.levels, int)
                                 or p.levels < 1):
        raise PolicyError(f"{where}: levels is {_short(p.levels)}; expected an int >= 1 or "
                          "null")
    if not p.subpolicies:
        raise PolicyError(f"{where}: has no sub-policies")
    ops = S.space_ops(p.space)
    for i, sp in enumerate(p.subpolicies):
        if not sp:
            raise PolicyError(f"{where}: sub-policy {i} is empty")
        for j, st in enumerate(sp):
            name = st.op if isinstance(st.op, str) else _short(st.op)
            at = f"{where}: sub-policy {i}, step {j} ({name})"
            if not isinstance(st.op, str) or st.op not in S.OPS:
                raise PolicyError(f"{at}: unknown op {_short(st.op)}; expected one of {S.OPS}")
            if st.op not in ops:
                raise PolicyError(f"{at}: op {st.op!r} is not in space {p.space!r}; expected "
                                  f"one of {ops}")
            pr = st.prob
            if not _finite(pr) or not 0 <= pr <= 1:
                raise PolicyError(f"{at}: probability {_short(pr)} is out of range; expected "
                                  "[0, 1]")
            m = st.magnitude
            if not _finite(m):
                raise PolicyError(f"{at}: magnitude {_short(m)} is not a finite number")
            if p.levels is None:
                if not 0 <= m <= 1:
                    raise PolicyError(f"{at}: magnitude {m!r} is out of range; expected a "
                                      "normalised magnitude in [0, 1] (no levels given)")
            elif m != int(m) or not 0 <= m <= p.levels:
                raise PolicyError(f"{at}: level {m!r} is out of range; expected an integer "
                                  f"level in [0, {p.levels}]")
