"""The shared base of `LongestMaxSize` and `SmallestMaxSize` (aspect-preserving rescales)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core import GeometricOp, check_prob, integer
from ..errors import short_repr, value_error
from ..functional import geometry as G
from ._common import MAX_SIDE, check_warp_fields


def check_max_size(op, v) -> tuple[int, ...]:
    """An int side, or a non-empty tuple of them (one drawn per call), each in [1, MAX_SIDE]."""
    sides = (v,) if isinstance(v, int) and not isinstance(v, bool) else v
    if not (isinstance(sides, tuple) and sides and all(
            isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= MAX_SIDE
            for x in sides)):
        raise value_error(op, "max_size", f"is {short_repr(v)}; expected an int in [1, "
                          f"{MAX_SIDE}] or a list of them (one drawn per call)")
    return sides


def scaled_size(op, size, side: int, longest: bool) -> tuple[int, int]:
    """albumentations' rule: scale = side / max(H, W) (or min), new sides
    ``max(1, round(H * scale))`` (Python's round, half to even)."""
    h, w = size
    scale = side / (max(h, w) if longest else min(h, w))
    out = max(1, round(h * scale)), max(1, round(w * scale))
    if max(out) > MAX_SIDE:
        raise value_error(op, "max_size", f"is {op.max_size!r}: it makes image sides "
                          f"{tuple(size)} into {out}; sides are at most {MAX_SIDE}")
    return out


@dataclass(frozen=True)
class _MaxSize(GeometricOp):
    """Rescale so that the longest (`longest`) or shortest side equals `max_size`."""

    max_size: int | tuple = 1024
    interpolation: str = "linear"
    p: float = 1.0
    longest: ClassVar[bool] = True

    def validate(self):
        check_max_size(self, self.max_size)
        check_warp_fields(self)
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"height": s.size[0], "width": s.size[1]}
        sides = check_max_size(self, self.max_size)
        side = sides[integer(rng, 0, len(sides))] if len(sides) > 1 else sides[0]
        h, w = scaled_size(self, s.size, side, self.longest)
        return {"height": h, "width": w}

    def out_size(self, params, size):
        return int(params["height"]), int(params["width"])

    def matrix(self, params, size):
        oh, ow = self.out_size(params, size)
        return G.scaling(ow / size[1], oh / size[0])

    def _warp_only(self, img, params):
        out = self.out_size(params, img.shape[:2])
        if out == img.shape[:2]:
            return img[:]
        return G.resize_window(img, (0, img.shape[0], 0, img.shape[1]), out, self.interpolation)
