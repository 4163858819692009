"""`AugmentedDataset`: a map-style dataset wrapper that augments with reproducible streams."""

from __future__ import annotations

import operator

import numpy as np

from .core import Op
from .errors import AugkitError, type_error
from .rng import default_rng, item_rng


class AugkitIndexError(AugkitError, IndexError):
    """An item index outside the dataset (an `IndexError`, so iteration stops on it)."""


class AugmentedDataset:
    """Wrap `dataset` so that item i is augmented by `op`.

    With a `seed`, item i of epoch e is augmented from the stream (seed, e, i): results do not
    depend on the number or order of DataLoader workers. Call `set_epoch(e)` before each
    epoch; the epoch lives in a shared-memory tensor, so persistent workers see it too.
    Without a seed, the per-process default stream is used (different on every run).

    Items that are tuples or lists are augmented on their first element (``(image, label)``);
    any other item is augmented whole. Negative indices count from the end, like a list:
    ``ds[-1]`` is ``ds[len(ds) - 1]``, with the same stream.
    """

    def __init__(self, dataset, op: Op, seed: int | None = None):
        if not isinstance(op, Op):
            raise type_error("AugmentedDataset", "op", f"is {type(op).__name__}; expected an "
                             "augkit op")
        self.dataset, self.op, self.seed = dataset, op, seed
        self._epoch = np.zeros(1, np.int64)
        try:  # shared across forked/spawned workers when torch is around
            import torch

            self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()
        except ImportError:  # plain numpy use without torch: single process
            pass

    @property
    def epoch(self) -> int:
        return int(self._epoch[0])

    def set_epoch(self, epoch: int) -> None:
        self._epoch[0] = int(epoch)

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

    def __getitem__(self, index: int):
        index = self._index(index)
        item = self.dataset[index]
        rng = self.rng_for(index)
        if isinstance(item, (tuple, list)):
            return type(item)([self.op(item[0], rng), *item[1:]])
        return self.op(item, rng)
