"""The rich man's tier: AutoAugment (searched policies as data), RandAugment, TrivialAugment,
UniformAugment and AugMix, all ordinary augkit ops built from the magnitude table in
augkit.policy.space, plus timm-style config strings (`from_string`)."""

from .augmix import AugMix, jsd_loss
from .runners import AutoAugment, RandAugment, TrivialAugment, UniformAugment
from .strings import from_string

__all__ = ["AutoAugment", "RandAugment", "TrivialAugment", "UniformAugment", "AugMix",
           "jsd_loss", "from_string"]
