"""Randomness: reproducible per-item streams, reseeding after fork, and real keypoints."""

from __future__ import annotations

import json
import multiprocessing as mp

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import augkit
from augkit import AugmentedDataset, Sample
from augkit.compose import Seq
from augkit.errors import AugkitError, AugkitTypeError
from augkit.photometric.ops import Identity
from augkit.poor import HFlip, RandomResizedCrop, Rotate
from augkit.rng import default_rng, item_rng

PIPE = Seq((RandomResizedCrop(size=16, scale=(0.3, 1.0)), HFlip(), Rotate(degrees=20.0)))


class Images:
    """A tiny map-style dataset: (image, label) pairs."""

    def __init__(self, n=12, same=False):
        rng = np.random.default_rng(123)
        self.items = [rng.integers(0, 256, (20, 24, 3), dtype=np.uint8) for _ in range(n)]
        if same:
            self.items = [self.items[0]] * n

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i], i


def _epoch(ds, workers, persistent=False, loader=None):
    loader = loader or DataLoader(ds, batch_size=3, num_workers=workers,
                                  persistent_workers=persistent)
    imgs, labels = zip(*[(x, y) for x, y in loader])
    return torch.cat(imgs).numpy(), torch.cat(labels).numpy()


def test_results_do_not_depend_on_the_number_of_workers():
    ds = AugmentedDataset(Images(), PIPE, seed=7)
    a, la = _epoch(ds, 0)
    b, lb = _epoch(ds, 2)
    np.testing.assert_array_equal(la, lb)
    np.testing.assert_array_equal(a, b)
    # and they are augmented: not the raw images
    raw = np.stack(Images().items)
    assert not np.array_equal(a, raw)


def test_item_stream_is_a_function_of_seed_epoch_index():
    ds = AugmentedDataset(Images(), PIPE, seed=7)
    for i in (0, 5):
        expect = PIPE(Images()[i][0], rng=item_rng(7, 0, i))
        np.testing.assert_array_equal(ds[i][0], expect)
    assert item_rng(7, 0, 1).random() == item_rng(7, 0, 1).random()
    assert item_rng(7, 0, 1).random() != item_rng(7, 1, 1).random()
    assert item_rng(7, 0, 1).random() != item_rng(8, 0, 1).random()


def test_set_epoch_changes_the_stream_and_reaches_persistent_workers():
    ds = AugmentedDataset(Images(), PIPE, seed=7)
    e0, _ = _epoch(ds, 0)
    ds.set_epoch(1)
    assert ds.epoch == 1
    e1, _ = _epoch(ds, 0)
    assert not np.array_equal(e0, e1)
    ds.set_epoch(0)
    np.testing.assert_array_equal(_epoch(ds, 0)[0], e0)  # back to epoch 0: same stream
    loader = DataLoader(ds, batch_size=3, num_workers=2, persistent_workers=True)
    np.testing.assert_array_equal(_epoch(ds, 2, loader=loader)[0], e0)
    ds.set_epoch(1)  # the workers already exist: the epoch travels in shared memory
    np.testing.assert_array_equal(_epoch(ds, 2, loader=loader)[0], e1)


def test_unseeded_workers_draw_different_streams():
    augkit.seed(0)  # the parent's stream is fixed; forked workers must not copy it
    default_rng().random()
    ds = AugmentedDataset(Images(n=8, same=True), Rotate(degrees=90.0))
    imgs, _ = _epoch(ds, 2)
    flat = imgs.reshape(len(imgs), -1)
    assert len({row.tobytes() for row in flat}) == len(flat)  # no two items alike
    imgs2, _ = _epoch(ds, 2)  # and a new epoch's workers are reseeded again
    assert not np.array_equal(imgs, imgs2)


def _draw(_):
    import os

    return os.getpid(), float(default_rng().random())


def test_default_stream_is_reseeded_after_fork():
    augkit.seed(0)
    parent = float(default_rng().random())
    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        got = pool.map(_draw, range(8), chunksize=1)
    values = [v for _, v in got]
    assert len(set(values)) == len(values)
    augkit.seed(0)
    assert float(default_rng().random()) == parent  # seed() makes the parent reproducible
    assert parent not in values


def test_same_seed_same_output_and_explicit_rng_does_not_touch_default():
    img = Images()[0][0]
    augkit.seed(3)
    state = default_rng().bit_generator.state
    a = PIPE(img, rng=np.random.default_rng(1))
    b = PIPE(img, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert default_rng().bit_generator.state == state


COCO_PAIRS = [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)]


@pytest.fixture(scope="module")
def people(shared_data):
    from PIL import Image

    root = shared_data / "keypoints_mmpose" / "coco"
    if not root.is_dir():
        pytest.skip(f"{root} is absent: real keypoint checks need ../shared/data")
    j = json.loads((root / "test_coco.json").read_text())
    names = j["categories"][0]["keypoints"]
    assert [(names[a], names[b]) for a, b in COCO_PAIRS][0] == ("left_eye", "right_eye")
    out = []
    for im in j["images"]:
        anns = [a for a in j["annotations"] if a["image_id"] == im["id"]]
        kp = np.array([a["keypoints"] for a in anns], np.float32).reshape(len(anns), 17, 3)
        img = np.asarray(Image.open(root / im["file_name"]).convert("RGB"))
        out.append(Sample(img, keypoints=kp))
    return out


def test_hflip_swaps_left_and_right_on_real_poses(people):
    flip = HFlip(p=1.0, keypoint_pairs=COCO_PAIRS)
    plain = HFlip(p=1.0)
    compared = 0
    for s in people:
        w = s.size[1]
        out = flip(s, rng=np.random.default_rng(0))
        raw = plain(s, rng=np.random.default_rng(0))
        assert out.keypoints.shape == s.keypoints.shape
        k0, k1 = s.keypoints, out.keypoints
        labelled = k0[..., 2] > 0
        for a, b in [(0, 0), *COCO_PAIRS, *[(r, l) for l, r in COCO_PAIRS]]:
            # the flipped left keypoint is the mirror of the original right one
            m = labelled[:, b]
            np.testing.assert_allclose(k1[m, a, 0], w - k0[m, b, 0], atol=1e-3)
            np.testing.assert_allclose(k1[m, a, 1], k0[m, b, 1], atol=1e-3)
            assert (k1[m, a, 2] == k0[m, b, 2]).all()
        # the pixel under each keypoint moved with it (flips are exact copies)
        v = (k1[..., 2] > 0) & (k1[..., 0] < w)
        x1, y1 = np.floor(k1[v][:, 0]).astype(int), np.floor(k1[v][:, 1]).astype(int)
        # (a keypoint on a pixel edge x = 100 touches pixels 99 and 100; the flip maps the
        # pixel left of it to the pixel right of the flipped point, hence ceil - 1)
        x0 = (np.ceil(w - k1[v][:, 0]) - 1).astype(int)
        np.testing.assert_array_equal(out.image[y1, x1], s.image[y1, x0])
        # a person facing the camera has the left eye right of the right eye: still true
        # after a flip with swap, reversed after a plain flip
        both = labelled[:, 1] & labelled[:, 2]
        before = np.sign(k0[both, 1, 0] - k0[both, 2, 0])
        np.testing.assert_array_equal(np.sign(k1[both, 1, 0] - k1[both, 2, 0]), before)
        np.testing.assert_array_equal(np.sign(raw.keypoints[both, 1, 0] -
                                              raw.keypoints[both, 2, 0]), -before)
        compared += int(both.sum())
    assert compared >= 5


def test_real_keypoints_leaving_the_image_stay_and_are_hidden(people):
    from augkit.poor import Crop

    s = people[0]
    out = Crop(size=(120, 160), position="center")(s, rng=np.random.default_rng(0))
    assert out.keypoints.shape == s.keypoints.shape
    x, y, v = out.keypoints[..., 0], out.keypoints[..., 1], out.keypoints[..., 2]
    outside = (x < 0) | (x >= 160) | (y < 0) | (y >= 120)
    assert outside.any() and (v[outside] == 0).all()
    inside_before = s.keypoints[..., 2] > 0
    assert (v[~outside & inside_before] == s.keypoints[..., 2][~outside & inside_before]).all()


def test_torch_manual_seed_makes_unseeded_workers_reproducible():
    """rng=None inside DataLoader workers draws from the worker's torch seed, even when the
    parent never touched augkit's default stream."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = (
        "import hashlib, numpy as np, torch\n"
        "from torch.utils.data import DataLoader\n"
        "from augkit import AugmentedDataset\n"
        "from augkit.poor import Rotate\n"
        "img = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)\n"
        "ds = AugmentedDataset([img] * 6, Rotate(degrees=90.0))\n"
        "torch.manual_seed(1)\n"
        "out = torch.cat(list(DataLoader(ds, batch_size=2, num_workers=2))).numpy()\n"
        "print(hashlib.sha1(out.tobytes()).hexdigest())\n")
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    runs = [subprocess.run([sys.executable, "-c", code], cwd=root, env=env, text=True,
                           capture_output=True, timeout=120) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert runs[0].stdout == runs[1].stdout


def test_negative_indices_use_the_same_stream_as_positive_ones():
    ds = AugmentedDataset(Images(), PIPE, seed=7)
    n = len(ds)
    for neg in (-1, -n):
        pos = neg + n
        a, la = ds[neg]
        b, lb = ds[pos]
        assert la == lb == pos
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, PIPE(Images()[pos][0], rng=item_rng(7, 0, pos)))
    assert ds[np.int64(3)][1] == 3  # numpy integers are indices too


@pytest.mark.parametrize("bad", [12, -13, 100])
def test_out_of_range_index_is_a_typed_index_error(bad):
    ds = AugmentedDataset(Images(), PIPE, seed=7)
    with pytest.raises(IndexError, match="AugmentedDataset: index .* out of range for 12"):
        ds[bad]
    with pytest.raises(AugkitError):
        ds[bad]


def test_non_integer_index_is_a_typed_error():
    ds = AugmentedDataset(Images(), PIPE, seed=7)
    with pytest.raises(AugkitTypeError, match="index is float"):
        ds[1.0]


def test_iteration_stops_at_the_end():
    ds = AugmentedDataset(Images(n=3), PIPE, seed=7)
    assert [label for _, label in iter(ds)] == [0, 1, 2]  # the __getitem__ protocol


def test_resolve_rng_passes_generators_and_types_the_rest():
    from augkit.rng import resolve_rng

    g = np.random.default_rng(0)
    assert resolve_rng(g, "Op") is g
    assert resolve_rng(None, "Op") is default_rng()
    for bad in (0, np.random.RandomState(0), torch.Generator(), "seed"):
        with pytest.raises(AugkitTypeError, match=f"^Rotate: rng is {type(bad).__name__}; "
                           "expected a numpy.random.Generator"):
            resolve_rng(bad, Rotate())


# --- seeded mixed batches: the collate's per-batch stream ---------------------------------

def _mixer():
    from augkit.mix import RICAP, CutMix, Mixer, MixUp

    return Mixer((MixUp(), CutMix(), RICAP()), num_classes=12)


def _mixed(ds, workers, seed=None, persistent=False, loader=None, **kw):
    """Every batch of one epoch: (images, soft labels) as numpy."""
    from augkit.mix import collate

    seeded = {} if seed is None else {"seed": seed}
    loader = loader or DataLoader(ds, batch_size=4, num_workers=workers,
                                  persistent_workers=persistent,
                                  collate_fn=collate(_mixer(), num_classes=12, **seeded), **kw)
    return [(x.numpy(), y.numpy()) for x, y in loader]


def _same(a, b):
    assert len(a) == len(b)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_seeded_mixed_batches_do_not_depend_on_workers_or_on_the_process_stream():
    """A seeded AugmentedDataset seeds the collate too: the mixed batch is a function of
    (seed, epoch, batch) at 0 and 2 workers, whatever augkit.seed / torch.manual_seed say
    (0 vs 2 workers, and two runs, differed)."""
    ds = AugmentedDataset(Images(), PIPE, seed=7)
    runs = []
    for workers, s in ((0, 1), (2, 2), (0, 3), (2, 4)):
        augkit.seed(s)
        torch.manual_seed(s)
        runs.append(_mixed(ds, workers))
    for r in runs[1:]:
        _same(runs[0], r)
    # mixed, not just stacked: some soft label is not one-hot
    assert any((y.max(1) < 1).any() for _, y in runs[0])


def test_a_batch_is_mixed_from_the_stream_of_seed_epoch_and_its_indices():
    from augkit.mix import Batch, batch_rng

    ds = AugmentedDataset(Images(), PIPE, seed=7)
    ds.set_epoch(3)
    got = _mixed(ds, 2)
    mixer = _mixer()
    for b, (x, y) in enumerate(got):
        idx = list(range(4 * b, 4 * b + 4))
        items = [ds[i] for i in idx]
        stack = torch.from_numpy(np.stack([im for im, _ in items]).transpose(0, 3, 1, 2).copy())
        out = mixer(Batch(stack, torch.tensor(idx)), rng=batch_rng(7, 3, idx))
        np.testing.assert_array_equal(x, out.images.numpy())
        np.testing.assert_array_equal(y, out.labels.numpy())
    assert batch_rng(7, 3, [0, 1]).random() != batch_rng(7, 3, [0, 1, 0]).random()
    assert batch_rng(7, 3, [0, 1]).random() != batch_rng(7, 3, [1, 0]).random()
    assert batch_rng(7, 3, [1]).random() != item_rng(7, 3, 1).random()


def test_shuffled_seeded_batches_match_across_worker_counts():
    ds = AugmentedDataset(Images(), PIPE, seed=7)
    a = _mixed(ds, 0, shuffle=True, generator=torch.Generator().manual_seed(5))
    b = _mixed(ds, 2, shuffle=True, generator=torch.Generator().manual_seed(5))
    _same(a, b)


def test_set_epoch_changes_the_mixing_and_reaches_persistent_workers():
    from augkit.mix import collate

    ds = AugmentedDataset(Images(), Identity(), seed=7)   # identical items every epoch
    e0 = _mixed(ds, 0)
    ds.set_epoch(1)
    e1 = _mixed(ds, 0)
    assert not all(np.array_equal(a[0], b[0]) for a, b in zip(e0, e1))
    ds.set_epoch(0)
    loader = DataLoader(ds, batch_size=4, num_workers=2, persistent_workers=True,
                        collate_fn=collate(_mixer(), num_classes=12))
    _same(_mixed(ds, 2, loader=loader), e0)
    ds.set_epoch(1)
    _same(_mixed(ds, 2, loader=loader), e1)


def test_an_explicit_collate_seed_serves_an_unseeded_dataset_and_a_subset():
    from torch.utils.data import Subset

    ds = AugmentedDataset(Images(), HFlip(p=1.0))          # deterministic items, no seed
    a, b = _mixed(ds, 0, seed=11), _mixed(ds, 2, seed=11)
    _same(a, b)
    assert not all(np.array_equal(x[0], y[0]) for x, y in zip(a, _mixed(ds, 0, seed=12)))
    sub = Subset(AugmentedDataset(Images(), PIPE, seed=7), [5, 2, 9, 0, 1, 11, 3, 4])
    _same(_mixed(sub, 0), _mixed(sub, 2))


def test_a_collate_seed_without_batch_indices_is_a_typed_error():
    from augkit.mix import collate

    with pytest.raises(augkit.AugkitValueError, match="collate: seed is 3 but the items do not "
                       "say which dataset indices they are.*AugmentedDataset"):
        list(DataLoader(Images(), batch_size=4, collate_fn=collate(_mixer(), seed=3)))
    for bad in (-1, 1.5, True, "0"):
        with pytest.raises(augkit.AugkitValueError, match="collate: seed is"):
            collate(_mixer(), seed=bad)


def test_getitems_returns_the_items_and_where_they_came_from():
    ds = AugmentedDataset(Images(), PIPE, seed=7)
    ds.set_epoch(2)
    items = ds.__getitems__([3, -1, 0])
    assert isinstance(items, list) and len(items) == 3
    assert (items.seed, items.epoch, items.indices) == (7, 2, (3, 11, 0))
    for got, i in zip(items, (3, 11, 0)):
        np.testing.assert_array_equal(got[0], ds[i][0])
        assert got[1] == i


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_set_epoch_takes_an_int_at_least_0(bad):
    """An epoch is a stream key: -1 used to be stored and then crash inside SeedSequence."""
    ds = AugmentedDataset(Images(), PIPE, seed=7)
    with pytest.raises(augkit.AugkitValueError, match="AugmentedDataset: epoch is"):
        ds.set_epoch(bad)
    assert ds.epoch == 0
    ds.set_epoch(np.int64(2))
    assert ds.epoch == 2


# --- the per-item stream: counter-based Philox, cheap to build -------------------------------

def test_item_stream_is_philox_keyed_by_the_seed_counting_from_index_and_epoch():
    """The documented derivation, rebuilt with numpy's own Philox(key=, counter=)."""
    from augkit.rng import _ITEM_TAG

    for seed, epoch, index in ((0, 0, 0), (7, 3, 5), (2**100, 2**64 - 1, 12345)):
        key = np.random.SeedSequence(seed, spawn_key=(_ITEM_TAG,)).generate_state(2, np.uint64)
        ctr = np.array([0, 0, index, epoch], np.uint64)
        ref = np.random.Generator(np.random.Philox(key=key, counter=ctr))
        got = item_rng(seed, epoch, index)
        assert isinstance(got, np.random.Generator)
        np.testing.assert_array_equal(got.random(9), ref.random(9))
        np.testing.assert_array_equal(got.integers(0, 1000, 5), ref.integers(0, 1000, 5))
        np.testing.assert_array_equal(item_rng(seed, epoch, index).bit_generator.state[
            "state"]["counter"], ctr)  # every word kept (a list's 2**64 - 1 became 0)


def test_item_streams_differ_between_items_epochs_and_seeds():
    firsts = {item_rng(s, e, i).random() for s in (0, 1) for e in range(4) for i in range(16)}
    assert len(firsts) == 2 * 4 * 16
    assert item_rng(7, 3, 5).random() != item_rng(7, 5, 3).random()  # (epoch, index) swapped
    # numpy ints are ints too, and give the same stream
    assert item_rng(np.int64(7), np.int32(3), np.uint8(5)).random() == item_rng(7, 3, 5).random()


@pytest.mark.parametrize("args,field", [((-1, 0, 0), "seed"), ((2**128, 0, 0), "seed"),
                                        ((1.5, 0, 0), "seed"), ((True, 0, 0), "seed"),
                                        ((0, -1, 0), "epoch"), ((0, 2**64, 0), "epoch"),
                                        ((0, 0, -2), "index"), ((0, 0, "3"), "index")])
def test_item_rng_refuses_bad_keys_with_typed_errors(args, field):
    with pytest.raises(augkit.AugkitValueError, match=f"^item_rng: {field} is"):
        item_rng(*args)


def test_item_streams_spawn_and_pickle_like_any_numpy_stream():
    import pickle

    a, b = item_rng(7, 0, 1).spawn(2), item_rng(7, 0, 1).spawn(2)
    assert [g.random() for g in a] == [g.random() for g in b]          # reproducible
    other = [g.random() for g in item_rng(7, 0, 2).spawn(2)]           # per item
    assert not set(other) & {g.random() for g in item_rng(7, 0, 1).spawn(2)}
    g = item_rng(7, 0, 1)
    first = [c.random() for c in g.spawn(1)]
    assert [c.random() for c in g.spawn(1)] != first                   # fresh children
    g.random()
    h = pickle.loads(pickle.dumps(g))
    assert h.random() == g.random()


@pytest.mark.parametrize("bad", [-1, 1.5, True, "0", 2**128])
def test_dataset_seed_is_checked_when_built(bad):
    """A negative seed used to be stored and then crash inside numpy on the first item."""
    with pytest.raises(augkit.AugkitValueError, match="^AugmentedDataset: seed is"):
        AugmentedDataset(Images(), PIPE, seed=bad)
    assert AugmentedDataset(Images(), PIPE, seed=np.int64(3)).seed == 3


def test_op_none_hands_items_over_unaugmented_with_their_keys():
    ds = AugmentedDataset(Images(), None, seed=7)
    ds.set_epoch(4)
    items = ds.__getitems__([2, -1])
    assert (items.seed, items.epoch, items.indices) == (7, 4, (2, 11))
    assert items[0][0] is ds.dataset.items[2] and items[1][0] is ds.dataset.items[11]
    assert ds[3][0] is ds.dataset.items[3] and ds[3][1] == 3      # untouched, not copied
    with pytest.raises(AugkitTypeError, match="AugmentedDataset: op is str"):
        AugmentedDataset(Images(), "HFlip")


def test_epoch_reaches_spawned_persistent_workers():
    """The fast numpy view of the shared epoch is rebuilt in a spawned worker (pickled, not
    forked): it must still read the shared tensor, not a copy taken when the worker started."""
    ds = AugmentedDataset(Images(n=4), PIPE, seed=7)
    probe = EpochProbe(ds)
    loader = DataLoader(probe, batch_size=2, num_workers=1, persistent_workers=True,
                        multiprocessing_context="spawn")
    assert [int(x) for b in loader for x in b] == [0] * 4
    ds.set_epoch(5)
    assert [int(x) for b in loader for x in b] == [5] * 4


class EpochProbe:
    """Reports the epoch its AugmentedDataset reads inside the worker."""

    def __init__(self, ds):
        self.ds = ds

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        return self.ds.epoch
