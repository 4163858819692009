"""The batch-level mixer: MixUp, CutMix, CutOut, RICAP and `Mixer`, on torch tensors on any
device, with dense targets (masks, boxes, keypoints) moved with the pasted pixels.

Imports torch. `augkit.core.registered_ops()` never imports this package: mixers live in
their own registry (`MIXERS`), because they take batches, not samples.
"""

from .base import MIXERS, Batch, BatchMixer, mixer_from_dict, mixer_to_dict
from .collate import Collate, batch_rng, collate
from .cutmix import CutMix, CutOut
from .mixer import Mixer, mix_loss
from .mixup import MixUp
from .ricap import RICAP

__all__ = ["Batch", "BatchMixer", "MixUp", "CutMix", "CutOut", "RICAP", "Mixer", "collate",
           "Collate", "batch_rng", "mix_loss", "MIXERS", "mixer_to_dict", "mixer_from_dict"]
