"""`PadIfNeeded`: pad up to a minimum size or a multiple of a divisor (albumentations')."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import MAX_SIDE, GeometricOp, check_int, check_prob, integer
from ..errors import value_error
from ..functional import geometry as G
from ..functional.fill import fill_for
from ._common import check_warp_fields

POSITIONS = ("center", "top_left", "top_right", "bottom_left", "bottom_right", "random")


def _pad(size: int, minimum, divisor) -> int:
    """Total padding along one side (albumentations' get_dimension_padding)."""
    if minimum is not None:
        return max(0, minimum - size)
    rem = size % divisor
    return divisor - rem if rem else 0


@dataclass(frozen=True)
class PadIfNeeded(GeometricOp):
    """Pad the image up to at least `min_height` x `min_width` (or, when ``min_height`` /
    ``min_width`` is None, up to the next multiple of `pad_height_divisor` /
    `pad_width_divisor`), with probability `p` (albumentations' default, 1.0). Larger images
    are left as they are. Exactly one of the minimum and the divisor is set per axis.

    `position` places the image: "center" (the smaller half of the padding before it, as
    albumentations), a corner ("top_left", ...) or "random" (albumentations' inclusive draw
    of the top and left padding). ``border="constant"`` (the default) paints `fill` (image
    units, one value or one per channel) and `mask_fill`; "reflect", "reflect101",
    "replicate" and "wrap" pad image and mask as `cv2.copyMakeBorder` (albumentations'
    ``border_mode``) does. Boxes and keypoints shift with the image.
    """

    min_height: int | None = 1024
    min_width: int | None = 1024
    pad_height_divisor: int | None = None
    pad_width_divisor: int | None = None
    position: str = "center"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    p: float = 1.0
    border: str = "constant"

    def validate(self):
        for axis in ("height", "width"):
            minimum, divisor = f"min_{axis}", f"pad_{axis}_divisor"
            m, d = getattr(self, minimum), getattr(self, divisor)
            if d is not None:
                check_int(self, divisor, d, 1, MAX_SIDE)
                if m is not None:
                    raise value_error(self, divisor, f"is {d!r} and {minimum} is {m!r}; set "
                                      f"exactly one of the two ({minimum}=None to pad to a "
                                      "multiple)")
            elif m is None:
                raise value_error(self, minimum, f"is None and {divisor} is None; set one of "
                                  "the two")
            else:
                check_int(self, minimum, m, 1, MAX_SIDE)
        if self.position not in POSITIONS:
            raise value_error(self, "position", f"is {self.position!r}; expected one of "
                              f"{POSITIONS}")
        check_warp_fields(self)
        check_prob(self, "p", self.p)

    @classmethod
    def example(cls):
        return [cls(min_height=40, min_width=24),
                cls(min_height=None, min_width=20, pad_height_divisor=16, position="random",
                    fill=0.5, mask_fill=3, p=0.8)]

    def sample(self, rng, s):
        h, w = s.size
        if not rng.random() < self.p:
            return {"top": 0, "left": 0, "height": h, "width": w}
        ph = _pad(h, self.min_height, self.pad_height_divisor)
        pw = _pad(w, self.min_width, self.pad_width_divisor)
        if max(h + ph, w + pw) > MAX_SIDE:
            raise value_error(self, "min_height", f"makes image sides {(h, w)} into "
                              f"{(h + ph, w + pw)}; sides are at most {MAX_SIDE}")
        pos = self.position
        if pos == "center":
            top, left = ph // 2, pw // 2
        elif pos == "random":
            top, left = integer(rng, 0, ph + 1), integer(rng, 0, pw + 1)
        else:
            top = 0 if pos.startswith("top") else ph
            left = 0 if pos.endswith("left") else pw
        return {"top": top, "left": left, "height": h + ph, "width": w + pw}

    def out_size(self, params, size):
        return int(params["height"]), int(params["width"])

    def matrix(self, params, size):
        return G.translation(params["left"], params["top"])

    def _warp_only(self, img, params):
        f = fill_for(self, self.fill, img) if self.border == "constant" else 0.0
        return G.shift_image(img, int(params["left"]), int(params["top"]),
                             self.out_size(params, img.shape[:2]), f, self.border)
