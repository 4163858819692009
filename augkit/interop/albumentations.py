"""albumentations in augkit pipelines, and augkit ops out to albumentations.

* `from_albu(t)` wraps any albumentations transform (or ``Compose``) as an augkit op, so a
  pipeline can migrate one op at a time. Image, mask, boxes and keypoints are routed to
  albumentations' ``image`` / ``mask`` / ``bboxes`` / ``keypoints`` with format conversion.
* `to_albu(op)` / `to_albu_dict(op)` export augkit ops that have an albumentations twin
  (see ``TWINS`` and docs/interop.md for the table).

Randomness: the augkit rng draws one integer seed per call (``params = {"seed": s}``), and
the albumentations pipeline is re-seeded with it (``Compose.set_random_seed(s)``) just before
it runs. The same augkit rng therefore gives the same output, and ``op.apply(s, params)``
replays a call exactly. Each thread runs its own copy of the pipeline, so calls from
several threads give what the same calls give one after another. albumentations itself is
imported only when such an op is built.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..core import Op
from ..errors import type_error, value_error
from ..functional.geometry import hide_outside
from ..sample import Sample

# BboxParams fields that filter boxes: a wrapped Compose's values reach the routing Compose
_BBOX_FILTERS = ("min_area", "min_visibility", "min_width", "min_height", "max_accept_ratio",
                 "check_each_transform")


def _albu():
    import albumentations

    return albumentations


def _check_transform(t, where: str = "from_albu"):
    A = _albu()
    if not isinstance(t, (A.BasicTransform, A.BaseCompose)):
        raise type_error(where, "transform", f"is {type(t).__module__}.{type(t).__name__}; "
                         "expected an albumentations transform")


@dataclass(frozen=True)
class _AlbuBase(Op):
    """Shared runner: image/mask/bboxes/keypoints routing for a wrapped transform."""

    register: ClassVar[bool] = False

    def transform(self):  # the albumentations transform this op runs
        raise NotImplementedError

    @property
    def geometric(self) -> bool:  # type: ignore[override]
        A = _albu()
        t = self.transform()
        return isinstance(t, (A.DualTransform, A.BaseCompose))

    @property
    def changes_size(self) -> bool:  # for augkit.testing: dual transforms may crop/resize
        return self.geometric

    @property
    def changes_targets(self) -> bool:  # and may drop boxes
        return self.geometric

    @property
    def _pipeline(self):
        """This thread's routing ``Compose`` (see `_build`), built once per op and thread.
        Kept in the instance ``__dict__``, not a dataclass field, so eq, hash, to_dict and
        pickling ignore it."""
        local = self.__dict__.get("_threads")
        if local is None:  # setdefault: two threads racing here still share one local
            local = self.__dict__.setdefault("_threads", threading.local())
        c = getattr(local, "pipeline", None)
        if c is None:
            c = local.pipeline = self._build()
        return c

    def _build(self):
        """A routing ``Compose`` around this thread's own deep copy of the transform:
        albumentations re-seeds the transforms inside a pipeline in place (`set_random_seed`),
        and a Compose rewires the transforms it holds, so threads sharing one would draw from
        each other's seeds. A transform that cannot be copied (it holds a lock, a file) gets
        one routing Compose for all threads, built and called under ``_lock``."""
        try:
            own = copy.deepcopy(self.transform())
        except Exception:  # not copyable: one shared pipeline, one call at a time
            with self.__dict__.setdefault("_lock", threading.Lock()):
                if "_shared" not in self.__dict__:
                    self.__dict__["_shared"] = self._route(self.transform())
            return self.__dict__["_shared"]
        return self._route(own)

    def _route(self, t):
        """The routing Compose around `t`. A top-level ``Compose`` brings its ``BboxParams``
        filters (min_area, min_visibility, min_width, min_height, max_accept_ratio,
        check_each_transform), so boxes are filtered exactly as the Compose itself would."""
        A = _albu()
        filters = {}
        if isinstance(t, A.Compose):
            bp = t.processors.get("bboxes")
            if bp is not None:
                filters = {k: getattr(bp.params, k) for k in _BBOX_FILTERS}
            if t.processors or t.strict:
                t = A.Sequential(list(t.transforms), p=t.p)  # the routing Compose routes
        with warnings.catch_warnings():  # "no transform to process bboxes": benign here
            warnings.simplefilter("ignore", UserWarning)
            return A.Compose(
                [t], strict=False,
                bbox_params=A.BboxParams(format="pascal_voc", label_fields=["augkit_box"],
                                         clip=True, **filters),
                keypoint_params=A.KeypointParams(format="xy", label_fields=["augkit_kp"],
                                                 remove_invisible=False))

    def __getstate__(self):  # per-thread pipelines, the shared one and the lock stay behind
        return {k: v for k, v in self.__dict__.items()
                if k not in ("_threads", "_lock", "_shared")}

    def sample(self, rng, s):
        return {"seed": int(rng.integers(0, 2**32))}

    def apply(self, s: Sample, params: dict) -> Sample:
        c = self._pipeline
        boxes = np.zeros((0, 4), np.float32) if s.boxes is None else np.asarray(s.boxes)
        kp = None if s.keypoints is None else np.asarray(s.keypoints)
        flat_kp = np.zeros((0, 2)) if kp is None else kp.reshape(-1, kp.shape[-1])[:, :2] - 0.5
        mask = s.mask
        if mask is not None and mask.dtype == np.bool_:
            mask = mask.astype(np.uint8)
        kwargs: dict[str, Any] = {"image": s.image.copy(), "bboxes": boxes.copy(),
                                  "augkit_box": np.arange(len(boxes)), "keypoints": flat_kp,
                                  "augkit_kp": np.arange(len(flat_kp))}
        if mask is not None and mask.size:  # a (H, W, 0) mask has nothing to move
            kwargs["mask"] = mask.copy()
        try:
            with self.__dict__.get("_lock") or contextlib.nullcontext():
                c.set_random_seed(int(params["seed"]))
                r = c(**kwargs)
        except Exception as e:  # an albumentations failure names the augkit op and the input
            raise value_error(self, "transform", f"failed on image {s.image.shape} "
                              f"{s.image.dtype}: {type(e).__name__}: {e}") from e
        return _back(s, r, kp)


def _back(s: Sample, r: dict, kp) -> Sample:
    img = np.asarray(r["image"])
    if s.image.ndim == 2 and img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.dtype != s.image.dtype:
        img = np.clip(img, 0, 1 if s.image.dtype == np.float32 else 255).astype(s.image.dtype)
    oh, ow = img.shape[:2]
    changes: dict[str, Any] = {"image": img}
    if s.mask is not None and "mask" not in r:
        changes["mask"] = np.zeros((oh, ow) + s.mask.shape[2:], s.mask.dtype)
    elif s.mask is not None:
        changes["mask"] = np.asarray(r["mask"]).astype(s.mask.dtype).reshape(
            (oh, ow) + s.mask.shape[2:])
    if s.boxes is not None:  # albumentations drops boxes cropped away: labels follow
        keep = np.asarray(r["augkit_box"], dtype=np.int64)
        b = np.asarray(r["bboxes"], np.float32).reshape(-1, 4)[:, :4]
        changes["boxes"] = np.clip(b, 0, [ow, oh, ow, oh]).astype(np.float32)
        if s.box_labels is not None:
            changes["box_labels"] = np.asarray(s.box_labels)[keep]
    if kp is not None:
        out = np.array(kp, dtype=kp.dtype if kp.dtype in (np.float32, np.float64) else np.float32)
        flat = out.reshape(-1, out.shape[-1])
        kept = np.asarray(r["augkit_kp"], dtype=np.int64)
        flat[kept, :2] = np.asarray(r["keypoints"], np.float64).reshape(-1, 2)[:, :2] + 0.5
        if flat.shape[1] == 3:
            # points albumentations dropped stay where they were, invisible; and augkit's
            # rule: a keypoint that leaves the image is not visible
            flat[np.setdiff1d(np.arange(len(flat)), kept), 2] = 0
            hide_outside(flat, (oh, ow))
        changes["keypoints"] = flat.reshape(out.shape)
    return s.replace(**changes)


def _spec_of(t) -> str:
    return json.dumps(_albu().to_dict(t), sort_keys=True)


@dataclass(frozen=True)
class Albu(_AlbuBase):
    """An albumentations transform as an augkit op, stored as albumentations' own
    serialisation (``spec``: the JSON of ``albumentations.to_dict(t)``), so pipelines that
    contain it still save and load. Build it with `from_albu`."""

    spec: str = field(default='{"__version__": "2.0.8", "transform": {"__class_fullname__": '
                      '"HorizontalFlip", "p": 0.5}}')

    def validate(self):
        try:
            t = _albu().from_dict(json.loads(self.spec))
        except Exception as e:
            raise value_error(self, "spec", f"is not an albumentations serialisation "
                              f"({type(e).__name__}: {e})") from e
        object.__setattr__(self, "_transform", t)

    def transform(self):
        return self.__dict__["_transform"]


@dataclass(frozen=True)
class _AlbuObject(_AlbuBase):
    """A transform albumentations cannot serialise (e.g. ``Lambda``): works, never saves."""

    albu: Any = None

    def validate(self):
        _check_transform(self.albu)

    def transform(self):
        return self.albu


def from_albu(t, native: bool = False) -> Op:
    """Wrap an albumentations transform (or ``Compose``) as an augkit op.

    Routing: augkit image -> ``image``; mask (H, W[, K]) -> ``mask``; boxes (xyxy pixel
    edges) -> ``bboxes`` as ``pascal_voc`` (boxes albumentations drops take their
    ``box_labels`` with them); keypoints (..., 2|3) -> ``keypoints`` as ``xy`` minus 0.5
    (albumentations keypoints are pixel indices), visibility kept and zeroed off-image.

    A ``Compose`` is kept whole (its spec includes its ``BboxParams``), and its box filters
    apply as in albumentations itself: ``min_area``, ``min_visibility``, ``min_width``,
    ``min_height``, ``max_accept_ratio`` and ``check_each_transform`` (the ``format`` and
    ``label_fields`` are augkit's: pascal_voc, labels follow their boxes). Its
    ``KeypointParams`` do not: augkit keeps every keypoint (fixed shapes), marking those that
    leave the image not visible, where ``remove_invisible=True`` would delete them.

    Thread-safe: each thread runs its own copy of the transform (see `_AlbuBase._build`).

    ``native=True`` converts instead where augkit has the twin with the same parameters
    (``augkit.poor._catalog.NATIVE``: the flips, crops, max-size resizes, PadIfNeeded, the
    D4 family and the pixel ops of issue 15; ``border_mode`` 0-4 maps to augkit's ``border``);
    a ``Compose`` /
    ``Sequential`` whose transforms all convert becomes a `Seq` (its bbox / keypoint params
    are not carried: augkit moves every target). Anything else is still wrapped whole.
    """
    _check_transform(t)
    if native:
        from ..poor._catalog import native_op

        op = native_op(t)
        if op is not None:
            return op
    try:
        return Albu(spec=_spec_of(t))
    except Exception:  # not serialisable: keep the object itself
        return _AlbuObject(albu=t)


# --- export -----------------------------------------------------------------------------

def _cv(interp: str) -> int:
    import cv2

    return {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
            "area": cv2.INTER_AREA, "lanczos": cv2.INTER_LANCZOS4}[interp]


def _sym(v) -> tuple[float, float]:
    return (-float(v), float(v)) if isinstance(v, (int, float)) else (float(v[0]), float(v[1]))


def _neg(r) -> tuple[float, float]:
    """albumentations shears the other way round: augkit's +d is its -d."""
    lo, hi = _sym(r)
    return (-hi, -lo)


def _hw(size) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else tuple(size)


def _bm(op) -> int:
    """albumentations' border_mode (a cv2.BORDER_* int) for the op's border."""
    from ..functional.geometry import CV_BORDERS

    return CV_BORDERS[getattr(op, "border", "constant")]


def _warp_kw(op) -> dict:
    kw = {"interpolation": _cv(getattr(op, "interpolation", "linear")), "border_mode": _bm(op)}
    if hasattr(op, "fill"):
        kw["fill"] = op.fill
    if hasattr(op, "mask_fill"):
        kw["fill_mask"] = op.mask_fill
    return kw


def _affine(A, op, **kw):
    return A.Affine(**kw, **_warp_kw(op), p=1.0)


def _translate(A, op):
    key = "translate_percent" if op.unit == "fraction" else "translate_px"
    return _affine(A, op, **{key: {"x": tuple(op.x), "y": tuple(op.y)}})


def _crop(A, op):
    h, w = _hw(op.size)
    cls = A.CenterCrop if op.position == "center" else A.RandomCrop
    return cls(height=h, width=w, pad_if_needed=True, fill=op.fill, fill_mask=op.mask_fill,
               border_mode=_bm(op), p=1.0)


def _pad(A, op):
    l, t, r, b = op._ltrb()
    return A.Pad(padding=(l, t, r, b), fill=op.fill, fill_mask=op.mask_fill, border_mode=_bm(op),
                 p=1.0)


def _pair(v) -> tuple:
    return tuple(v) if isinstance(v, tuple) else (v, v)


def _jitter(v) -> tuple[float, float]:  # ColorJitter's x -> (max(0, 1 - x), 1 + x)
    return (max(0.0, 1.0 - v), 1.0 + v) if isinstance(v, (int, float)) else tuple(v)


def _blur(A, op):
    if op.kind == "gaussian":
        return A.GaussianBlur(blur_limit=_pair(op.kernel), sigma_limit=_pair(op.sigma), p=1.0)
    cls = A.MedianBlur if op.kind == "median" else A.Blur
    return cls(blur_limit=_pair(op.kernel), p=1.0)


def _cutout(A, op):
    hw = (op.size, op.size) if not isinstance(op.size, tuple) else op.size
    return A.CoarseDropout(num_holes_range=(op.holes, op.holes), hole_height_range=(hw[0], hw[0]),
                           hole_width_range=(hw[1], hw[1]), fill=op.fill,
                           fill_mask=op.mask_fill, p=1.0)


def _weighted(A, op):
    ws = op.weights or (1.0,) * len(op.ops)
    return [A.Sequential([to_albu(o)], p=float(w)) for o, w in zip(op.ops, ws)]


# augkit op name -> builder of its albumentations twin (same distribution of outputs).
TWINS: dict = {
    "HFlip": lambda A, op: A.HorizontalFlip(p=op.p),
    "VFlip": lambda A, op: A.VerticalFlip(p=op.p),
    "Rotate": lambda A, op: A.Rotate(limit=_sym(op.degrees), **_warp_kw(op), p=1.0),
    "Affine": lambda A, op: _affine(
        A, op, rotate=_sym(op.degrees), scale=tuple(op.scale), shear={"x": _neg(op.shear),
                                                                      "y": (0.0, 0.0)},
        translate_percent={"x": (-op.translate[0], op.translate[0]),
                           "y": (-op.translate[1], op.translate[1])}),
    "Scale": lambda A, op: _affine(A, op, scale=tuple(op.scale), keep_ratio=op.keep_aspect),
    "Translate": _translate,
    "Shear": lambda A, op: _affine(A, op, shear={"x": _neg(op.x), "y": _neg(op.y)}),
    "Resize": lambda A, op: A.Resize(*_hw(op.size), interpolation=_cv(op.interpolation), p=1.0),
    "RandomResizedCrop": lambda A, op: A.RandomResizedCrop(
        size=_hw(op.size), scale=tuple(op.scale), ratio=tuple(op.ratio),
        interpolation=_cv(op.interpolation), p=1.0),
    "Crop": _crop,
    "Pad": _pad,
    "ColorShift": lambda A, op: A.ColorJitter(
        brightness=_jitter(op.brightness), contrast=_jitter(op.contrast),
        saturation=_jitter(op.saturation), hue=_sym(op.hue), p=1.0),
    "RGBShift": lambda A, op: A.RGBShift(r_shift_limit=_sym(op.r_shift),
                                         g_shift_limit=_sym(op.g_shift),
                                         b_shift_limit=_sym(op.b_shift), p=1.0),
    "Blur": _blur,
    "MotionBlur": lambda A, op: A.MotionBlur(blur_limit=_pair(op.kernel),
                                             angle_range=_pair(op.angle), allow_shifted=False,
                                             p=1.0),
    "Invert": lambda A, op: A.InvertImg(p=1.0),
    "Equalize": lambda A, op: A.Equalize(p=1.0),
    "AutoContrast": lambda A, op: A.AutoContrast(p=1.0),
    "Posterize": lambda A, op: A.Posterize(num_bits=op.bits, p=1.0),
    "Solarize": lambda A, op: A.Solarize(
        threshold_range=tuple(min(v / 255, 1.0) for v in _pair(op.threshold)), p=1.0),
    "ElasticDistortion": lambda A, op: A.ElasticTransform(
        alpha=op.alpha, sigma=op.sigma, interpolation=_cv(op.interpolation), border_mode=_bm(op),
        fill=op.fill, fill_mask=op.mask_fill, p=1.0),
    "GridDistortion": lambda A, op: A.GridDistortion(
        num_steps=op.num_steps, distort_limit=_sym(op.distort_limit),
        interpolation=_cv(op.interpolation), border_mode=_bm(op), fill=op.fill,
        fill_mask=op.mask_fill, p=1.0),
    "CutOut": _cutout,
    "Identity": lambda A, op: A.NoOp(p=1.0),
    "Seq": lambda A, op: A.Sequential([to_albu(o) for o in op.ops], p=1.0),
    "OneOf": lambda A, op: A.OneOf(_weighted(A, op), p=1.0),
    "SomeOf": lambda A, op: A.SomeOf(_weighted(A, op), n=op.k, replace=False, p=1.0),
    "Maybe": lambda A, op: A.Sequential([to_albu(op.op)], p=float(op.p)),
    "Albu": lambda A, op: op.transform(),
    "_AlbuObject": lambda A, op: op.albu,
}


def _mx(v):  # augkit max_size (int or tuple) -> albumentations (int or list)
    return v if isinstance(v, int) else list(v)


TWINS.update({
    "CenterCrop": lambda A, op: A.CenterCrop(
        *_hw(op.size), pad_if_needed=op.pad_if_needed, border_mode=_bm(op), fill=op.fill,
        fill_mask=op.mask_fill, p=op.p),
    "LongestMaxSize": lambda A, op: A.LongestMaxSize(
        max_size=_mx(op.max_size), interpolation=_cv(op.interpolation), p=op.p),
    "SmallestMaxSize": lambda A, op: A.SmallestMaxSize(
        max_size=_mx(op.max_size), interpolation=_cv(op.interpolation), p=op.p),
    "PadIfNeeded": lambda A, op: A.PadIfNeeded(
        op.min_height, op.min_width, op.pad_height_divisor, op.pad_width_divisor,
        position=op.position, border_mode=_bm(op), fill=op.fill, fill_mask=op.mask_fill,
        p=op.p),
    "RandomRotate90": lambda A, op: A.RandomRotate90(p=op.p),
    "Transpose": lambda A, op: A.Transpose(p=op.p),
    "D4": lambda A, op: A.D4(p=op.p),
    "Grayscale": lambda A, op: A.ToGray(num_output_channels=3, p=op.p),
    "ChannelShuffle": lambda A, op: A.ChannelShuffle(p=op.p),
    "ChannelDropout": lambda A, op: A.ChannelDropout(
        channel_drop_range=op.channel_drop_range, fill=op.fill_value, p=op.p),
    "RandomGamma": lambda A, op: A.RandomGamma(
        gamma_limit=tuple(100.0 * v for v in _pair(op.gamma)), p=op.p),
    "GaussianNoise": lambda A, op: A.GaussNoise(
        std_range=_pair(op.std), mean_range=_pair(op.mean), per_channel=op.per_channel,
        p=op.p),
    "SaltAndPepper": lambda A, op: A.SaltAndPepper(
        amount=_pair(op.amount), salt_vs_pepper=_pair(op.salt_vs_pepper), p=op.p),
    "MedianBlur": lambda A, op: A.MedianBlur(blur_limit=_pair(op.kernel), p=op.p),
    "Sharpen": lambda A, op: A.Sharpen(alpha=_pair(op.alpha), lightness=_pair(op.lightness),
                                       method="kernel", p=op.p),
    "Normalize": lambda A, op: A.Normalize(mean=op.mean, std=op.std, max_pixel_value=255.0,
                                           p=1.0),
    "HueSaturationValue": lambda A, op: A.HueSaturationValue(
        hue_shift_limit=_sym(op.hue_shift_limit), sat_shift_limit=_sym(op.sat_shift_limit),
        val_shift_limit=_sym(op.val_shift_limit), p=op.p),
    "CLAHE": lambda A, op: A.CLAHE(clip_limit=_pair(op.clip_limit),
                                   tile_grid_size=tuple(op.tile_grid_size), p=op.p),
    "JpegCompression": lambda A, op: _no_twin(op, "rgb") if op.rgb else A.ImageCompression(
        compression_type="jpeg", quality_range=_pair(op.quality), p=op.p),
    "PlanckianJitter": lambda A, op: A.PlanckianJitter(
        mode=op.mode, temperature_limit=_kelvins(op), sampling_method="uniform", p=op.p),
    "Illumination": lambda A, op: A.Illumination(
        mode=op.mode, intensity_range=_within(op, "intensity", 0.01, 0.2),
        effect_type=op.effect, angle_range=tuple(op.angle), center_range=tuple(op.center),
        sigma_range=_within(op, "sigma", 0.2, 1.0), p=op.p),
    "Perspective": lambda A, op: A.Perspective(
        scale=op._scale(), keep_size=op.keep_size, fit_output=op.fit_output, **_warp_kw(op),
        p=op.p),
    "OpticalDistortion": lambda A, op: A.OpticalDistortion(
        distort_limit=_sym(op.distort_limit), mode=op.mode, **_warp_kw(op), p=op.p),
    "ThinPlateSpline": lambda A, op: A.ThinPlateSpline(
        scale_range=tuple(op.scale_range), num_control_points=op.num_control_points,
        **_warp_kw(op), p=op.p),
})


def _no_twin(op, field: str):
    raise value_error(op, field, f"is {getattr(op, field)!r}; albumentations has no twin")


def _kelvins(op) -> tuple[int, int]:
    """PlanckianJitter's range as albumentations takes it: whole kelvins around 6000 K."""
    lo, hi = op._range()
    if not (lo <= 6000 <= hi and float(lo).is_integer() and float(hi).is_integer()):
        raise value_error(op, "temperature", f"is {op.temperature!r}; albumentations' twin "
                          "needs whole kelvins with 6000 K inside the range")
    return (int(lo), int(hi))


def _within(op, field: str, lo: float, hi: float) -> tuple[float, float]:
    """A range field albumentations bounds more tightly than augkit (Illumination)."""
    r = tuple(float(v) for v in getattr(op, field))
    if not (lo <= r[0] and r[1] <= hi):
        raise value_error(op, field, f"is {getattr(op, field)!r}; albumentations' twin takes "
                          f"ranges within [{lo:g}, {hi:g}]")
    return r


def to_albu(op: Op):
    """The albumentations twin of `op` (combinators included); raises for ops without one."""
    if not isinstance(op, Op):
        raise type_error("to_albu", "op", f"is {type(op).__name__}; expected an augkit op")
    build = TWINS.get(type(op).__name__)
    if build is None:
        raise value_error(op, "op", f"{type(op).__name__} has no albumentations twin; ops "
                          f"that have one: {sorted(k for k in TWINS if not k.startswith('_'))}")
    twin = build(_albu(), op)
    if type(op).contract_p and op.p != 1.0:
        twin.p = float(op.p)  # the contract's p: every albumentations transform has one
    return twin


def to_albu_dict(op: Op) -> dict:
    """``albumentations.to_dict`` of the twin: load it with ``albumentations.from_dict``."""
    return _albu().to_dict(to_albu(op))
