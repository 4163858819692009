"""Bridges to the libraries augkit users come from.

* `augkit.interop.torchvision`: `as_v2(op)` wraps any augkit op as a
  ``torchvision.transforms.v2`` transform (tv_tensors in, tv_tensors out).
* `augkit.interop.albumentations`: `from_albu(t)` wraps any albumentations transform as an
  augkit op; `to_albu(op)` / `to_albu_dict(op)` export ops that have an albumentations twin.

Each submodule imports its library only when used, so ``import augkit.interop`` is free.
"""
