"""Randomness: explicit generators, a per-process default stream, and per-item streams.

* Every op takes an explicit `numpy.random.Generator`; ops hold no random state.
* ``rng=None`` uses `default_rng()`: one stream per process. A forked child (a DataLoader
  worker, a multiprocessing pool) notices the new pid and reseeds, so two workers never
  repeat each other. Inside a torch DataLoader worker the new seed comes from the worker's
  torch seed, so ``torch.manual_seed`` in the parent makes the workers reproducible too.
* `item_rng(seed, epoch, index)` is the stream `AugmentedDataset` uses: it depends on
  (seed, epoch, index) only, never on the number or order of workers.
"""

from __future__ import annotations

import os
import sys

import numpy as np

_state: dict = {"pid": None, "rng": None, "seed": None}


def seed(value: int | None) -> None:
    """Seed this process's default stream (None: fresh entropy)."""
    _state.update(pid=os.getpid(), seed=value, rng=np.random.default_rng(value))


def default_rng() -> np.random.Generator:
    """This process's stream; reseeded automatically after a fork."""
    pid = os.getpid()
    if _state["pid"] != pid:  # first use in this process, or a forked child
        _state.update(pid=pid, rng=np.random.default_rng(_child_seed()))
    return _state["rng"]


def resolve_rng(rng, op) -> np.random.Generator:
    """`rng` itself when it is a numpy Generator, `default_rng()` when None; anything else
    (a seed, a RandomState, a torch Generator) is a typed error naming `op` and "rng"."""
    if rng is None:
        return default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    from .errors import type_error

    raise type_error(op, "rng", f"is {type(rng).__name__}; expected a numpy.random.Generator "
                     "(np.random.default_rng(seed)) or None")


def _child_seed():
    """The torch worker seed inside a DataLoader worker (so torch.manual_seed in the parent
    makes workers reproducible), else fresh entropy."""
    torch = sys.modules.get("torch")
    if torch is not None:
        info = torch.utils.data.get_worker_info()
        if info is not None:
            return np.random.SeedSequence([info.seed % (1 << 63), info.id])
    return None


def item_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The stream for item `index` of `epoch`: a pure function of its three arguments."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(epoch), int(index)]))
