"""The runners: targets stay aligned, determinism and replay, the RandAugment magnitude
scale, timm-style strings, AugMix and its JSD loss."""

from __future__ import annotations

import json

import numpy as np
import pytest

import augkit
from augkit import AugkitValueError, Sample
from augkit.policy import Policy
from augkit.policy import space as S
from augkit.rich import (
    AugMix,
    AutoAugment,
    RandAugment,
    TrivialAugment,
    UniformAugment,
    from_string,
    jsd_loss,
)


def _dot_sample(h=48, w=56, x=30, y=20):
    """A dark image with one bright 3x3 dot; mask, box and keypoint all mark the dot."""
    img = np.full((h, w, 3), 40, np.uint8)
    img[y - 1:y + 2, x - 1:x + 2] = 250
    mask = np.zeros((h, w), np.uint8)
    mask[y - 1:y + 2, x - 1:x + 2] = 1
    boxes = np.array([[x - 1, y - 1, x + 2, y + 2]], np.float32)
    kp = np.array([[x + 0.5, y + 0.5, 2.0]], np.float32)
    return Sample(img, mask=mask, boxes=boxes, box_labels=np.array([1]), keypoints=kp)


# Geometric steps plus order-preserving photometric ones: the dot stays the brightest spot.
ALIGN_POLICY = Policy.from_data([
    [("ShearX", 1.0, 5), ("Rotate", 1.0, 7)],
    [("TranslateY", 1.0, 3), ("Equalize", 1.0, 0)],
    [("ShearY", 1.0, 8), ("TranslateX", 1.0, 2)],
    [("Rotate", 1.0, 10), ("Contrast", 1.0, 8)],
], space="autoaugment", levels=10)
ALIGN_OPS = ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Equalize",
             "AutoContrast", "Brightness", "Identity")

RUNNERS = [
    AutoAugment(ALIGN_POLICY),
    RandAugment(n=3, m=12, ops=ALIGN_OPS),
    TrivialAugment(ops=ALIGN_OPS),
    UniformAugment(n=3, prob=(1.0, 1.0), ops=ALIGN_OPS),
]


@pytest.mark.parametrize("op", RUNNERS, ids=lambda o: type(o).__name__)
def test_runners_keep_image_mask_boxes_keypoints_aligned(op):
    moved = 0
    for seed in range(25):
        s = _dot_sample()
        out = op(s, np.random.default_rng(seed))
        kx, ky, v = out.keypoints[0]
        if v == 0:
            continue
        moved += not np.allclose(out.keypoints[0, :2], s.keypoints[0, :2])
        iy, ix = int(ky), int(kx)
        # mask follows the keypoint (nearest warps may shift the 3x3 dot by one pixel)
        near = out.mask[max(0, iy - 1):iy + 2, max(0, ix - 1):ix + 2]
        assert near.max() == 1, f"seed {seed}: mask left the keypoint"
        # so does the image: the brightest pixel is at the keypoint
        by, bx = np.unravel_index(out.image.sum(-1).argmax(), out.image.shape[:2])
        assert abs(bx + 0.5 - kx) <= 2 and abs(by + 0.5 - ky) <= 2, f"seed {seed}"
        b = out.boxes[0]
        assert b[0] - 1 <= kx <= b[2] + 1 and b[1] - 1 <= ky <= b[3] + 1
        assert np.array_equal(out.box_labels, s.box_labels)
    assert moved >= 5  # the check above was exercised on moved samples


@pytest.mark.parametrize("op", RUNNERS + [AutoAugment("autoaugment-cifar10"), RandAugment(),
                                          TrivialAugment(), UniformAugment(), AugMix()],
                         ids=lambda o: type(o).__name__)
def test_determinism_and_replay(op):
    s = Sample(np.random.default_rng(1).integers(0, 256, (24, 20, 3), dtype=np.uint8))
    for seed in range(6):
        a, pa = op.sample_apply(np.random.default_rng(seed), s)
        b, pb = op.sample_apply(np.random.default_rng(seed), s)
        assert np.array_equal(a.image, b.image) and pa == pb
        params = json.loads(json.dumps(pa))  # plain JSON-able params
        assert np.array_equal(op.apply(s, params).image, a.image)


def test_randaugment_magnitude_scale_is_explicit():
    s = Sample(np.zeros((8, 8, 3), np.uint8))
    rng = np.random.default_rng(0)
    tv = RandAugment(m=9)  # torchvision's default scale: 31 bins
    paper = RandAugment(m=9, levels=10)
    assert tv.sample(rng, s)["steps"][0]["magnitude"] == pytest.approx(0.3)
    assert paper.sample(rng, s)["steps"][0]["magnitude"] == pytest.approx(0.9)
    # the op at that magnitude is torchvision's bin 9 of 31: rotate 9 degrees
    assert S.value_at("Rotate", 9 / 30, "torchvision") == pytest.approx(9.0)
    rot = S.op_at("Rotate", 9, "torchvision", levels=30)
    assert {o.degrees for o in rot.ops} == {(9.0, 9.0), (-9.0, -9.0)}


def test_randaugment_magnitude_noise():
    s = Sample(np.zeros((8, 8, 3), np.uint8))
    rng = np.random.default_rng(0)
    op = RandAugment(m=5, levels=10, mstd=2.0, n=1)
    mags = np.array([op.sample(rng, s)["steps"][0]["magnitude"] for _ in range(400)])
    assert 0.0 <= mags.min() and mags.max() <= 1.0 and mags.std() > 0.1
    assert abs(np.median(mags) - 0.5) < 0.05
    uni = RandAugment(m=6, levels=10, mstd=float("inf"), n=1)
    u = np.array([uni.sample(rng, s)["steps"][0]["magnitude"] for _ in range(400)])
    assert u.max() <= 0.6 and u.min() < 0.05
    assert all(m == 0.9 for m in (RandAugment(m=9, levels=10).sample(rng, s)["steps"][0]
                                  ["magnitude"] for _ in range(5)))


def test_trivialaugment_draws_whole_bins_and_one_op():
    s = Sample(np.zeros((8, 8, 3), np.uint8))
    rng = np.random.default_rng(0)
    op = TrivialAugment()
    seen = set()
    for _ in range(200):
        (st,) = op.sample(rng, s)["steps"]
        assert st["op"] in S.TRIVIALAUGMENT_OPS
        assert st["magnitude"] * 30 == pytest.approx(round(st["magnitude"] * 30))
        seen.add(st["op"])
    assert len(seen) == len(S.TRIVIALAUGMENT_OPS)


def test_uniformaugment_draws_distinct_ops():
    s = Sample(np.zeros((8, 8, 3), np.uint8))
    rng = np.random.default_rng(0)
    for _ in range(30):
        names = [st["op"] for st in UniformAugment(n=3).sample(rng, s)["steps"]]
        assert len(set(names)) == 3


def test_autoaugment_reproduces_torchvision_magnitudes():
    """autoaugment-imagenet read in the torchvision space with 9 as top level is exactly
    torchvision's AutoAugment(IMAGENET): each step's op carries torchvision's bin value."""
    import torchvision.transforms.v2 as T

    op = AutoAugment("autoaugment-imagenet", space="torchvision", levels=9)
    table = T.AutoAugment._AUGMENTATION_SPACE
    for sp, tv_sp in zip(op.resolved().subpolicies, T.AutoAugment()._policies):
        for _st, (name, _, m) in zip(sp, tv_sp):
            fn, _ = table[name]
            mags = fn(10, 331, 331)
            if m is None:
                continue
            want = float(mags[m]) * (255.0 if name == "Solarize" else 1.0)
            if name == "Posterize":
                assert S.op_at(name, m, "torchvision", 9).bits == int(want)
            elif name == "ShearX":
                assert S.value_at(name, m / 9, "torchvision") == pytest.approx(want)
            else:
                assert S.value_at(name, m / 9, "torchvision") == pytest.approx(want, rel=1e-6)


def test_autoaugment_runs_one_subpolicy_with_step_probabilities():
    pol = Policy.from_data([[("Invert", 1.0, 0), ("Invert", 0.0, 0)],
                            [("Identity", 1.0, 0)]], levels=10)
    op = AutoAugment(pol)
    s = Sample(np.full((4, 4, 3), 10, np.uint8))
    outs = {int(op(s, np.random.default_rng(i)).image[0, 0, 0]) for i in range(40)}
    assert outs == {10, 245}  # Invert applied exactly once, or the identity sub-policy


def test_from_string_aliases():
    ra = from_string("rand-m9-n2-mstd0.5")
    assert isinstance(ra, RandAugment)
    assert (ra.n, ra.m, ra.levels, ra.mstd, ra.p, ra.space) == (2, 9, 10, 0.5, 0.5,
                                                                "autoaugment")
    assert from_string("rand-m7-n3-inc1-p1.0").space == "torchvision"
    assert from_string("rand-m7-n3-mstd101").mstd == 101
    am = from_string("augmix-m5-w4-d2")
    assert isinstance(am, AugMix) and (am.severity, am.width, am.depth) == (5, 4, 2)
    assert am.all_ops
    assert from_string("original") == AutoAugment("autoaugment-imagenet")
    assert from_string("aa-cifar10") == AutoAugment("autoaugment-cifar10")
    assert from_string("autoaugment-svhn") == AutoAugment("autoaugment-svhn")
    assert from_string("ta_wide") == TrivialAugment()
    assert from_string("trivialaugment", fill=128.0) == TrivialAugment(fill=128.0)
    assert from_string("ua") == UniformAugment()
    for bad in ("rand-m9-q2", "v0", "", "rand-mx"):
        with pytest.raises(AugkitValueError, match="from_string"):
            from_string(bad)


def test_from_string_parses_like_timm():
    from timm.data.auto_augment import rand_augment_transform

    for cfg in ("rand-m9-n2-mstd0.5", "rand-m6-n3", "rand-m10-n1-mstd1-p0.7"):
        t = rand_augment_transform(cfg, {})
        ours = from_string(cfg)
        assert ours.n == t.num_layers
        assert ours.m == t.ops[0].magnitude
        assert ours.p == t.ops[0].prob
        assert ours.mstd == t.ops[0].magnitude_std


def test_augmix_refuses_targets_unless_photometric():
    s = _dot_sample()
    with pytest.raises(AugkitValueError, match="AugMix: input"):
        AugMix()(s, np.random.default_rng(0))
    op = AugMix(spatial=False, all_ops=True)
    assert not any(n in S.GEOMETRIC_OPS for n in op.op_names())
    out = op(s, np.random.default_rng(0))
    assert np.array_equal(out.mask, s.mask) and np.array_equal(out.boxes, s.boxes)
    assert np.array_equal(out.keypoints, s.keypoints)


def test_augmix_output_is_a_convex_mix():
    img = np.random.default_rng(0).random((16, 16, 3)).astype(np.float32)
    out, p = AugMix(width=3).sample_apply(np.random.default_rng(2), Sample(img))
    assert out.image.dtype == np.float32 and out.image.shape == img.shape
    assert sum(p["weights"]) == pytest.approx(1.0) and 0 <= p["m"] <= 1
    assert len(p["chains"]) == 3 and all(1 <= len(c) <= 3 for c in p["chains"])
    u8 = (img * 255).astype(np.uint8)
    assert AugMix()(u8, np.random.default_rng(0)).dtype == np.uint8


def test_jsd_loss():
    import torch

    torch.manual_seed(0)
    a = torch.randn(8, 10)
    assert float(jsd_loss(a, a, a)) == pytest.approx(0.0, abs=1e-6)
    b, c = torch.randn(8, 10), torch.randn(8, 10)
    got = float(jsd_loss(a, b, c))
    # reference: the mean over the batch of (1/3) sum_i KL(p_i || mixture)
    ps = [torch.softmax(x, 1).double().numpy() for x in (a, b, c)]
    mix = sum(ps) / 3
    want = np.mean(sum((p * (np.log(p) - np.log(mix))).sum(1) for p in ps) / 3)
    assert got == pytest.approx(want, rel=1e-4) and got > 0


def test_runners_serialise_and_are_rich_tier():
    for op in (RandAugment(m=5, levels=10, mstd=0.5), TrivialAugment(levels=None),
               UniformAugment(n=1), AugMix(severity=5, all_ops=True), AutoAugment()):
        assert op.tier == "rich"
        assert augkit.from_dict(augkit.to_dict(op)) == op


@pytest.mark.parametrize("bad", [
    lambda: RandAugment(n=-1), lambda: RandAugment(m=40), lambda: RandAugment(ops=("Blur",)),
    lambda: TrivialAugment(space="nope"), lambda: UniformAugment(prob=(0.9, 0.1)),
    lambda: AugMix(width=0), lambda: AutoAugment("no-such-policy"),
    lambda: RandAugment(interpolation="bicubic")])
def test_bad_runner_fields(bad):
    with pytest.raises(AugkitValueError):
        bad()


def test_torch_tensor_in_and_out():
    import torch

    t = torch.randint(0, 256, (3, 20, 24), dtype=torch.uint8)
    out = RandAugment()(t, np.random.default_rng(0))
    assert isinstance(out, torch.Tensor) and out.shape == t.shape and out.dtype == torch.uint8


@pytest.mark.parametrize("op, continuous", [
    (TrivialAugment(levels=None), True), (UniformAugment(), True),
    (RandAugment(n=2, m=9, mstd=0.5), True), (TrivialAugment(), False),
    (RandAugment(n=2, m=9), False)], ids=repr)
def test_continuous_magnitudes_skip_the_build_cache(op, continuous):
    """Continuous magnitudes never repeat: caching them only evicts the discrete builds.
    Either way a step's replay rebuilds an op equal to the one it ran."""
    S.build_cached.cache_clear()
    img = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    rng = np.random.default_rng(1)
    for _ in range(20):
        s = Sample(img)
        out, params = op.sample_apply(rng, s)
        np.testing.assert_array_equal(op.apply(s, json.loads(json.dumps(params))).image,
                                      out.image)
    info = S.build_cached.cache_info()
    assert (info.currsize == 0) == continuous
    if not continuous:
        assert info.hits > 0


# --- issue #11: runner fills, messages, bounds ---------------------------------------------

_WARPING = [
    lambda **kw: RandAugment(n=1, m=30, ops=("Rotate",), **kw),
    lambda **kw: RandAugment(n=1, m=30, ops=("ShearX",), **kw),
    lambda **kw: TrivialAugment(ops=("Rotate",), levels=None, **kw),
    lambda **kw: UniformAugment(n=1, prob=(1.0, 1.0), ops=("ShearY",), **kw),
    lambda **kw: AutoAugment(policy=((("Rotate", 1.0, 9),),), space="torchvision", levels=10,
                             **kw),
]


@pytest.mark.parametrize("make", _WARPING, ids=["RA-rotate", "RA-shear", "TA", "UA", "AA"])
def test_runner_mask_fill_reaches_the_geometric_steps(make):
    """``RandAugment(mask_fill=255)`` was a TypeError and uncovered mask pixels got label 0.
    The oracle: the same draw with the default mask_fill=0 on an all-ones mask marks the
    uncovered pixels (0); with 255 exactly those pixels hold 255, the rest keep label 1."""
    img = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    s = Sample(img, mask=np.ones((32, 32), np.uint8))
    seed = 5 if make is not _WARPING[2] else 2  # TA: a draw with a visible warp
    ref = make()(s, rng=np.random.default_rng(seed))
    out = make(mask_fill=255)(s, rng=np.random.default_rng(seed))
    uncovered = ref.mask == 0
    assert uncovered.any()
    np.testing.assert_array_equal(out.mask, np.where(uncovered, 255, 1))
    np.testing.assert_array_equal(out.image, ref.image)  # the image does not depend on it


def test_randaugment_rotated_mask_gets_255_in_its_corners():
    op = RandAugment(n=1, m=30, ops=("Rotate",), mask_fill=255, fill=(124, 116, 104))
    s = Sample(np.zeros((32, 32, 3), np.uint8), mask=np.ones((32, 32), np.uint8))
    out = op(s, rng=np.random.default_rng(0))
    corners = out.mask[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert corners.tolist() == [255] * 4 and out.mask[16, 16] == 1
    assert out.image[0, 0].tolist() == [124, 116, 104]


def test_runner_messages_name_the_right_op_and_field():
    with pytest.raises(AugkitValueError, match=r"^UniformAugment: space is 'bogus'"):
        UniformAugment(space="bogus")  # blamed n before
    with pytest.raises(AugkitValueError, match=r"^UniformAugment: ops is empty"):
        UniformAugment(ops=(), n=1)  # accepted before, failed on the first image
    with pytest.raises(AugkitValueError, match=r"^UniformAugment: n is 3; .*\[0, 2\]"):
        UniformAugment(ops=("Rotate", "Invert"), n=3)
    with pytest.raises(AugkitValueError, match=r"^RandAugment: ops is -1"):
        RandAugment(ops=-1)
    with pytest.raises(AugkitValueError, match=r"^TrivialAugment: levels "):
        TrivialAugment(levels=10**400)
