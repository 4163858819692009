"""`AugmentedDataset`: a map-style dataset wrapper that augments with reproducible streams."""

from __future__ import annotations

import numpy as np

from .core import Op
from .errors import type_error
from .rng import default_rng, item_rng


class AugmentedDataset:
    """Wrap `dataset` so that item i is augmented by `op`.

    With a `seed`, item i of epoch e is augmented from the stream (seed, e, i): results do not
    depend on the number or order of DataLoader workers. Call `set_epoch(e)` before each
    epoch; the epoch lives in a shared-memory tensor, so persistent workers see it too.
    Without a seed, the per-process default stream is used (different on every run).

    Items that are tuples or lists are augmented on their first element (``(image, label)``);
    any other item is augmented whole.
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

    def rng_for(self, index: int) -> np.random.Generator:
        if self.seed is None:
            return default_rng()
        return item_rng(self.seed, self.epoch, index)

    def __getitem__(self, index: int):
        item = self.dataset[index]
        rng = self.rng_for(index)
        if isinstance(item, (tuple, list)):
            return type(item)([self.op(item[0], rng), *item[1:]])
        return self.op(item, rng)
