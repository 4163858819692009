"""`Illumination`: a lighting gradient, corner falloff or spot (albumentations' Illumination)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import PixelOp, check_range, integer, is_number, uniform
from ..errors import short_repr, value_error
from ..functional import illumination as IL

EFFECTS = ("both", "brighten", "darken")
_PARAMS = {"linear": ("angle",), "corner": ("corner",), "gaussian": ("center", "sigma")}


@dataclass(frozen=True)
class Illumination(PixelOp):
    """Multiply the image by an illumination pattern, albumentations 2.0.8's
    ``Illumination``: `mode` "linear" (a gradient at an angle drawn from `angle`, degrees,
    0 = left to right, 90 = top to bottom: ``1 - i`` at its dark end, ``1 + i`` at its
    bright one), "corner" (``1 - i * distance / diagonal`` from one of the four corners,
    drawn) or "gaussian" (``1 + i * exp(-r^2 / (2 (max(H, W) sigma)^2))`` around a centre
    drawn from `center` in fractions of the width and height, its sigma from `sigma`).

    The strength i is drawn from `intensity`; `effect` "brighten" keeps it, "darken" negates
    it, "both" picks either with equal chance (the corner and gaussian modes then darken or
    brighten, the linear mode reverses its gradient). Every channel gets the same map (grey,
    RGB, RGBA, any count). Given the same draws the output equals albumentations', uint8
    and float32, including its uint8 rounding (the linear mode rounds, the other two
    truncate); float32 results are clipped to [0, 1] (albumentations leaves a brightened
    linear result above 1). `intensity` may go up to 1 (albumentations: [0.01, 0.2]).
    Params: ``intensity`` (signed) and the mode's ``angle`` / ``corner`` / ``center`` and
    ``sigma``."""

    mode: str = "linear"
    intensity: tuple = (0.01, 0.2)
    effect: str = "both"
    angle: tuple = (0.0, 360.0)
    center: tuple = (0.1, 0.9)
    sigma: tuple = (0.2, 1.0)

    @classmethod
    def example(cls):
        return [cls(), cls(mode="corner", effect="darken"),
                cls(mode="gaussian", intensity=(0.1, 0.5), effect="brighten")]

    def validate(self):
        if self.mode not in IL.MODES:
            raise value_error(self, "mode", f"is {short_repr(self.mode)}; expected one of "
                              f"{IL.MODES}")
        if self.effect not in EFFECTS:
            raise value_error(self, "effect", f"is {short_repr(self.effect)}; expected one of "
                              f"{EFFECTS}")
        check_range(self, "intensity", self.intensity, 0.0, 1.0)
        check_range(self, "angle", self.angle, 0.0, 360.0)
        check_range(self, "center", self.center, 0.0, 1.0)
        check_range(self, "sigma", self.sigma, 0.01, 1.0)

    def sample(self, rng, s):
        # albumentations' draw order: intensity, its sign, then the mode's parameters
        i = uniform(rng, *map(float, self.intensity))
        if self.effect == "both":
            i = i if rng.random() > 0.5 else -i
        elif self.effect == "darken":
            i = -i
        if self.mode == "linear":
            return {"intensity": i, "angle": uniform(rng, *map(float, self.angle))}
        if self.mode == "corner":
            return {"intensity": i, "corner": integer(rng, 0, 4)}
        cx = uniform(rng, *map(float, self.center))
        cy = uniform(rng, *map(float, self.center))
        return {"intensity": i, "center": [cx, cy],
                "sigma": uniform(rng, *map(float, self.sigma))}

    def _check(self, params: dict) -> None:
        def bad(what):
            return value_error(self, "params", f"{what} for mode {self.mode!r}: "
                               f"{short_repr(params)}")

        i = params.get("intensity")
        if not (is_number(i) and -1.0 <= i <= 1.0):
            raise bad("intensity is not a number in [-1, 1]")
        if any(k not in params for k in _PARAMS[self.mode]):
            raise bad(f"need {_PARAMS[self.mode]}")
        if self.mode == "linear" and not is_number(params["angle"]):
            raise bad("angle is not a number")
        if self.mode == "corner" and params["corner"] not in (0, 1, 2, 3):
            raise bad("corner is not 0, 1, 2 or 3")
        if self.mode == "gaussian":
            c, sg = params["center"], params["sigma"]
            if not (isinstance(c, (list, tuple)) and len(c) == 2 and all(map(is_number, c))):
                raise bad("center is not an (x, y) pair of numbers")
            if not (is_number(sg) and sg > 0):
                raise bad("sigma is not a number > 0")

    def image(self, img, params):
        self._check(params)
        return IL.illuminate(img, self.mode, params)
