"""The former home of the PIL-defined photometric ops, kept so old imports and pickles work.

The ops (AutoContrast, Equalize, Invert, Solarize, Posterize, the ImageEnhance blends,
SamplePairing, Identity) are colour shifting, the poor tier: they live in
`augkit.poor.pil_ops` (``from augkit.poor import Equalize``), their kernels in
`augkit.functional.pil`. ``augkit.photometric.ops`` and ``augkit.photometric.kernels`` are
those two modules under their old names.
"""

import importlib

_MOVED = {"ops": "augkit.poor.pil_ops", "kernels": "augkit.functional.pil"}


def __getattr__(name: str):
    if name in _MOVED:
        return importlib.import_module(_MOVED[name])
    mod = importlib.import_module("augkit.poor.pil_ops")
    if name == "__all__":
        return [n for n in vars(mod) if n[:1].isupper() and n not in ("Op", "PixelOp", "OPS")]
    try:
        return getattr(mod, name)
    except AttributeError:
        raise AttributeError(f"module 'augkit.photometric' has no attribute {name!r}") from None
