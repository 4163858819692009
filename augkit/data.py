"""`AugmentedDataset`: a map-style dataset wrapper that augments with reproducible streams."""

from __future__ import annotations

import operator

import numpy as np

from .boundary import to_sample
from .core import Op, integer
from .errors import AugkitError, short_repr, type_error, value_error
from .rng import default_rng, item_rng


class AugkitIndexError(AugkitError, IndexError):
    """An item index outside the dataset (an `IndexError`, so iteration stops on it)."""


def extras_needed(op: Op | None) -> int:
    """How many other samples a call of `op` may take from ``Sample.extras``: the
    ``extra_samples`` of every multi-image op in it (`augkit.middle.Mosaic`: 3, `CopyPaste`:
    1), summed over the whole tree. An upper bound: a `OneOf` of Mosaic and CopyPaste counts
    4, though a call takes 3 or 1 (each op takes its own from the front of the tuple)."""
    if op is None:
        return 0
    own = getattr(op, "extra_samples", 0)
    return (own if isinstance(own, int) else 0) + sum(extras_needed(c) for c in op.children())


class Items(list):
    """One batch of items as `AugmentedDataset.__getitems__` returns them: a plain list to
    any `collate_fn`, which also says where the items came from (`seed`, `epoch` and the
    dataset `indices`), so that `augkit.mix.collate` can mix the batch from a stream of its
    own, whatever the number of DataLoader workers."""

    seed: int | None
    epoch: int
    indices: tuple


class AugmentedDataset:
    """Wrap `dataset` so that item i is augmented by `op`.

    With a `seed` (an int >= 0), item i of epoch e is augmented from the stream
    ``item_rng(seed, e, i)``: results do not depend on the number or order of DataLoader
    workers. Call `set_epoch(e)` before each epoch; the epoch lives in a shared-memory
    tensor, so persistent workers see it too. Without a seed, the per-process default stream
    is used (different on every run).

    ``op=None`` hands items over un-augmented (no stream is built) while batches still say
    where they came from: the route for `augkit.loader.BatchAugment`, which augments the
    collated batch in one pass with the same per-item streams, and for `augkit.mix.collate`.

    Items that are tuples or lists are augmented on their first element (``(image, label)``);
    any other item is augmented whole. Negative indices count from the end, like a list:
    ``ds[-1]`` is ``ds[len(ds) - 1]``, with the same stream.

    Multi-image ops (`augkit.middle.Mosaic`, `CopyPaste`: see docs/multi-image.md): when `op`
    holds some (`extras_needed`), item i's stream first draws the indices of the k other
    items it takes, uniformly over the dataset with replacement (YOLO's rule: the item itself
    may come up), one double each (``integer``); those items are read raw (un-augmented,
    their first element for tuples) and handed to `op` as ``Sample.extras``; then `op` draws
    from the same stream. So the other items, like every pixel, depend on (seed, epoch, i)
    only. The item goes to `op` as a `Sample` (an image item comes back an image) and comes
    back without extras.

    A DataLoader fetches a batch through `__getitems__`: the same items as ``[ds[i] for i in
    indices]`` (all of one epoch), in an `Items` list that also carries the seed, the epoch
    and the indices, from which `augkit.mix.collate` derives the batch's mixing stream.
    """

    def __init__(self, dataset, op: Op | None, seed: int | None = None):
        if op is not None and not isinstance(op, Op):
            raise type_error("AugmentedDataset", "op", f"is {type(op).__name__}; expected an "
                             "augkit op (or None: items un-augmented, for a batch collate)")
        if seed is not None:
            try:
                s = operator.index(seed)
            except TypeError:
                s = None
            if s is None or isinstance(seed, bool) or not 0 <= s < 1 << 128:
                raise value_error("AugmentedDataset", "seed", f"is {short_repr(seed)}; "
                                  "expected None or an int in [0, 2**128)")
            seed = s
        self.dataset, self.op, self.seed = dataset, op, seed
        self.extras = extras_needed(op)
        self._epoch = np.zeros(1, np.int64)
        try:  # shared across forked/spawned workers when torch is around
            import torch

            self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()
        except ImportError:  # plain numpy use without torch: single process
            pass
        self._view()

    def _view(self) -> None:
        # A numpy view of the (shared) epoch: reading it costs ~0.1 us, a torch index ~1-5 us
        e = self._epoch
        self._epoch_np = e if isinstance(e, np.ndarray) else e.numpy()

    def __getstate__(self):  # the view is rebuilt on the far side: the shared tensor travels
        state = self.__dict__.copy()
        state.pop("_epoch_np", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._view()

    @property
    def epoch(self) -> int:
        return int(self._epoch_np[0])

    def set_epoch(self, epoch: int) -> None:
        try:
            e = operator.index(epoch)
        except TypeError:
            e = None
        if e is None or isinstance(epoch, bool) or e < 0:
            raise value_error("AugmentedDataset", "epoch", f"is {epoch!r}; expected an int "
                              ">= 0")
        self._epoch_np[0] = e

    def __len__(self) -> int:
        return len(self.dataset)

    def _index(self, index) -> int:
        """`index` as an int in [0, len): negatives count from the end."""
        try:
            i = operator.index(index)
        except TypeError:
            raise type_error("AugmentedDataset", "index", f"is {type(index).__name__}; "
                             "expected an integer") from None
        n = len(self.dataset)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise AugkitIndexError(f"AugmentedDataset: index {index} is out of range for "
                                   f"{n} items")
        return i

    def rng_for(self, index: int) -> np.random.Generator:
        """The stream item `index` is augmented from (negatives count from the end)."""
        if self.seed is None:
            return default_rng()
        return item_rng(self.seed, self.epoch, self._index(index))

    def _get(self, index: int, epoch: int):
        op = self.op
        if op is None:
            return self.dataset[index]
        # The stream first: it depends on (seed, epoch, index) only, and built before the
        # read it runs with the code still in the CPU caches (~3 us; ~35 us right after a
        # photo's decode has gone through them)
        rng = default_rng() if self.seed is None else item_rng(self.seed, epoch, index)
        item = self.dataset[index]
        aug = op if not self.extras else self._with_extras(rng)
        if isinstance(item, (tuple, list)):
            return type(item)([aug(item[0], rng), *item[1:]])
        return aug(item, rng)

    def _with_extras(self, rng):
        """`op` as a function of (x, rng) that first draws the other items from `rng`."""
        n = len(self.dataset)
        idx = [integer(rng, 0, n) for _ in range(self.extras)]
        extras = []
        for j in idx:
            e = self.dataset[j]
            e = e[0] if isinstance(e, (tuple, list)) else e
            extras.append(to_sample(e, "AugmentedDataset")[0])
        extras = tuple(extras)

        def aug(x, rng):
            s, back = to_sample(x, "AugmentedDataset")
            out = self.op(s.replace(extras=extras), rng)
            return back(out if out.extras is None else out.replace(extras=None))

        return aug

    def __getitem__(self, index: int):
        return self._get(self._index(index), self.epoch)

    def __getitems__(self, indices) -> Items:
        """The items at `indices` (one batch, all read at one epoch), as an `Items` list."""
        idx = tuple(self._index(i) for i in indices)
        epoch = self.epoch
        get = self._get
        out = Items([get(i, epoch) for i in idx])
        out.seed, out.epoch, out.indices = self.seed, epoch, idx
        return out
