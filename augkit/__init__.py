"""augkit: data augmentation for PyTorch vision training.

Everything below is imported lazily on first use, so ``import augkit`` loads numpy only.
"""

from __future__ import annotations

import importlib

from ._version import __version__

# public name -> module that defines it
_EXPORTS = {
    "Sample": "augkit.sample",
    "boxes_from": "augkit.sample",
    "boxes_to": "augkit.sample",
    "keypoints_from_indices": "augkit.sample",
    "keypoints_to_indices": "augkit.sample",
    "remove_invisible": "augkit.sample",
    "AugkitError": "augkit.errors",
    "AugkitValueError": "augkit.errors",
    "AugkitTypeError": "augkit.errors",
    "Op": "augkit.core",
    "PixelOp": "augkit.core",
    "GeometricOp": "augkit.core",
    "DisplacementOp": "augkit.displacement",
    "registered_ops": "augkit.core",
    "Seq": "augkit.compose",
    "OneOf": "augkit.compose",
    "SomeOf": "augkit.compose",
    "Maybe": "augkit.compose",
    "to_dict": "augkit.serial",
    "from_dict": "augkit.serial",
    "save": "augkit.serial",
    "load": "augkit.serial",
    "seed": "augkit.rng",
    "default_rng": "augkit.rng",
    "AugmentedDataset": "augkit.data",
    "load_policy": "augkit.policy",
    "save_policy": "augkit.policy",
    "Policy": "augkit.policy",
    "show": "augkit.show",
}
_SUBMODULES = ("batch", "poor", "middle", "mix", "rich", "policy", "search", "testing",
               "functional", "interop", "tiers", "photometric", "loader")

__all__ = ["__version__", *_EXPORTS, *_SUBMODULES]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"augkit.{name}")
    elif name.startswith("_"):  # private names (and `from . import _x` probes) never load ops
        raise AttributeError(f"module 'augkit' has no attribute {name!r}")
    else:
        from .core import registered_ops  # every registered op is reachable as augkit.Name

        value = registered_ops().get(name)
        if value is None:
            raise AttributeError(f"module 'augkit' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
