"""`JpegCompression`: a JPEG round trip (albumentations' ImageCompression, torchvision's JPEG)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import PixelOp, check_bool, check_prob, integer
from ..errors import short_repr, value_error
from ..functional import albu_pixel as AP


def _qualities(op) -> tuple[int, int]:
    q = op.quality
    r = (q, q) if isinstance(q, int) else q
    if not (isinstance(r, tuple) and len(r) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 100 for v in r)
            and r[0] <= r[1]):
        raise value_error(op, "quality", f"is {short_repr(q)}; expected an int or a (low, "
                          "high) pair of ints in [1, 100], low <= high")
    return r


@dataclass(frozen=True)
class JpegCompression(PixelOp):
    """Encode and decode with OpenCV's JPEG codec at a quality drawn uniformly from the ints
    of `quality` (both ends included; an int fixes it), with probability `p`
    (albumentations' default, 0.5; its default qualities (99, 100) too). Channel by channel
    as albumentations' ``ImageCompression(compression_type="jpeg")``, identical to it: any
    channel count (the first three as one colour JPEG, stored as OpenCV's BGR, every other
    channel as a grey JPEG). float32 images go through uint8 as albumentations'
    (``rint(x * 255)``, then ``/ 255``). ``rgb=True`` encodes the colour channels in their
    true order instead (identical to torchvision's ``JPEG``, which albumentations differs
    from by ~2-3 levels on average at quality 30-75; no albumentations twin). Params
    ``{"quality": q}`` (0: skipped): a replay gives the same pixels."""

    quality: int | tuple = (99, 100)
    rgb: bool = False
    p: float = 0.5

    def validate(self):
        _qualities(self)
        check_bool(self, "rgb", self.rgb)
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"quality": 0}
        lo, hi = _qualities(self)
        return {"quality": integer(rng, lo, hi + 1)}

    def image(self, img, params):
        q = params["quality"]
        if q == 0:
            return img.copy()
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 1 <= q <= 100:
            raise value_error(self, "params", f"quality {short_repr(q)} is not an int in "
                              "[1, 100] (or 0: skipped)")
        return AP.via_uint8(AP.jpeg, img, int(q), self.rgb)
