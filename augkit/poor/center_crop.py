"""`CenterCrop`: the centre window of a fixed size (albumentations' and torchvision's)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import GeometricOp, check_bool, check_prob
from ..errors import value_error
from ..functional import geometry as G
from ..functional.fill import fill_for
from ._common import as_hw, check_size, check_warp_fields


@dataclass(frozen=True)
class CenterCrop(GeometricOp):
    """Cut the centre `size` window (int: square; (height, width) otherwise) with probability
    `p` (albumentations' default, 1.0; a skipped call leaves the sample as it is).

    The window starts at ``(H - h) // 2``, ``(W - w) // 2`` (albumentations' rule;
    torchvision rounds half to even, so the two differ by one pixel when ``H - h`` is odd and
    ``(H - h) / 2`` rounds up). A window larger than the image is padded (``pad_if_needed``,
    default True, as torchvision's CenterCrop and augkit's `Crop` do): the image is centred
    in the window, the smaller half of the padding before it (as both anchors pad), the
    border painted with `fill` / `mask_fill` (``border="constant"``, the default) or the
    image and mask extended by ``border`` ("reflect", "reflect101", "replicate", "wrap":
    `cv2.copyMakeBorder`'s types, albumentations' ``border_mode``). ``pad_if_needed=False``
    (albumentations' default) refuses it with a typed error naming the shape instead.
    """

    size: int | tuple = 224
    pad_if_needed: bool = True
    fill: float | tuple = 0.0
    mask_fill: int = 0
    p: float = 1.0
    border: str = "constant"

    def validate(self):
        check_size(self, "size", self.size)
        check_bool(self, "pad_if_needed", self.pad_if_needed)
        check_warp_fields(self)
        check_prob(self, "p", self.p)

    @classmethod
    def example(cls):
        # pad_if_needed: the contract runs on images of any size, 1x1 included
        return [cls(size=(12, 10), pad_if_needed=True),
                cls(size=(40, 8), pad_if_needed=True, fill=0.5, mask_fill=2, p=0.8)]

    def sample(self, rng, s):
        if not rng.random() < self.p:
            return {"apply": False}
        (h, w), (ch, cw) = s.size, as_hw(self.size)
        if (ch > h or cw > w) and not self.pad_if_needed:
            raise value_error(self, "pad_if_needed", f"is False and the window size {(ch, cw)} "
                              f"is larger than the image (H, W) = {(h, w)}; pass "
                              "pad_if_needed=True to pad it")
        # inside: floor((H - h) / 2); larger: the image sits (h - H) // 2 from the top
        top = (h - ch) // 2 if h >= ch else -((ch - h) // 2)
        left = (w - cw) // 2 if w >= cw else -((cw - w) // 2)
        return {"apply": True, "top": top, "left": left}

    def out_size(self, params, size):
        return as_hw(self.size) if params["apply"] else size

    def matrix(self, params, size):
        if not params["apply"]:
            return G.identity()
        return G.translation(-params["left"], -params["top"])

    def _warp_only(self, img, params):
        if not params["apply"]:
            return img[:]
        f = fill_for(self, self.fill, img) if self.border == "constant" else 0.0
        return G.shift_image(img, -int(params["left"]), -int(params["top"]), as_hw(self.size),
                             f, self.border)
