"""Combinators, themselves ops: `Seq`, `OneOf`, `SomeOf`, `Maybe`.

`Seq` fuses every run of consecutive `GeometricOp`s that share interpolation and fill into a
single warp: one interpolation (sharper) and one pass over memory (faster). Boxes then are
the enclosing box of the corners moved once, which is tighter than moving them step by step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import GeometricOp, Op, check_prob, standardizes_output, warp_image_only, warp_sample
from .errors import value_error
from .functional import geometry as G
from .functional.matrices import compose9, matmul3
from .fusion import fuse_groups, style_compatible, warp_steps
from .sample import Sample, stand_in_of


def _check_ops(op, field, ops):
    if not isinstance(ops, tuple) or not all(isinstance(o, Op) for o in ops):
        raise value_error(op, field, f"is {ops!r}; expected a list of augkit ops")


@dataclass(frozen=True)
class Seq(Op):
    """Apply ops in order. Consecutive geometric ops become one warp (see module doc)."""

    ops: tuple = ()
    fuse: bool = True

    def validate(self):
        _check_ops(self, "ops", self.ops)
        for i, op in enumerate(self.ops[:-1]):
            # whitening returns unbounded float32: any later op would clip or reject it
            if standardizes_output(op):
                raise value_error(self, "ops", f"has {type(op).__name__} at position {i} "
                                  "followed by more ops; whitening must come last")

    @property
    def geometric(self):  # type: ignore[override]
        return any(o.geometric for o in self.ops)

    @property
    def tier(self):  # type: ignore[override]
        from .core import TIERS

        return max((o.tier for o in self.ops), key=TIERS.index, default="poor")

    def children(self):
        return self.ops

    def sample(self, rng, s):
        # Later ops draw from the geometry earlier ops produce, so drawing runs the chain.
        return self.sample_apply(rng, s)[1]

    def sample_apply(self, rng, s):
        steps = []
        run: list = []  # pending geometric (op, params, size_before)
        for op in self.ops:
            if self.fuse and _fusable(op):
                size = _run_size(run, s)
                p = op.sample(rng, _geometry_view(s, run, size))
                steps.append(p)
                run.append((op, p, size))
                continue
            s = _flush(run, s)
            run = []
            s, p = op.sample_apply(rng, s)
            steps.append(p)
        return _flush(run, s), {"steps": steps}

    def apply(self, s, params):
        steps = params["steps"]
        if len(steps) != len(self.ops):
            raise value_error(self, "params", f"have {len(steps)} steps; expected {len(self.ops)}")
        run: list = []
        for op, p in zip(self.ops, steps):
            if self.fuse and _fusable(op):
                run.append((op, p, _run_size(run, s)))
                continue
            s = _flush(run, s)
            run = []
            s = op.apply(s, p)
        return _flush(run, s)

    def _call_array(self, rng, img):
        """`op(img)` on a bare image when every op is one fused warp (the CIFAR recipe's
        pad-crop + flip, a photo's crop + flip): `sample_apply`'s draws, matrix and warp
        without its run and Sample bookkeeping (same draws, matrix and pixels; a test holds
        it to `sample_apply`).

        Right after a photo's decode every Python and numpy call here runs cold (~2-15 us
        each, measured), so a resized window and its flips compose as windows
        (`GeometricOp.window`), other chains as Python floats (`compose9`), and the last op
        gets no stand-in view."""
        style = self.__dict__.get("_one_warp_style", False)
        if style is False:
            style = self._one_warp()
        if style is None or self.p < 1.0 or type(self).sample_apply is not Seq.sample_apply:
            return Op._call_array(self, rng, img)
        s = Sample(img)
        ops = self.ops
        last = ops[-1]
        view, size, drawn = s, s.size, []
        for op in ops:
            p = op.sample(rng, view)
            drawn.append((op, p, size))
            size = tuple(op.out_size(p, size))
            if op is not last:
                view = stand_in_of(s, size)
        vals = None
        if style[1] is None:
            # No fill to check: a resized window (RandomResizedCrop, flips) goes straight to
            # the resize that warp_checked would reach after its general tests. A window of
            # the output's size is a crop: warp_checked's fast path, which returns a view.
            win = _window(drawn)
            if win is None:
                vals = _composed(drawn)
                win = G.mirrored_window(vals, size, img.shape[:2])
            if win is not None and (win[0][1] - win[0][0], win[0][3] - win[0][2]) != size:
                return G.mirrored_resize(img, win, size, style[0])
        if vals is None:
            vals = _composed(drawn)
        return warp_image_only(img, np.array(vals).reshape(3, 3), size, style, ops[0])

    def _one_warp(self):
        """The merged warp style when the ops are two or more fusable geometric ops that fuse
        into one warp and leave a bare image to that warp alone, else None (fields only:
        computed once per op)."""
        got = self.__dict__.get("_one_warp_style", False)
        if got is not False:
            return got
        style = None
        ops = self.ops
        if self.fuse and len(ops) >= 2 and all(
                _fusable(o) and (type(o).remap_targets is GeometricOp.remap_targets
                                 or o.remaps_targets_only) for o in ops):
            style = ops[0].warp_style()
            for o in ops[1:]:
                style = style_compatible(style, o.warp_style())
                if style is None:
                    break
        object.__setattr__(self, "_one_warp_style", style)
        return style

    # -- the batched path (augkit.batch): the same draws as sample_apply, the same fusion --
    def batch_chain(self):
        return (self.ops, self.fuse) if _standard(self, Seq) else None

    def draw_for_batch(self, rng, view):
        if not _standard(self, Seq):
            return Op.draw_for_batch(self, rng, view)
        steps = []
        for op in self.ops:
            p, size = op.draw_for_batch(rng, view)
            steps.append(p)
            view = stand_in_of(view, size)
        return {"steps": steps}, view.size

    def plan_batch(self, params, size, steps):
        if not _standard(self, Seq):
            return Op.plan_batch(self, params, size, steps)
        run: list = []
        for op, p in zip(self.ops, params["steps"]):
            if self.fuse and _fusable(op):
                run.append((op, p, size))
                size = tuple(int(v) for v in op.out_size(p, size))
                continue
            warp_steps(run, steps)
            run = []
            size = op.plan_batch(p, size, steps)
        warp_steps(run, steps)
        return size


def _standard(op, cls) -> bool:
    """Whether `op` draws and applies as `cls` does (a subclass may do either its own way;
    the batched path then treats it as one opaque step)."""
    return type(op).sample_apply is cls.sample_apply and type(op).apply is cls.apply


def _fusable(op) -> bool:
    """A GeometricOp that is fully described by its matrix (it does not override apply)."""
    return op.is_matrix_warp()


_FLIP_BITS = {None: 0, 1: 1, 0: 2, -1: 3}  # OpenCV flip codes as (left-right, top-bottom)
_FLIP_CODES = (None, 1, 0, -1)


def _window(drawn):
    """`mirrored_window`'s answer for [(op, params, size_before)] without matrices: the first
    op's window (`GeometricOp.window`) when every later op takes its whole input (flips, a
    resize: the window then resizes straight to the last size), the flips combined; None
    otherwise."""
    (op, p, sz), *rest = drawn
    w = op.window(p, sz)
    if w is None:
        return None
    bits = _FLIP_BITS[w[4]]
    for op, p, sz in rest:
        v = op.window(p, sz)
        if v is None or v[:4] != (0, sz[0], 0, sz[1]):
            return None
        bits ^= _FLIP_BITS[v[4]]
    return w[:4], _FLIP_CODES[bits]


def _composed(drawn) -> list:
    """The ops' fused matrix as its 9 values row by row (`compose9`, Python floats)."""
    vals = None
    for op, p, sz in drawn:
        mi = op.matrix(p, sz).ravel().tolist()
        vals = mi if vals is None else compose9(mi, vals)
    return vals


def _run_size(run, s):
    if not run:
        return s.size
    op, p, size = run[-1]
    return tuple(op.out_size(p, size))


def _geometry_view(s: Sample, run, size) -> Sample:
    """What a fused geometric op sees while drawing: the geometry the pending run has reached
    (its size, and boxes and keypoints moved by the run's matrices) with a zero-stride
    stand-in for the image. GeometricOp.sample reads geometry only, so this is enough."""
    if not run:
        return s
    if s.mask is None and s.boxes is None and s.keypoints is None:  # a bare image: its size
        return stand_in_of(s, size)  # is all there is to see (no matrices to multiply)
    m = np.eye(3)
    for op, p, sz in run:
        m = matmul3(op.matrix(p, sz), m)
    shape = tuple(size) + s.image.shape[2:]
    view = Sample(np.broadcast_to(np.zeros((), s.image.dtype), shape), box_labels=s.box_labels,
                  boxes=None if s.boxes is None else G.warp_boxes(np.asarray(s.boxes), m, size),
                  keypoints=None if s.keypoints is None else G.warp_keypoints(
                      np.asarray(s.keypoints), m, size))
    for op, p, _ in run:
        view = op.remap_targets(view, p)
    return view


def _flush(run, s):
    """Apply a pending run of geometric ops as few warps as their styles allow."""
    if len(run) == 1:
        op, p, _ = run[0]
        return op.apply(s, p)
    for group, m, out, style in fuse_groups(run):
        if len(group) == 1:
            op, p = group[0]
            s = op.apply(s, p)
            continue
        s = warp_sample(s, m, out, style, group[0][0])  # errors name the run's first op
        for g, gp in group:
            s = g.remap_targets(s, gp)
    return s


def _check_weights(op, weights, n):
    if weights is None:
        return
    from .core import is_number  # finite, not a bool (any junk gets the typed error below)

    if not (isinstance(weights, tuple) and len(weights) == n and all(map(is_number, weights))
            and min(weights, default=0) >= 0 and sum(weights) > 0):
        raise value_error(op, "weights", f"is {weights!r}; expected {n} non-negative numbers "
                          "with a positive sum")


@dataclass(frozen=True)
class _Choice(Op):
    """Shared base of `OneOf` and `SomeOf`: ops to choose from, optional `weights` (declared
    by each subclass, so their positional field order stays ``ops`` first)."""

    ops: tuple = ()

    def validate(self):
        _check_ops(self, "ops", self.ops)
        _check_weights(self, self.weights, len(self.ops))
        self._check_count()

    def _check_count(self) -> None:
        """Check how many ops get chosen."""

    geometric = Seq.geometric
    tier = Seq.tier

    def children(self):
        return self.ops


@dataclass(frozen=True)
class OneOf(_Choice):
    """Apply one op, chosen with probability proportional to `weights` (uniform if None)."""

    weights: tuple | None = None

    def _check_count(self):
        if not self.ops:
            raise value_error(self, "ops", "is empty; expected at least one op")

    def _choose(self, rng):
        if self.weights is None:
            return int(rng.integers(len(self.ops)))
        w = np.asarray(self.weights, float)
        return int(rng.choice(len(self.ops), p=w / w.sum()))

    def sample(self, rng, s):
        i = self._choose(rng)
        return {"index": i, "params": self.ops[i].sample(rng, s)}

    def sample_apply(self, rng, s):
        i = self._choose(rng)
        out, p = self.ops[i].sample_apply(rng, s)
        return out, {"index": i, "params": p}

    def apply(self, s, params):
        return self.ops[params["index"]].apply(s, params["params"])

    def draw_for_batch(self, rng, view):
        if not _standard(self, OneOf):
            return Op.draw_for_batch(self, rng, view)
        i = self._choose(rng)
        p, size = self.ops[i].draw_for_batch(rng, view)
        return {"index": i, "params": p}, size

    def plan_batch(self, params, size, steps):
        if not _standard(self, OneOf):
            return Op.plan_batch(self, params, size, steps)
        return self.ops[params["index"]].plan_batch(params["params"], size, steps)


@dataclass(frozen=True)
class SomeOf(_Choice):
    """Apply `k` distinct ops in random order; `k` may be an int or an inclusive (lo, hi)."""

    k: int | tuple = 1
    weights: tuple | None = None

    def _check_count(self):
        k = self.k
        ok = (isinstance(k, int) and not isinstance(k, bool)) or (
            isinstance(k, tuple) and len(k) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in k))
        if not ok:
            raise value_error(self, "k", f"is {k!r}; expected an int or an inclusive (lo, hi) "
                              "pair of ints")
        lo, hi = (k, k) if isinstance(k, int) else k
        n_ok = len(self.ops) if self.weights is None else int(np.count_nonzero(self.weights))
        if not (0 <= lo <= hi <= n_ok):
            raise value_error(self, "k", f"is {self.k!r}; expected 0 <= k <= {n_ok} (the ops "
                              "that can be chosen)")

    def _choose(self, rng):
        lo, hi = (self.k, self.k) if isinstance(self.k, int) else tuple(self.k)
        k = int(rng.integers(lo, hi + 1)) if hi > lo else lo
        p = None
        if self.weights is not None:
            w = np.asarray(self.weights, float)
            p = w / w.sum()
            k = min(k, int((w > 0).sum()))
        return [int(i) for i in rng.choice(len(self.ops), size=k, replace=False, p=p)]

    def sample(self, rng, s):
        return self.sample_apply(rng, s)[1]

    def sample_apply(self, rng, s):
        idx = self._choose(rng)
        ps = []
        for i in idx:
            s, p = self.ops[i].sample_apply(rng, s)
            ps.append(p)
        return s, {"indices": idx, "params": ps}

    def apply(self, s, params):
        for i, p in zip(params["indices"], params["params"]):
            s = self.ops[i].apply(s, p)
        return s

    def draw_for_batch(self, rng, view):
        if not _standard(self, SomeOf):
            return Op.draw_for_batch(self, rng, view)
        idx, ps = self._choose(rng), []
        for i in idx:
            p, size = self.ops[i].draw_for_batch(rng, view)
            ps.append(p)
            view = stand_in_of(view, size)
        return {"indices": idx, "params": ps}, view.size

    def plan_batch(self, params, size, steps):
        if not _standard(self, SomeOf):
            return Op.plan_batch(self, params, size, steps)
        for i, p in zip(params["indices"], params["params"]):
            size = self.ops[i].plan_batch(p, size, steps)
        return size


@dataclass(frozen=True)
class Maybe(Op):
    """Apply `op` with probability `p`."""

    op: Op | None = None
    p: float = 0.5

    def validate(self):
        if not isinstance(self.op, Op):
            raise value_error(self, "op", f"is {self.op!r}; expected an augkit op")
        check_prob(self, "p", self.p)

    @property
    def geometric(self):  # type: ignore[override]
        return self.op.geometric

    @property
    def tier(self):  # type: ignore[override]
        return self.op.tier

    def children(self):
        return (self.op,)

    def sample(self, rng, s):
        if rng.random() < self.p:
            return {"applied": True, "params": self.op.sample(rng, s)}
        return {"applied": False, "params": None}

    def sample_apply(self, rng, s):
        if rng.random() < self.p:
            out, p = self.op.sample_apply(rng, s)
            return out, {"applied": True, "params": p}
        return s, {"applied": False, "params": None}

    def apply(self, s, params):
        return self.op.apply(s, params["params"]) if params["applied"] else s

    def draw_for_batch(self, rng, view):
        if not _standard(self, Maybe):
            return Op.draw_for_batch(self, rng, view)
        if rng.random() < self.p:
            p, size = self.op.draw_for_batch(rng, view)
            return {"applied": True, "params": p}, size
        return {"applied": False, "params": None}, view.size

    def plan_batch(self, params, size, steps):
        if not _standard(self, Maybe):
            return Op.plan_batch(self, params, size, steps)
        return self.op.plan_batch(params["params"], size, steps) if params["applied"] else size
