"""timm-style config strings ("rand-m9-n2-mstd0.5", "augmix-m5-w4-d2", "original", ...) as
aliases that build the same augkit ops."""

from __future__ import annotations

import re

from ..core import Op
from ..errors import value_error
from ..policy import space as S

_TA = ("trivialaugment", "trivial", "ta_wide", "ta-wide")
_UA = ("uniformaugment", "ua")
_AA = {"original": "autoaugment-imagenet", "originalr": "autoaugment-imagenet",
       "aa-imagenet": "autoaugment-imagenet", "aa-cifar10": "autoaugment-cifar10",
       "aa-svhn": "autoaugment-svhn"}


def _sections(parts, config):
    out = {}
    for c in parts:
        key, *val = re.split(r"(\d.*)", c, maxsplit=1)
        if not val or not key:
            raise value_error("from_string", "config", f"{config!r}: section {c!r} is not "
                              "<key><number>")
        out[key] = float(val[0])
    return out


def from_string(config: str, **kw) -> Op:
    """Build the op a timm-style string names. Extra keyword arguments (interpolation, fill)
    go to the runner.

    * ``rand-m{M}-n{N}[-mstd{S}][-mmax{X}][-p{P}][-inc{0|1}]``: RandAugment on timm's scale
      (levels=10), timm's op list and its default p=0.5 per op; ``inc1`` uses the
      "torchvision" space (enhancers centred at 1 with a random sign), otherwise the
      "autoaugment" space.
    * ``augmix-m{severity}-w{width}-d{depth}-a{alpha}``: AugMix with all ops (timm's list).
    * ``original`` / ``aa-imagenet`` / ``aa-cifar10`` / ``aa-svhn`` or any shipped policy
      name: AutoAugment with that policy.
    * ``trivialaugment`` (``ta_wide``): TrivialAugment wide; ``uniformaugment`` (``ua``).
    """
    from .augmix import AugMix
    from .runners import AutoAugment, RandAugment, TrivialAugment, UniformAugment

    if not isinstance(config, str) or not config:
        raise value_error("from_string", "config", f"is {config!r}; expected e.g. "
                          "'rand-m9-n2-mstd0.5'")
    name = config.strip().lower()
    if name in _TA:
        return TrivialAugment(**kw)
    if name in _UA:
        return UniformAugment(**kw)
    head, *parts = name.split("-")
    if head == "rand":
        sec = _sections(parts, config)
        unknown = set(sec) - {"m", "n", "mstd", "mmax", "p", "inc"}
        if unknown:
            raise value_error("from_string", "config", f"{config!r}: unknown sections "
                              f"{sorted(unknown)}; expected m, n, mstd, mmax, p, inc")
        space = "torchvision" if sec.get("inc", 0) else "autoaugment"
        mstd = sec.get("mstd", 0.0)
        args = dict(n=int(sec.get("n", 2)), m=sec.get("m", 10.0), levels=10, mstd=mstd,
                    mmax=sec.get("mmax"), p=sec.get("p", 0.5), space=space,
                    ops=tuple(o for o in S.TIMM_RAND_OPS if o in S.space_ops(space)))
        return RandAugment(**{**args, **kw})
    if head == "augmix":
        sec = _sections(parts, config)
        unknown = set(sec) - {"m", "w", "d", "a"}
        if unknown:
            raise value_error("from_string", "config", f"{config!r}: unknown sections "
                              f"{sorted(unknown)}; expected m, w, d, a")
        args = dict(severity=sec.get("m", 3), width=int(sec.get("w", 3)),
                    depth=int(sec.get("d", -1)), alpha=sec.get("a", 1.0), all_ops=True)
        return AugMix(**{**args, **kw})
    if name in _AA:
        return AutoAugment(_AA[name], **kw)
    from ..policy.io import shipped_policies

    if name in shipped_policies():
        return AutoAugment(name, **kw)
    raise value_error("from_string", "config", f"{config!r} is not understood; expected "
                      "'rand-m9-n2[-mstd0.5]', 'augmix-m3-w3', 'original', 'trivialaugment', "
                      f"'uniformaugment' or a shipped policy {shipped_policies()}")
