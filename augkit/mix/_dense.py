"""Boxes and keypoints that follow pasted pixels, for a whole batch at once.

A mixed image is made of *pieces*. A piece takes, for every output image i, the targets of
source image ``src[i]`` and either
* ``"clip"``: keeps what lies inside the source ``region`` (y1, x1, y2, x2) and shifts it by
  ``(dy, dx)`` (a pasted or tiled patch), or
* ``"occlude"``: keeps the targets in place but hides what lies inside ``region`` (the image's
  own content under a pasted patch).

An optional fifth element ``skip`` (B bools) turns a piece off for some images: a "clip"
piece then contributes nothing and an "occlude" piece hides nothing (CutMix pairing an image
with itself pastes it onto itself: nothing is hidden and nothing is duplicated).

All images of a piece are handled by one set of tensor ops on the targets' device; host
round trips happen per batch and target kind (to learn how many targets each image keeps),
never per image. The mixers' entry point, `_instances.move_targets`, sends batches with
instance masks (B, K, H, W) through `_instances.move_instances` and the rest through here.
"""

from __future__ import annotations

import torch

from ..errors import value_error


def _gather(items, src):
    """Concatenate items[src[i]] for every i, with the output image index of each row."""
    parts = [items[j] for j in src]
    counts = [int(p.shape[0]) for p in parts]
    rows = torch.cat(parts, 0) if parts else items[0][:0]
    dev = rows.device
    img = torch.repeat_interleave(torch.arange(len(src), device=dev),
                                  torch.as_tensor(counts, device=dev), output_size=sum(counts))
    return rows, img


def _split(rows_list, img_list, keep_list, n: int):
    """Concatenate pieces, order by output image (stable), drop, and split per image."""
    rows = torch.cat(rows_list, 0)
    img = torch.cat(img_list, 0)
    keep = torch.cat(keep_list, 0)
    order = torch.sort(img, stable=True).indices
    rows, img, keep = rows[order], img[order], keep[order]
    counts = torch.bincount(img[keep], minlength=n).tolist()  # host syncs: per batch only
    return list(torch.split(rows[keep], counts, 0))


def _skip_rows(piece, img):
    """Per row: whether its output image skips this piece (None when nothing is skipped)."""
    if len(piece) < 5 or not any(piece[4]):
        return None
    return torch.as_tensor(piece[4], dtype=torch.bool, device=img.device)[img]


def _area(b):
    return (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)


def box_piece(boxes, piece, min_visible: float):
    """One piece's boxes, in source order: (moved boxes, keep, output image of each row). A
    box is kept when its visible fraction is > 0 and >= `min_visible` (fraction of its own
    area; a zero-area box counts as visible when it lies inside the kept part)."""
    mode, src, region, shift = piece[:4]
    b, img = _gather(boxes, src)
    skip = _skip_rows(piece, img)
    b = b.float()
    y1, x1, y2, x2 = region
    lo = b.new_tensor([x1, y1, x1, y1])
    hi = b.new_tensor([x2, y2, x2, y2])
    c = torch.minimum(torch.maximum(b, lo), hi)
    a, ca = _area(b), _area(c)
    point_inside = (b[:, 0] >= x1) & (b[:, 2] <= x2) & (b[:, 1] >= y1) & (b[:, 3] <= y2)
    if mode == "clip":
        frac = torch.where(a > 0, ca / a.clamp(min=1e-12), point_inside.float())
        moved = c + b.new_tensor([shift[1], shift[0], shift[1], shift[0]])
    else:
        frac = torch.where(a > 0, 1.0 - ca / a.clamp(min=1e-12),
                           1.0 - point_inside.float())
        moved = b
    keep = (frac > 0) & (frac >= min_visible)
    if skip is not None:
        keep = keep | skip if mode == "occlude" else keep & ~skip
    return (moved.to(boxes[0].dtype) if boxes[0].is_floating_point() else moved), keep, img


def row_weights(weights, piece, piece_w, img, n_rows: int, device):
    """Per-instance weights of one piece's rows: the source's (1 where there are none) times
    the piece's weight for each output image (`piece_w`: None, or one float per image)."""
    w = (_gather(weights, piece[1])[0].float() if weights is not None
         else torch.ones(n_rows, dtype=torch.float32, device=device))
    if piece_w is not None:
        w = w * torch.as_tensor(piece_w, dtype=torch.float32, device=device)[img]
    return w


def move_boxes(boxes, box_labels, pieces, n: int, min_visible: float, weights=None,
               piece_weights=None):
    """Boxes of every piece (`box_piece`), box labels and per-instance weights in step.
    Returns (boxes, labels or None, weights or None); weights come out when the batch has
    them or `piece_weights` (one entry per piece: None or a float per output image) is
    given."""
    out_b, out_l, out_w, imgs, keeps = [], [], [], [], []
    with_w = weights is not None or piece_weights is not None
    for p, piece in enumerate(pieces):
        moved, keep, img = box_piece(boxes, piece, min_visible)
        keeps.append(keep)
        out_b.append(moved)
        imgs.append(img)
        if box_labels is not None:
            out_l.append(_gather(box_labels, piece[1])[0])
        if with_w:
            out_w.append(row_weights(weights, piece, None if piece_weights is None
                                     else piece_weights[p], img, len(img), img.device))
    new_boxes = _split(out_b, imgs, keeps, n)
    new_labels = _split(out_l, imgs, keeps, n) if box_labels is not None else None
    new_w = _split(out_w, imgs, keeps, n) if with_w else None
    return new_boxes, new_labels, new_w


def _instances(op, kps):
    """Every image's keypoints as (P, K, D) plus the shape to restore."""
    rest = None
    flat = []
    for i, k in enumerate(kps):
        if k.ndim == 1:
            k = k[None]
        r = tuple(k.shape[1:-1])
        if rest is None:
            rest = (r, k.shape[-1])
        elif (r, k.shape[-1]) != rest:
            raise value_error(op, "keypoints", f"[{i}] has shape {tuple(k.shape)}; images of a "
                              f"batch that is mixed need keypoints of one layout (..., "
                              f"{', '.join(map(str, rest[0]))}{', ' if rest[0] else ''}"
                              f"{rest[1]})")
        flat.append(k.reshape(k.shape[0], -1, k.shape[-1]))
    return flat, rest


def move_keypoints(op, kps, pieces, n: int):
    """Keypoints of every piece. With a visibility column, hidden points get v = 0 and
    pasted instances (people) are kept when at least one point is visible; plain xy points
    (N, 2) are kept only where visible. xy points grouped in instances cannot say what is
    hidden, so they raise."""
    flat, (rest, d) = _instances(op, kps)
    if d == 2 and rest and int(torch.tensor(rest).prod()) != 1:
        raise value_error(op, "keypoints", f"have layout (..., {rest}, 2) without visibility; "
                          "mixing needs (..., 3) xy + visibility to mark hidden points")
    rows_l, imgs, keeps = [], [], []
    for piece in pieces:
        mode, src, region, shift = piece[:4]
        k, img = _gather(flat, src)
        skip = _skip_rows(piece, img)
        k = k.clone()
        y1, x1, y2, x2 = region
        x, y = k[..., 0], k[..., 1]
        inside = (x >= x1) & (x < x2) & (y >= y1) & (y < y2)
        if mode == "clip":
            hidden = ~inside
            k[..., 0] += shift[1]
            k[..., 1] += shift[0]
        else:
            hidden = inside if skip is None else inside & ~skip[:, None]
        if d == 3:
            k[..., 2] = torch.where(hidden, torch.zeros_like(k[..., 2]), k[..., 2])
            if mode == "clip":
                keep = (k[..., 2] > 0).any(1)
            else:
                keep = torch.ones(k.shape[0], dtype=torch.bool, device=k.device)
        else:
            keep = ~hidden.any(1)
        if skip is not None and mode == "clip":
            keep = keep & ~skip
        rows_l.append(k)
        imgs.append(img)
        keeps.append(keep)
    out = _split(rows_l, imgs, keeps, n)
    restore = [(-1, *rest, d) if kps[0].ndim >= 3 else (-1, d) for _ in out]
    return [o.reshape(r) for o, r in zip(out, restore)]
