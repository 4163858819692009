"""The batch mixer: labels tell the same story as the pixels, dense targets follow them."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augkit import AugkitTypeError, AugkitValueError
from augkit.mix import (
    RICAP,
    Batch,
    CutMix,
    CutOut,
    Mixer,
    MixUp,
    collate,
    mix_loss,
    mixer_from_dict,
    mixer_to_dict,
)

MIXERS = [MixUp(), MixUp(alpha=0.4, per_sample=True), CutMix(), CutMix(alpha=0.5),
          MixUp(pairing="permutation"), CutMix(pairing="permutation"),
          CutOut(size=6), CutOut(size=0.5, fill=(0.5, 0.5, 0.5)), RICAP(), RICAP(beta=1.0),
          Mixer((MixUp(), CutMix()), p=(0.5, 0.5), label_smoothing=0.1),
          Mixer((MixUp(alpha=0.2), RICAP()), p=(0.3, 0.3))]
ids = [repr(m) for m in MIXERS]
seeds = st.integers(0, 2**32 - 1)


def tuned(m, num_classes, **mixup_kw):
    """`m` with `num_classes`; MixUp (also inside a Mixer) gets `mixup_kw` too."""
    if isinstance(m, Mixer):
        return dataclasses.replace(m, num_classes=num_classes, choices=tuple(
            tuned(c, None, **mixup_kw) for c in m.choices))
    return dataclasses.replace(m, num_classes=num_classes,
                               **(mixup_kw if isinstance(m, MixUp) else {}))


def constant_batch(n, h, w, dtype=torch.uint8):
    """Image i is the constant 10 * i + 5 (distinct, exact in uint8 and float32)."""
    vals = torch.arange(n, dtype=torch.float32) * 10 + 5
    x = vals.reshape(n, 1, 1, 1).expand(n, 3, h, w).clone()
    return x.to(dtype) if dtype == torch.uint8 else (x / 255).to(dtype)


def coord_batch(n, h, w):
    """Pixels encode where they come from: (image, row, column) in three float channels."""
    i, r, c = torch.meshgrid(torch.arange(n), torch.arange(h), torch.arange(w), indexing="ij")
    return torch.stack([i, r, c], 1).double()


# --- labels -----------------------------------------------------------------------------------

@pytest.mark.parametrize("mixer", MIXERS, ids=ids)
@given(n=st.integers(1, 9), h=st.integers(1, 20), w=st.integers(1, 20),
       k=st.integers(1, 7), seed=seeds, uint8=st.booleans())
def test_soft_labels_sum_to_one_and_are_non_negative(mixer, n, h, w, k, seed, uint8):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.random((n, 3, h, w), dtype=np.float32))
    if uint8:
        x = (x * 255).to(torch.uint8)
    y = torch.from_numpy(rng.integers(0, k, n))
    m = tuned(mixer, k)
    xo, yo = m(x, y, rng=rng)
    assert xo.shape == x.shape and xo.dtype == x.dtype
    assert yo.shape == (n, k) and yo.dtype == torch.float32
    assert (yo >= 0).all()
    torch.testing.assert_close(yo.sum(1), torch.ones(n), atol=1e-5, rtol=0)


@pytest.mark.parametrize("mixer", [m for m in MIXERS if not isinstance(m, CutOut)], ids=repr)
@given(n=st.integers(1, 8), h=st.integers(2, 24), w=st.integers(2, 24), seed=seeds)
def test_label_weights_equal_pixel_share(mixer, n, h, w, seed):
    """Constant, distinct images with class = image index: the share of each source image in
    the mixed pixels is the weight of its class."""
    rng = np.random.default_rng(seed)
    x = constant_batch(n, h, w, torch.float32).double()
    y = torch.arange(n)
    m = dataclasses.replace(tuned(mixer, n), label_smoothing=0.0)
    xo, yo = m(x, y, rng=rng)
    vals = x[:, 0, 0, 0]
    for i in range(n):
        px = xo[i, 0]
        if isinstance(m, MixUp) or (isinstance(m, Mixer) and not _is_paste(px, vals)):
            # blending: every pixel is sum_j y_ij * value_j
            torch.testing.assert_close(px, torch.full_like(px, float(yo[i].double() @ vals)),
                                       atol=1e-6, rtol=0)
        else:
            share = torch.stack([(px == v).double().mean() for v in vals])
            torch.testing.assert_close(share, yo[i].double(), atol=1e-6, rtol=0)


def _is_paste(px, vals):
    return bool(torch.isin(px, vals).all())


@given(n=st.integers(1, 8), h=st.integers(1, 30), w=st.integers(1, 30), seed=seeds)
def test_cutmix_lambda_is_one_minus_pasted_area(n, h, w, seed):
    x = constant_batch(n, h, w)
    m = CutMix(num_classes=n)
    p = m.sample(np.random.default_rng(seed), Batch(x))
    y1, x1, y2, x2 = p["box"]
    assert p["lam"] == pytest.approx(1 - (y2 - y1) * (x2 - x1) / (h * w))
    out = m.apply(Batch(x, torch.arange(n)), p)
    for i in range(n):
        j = p["perm"][i]
        if j != i:
            pasted = (out.images[i, 0] == x[j, 0, 0, 0]).sum().item()
            assert pasted == (y2 - y1) * (x2 - x1)
            assert out.labels[i, i].item() == pytest.approx(p["lam"])


def test_cutmix_box_follows_the_reference_rule():
    """Side int(H sqrt(1 - lam)), centre uniform over the image, clipped: over many draws the
    clipped boxes touch the border as often as the reference predicts."""
    m = CutMix(alpha=1.0)
    rng = np.random.default_rng(0)
    x = torch.zeros(2, 1, 32, 32)
    touches, n = 0, 4000
    for _ in range(n):
        p = m.sample(rng, Batch(x))
        touches += p["box"][0] == 0
    # P(cy - cut_h // 2 <= 0) averaged over lam ~ U(0, 1): E[(cut_h // 2 + 1) / 32]
    lam = np.random.default_rng(1).uniform(0, 1, 200000)
    cut = (32 * np.sqrt(1 - lam)).astype(int)
    expected = np.mean(np.minimum(cut // 2 + 1, 32) / 32)
    assert abs(touches / n - expected) < 0.025


@given(n=st.integers(1, 6), h=st.integers(1, 24), w=st.integers(1, 24), seed=seeds)
def test_ricap_tiles_the_whole_image_exactly(n, h, w, seed):
    x = coord_batch(n, h, w)
    m = RICAP(num_classes=n)
    p = m.sample(np.random.default_rng(seed), Batch(x))
    out = m.apply(Batch(x, torch.arange(n)), p)
    # rebuild the expected image from the params, pixel by pixel
    bw, bh = p["w"], p["h"]
    exp = torch.empty_like(x)
    weights = torch.zeros(n, n, dtype=torch.float64)
    for i in range(n):
        for r in range(h):
            for c in range(w):
                k = (r >= bh) * 2 + (c >= bw)
                oy, ox = (bh if r >= bh else 0), (bw if c >= bw else 0)
                cy, cx = p["crops"][k]
                src = p["perms"][k][i]
                exp[i, :, r, c] = x[src, :, r - oy + cy, c - ox + cx]
                weights[i, src] += 1.0 / (h * w)
    torch.testing.assert_close(out.images, exp, atol=0, rtol=0)
    torch.testing.assert_close(out.labels.double(), weights, atol=1e-6, rtol=0)
    sizes = [(bh, bw), (bh, w - bw), (h - bh, bw), (h - bh, w - bw)]
    assert sum(a * b for a, b in sizes) == h * w


@pytest.mark.parametrize("mixer", MIXERS, ids=ids)
@given(n=st.integers(1, 6), seed=seeds)
def test_same_seed_same_output_and_json_replay(mixer, n, seed):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.random((n, 3, 9, 11), dtype=np.float32))
    y = torch.from_numpy(rng.integers(0, 4, n))
    m = tuned(mixer, 4)
    a = m(x, y, rng=np.random.default_rng(seed))
    b = m(x, y, rng=np.random.default_rng(seed))
    torch.testing.assert_close(a, b, atol=0, rtol=0)
    batch = Batch(x, y)
    params = m.sample(np.random.default_rng(seed), batch)
    replay = m.apply(batch, json.loads(json.dumps(params)))
    torch.testing.assert_close((replay.images, replay.labels), a, atol=0, rtol=0)
    d = json.loads(json.dumps(mixer_to_dict(m)))
    assert mixer_from_dict(d) == m and d["type"].startswith("mix.")


@pytest.mark.parametrize("mixer", MIXERS, ids=ids)
def test_inputs_are_never_modified(mixer):
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.integers(0, 256, (5, 3, 12, 12), dtype=np.uint8))
    y = torch.tensor([0, 1, 2, 1, 0])
    masks = torch.from_numpy(rng.integers(0, 3, (5, 12, 12)))
    boxes = [torch.tensor([[1.0, 1.0, 9.0, 9.0]]) for _ in range(5)]
    kps = [torch.tensor([[[3.0, 3.0, 2.0], [8.0, 8.0, 2.0]]]) for _ in range(5)]
    before = [t.clone() for t in (x, y, masks, *boxes, *kps)]
    m = tuned(mixer, 3, mask_classes=3)
    m(Batch(x, y, masks, boxes, [torch.tensor([1])] * 5, kps), rng=rng)
    m(x, y, rng=rng)
    for a, b in zip((x, y, masks, *boxes, *kps), before):
        assert torch.equal(a, b)


def test_uint8_mixup_rounds_the_float_result():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.integers(0, 256, (7, 3, 8, 8), dtype=np.uint8))
    p = MixUp().sample(rng, Batch(x))
    out = MixUp().apply(Batch(x), p).images
    ref = p["lam"] * x.double() + (1 - p["lam"]) * x[p["perm"]].double()
    assert out.dtype == torch.uint8
    assert (out.double() - ref).abs().max() <= 0.5 + 1e-6


def test_mixup_per_sample_draws_one_lambda_per_image():
    p = MixUp(per_sample=True).sample(np.random.default_rng(0), Batch(torch.zeros(6, 1, 2, 2)))
    assert len(p["lam"]) == 6 and len(set(p["lam"])) == 6


def test_mixer_probabilities_and_smoothing():
    x = torch.rand(4, 3, 8, 8)
    y = torch.tensor([0, 1, 2, 3])
    never = Mixer((MixUp(), CutMix()), p=(0.0, 0.0), num_classes=4, label_smoothing=0.2)
    xo, yo = never(x, y, rng=np.random.default_rng(0))
    assert torch.equal(xo, x)
    torch.testing.assert_close(yo, torch.eye(4) * 0.8 + 0.05)
    rng = np.random.default_rng(0)
    chosen = [Mixer((MixUp(), CutMix()), p=(0.25, 0.5)).sample(rng, Batch(x))["index"]
              for _ in range(4000)]
    freq = [chosen.count(i) / 4000 for i in (0, 1, None)]
    assert np.allclose(freq, [0.25, 0.5, 0.25], atol=0.03)


def test_pair_form_and_mix_loss_agree_with_soft_labels():
    x = torch.rand(6, 3, 10, 10)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    logits = torch.randn(6, 3)
    for m in (MixUp(num_classes=3), MixUp(per_sample=True, num_classes=3),
              CutMix(num_classes=3), CutOut(num_classes=3)):
        xs, soft = m(x, y, rng=np.random.default_rng(5))
        xp, ya, yb, lam = m.pair(x, y, rng=np.random.default_rng(5))
        torch.testing.assert_close(xs, xp, atol=0, rtol=0)
        assert lam.shape == (6,)
        torch.testing.assert_close(mix_loss(logits, ya, yb, lam), mix_loss(logits, soft))
    with pytest.raises(AugkitValueError, match="RICAP: pair"):
        RICAP().pair(x, y)


def test_collate_for_a_dataloader():
    data = [(torch.rand(3, 8, 8), i % 4) for i in range(10)]
    loader = torch.utils.data.DataLoader(data, batch_size=4,
                                         collate_fn=collate(CutMix(), num_classes=4))
    batches = list(loader)
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    for _, yb in batches:
        assert yb.shape[1] == 4
        torch.testing.assert_close(yb.sum(1), torch.ones(len(yb)))


def test_soft_label_input_is_mixed_with_the_pixels():
    x = constant_batch(5, 8, 8, torch.float32).double()
    soft = torch.softmax(torch.randn(5, 3), 1)
    m = MixUp(alpha=0.5)
    p = m.sample(np.random.default_rng(0), Batch(x))
    out = m.apply(Batch(x, soft), p)
    exp = p["lam"] * soft + (1 - p["lam"]) * soft[p["perm"]]
    torch.testing.assert_close(out.labels, exp)
    torch.testing.assert_close(out.labels.sum(1), torch.ones(5))


# --- bad input ----------------------------------------------------------------------------------

def _x(n=3):
    return torch.rand(n, 3, 8, 8)


Y3, Z = torch.tensor([0, 1, 2]), torch.zeros


@pytest.mark.parametrize("call, err, match", [
    (lambda: MixUp(num_classes=3)(_x(4), Y3), AugkitValueError, "MixUp: labels have shape"),
    (lambda: CutMix(num_classes=3)(_x(), torch.tensor([0, 1, 3])), AugkitValueError,
     r"CutMix: labels span \[0, 3\]"),
    (lambda: RICAP()(_x(), Y3), AugkitValueError, "RICAP: num_classes"),
    (lambda: MixUp(num_classes=3)(_x()[0], Y3), AugkitValueError, "MixUp: images have 3 dims"),
    (lambda: MixUp(num_classes=3)(Z(3, 3, 8, 8, dtype=torch.int32), Y3), AugkitTypeError,
     "MixUp: images have dtype"),
    (lambda: MixUp(num_classes=3)(np.zeros((3, 3, 8, 8)), Y3), AugkitTypeError,
     "MixUp: images are ndarray"),
    (lambda: CutMix(num_classes=3)(_x(2), torch.tensor([0.0, 1.0])), AugkitTypeError,
     "CutMix: labels have dtype"),
    (lambda: CutMix()(Batch(_x(2), boxes=[Z(0, 4)])), AugkitValueError,
     "CutMix: boxes are 1; expected a list of 2"),
    (lambda: CutMix()(Batch(_x(2), masks=Z(2, 8, 7).long())), AugkitValueError,
     "CutMix: masks have shape"),
    (lambda: CutMix()(Batch(_x(2), masks=Z(2, 8, 8))), AugkitTypeError,
     "CutMix: masks have dtype"),
    (lambda: MixUp()(Batch(_x(2), masks=Z(2, 8, 8).long())), AugkitValueError,
     "MixUp: mask_classes"),
    (lambda: CutOut(mask_fill=300)(Batch(_x(2), masks=Z(2, 8, 8, dtype=torch.uint8))),
     AugkitValueError, "CutOut: mask_fill is 300"),
    (lambda: MixUp()(Batch(_x(2), keypoints=[Z(1, 4, 3), Z(1, 5, 3)])), AugkitValueError,
     "MixUp: keypoints"),
    (lambda: MixUp(alpha=0), AugkitValueError, "MixUp: alpha"),
    (lambda: RICAP(beta=-1.0), AugkitValueError, "RICAP: beta"),
    (lambda: CutMix(min_visible=2.0), AugkitValueError, "CutMix: min_visible"),
    (lambda: Mixer((MixUp(),), p=(1.5,)), AugkitValueError, "Mixer: p"),
    (lambda: Mixer(()), AugkitValueError, "Mixer: choices"),
    (lambda: CutOut(size=-3), AugkitValueError, "BatchCutOut: size"),
    (lambda: MixUp(label_smoothing=1.0), AugkitValueError, "MixUp: label_smoothing"),
])
def test_bad_input_raises_typed_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
@pytest.mark.parametrize("mixer", MIXERS, ids=ids)
def test_cuda_matches_cpu(mixer):
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.integers(0, 256, (6, 3, 16, 16), dtype=np.uint8))
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    masks = torch.from_numpy(rng.integers(0, 3, (6, 16, 16)))
    boxes = [torch.tensor([[1.0, 2.0, 9.0, 12.0]])] * 6
    m = tuned(mixer, 4, mask_mode="dominant")
    cpu = m(Batch(x, y, masks, boxes), rng=np.random.default_rng(1))
    gpu = m(Batch(x.cuda(), y.cuda(), masks.cuda(), [b.cuda() for b in boxes]),
            rng=np.random.default_rng(1))
    assert gpu.images.is_cuda and gpu.labels.is_cuda
    torch.testing.assert_close(gpu.images.cpu(), cpu.images, atol=1, rtol=0)
    torch.testing.assert_close(gpu.labels.cpu(), cpu.labels)
    assert torch.equal(gpu.masks.cpu(), cpu.masks)
    for a, b in zip(gpu.boxes, cpu.boxes):
        torch.testing.assert_close(a.cpu(), b)


@pytest.mark.parametrize("side", [12, 70])  # small images: one masked fill; large: slices
@given(n=st.integers(1, 4), seed=seeds, uint8=st.booleans(), zero=st.booleans())
def test_batch_cutout_equals_the_per_sample_op(side, n, seed, uint8, zero):
    from augkit import Sample
    from augkit.middle import CutOut as SampleCutOut

    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.random((n, 3, side, side + 3), dtype=np.float32))
    masks = torch.from_numpy(rng.integers(0, 5, (n, side, side + 3)))
    if uint8:
        x = (x * 255).to(torch.uint8)
    fill = 0 if zero else ((10, 20, 30) if uint8 else (0.2, 0.4, 0.6))
    m = CutOut(size=0.4, fill=fill, mask_fill=255)
    p = m.sample(rng, Batch(x))
    out = m.apply(Batch(x, masks=masks), p)
    ref = SampleCutOut(size=0.4, fill=fill, mask_fill=255)
    for i in range(n):
        s = Sample(np.ascontiguousarray(x[i].permute(1, 2, 0).numpy()), mask=masks[i].numpy())
        exp = ref.apply(s, {"holes": [p["holes"][i]]})
        np.testing.assert_array_equal(out.images[i].permute(1, 2, 0).numpy(), exp.image)
        np.testing.assert_array_equal(out.masks[i].numpy(), exp.mask)


# --- rng handling ---------------------------------------------------------------------------

@pytest.mark.parametrize("mixer", MIXERS, ids=ids)
def test_rng_may_come_second_positionally(mixer):
    x = torch.rand(5, 3, 8, 8)
    y = torch.tensor([0, 1, 2, 3, 0])
    m = tuned(mixer, 4)
    want = m(Batch(x, y), rng=np.random.default_rng(3))
    got = m(Batch(x, y), np.random.default_rng(3))
    torch.testing.assert_close((got.images, got.labels), (want.images, want.labels),
                               atol=0, rtol=0)
    xs, _ = m(x, rng=np.random.default_rng(3))
    xp, labels = m(x, np.random.default_rng(3))
    torch.testing.assert_close(xp, xs, atol=0, rtol=0)
    assert labels is None


@pytest.mark.parametrize("bad", [42, np.random.RandomState(0), torch.Generator()],
                         ids=lambda b: type(b).__name__)
def test_a_bad_rng_is_a_typed_error_naming_rng(bad):
    x, y = torch.rand(4, 3, 8, 8), torch.tensor([0, 1, 2, 0])
    name = type(bad).__name__
    with pytest.raises(AugkitTypeError, match=f"^MixUp: rng is {name}"):
        MixUp(num_classes=3)(x, y, rng=bad)
    with pytest.raises(AugkitTypeError, match=f"^CutMix: rng is {name}"):
        CutMix(num_classes=3).pair(x, y, rng=bad)
    with pytest.raises(AugkitTypeError, match=f"^CutMix: rng is {name}"):
        CutMix(num_classes=3)(Batch(x, y), bad)  # second positional argument of a Batch call
    with pytest.raises(AugkitTypeError, match="MixUp: labels are a numpy Generator and rng"):
        MixUp(num_classes=3)(x, np.random.default_rng(0), rng=np.random.default_rng(0))
    with pytest.raises(AugkitValueError, match="MixUp: labels given twice"):
        MixUp(num_classes=3)(Batch(x, y), y)


def test_cutmix_lambda_has_one_source_the_box():
    x, y = torch.rand(4, 3, 10, 10), torch.tensor([0, 1, 2, 0])
    m = CutMix(num_classes=3)
    b = Batch(x, y)
    p = m.sample(np.random.default_rng(0), b)
    p = {**p, "box": [2, 1, 7, 9], "lam": 0.123}  # an edited box; a stale lam is ignored
    lam = 1 - (7 - 2) * (9 - 1) / 100
    assert m.pair_weights(p, b)[1] == pytest.approx(lam)
    out = m.apply(b, p)
    same = [i for i, j in enumerate(p["perm"]) if y[i] != y[j]]
    assert same
    for i in same:
        assert out.labels[i, y[i]].item() == pytest.approx(lam, abs=1e-6)


def test_list_fields_are_frozen_so_mixers_hash():
    d = {"type": "mix.Mixer", "choices": [{"type": "mix.CutOut", "fill": [0.1, 0.2, 0.3]}],
         "p": [0.5]}
    m = mixer_from_dict(json.loads(json.dumps(d)))
    assert m == Mixer((CutOut(fill=(0.1, 0.2, 0.3)),), p=(0.5,))
    assert hash(m) == hash(Mixer((CutOut(fill=(0.1, 0.2, 0.3)),), p=(0.5,)))
    assert mixer_to_dict(m) == {**d, "num_classes": None, "label_smoothing": 0.0,
                                "choices": [mixer_to_dict(CutOut(fill=(0.1, 0.2, 0.3)))]}
    with pytest.raises(AugkitValueError, match="from_dict: type 'mix.Nope' is not a registered"):
        mixer_from_dict({"type": "mix.Nope"})
    with pytest.raises(AugkitTypeError, match="to_dict: mixer is HFlip"):
        from augkit.poor import HFlip

        mixer_to_dict(HFlip())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.uint8])
@pytest.mark.parametrize("shape", [(5, 3, 4, 4), (9, 3, 96, 96)])  # label-sized and slices
def test_roll_kernels_equal_the_gathered_form_bit_for_bit(dtype, shape):
    """A roll k is read as two contiguous slices; it must give exactly what gathering
    x[perm] with the same permutation gives (the general path)."""
    from augkit.mix._kernels import blend, paste

    g = torch.Generator().manual_seed(0)
    x = torch.rand(shape, generator=g, dtype=torch.float64)
    x = (x * 255).to(dtype) if dtype == torch.uint8 else x.to(dtype)
    n = shape[0]
    for k in range(n):
        idx = torch.arange(k, k + n) % n
        for lam in (0.3, torch.rand(n, generator=g)):
            assert torch.equal(blend(x, k, lam), blend(x, idx, lam))
        for region in ((0, 0, shape[2], shape[3]), (1, 2, 3, 4), (2, 2, 2, 3)):
            assert torch.equal(paste(x, k, region), paste(x, idx, region))


def test_roll_pairing_draws_every_other_image_as_partner():
    rng = np.random.default_rng(0)
    x = torch.zeros(5, 1, 2, 2)
    shifts = []
    for m in (MixUp(), CutMix()):
        for _ in range(2000):
            perm = m.sample(rng, Batch(x))["perm"]
            k = perm[0]
            assert perm == [(i + k) % 5 for i in range(5)]
            shifts.append(k)
    counts = np.bincount(shifts, minlength=5)
    assert counts[0] == 0  # nobody meets itself
    assert np.allclose(counts[1:] / len(shifts), 0.25, atol=0.03)
    assert MixUp().sample(rng, Batch(torch.zeros(1, 1, 2, 2)))["perm"] == [0]


@pytest.mark.parametrize("perm", [[2, 0, 1, 3], [1, 2, 3, 0], [0, 1, 2, 3]])
def test_any_permutation_replays_whatever_the_pairing(perm):
    x = torch.rand(4, 3, 6, 6, dtype=torch.float64)
    for m in (MixUp(), MixUp(pairing="permutation")):
        out = m.apply(Batch(x), {"perm": perm, "lam": 0.25}).images
        torch.testing.assert_close(out, 0.25 * x + 0.75 * x[perm])
    with pytest.raises(AugkitValueError, match="MixUp: params"):
        MixUp().apply(Batch(x), {"perm": [1, 1, 2, 3], "lam": 0.25})
    with pytest.raises(AugkitValueError, match="CutMix: pairing"):
        CutMix(pairing="flip")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.uint8])
def test_cpu_blend_equals_the_double_precision_blend(dtype):
    """The CPU path (cv2.addWeighted straight into a fresh tensor) computes
    lam * x + (1 - lam) * x[perm]: checked against float64 maths, for rolls and gathers,
    with the input left alone."""
    from augkit.mix._kernels import blend

    g = torch.Generator().manual_seed(1)
    x = torch.rand((6, 3, 9, 7), generator=g, dtype=torch.float64)
    x = (x * 255).round().to(dtype) if dtype == torch.uint8 else x.to(dtype)
    before = x.clone()
    for lam in (0.0, 0.27, 0.5, 0.93):
        for partner in (0, 1, 5, torch.tensor([3, 0, 4, 1, 5, 2])):
            idx = partner if torch.is_tensor(partner) else torch.arange(6).roll(-partner)
            ref = lam * x.double() + (1 - lam) * x.double()[idx]
            got = blend(x, partner, lam)
            assert got.dtype == dtype and got.shape == x.shape
            tol = 0.5 + 1e-3 if dtype == torch.uint8 else 1e-6
            assert (got.double() - ref).abs().max() <= tol
    assert torch.equal(x, before)
