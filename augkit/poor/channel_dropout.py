"""`ChannelDropout`: fill random channels with a constant (albumentations' ChannelDropout)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..core import PixelOp, check_number, check_prob, integer
from ..errors import short_repr, value_error
from ..functional import channels as CH

MAX_CHANNELS = 1024  # the channel counts `accepts_channels` lists


@dataclass(frozen=True)
class ChannelDropout(PixelOp):
    """Set a random number of channels, drawn from the inclusive `channel_drop_range`, to
    `fill_value` (image units: 0..255 for uint8, 0..1 for float32; albumentations 1.x's name,
    2.x calls it ``fill``: augkit's ``fill`` fields paint uncovered pixels, this one a whole
    channel) with probability `p`
    (albumentations' default, 0.5). Which channels is drawn uniformly without replacement.
    The image needs more channels than the most it may drop: grey images (HW or one
    channel) and images with too few channels are refused with a typed error, as
    albumentations refuses them."""

    channel_drop_range: tuple = (1, 1)
    fill_value: float = 0.0
    p: float = 0.5

    def validate(self):
        r = self.channel_drop_range
        if not (isinstance(r, tuple) and len(r) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) for v in r)
                and 1 <= r[0] <= r[1] <= MAX_CHANNELS - 1):
            raise value_error(self, "channel_drop_range", f"is {short_repr(r)}; expected an "
                              f"inclusive (low, high) pair of ints with 1 <= low <= high <= "
                              f"{MAX_CHANNELS - 1}")
        check_number(self, "fill_value", self.fill_value, 0.0, 255.0)
        check_prob(self, "p", self.p)

    @functools.cached_property
    def accepts_channels(self) -> tuple[int, ...]:
        """Channel counts above the most channels it may drop."""
        return tuple(range(self.channel_drop_range[1] + 1, MAX_CHANNELS + 1))

    def sample(self, rng, s):
        c = 0 if s.image.ndim == 2 else s.image.shape[2]
        lo, hi = self.channel_drop_range
        if c < 2 or hi >= c:
            raise value_error(self, "image", f"has {c} channels {s.image.shape}; "
                              f"channel_drop_range {self.channel_drop_range} needs more than "
                              f"{hi} (it would drop every channel)")
        if not rng.random() < self.p:
            return {"channels": []}
        n = integer(rng, lo, hi + 1)
        return {"channels": sorted(rng.permutation(c)[:n].tolist())}

    def image(self, img, params):
        chosen = params["channels"]
        if not chosen:
            return img.copy()
        c = 0 if img.ndim == 2 else img.shape[2]
        if not all(isinstance(i, int) and 0 <= i < c for i in chosen):
            raise value_error(self, "params", f"channels {short_repr(chosen)} are not channels "
                              f"of the image {img.shape}")
        v = float(self.fill_value)
        if img.dtype == np.float32 and v > 1.0:
            raise value_error(self, "fill_value", f"is {self.fill_value!r}; outside [0, 1], the "
                              f"range of the float32 image {img.shape}")
        return CH.drop_channels(img, chosen, round(v) if img.dtype == np.uint8 else v)
