"""Where collated batches live: reusable memory for the batches augkit's collates build.

Why: a fresh batch tensor costs more than it looks. In a DataLoader worker torch sends a
tensor by moving its storage into a fresh shared-memory file and handing the file
descriptor to the main process through a socket (multiprocessing's resource sharer), per
storage and per batch: on 2 cores ~0.6 ms of CPU per storage, more than the augmentation of
a whole 32x32 batch. And any fresh buffer above glibc's mmap threshold (32 MB at most: a
(64, 3, 224, 224) float32 batch is 38 MB) is new pages, ~1.6 us of page faults per 4 kB
here: ~240 us per 224^2 image, in a worker and again where it is read.

So batches are built in reusable buffers:

* in a DataLoader worker, a *slot*: a file in ``/dev/shm`` the worker keeps mapped and
  reuses; the tensor pickles as the slot's name, and the main process maps each slot once
  and hands out a plain tensor over it;
* in the main process (``num_workers=0``), a buffer from a small process-local pool.

Safety: a buffer is reused only when it is free. The process that holds the tensors marks
it free when the last tensor or view over it is freed (a `weakref.finalize` on the numpy
array that owns the storage: one byte in a slot's header, or the buffer back to the pool);
a worker frees a slot whose tensor was dropped without being sent. With no free buffer
(a training loop that keeps every batch) the tensor comes from torch as before: holding on
to batches is always safe, only slower.

Memory: buffers stay allocated while the process lives (a cache, like torch's CUDA
allocator), up to 32 slots and 256 MB per worker, 256 MB in the main process; beyond that
tensors come from torch. ``AUGKIT_WORKER_SLOTS_MB`` sets that budget (0 turns the reuse
off).

Files: the main process unlinks a slot's file as soon as it has mapped it, and each worker
unlinks its own at exit; memory goes back when both sides have dropped the mapping (the
main process forgets the slots of exited workers when a batch from a new worker arrives,
and at most every 2 s as batches arrive; tensors it handed out keep what they use). Slots
need Linux's ``/dev/shm``; elsewhere, or when it is full, workers use torch's shared memory.
Values are the same either way (tested at 0 and 2 workers).
"""

from __future__ import annotations

import functools
import math
import mmap
import os
import secrets
import threading
import time
import weakref

import numpy as np

_HEADER = 64  # slot header: byte 0 is the in-use flag; data starts 64-byte aligned
_MAX_SLOTS = 32  # per worker; beyond this, torch's shared memory
_BUDGET_MB = 256  # per worker, all slots together; AUGKIT_WORKER_SLOTS_MB overrides, 0 = off
_DIR = "/dev/shm"

_worker = {"pid": None, "slots": [], "budget": 0}  # this worker's (reset in a forked child)
_mapped: dict[str, tuple[int, mmap.mmap]] = {}  # main side: name -> (worker pid, mapping)
_pool = {"pid": None, "free": {}, "bytes": 0, "budget": 0}  # this process's (no worker)
_lock = threading.Lock()
_swept = [0.0]  # when the main side last forgot the slots of exited workers
_SWEEP_S = 2.0


class _Slot:
    __slots__ = ("name", "size", "mm")

    def __init__(self, name: str, size: int, mm: mmap.mmap):
        self.name, self.size, self.mm = name, size, mm


class _Lease:
    """One tensor's use of a slot in the worker; `sent` once it was pickled to the main
    process, which then owns the release."""

    __slots__ = ("slot", "sent")

    def __init__(self, slot: _Slot):
        self.slot, self.sent = slot, False


def _torch():
    import torch

    return torch


@functools.lru_cache(maxsize=1)
def _slot_tensor_class():
    """The worker-side tensor class, built on first use (torch is not imported before)."""
    torch = _torch()
    from multiprocessing.reduction import ForkingPickler

    class SlotTensor(torch.Tensor):
        """A worker-side batch tensor over a slot: a multiprocessing queue (the
        DataLoader's) sends it as the slot's name, any other pickling (torch.save,
        pickle, copy) by value as a plain tensor; any operation on it returns a plain
        tensor."""

        __torch_function__ = torch._C._disabled_torch_function_impl

        def __reduce_ex__(self, protocol):
            return self.as_subclass(torch.Tensor).clone().__reduce_ex__(protocol)

        def __deepcopy__(self, memo):
            return self.as_subclass(torch.Tensor).clone()

    ForkingPickler.register(SlotTensor, _reduce_for_queue)  # that pickler only
    return SlotTensor


def _reduce_for_queue(t):
    """How a multiprocessing queue sends a slot tensor: the slot's name, once; a tensor
    changed since it was built (resized, restrided), or sent before, goes by value."""
    d = t.__dict__
    lease = d.get("_augkit_lease")
    if lease is None or lease.sent or d.get("_augkit_ptr") != t.data_ptr() or not (
            t.is_contiguous()) or tuple(t.shape) != d.get("_augkit_shape"):
        return t.__reduce_ex__(2)
    lease.sent = True
    return (_rebuild, (lease.slot.name, os.getpid(), lease.slot.size, t.dtype,
                       tuple(t.shape)))


def _usable() -> bool:
    return os.path.isdir(_DIR)


def _budget() -> int:
    """Bytes this worker may keep in slots: slots stay allocated while the worker lives (a
    cache, like torch's CUDA allocator), so a loop that holds many big batches must not pin
    them all."""
    try:
        mb = float(os.environ.get("AUGKIT_WORKER_SLOTS_MB", _BUDGET_MB))
    except ValueError:
        mb = _BUDGET_MB
    return int(max(mb, 0.0) * (1 << 20))


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _new_slot(size: int) -> _Slot | None:
    name = f"augkit-{os.getpid()}-{secrets.token_hex(6)}"
    path = os.path.join(_DIR, name)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return None
    try:
        # Reserve the pages now: a full /dev/shm is an error here, not a SIGBUS later
        # (Linux has posix_fallocate; elsewhere the size alone)
        getattr(os, "posix_fallocate", os.ftruncate)(fd, *(
            (0, _HEADER + size) if hasattr(os, "posix_fallocate") else (_HEADER + size,)))
        mm = mmap.mmap(fd, _HEADER + size)
    except OSError:
        _unlink(path)
        return None
    finally:
        os.close(fd)
    from multiprocessing import util

    util.Finalize(None, _unlink, (path,), exitpriority=0)
    return _Slot(name, size, mm)


def _lease(nbytes: int) -> _Slot | None:
    """A free slot of exactly this (page-rounded) size, marked in use; None when none can be
    had (then the caller uses torch's shared memory)."""
    w = _worker
    if w["pid"] != os.getpid():  # a fresh worker, or a child forked from one
        w.update(pid=os.getpid(), slots=[], budget=_budget())
    size = -(-max(nbytes, 1) // 4096) * 4096
    for s in w["slots"]:
        if s.size == size and s.mm[0] == 0:
            s.mm[0] = 1
            return s
    if len(w["slots"]) >= _MAX_SLOTS or size + sum(s.size for s in w["slots"]) > w[
            "budget"] or not _usable():
        return None
    s = _new_slot(size)
    if s is None:
        return None
    s.mm[0] = 1
    w["slots"].append(s)
    return s


def _release_unsent(slot: _Slot, lease: _Lease) -> None:
    if not lease.sent:
        slot.mm[0] = 0


def _release(mm: mmap.mmap) -> None:
    try:
        mm[0] = 0
    except (ValueError, IndexError):  # mapping already closed at interpreter exit
        pass


def shared_batch_tensor(shape: tuple, dtype):
    """A new tensor for a collated batch (contents undefined): in a DataLoader worker one over
    a reusable shared-memory slot, elsewhere one over a pooled buffer (see the module doc);
    failing that, torch's own (in a worker in its shared memory, as `default_collate`
    allocates it)."""
    torch = _torch()
    n = math.prod(shape)
    nbytes = n * torch.empty((), dtype=dtype).element_size()
    if torch.utils.data.get_worker_info() is None:
        return _pooled(nbytes, shape, dtype)
    slot = _lease(nbytes)
    if slot is None:
        return _torch_shared(shape, dtype)
    a = np.frombuffer(slot.mm, np.uint8, count=nbytes, offset=_HEADER)
    lease = _Lease(slot)
    weakref.finalize(a, _release_unsent, slot, lease)
    t = torch.from_numpy(a).view(dtype).view(shape)
    out = torch.Tensor._make_subclass(_slot_tensor_class(), t)
    out._augkit_lease, out._augkit_ptr, out._augkit_shape = lease, t.data_ptr(), tuple(shape)
    return out


def _pooled(nbytes: int, shape: tuple, dtype):
    """A tensor over a free buffer of this process's pool (a new one within the budget), or
    torch's own."""
    torch = _torch()
    p = _pool
    if p["pid"] != os.getpid():  # a fresh process, or a forked child: not the parent's pool
        p.update(pid=os.getpid(), free={}, bytes=0, budget=_budget())
    size = -(-max(nbytes, 1) // 4096) * 4096
    free = p["free"].setdefault(size, [])
    if free:
        buf = free.pop()
    elif p["bytes"] + size <= p["budget"]:
        buf = np.empty(size, np.uint8)
        p["bytes"] += size
    else:
        return torch.empty(shape, dtype=dtype)
    a = buf[:nbytes]  # the storage's owner: freed with the last tensor or view over it
    weakref.finalize(a, free.append, buf)
    return torch.from_numpy(a).view(dtype).view(shape)


def in_shared_memory(t) -> bool:
    """Whether a batch tensor can cross to another process without a copy: in a worker slot
    or in torch's shared memory."""
    return "_augkit_lease" in getattr(t, "__dict__", {}) or t.is_shared()


def _torch_shared(shape: tuple, dtype):
    torch = _torch()
    like = torch.empty(0, dtype=dtype)
    try:
        storage = like._typed_storage()._new_shared(math.prod(shape), device=like.device)
        return like.new(storage).resize_(*shape)
    except (AttributeError, RuntimeError, TypeError):  # another torch: a plain tensor
        return torch.empty(shape, dtype=dtype)


def _sweep_dead() -> None:
    """Forget mappings of workers that have exited (their batches keep what they use)."""
    for name, (pid, _) in list(_mapped.items()):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            del _mapped[name]
        except OSError:
            pass


def _rebuild(name: str, pid: int, size: int, dtype, shape: tuple):
    """Main side: a plain tensor over slot `name`; the slot turns free when the last tensor
    or view over it is freed."""
    torch = _torch()
    with _lock:
        entry = _mapped.get(name)
        now = time.monotonic()
        if (entry is None and all(p != pid for p, _ in _mapped.values())) or (
                now - _swept[0] > _SWEEP_S):
            _swept[0] = now
            _sweep_dead()
        if entry is None:
            path = os.path.join(_DIR, name)
            fd = os.open(path, os.O_RDWR)
            try:
                mm = mmap.mmap(fd, _HEADER + size)
            finally:
                os.close(fd)
            _unlink(path)
            entry = _mapped[name] = (pid, mm)
    mm = entry[1]
    nbytes = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
    a = np.frombuffer(mm, np.uint8, count=nbytes, offset=_HEADER)
    weakref.finalize(a, _release, mm)
    return torch.from_numpy(a).view(dtype).view(shape)
