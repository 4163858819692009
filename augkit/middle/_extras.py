"""What multi-image ops share: taking their other samples from `Sample.extras`, checked.

A multi-image op declares ``extra_samples: ClassVar[int]`` (how many other samples one call
combines with the sample it is applied to) and takes them from the front of ``s.extras``;
what it leaves (``extras[k:]``) travels on to the next multi-image op of a pipeline. The
design is written down in docs/multi-image.md.
"""

from __future__ import annotations

import numpy as np

from ..batch_plan import multi_image_error
from ..errors import AugkitError, AugkitTypeError, type_error, value_error
from ..sample import Sample, check_sample

__all__ = ["take_extras", "rest_of", "refuse_batch", "fits_dtype"]


def _channels(img: np.ndarray) -> int:
    return 0 if img.ndim == 2 else img.shape[2]


def take_extras(op, s: Sample, k: int) -> tuple[Sample, ...]:
    """The first `k` of ``s.extras``, each checked as a sample (errors name ``extras[i]``)
    and of the image kind of `s` (dtype and channel count): a typed error otherwise."""
    name = type(op).__name__
    ex = s.extras
    if ex is None:
        raise value_error(op, "extras", f"is missing: {name} combines the sample with {k} "
                          "other samples; pass them as Sample(..., extras=(...)) or let "
                          "augkit.AugmentedDataset draw them (docs/multi-image.md)")
    if not isinstance(ex, (tuple, list)):
        raise type_error(op, "extras", f"is {type(ex).__name__}; expected a tuple of "
                         "augkit.Sample")
    if len(ex) < k:
        raise value_error(op, "extras", f"has {len(ex)} samples; {name} needs {k}")
    out = []
    for i, e in enumerate(ex[:k]):
        if isinstance(e, np.ndarray):
            e = Sample(e)
        if not isinstance(e, Sample):
            raise type_error(op, f"extras[{i}]", f"is {type(e).__name__}; expected an "
                             "augkit.Sample (or a numpy image)")
        try:
            e = check_sample(e, op)
        except AugkitError as err:
            what = str(err).partition(": ")[2]
            make = type_error if isinstance(err, AugkitTypeError) else value_error
            raise make(op, f"extras[{i}]", what) from None
        a, b = e.image, s.image
        if a.dtype != b.dtype or _channels(a) != _channels(b):
            raise value_error(op, f"extras[{i}]", f"image is {a.dtype} {a.shape}; expected "
                              f"{b.dtype} with the channels of the sample's image {b.shape}")
        out.append(e)
    return tuple(out)


def rest_of(s: Sample, k: int):
    """What `k` taken extras leave for the next multi-image op (None when nothing)."""
    ex = s.extras
    return tuple(ex[k:]) if ex is not None and len(ex) > k else None


def refuse_batch(op):
    """The typed error of the batched path: a batch of images carries no other samples (the
    executors raise it before drawing: `batch_plan.refuse_multi_image`)."""
    return multi_image_error(op)


def fits_dtype(v: int, dt: np.dtype) -> bool:
    """Whether the integer label `v` fits the mask dtype `dt`."""
    if dt == np.bool_:
        return v in (0, 1)
    info = np.iinfo(dt)
    return info.min <= v <= info.max
