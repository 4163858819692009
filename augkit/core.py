"""The op contract: `sample(rng, s) -> params` draws, `apply(s, params) -> s'` is pure.

Ops are frozen dataclasses. They hold no random state, so they pickle, compare and hash
cleanly and are safe in DataLoader workers. Every concrete subclass registers itself by class
name (through ``__init_subclass__``, no metaclass) so serialisation and the contract tests
find it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .batch import apply_batch
from .batch_plan import NeedsPixels, rows_of, stack_outputs
from .boundary import standardizes_output, to_sample  # noqa: F401 (re-exported)
from .checks import (  # noqa: F401 (re-exported: ops import their field checks from core)
    check_bool,
    check_int,
    check_number,
    check_prob,
    check_range,
    is_number,
    symmetric,
)
from .discovery import import_defining
from .errors import AugkitError, type_error, value_error
from .fields import (
    ANY_ARGS,
    FLOAT_MAX,
    INIT_NAMES,
    check_arguments,
    field_names,
    freeze_value,
    init_names,
    scan_value,
)
from .functional import geometry as G
from .probability import (
    add_p_field,
    full_op,
    guard_methods,
    is_skipped,
    p_of,
    refuse_unfit,
    skipped_params,
    unguard_methods,
)
from .rng import resolve_rng
from .sample import Sample, check_image

_GENERATOR = np.random.Generator

TIERS = ("poor", "middle", "rich")
REGISTRY: dict[str, type] = {}


# The largest image side an op may produce or be configured with: OpenCV's remap (which
# augkit's warps use) needs sides below SHRT_MAX = 32767.
MAX_SIDE = 32766


@dataclass(frozen=True)
class Op:
    """Base of every augmentation op.

    Subclasses set ``tier`` and implement `sample` and `apply` (or derive from `PixelOp` /
    `GeometricOp`, which implement `apply` for them), and validate fields in `validate`.
    """

    tier: ClassVar[str] = "poor"
    geometric: ClassVar[bool] = False

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.__name__.startswith("_") or not cls.__dict__.get("register", True):
            return
        cls.contract_p = add_p_field(cls)  # `p` on every op (augkit.probability)
        if cls.contract_p:
            guard_methods(cls, _BASE_HOOKS)
        else:
            unguard_methods(cls)
        old = REGISTRY.get(cls.__name__)
        # the same qualified name again (a module reload, a page re-run) replaces the old
        # class; another class under a registered name would silently shadow it
        if old is not None and (old.__module__, old.__qualname__) != (cls.__module__,
                                                                      cls.__qualname__):
            raise value_error(cls.__name__, "class name", (
                f"is already registered by {old.__module__}.{old.__qualname__}; rename "
                f"{cls.__module__}.{cls.__qualname__} or give it "
                "register: ClassVar[bool] = False"))
        REGISTRY[cls.__name__] = cls

    register: ClassVar[bool] = False  # bases opt out of the registry; subclasses are in
    # fields that may hold +inf (e.g. RandAugment's mstd); every other number must be finite
    infinite_ok: ClassVar[tuple[str, ...]] = ()
    # whether the class takes the contract's keyword-only `p` (set per class on registration)
    contract_p: ClassVar[bool] = False
    # how many other samples the op combines with each sample (`Sample.extras`: Mosaic 3)
    extra_samples: ClassVar[int] = 0

    def __new__(cls, *args, **kwargs):
        # checked here, before the dataclass __init__ can raise a bare TypeError (no metaclass:
        # __init_subclass__ runs before @dataclass writes __init__)
        if kwargs or args:
            names = INIT_NAMES.get(cls)
            if names is None or names is not ANY_ARGS and (
                    args or any(k not in names for k in kwargs)):
                check_arguments(cls, args, kwargs)
        return super().__new__(cls)

    def __post_init__(self):
        inf_ok = self.infinite_ok
        for name in field_names(type(self)):
            v = getattr(self, name)
            t = type(v)
            if t is str or t is bool or v is None or (t is float and math.isfinite(v)) or (
                    t is int and -FLOAT_MAX <= v <= FLOAT_MAX):
                continue  # the common plain values: nothing to freeze or refuse
            frozen = freeze_value(v)
            if frozen is not v:
                object.__setattr__(self, name, frozen)
            scan_value(self, name, frozen, name in inf_ok)
        if type(self).contract_p:
            if "p" not in self.__dict__:  # a plug-in subclass without @dataclass
                object.__setattr__(self, "p", 1.0)
            check_prob(self, "p", self.p)
            if self.p < 1.0 and standardizes_output(self):
                raise value_error(self, "p", f"is {self.p}; an op that returns a float32 "
                                  "standardised image takes p = 1 only (a skipped image "
                                  "would keep its dtype and range)")
        try:
            self.validate()  # first: combinators derive `tier` from their (validated) children
        except AugkitError:
            raise
        except (TypeError, ValueError, OverflowError) as e:
            # a validator that tripped over a value it did not expect: still a typed error
            make = type_error if isinstance(e, TypeError) else value_error
            raise make(self, "fields", f"are invalid ({type(e).__name__}: {e}); fields: "
                       f"{', '.join(init_names(type(self)))}") from e
        if self.tier not in TIERS:
            raise value_error(self, "tier", f"is {self.tier!r}; expected one of {TIERS}")

    def validate(self) -> None:
        """Check the fields; raise `value_error(self, field, what)` on bad ones."""

    # -- the contract -------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, s: Sample) -> dict:
        """Draw this call's parameters: plain JSON-able values. Reads only the geometry of
        `s` (shapes, dtype, targets), never its pixel values. (The base draws the skip of
        the contract's ``p``; `augkit.probability`.)"""
        if type(self).contract_p and self.p < 1.0 and rng.random() >= self.p:
            refuse_unfit(self, s)
            return skipped_params()
        return {}

    def apply(self, s: Sample, params: dict) -> Sample:
        """Apply with fixed parameters. Pure: never modifies `s`."""
        raise NotImplementedError(f"{type(self).__name__}.apply")

    def sample_apply(self, rng: np.random.Generator, s: Sample) -> tuple[Sample, dict]:
        """Draw and apply in one pass (combinators override it to avoid double work)."""
        params = self.sample(rng, s)
        return self.apply(s, params), params

    def __call__(self, x, rng: np.random.Generator | None = None):
        """Augment `x` (numpy HWC, torch CHW, PIL image or Sample); returns the same kind."""
        if type(rng) is not _GENERATOR:  # one call fewer on the common path
            rng = resolve_rng(rng, self)
        if type(x) is np.ndarray:  # the common case: no conversion closure round trip
            check_image(x, self)
            return self._call_array(rng, x)
        s, back = to_sample(x, self)
        return back(self.sample_apply(rng, s)[0])

    def _call_array(self, rng, img):
        """`__call__` on a checked numpy image (GeometricOp skips the Sample round trip)."""
        return self.sample_apply(rng, Sample(img))[0].image

    def children(self) -> tuple[Op, ...]:
        """Nested ops (combinators and runners override)."""
        return ()

    def batch(self, images, rng: np.random.Generator | None = None):
        """Augment a whole batch, each image with its own parameters, in one vectorised pass:
        numpy (B, H, W, C) / (B, H, W) or torch (B, C, H, W) in, the same kind out. Same
        result as ``[op(img, rng) for img in images]`` with the same `rng` (images only;
        see `augkit.batch`)."""
        return apply_batch(self, images, rng)

    # -- the batched path's hooks (`augkit.batch`). All optional: the defaults loop over
    # `sample`, `matrix` and `apply`; an op overrides one to vectorise that part. ----------
    def batch_draw_count(self) -> int | None:
        """How many doubles `sample` takes from the generator (``rng.random()``, or
        `uniform` / `integer`, one double each), the same for every image; None when it
        draws anything else. With a count the batched path draws a whole batch's doubles in
        one call and `batch_params` turns them into parameters."""
        return None

    def batch_params(self, u: np.ndarray) -> dict:
        """The params of B images from their (B, count) doubles, one array per params key:
        what B calls of `sample` return (bit for bit)."""
        raise NotImplementedError(f"{type(self).__name__}.batch_params")

    def image_batch(self, images: np.ndarray, params: list) -> np.ndarray:
        """The images of a (B, H, W, C) batch, image j by ``params[j]``. Default: `apply` per
        image."""
        return stack_outputs([self.apply(Sample(images[j]), p).image
                              for j, p in enumerate(params)], images, self)

    def image_batch_torch(self, images, params: list):
        """The images of a torch (B, C, H, W) batch on its device, image j by ``params[j]``,
        or None when the op has no torch kernel (the batch then takes the host path)."""
        return None

    def batch_chain(self) -> tuple[tuple, bool] | None:
        """(ops, fuse): the fixed chain of steps every image takes, or None when images may
        take different steps (choices, skips) or the op draws in its own way."""
        if self.children() or type(self).sample_apply is not Op.sample_apply or p_of(self) < 1:
            return None
        return (self,), False

    def draw_for_batch(self, rng: np.random.Generator, view: Sample) -> tuple[dict, tuple]:
        """One image's params, drawn as `sample_apply` draws them, and the size they lead
        to (`view` holds no pixels; combinators draw their children through this). An op
        that draws in its own `sample_apply` raises `NeedsPixels`: the batch then draws
        image by image through it."""
        if type(self).sample_apply is not Op.sample_apply:
            raise NeedsPixels(self)
        return self.sample(rng, view), view.size

    def batch_needs_pixels(self) -> bool:
        """Whether the op, or one inside it, draws inside its own `sample_apply` (its
        `draw_for_batch` raises `NeedsPixels`): the executors then run it image by image
        through `sample_apply`, the per-image path itself."""
        cls = type(self)
        if cls.sample_apply is not Op.sample_apply and cls.draw_for_batch in _BASE_DRAWS:
            return True
        return any(c.batch_needs_pixels() for c in self.children())

    def plan_batch(self, params: dict, size: tuple, steps: list) -> tuple:
        """Append one image's steps to `steps` (("leaf", op, params, out_size), or ("warp",
        matrix, out_size, style, op, ((op, params), ...))) and return the size they lead
        to."""
        if is_skipped(params):
            return tuple(size)
        steps.append(("leaf", self, params, tuple(size)))
        return size

    def batch_key(self):
        """Ops with equal keys may run one `image_batch` call over their images (each image
        with its own params): by default only the op itself. Ops whose image depends on the
        params alone (not on fields) return their class, so a runner's differently-valued
        instances of one op share a call."""
        return id(self)

    def batch_out_size(self, size: tuple) -> tuple | None:
        """The output size for an input `size` when it is known before drawing and the op is
        a pure matrix warp (geometric ops), else None."""
        return None

    def is_matrix_warp(self) -> bool:
        """Whether the op's image is exactly one warp by its `matrix` (fusable)."""
        return False


def uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    """``float(rng.uniform(lo, hi))`` for two numbers, bit for bit and with the same effect
    on the generator (numpy computes ``lo + (hi - lo) * next_double``), at a third of the
    per-call cost."""
    return lo + (hi - lo) * rng.random()


def integer(rng: np.random.Generator, lo: int, hi: int) -> int:
    """An integer uniform in [lo, hi) from one double: ``lo + floor((hi - lo) * u)``. Not
    numpy's ``rng.integers`` stream (Lemire's method, ~1.2-2.5 us a call from Python), but
    one draw of the same kind as `uniform` (~0.35 us), which the batched path can draw for a
    whole batch at once. The bias is below ``(hi - lo) / 2**53``."""
    return lo + int((hi - lo) * rng.random())


@dataclass(frozen=True)
class PixelOp(Op):
    """An op that changes pixel values only; mask, boxes and keypoints stay identical."""

    register: ClassVar[bool] = False

    def image(self, img: np.ndarray, params: dict) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.image")

    def apply(self, s: Sample, params: dict) -> Sample:
        if is_skipped(params):
            refuse_unfit(self, s)
            return s
        return s.replace(image=self.image(s.image, params))

    def _call_array(self, rng, img):
        cls = type(self)
        if cls.apply is not PixelOp.apply or cls.sample_apply is not Op.sample_apply or (
                cls.contract_p and self.p < 1.0):
            return Op._call_array(self, rng, img)
        # a bare image: draw, then the kernel (one Sample for `sample`, no replace)
        return self.image(img, self.sample(rng, Sample(img)))

    def image_batch(self, images, params):
        if type(self).apply is not PixelOp.apply:
            return Op.image_batch(self, images, params)
        return stack_outputs([self.image(images[j], p) for j, p in enumerate(params)], images,
                             self)


@dataclass(frozen=True)
class GeometricOp(Op):
    """An op defined by one 3x3 matrix (pixel-edge coordinates) that moves every target.

    Implement `matrix(params, size)`; override `out_size` when the output size changes and
    `remap_targets` for identity changes (e.g. left/right keypoints on a flip). Image
    interpolation comes from the ``interpolation`` field if the op has one ("linear"
    otherwise); masks always use nearest. Uncovered pixels get ``fill`` (image units, one value
    or one per channel) / ``mask_fill`` (a label that fits the mask dtype), both checked
    against the sample when applied (`functional.fill`).
    """

    register: ClassVar[bool] = False
    geometric: ClassVar[bool] = True
    # True where `remap_targets` only touches targets (never the image), so that a bare
    # image can skip it
    remaps_targets_only: ClassVar[bool] = False

    def matrix(self, params: dict, size: tuple[int, int]) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.matrix")

    def out_size(self, params: dict, size: tuple[int, int]) -> tuple[int, int]:
        return size

    def window(self, params: dict, size: tuple[int, int]) -> tuple | None:
        """Optional: (y0, y1, x0, x1, flip) when the matrix resizes an integer window of the
        image onto `out_size`, then flips by OpenCV's code (None: no flip); None otherwise.
        `Seq` composes these on a bare image instead of numpy matrices (cold right after a
        decode); `check_op` holds them to `matrix`."""
        return None

    def remap_targets(self, s: Sample, params: dict) -> Sample:
        return s

    def warp_style(self) -> tuple:
        """(interpolation, fill, mask_fill, border); ops that uncover no pixels return None
        fills and a None border. The border is the ``border`` field (`G.BORDERS`), or
        "constant" for an op with a fill and no border field."""
        fill = getattr(self, "fill", None)
        return (getattr(self, "interpolation", "linear"), fill,
                getattr(self, "mask_fill", None),
                getattr(self, "border", None if fill is None else "constant"))

    # -- batched hooks: one matrix per image by default; ops override `batch_matrices` to
    # build a batch's matrices at once, and ops whose output size depends on their fields
    # only (crops, pads, resizes) override `batch_out_size` --------------------------------
    def batch_matrices(self, cols: dict, size: tuple, n: int) -> np.ndarray:
        """The (n, 3, 3) stack of `matrix` for n images' params (one array per key)."""
        return np.stack([np.asarray(self.matrix(p, size), np.float64)
                         for p in rows_of(cols, n)])

    def batch_out_size(self, size):
        if not self.is_matrix_warp() or type(self).out_size is not GeometricOp.out_size:
            return None
        return tuple(size)

    def is_matrix_warp(self):
        # p < 1: some images skip it, so it is not one warp for all (no fusion, no static plan)
        cls = type(self)
        return cls.apply is GeometricOp.apply and (not cls.contract_p or self.p >= 1.0)

    def draw_for_batch(self, rng, view):
        if type(self).sample_apply is not Op.sample_apply:
            raise NeedsPixels(self)
        p = self.sample(rng, view)
        if is_skipped(p):
            return p, view.size
        return p, tuple(int(v) for v in self.out_size(p, view.size))

    def plan_batch(self, params, size, steps):
        if is_skipped(params):
            return tuple(size)
        osize = tuple(int(v) for v in self.out_size(params, size))
        if not full_op(self).is_matrix_warp():  # its own apply (an exact copy, ...): one leaf step
            steps.append(("leaf", self, params, osize))
            return osize
        steps.append(("warp", np.asarray(self.matrix(params, size), np.float64), osize,
                      self.warp_style(), self, ((self, params),)))
        return osize

    def apply(self, s: Sample, params: dict) -> Sample:
        if is_skipped(params):
            refuse_unfit(self, s)
            return s
        if s.mask is None and s.boxes is None and s.keypoints is None:  # image only: no dicts
            img = self._warp_only(s.image, params)  # (extras, for a later Mosaic, ride along)
            return self.remap_targets(Sample(img) if s.extras is None else s.replace(image=img),
                                      params)
        size = s.size
        m = self.matrix(params, size)
        out = warp_sample(s, m, self.out_size(params, size), self.warp_style(), self)
        return self.remap_targets(out, params)

    def _warp_only(self, img, params):
        """The warped image of an image-only sample."""
        size = img.shape[0], img.shape[1]
        m = self.matrix(params, size)
        interp, fill, _, border = self.warp_style()
        osize = self.out_size(params, size)
        return (G.warp_image(img, m, osize, interp, fill, self, border) if fill is not None
                else G.warp_checked(img, m, (int(osize[0]), int(osize[1])), interp, 0.0))

    def _call_array(self, rng, img):
        cls = type(self)
        if cls.apply is not GeometricOp.apply or cls.sample_apply is not Op.sample_apply or (
                cls.contract_p and self.p < 1.0):
            return Op._call_array(self, rng, img)
        s = Sample(img)
        params = self.sample(rng, s)
        out = self._warp_only(img, params)
        if cls.remap_targets is GeometricOp.remap_targets or cls.remaps_targets_only:
            return out  # an image has no targets to remap
        return self.remap_targets(Sample(out), params).image


# the base classes' own hooks, which check the contract's skip themselves
_BASE_HOOKS = frozenset(f for c in (Op, PixelOp, GeometricOp) for f in vars(c).values()
                        if callable(f))

# the draws that cannot see an op's own sample_apply (see `Op.batch_needs_pixels`)
_BASE_DRAWS = (Op.draw_for_batch, GeometricOp.draw_for_batch)


def warp_sample(s: Sample, m: np.ndarray, out_size, style, op=None) -> Sample:
    """Move image, mask, boxes and keypoints by one matrix. `style` is (interpolation, fill,
    mask_fill, border); fills are checked against the image and mask here (errors name
    `op`) where the border is constant; image and mask share the border (boxes and
    keypoints move with the matrix only)."""
    _, _, mask_fill, border = style
    border = "constant" if border is None else border
    out_size = (int(out_size[0]), int(out_size[1]))
    changes: dict[str, Any] = {"image": warp_image_only(s.image, m, out_size, style, op)}
    if s.mask is not None:
        changes["mask"] = G.warp_mask(s.mask, m, out_size, 0 if mask_fill is None else mask_fill,
                                      op if op is not None else "warp_sample", border)
    if s.boxes is not None:
        changes["boxes"] = G.warp_boxes(np.asarray(s.boxes), m, out_size)
    if s.keypoints is not None:
        changes["keypoints"] = G.warp_keypoints(np.asarray(s.keypoints), m, out_size)
    return s.replace(**changes)


def warp_image_only(img: np.ndarray, m: np.ndarray, out_size, style, op=None) -> np.ndarray:
    """The image part of `warp_sample` (a bare image needs no Sample around it)."""
    interp, fill, _, border = style
    return G.warp_image(img, m, (int(out_size[0]), int(out_size[1])), interp,
                        0.0 if fill is None else fill, op if op is not None else "warp_sample",
                        "constant" if border is None else border)


def registered_ops() -> dict[str, type]:
    """Every registered op class by name. First imports every module of augkit's package
    tree that defines an op (found by reading their source: `augkit.discovery`), so an op in
    a new file needs no import line anywhere."""
    import_builtin_ops()
    return dict(REGISTRY)


def import_builtin_ops() -> None:
    """Import the modules of augkit that define ops (not those that only use them)."""
    import_defining("augkit", ("Op",))
