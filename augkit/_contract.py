"""The parts of `augkit.testing.check_op` that look at one output: its image and targets
(`check_output`), and the dot test (`check_targets_follow_pixels`): do the targets go where
the image's pixels went?

Private: use them through `check_op`. (Split from `testing.py` to keep files small. It also
holds what `testing` re-exports about what an op declares it may change, and `assert_same`.)
"""

from __future__ import annotations

import numpy as np

from .core import GeometricOp, Op, standardizes_output
from .errors import AugkitError
from .sample import Sample, check_image

# --- what an op may change -----------------------------------------------------------------

def may_change_size(op: Op) -> bool:
    """Whether `op` may return an image of another height/width (see module doc)."""
    flag = getattr(op, "changes_size", None)
    if isinstance(flag, bool):
        return flag
    if isinstance(op, GeometricOp) and type(op).out_size is not GeometricOp.out_size:
        return True
    return any(may_change_size(c) for c in op.children())


def may_standardize(op: Op) -> bool:
    """Whether `op` may return a standardised float32 image (see `core.standardizes_output`)."""
    return standardizes_output(op)


def refuses_targets(op: Op) -> bool:
    """Whether `op` or a child declares ``image_only`` (refuses samples with targets)."""
    if getattr(op, "image_only", False) is True:
        return True
    return any(refuses_targets(c) for c in op.children())


def _channel_count(img) -> int:
    return 0 if np.ndim(img) == 2 else int(np.shape(img)[2])


def refuses_channels(op: Op, channels: int) -> bool:
    """Whether `op` or a child declares ``accepts_channels`` without `channels` (so the call
    may raise an `AugkitError` for an image with that many channels; 0 = grey HW)."""
    accepted = getattr(op, "accepts_channels", None)
    if accepted is not None and channels not in tuple(accepted):
        return True
    return any(refuses_channels(c, channels) for c in op.children())


def declares_changes_targets(op: Op) -> bool:
    """Whether `op` or a child sets ``changes_targets`` (may drop boxes, hide keypoints...)."""
    if getattr(op, "changes_targets", False) is True:
        return True
    return any(declares_changes_targets(c) for c in op.children())


def may_change_targets(op: Op) -> bool:
    """Whether `op` may change mask, boxes or keypoints (geometric, or declared)."""
    return bool(op.geometric) or declares_changes_targets(op)


_FIELDS = ("image", "mask", "boxes", "box_labels", "keypoints")


def assert_same(a: Sample, b: Sample, what: str, fields=_FIELDS) -> None:
    """Assert two samples are identical field by field (shape, dtype and values)."""
    for f in fields:
        x, y = getattr(a, f), getattr(b, f)
        if x is None or y is None:
            assert x is None and y is None, f"{what}: {f} is {x!r} vs {y!r}"
            continue
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape, f"{what}: {f} shape {x.shape} vs {y.shape}"
        assert x.dtype == y.dtype, f"{what}: {f} dtype {x.dtype} vs {y.dtype}"
        if not np.array_equal(x, y):
            diff = np.argwhere(x != y)
            raise AssertionError(f"{what}: {f} differs at {len(diff)} places, first at index "
                                 f"{tuple(diff[0])}: {x[tuple(diff[0])]} vs {y[tuple(diff[0])]}")


def mask_fill_misfits(op: Op, s: Sample) -> bool:
    """Whether `op`'s own integer ``mask_fill`` cannot be stored in the sample's mask."""
    from .functional.fill import check_label_fits

    mf = getattr(op, "mask_fill", None)
    if s.mask is None or not isinstance(mf, int) or isinstance(mf, bool):
        return False
    try:
        check_label_fits(op, mf, s.mask.dtype)
    except AugkitError:
        return True
    return False


def check_output(op: Op, s: Sample, out: Sample) -> None:
    """Dtype, channels, size, target shapes and ranges of one output (see `check_op`)."""
    name = type(op).__name__
    img, oimg = s.image, out.image
    if may_standardize(op):  # a standardised float32 image: any finite value
        assert isinstance(oimg, np.ndarray) and oimg.dtype == np.float32, (
            f"{name}: a standardising op returned {type(oimg).__name__} "
            f"{getattr(oimg, 'dtype', '')}; expected a float32 array")
        assert np.isfinite(oimg).all(), f"{name}: output image contains NaN or inf"
    else:
        try:
            check_image(oimg, op, "output image", guess_layout=False)
        except (TypeError, ValueError) as e:
            raise AssertionError(f"{name}: invalid output image: {e}") from None
        assert oimg.dtype == img.dtype, f"{name}: dtype changed {img.dtype} -> {oimg.dtype}"
    assert oimg.shape[2:] == img.shape[2:] and oimg.ndim == img.ndim, (
        f"{name}: channels changed {img.shape} -> {oimg.shape}")
    if not may_change_size(op):
        assert oimg.shape == img.shape, f"{name}: size changed {img.shape} -> {oimg.shape} " \
            "but the op does not declare changes_size"
    h, w = out.size
    if not may_change_targets(op):
        assert_same(out, s, f"{name}: a non-geometric op changed a target",
                    fields=("mask", "boxes", "box_labels", "keypoints"))
    for f in ("mask", "boxes", "keypoints"):
        assert (getattr(s, f) is None) == (getattr(out, f) is None), (
            f"{name}: target {f} appeared or vanished")
    if out.mask is not None:
        assert out.mask.shape[:2] == (h, w) and out.mask.shape[2:] == s.mask.shape[2:], (
            f"{name}: mask {out.mask.shape} does not match image {oimg.shape}")
        assert out.mask.dtype == s.mask.dtype, (
            f"{name}: mask dtype changed {s.mask.dtype} -> {out.mask.dtype}")
    if out.boxes is not None:
        b = np.asarray(out.boxes)
        assert b.ndim == 2 and b.shape[1] == 4, f"{name}: boxes have shape {b.shape}"
        assert np.isfinite(b).all(), f"{name}: boxes contain NaN or inf"
        eps = 1e-3
        inside = ((b[:, 0] >= -eps) & (b[:, 1] >= -eps) & (b[:, 2] <= w + eps)
                  & (b[:, 3] <= h + eps) & (b[:, 2] >= b[:, 0]) & (b[:, 3] >= b[:, 1]))
        assert inside.all(), (f"{name}: boxes {b[~inside].tolist()} are inverted or outside the "
                              f"{w}x{h} image")
        if out.box_labels is not None:
            assert len(out.box_labels) == len(b), (
                f"{name}: {len(b)} boxes but {len(out.box_labels)} labels")
        if not declares_changes_targets(op):
            assert len(b) == len(s.boxes), (
                f"{name}: box count changed {len(s.boxes)} -> {len(b)}; only ops that declare "
                "changes_targets (SanitizeBoxes) may drop boxes")
    if out.keypoints is not None:
        k, k0 = np.asarray(out.keypoints), np.asarray(s.keypoints)
        assert k.shape == k0.shape, f"{name}: keypoints shape changed {k0.shape} -> {k.shape}"
        assert np.isfinite(k).all(), f"{name}: keypoints contain NaN or inf"
        if k.shape[-1] == 3 and bool(op.geometric):
            x, y, v = k[..., 0], k[..., 1], k[..., 2]
            bad = (v > 0) & ((x < 0) | (x > w) | (y < 0) | (y > h))
            assert not bad.any(), (f"{name}: keypoints {k[bad].tolist()} lie outside the "
                                   f"{w}x{h} image but are marked visible")


# --- the dot test: targets follow the pixels -----------------------------------------------

PROBE_SIZE = (32, 40)
PROBE_BLOB = (8, 16, 10, 20)  # rows y0:y1, cols x0:x1: off-centre, so flips move it


def probe_sample(like: np.ndarray, label: int = 1) -> Sample:
    """A dark 32x40 image of `like`'s dtype and channels with one bright 8x10 blob, and every
    target on the blob: the mask labels it `label`, one box encloses it, four keypoints (all
    the same, so identity swaps are harmless) sit on its centre, visible."""
    h, w = PROBE_SIZE
    y0, y1, x0, x1 = PROBE_BLOB
    img = np.zeros((h, w) + like.shape[2:], like.dtype)
    img[y0:y1, x0:x1] = 255 if like.dtype == np.uint8 else 1.0
    mask = np.zeros((h, w), np.int32)
    mask[y0:y1, x0:x1] = label
    kp = np.empty((1, 4, 3), np.float32)
    kp[..., 0], kp[..., 1], kp[..., 2] = (x0 + x1) / 2, (y0 + y1) / 2, 2
    return Sample(img, mask=mask, boxes=np.array([[x0, y0, x1, y1]], np.float32),
                  box_labels=np.array([0]), keypoints=kp)


def _contrast(img: np.ndarray) -> np.ndarray:
    """Per pixel, how far it stands out from the typical (median) pixel, over channels: the
    blob whether an op brightened, darkened or inverted the image."""
    x = np.asarray(img, np.float64)
    x = x[..., None] if x.ndim == 2 else x
    return np.abs(x - np.median(x.reshape(-1, x.shape[-1]), axis=0)).sum(-1)


def _largest_region(region: np.ndarray) -> np.ndarray:
    """The largest 8-connected part of `region`: the moved blob, without stray pixels of the
    same contrast elsewhere (a one-pixel CutOut hole after an Invert is as dark as the
    inverted blob)."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(region.astype(np.uint8), 8)
    if n <= 2:
        return region
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def _touches_border(region: np.ndarray) -> bool:
    return bool(region[0].any() or region[-1].any() or region[:, 0].any()
                or region[:, -1].any())


def _centroid(region: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(region)
    return np.array([xs.mean() + 0.5, ys.mean() + 0.5])


def _box_of(region: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(region)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64)


def _one_matrix(op: Op) -> bool:
    """Whether `op` moves everything by one matrix (a plain GeometricOp, or a Seq of them)."""
    from .compose import Seq
    from .core import GeometricOp

    if type(op) is Seq:
        return all(_one_matrix(o) for o in op.ops)
    return isinstance(op, GeometricOp) and type(op).apply is GeometricOp.apply


TOLERANCE = 1.0  # px: centroids of the linear-interpolated blob vs the nearest-sampled mask


def check_targets_follow_pixels(op: Op, like: np.ndarray, seed: int) -> bool:
    """Run `op` on `probe_sample` and check that mask, keypoints and boxes are where the
    image's blob went: the centroid of the bright (or, after an inversion, dark) blob and
    that of the mask's label agree within `TOLERANCE`, visible keypoints sit on the blob,
    the box holds the blob and the mask. Holds for every op: a pixel op must not move
    pixels (its targets stay where they are), a geometric one must move targets with them.

    Returns False when the draw says nothing (the blob or the mask was cropped away, touches
    the border, lost its contrast, or was partly erased: their areas differ by over 25%,
    10% for non-geometric ops);
    True when the check ran and passed; raises AssertionError when it failed.
    """
    label = 2 if getattr(op, "mask_fill", None) == 1 else 1
    s = probe_sample(like, label)
    # a few draws: a random crop may cut the blob away in one and keep it in the next
    return any(_follows(op, s, label, [seed, salt]) for salt in (7, 8, 9))


def _follows(op: Op, s: Sample, label: int, seed) -> bool:
    name = type(op).__name__
    try:
        out = op(s, rng=np.random.default_rng(seed))
    except AugkitError:  # e.g. a ZCA Whiten fitted for another image size
        return False
    if not isinstance(out.image, np.ndarray) or out.mask is None or out.image.ndim < 2:
        return False
    c = _contrast(out.image)
    if not np.isfinite(c).all() or c.max() <= 0:
        return False
    blob = _largest_region(c > 0.5 * c.max())
    lab = out.mask[..., 0] == label if out.mask.ndim == 3 else out.mask == label
    if not lab.any() or _touches_border(blob) or _touches_border(lab):
        return False
    # a partly erased blob (CutOut) is not a moved one: its centroid shifts by up to
    # half the erased fraction of its width, so non-geometric ops get the narrower band
    lo = 0.8 if op.geometric else 0.9
    if not lo <= blob.sum() / lab.sum() <= 1 / lo:
        return False
    cb, cm = _centroid(blob), _centroid(lab)
    where = f"(a 32x40 probe, seed {seed})"
    assert np.abs(cb - cm).max() <= TOLERANCE, (
        f"{name}: targets do not follow the pixels {where}: the image's blob moved to "
        f"x, y = {cb.round(2).tolist()} but the mask's label {label} is at "
        f"{cm.round(2).tolist()}")
    if out.keypoints is not None and len(np.asarray(out.keypoints).reshape(-1, 3)):
        kp = np.asarray(out.keypoints, np.float64).reshape(-1, 3)
        # (CutOut may hide a point under a hole; other ops keep a point on the blob visible)
        assert declares_changes_targets(op) or (kp[:, 2] > 0).all(), (
            f"{name}: keypoints on the blob {where} lost their visibility: {kp.tolist()}")
        kp = kp[kp[:, 2] > 0]
        # on the blob: within 1 px of one of its pixels (a distortion bends the blob, so
        # its centroid is not where its centre goes); one matrix moves the centroid exactly
        rows, cols = np.nonzero(blob)
        gx = np.maximum(np.maximum(cols - kp[:, :1], kp[:, :1] - (cols + 1)), 0)
        gy = np.maximum(np.maximum(rows - kp[:, 1:2], kp[:, 1:2] - (rows + 1)), 0)
        gap = np.hypot(gx, gy).min(1).max(initial=0.0)
        assert gap <= 1.0, (
            f"{name}: keypoints {kp[0, :2].round(2).tolist()} are {gap:.2f} px off the image's "
            f"blob (centroid {cb.round(2).tolist()}) {where}")
        if _one_matrix(op) and len(kp):
            gap = np.abs(kp[:, :2] - cb).max()
            assert gap <= TOLERANCE + 0.5, (
                f"{name}: keypoints {kp[0, :2].round(2).tolist()} are {gap:.2f} px from the "
                f"image's blob at {cb.round(2).tolist()} {where}")
    if out.boxes is not None and len(out.boxes) == 1:
        b = np.asarray(out.boxes, np.float64)[0]
        for what, region in (("image's blob", blob), ("mask's label", lab)):
            rb = _box_of(region)
            assert (rb[:2] >= b[:2] - 1).all() and (rb[2:] <= b[2:] + 1).all(), (
                f"{name}: the {what} spans {rb.tolist()}, outside the moved box "
                f"{b.round(2).tolist()} {where}")
    return True
