"""The batch-level contract: `SampleBatch`, the `BatchMixer` base, label handling, serialisation.

Mixers mirror the op contract one level up: ``sample(rng, batch) -> params`` draws plain,
JSON-able values (permutations as lists, boxes as ints) from an explicit numpy Generator and
reads only shapes; ``apply(batch, params) -> batch`` is pure torch on the batch's device.
They are frozen dataclasses kept in their own registry (`MIXERS`), not the op registry: a
mixer takes a batch, not a `Sample`, so the per-sample contract does not apply to it.
Serialised names carry a ``mix.`` prefix (``{"type": "mix.CutOut", ...}``) so the batch
CutOut never collides with the per-sample one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from ..discovery import import_defining
from ..errors import type_error, value_error
from ..fields import freeze_value
from ..rng import resolve_rng
from ..serial import Kind, from_dict, to_dict
from ._checks import (
    Pending,
    as_tensors,
    box_values,
    check_layout,
    dense,
    finite,
    keypoint_values,
    soft_label_values,
)
from ._instances import check_instances, check_weights

MIXERS: dict[str, type] = {}
PREFIX = "mix."


@dataclass(frozen=True, eq=False)
class SampleBatch:
    """A batch and the targets that must follow its pixels: the batch counterpart of
    `augkit.Sample` (`Batch` is its former name, still accepted).

    images: (B, C, H, W) uint8 or floating tensor, any device.
    labels: (B,) class indices (int) or (B, K) soft labels (float); None when absent.
    masks: (B, H, W) integer label maps; or (B, K, H, W) integer / bool instance masks:
        plane k of image i is instance k's mask (its nonzero pixels), the planes from
        ``instance_counts[i]`` on are empty padding; or (B, K, H, W) float soft masks (the
        output of MixUp's ``mask_mode="soft"`` on label maps; not mixed again).
    boxes: list of B tensors (N_i, 4) xyxy in pixel-edge coordinates. With instance masks,
        box k is instance k's box (N_i == instance_counts[i]).
    box_labels: list of B tensors (N_i,), kept in step with boxes.
    keypoints: list of B tensors (..., 2) xy or (..., 3) xy + visibility, e.g. (people, K, 3).
    instance_counts: with instance masks, the number of planes each image uses: B ints (a
        list, numpy array or tensor; the mixers return a list). None: ``len(boxes[i])`` with
        boxes, else K for every image. `augkit.loader.SampleCollate` fills it in.
    instance_weights: list of B float tensors (N_i,), one weight per instance (box / plane),
        e.g. for a weighted detection loss; None means 1. MixUp sets them (an image's own
        instances lam, its partner's 1 - lam); the other mixers keep them in step.
    """

    images: Any
    labels: Any = None
    masks: Any = None
    boxes: Any = None
    box_labels: Any = None
    keypoints: Any = None
    instance_counts: Any = None
    instance_weights: Any = None

    @property
    def size(self) -> tuple[int, int]:
        return int(self.images.shape[-2]), int(self.images.shape[-1])

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def replace(self, **changes) -> SampleBatch:
        return SampleBatch(**{**self.__dict__, **changes})  # dataclasses.replace is slower


Batch = SampleBatch  # the former name


def check_batch(op, b: SampleBatch, num_classes: int | None) -> SampleBatch:
    """Validate shapes, dtypes, layout and values; class indices become soft labels (B, K)
    float32. Refused with a typed error naming the op, the field and the shape: sparse or
    meta tensors, channels-last or empty images, NaN/inf in float images, soft labels, boxes
    or keypoints, inverted boxes, soft labels that are not probabilities.

    Device syncs: one for the value checks (float images, soft labels, boxes, keypoints) and
    one min/max check of integer labels off the CPU; none for a uint8 batch with class
    indices on the CPU."""
    if not isinstance(b, SampleBatch):
        raise type_error(op, "input", f"is {type(b).__name__}; expected augkit.mix.SampleBatch")
    x = b.images
    if not isinstance(x, torch.Tensor):
        raise type_error(op, "images", f"are {type(x).__name__}; expected a torch tensor "
                         "(B, C, H, W)")
    dense(op, "images", x)
    if x.ndim != 4:
        raise value_error(op, "images", f"have {x.ndim} dims {tuple(x.shape)}; expected "
                          "(B, C, H, W)")
    if not (x.dtype == torch.uint8 or x.is_floating_point()):
        raise type_error(op, "images", f"have dtype {x.dtype} {tuple(x.shape)}; expected "
                         "torch.uint8 or a floating dtype")
    check_layout(op, x)
    n, _, h, w = x.shape
    pending = Pending()
    finite(pending, op, "images", x, f"of shape {tuple(x.shape)} {x.dtype}")
    changes: dict = {}
    if b.labels is not None:
        changes["labels"] = soft_labels(op, b.labels, n, num_classes, x.device, pending)
    if b.masks is not None:
        m = b.masks
        if not isinstance(m, torch.Tensor):
            raise type_error(op, "masks", f"are {type(m).__name__}; expected a torch tensor "
                             "(B, H, W)")
        dense(op, "masks", m)
        if m.device != x.device:
            raise value_error(op, "masks", f"are on {m.device} {tuple(m.shape)}; expected "
                              f"{x.device} like the images")
        if m.ndim != 4:
            if m.ndim != 3 or tuple(m.shape) != (n, h, w):
                raise value_error(op, "masks", f"have shape {tuple(m.shape)}; expected "
                                  f"({n}, {h}, {w}) to match images {tuple(x.shape)} (or "
                                  f"({n}, K, {h}, {w}) instance masks)")
            if m.is_floating_point() or m.is_complex():
                raise type_error(op, "masks", f"have dtype {m.dtype}; expected integer labels")
    for name in ("boxes", "box_labels", "keypoints"):
        v = getattr(b, name)
        if v is None:
            continue
        if not isinstance(v, (list, tuple)) or len(v) != n:
            got = len(v) if isinstance(v, (list, tuple)) else type(v).__name__
            raise value_error(op, name, f"are {got}; expected a list of {n} tensors, one per "
                              "image")
        changes[name] = as_tensors(op, name, v, x.device)
    if b.boxes is not None:
        for i, t in enumerate(changes["boxes"]):
            if t.ndim != 2 or t.shape[1] != 4:
                raise value_error(op, "boxes", f"[{i}] has shape {tuple(t.shape)}; expected "
                                  "(N, 4) xyxy")
        if b.box_labels is not None:
            for i, (t, lab) in enumerate(zip(changes["boxes"], changes["box_labels"])):
                if lab.shape[:1] != t.shape[:1]:
                    raise value_error(op, "box_labels", f"[{i}] has shape {tuple(lab.shape)}; "
                                      f"expected ({t.shape[0]},) to match its boxes")
        box_values(pending, op, changes["boxes"])
    elif b.box_labels is not None:
        raise value_error(op, "box_labels", "given without boxes")
    if b.keypoints is not None:
        for i, t in enumerate(changes["keypoints"]):
            if t.ndim < 1 or t.shape[-1] not in (2, 3):
                raise value_error(op, "keypoints", f"[{i}] has shape {tuple(t.shape)}; "
                                  "expected (..., 2) xy or (..., 3) xy + visibility")
        keypoint_values(pending, op, changes["keypoints"])
    _check_instance_fields(op, b, changes, n, h, w, pending)
    pending.check()
    return b.replace(**changes) if changes else b


def _check_instance_fields(op, b: SampleBatch, changes: dict, n, h, w, pending) -> None:
    """Instance masks, `instance_counts` and `instance_weights` (see `SampleBatch`)."""
    inst = b.masks is not None and b.masks.ndim == 4
    if inst:
        changes.update(check_instances(op, b, changes, n, h, w, pending))
        return
    if b.instance_counts is not None:
        raise value_error(op, "instance_counts", "given without (B, K, H, W) instance masks")
    if b.instance_weights is not None:
        if b.boxes is None:
            raise value_error(op, "instance_weights", "given without boxes or instance masks")
        counts = [int(t.shape[0]) for t in changes["boxes"]]
        changes["instance_weights"] = check_weights(op, b.instance_weights, counts, n,
                                                    b.images.device, pending)


def soft_labels(op, y, n: int, num_classes: int | None, device,
                pending: Pending | None = None) -> torch.Tensor:
    """Class indices (B,) -> one-hot float32 (B, K); soft labels (B, K) pass through, their
    values checked through `pending` (checked here when None)."""
    if not isinstance(y, torch.Tensor):
        raise type_error(op, "labels", f"are {type(y).__name__}; expected a torch tensor")
    dense(op, "labels", y)
    if y.shape[:1] != (n,):
        raise value_error(op, "labels", f"have shape {tuple(y.shape)}; expected ({n},) class "
                          f"indices or ({n}, K) soft labels for {n} images")
    y = y.to(device)
    if y.ndim == 2 and y.is_floating_point():
        if num_classes is not None and y.shape[1] != num_classes:
            raise value_error(op, "labels", f"have {y.shape[1]} classes {tuple(y.shape)}; "
                              f"expected num_classes={num_classes}")
        own = pending is None
        pending = Pending() if own else pending
        soft_label_values(pending, op, y)
        if own:
            pending.check()
        return y
    if y.ndim != 1 or y.is_floating_point() or y.dtype == torch.bool:
        raise type_error(op, "labels", f"have dtype {y.dtype} and shape {tuple(y.shape)}; "
                         "expected (B,) integer class indices or (B, K) float soft labels")
    if num_classes is None:
        raise value_error(op, "num_classes", "is None; class-index labels need num_classes "
                          "(or pass soft labels (B, K))")
    y = y.long()
    if num_classes <= _EYE_MAX and y.device.type == "cpu":
        # CPU: one row gather from a cached identity; index_select itself rejects indices
        # out of range (no separate min/max pass), and the error is rebuilt below
        try:
            return _eye(num_classes, y.device).index_select(0, y)
        except IndexError:
            pass
    lo, hi = torch.stack(torch.aminmax(y)).tolist()  # one device sync
    if lo < 0 or hi >= num_classes:
        raise value_error(op, "labels", f"span [{lo}, {hi}]; expected class indices in "
                          f"[0, {num_classes})")
    out = torch.zeros((n, num_classes), dtype=torch.float32, device=device)
    return out.scatter_(1, y[:, None], 1.0)


_EYE_MAX = 2048  # cache identities up to 16 MB; larger label spaces scatter into zeros
_EYES: dict = {}


def _eye(k: int, device) -> torch.Tensor:
    """A cached float32 identity (k, k) (read only: callers gather rows into new tensors)."""
    key = (k, str(device))
    e = _EYES.get(key)
    if e is None:
        e = _EYES[key] = torch.eye(k, dtype=torch.float32, device=device)
    return e


def smooth(y: torch.Tensor, eps: float) -> torch.Tensor:
    """Label smoothing: (1 - eps) * y + eps / K (applied after mixing; the same thing as
    timm's smoothing before mixing, because mixing weights sum to 1)."""
    if not eps:
        return y
    return y * (1.0 - eps) + eps / y.shape[1]


def check_common(op) -> None:
    nc = op.num_classes
    if nc is not None and not (isinstance(nc, int) and not isinstance(nc, bool) and nc >= 1):
        raise value_error(op, "num_classes", f"is {nc!r}; expected None or an int >= 1")
    eps = op.label_smoothing
    if not (isinstance(eps, (int, float)) and 0.0 <= eps < 1.0):
        raise value_error(op, "label_smoothing", f"is {eps!r}; expected a number in [0, 1)")


def check_positive(op, field: str, v) -> None:
    if not (isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
            and v > 0):
        raise value_error(op, field, f"is {v!r}; expected a finite number > 0")


@dataclass(frozen=True)
class BatchMixer:
    """Base of the batch mixers. Subclasses implement `sample` and `mix(batch, params)`,
    where `batch` is validated and its labels are already soft (B, K) float."""

    register: ClassVar[bool] = False

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if not cls.__name__.startswith("_") and cls.__dict__.get("register", True):
            MIXERS[cls.__name__] = cls

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, list):  # e.g. from YAML: tuples keep mixers hashable
                object.__setattr__(self, f.name, freeze_value(v))
        self.validate()

    def validate(self) -> None:
        """Check the fields; raise `value_error(self, field, what)` on bad ones."""

    # -- the contract ---------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, batch: SampleBatch) -> dict:
        """Draw this batch's parameters (plain JSON-able values) from shapes only."""
        raise NotImplementedError(f"{type(self).__name__}.sample")

    def mix(self, batch: SampleBatch, params: dict) -> SampleBatch:
        raise NotImplementedError(f"{type(self).__name__}.mix")

    def apply(self, batch: SampleBatch, params: dict) -> SampleBatch:
        """Mix with fixed parameters; pure (inputs are never modified)."""
        return self._mix_checked(check_batch(self, batch, self.classes()), params)

    def _mix_checked(self, b: SampleBatch, params: dict) -> SampleBatch:
        out = self.mix(b, params)
        if out.labels is not None and self.label_smoothing:
            out = out.replace(labels=smooth(out.labels, self.label_smoothing))
        return out

    def __call__(self, images, labels=None, rng: np.random.Generator | None = None):
        """``mixer(images, labels)`` -> ``(images, soft_labels)``; ``mixer(batch)`` -> SampleBatch.
        `rng` may also come second: ``mixer(batch, rng)``, ``mixer(images, rng)``."""
        if isinstance(labels, np.random.Generator):  # the rng given positionally
            if rng is not None:
                raise type_error(self, "labels", "are a numpy Generator and rng is given too; "
                                 "expected labels as a torch tensor")
            labels, rng = None, labels
        rng = resolve_rng(rng, self)
        if isinstance(images, SampleBatch):
            if labels is not None:
                if not isinstance(labels, torch.Tensor):
                    raise type_error(self, "rng", f"is {type(labels).__name__} (second "
                                     "argument); expected a numpy.random.Generator")
                raise value_error(self, "labels", "given twice (inside the SampleBatch and apart)")
            b = check_batch(self, images, self.classes())
            return self._mix_checked(b, self.sample(rng, b))
        b = check_batch(self, SampleBatch(images, labels), self.classes())
        out = self._mix_checked(b, self.sample(rng, b))
        return out.images, out.labels

    def pair(self, images, labels, rng: np.random.Generator | None = None):
        """The ``(images, y_a, y_b, lam)`` form for training with hard labels: the loss is
        ``lam * loss(y_a) + (1 - lam) * loss(y_b)`` (see `mix_loss`); lam is a (B,) float
        tensor. Only for mixers that combine two images (not RICAP)."""
        rng = resolve_rng(rng, self)
        b = check_batch(self, SampleBatch(images), None)
        n = len(b)
        if isinstance(labels, torch.Tensor):
            dense(self, "labels", labels)
        if not isinstance(labels, torch.Tensor) or labels.shape != (n,) or \
                labels.is_floating_point():
            got = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels)
            raise value_error(self, "labels", f"are {got}; the pair form needs ({n},) class "
                              "indices")
        params = self.sample(rng, b)
        perm, lam = self.pair_weights(params, b)
        dev = b.images.device
        out = self.mix(b, params)
        y = labels.to(dev)
        lam_t = torch.as_tensor(lam, dtype=torch.float32, device=dev).expand(n).clone()
        return out.images, y, y.index_select(0, perm_tensor(perm, dev)), lam_t

    def pair_weights(self, params: dict, batch: SampleBatch):
        """(partner permutation, lam: float or list) of the two-label form for `batch`."""
        raise value_error(self, "pair", "is not available: this mixer combines more than two "
                          "labels; use soft labels")

    def classes(self) -> int | None:
        """The number of classes one-hot labels get (None: labels must be soft)."""
        return self.num_classes

    def children(self) -> tuple:
        return ()


def _import_builtin_mixers():
    """Import the modules of augkit.mix that define mixers (read from source:
    `augkit.discovery`), filling MIXERS."""
    import_defining("augkit.mix", ("BatchMixer",))


# serialisation: augkit.serial's to_dict / from_dict with this registry and the "mix." prefix
KIND = Kind(BatchMixer, MIXERS, PREFIX, _import_builtin_mixers, "batch mixer")


def mixer_to_dict(m: BatchMixer) -> dict:
    """``{"type": "mix.ClassName", field: value, ...}``; nested mixers nest
    (`augkit.to_dict`, for mixers only)."""
    if not isinstance(m, BatchMixer):
        raise type_error("to_dict", "mixer", f"is {type(m).__name__}; expected a batch mixer")
    return to_dict(m)


def mixer_from_dict(d: dict) -> BatchMixer:
    """Rebuild a mixer from `mixer_to_dict` output (`augkit.from_dict`, for mixers only)."""
    name = d.get("type") if isinstance(d, dict) else None
    if not isinstance(name, str) or not name.startswith(PREFIX):
        raise value_error("from_dict", "type", f"is missing in {d!r}; expected "
                          "{'type': 'mix.Name', ...}")
    return from_dict(d)


PAIRINGS = ("roll", "permutation")


def check_pairing(op) -> None:
    if op.pairing not in PAIRINGS:
        raise value_error(op, "pairing", f"is {op.pairing!r}; expected 'roll' or 'permutation'")


def draw_partners(rng: np.random.Generator, n: int, pairing: str) -> list[int]:
    """Each image's partner, perm[i]. "roll": the batch shifted by k, k uniform in [1, n)
    (no image meets itself unless n == 1); "permutation": a uniform random permutation."""
    if pairing == "roll":
        k = int(rng.integers(1, n)) if n > 1 else 0
        return list(range(k, n)) + list(range(k))
    return rng.permutation(n).tolist()


def partner(op, perm, n: int, device):
    """A params permutation as the kernels take it, after checking that it is one of
    range(n): an int k when it is a roll (perm[i] == (i + k) % n), which the kernels read
    as two contiguous slices with no gather; otherwise an index tensor on `device`."""
    k = perm[0] if isinstance(perm, list) and perm else None
    if type(k) is int and 0 <= k < n and perm == [*range(k, n), *range(k)]:
        return k  # a plain list compare: ~1 us, against ~5 us through numpy
    try:
        a = np.asarray(perm)
    except (ValueError, TypeError):
        a = np.zeros(0)
    if a.shape != (n,) or a.dtype.kind not in "iuf" or \
            not (np.sort(a) == np.arange(n)).all():
        raise value_error(op, "params", f"perm {perm!r} is not a permutation of {n}")
    return perm_tensor(a, device)


def perm_tensor(perm, device) -> torch.Tensor:
    """A params permutation (list) as an index tensor on `device`: one host-to-device copy."""
    t = torch.from_numpy(np.asarray(perm, dtype=np.int64))
    return t if t.device == torch.device(device) else t.to(device, non_blocking=True)
