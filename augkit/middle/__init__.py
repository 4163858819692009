"""The middle-class tier, per sample: CutOut and non-linear (elastic, grid) distortions.

The batch-level middle-class strategies (MixUp, CutMix, batch CutOut, RICAP) combine images
and live in `augkit.mix`. Every op defined in a module of this package is importable from
here, found by `augkit.discovery`: an op in a new file needs no line here.
"""

from ..discovery import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__)
