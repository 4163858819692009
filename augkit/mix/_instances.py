"""Instance masks that follow pasted pixels: the checks and the moves of a batch's instances.

An instance batch holds ``masks`` (B, K, H, W): plane k of image i is instance k's mask
(its nonzero pixels), planes ``k >= instance_counts[i]`` are empty padding, and plane k
belongs to ``boxes[i][k]`` / ``box_labels[i][k]`` / ``instance_weights[i][k]`` when those
are given. A mixer's *pieces* (see `_dense`) move every instance of a source image as a
whole row: a "clip" piece keeps what lies inside its region and shifts it, an "occlude"
piece clears its region. The instance's fate is decided by its pixels (`decide`), its box
is recomputed from the pixels it kept when it lost some (`boxes_from_masks`), and the kept
instances of each image are written, in order (piece by piece, source order within a
piece), into a fresh padded (B, K', H, W) tensor with new counts.

Work: pixel counts per plane and region and the boxes' keep flags, read back once per batch
(CPU batches: numpy views, no sync), decisions and bookkeeping (which row goes to which
plane) in host integers, then one indexed copy per piece on a device, one plane copy per
kept instance on the CPU.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import type_error, value_error
from ..functional.mask_boxes import mask_boxes
from ._checks import Pending, as_tensors, finite
from ._dense import _gather, box_piece, move_boxes, move_keypoints, row_weights


# -- checks --------------------------------------------------------------------------------
def check_instances(op, b, changes: dict, n: int, h: int, w: int, pending: Pending) -> dict:
    """Validate instance masks (B, K, H, W), `instance_counts` and `instance_weights`;
    returns the changes (counts as a list of ints, weights as float tensors)."""
    m = b.masks
    shape = tuple(m.shape)
    if m.ndim != 4 or (shape[0], shape[2], shape[3]) != (n, h, w):
        raise value_error(op, "masks", f"have shape {shape}; expected ({n}, {h}, {w}) label "
                          f"maps or ({n}, K, {h}, {w}) instance masks to match images "
                          f"{tuple(b.images.shape)}")
    if m.is_floating_point() or m.is_complex():
        raise type_error(op, "masks", f"have dtype {m.dtype} {shape}; expected integer or bool "
                         "instance planes (nonzero pixels belong to the instance; soft masks "
                         "cannot be mixed again)")
    k = shape[1]
    boxes = changes.get("boxes")
    counts = _counts(op, b.instance_counts, n, k, boxes)
    padded = [(i, c) for i, c in enumerate(counts) if c < k]
    if padded and m.device.type == "cpu":  # numpy's any: ~10x torch's on uint8 planes
        a = m.numpy()
        flags = torch.from_numpy(np.array([a[i, c:].any() for i, c in padded]))
    elif padded:
        flags = torch.stack([m[i, c:].any() for i, c in padded]).bool()  # uint8 any: uint8
    if padded:

        def fail():
            i, c = padded[int(flags.to(torch.uint8).argmax())]
            return value_error(op, "masks", f"of shape {shape}: image {i} has pixels in plane(s)"
                               f" {c}..{k - 1}, past its instance_counts[{i}] = {c}; padding "
                               "planes must be empty")

        pending.add(~flags.any(), fail)
    out = {"instance_counts": counts}
    if b.instance_weights is not None:
        out["instance_weights"] = check_weights(op, b.instance_weights, counts, n, m.device,
                                                pending)
    return out


def _counts(op, counts, n: int, k: int, boxes) -> list[int]:
    """`instance_counts` as B ints in [0, K] (default: one instance per box, else K), equal
    to the number of boxes of each image when there are boxes."""
    if counts is None:
        if boxes is None:
            return [k] * n
        got = [int(t.shape[0]) for t in boxes]
        for i, c in enumerate(got):
            if c > k:
                raise value_error(op, f"boxes[{i}]", f"has {c} rows but masks have {k} instance "
                                  "planes; plane j of an image is the mask of its box j")
        return got
    if isinstance(counts, torch.Tensor):
        counts = counts.detach().cpu().numpy()  # one sync when on a device
    try:
        a = np.asarray(counts)
    except (ValueError, TypeError):
        a = np.zeros(0, object)
    if a.shape != (n,) or a.dtype.kind not in "iu":
        raise value_error(op, "instance_counts", f"are {_show(counts)}; expected {n} ints, the "
                          "number of instance planes each image uses")
    vals = [int(v) for v in a]
    for i, c in enumerate(vals):
        if not 0 <= c <= k:
            raise value_error(op, f"instance_counts[{i}]", f"is {c}; expected 0..{k} (masks have "
                              f"{k} planes)")
        if boxes is not None and c != boxes[i].shape[0]:
            raise value_error(op, f"instance_counts[{i}]", f"is {c} but boxes[{i}] has "
                              f"{boxes[i].shape[0]} rows; plane j of an image is the mask of "
                              "its box j")
    return vals


def _show(v) -> str:
    shape = getattr(v, "shape", None)
    return f"{type(v).__name__} {tuple(shape)}" if shape is not None else repr(v)[:80]


def check_weights(op, weights, counts, n: int, device, pending: Pending) -> list:
    """`instance_weights`: B float tensors (N_i,), one weight per instance, finite."""
    if not isinstance(weights, (list, tuple)) or len(weights) != n:
        got = len(weights) if isinstance(weights, (list, tuple)) else type(weights).__name__
        raise value_error(op, "instance_weights", f"are {got}; expected a list of {n} tensors, "
                          "one per image")
    ts = as_tensors(op, "instance_weights", weights, device)
    for i, (t, c) in enumerate(zip(ts, counts)):
        if tuple(t.shape) != (c,) or not t.is_floating_point():
            raise value_error(op, f"instance_weights[{i}]", f"is {t.dtype} {tuple(t.shape)}; "
                              f"expected ({c},) float, one weight per instance")
        finite(pending, op, f"instance_weights[{i}]", t, f"of shape {tuple(t.shape)}")
    return ts


# -- moves ---------------------------------------------------------------------------------
# On the CPU the planes are handled as numpy views of the tensors (no copy): numpy counts,
# zero-fills and copies uint8 / bool planes 5-20x faster than torch's CPU kernels (measured,
# 16 x 20 x 320 x 320); elsewhere torch on the device, with one read-back per batch.
def _host(m: torch.Tensor) -> bool:
    return m.device.type == "cpu"


def tight_boxes(planes) -> np.ndarray | torch.Tensor:
    """(R, H, W) planes (numpy or torch) -> (R, 4) xyxy tight boxes of their nonzero pixels
    in pixel-edge coordinates (a pixel at (r, c) gives (c, r, c + 1, r + 1)), float32;
    empty planes give garbage (callers use non-empty ones only). numpy: `mask_boxes`."""
    h, w = planes.shape[-2:]
    if isinstance(planes, np.ndarray):
        return mask_boxes(planes)[0]
    nz = planes != 0
    rows = nz.any(2).to(torch.uint8)
    cols = nz.any(1).to(torch.uint8)
    y1, y2 = rows.argmax(1), h - rows.flip(1).argmax(1)
    x1, x2 = cols.argmax(1), w - cols.flip(1).argmax(1)
    return torch.stack([x1, y1, x2, y2], 1).float()


def pixels(m: torch.Tensor, region=None):
    """Nonzero pixels of every plane (B, K) (inside `region` (y1, x1, y2, x2) when given):
    a numpy array for a CPU tensor, else a tensor on its device."""
    if region is not None:
        y1, x1, y2, x2 = region
        m = m[..., y1:y2, x1:x2]
    b, k, h, w = m.shape
    if _host(m):
        if h * w == 0 or b * k == 0:
            return np.zeros((b, k), np.int64)
        planes = m.numpy().reshape(b * k, h, w)
        return np.fromiter((np.count_nonzero(p) for p in planes), np.int64,
                           b * k).reshape(b, k)
    if h * w == 0:
        return torch.zeros((b, k), dtype=torch.int64, device=m.device)
    return torch.count_nonzero(m, dim=(2, 3))


def _read_back(values: list) -> list[np.ndarray]:
    """Host copies of (B, K) counts and per-row flags (numpy arrays or tensors), with one
    device sync for all of those on a device."""
    on_dev = [v for v in values if isinstance(v, torch.Tensor) and v.device.type != "cpu"]
    if on_dev:
        flat = torch.cat([v.reshape(-1).to(torch.int64) for v in on_dev]).cpu().numpy()
    out, at = [], 0
    for v in values:
        if isinstance(v, np.ndarray):
            out.append(v)
        elif v.device.type == "cpu":
            out.append(v.numpy())
        else:
            out.append(flat[at:at + v.numel()].reshape(tuple(v.shape)))
            at += v.numel()
    return out


def decide(before, after, min_visible: float, fallback):
    """Whether an instance stays: one that had pixels stays when > 0 of them and at least
    `min_visible` of them remain; one that had none has nothing to measure and takes
    `fallback` (its box's rule, or where it goes)."""
    seen = (after > 0) & (after.astype(np.float64) >= min_visible * before.astype(np.float64))
    return np.where(before > 0, seen, fallback)


def _rows(src, counts):
    """Host rows of a piece: output image, source image and source plane of each instance."""
    per = [counts[j] for j in src]
    img = np.repeat(np.arange(len(src)), per)
    sk = np.concatenate([np.arange(c) for c in per]) if per else np.zeros(0, np.int64)
    return img, np.asarray(src, np.int64)[img], sk.astype(np.int64)


def move_instances(op, b, pieces, min_visible: float, from_masks: bool, piece_weights=None
                   ) -> dict:
    """Masks, instance counts, boxes, box labels and instance weights through `pieces`."""
    m, counts, n = b.masks, b.instance_counts, len(b)
    h, w = m.shape[-2:]
    dev = m.device
    has_boxes = b.boxes is not None
    regions = list(dict.fromkeys(tuple(p[2]) for p in pieces))
    moved = [box_piece(b.boxes, p, min_visible) for p in pieces] if has_boxes else []
    host = _read_back([pixels(m), *(pixels(m, r) for r in regions),
                       *(keep for _, keep, _ in moved)])  # the one sync
    before_all, inside = host[0], dict(zip(regions, host[1:1 + len(regions)]))
    rows, keeps, redo = [], [], []
    for p, piece in enumerate(pieces):
        mode, src, region = piece[:3]
        img, sb, sk = _rows(src, counts)
        before = before_all[sb, sk]
        within = inside[tuple(region)][sb, sk]
        after = within if mode == "clip" else before - within
        skip = np.asarray(piece[4], bool)[img] if len(piece) > 4 else None
        if skip is not None and mode == "occlude":
            after = np.where(skip, before, after)
        keep_b = host[1 + len(regions) + p].astype(bool) if has_boxes else None
        if has_boxes and not from_masks:
            keep = keep_b
        else:
            whole = tuple(region) == (0, 0, h, w)
            keep = decide(before, after, min_visible, keep_b if has_boxes else
                          np.full(len(img), mode == "occlude" or whole))
            if skip is not None:
                keep = keep | skip if mode == "occlude" else keep & ~skip
        keeps.append(keep)
        redo.append((before > 0) & (after < before) & (has_boxes and from_masks))
        rows.append((img, sb, sk))
    img_all = np.concatenate([r[0] for r in rows])
    order = np.argsort(img_all, kind="stable")
    sel = order[np.concatenate(keeps)[order]]
    new_counts = np.bincount(img_all[sel], minlength=n).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(new_counts)[:-1]]).astype(np.int64)
    slot = np.arange(len(sel)) - starts[img_all[sel]]
    shape = (n, int(new_counts.max(initial=0)), h, w)
    out = np.zeros(shape, m.numpy().dtype) if _host(m) else torch.zeros(
        shape, dtype=m.dtype, device=dev)
    piece_of = np.concatenate([np.full(len(r[0]), p) for p, r in enumerate(rows)])
    offset = np.concatenate([[0], np.cumsum([len(r[0]) for r in rows])])
    for p, piece in enumerate(pieces):
        mine = piece_of[sel] == p
        if mine.any():
            _write(out, m, piece, rows[p], sel[mine] - offset[p], slot[mine])
    sizes = new_counts.tolist()
    changes: dict = {"masks": torch.from_numpy(out) if _host(m) else out,
                     "instance_counts": sizes}
    sel_t = torch.from_numpy(sel).to(dev, non_blocking=True)
    if has_boxes:
        kept = torch.cat([mv for mv, _, _ in moved])[sel_t]
        fix = np.flatnonzero(np.concatenate(redo)[sel])
        if len(fix):
            at_i, at_s = img_all[sel][fix], slot[fix]
            planes = out[at_i, at_s] if _host(m) else out[_dev(at_i, dev), _dev(at_s, dev)]
            tight = torch.as_tensor(tight_boxes(planes)).to(dev)
            kept[_dev(fix, dev)] = tight.to(kept.dtype)
        changes["boxes"] = list(torch.split(kept, sizes, 0))
    if b.box_labels is not None:
        labels = torch.cat([_gather(b.box_labels, p[1])[0] for p in pieces])
        changes["box_labels"] = list(torch.split(labels[sel_t], sizes, 0))
    if b.instance_weights is not None or piece_weights is not None:
        wts = torch.cat([row_weights(b.instance_weights, piece, None if piece_weights is None
                                     else piece_weights[p], _dev(r[0], dev), len(r[0]), dev)
                         for p, (piece, r) in enumerate(zip(pieces, rows))])
        changes["instance_weights"] = list(torch.split(wts[sel_t], sizes, 0))
    return changes


def _dev(a: np.ndarray, dev) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, np.int64)).to(dev, non_blocking=True)


def _write(out, m, piece, rows, local, slot):
    """Copy the kept rows of one piece into their output planes (numpy `out` for a CPU
    batch, else a tensor): a "clip" piece writes the region's pixels at their shifted
    place, an "occlude" piece the whole plane with the region cleared (not for the images
    the piece skips)."""
    mode, _, region, shift = piece[:4]
    img, sb, sk = rows
    y1, x1, y2, x2 = region
    oi, os_, si, sk = img[local], slot, sb[local], sk[local]
    if isinstance(out, np.ndarray):  # one plane copy per row: no gathered temporary
        src = m.numpy()
        skip = np.asarray(piece[4], bool)[oi] if len(piece) > 4 else np.zeros(len(oi), bool)
        dy, dx = shift
        for i, s, j, k, same in zip(oi.tolist(), os_.tolist(), si.tolist(), sk.tolist(),
                                    skip.tolist()):
            if mode == "clip":
                out[i, s, y1 + dy:y2 + dy, x1 + dx:x2 + dx] = src[j, k, y1:y2, x1:x2]
            else:
                out[i, s] = src[j, k]
                if not same:
                    out[i, s, y1:y2, x1:x2] = 0
        return
    src = m
    oi, os_, si, sk = (_dev(a, m.device) for a in (oi, os_, si, sk))
    if mode == "clip":
        if y2 > y1 and x2 > x1:
            dy, dx = shift
            out[oi, os_, y1 + dy:y2 + dy, x1 + dx:x2 + dx] = src[si, sk, y1:y2, x1:x2]
        return
    out[oi, os_] = src[si, sk]
    if y2 > y1 and x2 > x1:
        if len(piece) > 4:  # images paired with themselves: nothing is hidden
            cut = torch.from_numpy(~np.asarray(piece[4], bool)[img[local]]).to(m.device)
            oi, os_ = oi[cut], os_[cut]
        out[oi, os_, y1:y2, x1:x2] = 0


def clear_instances(op, b, holes, from_masks: bool) -> dict:
    """BatchCutOut on instance masks: each image's hole cleared in its planes. With
    `from_masks`, instances that lose every pixel are dropped and the boxes of those that
    lose some become the tight boxes of what is left; other boxes (instances with no pixels
    to start with included) stay as they are, as CutOut leaves boxes alone."""
    from ._kernels import fill_holes

    m, counts = b.masks, b.instance_counts
    dev = m.device
    if _host(m):
        a = m.numpy().copy()
        for i, (y1, x1, y2, x2) in enumerate(holes):
            a[i, :, y1:y2, x1:x2] = 0
        out = torch.from_numpy(a)
    else:
        out = fill_holes(m, holes, 0)
    if _host(m):  # the hole's pixels only: after = before - what the hole took
        a = m.numpy()
        before = pixels(m)
        taken = np.array([[np.count_nonzero(p[y1:y2, x1:x2]) for p in a[i]]
                          for i, (y1, x1, y2, x2) in enumerate(holes)], np.int64)
        after = before - taken.reshape(before.shape)
    else:
        before, after = _read_back([pixels(m), pixels(out)])
    valid = np.arange(m.shape[1])[None] < np.asarray(counts, np.int64)[:, None]
    keep = ((before == 0) | (after > 0)) & valid if from_masks else valid
    redo = (after < before) & (after > 0) & valid
    changes: dict = {"masks": out, "instance_counts": list(counts)}
    if b.boxes is not None and from_masks and redo.any():
        img, plane = np.nonzero(redo)
        planes = out.numpy()[img, plane] if _host(m) else out[_dev(img, dev), _dev(plane, dev)]
        tight = torch.as_tensor(tight_boxes(planes)).to(dev)
        boxes = list(b.boxes)
        for i in np.unique(img).tolist():
            rows = np.flatnonzero(img == i)
            t = boxes[i].clone()
            t[_dev(plane[rows], dev)] = tight[_dev(rows, dev)].to(t.dtype)
            boxes[i] = t
        changes["boxes"] = boxes
    if (keep == valid).all():
        return changes
    return _compact(b, changes, keep)


def _compact(b, changes: dict, keep: np.ndarray) -> dict:
    """Drop the planes (and boxes, labels, weights) whose `keep` (B, K) flag is off."""
    masks = changes["masks"]
    dev = masks.device
    new_counts = keep.sum(1)
    img, plane = np.nonzero(keep)
    starts = np.concatenate([[0], np.cumsum(new_counts)[:-1]]).astype(np.int64)
    slot = np.arange(len(img)) - starts[img]
    shape = (masks.shape[0], int(new_counts.max(initial=0)), *masks.shape[2:])
    if _host(masks):
        out, src = np.zeros(shape, masks.numpy().dtype), masks.numpy()
        for i, s, k in zip(img.tolist(), slot.tolist(), plane.tolist()):
            out[i, s] = src[i, k]  # one plane copy each: no gathered temporary
        out = torch.from_numpy(out)
    else:
        out = torch.zeros(shape, dtype=masks.dtype, device=dev)
        out[_dev(img, dev), _dev(slot, dev)] = masks[_dev(img, dev), _dev(plane, dev)]
    changes = {**changes, "masks": out, "instance_counts": new_counts.tolist()}
    for name in ("boxes", "box_labels", "instance_weights"):
        vals = changes.get(name, getattr(b, name))
        if vals is not None:
            changes[name] = [v[_dev(np.flatnonzero(keep[i, :len(v)]), v.device)]
                             for i, v in enumerate(vals)]
    return changes


def move_targets(op, b, pieces, min_visible: float, from_masks: bool = True,
                 piece_weights=None) -> dict:
    """Changes for `SampleBatch.replace`: boxes, box_labels, instance weights, instance masks
    and keypoints through `pieces`. `piece_weights` (MixUp): each piece's weight per output
    image, multiplied into the instances' weights (which then come out even when the batch
    had none)."""
    n = len(b)
    changes: dict = {}
    if b.masks is not None and b.masks.ndim == 4:  # instance masks: planes, boxes, labels
        changes.update(move_instances(op, b, pieces, min_visible, from_masks, piece_weights))
    elif b.boxes is not None:
        changes["boxes"], labels, weights = move_boxes(
            b.boxes, b.box_labels, pieces, n, min_visible, b.instance_weights, piece_weights)
        if labels is not None:
            changes["box_labels"] = labels
        if weights is not None:
            changes["instance_weights"] = weights
    if b.keypoints is not None:
        changes["keypoints"] = move_keypoints(op, b.keypoints, pieces, n)
    return changes
