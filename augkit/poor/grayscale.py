"""`Grayscale`: grey colour channels (albumentations' ToGray, torchvision's RandomGrayscale)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core import PixelOp, check_prob
from ..functional import channels as CH
from ..functional.color import check_colour


@dataclass(frozen=True)
class Grayscale(PixelOp):
    """Replace the colour by its ITU-R 601 grey value (0.299 R + 0.587 G + 0.114 B, OpenCV's
    ``COLOR_RGB2GRAY``, as albumentations' ToGray) with probability `p` (albumentations'
    default, 0.5; torchvision's RandomGrayscale uses 0.1). The channel count is kept, as
    torchvision's RandomGrayscale and albumentations' ``num_output_channels=3`` do: an RGB
    image gets the grey value in all three channels, RGBA keeps its alpha, a grey image is
    returned as a copy. Other channel counts are refused with a typed error."""

    accepts_channels: ClassVar[tuple[int, ...]] = (0, 1, 3, 4)  # grey, RGB, RGBA

    p: float = 0.5

    def validate(self):
        check_prob(self, "p", self.p)

    def sample(self, rng, s):
        return {"grey": bool(rng.random() < self.p)}

    def image(self, img, params):
        check_colour(img, self)
        return CH.grey_keep_channels(img) if params["grey"] else img.copy()
