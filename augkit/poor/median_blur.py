"""`MedianBlur`: the median of a square window (albumentations' MedianBlur)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..core import PixelOp, check_prob
from ..functional import blur as B
from .blur import draw_odd, kernel_range


@dataclass(frozen=True)
class MedianBlur(PixelOp):
    """Replace each value by the median of its k x k window, k drawn from the odd sizes in
    `kernel` (albumentations' ``blur_limit``, default (3, 7)), with probability `p`
    (albumentations' default, 0.5). The edge pixel is repeated at the border (OpenCV's
    medianBlur, which albumentations calls: identical on uint8). float32 windows above 5 use
    an exact numpy median (OpenCV's float median stops at 5). Any channel count.
    ``Blur(kind="median")`` is the same filter without `p`."""

    kernel: int | tuple = (3, 7)
    p: float = 0.5

    def validate(self):
        self._kernels  # noqa: B018 (building the cached range checks the field)
        check_prob(self, "p", self.p)

    @functools.cached_property
    def _kernels(self) -> tuple[int, int]:
        return kernel_range(self, "kernel", self.kernel)

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"kernel": 1}
        return {"kernel": draw_odd(rng, *self._kernels)}

    def image(self, img, params):
        return B.median_blur(img, int(params["kernel"]))
