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

Device work: pixel counts per plane and region, one read-back of the keep flags per batch,
then one indexed copy per piece; the bookkeeping (which row goes to which plane) is host
integers, as the boxes' per-image split is.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import type_error, value_error
from ._checks import Pending, as_tensors, finite
from ._dense import _gather, _skip_rows, box_piece, row_weights


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
    if padded:
        flags = torch.stack([m[i, c:].any() for i, c in padded]).bool()  # uint8 any: uint8

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
def tight_boxes(planes: torch.Tensor) -> torch.Tensor:
    """(R, H, W) planes -> (R, 4) float32 xyxy tight boxes of their nonzero pixels, in
    pixel-edge coordinates (a pixel at (r, c) gives (c, r, c + 1, r + 1)); empty planes give
    garbage (callers use non-empty ones only)."""
    h, w = planes.shape[-2:]
    nz = planes != 0
    rows = nz.any(2).to(torch.uint8)
    cols = nz.any(1).to(torch.uint8)
    y1, y2 = rows.argmax(1), h - rows.flip(1).argmax(1)
    x1, x2 = cols.argmax(1), w - cols.flip(1).argmax(1)
    return torch.stack([x1, y1, x2, y2], 1).float()


def pixels(m: torch.Tensor, region=None) -> torch.Tensor:
    """Nonzero pixels of every plane (B, K) (inside `region` (y1, x1, y2, x2) when given)."""
    if region is not None:
        y1, x1, y2, x2 = region
        m = m[..., y1:y2, x1:x2]
    if m.shape[-1] * m.shape[-2] == 0:
        return torch.zeros(m.shape[:2], dtype=torch.int64, device=m.device)
    return torch.count_nonzero(m, dim=(2, 3))


def decide(before, after, min_visible: float, fallback):
    """Whether an instance stays: one that had pixels stays when > 0 of them and at least
    `min_visible` of them remain; one that had none has nothing to measure and takes
    `fallback` (its box's rule, or where it goes)."""
    dt = torch.float32 if after.device.type == "mps" else torch.float64  # exact counts
    seen = (after > 0) & (after.to(dt) >= min_visible * before.to(dt))
    return torch.where(before > 0, seen, fallback)


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
    before_all = pixels(m)
    inside: dict = {}
    rows, keeps, redo, boxes, labels, weights = [], [], [], [], [], []
    with_w = b.instance_weights is not None or piece_weights is not None
    for p, piece in enumerate(pieces):
        mode, src, region = piece[:3]
        img_h, sb_h, sk_h = _rows(src, counts)
        idx = torch.from_numpy(np.stack([img_h, sb_h, sk_h])).to(dev, non_blocking=True)
        img, sb, sk = idx
        before = before_all[sb, sk]
        key = tuple(region)
        if key not in inside:
            inside[key] = pixels(m, region)
        within = inside[key][sb, sk]
        skip = _skip_rows(piece, img)
        after = within if mode == "clip" else before - within
        if skip is not None and mode == "occlude":
            after = torch.where(skip, before, after)
        whole = key == (0, 0, h, w)
        if has_boxes:
            moved, keep_b, _ = box_piece(b.boxes, piece, min_visible)
            boxes.append(moved)
        if has_boxes and not from_masks:
            keep = keep_b
        else:
            fallback = keep_b if has_boxes else torch.full_like(
                before, mode == "occlude" or whole, dtype=torch.bool)
            keep = decide(before, after, min_visible, fallback)
            if skip is not None:
                keep = keep | skip if mode == "occlude" else keep & ~skip
        keeps.append(keep)
        redo.append((before > 0) & (after < before) if has_boxes and from_masks
                    else torch.zeros_like(keep))
        rows.append((img_h, sb_h, sk_h))
        if b.box_labels is not None:
            labels.append(_gather(b.box_labels, src)[0])
        if with_w:
            weights.append(row_weights(b.instance_weights, piece, None if piece_weights is None
                                       else piece_weights[p], img, len(img_h), dev))
    flags = torch.stack([torch.cat(keeps), torch.cat(redo)]).cpu().numpy()  # the one sync
    img_all = np.concatenate([r[0] for r in rows])
    order = np.argsort(img_all, kind="stable")
    sel = order[flags[0][order]]
    new_counts = np.bincount(img_all[sel], minlength=n).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(new_counts)[:-1]])
    slot = np.arange(len(sel)) - starts[img_all[sel]]
    out = torch.zeros((n, int(new_counts.max(initial=0)), h, w), dtype=m.dtype, device=dev)
    piece_of = np.concatenate([np.full(len(r[0]), p) for p, r in enumerate(rows)])
    offset = np.concatenate([[0], np.cumsum([len(r[0]) for r in rows])])
    for p, piece in enumerate(pieces):
        mine = piece_of[sel] == p
        if mine.any():
            local = sel[mine] - offset[p]
            _write(out, m, piece, rows[p], local, slot[mine], dev)
    changes: dict = {"masks": out, "instance_counts": new_counts.tolist()}
    sizes = new_counts.tolist()
    sel_t = torch.from_numpy(sel).to(dev, non_blocking=True)
    if has_boxes:
        kept = torch.cat(boxes)[sel_t]
        fix = np.flatnonzero(flags[1][sel])
        if len(fix):
            at = torch.from_numpy(np.stack([img_all[sel][fix], slot[fix]])).to(dev)
            f = torch.from_numpy(fix).to(dev)
            kept[f] = tight_boxes(out[at[0], at[1]]).to(kept.dtype)
        changes["boxes"] = list(torch.split(kept, sizes, 0))
    if b.box_labels is not None:
        changes["box_labels"] = list(torch.split(torch.cat(labels)[sel_t], sizes, 0))
    if with_w:
        changes["instance_weights"] = list(torch.split(torch.cat(weights)[sel_t], sizes, 0))
    return changes


def _write(out, m, piece, rows, local, slot, dev):
    """Copy the kept rows of one piece into their output planes: a "clip" piece writes the
    region's pixels at their shifted place, an "occlude" piece the whole plane with the
    region cleared (not for the images the piece skips)."""
    mode, _, region, shift = piece[:4]
    img_h, sb_h, sk_h = rows
    y1, x1, y2, x2 = region
    at = torch.from_numpy(np.stack([img_h[local], slot, sb_h[local], sk_h[local]])).to(dev)
    oi, os_, si, sk = at
    if mode == "clip":
        if y2 > y1 and x2 > x1:
            dy, dx = shift
            out[oi, os_, y1 + dy:y2 + dy, x1 + dx:x2 + dx] = m[si, sk, y1:y2, x1:x2]
        return
    out[oi, os_] = m[si, sk]
    if y2 > y1 and x2 > x1:
        if len(piece) > 4:  # images paired with themselves: nothing is hidden
            cut = torch.from_numpy(~np.asarray(piece[4], bool)[img_h[local]]).to(dev)
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
    out = fill_holes(m, holes, 0)
    before, after = pixels(m), pixels(out)
    keep = (before == 0) | (after > 0)
    redo = (after < before) & (after > 0)
    flags = torch.stack([keep, redo]).cpu().numpy()  # the one sync
    valid = np.arange(m.shape[1])[None] < np.asarray(counts, np.int64)[:, None]
    keep_h = flags[0] & valid if from_masks else valid
    redo_h = flags[1] & valid
    changes: dict = {"masks": out, "instance_counts": list(counts)}
    if b.boxes is not None and from_masks and redo_h.any():
        img, plane = np.nonzero(redo_h)
        at = torch.from_numpy(np.stack([img, plane])).to(dev)
        tight = tight_boxes(out[at[0], at[1]])
        boxes = list(b.boxes)
        for i in np.unique(img).tolist():
            rows = np.flatnonzero(img == i)
            t = boxes[i].clone()
            t[torch.from_numpy(plane[rows]).to(dev)] = tight[torch.from_numpy(rows).to(dev)].to(
                t.dtype)
            boxes[i] = t
        changes["boxes"] = boxes
    if (keep_h == valid).all():
        return changes
    return _compact(b, changes, keep_h)


def _compact(b, changes: dict, keep_h: np.ndarray) -> dict:
    """Drop the planes (and boxes, labels, weights) whose `keep_h` (B, K) flag is off."""
    masks = changes["masks"]
    dev = masks.device
    new_counts = keep_h.sum(1)
    img, plane = np.nonzero(keep_h)
    starts = np.concatenate([[0], np.cumsum(new_counts)[:-1]])
    slot = np.arange(len(img)) - starts[img]
    out = torch.zeros((masks.shape[0], int(new_counts.max(initial=0)), *masks.shape[2:]),
                      dtype=masks.dtype, device=dev)
    at = torch.from_numpy(np.stack([img, slot, plane])).to(dev)
    out[at[0], at[1]] = masks[at[0], at[2]]
    changes = {**changes, "masks": out, "instance_counts": new_counts.tolist()}
    for name in ("boxes", "box_labels", "instance_weights"):
        vals = changes.get(name, getattr(b, name))
        if vals is not None:
            changes[name] = [v[torch.from_numpy(np.flatnonzero(keep_h[i, :len(v)])).to(v.device)]
                             for i, v in enumerate(vals)]
    return changes
