"""Size-changing geometry: `Resize`, `Crop`, `Pad`, `PadCrop`, `RandomResizedCrop`.

All are matrices too, so they fuse with neighbouring geometric ops; integer crops and pads
take the exact copy path of `functional.geometry.warp_image`. `Crop`, `Pad` and `PadCrop`
take ``border`` (`functional.geometry.BORDERS`): "constant" paints `fill` / `mask_fill`,
the others pad image and mask as `cv2.copyMakeBorder` does with that border type
(torchvision's ``padding_mode``: "replicate" = "edge", "reflect" = "symmetric",
"reflect101" = "reflect").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core import GeometricOp, check_int, integer, uniform
from ..errors import short_repr, value_error
from ..functional import geometry as G
from ..functional import matrices as M
from ..functional.fill import fill_for
from ._common import MAX_SIDE, as_hw, check_size, check_warp_fields, range_of


def _fill(op, img):
    """The op's fill for `img` (`fill_for`), where its border paints it."""
    return fill_for(op, op.fill, img) if op.border == "constant" else 0.0


class _DrawsNothing:
    """The batched hooks of an op whose params are empty and whose output size follows from
    its fields: nothing drawn, one matrix for the whole batch."""

    def batch_draw_count(self):
        return 0

    def batch_params(self, u):
        return {}

    def batch_matrices(self, cols, size, n):
        return M.repeat(self.matrix({}, size), n)

    def batch_out_size(self, size):
        return self.out_size({}, size)


@dataclass(frozen=True)
class Resize(_DrawsNothing, GeometricOp):
    """Resize to `size` (int: square; (height, width) otherwise)."""

    size: int | tuple = 224
    interpolation: str = "linear"

    def validate(self):
        check_size(self, "size", self.size)
        check_warp_fields(self)

    def out_size(self, params, size):
        return as_hw(self.size)  # validated in validate()

    def matrix(self, params, size):
        oh, ow = self.out_size(params, size)
        return G.scaling(ow / size[1], oh / size[0])

    def window(self, params, size):
        return 0, size[0], 0, size[1], None

    def _warp_only(self, img, params):
        # what the matrix's warp does (one cv2.resize), without building and classifying it
        return G.resize_window(img, (0, img.shape[0], 0, img.shape[1]), as_hw(self.size),
                               self.interpolation)


@dataclass(frozen=True)
class Crop(GeometricOp):
    """Cut a `size` window, at a random position (``position="random"``, torchvision's
    RandomCrop) or in the centre (``"center"``). A window larger than the image is filled."""

    size: int | tuple = 224
    position: str = "random"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        check_size(self, "size", self.size)
        if self.position not in ("random", "center"):
            raise value_error(self, "position", f"is {self.position!r}; expected 'random' or "
                              "'center'")
        check_warp_fields(self)

    def sample(self, rng, s):
        (h, w), (ch, cw) = s.size, as_hw(self.size)
        if self.position == "center":
            return {"top": (h - ch) // 2, "left": (w - cw) // 2}
        return {"top": integer(rng, 0, h - ch + 1) if h > ch else (h - ch) // 2,
                "left": integer(rng, 0, w - cw + 1) if w > cw else (w - cw) // 2}

    def out_size(self, params, size):
        return as_hw(self.size)  # validated in validate()

    def matrix(self, params, size):
        return G.translation(-params["left"], -params["top"])

    def batch_matrices(self, cols, size, n):
        return M.translations(-cols["left"].astype(float), -cols["top"].astype(float))

    def batch_out_size(self, size):
        return as_hw(self.size)

    def _warp_only(self, img, params):
        t, left = params["top"], params["left"]
        if type(t) is int and type(left) is int:  # the matrix's integer shift, directly
            return G.shift_image(img, -left, -t, as_hw(self.size), _fill(self, img),
                                 self.border)
        return super()._warp_only(img, params)


@dataclass(frozen=True)
class Pad(_DrawsNothing, GeometricOp):
    """Pad by `padding` pixels: int (all sides), (x, y), or (left, top, right, bottom)."""

    padding: int | tuple = 4
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def _ltrb(self):
        p = self.padding
        if isinstance(p, int):
            return p, p, p, p
        if len(p) == 2:
            return p[0], p[1], p[0], p[1]
        return tuple(p)

    def validate(self):
        p = self.padding
        ok = (isinstance(p, int) and not isinstance(p, bool)) or (isinstance(p, tuple)
                                                                   and len(p) in (2, 4))
        if not ok or not all(isinstance(v, int) and not isinstance(v, bool)
                             and 0 <= v <= MAX_SIDE for v in ((p,) if isinstance(p, int) else p)):
            raise value_error(self, "padding", f"is {short_repr(p)}; expected ints in [0, "
                              f"{MAX_SIDE}]: n, (x, y) or (left, top, right, bottom)")
        check_warp_fields(self)

    def out_size(self, params, size):
        l, t, r, b = self._ltrb()
        out = size[0] + t + b, size[1] + l + r
        if max(out) > MAX_SIDE:
            raise value_error(self, "padding", f"is {self.padding!r}: it makes image sides "
                              f"{tuple(size)} into {out}; sides are at most {MAX_SIDE}")
        return out

    def matrix(self, params, size):
        l, t, _, _ = self._ltrb()
        return G.translation(l, t)

    def _warp_only(self, img, params):
        l, t, _, _ = self._ltrb()
        return G.shift_image(img, l, t, self.out_size(params, img.shape[:2]),
                             _fill(self, img), self.border)


@dataclass(frozen=True)
class PadCrop(GeometricOp):
    """Pad by `padding` then crop a random window of the original size: CIFAR's classic
    pad-4-and-crop, done as one integer shift (no padded copy is made for the constant
    border). ``border="reflect101"`` is torchvision's ``RandomCrop(padding=4,
    padding_mode="reflect")``."""

    padding: int = 4
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        check_int(self, "padding", self.padding, 0, MAX_SIDE)
        check_warp_fields(self)

    def sample(self, rng, s):
        p = self.padding
        return {"dx": integer(rng, -p, p + 1), "dy": integer(rng, -p, p + 1)}

    def matrix(self, params, size):
        return G.translation(params["dx"], params["dy"])

    def batch_draw_count(self):
        return 2

    def batch_params(self, u):
        p = self.padding
        return {"dx": M.integer_column(u[:, 0], -p, p + 1),
                "dy": M.integer_column(u[:, 1], -p, p + 1)}

    def batch_matrices(self, cols, size, n):
        return M.translations(cols["dx"].astype(float), cols["dy"].astype(float))

    def _warp_only(self, img, params):
        dx, dy = params["dx"], params["dy"]
        if type(dx) is int and type(dy) is int:  # the matrix's integer shift, directly
            border = self.border
            return G.shift_image(img, dx, dy, img.shape[:2], fill_for(self, self.fill, img)
                                 if border == "constant" else 0.0, border)
        return super()._warp_only(img, params)


@dataclass(frozen=True)
class RandomResizedCrop(GeometricOp):
    """Crop a random area fraction `scale` with aspect ratio in `ratio` (log-uniform), then
    resize to `size`: the Inception / torchvision rule, with its 10 tries and centre-crop
    fallback."""

    size: int | tuple = 224
    scale: tuple = (0.08, 1.0)
    ratio: tuple = (3 / 4, 4 / 3)
    interpolation: str = "linear"

    def validate(self):
        check_size(self, "size", self.size)
        lo, _ = range_of(self, "scale", self.scale, 0.0, 1.0)
        if lo <= 0:
            raise value_error(self, "scale", f"is {self.scale!r}; expected fractions in (0, 1]")
        rlo, _ = range_of(self, "ratio", self.ratio)
        if rlo <= 0:
            raise value_error(self, "ratio", f"is {self.ratio!r}; expected ratios > 0")
        check_warp_fields(self)

    def sample(self, rng, s):
        h, w = s.size
        area = h * w
        log_r = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * uniform(rng, *self.scale)
            ar = math.exp(uniform(rng, *log_r))
            cw = int(round(math.sqrt(target * ar)))
            ch = int(round(math.sqrt(target / ar)))
            if 0 < cw <= w and 0 < ch <= h:
                return {"top": integer(rng, 0, h - ch + 1),
                        "left": integer(rng, 0, w - cw + 1), "height": ch, "width": cw}
        in_r = w / h  # fallback: the largest centre crop within the ratio range
        if in_r < self.ratio[0]:
            cw, ch = w, int(round(w / self.ratio[0]))
        elif in_r > self.ratio[1]:
            ch, cw = h, int(round(h * self.ratio[1]))
        else:
            cw, ch = w, h
        return {"top": (h - ch) // 2, "left": (w - cw) // 2, "height": ch, "width": cw}

    def out_size(self, params, size):
        return as_hw(self.size)  # validated in validate()

    def matrix(self, params, size):
        oh, ow = as_hw(self.size)
        # scaling @ translation written out (one array; numpy's 3x3 @ costs more than the
        # rest of the op right after a decode), the operations of `batch_matrices`
        sx, sy = ow / params["width"], oh / params["height"]
        return np.array([[sx, 0.0, sx * -params["left"]], [0.0, sy, sy * -params["top"]],
                         [0.0, 0.0, 1.0]])

    def batch_matrices(self, cols, size, n):
        oh, ow = as_hw(self.size)
        sx, sy = ow / cols["width"], oh / cols["height"]
        m = M.scalings(sx, sy)
        m[:, 0, 2], m[:, 1, 2] = sx * -cols["left"], sy * -cols["top"]
        return m

    def batch_out_size(self, size):
        return as_hw(self.size)

    def window(self, params, size):
        t, left, ch, cw = params["top"], params["left"], params["height"], params["width"]
        if (type(t) is int and type(left) is int and type(ch) is int and type(cw) is int
                and t >= 0 and left >= 0 and 0 < ch <= size[0] - t and 0 < cw <= size[1] - left):
            return t, t + ch, left, left + cw, None  # an integer window inside the image
        return None

    def _warp_only(self, img, params):
        win = self.window(params, img.shape[:2])
        if win is not None:  # the matrix's crop-then-resize, directly
            return G.resize_window(img, win[:4], as_hw(self.size), self.interpolation)
        return super()._warp_only(img, params)
