"""PIL-defined photometric ops (AutoContrast, Equalize, Invert, Solarize, Posterize, the
ImageEnhance blends, SamplePairing) as ordinary augkit ops (AutoAugment's Cutout is
augkit.middle.CutOut).

They follow PIL's ImageOps / ImageEnhance definitions exactly on uint8 images (lookup tables,
no PIL at run time) and the same formulas on float32 images in [0, 1]. Tier: poor (colour
shifting); the policy runners in augkit.rich build on them.
"""

from .ops import (
    AutoContrast,
    Brightness,
    Color,
    Contrast,
    Equalize,
    Identity,
    Invert,
    Posterize,
    SamplePairing,
    Sharpness,
    Solarize,
)

__all__ = ["Identity", "Invert", "AutoContrast", "Equalize", "Solarize", "Posterize",
           "Brightness", "Contrast", "Color", "Sharpness", "SamplePairing"]
