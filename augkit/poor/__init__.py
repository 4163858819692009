"""The poor man's tier: mirroring, scale/translation/rotation, blurring, colour shifting and
whitening. Per-sample ops on every target (see DESIGN.md)."""

from .affine import Affine, Rotate, Scale, Shear, Translate
from .blur import Blur, MotionBlur
from .boxes import SanitizeBoxes
from .color import ColorShift, RGBShift
from .crop import Crop, Pad, PadCrop, RandomResizedCrop, Resize
from .flip import HFlip, VFlip
from .pca import PCALighting
from .whiten import Whiten

__all__ = ["HFlip", "VFlip", "Rotate", "Scale", "Translate", "Shear", "Affine", "Resize",
           "Crop", "Pad", "PadCrop", "RandomResizedCrop", "Blur", "MotionBlur", "ColorShift",
           "RGBShift", "PCALighting", "Whiten", "SanitizeBoxes"]
