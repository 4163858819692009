"""The batch mixer's dense targets: masks, boxes and keypoints follow the pasted pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from augkit.mix import RICAP, Batch, CutMix, CutOut, MixUp

seeds = st.integers(0, 2**32 - 1)


def coord_batch(n, h, w):
    """Pixels encode where they come from: (image, row, column) in three float channels."""
    i, r, c = torch.meshgrid(torch.arange(n), torch.arange(h), torch.arange(w), indexing="ij")
    return torch.stack([i, r, c], 1).double()


def code_masks(n, h, w):
    i, r, c = torch.meshgrid(torch.arange(n), torch.arange(h), torch.arange(w), indexing="ij")
    return (i * h * w + r * w + c).long()


@pytest.mark.parametrize("mixer", [CutMix(), RICAP(), CutOut(size=5)], ids=repr)
@given(n=st.integers(1, 6), h=st.integers(1, 20), w=st.integers(1, 20), seed=seeds)
def test_pasted_mask_agrees_with_pasted_pixels(mixer, n, h, w, seed):
    x = coord_batch(n, h, w)
    masks = code_masks(n, h, w)
    out = mixer(Batch(x, masks=masks), rng=np.random.default_rng(seed))
    src = out.images.long()
    code = src[:, 0] * h * w + src[:, 1] * w + src[:, 2]
    if isinstance(mixer, CutOut):  # holes are fill; the mask stays (mask_fill=None)
        hole = (out.images == 0).all(1) & (masks != 0)
        assert torch.equal(out.masks, masks)
        assert torch.equal(code[~hole], masks[~hole])
    else:
        assert torch.equal(out.masks, code)


def object_batch(rng, n, h, w):
    """Each image holds up to 3 non-overlapping rectangles (in separate column strips); the
    mask carries a batch-unique instance id that is also the box label."""
    masks = torch.zeros(n, h, w, dtype=torch.long)
    boxes, labels = [], []
    strip = w // 3
    for i in range(n):
        b, lab = [], []
        for s in range(3):
            if strip < 2 or rng.random() < 0.3:
                continue
            x1 = s * strip + int(rng.integers(0, strip - 1))
            x2 = int(rng.integers(x1 + 1, (s + 1) * strip + 1))
            y1 = int(rng.integers(0, h - 1))
            y2 = int(rng.integers(y1 + 1, h + 1))
            lid = 1 + i * 3 + s
            masks[i, y1:y2, x1:x2] = lid
            b.append([x1, y1, x2, y2])
            lab.append(lid)
        boxes.append(torch.tensor(b, dtype=torch.float32).reshape(-1, 4))
        labels.append(torch.tensor(lab, dtype=torch.long))
    return masks, boxes, labels


def _bbox(m):
    ys, xs = torch.nonzero(m, as_tuple=True)
    return [xs.min().item(), ys.min().item(), xs.max().item() + 1, ys.max().item() + 1]


@given(n=st.integers(1, 6), h=st.integers(4, 24), w=st.integers(6, 30), seed=seeds,
       mv=st.sampled_from([0.0, 0.25, 0.6]))
def test_cutmix_boxes_stay_on_their_objects(n, h, w, seed, mv):
    rng = np.random.default_rng(seed)
    masks, boxes, labels = object_batch(rng, n, h, w)
    areas = {int(k): int((masks == k).sum()) for k in torch.unique(masks) if k}
    m = CutMix(min_visible=mv)
    b = Batch(torch.zeros(n, 1, h, w), masks=masks, boxes=boxes, box_labels=labels)
    p = m.sample(rng, b)
    out = m.apply(b, p)
    y1, x1, y2, x2 = p["box"]
    inside = torch.zeros(h, w, dtype=torch.bool)
    inside[y1:y2, x1:x2] = True
    for i in range(n):
        got = {(int(lab), tuple(bx.tolist())) for lab, bx in zip(out.box_labels[i], out.boxes[i])}
        exp = set()
        om = out.masks[i]
        for lab, bx in zip(labels[i], boxes[i]):  # own objects, perhaps under the patch
            vis = int(((om == lab) & ~inside).sum()) if p["perm"][i] != i else areas[int(lab)]
            if vis > 0 and vis / areas[int(lab)] >= mv:
                exp.add((int(lab), tuple(bx.tolist())))
        if p["perm"][i] != i:  # pasted objects: the box of what came along
            for lab in labels[p["perm"][i]]:
                sel = (om == lab) & inside
                vis = int(sel.sum())
                if vis > 0 and vis / areas[int(lab)] >= mv:
                    exp.add((int(lab), tuple(float(v) for v in _bbox(sel))))
        assert got == exp, (i, p)


@given(n=st.integers(1, 5), h=st.integers(4, 24), w=st.integers(6, 30), seed=seeds)
def test_ricap_boxes_stay_on_their_objects(n, h, w, seed):
    rng = np.random.default_rng(seed)
    masks, boxes, labels = object_batch(rng, n, h, w)
    areas = {int(k): int((masks == k).sum()) for k in torch.unique(masks) if k}
    m = RICAP(min_visible=0.2)
    b = Batch(torch.zeros(n, 1, h, w), masks=masks, boxes=boxes, box_labels=labels)
    p = m.sample(rng, b)
    out = m.apply(b, p)
    tiles = m.tiles(p, (h, w))
    for i in range(n):
        got = sorted((int(lab), tuple(bx.tolist()))
                     for lab, bx in zip(out.box_labels[i], out.boxes[i]))
        exp = []
        for k, ((_, _, th, tw), (oy, ox)) in enumerate(tiles):
            tile = torch.zeros(h, w, dtype=torch.bool)
            tile[oy:oy + th, ox:ox + tw] = True
            for lab in labels[p["perms"][k][i]]:
                sel = (out.masks[i] == lab) & tile
                vis = int(sel.sum())
                if vis > 0 and vis / areas[int(lab)] >= 0.2:
                    exp.append((int(lab), tuple(float(v) for v in _bbox(sel))))
        assert got == sorted(exp)


@pytest.mark.parametrize("mixer", [CutMix(), RICAP(), MixUp(), CutOut(size=6)], ids=repr)
@given(n=st.integers(1, 5), seed=seeds, flat=st.booleans())
def test_visible_keypoints_sit_on_their_own_content(mixer, n, seed, flat):
    """(people, K, 3) keypoints, or flat (N, 2) points without visibility (kept only where
    visible): every visible point lies on pixels that came from its own image."""
    rng = np.random.default_rng(seed)
    h, w = 16, 20
    x = coord_batch(n, h, w)
    shape = (6,) if flat else (2, 4)
    kps = [torch.from_numpy(np.stack([rng.uniform(0, w, shape), rng.uniform(0, h, shape)]
                                     + ([] if flat else [np.full(shape, 2.0)]), -1)
                            .astype(np.float32)) for _ in range(n)]
    out = mixer(Batch(x, keypoints=kps), rng=rng)
    for i in range(n):
        k = out.keypoints[i]
        assert k.shape[1:] == ((2,) if flat else (4, 3))
        for pt in k.reshape(-1, k.shape[-1]).tolist():
            px, py = pt[:2]
            if not flat and pt[2] == 0:
                continue
            col, row = int(np.floor(px)), int(np.floor(py))
            assert 0 <= col < w and 0 <= row < h
            if isinstance(mixer, (MixUp, CutOut)):
                continue  # both images are everywhere / points do not move
            src, sr, sc = (int(t) for t in out.images[i, :, row, col].tolist())
            own = kps[src].reshape(-1, kps[src].shape[-1])
            # the point it came from: same source image, same offset inside the pixel
            hit = ((own[:, 0].floor() == sc) & (own[:, 1].floor() == sr)
                   & ((own[:, 0] - own[:, 0].floor()) - (px - col)).abs().lt(1e-4))
            assert hit.any(), (i, px, py)


@given(n=st.integers(1, 5), k=st.integers(2, 5), seed=seeds, per_sample=st.booleans())
def test_mixup_soft_and_dominant_masks(n, k, seed, per_sample):
    rng = np.random.default_rng(seed)
    masks = torch.from_numpy(rng.integers(0, k, (n, 6, 7)))
    b = Batch(torch.rand(n, 3, 6, 7), masks=masks)
    m = MixUp(per_sample=per_sample, mask_classes=k)
    p = m.sample(rng, b)
    soft = m.apply(b, p).masks
    assert soft.shape == (n, k, 6, 7)
    torch.testing.assert_close(soft.sum(1), torch.ones(n, 6, 7))
    lam = torch.as_tensor(p["lam"], dtype=torch.float32).reshape(-1, 1, 1).expand(n, 1, 1)
    own = soft.gather(1, masks[:, None]).squeeze(1)
    same = masks == masks[p["perm"]]
    torch.testing.assert_close(own, torch.where(same, torch.ones_like(own), lam.expand_as(own)))
    dom = MixUp(per_sample=per_sample, mask_mode="dominant").apply(b, p).masks
    exp = torch.where(lam >= 0.5, masks, masks[p["perm"]])
    assert torch.equal(dom, exp)




@given(n=st.integers(1, 5), seed=seeds)
def test_mixup_keeps_the_boxes_of_both_images_once(n, seed):
    rng = np.random.default_rng(seed)
    boxes = [torch.tensor([[float(i), 0.0, i + 2.0, 3.0]]) for i in range(n)]
    labels = [torch.tensor([i]) for i in range(n)]
    m = MixUp()
    b = Batch(torch.rand(n, 3, 8, 8), boxes=boxes, box_labels=labels)
    p = m.sample(rng, b)
    out = m.apply(b, p)
    for i in range(n):
        j = p["perm"][i]
        exp = [i] if j == i else [i, j]
        assert out.box_labels[i].tolist() == exp
        torch.testing.assert_close(out.boxes[i], torch.cat([boxes[k] for k in exp]))
