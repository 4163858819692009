"""`Lambda`: a plain function as an op (torchvision's ``v2.Lambda``, albumentations'
``Lambda``), that still saves and loads: it is stored as ``"module:function"``."""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import Op, check_bool
from ..errors import short_repr, type_error, value_error
from ..sample import Sample, check_image

KINDS = ("image", "sample")


def identity(x, rng=None):
    """Lambda's default function: the input, unchanged (with or without a generator)."""
    return x


def path_of(fn) -> str | None:
    """``"module:qualname"`` of a function importable by that name, else None (a lambda, a
    closure, a bound method or a callable object)."""
    mod, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    if not (isinstance(mod, str) and isinstance(name, str)) or "<" in name:
        return None
    try:
        found = functools.reduce(getattr, name.split("."), importlib.import_module(mod))
    except (ImportError, AttributeError):
        return None
    return f"{mod}:{name}" if found is fn else None


@dataclass(frozen=True)
class Lambda(Op):
    """Apply `fn`, a module-level function, given as the function or as ``"module:function"``.

    kind ``"image"``: ``fn(image) -> image`` on the numpy (H, W[, C]) image; the mask, boxes
    and keypoints are left alone, so the function must not move pixels (a pixel op) and must
    keep the size of a sample with targets. kind ``"sample"``: ``fn(sample) -> Sample``, for
    functions that move targets themselves. With ``seeded=True`` the function also receives a
    `numpy.random.Generator` built from a seed the op draws (so it is reproducible, and the
    seed is in the params). A function that can be imported by its name is stored as
    ``"module:function"`` (so the op saves, loads and compares by name); a lambda or closure
    works, but saving it is a typed error (`to_dict` names the op and the field).
    """

    changes_targets: ClassVar[bool] = True  # a "sample" function may

    fn: object = "augkit.poor.lambdas:identity"
    kind: str = "image"
    seeded: bool = False

    def validate(self):
        fn = self.fn
        if isinstance(fn, str):
            mod, sep, name = fn.partition(":")
            if not (sep and mod and name):
                raise value_error(self, "fn", f"is {fn!r}; expected 'module:function'")
        elif callable(fn):
            path = path_of(fn)
            if path is not None:
                object.__setattr__(self, "fn", path)
        else:
            raise type_error(self, "fn", f"is {short_repr(fn)}; expected a function or "
                             "'module:function'")
        if self.kind not in KINDS:
            raise value_error(self, "kind", f"is {self.kind!r}; expected one of {KINDS}")
        check_bool(self, "seeded", self.seeded)

    @functools.cached_property
    def function(self):
        """The callable (imported on first use when `fn` is a path)."""
        if not isinstance(self.fn, str):
            return self.fn
        mod, _, name = self.fn.partition(":")
        try:
            found = functools.reduce(getattr, name.split("."), importlib.import_module(mod))
        except (ImportError, AttributeError) as e:
            raise value_error(self, "fn", f"is {self.fn!r}, which cannot be imported "
                              f"({type(e).__name__}: {e})") from None
        if not callable(found):
            raise type_error(self, "fn", f"is {self.fn!r}, a {type(found).__name__}; expected "
                             "a function")
        return found

    def sample(self, rng, s):
        return {"seed": int(rng.integers(2**63))} if self.seeded else {}

    def _call(self, x, args):
        try:
            return self.function(x, *args)
        except (TypeError, ValueError) as e:  # e.g. a function without the rng argument
            make = type_error if isinstance(e, TypeError) else value_error
            extra = " (seeded=True passes a numpy Generator as the second argument)" \
                if self.seeded else ""
            raise make(self, "fn", f"{self.fn!r} raised {type(e).__name__}: {e}{extra}") \
                from e

    def apply(self, s: Sample, params: dict) -> Sample:
        args = (np.random.default_rng(params["seed"]),) if self.seeded else ()
        if self.kind == "sample":
            out = self._call(s, args)
            if not isinstance(out, Sample):
                raise type_error(self, "fn", f"{self.fn!r} returned {type(out).__name__}; "
                                 "kind='sample' functions return an augkit.Sample")
            return out
        img = self._call(s.image, args)
        if not isinstance(img, np.ndarray):
            raise type_error(self, "fn", f"{self.fn!r} returned {type(img).__name__}; expected "
                             f"a numpy image (input {s.image.dtype} {s.image.shape})")
        has_targets = s.mask is not None or s.boxes is not None or s.keypoints is not None
        if has_targets and img.shape[:2] != s.image.shape[:2]:
            raise value_error(self, "fn", f"{self.fn!r} changed the image size "
                              f"{s.image.shape[:2]} -> {img.shape[:2]} of a sample with "
                              "targets; use kind='sample' and move them")
        check_image(img, self, "fn output", guess_layout=False)
        return s.replace(image=img)
