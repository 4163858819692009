"""The middle-class tier, per sample: CutOut and non-linear (elastic, grid) distortions.

The batch-level middle-class strategies (MixUp, CutMix, batch CutOut, RICAP) combine images
and live in `augkit.mix`.
"""

from .cutout import CutOut
from .elastic import ElasticDistortion
from .grid import GridDistortion

__all__ = ["CutOut", "ElasticDistortion", "GridDistortion"]
