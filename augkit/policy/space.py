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
from dataclasses import dataclass

from ..compose import OneOf
from ..core import Op
from ..errors import value_error

SPACE_VERSION = 1

OPS: tuple[str, ...] = (
    "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "AutoContrast", "Invert",
    "Equalize", "Solarize", "Posterize", "Contrast", "Color", "Brightness", "Sharpness",
    "Cutout", "SamplePairing", "Identity",
)

GEOMETRIC_OPS = frozenset({"ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"})


@dataclass(frozen=True)
class Range:
    """Magnitude 0 maps to `low`, 1 to `high`; `signed` ops flip the sign at random.
    `unit` says what the value is (shown in docs and errors)."""

    low: float
    high: float
    signed: bool = False
    unit: str = ""


_SHEAR = Range(0.0, 0.3, True, "shear factor")
_TRANSLATE = Range(0.0, 150 / 331, True, "fraction of width/height")
_ROTATE = Range(0.0, 30.0, True, "degrees")
_FREE = None  # no magnitude

SPACES: dict[str, dict[str, Range | None]] = {
    "autoaugment": {
        "ShearX": _SHEAR, "ShearY": _SHEAR, "TranslateX": _TRANSLATE, "TranslateY": _TRANSLATE,
        "Rotate": _ROTATE, "AutoContrast": _FREE, "Invert": _FREE, "Equalize": _FREE,
        "Solarize": Range(256.0, 0.0, False, "threshold (8-bit)"),
        "Posterize": Range(8.0, 4.0, False, "bits"),
        "Contrast": Range(0.1, 1.9, False, "factor"), "Color": Range(0.1, 1.9, False, "factor"),
        "Brightness": Range(0.1, 1.9, False, "factor"),
        "Sharpness": Range(0.1, 1.9, False, "factor"),
        "Cutout": Range(0.0, 60 / 331, False, "fraction of height/width"),
        "SamplePairing": Range(0.0, 0.4, False, "partner weight"), "Identity": _FREE,
    },
    "torchvision": {
        "ShearX": _SHEAR, "ShearY": _SHEAR, "TranslateX": _TRANSLATE, "TranslateY": _TRANSLATE,
        "Rotate": _ROTATE, "AutoContrast": _FREE, "Invert": _FREE, "Equalize": _FREE,
        "Solarize": Range(255.0, 0.0, False, "threshold (8-bit)"),
        "Posterize": Range(8.0, 4.0, False, "bits"),
        "Contrast": Range(0.0, 0.9, True, "factor - 1"),
        "Color": Range(0.0, 0.9, True, "factor - 1"),
        "Brightness": Range(0.0, 0.9, True, "factor - 1"),
        "Sharpness": Range(0.0, 0.9, True, "factor - 1"), "Identity": _FREE,
    },
    "wide": {
        "ShearX": Range(0.0, 0.99, True, "shear factor"),
        "ShearY": Range(0.0, 0.99, True, "shear factor"),
        "TranslateX": Range(0.0, 32.0, True, "pixels"),
        "TranslateY": Range(0.0, 32.0, True, "pixels"),
        "Rotate": Range(0.0, 135.0, True, "degrees"), "AutoContrast": _FREE, "Equalize": _FREE,
        "Solarize": Range(255.0, 0.0, False, "threshold (8-bit)"),
        "Posterize": Range(8.0, 2.0, False, "bits"),
        "Contrast": Range(0.0, 0.99, True, "factor - 1"),
        "Color": Range(0.0, 0.99, True, "factor - 1"),
        "Brightness": Range(0.0, 0.99, True, "factor - 1"),
        "Sharpness": Range(0.0, 0.99, True, "factor - 1"), "Identity": _FREE,
    },
    "augmix": {
        "ShearX": _SHEAR, "ShearY": _SHEAR,
        "TranslateX": Range(0.0, 1 / 3, True, "fraction of width/height"),
        "TranslateY": Range(0.0, 1 / 3, True, "fraction of width/height"),
        "Rotate": _ROTATE, "AutoContrast": _FREE, "Equalize": _FREE,
        "Solarize": Range(255.0, 0.0, False, "threshold (8-bit)"),
        "Posterize": Range(4.0, 0.0, False, "bits"),
        "Contrast": Range(0.0, 0.9, True, "factor - 1"),
        "Color": Range(0.0, 0.9, True, "factor - 1"),
        "Brightness": Range(0.0, 0.9, True, "factor - 1"),
        "Sharpness": Range(0.0, 0.9, True, "factor - 1"), "Identity": _FREE,
    },
}

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
    if name not in OPS:
        raise value_error("op_at", "name", f"is {name!r}; expected one of {OPS}")
    if name not in table:
        raise value_error("op_at", "name", f"{name!r} is not in space {space!r}; its ops are "
                          f"{space_ops(space)}")
    return table[name]


def op_at(name: str, magnitude: float, space: str = "autoaugment", levels: int | None = None,
          *, interpolation: str = "nearest", fill: float | tuple = 0.0,
          mask_fill: int = 0) -> Op:
    """The augkit op for paper op `name` at `magnitude` (normalised to [0, 1], or a level
    0..`levels`) in magnitude space `space`. Signed ops draw their sign themselves.

    `interpolation`, `fill` and `mask_fill` go to the geometric ops (nearest, black and label
    0 by default, as torchvision); `fill` is in the image's own value scale, `mask_fill` a
    mask label (255 for VOC-style "ignore").
    """
    m = normalise(magnitude, levels)
    _range(name, space)
    if isinstance(fill, list):
        fill = tuple(fill)
    return _build(name, m, space, interpolation, fill, mask_fill)


@functools.lru_cache(maxsize=4096)
def _build(name, m, space, interpolation, fill, mask_fill=0) -> Op:
    from .. import photometric as P
    from ..poor import Rotate, Shear, Translate

    r = _range(name, space)
    v = None if r is None else round(r.low + m * (r.high - r.low), 12)
    geo = {"interpolation": interpolation, "fill": fill, "mask_fill": mask_fill}

    def one(x):  # the op at signed value x
        if name in ("ShearX", "ShearY"):
            a = math.degrees(math.atan(x))
            return Shear(x=(a, a), y=(0.0, 0.0), **geo) if name == "ShearX" else \
                Shear(x=(0.0, 0.0), y=(a, a), **geo)
        if name in ("TranslateX", "TranslateY"):
            unit = "pixels" if r.unit == "pixels" else "fraction"
            if unit == "pixels":
                x = float(int(x))  # torchvision truncates pixel shifts to whole pixels
            d = (x, x)
            return Translate(x=d, y=(0.0, 0.0), unit=unit, **geo) if name == "TranslateX" \
                else Translate(x=(0.0, 0.0), y=d, unit=unit, **geo)
        if name == "Rotate":
            return Rotate(degrees=(x, x), **geo)
        if name in ("Contrast", "Color", "Brightness", "Sharpness"):
            factor = 1.0 + x if r.signed else x
            return getattr(P, name)(factor=max(0.0, factor))
        raise AssertionError(name)

    if name == "Identity":
        return P.Identity()
    if name in ("AutoContrast", "Invert", "Equalize"):
        return getattr(P, name)()
    if name == "Solarize":
        return P.Solarize(threshold=v)
    if name == "Posterize":
        return P.Posterize(bits=int(round(v)))
    if name == "Cutout":  # augkit.middle's CutOut: one hole, `fill` in image units
        from ..middle import CutOut

        # a fraction of each side, so the hole scales with the image (see the module doc)
        return CutOut(size=float(v), fill=fill) if v > 0 else P.Identity()
    if name == "SamplePairing":
        return P.SamplePairing(weight=v)
    if r.signed and v != 0:
        return OneOf((one(v), one(-v)))
    return one(v)
