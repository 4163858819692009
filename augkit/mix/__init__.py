"""The batch-level mixer: MixUp, CutMix, BatchCutOut, RICAP and `Mixer`, on torch tensors on
any device, with dense targets (masks, boxes, keypoints) moved with the pasted pixels, on a
`SampleBatch` (the batch counterpart of `augkit.Sample`).

Imports torch. `augkit.core.registered_ops()` never imports this package: mixers live in
their own registry (`MIXERS`), because they take batches, not samples. ``Batch`` and
``CutOut`` are the former names of `SampleBatch` and `BatchCutOut`, still accepted.
"""

from .base import MIXERS, Batch, BatchMixer, SampleBatch, mixer_from_dict, mixer_to_dict
from .collate import Collate, batch_rng, collate
from .cutmix import BatchCutOut, CutMix, CutOut
from .mixer import Mixer, mix_loss
from .mixup import MixUp
from .ricap import RICAP

__all__ = ["SampleBatch", "Batch", "BatchMixer", "MixUp", "CutMix", "BatchCutOut", "CutOut",
           "RICAP", "Mixer", "collate", "Collate", "batch_rng", "mix_loss", "MIXERS",
           "mixer_to_dict", "mixer_from_dict"]
