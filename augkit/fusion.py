"""Fusing runs of geometric ops into few warps: shared by `Seq` (one sample at a time) and the
batched path (`augkit.batch`), so the two fuse exactly alike.

A run is a list of (op, params, size_before) for consecutive ops that are fully described by
their matrix (``op.is_matrix_warp()``). Consecutive ops with compatible warp styles become one
matrix; styles are (interpolation, fill, mask_fill, border) and a None fill matches any fill.
Knows no op class: it calls ``matrix``, ``out_size`` and ``warp_style`` only.

Borders. A border None is an op that uncovers nothing (flips, resizes, crops inside the
image: no fill either). Two "constant" borders fuse as before (a fused warp may bring back
pixels an intermediate step cut off; the fill paints the rest). A non-constant border
(reflect, reflect101, replicate, wrap) extends the image *it is given*, so a sequence of two
such warps differs from one fused warp: the second would extend the first's output (its
reflected corners included), the fused one extends the original at other edges. The rule,
chosen so that fusing never changes what a border mode shows:

* a warp with a non-constant border fuses only with the warps *after* it that uncover
  nothing (border None): those only read inside the frame the bordered warp filled, so the
  sequence and the fused warp sample the same source point for every output pixel;
* it never fuses with a warp before it (a crop or resize before a reflect would move the
  edges the reflection is about), nor with any other bordered warp, constant or not.

The rule reads styles only, so `Seq` and the batched static plan (which decides before any
matrix is drawn) fuse alike.
"""

from __future__ import annotations

import numpy as np

from .functional.matrices import matmul3


def style_compatible(a: tuple, b: tuple) -> tuple | None:
    """Merge the warp styles of a warp `a` and the warp `b` after it, or None when they may
    not fuse: interpolations differ, fills differ (None fills match anything), or the
    border rule of the module docstring refuses."""
    if a[0] != b[0]:
        return None
    ba, bb = a[3], b[3]
    if bb not in (None, "constant") or (ba not in (None, "constant") and bb is not None):
        return None  # a non-constant border fuses only with what uncovers nothing after it
    merged = [a[0]]
    for x, y in zip(a[1:], b[1:]):
        if x is not None and y is not None and x != y:
            return None
        merged.append(x if x is not None else y)
    return tuple(merged)


def fuse_groups(run):
    """Split a run of (op, params, size_before) into groups of consecutive geometric ops with
    compatible warp styles; yields (group, matrix, out_size, style) per group, where group
    lists the (op, params) pairs the one matrix stands for."""
    i = 0
    while i < len(run):
        op, p, size = run[i]
        m, style, out = op.matrix(p, size), op.warp_style(), op.out_size(p, size)
        group = [(op, p)]
        j = i + 1
        while j < len(run):
            op2, p2, size2 = run[j]
            merged = style_compatible(style, op2.warp_style())
            if merged is None:
                break
            m = matmul3(op2.matrix(p2, size2), m)
            out, style = op2.out_size(p2, size2), merged
            group.append((op2, p2))
            j += 1
        yield group, m, out, style
        i = j


def warp_steps(run, steps: list) -> None:
    """The batched path's steps for a run: ("warp", matrix, out_size, style, op, group) per
    fused group (op: the group's first, named by fill errors; group: its (op, params) pairs,
    whose `remap_targets` a batch with keypoints applies), or ("leaf", op, params, out_size)
    for a lone op that is not a pure matrix warp."""
    for group, m, osize, style in fuse_groups(run):
        op, p = group[0]
        if len(group) == 1 and not op.is_matrix_warp():
            steps.append(("leaf", op, p, (int(osize[0]), int(osize[1]))))
        else:
            steps.append(("warp", np.asarray(m, np.float64), (int(osize[0]), int(osize[1])),
                          style, op, tuple(group)))
