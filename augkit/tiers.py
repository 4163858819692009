"""`recipe`: a timm ``create_transform``-like factory for the three tiers of the taxonomy.

``op, mixer = recipe("middle", 32, num_classes=10)`` gives the per-sample op (for
`AugmentedDataset`) and the batch mixer (for ``augkit.mix.collate``) of one tier:

* ``poor``: crop (pad-and-crop for small images, RandomResizedCrop otherwise), mirror,
  colour shift. No mixer.
* ``middle``: the poor recipe plus CutOut per sample; MixUp or CutMix per batch.
* ``rich``: crop and mirror, then a searched/published policy (``policy``, a timm-style
  string such as ``rand-m9-n2-mstd0.5`` or a policy name/file); the same mixer as ``middle``.

``train=False`` gives the evaluation transform (a resize to `size`) and no mixer.
Tier modules are imported only when their recipe is asked for.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .compose import Seq
from .core import Op
from .errors import value_error

TIERS = ("poor", "middle", "rich")
SMALL = 64  # at or below this size, crops are CIFAR's pad-and-crop


class Recipe(NamedTuple):
    """The per-sample op and the batch mixer (None for tiers without one)."""

    op: Op
    mixer: Any


def _crop(size: int, scale: tuple, interpolation: str) -> Op:
    from .poor import PadCrop, RandomResizedCrop

    if size <= SMALL:
        return PadCrop(padding=max(1, size // 8))
    return RandomResizedCrop(size=size, scale=scale, interpolation=interpolation)


def crop_and_mirror(size: int, hflip: float = 0.5, scale: tuple = (0.08, 1.0),
                    interpolation: str = "linear") -> Op:
    """The crop and mirror every training recipe starts with: pad-and-crop by ``size // 8``
    at or below 64 px (CIFAR's), RandomResizedCrop above; then a horizontal flip with
    probability `hflip` (0: no flip, for classes a mirror changes, such as digits)."""
    from .poor import HFlip

    crop = _crop(size, scale, interpolation)
    return Seq((crop, HFlip(p=hflip))) if hflip > 0 else crop


def _colour(strength: float) -> Op | None:
    """The poor tier's colour shift (torchvision's ColorJitter(x, x, x))."""
    from .poor import ColorShift

    if strength <= 0:
        return None
    return ColorShift(brightness=strength, contrast=strength, saturation=strength, hue=0.0)


def _mixer(mix: tuple, mixup_alpha: float, cutmix_alpha: float, mix_prob: float,
           num_classes: int | None, label_smoothing: float):
    if not mix or mix_prob <= 0:
        return None
    from . import mix as M

    build = {"mixup": lambda: M.MixUp(alpha=mixup_alpha),
             "cutmix": lambda: M.CutMix(alpha=cutmix_alpha),
             "ricap": lambda: M.RICAP()}
    unknown = [m for m in mix if m not in build]
    if unknown:
        raise value_error("recipe", "mix", f"has {unknown}; expected some of {sorted(build)}")
    choices = tuple(build[m]() for m in mix)
    p = tuple(mix_prob / len(choices) for _ in choices)
    return M.Mixer(choices=choices, p=p, num_classes=num_classes,
                   label_smoothing=label_smoothing)


def policy_op(policy: str | Op) -> Op:
    """An op from a timm-style string (``rand-m9-n2-mstd0.5``, ``trivial``, ...), a shipped
    policy name (``autoaugment-cifar10``) or a policy YAML file; an op passes through."""
    if isinstance(policy, Op):
        return policy
    from .rich import AutoAugment, from_string

    try:
        return from_string(policy)
    except Exception as first:
        from .policy import load_policy

        try:
            return AutoAugment(policy=load_policy(policy))
        except Exception:
            raise value_error("recipe", "policy", f"{policy!r} is neither a policy string "
                              f"({first}) nor a policy name or file") from first


def recipe(tier: str, size: int, *, train: bool = True, hflip: float = 0.5,
           color_jitter: float = 0.4, scale: tuple = (0.08, 1.0),
           interpolation: str = "linear", cutout: int | None = None,
           policy: str | Op = "rand-m9-n2-mstd0.5", mix: tuple = ("mixup", "cutmix"),
           mixup_alpha: float = 0.8, cutmix_alpha: float = 1.0, mix_prob: float = 1.0,
           label_smoothing: float = 0.1, num_classes: int | None = None) -> Recipe:
    """The per-sample op and batch mixer of `tier` for images of `size` (see module doc).

    Defaults follow timm's ``create_transform`` / ``Mixup`` (hflip 0.5, colour jitter 0.4,
    RandAugment ``rand-m9-n2-mstd0.5``, mixup alpha 0.8, cutmix alpha 1.0, switch
    probability 0.5, label smoothing 0.1); `cutout` is the CutOut side in pixels (default
    ``size // 2``, DeVries & Taylor's 16 px for CIFAR's 32 px).
    """
    if tier not in TIERS:
        raise value_error("recipe", "tier", f"is {tier!r}; expected one of {TIERS}")
    if not (isinstance(size, int) and size >= 8):
        raise value_error("recipe", "size", f"is {size!r}; expected an int >= 8")
    from .poor import Resize

    if not train:
        return Recipe(Resize(size=size, interpolation=interpolation), None)
    base = crop_and_mirror(size, hflip, scale, interpolation)
    ops: list = list(base.ops) if isinstance(base, Seq) else [base]
    if tier == "rich":
        ops.append(policy_op(policy))
    else:
        ops.append(_colour(color_jitter))
    if tier == "middle" or (tier == "rich" and cutout is not None):
        from .middle import CutOut

        ops.append(CutOut(size=cutout if cutout is not None else size // 2))
    op = Seq(ops=tuple(o for o in ops if o is not None))
    if tier == "poor":
        return Recipe(op, None)
    return Recipe(op, _mixer(tuple(mix), mixup_alpha, cutmix_alpha, mix_prob, num_classes,
                             label_smoothing))
