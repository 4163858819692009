"""`PlanckianJitter`: a black-body illuminant's colour cast (albumentations' PlanckianJitter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core import PixelOp, check_prob, check_range, is_number, uniform
from ..errors import short_repr, value_error
from ..functional import albu_pixel as AP
from ..functional.color import check_colour

WHITE = 6000.0  # albumentations' WHITE_TEMP: the split of its uniform draw
SPLIT = 0.4  # its SAMPLING_TEMP_PROB: the chance of the warm side


@dataclass(frozen=True)
class PlanckianJitter(PixelOp):
    """Recolour as lit by a Planckian illuminant at a temperature drawn from `temperature`
    (K; a number fixes it; None, the default, is the mode's whole range), with probability
    `p` (albumentations' default, 0.5): R is multiplied by R / G and B by B / G of the
    illuminant's chromaticity, interpolated linearly between albumentations' 500 K table
    entries (`mode` "blackbody", 3000-15000 K, or "cied", 4000-15000 K). The draw is
    albumentations' ``sampling_method="uniform"``: with probability 0.4 uniform below
    6000 K, else uniform above (the split clamped into the range), truncated to an int K.
    uint8 results are rounded (albumentations truncates: within one level), float32 ones
    clipped to [0, 1]. RGB and RGBA (alpha kept) only: a grey image has no colour to cast
    (typed error). Params ``{"temperature": K}`` (0: skipped)."""

    accepts_channels: ClassVar[tuple[int, ...]] = (3, 4)  # RGB, RGBA

    temperature: float | tuple | None = None
    mode: str = "blackbody"
    p: float = 0.5

    def validate(self):
        if self.mode not in AP.PLANCKIAN:
            raise value_error(self, "mode", f"is {short_repr(self.mode)}; expected one of "
                              f"{tuple(AP.PLANCKIAN)}")
        check_range(self, "temperature", self._range(), AP.PLANCKIAN[self.mode][0],
                    AP.MAX_TEMPERATURE)
        check_prob(self, "p", self.p)

    def _range(self) -> tuple:
        t = self.temperature
        if t is None:
            return (AP.PLANCKIAN[self.mode][0], AP.MAX_TEMPERATURE)
        return (t, t) if is_number(t) else t

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"temperature": 0}
        if is_number(self.temperature):
            return {"temperature": int(self.temperature)}
        lo, hi = map(float, self._range())
        white = min(max(WHITE, lo), hi)
        t = uniform(rng, lo, white) if rng.random() < SPLIT else uniform(rng, white, hi)
        return {"temperature": int(min(max(t, lo), hi))}

    def image(self, img, params):
        c = check_colour(img, self)
        if c not in self.accepts_channels:
            raise value_error(self, "image", f"has {c} channels {img.shape}; expected RGB "
                              "(H, W, 3) or RGBA (H, W, 4): a grey image has no colour cast")
        t = params["temperature"]
        if t == 0:
            return img.copy()
        first = AP.PLANCKIAN[self.mode][0]
        if not (is_number(t) and first <= t <= AP.MAX_TEMPERATURE):
            raise value_error(self, "params", f"temperature {short_repr(t)} is outside "
                              f"[{first}, {AP.MAX_TEMPERATURE}] (or 0: skipped)")
        return AP.planckian(img, t, self.mode)
