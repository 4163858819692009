"""`p` on every op, implemented once: the probability of applying it, as in albumentations
(every transform's ``p``) and torchvision's ``Random*`` transforms.

Every registered op class that does not declare a field ``p`` of its own gets a keyword-only
``p: float = 1.0`` (`add_p_field`, called by ``Op.__init_subclass__`` before ``@dataclass``
builds the class). A call with ``p < 1`` first draws one double from the op's generator: at or
above `p` the call is skipped, the sample comes back untouched and the params are
``{"skipped": True}``; below it the op draws and applies as it does at ``p = 1``. At the
default ``p = 1`` nothing is drawn, so every random stream is what it was before `p` existed.

The skip lives in the hooks (`guard_methods` wraps the ones a class defines; the base
classes' own hooks check `is_skipped` themselves): drawing hooks (`sample`, `sample_apply`,
`draw_for_batch`) draw the skip and then delegate to the op at ``p = 1`` (`full_op`), so a
hook that calls another drawing hook never draws twice; hooks that take params (`apply`,
`image`, `matrix`, ...) pass a skipped call through; the batched path's shortcuts (a fixed
chain, a static draw count, fusion) are off for ``p < 1``, so images that skip and images
that do not take their own steps.

Ops that declare ``p`` themselves (flips, `Maybe`, the albumentations ports, RandAugment,
whose ``p`` is timm's per-layer probability) keep their own meaning and draws: the contract
leaves them alone (``contract_p`` is False on them).
"""

from __future__ import annotations

import dataclasses
import functools

SKIPPED = "skipped"  # the params key of a skipped call


def skipped_params() -> dict:
    """The params of a skipped call (a new dict each time: params belong to the caller)."""
    return {SKIPPED: True}


def is_skipped(params) -> bool:
    """Whether `params` record a skipped call."""
    return type(params) is dict and params.get(SKIPPED) is True


def add_p_field(cls) -> bool:
    """Give `cls` a keyword-only ``p: float = 1.0`` unless it or a base declares ``p``;
    returns whether `cls` follows the contract's ``p`` (its own or inherited)."""
    own = cls.__dict__.get("__annotations__", {})
    if "p" in own:
        return False  # its own p, its own meaning
    for base in cls.__mro__[1:]:
        fields = getattr(base, "__dataclass_fields__", None)
        if fields is not None and "p" in fields:
            return bool(getattr(base, "contract_p", False))
        if "p" in base.__dict__.get("__annotations__", {}):
            return False  # a base (or mixin) declares p itself
    if "__annotations__" not in cls.__dict__:
        cls.__annotations__ = {}
    cls.__annotations__["p"] = "float"
    cls.p = dataclasses.field(default=1.0, kw_only=True)
    return True


def full_op(op):
    """`op` at ``p = 1`` (built once per op and kept on it)."""
    full = op.__dict__.get("_p_full")
    if full is None:
        full = dataclasses.replace(op, p=1.0)
        object.__setattr__(op, "_p_full", full)
    return full


def p_of(op) -> float:
    """The contract's p of `op` (1 for an op whose class keeps its own ``p``)."""
    return op.p if type(op).contract_p else 1.0


# The guards run on every call of every op that takes the contract's p: they are written for
# the p = 1 case (one attribute read, one compare, the call) to cost as little as possible.

def _draw_guard(name, skip):
    def wrap(f):
        @functools.wraps(f)
        def guarded(self, rng, x):
            p = self.p
            if p >= 1.0:
                return f(self, rng, x)
            if rng.random() >= p:
                return skip(self, x)
            return getattr(full_op(self), name)(rng, x)
        return guarded
    return wrap


def _apply_guard(f):
    @functools.wraps(f)
    def guarded(self, s, params):
        if type(params) is dict and SKIPPED in params and params[SKIPPED] is True:
            refuse_unfit(self, s)
            return s
        return f(self, s, params)
    return guarded


def _plan_guard(f):
    @functools.wraps(f)
    def guarded(self, params, size, steps):
        if is_skipped(params):
            return tuple(size)
        return f(self, params, size, steps)
    return guarded


def _fixed_guard(value):
    def wrap(f):
        @functools.wraps(f)
        def guarded(self, *args):
            return value if self.p < 1.0 else f(self, *args)
        return guarded
    return wrap


def _walk(op):
    yield op
    for c in op.children():
        yield from _walk(c)


def refuse_unfit(op, s) -> None:
    """What `op` refuses whatever its draw, checked on a skipped call too (same input, same
    error, at any p): targets where it (or a child) declares ``image_only``, a channel count
    outside its declared ``accepts_channels``, missing ``Sample.extras`` for a multi-image
    op (their number is checked where they are taken); for the op and every op inside it. Fills are
    checked where they are used, as on an applied call that uncovers no pixel (a crop inside
    the image, a runner whose steps did not warp): a skipped call uses none."""
    from .errors import value_error

    img = s.image
    channels = 0 if img.ndim == 2 else img.shape[2]
    targets = s.mask is not None or s.boxes is not None or s.keypoints is not None
    for o in _walk(op):
        if targets and getattr(o, "image_only", False) is True:
            raise value_error(o, "sample", "has targets (mask, boxes or keypoints); this op "
                              "takes images only")
        accepted = getattr(o, "accepts_channels", None)
        if accepted is not None and channels not in tuple(accepted):
            raise value_error(o, "image", f"has shape {img.shape}; expected "
                              f"{tuple(accepted)} channels (0: grey (H, W))")
        k = getattr(o, "extra_samples", 0)
        if k and s.extras is None:  # a multi-image op without its other samples
            raise value_error(o, "extras", f"is missing: {type(o).__name__} combines the "
                              f"sample with {k} other samples; pass them as Sample(..., "
                              "extras=(...)) or let augkit.AugmentedDataset draw them "
                              "(docs/multi-image.md)")


def _skip_sample(op, s):
    refuse_unfit(op, s)
    return skipped_params()


def _skip_apply(op, s):
    refuse_unfit(op, s)
    return s, skipped_params()


# The hooks a skipped call can reach: the drawing ones, `apply` (a replay), `plan_batch` (a
# batch's plan), and the shortcuts that assume every image takes the same steps. `image`,
# `matrix`, `out_size`, `_warp_only` and `remap_targets` never see a skipped call: the base
# classes' `apply`, `_call_array` and `draw_for_batch` stop it first, and Seq fuses no step
# with p < 1 (`is_matrix_warp` is False).
_GUARDS = {
    "sample": _draw_guard("sample", _skip_sample),
    "sample_apply": _draw_guard("sample_apply", _skip_apply),
    "draw_for_batch": _draw_guard("draw_for_batch",
                                  lambda op, v: (_skip_sample(op, v), v.size)),
    "apply": _apply_guard,
    "plan_batch": _plan_guard,
    "batch_draw_count": _fixed_guard(None),
    "batch_chain": _fixed_guard(None),
    "batch_out_size": _fixed_guard(None),
    "is_matrix_warp": _fixed_guard(False),
}


def guard_methods(cls, base_functions: frozenset) -> None:
    """Wrap the hooks `cls` resolves to a function of its own or of an intermediate base
    (the base classes' own hooks, `base_functions`, check the skip themselves)."""
    for name, guard in _GUARDS.items():
        f = getattr(cls, name, None)
        if f is None or f in base_functions or getattr(f, "_p_guarded", False):
            continue
        g = guard(f)
        g._p_guarded = True
        setattr(cls, name, g)


def unguard_methods(cls) -> None:
    """A class that declares its own ``p`` under an ancestor that takes the contract's: its
    inherited hooks go back to the unguarded functions (its ``p`` means something else)."""
    for name in _GUARDS:
        f = getattr(cls, name, None)
        if getattr(f, "_p_guarded", False):
            setattr(cls, name, f.__wrapped__)
