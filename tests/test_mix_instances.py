"""The batch mixer on instance masks (B, K, H, W): every instance moves with its pixels.

The oracle is an independent per-pixel numpy computation: for every output pixel, which
piece of the mixed image it belongs to (own image / pasted patch / RICAP tile), which source
image and which source pixel it shows; an instance's output plane is then its source plane
read at those pixels, restricted to its piece. Instances carry batch-unique ids as box
labels, so identity is checked pixel for pixel, and boxes against numpy tight boxes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import coco_instance_planes
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.data import DataLoader

import augkit as A
from augkit import AugkitTypeError, AugkitValueError, Sample
from augkit.loader import SampleCollate
from augkit.mix import RICAP, BatchCutOut, CutMix, Mixer, MixUp, SampleBatch

H, W = 96, 128  # COCO128 photos resized to one size so they batch
seeds = st.integers(0, 2**32 - 1)


# -- real data: COCO128 instance polygons rasterised at (H, W) ----------------------------
def _coco_item(root: Path, stem: str, uid: int):
    from PIL import Image

    img = np.asarray(Image.open(root / f"images/train2017/{stem}.jpg").convert("RGB")
                     .resize((W, H), Image.BILINEAR))
    planes, classes = coco_instance_planes(root, stem, W, H)
    mask = np.stack(planes, -1) if planes else np.zeros((H, W, 0), np.uint8)
    boxes = np.array([tight(p) for p in planes], np.float32).reshape(-1, 4)
    # box labels: batch-unique ids (uid * 100 + k) so identity can be followed; classes apart
    ids = uid * 100 + np.arange(len(planes))
    return Sample(img, mask=mask, boxes=boxes, box_labels=ids), np.array(classes)


@pytest.fixture(scope="module")
def coco(shared_data):
    root = shared_data / "coco128"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    stems = sorted(p.stem for p in (root / "instance_segmentation/labels/train2017").glob("*.txt"))
    return [_coco_item(root, s, u)[0] for u, s in enumerate(stems[:16])]


def tight(p):
    ys, xs = np.nonzero(p)
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


# -- the oracle ----------------------------------------------------------------------------
def ids_of(batch):
    """Each image's instance ids: the box labels, else the weights (which carry ids then)."""
    ids = batch.box_labels if batch.box_labels is not None else batch.instance_weights
    return [t.cpu().numpy().astype(np.int64) for t in ids]


def planes_of(batch):
    """Per image: its instances as a (K_i, H, W) bool numpy array and their ids."""
    m = batch.masks.cpu().numpy() != 0
    return [m[i, :c] for i, c in enumerate(batch.instance_counts)], ids_of(batch)


def expected(planes, ids, piece_map, sources, sy, sx, min_visible, fallback=None):
    """Per-pixel composition: pixel (y, x) of piece p shows pixel (sy, sx) of sources[p].
    An instance keeps its pixels in its piece; it stays when > 0 and >= min_visible of its
    pixels remain (an empty one: fallback[p])."""
    out_p, out_id = [], []
    for p, s in enumerate(sources):
        for k in range(len(ids[s])):
            plane = (piece_map == p) & planes[s][k][sy, sx]
            before, after = planes[s][k].sum(), plane.sum()
            stays = (after > 0 and after >= min_visible * before) if before else fallback[p]
            if stays:
                out_p.append(plane)
                out_id.append(ids[s][k])
    return np.array(out_p, bool).reshape(-1, *piece_map.shape), np.array(out_id, np.int64)


def cutmix_layout(params, i, h, w):
    y1, x1, y2, x2 = params["box"]
    j = params["perm"][i]
    piece = np.zeros((h, w), np.int64)
    if j != i:
        piece[y1:y2, x1:x2] = 1
    sy, sx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    return piece, [i, j], sy, sx, [True, False]


def ricap_layout(params, i, h, w):
    bw, bh = params["w"], params["h"]
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    piece = (yy >= bh) * 2 + (xx >= bw)  # tiles: top-left, top-right, bottom-left, right
    oy = np.where(yy >= bh, bh, 0)
    ox = np.where(xx >= bw, bw, 0)
    crops = np.array(params["crops"])
    sy = yy - oy + crops[piece, 0]
    sx = xx - ox + crops[piece, 1]
    whole = [(bh if t < 2 else h - bh) == h and (bw if t % 2 == 0 else w - bw) == w
             for t in range(4)]
    return (piece, [p[i] for p in params["perms"]], np.clip(sy, 0, h - 1),
            np.clip(sx, 0, w - 1), whole)


def check_against_oracle(batch, out, layout, params, min_visible):
    planes, ids = planes_of(batch)
    h, w = batch.size
    got = out.masks.cpu().numpy()
    assert got.shape[1] == max(out.instance_counts, default=0)
    for i, c in enumerate(out.instance_counts):
        piece, sources, sy, sx, fallback = layout(params, i, h, w)
        want_p, want_id = expected(planes, ids, piece, sources, sy, sx, min_visible, fallback)
        assert ids_of(out)[i].tolist() == want_id.tolist(), i
        assert c == len(want_id)
        np.testing.assert_array_equal(got[i, :c] != 0, want_p, err_msg=f"image {i}")
        assert not got[i, c:].any()  # padding stays empty
        if batch.boxes is not None:  # tight input boxes: every box is its mask's tight box
            want_boxes = np.array([tight(p) for p in want_p], np.float32).reshape(-1, 4)
            np.testing.assert_array_equal(out.boxes[i].cpu().numpy(), want_boxes)


def coco_batch(samples):
    return SampleCollate()(samples)


@pytest.mark.parametrize("pairing", ["roll", "permutation"])
@pytest.mark.parametrize("min_visible", [0.0, 0.25, 0.6])
def test_coco128_cutmix_moves_every_instance_pixel_for_pixel(coco, pairing, min_visible):
    batch = coco_batch(coco[:8])
    assert batch.masks.shape[0] == 8 and sum(batch.instance_counts) > 20
    mixer = CutMix(alpha=1.0, min_visible=min_visible, pairing=pairing)
    changed = 0
    for seed in range(4):
        params = mixer.sample(np.random.default_rng(seed), batch)
        out = mixer.apply(batch, params)
        check_against_oracle(batch, out, cutmix_layout, params, min_visible)
        changed += sum(int(a != b) for a, b in zip(out.instance_counts, batch.instance_counts))
    assert changed > 0  # instances were really pasted and dropped, not passed through


@pytest.mark.parametrize("min_visible", [0.0, 0.25])
def test_coco128_ricap_tiles_every_instance(coco, min_visible):
    batch = coco_batch(coco[8:16])
    mixer = RICAP(beta=1.0, min_visible=min_visible)
    for seed in range(4):
        params = mixer.sample(np.random.default_rng(seed), batch)
        check_against_oracle(batch, mixer.apply(batch, params), ricap_layout, params,
                             min_visible)


def test_coco128_mixup_keeps_the_union_with_weighted_instances(coco):
    batch = coco_batch(coco[:6])
    mixer = MixUp(alpha=0.4, num_classes=3)
    params = mixer.sample(np.random.default_rng(0), batch)
    out = mixer.apply(batch.replace(labels=torch.arange(6) % 3), params)
    planes, ids = planes_of(batch)
    lam = params["lam"]
    for i, j in enumerate(params["perm"]):
        src = [i] if j == i else [i, j]
        assert out.box_labels[i].tolist() == [v for s in src for v in ids[s].tolist()]
        want = np.concatenate([planes[s] for s in src])
        np.testing.assert_array_equal(out.masks[i, :len(want)].numpy() != 0, want)
        torch.testing.assert_close(out.boxes[i], torch.cat([batch.boxes[s] for s in src]))
        wts = [1.0] * len(ids[i]) if j == i else \
            [lam] * len(ids[i]) + [1 - lam] * len(ids[j])
        np.testing.assert_allclose(out.instance_weights[i].numpy(), wts, rtol=1e-6)


def test_coco128_batch_cutout_clears_instances_in_the_hole(coco):
    batch = coco_batch(coco[:8])
    mixer = BatchCutOut(size=40, mask_fill=0)
    params = mixer.sample(np.random.default_rng(2), batch)
    out = mixer.apply(batch, params)
    planes, ids = planes_of(batch)
    for i, (y1, x1, y2, x2) in enumerate(params["holes"]):
        hole = np.zeros((H, W), bool)
        hole[y1:y2, x1:x2] = True
        left = planes[i] & ~hole
        stay = left.reshape(len(left), -1).any(1)
        assert out.box_labels[i].tolist() == ids[i][stay].tolist()
        np.testing.assert_array_equal(out.masks[i, :stay.sum()].numpy() != 0, left[stay])
        want = np.array([tight(p) for p in left[stay]], np.float32).reshape(-1, 4)
        np.testing.assert_array_equal(out.boxes[i].numpy(), want)
    assert torch.equal(BatchCutOut(size=40).apply(batch, params).masks, batch.masks)


def test_dataloader_with_sample_collate_over_coco128_feeds_the_mixer(coco):
    ds = A.AugmentedDataset(coco[:8], A.HFlip(p=0.5), seed=0)
    loader = DataLoader(ds, batch_size=4, collate_fn=SampleCollate(mean=0.5, std=0.25))
    mixer = Mixer((CutMix(), MixUp(), RICAP()), p=(0.4, 0.3, 0.3))
    for b in loader:
        assert b.masks.ndim == 4 and b.masks.shape[0] == 4 and b.masks.shape[2:] == (H, W)
        assert b.masks.shape[1] == max(b.instance_counts)
        assert [len(t) for t in b.boxes] == b.instance_counts
        out = mixer(b, rng=np.random.default_rng(0))
        assert out.images.shape == (4, 3, H, W)
        assert [len(t) for t in out.boxes] == [len(t) for t in out.box_labels] == \
            out.instance_counts
        for i, c in enumerate(out.instance_counts):  # every kept instance has pixels and
            for k in range(c):                     # sits in its box
                ys, xs = np.nonzero(out.masks[i, k].numpy())
                assert len(ys) and out.boxes[i][k].tolist() == [xs.min(), ys.min(),
                                                                xs.max() + 1, ys.max() + 1]


# -- synthetic batches: contracts ----------------------------------------------------------
@st.composite
def instance_batches(draw, boxes=None):
    n = draw(st.integers(1, 4))
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    counts = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    rng = np.random.default_rng(draw(seeds))
    k = max(counts)
    dtype = draw(st.sampled_from([torch.bool, torch.uint8, torch.int64]))
    density = draw(st.sampled_from([0.0, 0.1, 0.5]))  # 0: all-empty masks
    m = np.zeros((n, k, h, w), bool)
    for i, c in enumerate(counts):
        m[i, :c] = rng.random((c, h, w)) < density
    with_boxes = draw(st.booleans()) if boxes is None else boxes
    bx = lb = wt = None
    ids = [torch.arange(c) + 10 * i for i, c in enumerate(counts)]
    if with_boxes:
        bx = [torch.tensor([tight(p) if p.any() else [0, 0, w, h] for p in m[i, :c]],
                           dtype=torch.float32).reshape(-1, 4) for i, c in enumerate(counts)]
        lb = ids
    else:  # no boxes, no labels: the weights carry the ids along
        wt = [t.float() for t in ids]
    x = torch.from_numpy(rng.integers(0, 256, (n, 3, h, w), dtype=np.uint8))
    return SampleBatch(x, torch.arange(n) % 2, torch.from_numpy(m).to(dtype), bx, lb,
                       instance_counts=counts, instance_weights=wt)


MIXERS = [CutMix(num_classes=2, pairing="permutation"), CutMix(num_classes=2, min_visible=0.0),
          RICAP(num_classes=2), MixUp(num_classes=2),
          BatchCutOut(size=4, mask_fill=0, num_classes=2),
          Mixer((CutMix(), MixUp(), RICAP()), num_classes=2)]


def _snapshot(b):
    return [t.clone() for t in (b.images, b.masks, *(b.boxes or []), *(b.box_labels or []))]


@pytest.mark.parametrize("mixer", MIXERS, ids=lambda m: type(m).__name__)
@given(b=instance_batches(), seed=seeds)
def test_contract_untouched_inputs_same_seed_consistent_targets(mixer, b, seed):
    before = _snapshot(b)
    out = mixer(b, rng=np.random.default_rng(seed))
    again = mixer(b, rng=np.random.default_rng(seed))
    for a, c in zip(before, _snapshot(b)):
        assert torch.equal(a, c)  # inputs untouched
    assert torch.equal(out.masks, again.masks) and out.instance_counts == again.instance_counts
    assert out.masks.dtype == b.masks.dtype and out.masks.shape[2:] == b.masks.shape[2:]
    assert out.masks.shape[1] == max(out.instance_counts)
    for i, c in enumerate(out.instance_counts):
        assert not out.masks[i, c:].any()
        if b.boxes is not None:
            assert len(out.boxes[i]) == len(out.box_labels[i]) == c
            assert torch.equal(out.boxes[i], again.boxes[i])
            torch.testing.assert_close(out.box_labels[i], again.box_labels[i])


@pytest.mark.parametrize("layout,mixer", [(cutmix_layout, CutMix(min_visible=0.3)),
                                          (ricap_layout, RICAP(min_visible=0.0))],
                         ids=["CutMix", "RICAP"])
@given(b=instance_batches(boxes=False), seed=seeds)
def test_pixel_identity_matches_the_oracle_on_any_batch(layout, mixer, b, seed):
    """Any sizes, empty instances and images without instances included (no boxes: an
    empty instance stays in its own image under a patch, and is dropped from a crop)."""
    b = b.replace(labels=None)
    params = mixer.sample(np.random.default_rng(seed), b)
    check_against_oracle(b, mixer.apply(b, params), layout, params, mixer.min_visible)


@pytest.mark.parametrize("mixer", [CutMix(), RICAP(), MixUp()], ids=lambda m: type(m).__name__)
@given(b=instance_batches(boxes=True), seed=seeds)
def test_empty_instances_follow_the_box_rules(mixer, b, seed):
    """All-empty masks (or K = 0): the planes have nothing to say, so instances fare
    exactly as boxes do without masks (and boxes_from_masks=False is that rule always)."""
    rule = dataclasses.replace(mixer, boxes_from_masks=False) \
        if hasattr(mixer, "boxes_from_masks") else mixer
    b = b.replace(labels=None)
    plain = mixer(b.replace(masks=None, instance_counts=None), rng=np.random.default_rng(seed))
    for m, inst in ((mixer, b.replace(masks=torch.zeros_like(b.masks))), (rule, b)):
        out = m(inst, rng=np.random.default_rng(seed))
        for i in range(len(b)):
            assert torch.equal(out.boxes[i], plain.boxes[i])
            assert torch.equal(out.box_labels[i], plain.box_labels[i])
            assert out.instance_counts[i] == len(plain.boxes[i])


def test_k_zero_batch_passes_through_every_mixer():
    b = SampleBatch(torch.zeros(3, 3, 8, 8, dtype=torch.uint8), torch.arange(3),
                    torch.zeros(3, 0, 8, 8, dtype=torch.uint8), [torch.zeros(0, 4)] * 3,
                    [torch.zeros(0, dtype=torch.long)] * 3)
    for mixer in MIXERS:
        out = mixer(b.replace(labels=torch.arange(3) % 2), rng=np.random.default_rng(0))
        assert out.masks.shape == (3, 0, 8, 8) and out.instance_counts == [0, 0, 0]
        assert all(t.shape == (0, 4) for t in out.boxes)


def test_boxes_from_masks_only_redraws_boxes_of_instances_that_lost_pixels():
    m = torch.zeros(2, 1, 10, 10, dtype=torch.uint8)
    m[0, 0, 2:8, 2:8] = 1
    m[1, 0, 1:3, 1:3] = 1
    loose = [torch.tensor([[1.0, 1.0, 9.0, 9.0]]), torch.tensor([[0.5, 0.5, 3.5, 3.5]])]
    b = SampleBatch(torch.zeros(2, 3, 10, 10), masks=m, boxes=loose,
                    box_labels=[torch.tensor([0]), torch.tensor([1])])
    params = {"perm": [1, 0], "box": [0, 0, 5, 5]}
    out = CutMix(min_visible=0.0).apply(b, params)
    # image 0: its own instance lost rows/cols 2..4 -> tight box of the rest; the pasted one
    # kept every pixel -> its own box clipped to the patch (the box rule), not redrawn
    assert out.box_labels[0].tolist() == [0, 1]
    assert out.boxes[0].tolist() == [[2.0, 2.0, 8.0, 8.0], [0.5, 0.5, 3.5, 3.5]]
    off = CutMix(min_visible=0.0, boxes_from_masks=False).apply(b, params)
    assert off.boxes[0].tolist() == [[1.0, 1.0, 9.0, 9.0], [0.5, 0.5, 3.5, 3.5]]


def test_weights_stay_in_step_and_semantic_masks_are_unchanged():
    b = SampleBatch(torch.rand(4, 3, 8, 8), masks=torch.ones(4, 1, 8, 8, dtype=torch.bool),
                    boxes=[torch.tensor([[0.0, 0.0, 8.0, 8.0]])] * 4,
                    box_labels=[torch.tensor([i]) for i in range(4)],
                    instance_weights=[torch.tensor([0.5 + i]) for i in range(4)])
    out = CutMix().apply(b, {"perm": [1, 2, 3, 0], "box": [0, 0, 4, 4]})
    for i in range(4):
        assert out.box_labels[i].tolist() == [i, (i + 1) % 4]
        assert out.instance_weights[i].tolist() == [0.5 + i, 0.5 + (i + 1) % 4]
    sem = SampleBatch(torch.rand(4, 3, 8, 8), masks=torch.arange(4 * 64).reshape(4, 8, 8))
    assert CutMix().apply(sem, {"perm": [1, 2, 3, 0], "box": [0, 0, 4, 4]}).instance_counts \
        is None


def test_numpy_targets_and_counts_are_taken_like_tensors():
    rng = np.random.default_rng(3)
    m = torch.from_numpy(rng.random((3, 2, 9, 9)) < 0.4)
    m[1, 1] = False
    boxes = [np.array([tight(p) for p in m[i, :c].numpy()], np.float32).reshape(-1, 4)
             for i, c in enumerate([2, 1, 2])]
    labels = [np.arange(len(b)) + 5 * i for i, b in enumerate(boxes)]
    ref = SampleBatch(torch.rand(3, 3, 9, 9), masks=m, boxes=[torch.from_numpy(b) for b in boxes],
                      box_labels=[torch.from_numpy(v) for v in labels], instance_counts=[2, 1, 2])
    params = {"perm": [2, 0, 1], "box": [2, 3, 7, 9]}
    want = CutMix(min_visible=0.0).apply(ref, params)
    for counts in (np.array([2, 1, 2]), torch.tensor([2, 1, 2]), None):
        got = CutMix(min_visible=0.0).apply(ref.replace(boxes=boxes, box_labels=labels,
                                                        instance_counts=counts), params)
        assert torch.equal(got.masks, want.masks) and got.instance_counts == want.instance_counts
        for a, c in zip(got.boxes + got.box_labels, want.boxes + want.box_labels):
            assert torch.equal(a, c)


# -- typed errors --------------------------------------------------------------------------
def _b(**kw):
    base = dict(images=torch.zeros(2, 3, 8, 8), masks=torch.zeros(2, 2, 8, 8, dtype=torch.uint8))
    return SampleBatch(**{**base, **kw})


@pytest.mark.parametrize("batch,mixer,err,match", [
    (_b(masks=torch.zeros(2, 2, 8, 7, dtype=torch.uint8)), CutMix(), AugkitValueError,
     r"CutMix: masks have shape \(2, 2, 8, 7\); expected \(2, 8, 8\) label maps or "
     r"\(2, K, 8, 8\) instance masks"),
    (_b(masks=torch.zeros(3, 2, 8, 8, dtype=torch.uint8)), RICAP(), AugkitValueError,
     r"RICAP: masks have shape \(3, 2, 8, 8\)"),
    (_b(masks=torch.zeros(2, 2, 8, 8)), MixUp(), AugkitTypeError,
     r"MixUp: masks have dtype torch.float32 \(2, 2, 8, 8\); expected integer or bool"),
    (_b(instance_counts=[1]), CutMix(), AugkitValueError,
     r"CutMix: instance_counts are \[1\]; expected 2 ints"),
    (_b(instance_counts=[1, 3]), CutMix(), AugkitValueError,
     r"CutMix: instance_counts\[1\] is 3; expected 0..2 \(masks have 2 planes\)"),
    (_b(instance_counts=[1.0, 2.0]), CutMix(), AugkitValueError, r"instance_counts are"),
    (_b(instance_counts=[1, 1], boxes=[torch.zeros(1, 4), torch.zeros(2, 4)]), CutMix(),
     AugkitValueError, r"CutMix: instance_counts\[1\] is 1 but boxes\[1\] has 2 rows"),
    (_b(boxes=[torch.zeros(3, 4), torch.zeros(0, 4)]), CutMix(), AugkitValueError,
     r"CutMix: boxes\[0\] has 3 rows but masks have 2 instance planes"),
    (_b(masks=torch.ones(2, 2, 8, 8, dtype=torch.uint8), instance_counts=[2, 1]), CutMix(),
     AugkitValueError, r"CutMix: masks of shape \(2, 2, 8, 8\): image 1 has pixels in "
     r"plane\(s\) 1..1, past its instance_counts\[1\] = 1"),
    (_b(masks=torch.zeros(2, 8, 8, dtype=torch.uint8), instance_counts=[0, 0]), CutMix(),
     AugkitValueError, r"CutMix: instance_counts given without \(B, K, H, W\) instance masks"),
    (_b(instance_weights=[torch.ones(2), torch.ones(1)]), MixUp(), AugkitValueError,
     r"MixUp: instance_weights\[1\] is torch.float32 \(1,\); expected \(2,\) float"),
    (_b(instance_weights=[torch.ones(2), torch.tensor([1.0, float("nan")])]), MixUp(),
     AugkitValueError, r"MixUp: instance_weights\[1\] of shape \(2,\) contain NaN"),
    (_b(masks=None, instance_weights=[torch.ones(1)] * 2), MixUp(), AugkitValueError,
     r"MixUp: instance_weights given without boxes or instance masks"),
    (_b(), BatchCutOut(mask_fill=255), AugkitValueError,
     r"BatchCutOut: mask_fill is 255; instance masks \(2, 2, 8, 8\) are cleared"),
])
def test_bad_instance_batches_are_typed_errors(batch, mixer, err, match):
    with pytest.raises(err, match=match):
        mixer(batch, rng=np.random.default_rng(0))


def test_boxes_from_masks_must_be_a_bool():
    with pytest.raises(AugkitValueError, match="CutMix: boxes_from_masks is 1; expected a bool"):
        CutMix(boxes_from_masks=1)


# -- SampleCollate -------------------------------------------------------------------------
def test_sample_collate_pads_instance_masks_and_the_mixer_takes_them():
    rng = np.random.default_rng(0)
    ks = [2, 0, 3, 1]
    items = []
    for i, k in enumerate(ks):
        m = (rng.random((12, 10, k)) < 0.3).astype(np.uint8)
        if i == 3:
            m = m.transpose(2, 0, 1)  # torchvision's (K, H, W) layout is read too
        items.append(Sample(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8), mask=m,
                            boxes=np.zeros((k, 4)) + [0, 0, 10, 12], box_labels=np.arange(k)))
    b = SampleCollate()(items)
    assert b.masks.shape == (4, 3, 12, 10) and b.masks.dtype == torch.uint8
    assert b.instance_counts == ks
    for i, (s, k) in enumerate(zip(items, ks)):
        planes = s.mask if i == 3 else s.mask.transpose(2, 0, 1)
        np.testing.assert_array_equal(b.masks[i, :k].numpy(), planes)
        assert not b.masks[i, k:].any()
    for mixer in MIXERS[:-1]:
        out = mixer(b.replace(labels=torch.arange(4) % 2), rng=np.random.default_rng(1))
        assert out.masks.shape[0] == 4 and out.masks.shape[2:] == (12, 10)
        assert out.masks.shape[1] == max(out.instance_counts)
        assert [len(t) for t in out.boxes] == out.instance_counts
    with pytest.raises(AugkitValueError, match=r"SampleCollate: mask\[1\] has shape \(5, 5, 2\)"):
        SampleCollate()([items[0], Sample(items[0].image, mask=np.zeros((5, 5, 2), np.uint8),
                                          boxes=np.zeros((2, 4)), box_labels=np.arange(2))])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
@pytest.mark.parametrize("mixer", MIXERS, ids=lambda m: type(m).__name__)
def test_cuda_matches_cpu(mixer):
    rng = np.random.default_rng(0)
    m = torch.from_numpy(rng.random((6, 3, 16, 16)) < 0.3)
    boxes = [torch.tensor([tight(p) for p in m[i].numpy()], dtype=torch.float32)
             for i in range(6)]
    labels = [torch.arange(3) + 3 * i for i in range(6)]
    b = SampleBatch(torch.rand(6, 3, 16, 16), torch.arange(6) % 2, m, boxes, labels)
    cpu = mixer(b, rng=np.random.default_rng(1))
    dev = SampleBatch(b.images.cuda(), b.labels.cuda(), m.cuda(), [t.cuda() for t in boxes],
                      [t.cuda() for t in labels])
    gpu = mixer(dev, rng=np.random.default_rng(1))
    assert gpu.masks.is_cuda and torch.equal(gpu.masks.cpu(), cpu.masks)
    assert gpu.instance_counts == cpu.instance_counts
    for a, c in zip(gpu.boxes, cpu.boxes):
        assert a.is_cuda and torch.equal(a.cpu(), c)


@pytest.mark.parametrize("mixer", MIXERS[:-1], ids=lambda m: type(m).__name__)
@given(b=instance_batches(), seed=seeds)
def test_the_device_kernels_equal_the_numpy_ones(monkeypatch_module, mixer, b, seed):
    """CPU batches take numpy views; other devices the torch kernels: run those on the CPU
    (no GPU needed) and compare."""
    from augkit.mix import _instances

    b = b.replace(labels=torch.arange(len(b)) % 2)
    host = mixer(b, rng=np.random.default_rng(seed))
    monkeypatch_module.setattr(_instances, "_host", lambda m: False)
    try:
        dev = mixer(b, rng=np.random.default_rng(seed))
    finally:
        monkeypatch_module.undo()
    assert torch.equal(dev.masks, host.masks) and dev.instance_counts == host.instance_counts
    for name in ("boxes", "box_labels", "instance_weights"):
        for a, c in zip(getattr(dev, name) or [], getattr(host, name) or []):
            assert torch.equal(a, c), name


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()
