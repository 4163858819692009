"""`ChannelShuffle`: permute the channels (albumentations' ChannelShuffle)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import PixelOp, check_prob
from ..errors import short_repr, value_error
from ..functional import channels as CH


@dataclass(frozen=True)
class ChannelShuffle(PixelOp):
    """Permute the channels at random with probability `p` (albumentations' default, 0.5).
    Every channel takes part, alpha included, as in albumentations; any channel count works
    (a grey HW image has nothing to permute and is copied). The params are
    ``{"order": [...]}``: output channel i is input channel ``order[i]`` (None when skipped).
    """

    p: float = 0.5

    def validate(self):
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"order": None}
        c = 1 if s.image.ndim == 2 else s.image.shape[2]
        return {"order": rng.permutation(c).tolist()}

    def image(self, img, params):
        order = params["order"]
        if order is None or img.ndim == 2:
            return img.copy()
        c = img.shape[2]
        if sorted(int(i) for i in order) != list(range(c)):
            raise value_error(self, "params", f"order {short_repr(order)} is not a permutation "
                              f"of the {c} channels of the image {img.shape}")
        return CH.shuffle_channels(img, order)
