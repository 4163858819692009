"""Worker slots (augkit.batch_memory): collated batches cross from DataLoader workers through
reusable shared-memory slots. Values equal the 0-worker ones; a slot is never reused while a
tensor or view over it lives; files do not outlive the loader. The slot logic is tested on
every platform (slots in a temporary directory); the loader tests that follow slots across
real workers need Linux's /dev/shm (`needs_slots`); the other loader tests hold everywhere
(elsewhere workers send torch's shared memory)."""

from __future__ import annotations

import gc
import os
import sys
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.multiprocessing  # noqa: E402,F401,F811  (registers torch's reductions)
from torch.utils.data import DataLoader  # noqa: E402

import augkit as A  # noqa: E402
from augkit import batch_memory  # noqa: E402
from augkit.loader import BatchAugment, SampleCollate, ToTensors  # noqa: E402

needs_slots = pytest.mark.skipif(not sys.platform.startswith("linux") or not os.path.isdir(
    "/dev/shm"), reason="DataLoader workers put slots in /dev/shm, which only Linux has; "
    "elsewhere they send torch's shared memory (the unmarked loader tests cover that)")


def _augkit_files() -> set[str]:
    if not os.path.isdir("/dev/shm"):
        return set()
    return {n for n in os.listdir("/dev/shm") if n.startswith("augkit-")}


def _data(n=48, shape=(9, 7, 3)):
    rng = np.random.default_rng(0)
    return [(rng.integers(0, 256, shape, dtype=np.uint8), int(i % 10)) for i in range(n)]


@pytest.fixture
def as_worker(monkeypatch, tmp_path):
    """This process plays a DataLoader worker (and, unpickling, the main process), its
    slots in a temporary directory: the slot logic needs only files it can map, so these
    tests run on every platform."""
    import torch.utils.data

    monkeypatch.setattr(torch.utils.data, "get_worker_info", lambda: object())
    monkeypatch.setattr(batch_memory, "_DIR", str(tmp_path))
    saved = dict(batch_memory._worker)
    batch_memory._worker.update(pid=None, slots=[])
    yield batch_memory._worker
    batch_memory._worker.update(saved)


def test_a_sent_slot_is_free_only_when_the_last_view_is_gone(as_worker):
    t = batch_memory.shared_batch_tensor((3, 4), torch.int64)
    t.copy_(torch.arange(12).view(3, 4))
    assert type(t) is not torch.Tensor and batch_memory.in_shared_memory(t)
    slot = as_worker["slots"][0]
    data = ForkingPickler.dumps(t)
    del t
    gc.collect()
    assert slot.mm[0] == 1  # sent: the receiver owns the release
    got = ForkingPickler.loads(data)
    assert type(got) is torch.Tensor and torch.equal(got, torch.arange(12).view(3, 4))
    assert not os.path.exists(os.path.join(batch_memory._DIR, slot.name))  # unlinked, mapped
    view = got[1:]
    as_array = got.numpy()
    del got
    gc.collect()
    assert slot.mm[0] == 1
    del view
    gc.collect()
    assert slot.mm[0] == 1  # the numpy view still holds the memory
    del as_array
    gc.collect()
    assert slot.mm[0] == 0
    again = batch_memory.shared_batch_tensor((3, 4), torch.int64)  # the same size: reused
    assert len(as_worker["slots"]) == 1 and again._augkit_lease.slot is slot


def test_an_unsent_slot_is_freed_with_its_last_worker_side_view(as_worker):
    t = batch_memory.shared_batch_tensor((5,), torch.float32)
    slot = as_worker["slots"][0]
    half = t.as_subclass(torch.Tensor)[:2]  # a plain view, e.g. a wrapping collate's
    del t
    gc.collect()
    assert slot.mm[0] == 1
    del half
    gc.collect()
    assert slot.mm[0] == 0


def test_busy_slots_are_never_handed_out_and_the_pool_is_bounded(as_worker, monkeypatch):
    monkeypatch.setattr(batch_memory, "_MAX_SLOTS", 3)
    held = [batch_memory.shared_batch_tensor((8,), torch.uint8) for _ in range(5)]
    slots = [getattr(t, "__dict__", {}).get("_augkit_lease") for t in held]
    assert len({id(le.slot) for le in slots[:3]}) == 3
    assert slots[3] is None and slots[4] is None  # beyond the pool: torch's shared memory
    assert held[3].is_shared() and batch_memory.in_shared_memory(held[4])
    for i, t in enumerate(held):
        t.fill_(i)
    assert [int(t[0]) for t in held] == [0, 1, 2, 3, 4]


def test_a_changed_slot_tensor_pickles_by_value(as_worker):
    t = batch_memory.shared_batch_tensor((4,), torch.int32)
    t.copy_(torch.tensor([1, 2, 3, 4], dtype=torch.int32))
    t.resize_(2)
    got = ForkingPickler.loads(ForkingPickler.dumps(t))
    assert torch.equal(got, torch.tensor([1, 2], dtype=torch.int32))
    assert t._augkit_lease.sent is False


def _run(loader, epochs=2):
    out = []
    for _ in range(epochs):
        for b in loader:
            out.append(b)
    return out


@pytest.mark.parametrize("make", [
    lambda d: (d, ToTensors()),
    lambda d: (d, ToTensors(mean=(0.5, 0.4, 0.3), std=0.25)),
    lambda d: (A.AugmentedDataset(d, None, seed=3), BatchAugment(A.Seq([
        A.PadCrop(padding=2), A.HFlip()]))),
])
def test_kept_batches_from_two_workers_equal_the_main_process(make):
    """A loop that keeps every batch (more than the slots) gets the 0-worker values: no slot
    is reused while its batch lives, and the overflow goes through torch's shared memory."""
    ds, collate = make(_data())
    before = _augkit_files()
    ref = _run(DataLoader(ds, batch_size=4, collate_fn=collate), epochs=1)
    loader = DataLoader(ds, batch_size=4, num_workers=2, collate_fn=collate,
                        persistent_workers=True)
    got = _run(loader, epochs=7)  # 84 batches of (images, labels) held at once
    n = len(ref)
    for k, (x, y) in enumerate(got):
        assert type(x) is torch.Tensor and type(y) is torch.Tensor
        assert torch.equal(x, ref[k % n][0]) and torch.equal(y, ref[k % n][1])
    del loader
    gc.collect()
    assert _augkit_files() <= before


@needs_slots
def test_dropped_batches_recycle_a_few_slots_and_views_survive():
    ds = _data(64)
    ref = _run(DataLoader(ds, batch_size=4, collate_fn=ToTensors()), epochs=1)
    loader = DataLoader(ds, batch_size=4, num_workers=2, collate_fn=ToTensors(),
                        persistent_workers=True)
    first_view = None
    names_before = set(batch_memory._mapped)
    for _ in range(3):
        for k, (x, y) in enumerate(loader):
            assert torch.equal(x, ref[k][0]) and torch.equal(y, ref[k][1])
            if first_view is None:
                first_view = x[0, :, 1:3]  # a view outlives its batch
                expect = ref[0][0][0, :, 1:3].clone()
    assert torch.equal(first_view, expect)
    new = set(batch_memory._mapped) - names_before
    assert 0 < len(new) <= 2 * 8  # 48 batches of two tensors through a handful of slots
    del loader
    gc.collect()


def test_sample_collate_masks_and_labels_cross_in_slots():
    rng = np.random.default_rng(1)
    items = [(A.Sample(rng.integers(0, 256, (8, 6, 3), dtype=np.uint8),
                       mask=rng.integers(0, 5, (8, 6), dtype=np.uint8)), i)
             for i in range(16)]
    ref = _run(DataLoader(items, batch_size=4, collate_fn=SampleCollate()), epochs=1)
    got = _run(DataLoader(items, batch_size=4, num_workers=2, collate_fn=SampleCollate()),
               epochs=1)
    for a, b in zip(ref, got):
        assert torch.equal(a.images, b.images) and torch.equal(a.masks, b.masks)
        assert torch.equal(a.labels, b.labels) and a.labels.dtype == torch.int64


def test_labels_keep_default_collate_semantics():
    """Plain int labels become one int64 tensor (default_collate's); anything else goes
    through default_collate itself."""
    from torch.utils.data import default_collate

    from augkit.loader import _collate_field

    for col in ([1, 2, 3], [True, False], [1.5, 2.0], [np.int32(1), np.int32(2)],
                ["a", "b"], [2**62, -(2**62)]):
        got, want = _collate_field(col), default_collate(col)
        if isinstance(want, torch.Tensor):
            assert got.dtype == want.dtype and torch.equal(got, want)
        else:
            assert got == want
    with pytest.raises(ValueError) as want:  # torch's own message, as before
        default_collate([2**70])
    with pytest.raises(type(want.value), match="Overflow"):
        _collate_field([2**70])


@needs_slots
def test_spawned_workers_send_through_slots_too():
    """Slots are found by name, so the spawn start method (macOS / Windows' default, and
    forkserver) works like fork."""
    ds = _data(16)
    ref = _run(DataLoader(ds, batch_size=4, collate_fn=ToTensors()), epochs=1)
    before = set(batch_memory._mapped)
    got = _run(DataLoader(ds, batch_size=4, num_workers=1, collate_fn=ToTensors(),
                          multiprocessing_context="spawn"), epochs=1)
    names = set(batch_memory._mapped) - before
    for (x, y), (x1, y1) in zip(ref, got):
        assert torch.equal(x, x1) and torch.equal(y, y1)
    assert names, "the spawned worker's batches did not come through slots"


def test_the_slot_budget_bounds_what_a_worker_keeps(as_worker, monkeypatch):
    monkeypatch.setenv("AUGKIT_WORKER_SLOTS_MB", str(10_000 / (1 << 20)))  # 10 kB
    a = batch_memory.shared_batch_tensor((8192,), torch.uint8)  # one 8 kB slot fits
    b = batch_memory.shared_batch_tensor((8192,), torch.uint8)  # a second would not
    assert "_augkit_lease" in a.__dict__ and "_augkit_lease" not in b.__dict__
    assert b.is_shared()
    monkeypatch.setenv("AUGKIT_WORKER_SLOTS_MB", "0")  # off
    as_worker["pid"] = None
    c = batch_memory.shared_batch_tensor((4,), torch.uint8)
    assert "_augkit_lease" not in c.__dict__ and c.is_shared()


def test_main_process_batches_reuse_a_buffer_only_once_it_is_free():
    """Without workers the collates draw from a process-local pool: a dropped batch's
    buffer comes back (no fresh pages), a kept one or a view's never does."""
    imgs = [np.full((16, 16, 3), i, np.uint8) for i in range(4)]
    collate = ToTensors(mean=0.5, std=0.25)
    first = collate(imgs)
    ptr = first.data_ptr()
    view = first[1:3, 0]
    want = view.clone()
    del first
    gc.collect()
    second = collate([im + 1 for im in imgs])
    assert second.data_ptr() != ptr  # the view still holds the first buffer
    assert torch.equal(view, want)
    del view
    gc.collect()
    third = collate([im + 2 for im in imgs])
    assert third.data_ptr() == ptr  # free again: reused
    assert torch.equal(third, ToTensors(mean=0.5, std=0.25)([im + 2 for im in imgs]))
    assert torch.equal(second[:, :, 0, 0], (torch.arange(1, 5).float().view(4, 1) / 255 - 0.5)
                       / 0.25 * torch.ones(4, 3))


def test_the_main_process_pool_respects_the_budget(monkeypatch):
    monkeypatch.setenv("AUGKIT_WORKER_SLOTS_MB", str(5000 / (1 << 20)))  # 5 kB
    monkeypatch.setattr(batch_memory, "_pool", {"pid": None})  # a fresh pool for this test
    a = batch_memory.shared_batch_tensor((4096,), torch.uint8)  # pooled
    b = batch_memory.shared_batch_tensor((4096,), torch.uint8)  # beyond 5 kB: torch's
    assert batch_memory._pool["bytes"] == 4096
    ptr = a.data_ptr()
    del a, b
    gc.collect()
    c = batch_memory.shared_batch_tensor((4000,), torch.uint8)  # the same page count
    assert c.data_ptr() == ptr


@pytest.mark.parametrize("c", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("view", [False, True])
@pytest.mark.parametrize("hw", [(11, 9), (61, 59)])  # numpy's copy; one cv2.split
def test_to_tensors_planes_equal_the_transposed_stack(c, dtype, view, hw):
    """The per-image `cv2.split` into the batch's planes (numpy's copy for small images) is
    the (B, C, H, W) transposed stack exactly, for any channel count, both dtypes, and crop
    views of larger images."""
    rng = np.random.default_rng(c)
    h, w = hw
    shape = (h, w) if c == 0 else (h, w, c)
    big = [rng.random((h + 4, w + 5) + shape[2:]).astype(dtype) if dtype == np.float32 else
           rng.integers(0, 256, (h + 4, w + 5) + shape[2:], dtype=np.uint8) for _ in range(3)]
    imgs = [b[2:h + 2, 3:w + 3] if view else np.ascontiguousarray(b[:h, :w]) for b in big]
    want = torch.from_numpy(np.stack([im.reshape(h, w, max(c, 1)) for im in imgs])).permute(
        0, 3, 1, 2)
    got = ToTensors()(imgs)
    assert got.dtype == want.dtype and torch.equal(got, want)


@needs_slots
def test_fresh_workers_every_epoch_do_not_pile_up_slots():
    """persistent_workers=False: new workers (new slots) each epoch; the main process
    forgets the exited workers' slots, so its mappings stay those of the live ones."""
    ds = _data(32)
    ref = _run(DataLoader(ds, batch_size=4, collate_fn=ToTensors()), epochs=1)
    loader = DataLoader(ds, batch_size=4, num_workers=2, collate_fn=ToTensors())
    sizes = []
    for _ in range(4):
        for k, (x, y) in enumerate(loader):
            assert torch.equal(x, ref[k][0]) and torch.equal(y, ref[k][1])
        sizes.append(len(batch_memory._mapped))
    pids = {pid for pid, _ in batch_memory._mapped.values()}
    assert len(pids) <= 2 + 2  # this epoch's workers (and at most the last epoch's)
    assert sizes[-1] <= sizes[0] + 2 * 8


def test_other_picklers_copy_a_slot_tensor_by_value(as_worker):
    """Only a multiprocessing queue sends the slot's name; pickle, torch.save and copies
    made in a worker hold the values themselves and leave the slot to its batch."""
    import copy
    import io
    import pickle

    t = batch_memory.shared_batch_tensor((2, 3), torch.float32)
    t.copy_(torch.arange(6.0).view(2, 3))
    for got in (pickle.loads(pickle.dumps(t)), copy.deepcopy(t),
                torch.load(io.BytesIO(_saved(t)), weights_only=False)):
        assert torch.equal(got, torch.arange(6.0).view(2, 3))
        got.fill_(-1)
        assert torch.equal(t, torch.arange(6.0).view(2, 3))  # a copy, not the slot
    assert t._augkit_lease.sent is False


def _saved(t) -> bytes:
    import io

    buf = io.BytesIO()
    torch.save(t, buf)
    return buf.getvalue()


@needs_slots  # simulated on Linux (a forked worker sees the patched directory)
def test_without_dev_shm_workers_fall_back_to_torch_shared_memory(monkeypatch):
    """Where there is no /dev/shm (macOS, Windows) workers send torch's shared memory, as
    default_collate does: the same values, no slot."""
    monkeypatch.setattr(batch_memory, "_DIR", "/nonexistent-augkit-dir")
    ds = _data(24)
    ref = _run(DataLoader(ds, batch_size=4, collate_fn=ToTensors()), epochs=1)
    before = set(batch_memory._mapped)
    got = _run(DataLoader(ds, batch_size=4, num_workers=2, collate_fn=ToTensors(),
                          multiprocessing_context="fork"), epochs=1)
    for (x, y), (x1, y1) in zip(ref, got):
        assert torch.equal(x, x1) and torch.equal(y, y1)
    assert set(batch_memory._mapped) == before


def test_slots_work_without_posix_fallocate(as_worker, monkeypatch):
    """macOS has no posix_fallocate: the slot file gets its size alone."""
    monkeypatch.delattr(os, "posix_fallocate", raising=False)
    t = batch_memory.shared_batch_tensor((3, 5), torch.int16)
    t.copy_(torch.arange(15, dtype=torch.int16).view(3, 5))
    got = ForkingPickler.loads(ForkingPickler.dumps(t))
    assert "_augkit_lease" in t.__dict__ and torch.equal(got, t.as_subclass(torch.Tensor))
