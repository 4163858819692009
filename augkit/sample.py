"""`Sample`: one image with the dense and sparse targets that move with it.

Coordinate convention, written down once: pixel ``i`` spans ``[i, i + 1)``, so the centre of
pixel ``i`` is ``i + 0.5``. Boxes are ``xyxy`` in these pixel-edge coordinates and a box that
covers exactly pixels ``0..w-1`` is ``[0, 0, w, h]``. Conversions from other formats happen
only at the boundary (`boxes_from`, `boxes_to`, `keypoints_from_indices`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import type_error, value_error


@dataclass(frozen=True, eq=False)
class Sample:
    """An image and the targets that must follow its pixels.

    image: (H, W, C) or (H, W); uint8, or float32 in [0, 1].
    mask: (H, W) or (H, W, K) integer (or bool) labels.
    boxes: (N, 4) float xyxy, pixel-edge coordinates; box_labels: (N,) travel with them.
    keypoints: (..., 2) xy or (..., 3) xy + visibility (0 = not visible), e.g. (people, 17, 3).
    extras: other samples for a multi-image op (`augkit.middle.Mosaic`, `CopyPaste`), which
    takes them from the front (`AugmentedDataset` fills them; see docs/multi-image.md). Not a
    target: every other op passes it on untouched.
    """

    image: np.ndarray
    mask: np.ndarray | None = None
    boxes: np.ndarray | None = None
    box_labels: np.ndarray | None = None
    keypoints: np.ndarray | None = None
    extras: tuple | None = None

    def __init__(self, image, mask=None, boxes=None, box_labels=None, keypoints=None,
                 extras=None):
        # one dict update instead of six frozen-dataclass setattr calls: every op call
        # builds a Sample (2-3x faster; @dataclass keeps a class's own __init__)
        d = self.__dict__
        d["image"], d["mask"], d["boxes"] = image, mask, boxes
        d["box_labels"], d["keypoints"], d["extras"] = box_labels, keypoints, extras

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        return self.image.shape[0], self.image.shape[1]

    def replace(self, **changes) -> Sample:
        # Twice as fast as dataclasses.replace (no field introspection on every call).
        fields = self.__dict__.copy()
        fields.update(changes)
        return Sample(**fields)


_TARGETS = ("mask", "boxes", "box_labels", "keypoints")
FLOAT_IMAGE = np.dtype(np.float32)
UINT8 = np.dtype(np.uint8)


def stand_in(shape: tuple, dtype) -> Sample:
    """An image-only sample of `shape` and `dtype` that holds no pixels (a read-only
    zero-stride view): what an op's `sample` sees when only the geometry matters (the batched
    path's draws). One per (shape, dtype) serves every call: a Sample is frozen."""
    return _stand_in(tuple(shape), np.dtype(dtype))


def stand_in_of(view: Sample, size) -> Sample:
    """`view` itself when it has `size`, else a pixel-less stand-in of `size` with its
    channels and dtype (the batched path's draws read geometry only)."""
    img = view.image
    shape = img.shape
    h, w = size
    if h == shape[0] and w == shape[1]:
        return view
    return _stand_in((h, w) + shape[2:], img.dtype)


_STAND_INS: dict = {}


def _stand_in(shape: tuple, dtype: np.dtype) -> Sample:
    # a dict of finished Samples: a fused Seq asks for one per op on every call, right after
    # a photo's decode where lru_cache + np.broadcast_to + Sample ran cold (~21 us against
    # ~8, measured)
    got = _STAND_INS.get((shape, dtype))
    if got is None:
        if len(_STAND_INS) >= 512:
            _STAND_INS.clear()
        got = _STAND_INS[shape, dtype] = Sample(np.broadcast_to(np.zeros((), dtype), shape))
    return got


def check_image(img, op, field: str = "image", guess_layout: bool = True,
                shape: tuple | None = None) -> np.ndarray:
    """Validate an HWC / HW numpy image and return it (never copied). `guess_layout`: reject
    shapes that look like CHW (a user's likely mistake on input; off for outputs, where a
    small crop of a many-channel image may have that shape legitimately). `shape`: the shape
    to name in messages when it differs from the array's (a CHW tensor seen as HWC)."""
    if not isinstance(img, np.ndarray):
        raise type_error(op, field, f"is {type(img).__name__}; expected a numpy array")
    shape = img.shape if shape is None else tuple(shape)
    if img.ndim not in (2, 3):
        raise value_error(op, field, f"has {img.ndim} dims {shape}; expected (H, W, C) or (H, W)")
    if img.size == 0:
        raise value_error(op, field, f"is empty {shape}")
    hwc = img.shape
    if guess_layout and img.ndim == 3 and hwc[0] <= 4 and hwc[2] > 4 and hwc[1] > 4:
        raise value_error(
            op, field, f"looks like CHW {shape}; augkit numpy images are (H, W, C): "
            "use img.transpose(1, 2, 0)")
    dt = img.dtype
    if dt == UINT8:
        return img
    if dt == FLOAT_IMAGE:
        lo, hi = float(img.min()), float(img.max())  # NaN propagates into lo/hi
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise value_error(op, field, f"of shape {shape} contains NaN or inf")
        if lo < 0.0 or hi > 1.0:
            raise value_error(
                op, field, f"of shape {shape} has float32 values in [{lo:.9g}, {hi:.9g}]; "
                "expected [0, 1]")
        return img
    raise type_error(
        op, field, f"has dtype {dt} {shape}; expected uint8, or float32 in [0, 1]")


def check_sample(s: Sample, op) -> Sample:
    """Validate every field of a sample. Never mutates, never normalises a target.

    The one rule for targets at the boundary: a numpy array is passed on as it is (no dtype
    cast, no clipping: an op that leaves a target alone returns that very object); a list or
    tuple (boxes, box_labels, keypoints) becomes ``np.asarray`` of it, with the dtype numpy
    infers. Returns `s` itself when nothing was a list, else a new sample. Ops that move a
    target return it as described in `docs/design.md` (float32, float64 kept; boxes clipped
    to the new image; keypoints that leave it hidden).
    """
    if not isinstance(s, Sample):
        raise type_error(op, "input", f"is {type(s).__name__}; expected augkit.Sample")
    check_image(s.image, op)
    h, w = s.size
    changes = {}
    if s.mask is not None:
        m = s.mask
        if not isinstance(m, np.ndarray):
            raise type_error(op, "mask", f"is {type(m).__name__}; expected a numpy array")
        if m.ndim not in (2, 3) or m.shape[:2] != (h, w):
            raise value_error(op, "mask", f"has shape {m.shape}; expected ({h}, {w}) or "
                              f"({h}, {w}, K) to match image {s.image.shape}")
        if not (np.issubdtype(m.dtype, np.integer) or m.dtype == np.bool_):
            raise type_error(op, "mask", f"has dtype {m.dtype} {m.shape}; expected integer labels")
    if s.boxes is not None:
        b = _as_array(s.boxes, op, "boxes", "(N, 4) xyxy", changes)
        if b.ndim != 2 or b.shape[1] != 4:
            raise value_error(op, "boxes", f"have shape {b.shape}; expected (N, 4) xyxy")
        _check_coords(b, op, "boxes")
        bad = (b[:, 2] < b[:, 0]) | (b[:, 3] < b[:, 1])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise value_error(op, "boxes", f"of shape {b.shape}: row {i} {b[i].tolist()} is "
                              "inverted; expected xyxy with x2 >= x1 and y2 >= y1")
        if s.box_labels is not None:
            labels = _as_array(s.box_labels, op, "box_labels", "(N,)", changes)
            if labels.shape[:1] != (b.shape[0],):
                raise value_error(op, "box_labels", f"have shape {labels.shape}; "
                                  f"expected ({b.shape[0]},) to match boxes {b.shape}")
    elif s.box_labels is not None:
        raise value_error(op, "box_labels", "given without boxes")
    if s.keypoints is not None:
        k = _as_array(s.keypoints, op, "keypoints", "(..., 2) or (..., 3)", changes)
        if k.ndim < 1 or k.shape[-1] not in (2, 3):
            raise value_error(op, "keypoints", f"have shape {k.shape}; expected (..., 2) xy or "
                              "(..., 3) xy + visibility")
        _check_coords(k, op, "keypoints")
    return s.replace(**changes) if changes else s


def _as_array(v, op, field: str, expected: str, changes: dict) -> np.ndarray:
    """`v` itself when it is a numpy array; else ``np.asarray(v)``, recorded in `changes`.
    Ragged lists (rows of different lengths) are refused with the lengths found."""
    if isinstance(v, np.ndarray):
        return v
    try:
        a = np.asarray(v)
    except (ValueError, TypeError):
        a = None
    if a is None or a.dtype == object:
        rows = [len(r) if hasattr(r, "__len__") else 0 for r in v] if hasattr(v, "__iter__") \
            else []
        raise value_error(op, field, f"are a ragged {type(v).__name__} (row lengths "
                          f"{sorted(set(rows))}); expected {expected} numbers")
    changes[field] = a
    return a


def _check_coords(a: np.ndarray, op, field: str) -> None:
    """Integer or float coordinates (bool and complex are not), all finite."""
    if a.dtype.kind not in "iuf":
        raise type_error(op, field, f"have dtype {a.dtype} {a.shape}; expected float (or "
                         "integer) coordinates")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        at = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        hint = ("; mark an unlabelled keypoint (0, 0, 0), as COCO does"
                if field == "keypoints" else "")
        raise value_error(op, field, f"of shape {a.shape} contain NaN or inf (first at index "
                          f"{at}){hint}")


def clip_boxes(b: np.ndarray, h: int, w: int) -> np.ndarray:
    """Clip xyxy boxes to the image; returns `b` itself when already inside."""
    if b.size == 0 or (b.min() >= 0 and b[:, [0, 2]].max() <= w and b[:, [1, 3]].max() <= h):
        return b
    out = b.copy()
    out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, w)
    out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, h)
    return out


# --- format conversions at the boundary -------------------------------------------------

BOX_FORMATS = ("xyxy", "xywh", "cxcywh", "yolo", "voc")


def boxes_from(boxes, fmt: str, size: tuple[int, int] | None = None) -> np.ndarray:
    """Convert boxes to augkit's xyxy pixel-edge format.

    fmt: ``xyxy``/``voc`` (Pascal VOC, already xyxy pixel edges), ``xywh`` (COCO),
    ``cxcywh``, ``yolo`` (normalised cx cy w h; needs ``size=(H, W)``).
    """
    b = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    if fmt in ("xyxy", "voc"):
        return b.copy()
    if fmt == "xywh":
        return np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], 1)
    if fmt in ("cxcywh", "yolo"):
        if fmt == "yolo":
            if size is None:
                raise value_error("boxes_from", "size", "is required for yolo boxes: (H, W)")
            b = b * np.array([size[1], size[0], size[1], size[0]], np.float32)
        return np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], 1)
    raise value_error("boxes_from", "fmt", f"is {fmt!r}; expected one of {BOX_FORMATS}")


def boxes_to(boxes, fmt: str, size: tuple[int, int] | None = None) -> np.ndarray:
    """Convert augkit xyxy boxes to another format (inverse of `boxes_from`)."""
    b = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    if fmt in ("xyxy", "voc"):
        return b.copy()
    wh = b[:, 2:] - b[:, :2]
    if fmt == "xywh":
        return np.concatenate([b[:, :2], wh], 1)
    if fmt in ("cxcywh", "yolo"):
        out = np.concatenate([b[:, :2] + wh / 2, wh], 1)
        if fmt == "yolo":
            if size is None:
                raise value_error("boxes_to", "size", "is required for yolo boxes: (H, W)")
            out = out / np.array([size[1], size[0], size[1], size[0]], np.float32)
        return out
    raise value_error("boxes_to", "fmt", f"is {fmt!r}; expected one of {BOX_FORMATS}")


def keypoints_from_indices(kp) -> np.ndarray:
    """Integer pixel indices (col, row[, v]) -> pixel-edge coordinates (centre = i + 0.5)."""
    k = np.array(kp, dtype=np.float32)
    k[..., :2] += 0.5
    return k


def keypoints_to_indices(kp) -> np.ndarray:
    """Pixel-edge keypoints -> the integer index of the pixel each one lies in."""
    k = np.array(kp, dtype=np.float32)
    k[..., :2] = np.floor(k[..., :2])
    return k


def remove_invisible(keypoints, size: tuple[int, int] | None = None):
    """Drop keypoints that are not visible, as albumentations' ``remove_invisible`` does.

    augkit keeps keypoint arrays whole (a (people, 17, 3) array stays (people, 17, 3) through
    every op) and marks points that leave the image with v = 0; every point's xy moves with
    the pixels whatever its v (see docs/design.md, "Keypoints"). Call this at the end of a
    pipeline when you want only the points that are there: (..., 3) points with v == 0 and,
    given ``size=(H, W)``, points outside the closed image rectangle [0, W] x [0, H] (the
    rectangle ops hide points outside of) are dropped. (..., 2) points carry no visibility,
    so they need `size`.

    Returns ``(kept, where)``: ``kept`` is ``keypoints[where]``, shape (N, D), and ``where``
    the tuple of index arrays into the leading axes, so labels shaped like
    ``keypoints.shape[:-1]`` follow with ``labels[where]`` (``where[-1]`` is the keypoint
    index, e.g. which of COCO's 17 joints).
    """
    k = _as_array(keypoints, "remove_invisible", "keypoints", "(..., 2) or (..., 3)", {})
    if k.ndim < 1 or k.shape[-1] not in (2, 3):
        raise value_error("remove_invisible", "keypoints", f"have shape {k.shape}; expected "
                          "(..., 2) xy or (..., 3) xy + visibility")
    _check_coords(k, "remove_invisible", "keypoints")
    if k.shape[-1] == 2 and size is None:
        raise value_error("remove_invisible", "size", f"is None for keypoints of shape "
                          f"{k.shape}; (..., 2) points carry no visibility: pass size=(H, W)")
    keep = np.ones(k.shape[:-1], bool) if k.shape[-1] == 2 else k[..., 2] > 0
    if size is not None:
        h, w = size
        x, y = k[..., 0], k[..., 1]
        keep &= (x >= 0) & (x <= w) & (y >= 0) & (y <= h)
    where = np.nonzero(keep)
    return k[where], where
