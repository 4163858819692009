"""The PIL-defined photometric ops of AutoAugment's table as ordinary augkit ops (poor tier:
they are colour shifting). Magnitudes are fixed numbers or (low, high) ranges drawn uniformly;
grey levels and thresholds are on the 8-bit scale for uint8 and float images alike."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import Op, PixelOp, check_number, check_range, uniform
from ..errors import short_repr, value_error
from ..functional import pil as K
from ..functional import pil_batch as KB


def _check_value(op, field, v, lo, hi, integer=False):
    """A number or an inclusive (low, high) pair within [lo, hi] (no bools, NaN or inf)."""
    if not isinstance(v, tuple):
        check_number(op, field, v, lo, hi, integer=integer,
                     what="an int or a (low, high) int pair" if integer else
                     "a number or a (low, high) pair")
        return
    if integer and not all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        raise value_error(op, field, f"is {short_repr(v)}; expected an int or a (low, high) "
                          "int pair")
    check_range(op, field, v, lo, hi)


def _torch():
    """The batched torch kernels (imported with torch, on a torch batch's first use)."""
    from ..functional import torch_pil

    return torch_pil


def _draw(rng, v, integer=False):
    if not isinstance(v, tuple):
        return v
    if integer:
        return int(rng.integers(v[0], v[1] + 1))
    return uniform(rng, v[0], v[1])


def _batched(op, images, params, kernel, key=None):
    """`kernel` (`functional.pil_batch`) over a batch, image j by ``params[j][key]``; the
    per-image loop where it declines (anything but uint8 RGB)."""
    out = kernel(images) if key is None else kernel(images, [p[key] for p in params])
    return PixelOp.image_batch(op, images, params) if out is None else out


class _ByParams:
    """The image depends on the params alone (magnitudes are drawn into them), so every
    instance of the class shares one batched call (`Op.batch_key`)."""

    def batch_key(self):
        return type(self)


@dataclass(frozen=True)
class Identity(_ByParams, PixelOp):
    """Leave the image as it is (the 'do nothing' entry of RandAugment's table)."""

    def apply(self, s, params):
        return s

    def image_batch(self, images, params):
        return images.copy()

    def image_batch_torch(self, images, params):
        return images.clone()


@dataclass(frozen=True)
class Invert(_ByParams, PixelOp):
    """PIL ImageOps.invert: x -> 255 - x (1 - x on float images)."""

    def image(self, img, params):
        return K.invert(img)

    def image_batch(self, images, params):
        return _batched(self, images, params, KB.invert)

    def image_batch_torch(self, images, params):
        return _torch().invert(images)


@dataclass(frozen=True)
class AutoContrast(_ByParams, PixelOp):
    """PIL ImageOps.autocontrast: stretch each channel's range to [0, 255]."""

    def image(self, img, params):
        return K.autocontrast(img)

    def image_batch(self, images, params):
        return _batched(self, images, params, KB.autocontrast)

    def image_batch_torch(self, images, params):
        return _torch().autocontrast(images)


@dataclass(frozen=True)
class Equalize(_ByParams, PixelOp):
    """PIL ImageOps.equalize: flatten each channel's histogram."""

    def image(self, img, params):
        return K.equalize(img)

    def image_batch(self, images, params):
        return _batched(self, images, params, KB.equalize)

    def image_batch_torch(self, images, params):
        return _torch().equalize(images)


@dataclass(frozen=True)
class Solarize(_ByParams, PixelOp):
    """PIL ImageOps.solarize: invert values >= `threshold` (8-bit scale, 0..256; 256 leaves
    the image unchanged, 0 inverts it)."""

    threshold: float | tuple = 128.0

    def validate(self):
        _check_value(self, "threshold", self.threshold, 0, 256)

    def sample(self, rng, s):
        return {"threshold": _draw(rng, self.threshold)}

    def image(self, img, params):
        return K.solarize(img, params["threshold"])

    def image_batch(self, images, params):
        return _batched(self, images, params, KB.solarize, "threshold")

    def image_batch_torch(self, images, params):
        return _torch().solarize(images, [p["threshold"] for p in params])


@dataclass(frozen=True)
class Posterize(_ByParams, PixelOp):
    """PIL ImageOps.posterize: keep the `bits` (0..8) most significant bits."""

    bits: int | tuple = 4

    def validate(self):
        _check_value(self, "bits", self.bits, 0, 8, integer=True)

    def sample(self, rng, s):
        return {"bits": _draw(rng, self.bits, integer=True)}

    def image(self, img, params):
        return K.posterize(img, params["bits"])

    def image_batch(self, images, params):
        return _batched(self, images, params, KB.posterize, "bits")

    def image_batch_torch(self, images, params):
        return _torch().posterize(images, [p["bits"] for p in params])


@dataclass(frozen=True)
class _Enhance(_ByParams, PixelOp):
    """A PIL ImageEnhance blend: factor 1 is the identity, 0 the degenerate image."""

    factor: float | tuple = (0.5, 1.5)

    def validate(self):
        _check_value(self, "factor", self.factor, 0.0, 100.0)

    def sample(self, rng, s):
        return {"factor": _draw(rng, self.factor)}


@dataclass(frozen=True)
class Brightness(_Enhance):
    """PIL ImageEnhance.Brightness: blend with black by `factor`."""

    def image(self, img, params):
        return K.brightness(img, params["factor"])

    def image_batch(self, images, params):
        return _batched(self, images, params, KB.brightness, "factor")

    def image_batch_torch(self, images, params):
        return _torch().brightness(images, [p["factor"] for p in params])


@dataclass(frozen=True)
class Contrast(_Enhance):
    """PIL ImageEnhance.Contrast: blend with the mean grey level by `factor`."""

    def image(self, img, params):
        return K.contrast(img, params["factor"])

    def image_batch(self, images, params):
        return _batched(self, images, params, KB.contrast, "factor")

    def image_batch_torch(self, images, params):
        return _torch().contrast(images, [p["factor"] for p in params])


@dataclass(frozen=True)
class Color(_Enhance):
    """PIL ImageEnhance.Color (saturation): blend with the grey image by `factor`."""

    def image(self, img, params):
        return K.color(img, params["factor"])

    def image_batch(self, images, params):
        return _batched(self, images, params, KB.color, "factor")

    def image_batch_torch(self, images, params):
        return _torch().color(images, [p["factor"] for p in params])


@dataclass(frozen=True)
class Sharpness(_Enhance):
    """PIL ImageEnhance.Sharpness: blend with PIL's SMOOTH-filtered image by `factor`."""

    def image(self, img, params):
        return K.sharpness(img, params["factor"])

    def image_batch(self, images, params):
        return _batched(self, images, params, KB.sharpness, "factor")

    def image_batch_torch(self, images, params):
        return _torch().sharpness(images, [p["factor"] for p in params])


@dataclass(frozen=True)
class SamplePairing(_ByParams, PixelOp):
    """SamplePairing on one image: blend with the image turned by 180 degrees, `weight` of the
    partner. (The paper pairs with another image of the batch; do that at batch level with
    augkit.mix.)"""

    weight: float | tuple = (0.0, 0.4)

    def validate(self):
        _check_value(self, "weight", self.weight, 0.0, 1.0)

    def sample(self, rng, s):
        return {"weight": _draw(rng, self.weight)}

    def image(self, img, params):
        return K.sample_pairing(img, params["weight"])


    def image_batch_torch(self, images, params):
        return _torch().sample_pairing(images, [p["weight"] for p in params])


OPS: tuple[type[Op], ...] = (Identity, Invert, AutoContrast, Equalize, Solarize, Posterize,
                             Brightness, Contrast, Color, Sharpness, SamplePairing)
