"""The DataLoader glue (`augkit.loader`): the batched route gives the per-item path's pixels
from the same per-item streams at any worker count, `ToTensors` matches torchvision, inputs
are never written, bad input is a typed error; and a smoke of the end-to-end benchmark."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, default_collate

import augkit
from augkit import AugmentedDataset
from augkit.compose import Seq
from augkit.loader import BatchAugment, ToTensors
from augkit.poor import HFlip, PadCrop, Rotate
from augkit.rng import item_rng

CIFAR = Seq((PadCrop(padding=4), HFlip()))


class Tiny:
    """(image, label) pairs of random 32x32 RGB images (or grey ones)."""

    def __init__(self, n=20, shape=(32, 32, 3), dtype=np.uint8):
        rng = np.random.default_rng(5)
        if dtype == np.uint8:
            self.items = [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(n)]
        else:
            self.items = [rng.random(shape, dtype=np.float32) for _ in range(n)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i], i


def _per_item(op, data, seed, epoch=0, workers=0, **kw):
    ds = AugmentedDataset(data, op, seed=seed)
    ds.set_epoch(epoch)
    return list(DataLoader(ds, batch_size=8, num_workers=workers, collate_fn=ToTensors(), **kw))


def _batched(op, data, seed, epoch=0, workers=0, **kw):
    ds = AugmentedDataset(data, None, seed=seed)
    ds.set_epoch(epoch)
    return list(DataLoader(ds, batch_size=8, num_workers=workers,
                           collate_fn=BatchAugment(op), **kw))


def _same(a, b):
    assert len(a) == len(b)
    for (xa, ya), (xb, yb) in zip(a, b):
        assert xa.dtype == xb.dtype and xa.shape == xb.shape
        torch.testing.assert_close(xa, xb, rtol=0, atol=0)
        torch.testing.assert_close(ya, yb, rtol=0, atol=0)


OPS = [CIFAR, Seq((PadCrop(padding=4), HFlip(), Rotate(degrees=15.0))),
       augkit.rich.RandAugment(n=2, m=9),
       augkit.OneOf((HFlip(p=1.0), Rotate(degrees=30.0))), augkit.middle.CutOut(size=8)]


@pytest.mark.parametrize("op", OPS, ids=lambda o: type(o).__name__)
def test_batched_route_gives_the_per_item_pixels(op):
    a, b = _per_item(op, Tiny(), seed=3, epoch=2), _batched(op, Tiny(), seed=3, epoch=2)
    _same(a, b)
    raw = torch.from_numpy(np.stack(Tiny().items[:8])).permute(0, 3, 1, 2)
    assert not torch.equal(a[0][0], raw)  # augmented, not just stacked


@settings(max_examples=15)
@given(seed=st.integers(0, 2**64), epoch=st.integers(0, 2**40),
       idx=st.lists(st.integers(0, 19), min_size=1, max_size=6))
def test_each_item_is_augmented_from_its_own_stream(seed, epoch, idx):
    data = Tiny()
    ds = AugmentedDataset(data, None, seed=seed)
    ds.set_epoch(epoch)
    x, y = BatchAugment(CIFAR)(ds.__getitems__(idx))
    assert y.tolist() == idx
    for row, i in zip(x, idx):
        expect = CIFAR(data.items[i], rng=item_rng(seed, epoch, i))
        np.testing.assert_array_equal(row.permute(1, 2, 0).numpy(), expect)


def test_batched_route_does_not_depend_on_workers_or_shuffling():
    gen = {"shuffle": True, "generator": torch.Generator().manual_seed(4)}
    one = _batched(CIFAR, Tiny(), seed=9, **gen)
    gen["generator"] = torch.Generator().manual_seed(4)
    _same(one, _batched(CIFAR, Tiny(), seed=9, workers=2, **gen))
    gen["generator"] = torch.Generator().manual_seed(4)
    _same(one, _per_item(CIFAR, Tiny(), seed=9, workers=2, **gen))


def test_set_epoch_reaches_persistent_workers_of_the_batched_route():
    ds = AugmentedDataset(Tiny(), None, seed=9)
    loader = DataLoader(ds, batch_size=8, num_workers=2, persistent_workers=True,
                        collate_fn=BatchAugment(CIFAR))
    e0 = list(loader)
    ds.set_epoch(1)
    e1 = list(loader)
    _same(e0, _batched(CIFAR, Tiny(), seed=9, epoch=0))
    _same(e1, _batched(CIFAR, Tiny(), seed=9, epoch=1))
    assert not torch.equal(e0[0][0], e1[0][0])


def test_a_collate_seed_overrides_and_the_unseeded_route_uses_the_process_stream():
    ds = AugmentedDataset(Tiny(), None, seed=1)
    items = ds.__getitems__(range(8))
    x5, _ = BatchAugment(CIFAR, seed=5)(items)
    other = AugmentedDataset(Tiny(), None, seed=5).__getitems__(range(8))
    torch.testing.assert_close(x5, BatchAugment(CIFAR)(other)[0], rtol=0, atol=0)
    plain = [Tiny()[i] for i in range(8)]          # a plain list: no seed, no indices
    augkit.seed(2)
    a = BatchAugment(CIFAR)(plain)[0]
    augkit.seed(2)
    torch.testing.assert_close(a, BatchAugment(CIFAR)(plain)[0], rtol=0, atol=0)


def test_inputs_are_never_written_and_read_only_items_work():
    data = Tiny(n=8)
    for im in data.items:
        im.flags.writeable = False
    before = [im.copy() for im in data.items]
    ds = AugmentedDataset(data, None, seed=0)
    for fn in (BatchAugment(CIFAR), BatchAugment(OPS[2]), ToTensors()):
        x, _ = fn(ds.__getitems__(range(8)))
        assert x.shape == (8, 3, 32, 32) and x.is_contiguous()
        for im, b in zip(data.items, before):
            np.testing.assert_array_equal(im, b)


def test_to_tensors_matches_torchvision_and_keeps_other_fields():
    v2 = pytest.importorskip("torchvision.transforms.v2")
    items = [(im, i, np.float32(i) / 2) for i, im in enumerate(Tiny(n=4).items)]
    x, y, z = ToTensors()(items)
    ref = torch.stack([torch.from_numpy(im).permute(2, 0, 1) for im, _, _ in items])
    torch.testing.assert_close(x, ref, rtol=0, atol=0)
    torch.testing.assert_close(y, default_collate([i for _, i, _ in items]))
    torch.testing.assert_close(z, default_collate([f for _, _, f in items]))
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    norm = v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)])
    xn, _, _ = ToTensors(mean, std)(items)
    assert xn.dtype == torch.float32
    torch.testing.assert_close(xn, norm(ref), rtol=1e-6, atol=1e-5)
    # float32 images in [0, 1] are not scaled again; grey images get one channel
    f = Tiny(n=3, shape=(8, 8), dtype=np.float32).items
    xf = ToTensors(0.5, 0.25)(f)
    torch.testing.assert_close(xf, (torch.from_numpy(np.stack(f))[:, None] - 0.5) / 0.25)


def test_batched_route_normalises_like_to_tensors():
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.2, 0.2)
    ds = AugmentedDataset(Tiny(n=8), None, seed=0)
    got, _ = BatchAugment(CIFAR, mean=mean, std=std)(ds.__getitems__(range(8)))
    ref = AugmentedDataset(Tiny(n=8), CIFAR, seed=0).__getitems__(range(8))
    torch.testing.assert_close(got, ToTensors(mean, std)(ref)[0], rtol=0, atol=0)


@pytest.mark.parametrize("make,match", [
    (lambda: BatchAugment("HFlip"), "^BatchAugment: op is str"),
    (lambda: BatchAugment(CIFAR, seed=-1), "^BatchAugment: seed is -1"),
    (lambda: BatchAugment(CIFAR, seed=True), "^BatchAugment: seed is True"),
    (lambda: ToTensors(mean=0.5), "^ToTensors: std is None"),
    (lambda: ToTensors(0.5, 0.0), "^ToTensors: std is 0.0"),
    (lambda: ToTensors((0.5, float("nan")), 1.0), "^ToTensors: mean is"),
    (lambda: ToTensors("0.5", 1.0), "^ToTensors: mean is '0.5'"),
])
def test_bad_settings_are_typed_errors(make, match):
    with pytest.raises(augkit.AugkitError, match=match):
        make()


def test_bad_batches_are_typed_errors_naming_the_item():
    imgs = Tiny(n=3).items
    fn = BatchAugment(CIFAR)
    cases = [
        ([], augkit.AugkitValueError, "^BatchAugment: items are list; expected a non-empty"),
        ([(imgs[0], 0), (imgs[1][:16], 1)], augkit.AugkitValueError,
         r"^BatchAugment: images\[1\] are \(16, 32, 3\) uint8; expected \(32, 32, 3\)"),
        ([(imgs[0], 0), (imgs[1].astype(np.float64), 1)], augkit.AugkitValueError,
         r"^BatchAugment: images\[1\] are \(32, 32, 3\) float64"),
        ([(imgs[0], 0), (torch.zeros(3, 32, 32), 1)], augkit.AugkitTypeError,
         r"^BatchAugment: images\[1\] is Tensor; expected a numpy"),
        ([(imgs[0], 0), (imgs[1],)], augkit.AugkitValueError, r"^BatchAugment: items\[1\]"),
        ([(imgs[0].astype(np.float64), 0)], augkit.AugkitTypeError, "float64"),
    ]
    for items, kind, match in cases:
        with pytest.raises(kind, match=match):
            fn(items)
    with pytest.raises(augkit.AugkitValueError, match="ToTensors: images have 2 values|"
                       "ToTensors: mean has 2 values for 3-channel images"):
        ToTensors((0.1, 0.2), (1.0, 1.0))([(imgs[0], 0)])
    with pytest.raises(augkit.AugkitValueError, match="BatchAugment: seed is 3 but the items "
                       "do not say which dataset indices"):
        BatchAugment(CIFAR, seed=3)([(imgs[0], 0), (imgs[1], 1)])


# --- the end-to-end benchmark, smoke only (never a timed test) -------------------------------

def test_e2e_benchmark_smoke_runs_every_pipeline(shared_data, tmp_path, capsys):
    pytest.importorskip("albumentations")
    pytest.importorskip("torchvision")
    import json

    from benchmarks.__main__ import main

    assert main(["e2e", "--smoke", "--json", str(tmp_path / "e2e.json")]) == 0
    got = json.loads((tmp_path / "e2e.json").read_text())
    rows = got["rows"]
    assert len({r["pipeline"] for r in rows}) == 5
    for r in rows:
        for col in ("augkit", "albumentations", "torchvision", "decode-only"):
            assert r[col] > 0, r
    cifar = [r for r in rows if r["pipeline"].startswith("CIFAR")]
    assert cifar and all(r["augkit batch"] > 0 and r["augkit seed=None"] > 0 for r in cifar)
    assert all(us > 0 for _, us in got["per_item_us"])
    out = capsys.readouterr().out
    assert "| pipeline | workers | augkit |" in out and "augkit / albu" in out


def test_e2e_cli_checks_its_arguments():
    from benchmarks.__main__ import main

    assert main(["e2e", "--workers", "0,-1"]) == 2
    assert main(["e2e", "--cifar-items", "0"]) == 2


def test_e2e_only_selects_pipelines_by_name(shared_data, tmp_path):
    pytest.importorskip("albumentations")
    pytest.importorskip("torchvision")
    import json

    from benchmarks.__main__ import main

    assert main(["e2e", "--smoke", "--only", "TO UINT8", "--json", str(tmp_path / "e.json")]) == 0
    rows = json.loads((tmp_path / "e.json").read_text())["rows"]
    assert rows and {r["pipeline"] for r in rows} == {
        "COCO128 photos: decode, RRC 64, flip, to uint8 tensor (the rest on the device)"}
    assert all(r["augkit"] > 0 and r["decode-only"] > 0 for r in rows)
