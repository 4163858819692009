"""The rich man's tier: AutoAugment (searched policies as data), RandAugment, TrivialAugment,
UniformAugment and AugMix, all ordinary augkit ops built from the magnitude table in
augkit.policy.space, plus timm-style config strings (`from_string`).

Every op defined in a module of this package is importable from here, found by
`augkit.discovery`: an op in a new file needs no line here.
"""

from ..discovery import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {"jsd_loss": "augkit.rich.augmix",
                                               "from_string": "augkit.rich.strings"})
