"""The magnitude space: one versioned table from a paper op name to (augkit op, magnitude
range, signed or not), in named variants that reproduce published implementations.

A magnitude m is normalised to [0, 1] (a level L of a policy with `levels` = N means
m = L / N). An op's value is ``low + m * (high - low)``; a signed op gets a random sign drawn
by the returned op itself (a `OneOf` of the two signs), so ops stay deterministic functions
of their params. Ops know nothing about levels: this table maps a level to an op instance.

Spaces (see docs/policies.md for the full table of differences):

* ``autoaugment``: the paper's ranges (Cubuk et al. 2019, Table 1) as the authors' code maps
  them: enhancer factors 0.1..1.9 without sign, posterize 8..4 bits, solarize 256..0,
  translate up to 150/331 of the size, cutout up to 60/331 of the side (the paper's 60 px
  at its 331 px images, scaled with the image as torchvision scales the paper's 150 px
  translation; augkit.middle.CutOut filled with `fill`), sample pairing up to 0.4.
* ``torchvision``: torchvision.transforms.v2 AutoAugment / RandAugment: enhancers 1 +- 0.9m,
  solarize 255..0, translate 150/331 of the size.
* ``wide``: torchvision's TrivialAugmentWide: shear 0.99, translate 32 px, rotate 135 deg,
  enhancers 1 +- 0.99m, posterize 8..2 bits.
* ``augmix``: AugMix's own table (as torchvision's AugMix): translate up to 1/3 of the size,
  posterize 4..0 bits, enhancers 1 +- 0.9m.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

from ..compose import OneOf
from ..core import Op
from ..errors import value_error
from ..middle.cutout import CutOut
from ..poor import pil_ops as P
from ..poor.affine import Rotate, Shear, Translate

SPACE_VERSION = 1


@dataclass(frozen=True)
class Range:
    """Magnitude 0 maps to `low`, 1 to `high`; `signed` ops flip the sign at random.
    `unit` says what the value is (shown in docs and errors)."""

    low: float
    high: float
    signed: bool = False
    unit: str = ""


@dataclass(frozen=True)
class SpaceOp:
    """One row of the table: `build(value, unit, geo)` makes the augkit op for a (signed)
    value in the row's `unit` (None for magnitude-free ops); `geo` holds interpolation, fill
    and mask_fill for the ops that warp or paint. `ranges` maps each space that defines the
    op to its `Range` (None: no magnitude). `geometric` ops move targets (AugMix leaves them
    out unless asked)."""

    build: Callable[[float | None, str, dict], Op]
    ranges: dict
    geometric: bool = False


def _shear(axis):
    def build(x, unit, geo):
        a = math.degrees(math.atan(x))
        return Shear(x=(a, a), y=(0.0, 0.0), **geo) if axis == "x" else \
            Shear(x=(0.0, 0.0), y=(a, a), **geo)
    return build


def _translate(axis):
    def build(x, unit, geo):
        kind = "pixels" if unit == "pixels" else "fraction"
        if kind == "pixels":
            x = float(int(x))  # torchvision truncates pixel shifts to whole pixels
        d = (x, x)
        return Translate(x=d, y=(0.0, 0.0), unit=kind, **geo) if axis == "x" else \
            Translate(x=(0.0, 0.0), y=d, unit=kind, **geo)
    return build


def _enhancer(cls):
    def build(x, unit, geo):  # a signed "factor - 1", or the factor itself
        return cls(factor=max(0.0, 1.0 + x if unit == "factor - 1" else x))
    return build


def _free(cls):
    return lambda x, unit, geo: cls()


def _cutout(v, unit, geo):
    # augkit.middle's CutOut, one hole, a fraction of each side (it scales with the image)
    return CutOut(size=float(v), fill=geo["fill"]) if v > 0 else P.Identity()


_SHEAR = Range(0.0, 0.3, True, "shear factor")
_TRANSLATE = Range(0.0, 150 / 331, True, "fraction of width/height")
_ROTATE = Range(0.0, 30.0, True, "degrees")
_SOLARIZE = Range(255.0, 0.0, False, "threshold (8-bit)")
_ENHANCE_TV = Range(0.0, 0.9, True, "factor - 1")
_ENHANCE_WIDE = Range(0.0, 0.99, True, "factor - 1")
_FACTOR = Range(0.1, 1.9, False, "factor")
_ALL4 = ("autoaugment", "torchvision", "wide", "augmix")


def _same(r, spaces=_ALL4, **other) -> dict:
    """`r` in every space of `spaces`, except those given by keyword."""
    return {sp: other.get(sp, r) for sp in spaces} | other


def _enhance_ranges() -> dict:
    return {"autoaugment": _FACTOR, "torchvision": _ENHANCE_TV, "wide": _ENHANCE_WIDE,
            "augmix": _ENHANCE_TV}


# The table: paper op name -> how to build it, and its range in each space that has it
# (timm's NAME_TO_OP and LEVEL_TO_ARG in one place). Adding an op to a space is one entry
# (or one more key in an entry's ranges).
TABLE: dict[str, SpaceOp] = {
    "ShearX": SpaceOp(_shear("x"), _same(_SHEAR, wide=Range(0.0, 0.99, True, "shear factor")),
                      geometric=True),
    "ShearY": SpaceOp(_shear("y"), _same(_SHEAR, wide=Range(0.0, 0.99, True, "shear factor")),
                      geometric=True),
    "TranslateX": SpaceOp(_translate("x"), _same(
        _TRANSLATE, wide=Range(0.0, 32.0, True, "pixels"),
        augmix=Range(0.0, 1 / 3, True, "fraction of width/height")), geometric=True),
    "TranslateY": SpaceOp(_translate("y"), _same(
        _TRANSLATE, wide=Range(0.0, 32.0, True, "pixels"),
        augmix=Range(0.0, 1 / 3, True, "fraction of width/height")), geometric=True),
    "Rotate": SpaceOp(lambda x, unit, geo: Rotate(degrees=(x, x), **geo),
                      _same(_ROTATE, wide=Range(0.0, 135.0, True, "degrees")), geometric=True),
    "AutoContrast": SpaceOp(_free(P.AutoContrast), _same(None)),
    "Invert": SpaceOp(_free(P.Invert), _same(None, ("autoaugment", "torchvision"))),
    "Equalize": SpaceOp(_free(P.Equalize), _same(None)),
    "Solarize": SpaceOp(lambda v, unit, geo: P.Solarize(threshold=v), _same(
        _SOLARIZE, autoaugment=Range(256.0, 0.0, False, "threshold (8-bit)"))),
    "Posterize": SpaceOp(lambda v, unit, geo: P.Posterize(bits=int(round(v))), _same(
        Range(8.0, 4.0, False, "bits"), wide=Range(8.0, 2.0, False, "bits"),
        augmix=Range(4.0, 0.0, False, "bits"))),
    "Contrast": SpaceOp(_enhancer(P.Contrast), _enhance_ranges()),
    "Color": SpaceOp(_enhancer(P.Color), _enhance_ranges()),
    "Brightness": SpaceOp(_enhancer(P.Brightness), _enhance_ranges()),
    "Sharpness": SpaceOp(_enhancer(P.Sharpness), _enhance_ranges()),
    "Cutout": SpaceOp(_cutout, {"autoaugment": Range(0.0, 60 / 331, False,
                                                     "fraction of height/width")}),
    "SamplePairing": SpaceOp(lambda v, unit, geo: P.SamplePairing(weight=v),
                             {"autoaugment": Range(0.0, 0.4, False, "partner weight")}),
    "Identity": SpaceOp(_free(P.Identity), _same(None)),
}

OPS: tuple[str, ...] = tuple(TABLE)
GEOMETRIC_OPS = frozenset(n for n, e in TABLE.items() if e.geometric)
# space -> {op name: Range or None}, read from the table
SPACES: dict[str, dict[str, Range | None]] = {
    sp: {n: e.ranges[sp] for n, e in TABLE.items() if sp in e.ranges} for sp in _ALL4}


def add_op(name: str, entry: SpaceOp) -> None:
    """Put op `name` in the spaces `entry.ranges` names (a plug-in's one entry; a built-in op
    is one entry of `TABLE` in this file). Replaces an entry of the same name; `remove_op`
    undoes it. New spaces may be named too."""
    if not (isinstance(name, str) and name.isidentifier()):
        raise value_error("add_op", "name", f"is {name!r}; expected an op name")
    if not (isinstance(entry, SpaceOp) and isinstance(entry.ranges, dict) and entry.ranges
            and all(r is None or isinstance(r, Range) for r in entry.ranges.values())):
        raise value_error("add_op", "entry", f"is {entry!r}; expected a SpaceOp whose ranges "
                          "map space names to Range (or None)")
    TABLE[name] = entry
    _derive()


def remove_op(name: str) -> None:
    """Take op `name` out of the table (and every space)."""
    TABLE.pop(name, None)
    _derive()


def _derive() -> None:
    global OPS, GEOMETRIC_OPS
    OPS = tuple(TABLE)
    GEOMETRIC_OPS = frozenset(n for n, e in TABLE.items() if e.geometric)
    for sp in {sp for e in TABLE.values() for sp in e.ranges} | set(SPACES):
        SPACES.setdefault(sp, {}).clear()
        SPACES[sp].update({n: e.ranges[sp] for n, e in TABLE.items() if sp in e.ranges})
    space_ops.cache_clear()
    ops_in_space.cache_clear()
    build_cached.cache_clear()


# The op lists the published runners draw from.
RANDAUGMENT_OPS = ("Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate",
                   "Brightness", "Color", "Contrast", "Sharpness", "Posterize", "Solarize",
                   "AutoContrast", "Equalize")
TRIVIALAUGMENT_OPS = RANDAUGMENT_OPS
UNIFORMAUGMENT_OPS = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "AutoContrast",
                      "Invert", "Equalize", "Solarize", "Posterize", "Contrast", "Color",
                      "Brightness", "Sharpness", "Cutout")
TIMM_RAND_OPS = ("AutoContrast", "Equalize", "Invert", "Rotate", "Posterize", "Solarize",
                 "Color", "Contrast", "Brightness", "Sharpness", "ShearX", "ShearY",
                 "TranslateX", "TranslateY")
AUGMIX_OPS = ("AutoContrast", "Equalize", "Posterize", "Rotate", "Solarize", "ShearX", "ShearY",
              "TranslateX", "TranslateY")
AUGMIX_ALL_OPS = AUGMIX_OPS + ("Color", "Contrast", "Brightness", "Sharpness")


@functools.cache
def space_ops(space: str) -> tuple[str, ...]:
    """The op names a space defines, in table order."""
    return tuple(n for n in OPS if n in _table(space))


@functools.lru_cache(maxsize=256)
def ops_in_space(names: tuple[str, ...], space: str) -> tuple[str, ...]:
    """`names` restricted to those `space` defines (order kept)."""
    have = space_ops(space)
    return tuple(n for n in names if n in have)


def _table(space: str) -> dict:
    if space not in SPACES:
        raise value_error("op_at", "space", f"is {space!r}; expected one of {tuple(SPACES)}")
    return SPACES[space]


def normalise(magnitude, levels: int | None, where="op_at") -> float:
    """A policy magnitude -> [0, 1]: a level 0..levels, or already normalised."""
    from ..core import is_number
    from ..errors import short_repr

    if not is_number(magnitude):  # no bools, NaN, inf or ints beyond the float range
        raise value_error(where, "magnitude", f"is {short_repr(magnitude)}; expected a number")
    if levels is None:
        if not 0.0 <= magnitude <= 1.0:
            raise value_error(where, "magnitude", f"is {magnitude!r}; expected a normalised "
                              "magnitude in [0, 1] (or pass levels=)")
        return float(magnitude)
    if not (isinstance(levels, int) and not isinstance(levels, bool) and levels >= 1):
        raise value_error(where, "levels", f"is {short_repr(levels)}; expected an int >= 1 or "
                          "None")
    if not 0 <= magnitude <= levels:
        raise value_error(where, "magnitude", f"is {magnitude!r}; expected a level in "
                          f"[0, {levels}]")
    return float(magnitude) / levels


def value_at(name: str, m: float, space: str = "autoaugment") -> float | None:
    """The unsigned value (factor, degrees, bits, ...) of op `name` at normalised `m`."""
    r = _range(name, space)
    return None if r is None else r.low + m * (r.high - r.low)


def _range(name: str, space: str) -> Range | None:
    table = _table(space)
    if name not in TABLE:
        raise value_error("op_at", "name", f"is {name!r}; expected one of {OPS}")
    if name not in table:
        raise value_error("op_at", "name", f"{name!r} is not in space {space!r}; its ops are "
                          f"{space_ops(space)}")
    return table[name]


def op_at(name: str, magnitude: float, space: str = "autoaugment", levels: int | None = None,
          *, interpolation: str = "nearest", fill: float | tuple = 0.0,
          mask_fill: int = 0, border: str = "constant") -> Op:
    """The augkit op for paper op `name` at `magnitude` (normalised to [0, 1], or a level
    0..`levels`) in magnitude space `space`. Signed ops draw their sign themselves.

    `interpolation`, `fill`, `mask_fill` and `border` go to the geometric ops (nearest, black,
    label 0 and a constant border by default, as torchvision); `fill` is in the image's own
    value scale, `mask_fill` a mask label (255 for VOC-style "ignore").
    """
    m = normalise(magnitude, levels)
    _range(name, space)
    if isinstance(fill, list):
        fill = tuple(fill)
    return build_cached(name, m, space, interpolation, fill, mask_fill, border)


def build(name: str, m: float, space: str, interpolation: str = "nearest",
          fill: float | tuple = 0.0, mask_fill: int = 0, border: str = "constant") -> Op:
    """`op_at` for a checked name and space and a normalised `m`, without checks or cache
    (runners draw continuous magnitudes, which a cache would only churn)."""
    r = TABLE[name].ranges[space]
    entry = TABLE[name]
    geo = {"interpolation": interpolation, "fill": fill, "mask_fill": mask_fill}
    if border != "constant":  # (only then: a plug-in's build may not know the field)
        geo["border"] = border
    if r is None:
        return entry.build(None, "", geo)
    v = round(r.low + m * (r.high - r.low), 12)
    if r.signed and v != 0:
        return OneOf((entry.build(v, r.unit, geo), entry.build(-v, r.unit, geo)))
    return entry.build(v, r.unit, geo)


build_cached = functools.lru_cache(maxsize=4096)(build)
