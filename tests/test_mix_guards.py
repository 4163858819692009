"""The mixer's input guards and the collate's layout: (B, C, H, W) or a typed error, never a
silently wrong batch; the batch CutOut's fill follows the per-sample fill rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import augkit
from augkit import AugkitTypeError, AugkitValueError
from augkit.mix import RICAP, Batch, CutMix, CutOut, Mixer, MixUp, collate

ALL = [MixUp(num_classes=4), CutMix(num_classes=4), CutOut(num_classes=4),
       RICAP(num_classes=4), Mixer((MixUp(), CutMix()), num_classes=4)]
NAMES = [type(m).__name__ for m in ALL]
# a Mixer that never mixes: the collated batch comes out as it went in
PASS = Mixer((MixUp(),), p=(0.0,), num_classes=4)
seeds = st.integers(0, 2**32 - 1)


def _rng():
    return np.random.default_rng(0)


# --- layout: channels-last batches are refused ---------------------------------------------

@pytest.mark.parametrize("m", ALL, ids=NAMES)
def test_channels_last_batch_is_refused_by_every_entry_point(m):
    """The issue's case: CutMix on (4, 32, 32, 3) cut across H and C and took lam from W=3."""
    x = torch.zeros(4, 32, 32, 3, dtype=torch.uint8)
    y = torch.arange(4)
    msg = rf"{type(m).__name__}: images have shape \(4, 32, 32, 3\).*channels-last.*permute"
    with pytest.raises(AugkitValueError, match=msg):
        m(x, y, rng=_rng())
    with pytest.raises(AugkitValueError, match=msg):
        m(Batch(x, y), rng=_rng())
    with pytest.raises(AugkitValueError, match=msg):
        m.apply(Batch(x, y), m.sample(_rng(), Batch(x.permute(0, 3, 1, 2))))
    if not isinstance(m, RICAP):
        with pytest.raises(AugkitValueError, match=msg):
            m.pair(x, y, rng=_rng())


@given(n=st.integers(1, 3), c=st.integers(1, 8), h=st.integers(1, 9), w=st.integers(1, 9))
def test_layout_rule_dim1_over_4_and_last_dim_at_most_4_is_channels_last(n, c, h, w):
    """The rule (docs/mixer.md): dim 1 > 4 and the last dim <= 4 reads as (B, H, W, C), the
    torch boundary's HWC rule one dim up; everything else is (B, C, H, W)."""
    x = torch.rand(n, c, h, w)
    if c > 4 and w <= 4:
        with pytest.raises(AugkitValueError, match="channels-last"):
            CutMix(num_classes=2)(x, torch.zeros(n, dtype=torch.long), rng=_rng())
    else:
        out, _ = CutMix(num_classes=2)(x, torch.zeros(n, dtype=torch.long), rng=_rng())
        assert out.shape == x.shape


def test_zero_channels_are_refused():
    with pytest.raises(AugkitValueError, match=r"MixUp: images are empty \(2, 0, 8, 8\)"):
        MixUp(num_classes=2)(torch.zeros(2, 0, 8, 8), torch.arange(2))


# --- the collate: (B, C, H, W) from HWC / HW numpy, CHW / HW tensors, PIL --------------------

@given(n=st.integers(1, 4), h=st.integers(1, 12), w=st.integers(5, 12),
       c=st.sampled_from([None, 1, 3, 4]), uint8=st.booleans(), seed=seeds)
def test_collate_turns_numpy_hwc_and_grey_into_bchw(n, h, w, c, uint8, seed):
    rng = np.random.default_rng(seed)
    shape = (h, w) if c is None else (h, w, c)
    imgs = [rng.integers(0, 256, shape, dtype=np.uint8) if uint8
            else rng.random(shape, dtype=np.float32) for _ in range(n)]
    x, y = collate(PASS)([(im, i % 4) for i, im in enumerate(imgs)])
    # the oracle: numpy's own stack and transpose
    ref = np.stack([im if c is not None else im[..., None] for im in imgs]).transpose(0, 3, 1, 2)
    assert x.shape == ref.shape and x.is_contiguous()
    np.testing.assert_array_equal(x.numpy(), ref)
    np.testing.assert_array_equal(y.argmax(1).numpy(), np.arange(n) % 4)


def test_collate_takes_chw_and_hw_tensors_pil_and_strided_numpy_views():
    rng = np.random.default_rng(1)
    hwc = rng.integers(0, 256, (6, 9, 3), dtype=np.uint8)
    chw = torch.from_numpy(hwc.transpose(2, 0, 1).copy())
    flipped = hwc[:, ::-1]          # negative strides
    ro = hwc.copy()
    ro.flags.writeable = False      # read-only
    x, _ = collate(PASS)([(hwc, 0), (chw, 1), (Image.fromarray(hwc), 2), (flipped, 3), (ro, 0)])
    ref = np.stack([hwc, hwc, hwc, flipped, hwc]).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(x.numpy(), ref)
    grey = rng.integers(0, 256, (6, 9), dtype=np.uint8)
    x, _ = collate(PASS)([(torch.from_numpy(grey), 0), (Image.fromarray(grey), 1)])
    np.testing.assert_array_equal(x.numpy(), np.stack([grey, grey])[:, None])


@pytest.mark.parametrize("items, err, match", [
    ([(np.zeros((3, 32, 32), np.uint8), 0)], AugkitValueError,
     r"collate: images\[0\] looks like CHW \(3, 32, 32\).*transpose\(1, 2, 0\)"),
    ([(torch.zeros(32, 32, 3, dtype=torch.uint8), 0)], AugkitValueError,
     r"collate: images\[0\] tensor \(32, 32, 3\) looks like HWC.*permute\(2, 0, 1\)"),
    ([(np.zeros((8, 8, 3), np.uint8), 0), (np.zeros((8, 9, 3), np.uint8), 1)],
     AugkitValueError, r"collate: images\[1\] have shape \(3, 8, 9\) as \(C, H, W\); expected "
     r"\(3, 8, 8\) like images\[0\]"),
    ([(np.zeros((8, 8, 3), np.uint8), 0), (np.zeros((8, 8, 3), np.float32), 1)],
     AugkitValueError, r"collate: images\[1\] have dtype torch.float32.*images\[0\]"),
    ([(np.zeros((2, 8, 8, 3), np.uint8), 0)], AugkitValueError,
     r"collate: images\[0\] has 4 dims \(2, 8, 8, 3\)"),
    ([("not an image", 0)], AugkitTypeError, r"collate: images\[0\] is str"),
    ([np.zeros((8, 8, 3), np.uint8)], AugkitValueError, r"collate: items\[0\] is ndarray"),
])
def test_collate_refuses_wrong_or_ambiguous_items(items, err, match):
    with pytest.raises(err, match=match):
        collate(PASS)(items)


def test_the_readme_loop_yields_what_its_comment_says():
    """README "In a training loop": numpy HWC items through AugmentedDataset and the collate
    come out (8, 3, 32, 32) uint8 with (8, 10) soft labels (they came out (8, 32, 32, 3))."""
    from torch.utils.data import DataLoader

    images = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)
    base = [(img, i % 10) for i, img in enumerate(images)]
    ds = augkit.AugmentedDataset(base, augkit.HFlip(p=0.5), seed=0)
    mixer = Mixer(choices=(MixUp(alpha=0.8), CutMix(alpha=1.0)), num_classes=10)
    for x, y in DataLoader(ds, batch_size=8, collate_fn=collate(mixer, num_classes=10)):
        assert x.shape == (8, 3, 32, 32) and x.dtype == torch.uint8
        assert y.shape == (8, 10)


# --- values: NaN / inf, inverted boxes, soft labels, meta and sparse tensors ---------------

_X = torch.rand(2, 3, 8, 8)
_NAN, _INF = float("nan"), float("inf")


def _with(x, v, at=(1, 2, 3, 4)):
    x = x.clone()
    x[at] = v
    return x


def _box(*rows):
    return torch.tensor(rows, dtype=torch.float32).reshape(-1, 4)


BAD = [
    ("nan float32 image", lambda: Batch(_with(_X, _NAN)), AugkitValueError,
     r"images of shape \(2, 3, 8, 8\) torch.float32 contain NaN or inf"),
    ("inf float64 image", lambda: Batch(_with(_X.double(), _INF)), AugkitValueError,
     r"images of shape \(2, 3, 8, 8\) torch.float64 contain NaN or inf"),
    ("-inf float16 image", lambda: Batch(_with(_X.half(), -_INF)), AugkitValueError,
     r"images of shape \(2, 3, 8, 8\) torch.float16 contain NaN or inf"),
    ("nan bfloat16 image", lambda: Batch(_with(_X.bfloat16(), _NAN)), AugkitValueError,
     r"images of shape \(2, 3, 8, 8\) torch.bfloat16 contain NaN or inf"),
    ("nan box", lambda: Batch(_X, boxes=[_box([1, 1, 4, 4]), _box([1, _NAN, 4, 4])]),
     AugkitValueError, r"boxes\[1\] of shape \(1, 4\) contain NaN or inf"),
    ("inverted box", lambda: Batch(_X, boxes=[_box([1, 1, 4, 4], [5, 1, 4, 4]), _box()]),
     AugkitValueError, r"boxes\[0\] of shape \(2, 4\): row 1 \[5.0, 1.0, 4.0, 4.0\] is inverted"),
    ("inverted int box", lambda: Batch(_X, boxes=[torch.tensor([[1, 5, 4, 4]]), _box()]),
     AugkitValueError, r"boxes\[0\] of shape \(1, 4\): row 0 \[1, 5, 4, 4\] is inverted"),
    ("bool boxes", lambda: Batch(_X, boxes=[torch.ones(1, 4, dtype=torch.bool)] * 2),
     AugkitTypeError, r"boxes\[0\] have dtype torch.bool \(1, 4\)"),
    ("ragged boxes", lambda: Batch(_X, boxes=[[[1, 1, 4, 4], [1, 1]], _box()]),
     AugkitValueError, r"boxes\[0\] cannot be read as a tensor"),
    ("nan keypoint", lambda: Batch(_X, keypoints=[torch.zeros(1, 5, 3),
                                                   _with(torch.zeros(1, 5, 3), _NAN, (0, 2, 0))]),
     AugkitValueError, r"keypoints\[1\] of shape \(1, 5, 3\) contain NaN or inf"),
    ("nan soft label", lambda: Batch(_X, torch.tensor([[0.5, 0.5, 0, 0], [_NAN, 1, 0, 0]])),
     AugkitValueError, r"labels of shape \(2, 4\) contain NaN or inf"),
    ("negative soft label", lambda: Batch(_X, torch.tensor([[1.5, -0.5, 0, 0], [0, 1, 0, 0]])),
     AugkitValueError, r"labels of shape \(2, 4\) have a negative value \(-0.5\)"),
    ("soft labels not summing to 1", lambda: Batch(_X, torch.tensor([[0.5, 0, 0, 0],
                                                                     [0, 1, 0, 0]])),
     AugkitValueError, r"labels of shape \(2, 4\): row 0 sums to 0.5; expected 1"),
    ("meta images", lambda: Batch(torch.zeros(2, 3, 8, 8, device="meta")), AugkitValueError,
     r"images tensor is on the 'meta' device \(2, 3, 8, 8\)"),
    ("meta labels", lambda: Batch(_X, torch.zeros(2, dtype=torch.long, device="meta")),
     AugkitValueError, r"labels tensor is on the 'meta' device \(2,\)"),
    ("sparse images", lambda: Batch(_X.to_sparse()), AugkitTypeError,
     r"images tensor has layout torch.sparse_coo \(2, 3, 8, 8\); expected a dense"),
    ("sparse masks", lambda: Batch(_X, masks=torch.zeros(2, 8, 8, dtype=torch.long).to_sparse()),
     AugkitTypeError, r"masks tensor has layout torch.sparse_coo \(2, 8, 8\)"),
    ("sparse boxes", lambda: Batch(_X, boxes=[_box([1, 1, 4, 4]).to_sparse()] * 2),
     AugkitTypeError, r"boxes\[0\] tensor has layout torch.sparse_coo \(1, 4\)"),
]


@pytest.mark.parametrize("m", ALL, ids=NAMES)
@pytest.mark.parametrize("make, err, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_values_are_refused_naming_op_field_and_shape(m, make, err, match):
    b = make()
    with pytest.raises(err, match=f"{type(m).__name__}: {match}"):
        m(b, rng=_rng())


@pytest.mark.parametrize("make, err, match", [b[1:] for b in BAD[:4]], ids=[b[0] for b in BAD[:4]])
def test_bad_images_are_refused_by_apply_and_pair_too(make, err, match):
    b = make()
    m = MixUp(num_classes=2)
    params = m.sample(_rng(), Batch(_X))
    with pytest.raises(err, match=match):
        m.apply(b, params)
    with pytest.raises(err, match=match):
        m.pair(b.images, torch.arange(2), rng=_rng())


@given(seed=seeds, scale=st.sampled_from([1.0, 1e30, 3e38]), dtype=st.sampled_from(
    [torch.float32, torch.float64, torch.float16]))
def test_finite_batches_pass_whatever_their_range(seed, scale, dtype):
    """Normalised (negative) and huge finite values are fine; a sum that overflows is not a
    NaN (the guard's fast path sums, and checks element-wise only when the sum is not finite)."""
    g = torch.Generator().manual_seed(seed % 2**31)
    x = (torch.randn(3, 3, 6, 6, generator=g, dtype=torch.float64) * scale)
    x = x.clamp(-torch.finfo(dtype).max, torch.finfo(dtype).max).to(dtype)
    y = torch.softmax(torch.randn(3, 5, generator=g), 1)
    out = CutOut(size=2)(Batch(x, y), rng=_rng())
    assert out.images.shape == x.shape and torch.isfinite(out.images).all()


def test_soft_labels_within_rounding_of_one_pass():
    y = torch.softmax(torch.randn(6, 1000, dtype=torch.float64), 1).float()
    out = MixUp()(Batch(torch.rand(6, 3, 4, 4), y), rng=_rng())
    torch.testing.assert_close(out.labels.sum(1), torch.ones(6))


# --- the batch CutOut's fill: the per-sample rule --------------------------------------------

def _cutout_pair(fill, x):
    """(batch CutOut result or its error, per-sample CutOut result or its error) on the same
    hole of image 0."""
    from augkit.middle import CutOut as SampleCutOut

    m = CutOut(size=4, fill=fill)
    p = m.sample(_rng(), Batch(x))
    try:
        got = m.apply(Batch(x), p).images[0].permute(1, 2, 0).numpy()
    except AugkitValueError as e:
        got = e
    try:
        img = np.ascontiguousarray(x[0].permute(1, 2, 0).numpy())
        exp = SampleCutOut(size=4, fill=fill).apply(augkit.Sample(img),
                                                    {"holes": [p["holes"][0]]}).image
    except AugkitValueError as e:
        exp = e
    return got, exp


@pytest.mark.parametrize("fill", [300, -1, 255.6, (0, 0, 256), (10, 20, -0.6)])
def test_uint8_fill_the_dtype_cannot_hold_is_refused_like_the_per_sample_op(fill):
    x = torch.zeros(2, 3, 8, 8, dtype=torch.uint8)
    got, exp = _cutout_pair(fill, x)
    assert isinstance(exp, AugkitValueError)    # the per-sample rule
    assert isinstance(got, AugkitValueError), "clamped silently"
    assert str(got).startswith(f"BatchCutOut: fill is {fill!r}; outside [0, 255]")
    assert "(2, 3, 8, 8)" in str(got)


@given(fill=st.one_of(st.floats(-1.0, 256.0), st.tuples(*[st.integers(-2, 257)] * 3)))
def test_uint8_fills_round_and_refuse_exactly_as_the_per_sample_op(fill):
    x = torch.full((2, 3, 8, 8), 7, dtype=torch.uint8)
    got, exp = _cutout_pair(fill, x)
    if isinstance(exp, AugkitValueError):
        assert isinstance(got, AugkitValueError)
    else:
        np.testing.assert_array_equal(got, exp)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, (0.1, None, 0.2), ()])
def test_fill_that_is_no_number_is_refused_when_built(bad):
    with pytest.raises(AugkitValueError, match="CutOut: fill is"):
        CutOut(fill=bad)


def test_float_fill_is_never_clamped_and_must_fit_the_dtype():
    """Float batches may be normalised (mean/std), so a float fill may lie outside [0, 1]
    (torchvision's and timm's RandomErasing paint any value); it was clamped to [0, 1]."""
    x = torch.zeros(2, 3, 8, 8)
    m = CutOut(size=8, fill=-1.8)
    out = m.apply(Batch(x), {"holes": [[0, 0, 8, 8], [0, 0, 8, 8]]})
    assert (out.images == torch.tensor(-1.8)).all()
    with pytest.raises(AugkitValueError, match=r"CutOut: fill is 70000.0; outside .*"
                       r"torch.float16 batch \(2, 3, 8, 8\)"):
        CutOut(fill=70000.0)(x.half(), rng=_rng())


def test_mask_fill_is_a_label_not_a_bool():
    with pytest.raises(AugkitValueError, match="CutOut: mask_fill is True"):
        CutOut(mask_fill=True)




@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_guards_on_cuda_one_sync_and_masks_on_the_images_device():
    x = torch.rand(4, 3, 8, 8, device="cuda")
    y = torch.softmax(torch.randn(4, 5, device="cuda"), 1)
    boxes = [torch.tensor([[1.0, 1.0, 5.0, 6.0]], device="cuda")] * 4
    out = CutMix()(Batch(x, y, boxes=boxes), rng=_rng())
    assert out.images.is_cuda and torch.isfinite(out.images).all()
    for make, err, match in [b[1:] for b in BAD if "meta" not in b[0] and "sparse" not in b[0]]:
        b = make()
        b = b.replace(images=b.images.cuda(),
                      labels=None if b.labels is None else b.labels.cuda())
        with pytest.raises(err, match=f"CutMix: {match}"):
            CutMix(num_classes=4)(b, rng=_rng())
    with pytest.raises(AugkitValueError, match=r"CutMix: masks are on cpu \(4, 8, 8\); "
                       "expected cuda"):
        CutMix()(Batch(x, masks=torch.zeros(4, 8, 8, dtype=torch.long)))
