"""Property-test your ops: hypothesis strategies and `check_op`, the op contract as a function.

    >>> from augkit.testing import check_op
    >>> from augkit.poor import Rotate
    >>> check_op(Rotate(degrees=20))          # raises AssertionError naming what broke

Strategies (need `hypothesis`, imported only when a strategy is built): `images`, `samples`,
`seeds`, `ops`, and `edge_images` (1x1, 1xN, grey, 4-channel, Fortran-order, read-only,
extreme float values). `default_instance(cls)` builds a valid instance of any registered op
class: the class's own ``example()`` classmethod if it has one, else an entry of `EXAMPLES`, else
``cls()`` with its defaults.

Attributes an op may set (usually as ``ClassVar``) to tell the checks what to expect (all
optional; read from the instance, so a property works too):

* ``changes_size: ClassVar[bool]``: the output image may have another height/width.
  Default: True for a `GeometricOp` that overrides ``out_size``, for combinators when a child
  changes size, False otherwise.
* ``changes_targets: ClassVar[bool]``: a non-geometric op that still edits mask, boxes or
  keypoints (CutOut writing an ignore label, SanitizeBoxes dropping boxes). Default False:
  non-geometric ops must leave every target identical.
* ``standardizes: ClassVar[bool]``: the op returns a standardised float32 image (zero mean,
  unit variance: values outside [0, 1], dtype changed), like `Whiten`. Put it last in a
  pipeline. Default False: dtype kept, float images stay in [0, 1].
* ``image_only``: True when the op refuses samples with mask, boxes or keypoints (it must
  raise an `AugkitError` for them); `check_op` checks that and then tests the image alone.
  A property works too, for ops where it depends on a field.
* ``accepts_channels: ClassVar[tuple[int, ...]]``: the channel counts the op takes (0 = grey
  HW), for ops that refuse others with an `AugkitError` (colour ops: ``(0, 1, 3, 4)``).
  `check_op` checks that an image with another count is refused. Default: any count.
* ``check_dot: ClassVar[bool]``: set False on an op whose output cannot be checked by
  following one bright blob (`check_op`'s dot test), e.g. one that moves pixels by design
  without moving targets. Colour changes, inversions, blurs and erased blobs need no flag:
  the dot test compares the blob's position, and skips draws where it lost its contrast.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from ._contract import (  # noqa: F401 (what an op declares: re-exported here, its public home)
    _FIELDS,
    _channel_count,
    assert_same,
    check_output,
    check_targets_follow_pixels,
    declares_changes_targets,
    mask_fill_misfits,
    may_change_size,
    may_change_targets,
    may_standardize,
    refuses_channels,
    refuses_targets,
)
from .core import Op, registered_ops
from .errors import AugkitError
from .sample import Sample, check_sample

__all__ = ["images", "edge_images", "EDGE_FLOATS", "samples", "seeds", "ops",
           "default_instance", "example_instances",
           "check_op", "check_window", "EXAMPLES", "DEFAULT_CHANNELS",
           "may_change_size", "may_change_targets", "may_standardize",
           "declares_changes_targets", "refuses_targets", "refuses_channels",
           "assert_same", "default_sample"]


# --- example instances of ops that need arguments ----------------------------------------

def _examples() -> dict[str, Callable[[], list[Op]]]:
    from .compose import Maybe, OneOf, Seq, SomeOf
    from .poor import Crop, HFlip, Pad, RandomResizedCrop, Resize, Rotate, Scale, Translate

    return {
        "Seq": lambda: [Seq((HFlip(p=1.0), Rotate(degrees=15.0))),
                        Seq((Translate(), Resize(size=(20, 18)))),
                        Seq((Scale(), Crop(size=12)), fuse=False)],
        "OneOf": lambda: [OneOf((HFlip(p=1.0), Rotate(degrees=15.0)), weights=(1.0, 2.0))],
        "SomeOf": lambda: [SomeOf((HFlip(p=1.0), Translate(), Pad(padding=2)), k=(1, 2))],
        "Maybe": lambda: [Maybe(Rotate(degrees=15.0), p=0.7)],
        # keep images small so the suite stays fast
        "Resize": lambda: [Resize(size=(20, 28)), Resize(size=9, interpolation="nearest")],
        "Crop": lambda: [Crop(size=12), Crop(size=(40, 8), position="center")],
        "RandomResizedCrop": lambda: [RandomResizedCrop(size=(16, 20))],
        "Pad": lambda: [Pad(padding=(1, 2, 3, 0), fill=0.5, mask_fill=3)],
        "HFlip": lambda: [HFlip(p=0.5), HFlip(p=1.0, keypoint_pairs=((0, 1), (2, 3)))],
    }


EXAMPLES: dict[str, Callable[[], list[Op]]] = {}
"""Op name -> function returning example instances, for ops whose defaults do not suffice.
Filled lazily with augkit's own entries; add yours with ``EXAMPLES["MyOp"] = lambda: [...]``
or give the class an ``example()`` classmethod."""


_FILLED: list[bool] = []  # augkit's own EXAMPLES entries added (on first use)


def example_instances(cls: type) -> list[Op]:
    """Valid instances of `cls` to test: ``cls.example()``, `EXAMPLES`, or ``cls()``.

    Only an ``example`` defined on `cls` itself counts (an inherited one would build the
    parent class)."""
    if not _FILLED:
        for k, v in _examples().items():
            EXAMPLES.setdefault(k, v)  # user entries win
        _FILLED.append(True)
    if "example" in cls.__dict__:
        got = cls.example()
        return list(got) if isinstance(got, (list, tuple)) else [got]
    if cls.__name__ in EXAMPLES:
        return list(EXAMPLES[cls.__name__]())
    return [cls()]


def default_instance(cls: type) -> Op:
    """One valid instance of `cls` (the first of `example_instances`)."""
    return example_instances(cls)[0]


# --- hypothesis strategies -------------------------------------------------------------------

def seeds():
    """Seeds for `numpy.random.default_rng`."""
    from hypothesis import strategies as st

    return st.integers(0, 2**32 - 1)


def _pixels(rng: np.random.Generator, shape, dtype, kind: str) -> np.ndarray:
    if kind == "constant":
        v = rng.random()
        x = np.full(shape, v, np.float32)
    elif kind == "smooth":  # low-frequency content: what interpolation preserves
        import cv2

        small = rng.random((3, 3) + shape[2:]).astype(np.float32)
        x = cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
        x = np.clip(x.reshape(shape), 0.0, 1.0)
    else:
        x = rng.random(shape, dtype=np.float32)
    if np.dtype(dtype) == np.uint8:
        return np.round(x * 255).astype(np.uint8)
    return x.astype(np.float32)


DEFAULT_CHANNELS: tuple[int, ...] = (0, 1, 3, 4, 2, 5)
"""Channel counts `images` draws when not told (0 = grayscale HW). 2 and 5 reach the paths
for channel counts OpenCV and PIL do not handle natively (more than 4 channels). With more
than 4 channels the height is kept above 4 when the width is, since an (H<=4, W>4, C>4)
array is refused as a likely CHW image."""


def images(dtype=None, min_side: int = 1, max_side: int = 32, channels=None, kind=None):
    """Valid augkit images: HWC (or HW when channels is 0), uint8 or float32 in [0, 1].

    dtype: np.uint8, np.float32 or None (either); channels: an int, a list to choose from,
    or None (`DEFAULT_CHANNELS`: 0 = grayscale HW, 1, 3, 4, 2 or 5); kind: "noise", "smooth",
    "constant" or None (any).
    """
    from hypothesis import strategies as st

    dtypes = [np.uint8, np.float32] if dtype is None else [dtype]
    if channels is None:
        chans = list(DEFAULT_CHANNELS)
    elif isinstance(channels, int):
        chans = [channels]
    else:
        chans = list(channels)
    kinds = ["noise", "smooth", "constant"] if kind is None else [kind]

    @st.composite
    def build(draw):
        h = draw(st.integers(min_side, max_side))
        w = draw(st.integers(min_side, max_side))
        c = draw(st.sampled_from(chans))
        if c > 4 and h <= 4 < w:  # (H<=4, W, C>4) is refused as a likely CHW array
            h = 5  # w > 4 means max_side >= 5
        dt = draw(st.sampled_from(dtypes))
        k = draw(st.sampled_from(kinds))
        seed = draw(st.integers(0, 2**32 - 1))
        shape = (h, w) if c == 0 else (h, w, c)
        return _pixels(np.random.default_rng(seed), shape, dt, k)

    return build()


EDGE_FLOATS = (0.0, 1.0, 0.5, float(np.nextafter(np.float32(1), np.float32(0))),
               float(np.finfo(np.float32).tiny), float(np.float32(1.4e-45)))
"""float32 values `edge_images` mixes in: the ends of [0, 1], the largest float32 below 1,
the smallest normal and the smallest subnormal float32."""


def edge_images(max_side: int = 8, channels=(0, 1, 3, 4), dtype=None):
    """Valid but awkward images: 1x1, 1xN and Nx1 shapes, grey HW, 1 and 4 channels,
    Fortran-ordered, non-contiguous and read-only arrays, and extreme values (uint8 0 and
    255; float32 0, 1, the float below 1, tiny and subnormal numbers, see `EDGE_FLOATS`).
    Ops must take all of them: same contract, no crash, input untouched."""
    from hypothesis import strategies as st

    dtypes = [np.uint8, np.float32] if dtype is None else [dtype]

    @st.composite
    def build(draw):
        h = draw(st.sampled_from([1, 1, 2, max_side]))
        w = draw(st.sampled_from([1, 1, 3, max_side]))
        c = draw(st.sampled_from(list(channels)))
        dt = np.dtype(draw(st.sampled_from(dtypes)))
        shape = (h, w) if c == 0 else (h, w, c)
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        pool = np.array([0, 255, 1, 254], np.uint8) if dt == np.uint8 else np.array(
            EDGE_FLOATS, np.float32)
        img = pool[rng.integers(0, len(pool), shape)]
        if draw(st.booleans()):  # some ordinary values too
            img = np.where(rng.random(shape) < 0.5, img, _pixels(rng, shape, dt, "noise"))
        layout = draw(st.sampled_from(["C", "F", "strided"]))
        if layout == "F":
            img = np.asfortranarray(img)
        elif layout == "strided":  # a view with steps in every axis
            big = np.repeat(np.repeat(img, 2, 0), 2, 1)
            img = big[::2, ::2]
        if draw(st.booleans()):
            img.flags.writeable = False
        return img

    return build()


def _boxes(rng, n, h, w):
    x = np.sort(rng.uniform(0, w, (n, 2)), 1)
    y = np.sort(rng.uniform(0, h, (n, 2)), 1)
    return np.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], 1).astype(np.float32)


def _keypoints(rng, shape, h, w):
    kp = np.empty(shape, np.float32)
    kp[..., 0] = rng.uniform(0, w, shape[:-1])
    kp[..., 1] = rng.uniform(0, h, shape[:-1])
    if shape[-1] == 3:
        kp[..., 2] = rng.integers(0, 3, shape[:-1])
    return kp


def samples(with_mask=None, with_boxes=None, with_keypoints=None, **image_kw):
    """Valid `Sample`s: an image from `images(**image_kw)` and targets in pixel-edge coords.

    with_*: True (always), False (never) or None (hypothesis decides). Masks are (H, W),
    (H, W, 2) or (H, W, 0) of uint8 / int32 / bool labels; boxes (N, 4) xyxy inside the image
    with labels (N may be 0); keypoints (K, 2) or (P, K, 3) with visibility in {0, 1, 2}, all
    inside the image (P may be 0).
    """
    from hypothesis import strategies as st

    def flag(v):
        return st.booleans() if v is None else st.just(bool(v))

    @st.composite
    def build(draw):
        img = draw(images(**image_kw))
        h, w = img.shape[:2]
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        t: dict[str, Any] = {}
        if draw(flag(with_mask)):
            dt = draw(st.sampled_from([np.uint8, np.int32, np.bool_]))
            shape = draw(st.sampled_from([(h, w), (h, w, 2), (h, w, 0)]))
            t["mask"] = (rng.integers(0, 2 if dt == np.bool_ else 5, shape)).astype(dt)
        if draw(flag(with_boxes)):
            n = draw(st.integers(0, 4))
            t["boxes"] = _boxes(rng, n, h, w)
            t["box_labels"] = np.arange(n, dtype=np.int64)
        if draw(flag(with_keypoints)):
            shape = draw(st.sampled_from([(5, 2), (2, 4, 3), (0, 4, 3)]))
            t["keypoints"] = _keypoints(rng, shape, h, w)
        return Sample(img, **t)

    return build()


def ops(names=None, geometric=None):
    """Example instances of registered ops (`example_instances` of each class).

    names: restrict to these op names; geometric: True/False keeps only (non-)geometric ops.
    """
    from hypothesis import strategies as st

    classes = registered_ops()
    chosen = sorted(classes) if names is None else list(names)
    pool = [op for n in chosen for op in example_instances(classes[n])
            if geometric is None or bool(op.geometric) == geometric]
    if not pool:
        raise ValueError(f"no registered op matches names={names!r} geometric={geometric!r}")
    return st.sampled_from(pool)


# --- the contract --------------------------------------------------------------------------

def check_window(op: Op, params: dict, size) -> None:
    """A GeometricOp's optional `window` must be what its `matrix` does: the integer window
    and flip that `functional.geometry.mirrored_window` reads off the matrix."""
    from .core import GeometricOp
    from .functional.geometry import mirrored_window
    from .probability import is_skipped

    if not isinstance(op, GeometricOp) or is_skipped(params):
        return
    win = op.window(params, size)
    if win is None:
        return
    name = type(op).__name__
    assert len(win) == 5 and all(type(v) is int for v in win[:4]), (
        f"{name}: window() gave {win!r}; expected (y0, y1, x0, x1, flip code) with int edges")
    vals = np.asarray(op.matrix(params, size), np.float64).ravel().tolist()
    want = mirrored_window(vals, tuple(op.out_size(params, size)), size)
    assert want == (win[:4], win[4]), (
        f"{name}: window() gave {win!r} for params {params!r} on {size}, but its matrix is "
        f"{'no resized window' if want is None else want}")


def _copy(s: Sample) -> Sample:
    return Sample(**{f: None if getattr(s, f) is None else np.array(getattr(s, f), copy=True)
                     for f in _FIELDS})


def default_sample(seed: int = 0) -> Sample:
    """A 24x32 RGB uint8 sample with a mask, 3 boxes and (2, 4, 3) keypoints."""
    rng = np.random.default_rng(seed)
    h, w = 24, 32
    img = _pixels(rng, (h, w, 3), np.uint8, "noise")
    mask = np.zeros((h, w), np.uint8)
    mask[4:14, 6:20] = 1
    mask[16:22, 2:9] = 2
    boxes = np.array([[6, 4, 20, 14], [2, 16, 9, 22], [0, 0, 32, 24]], np.float32)
    kp = _keypoints(rng, (2, 4, 3), h, w)
    kp[..., 2] = 2
    return Sample(img, mask=mask, boxes=boxes, box_labels=np.arange(3), keypoints=kp)


def check_op(op: Op, sample: Sample | None = None, seed: int = 0) -> None:
    """Run the op contract on `op`; raise AssertionError saying what broke.

    Checked: the same seed gives the same output; replaying ``apply(s, sample(rng, s))`` (with
    params passed through JSON) equals the call; params are JSON-able; ``to_dict`` /
    ``from_dict`` round-trips through JSON to an op with the same output; dtype and channels
    are kept, the size too unless the op may resize (`may_change_size`); non-geometric ops
    leave mask, boxes and keypoints identical (unless they declare ``changes_targets``); the
    input is never modified; boxes stay inside the image with their labels; the keypoint
    array keeps its shape; mask follows the image size. And the dot test: on a probe with one
    bright blob that the mask labels, a box encloses and keypoints sit on, the targets must
    end where the blob's pixels went (an op that moves the image but not the mask fails,
    whatever it declares); draws that crop the blob away are skipped. Ops that set
    ``check_dot = False`` or refuse targets skip it.

    The op's optional attributes ``changes_size``, ``changes_targets``, ``standardizes``,
    ``image_only`` and ``accepts_channels`` (see the module doc) relax the matching checks;
    an op must refuse, with an `AugkitError`, what it declares it does not take. `sample`
    defaults to `default_sample(seed)`.
    """
    from .serial import from_dict, to_dict

    name = type(op).__name__
    assert isinstance(op, Op), f"check_op: {op!r} is not an augkit Op"
    s = default_sample(seed) if sample is None else sample
    s = check_sample(s, op)
    if refuses_targets(op) and any(getattr(s, f) is not None for f in _FIELDS[1:]):
        if getattr(op, "image_only", False) is True:  # its own claim: it must refuse
            try:
                op(s, rng=np.random.default_rng(seed))
            except AugkitError:
                pass
            else:
                raise AssertionError(f"{name}: declares image_only but accepted a sample with "
                                     "targets instead of raising an AugkitError")
        s = Sample(s.image)  # (a combinator may skip the refusing child: no claim to check)
    c = _channel_count(s.image)
    if refuses_channels(op, c):
        try:  # the stream `run` below uses, so a combinator makes the same choices
            op(s, rng=np.random.default_rng([seed, 0]))
        except AugkitError:
            return
        accepted = getattr(op, "accepts_channels", None)
        if accepted is not None and c not in tuple(accepted):  # its own claim: must refuse
            raise AssertionError(f"{name}: declares accepts_channels={tuple(accepted)} but "
                                 f"accepted a {c}-channel image instead of raising an "
                                 "AugkitError")
        # a combinator that skipped the refusing child: check the output as usual
    if mask_fill_misfits(op, s):  # e.g. mask_fill=3 on a bool mask: it must refuse
        try:
            op(s, rng=np.random.default_rng([seed, 0]))
        except AugkitError:
            return
        raise AssertionError(f"{name}: mask_fill={op.mask_fill} does not fit the mask dtype "
                             f"{s.mask.dtype} but the op accepted it instead of raising an "
                             "AugkitError")
    before = _copy(s)

    def run(o, salt=0):
        return o(s, rng=np.random.default_rng([seed, salt]))

    out = run(op)
    assert isinstance(out, Sample), f"{name}: returned {type(out).__name__} for a Sample input"
    assert_same(s, before, f"{name}: the input was modified by the call")
    assert_same(out, run(op), f"{name}: same seed gave a different output")

    params = op.sample(np.random.default_rng([seed, 0]), s)
    assert_same(s, before, f"{name}: the input was modified by sample()")
    assert isinstance(params, dict), f"{name}: sample() returned {type(params).__name__}"
    try:
        text = json.dumps(params, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise AssertionError(f"{name}: params {params!r} are not JSON-able: {e}") from None
    replay = op.apply(s, json.loads(text))
    assert_same(s, before, f"{name}: the input was modified by apply()")
    assert_same(replay, out, f"{name}: apply(s, sample(rng, s)) differs from the call")
    replay2 = op.apply(s, copy.deepcopy(params))
    assert_same(replay2, out, f"{name}: apply() is not deterministic")
    check_window(op, params, s.size)

    check_output(op, s, out)
    if not refuses_targets(op) and getattr(op, "check_dot", True) is not False:
        check_targets_follow_pixels(op, s.image, seed)

    try:
        d = json.loads(json.dumps(to_dict(op)))
    except (TypeError, ValueError) as e:
        raise AssertionError(f"{name}: to_dict(op) is not JSON-able: {e}") from None
    try:
        op2 = from_dict(d)
    except (TypeError, ValueError) as e:
        raise AssertionError(f"{name}: from_dict(to_dict(op)) failed: {e} (ops must be "
                             "registered: defined at module level, name not starting with _)"
                             ) from None
    assert type(op2) is type(op), f"{name}: from_dict gave {type(op2).__name__}"
    assert to_dict(op2) == to_dict(op), f"{name}: to_dict/from_dict round trip changed the op"
    assert_same(run(op2), out, f"{name}: the op rebuilt by from_dict gives another output")
