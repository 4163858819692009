"""The poor man's tier: mirroring, scale/translation/rotation, blurring, colour shifting and
whitening. Per-sample ops on every target (see DESIGN.md)."""

from .affine import Affine, Rotate, Scale, Shear, Translate
from .crop import Crop, Pad, PadCrop, RandomResizedCrop, Resize
from .flip import HFlip, VFlip

__all__ = ["HFlip", "VFlip", "Rotate", "Scale", "Translate", "Shear", "Affine", "Resize",
           "Crop", "Pad", "PadCrop", "RandomResizedCrop"]
