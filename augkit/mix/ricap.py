"""`RICAP` (Takahashi et al. 2018): random image cropping and patching."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import value_error
from ._instances import move_targets
from ._kernels import tile4
from .base import BatchMixer, check_common, check_positive, perm_tensor
from .cutmix import check_boxes_from_masks, check_min_visible


@dataclass(frozen=True)
class RICAP(BatchMixer):
    """Four crops of four random permutations of the batch, tiled at native resolution.

    The reference rule: one boundary per batch, ``w = round(W * Beta(beta, beta))`` and
    ``h = round(H * Beta(beta, beta))``; tile k (top-left, top-right, bottom-left,
    bottom-right) has size (h_k, w_k) and is cropped from x[perm_k] at an offset drawn
    uniformly once per batch; labels are mixed with weights ``h_k * w_k / (H * W)``, the
    area fractions, so they sum to 1 exactly. As in the paper's code the four permutations
    are independent (an image may meet itself).

    Where augkit differs: the reference code swaps the roles of H and W (harmless for square
    images); augkit splits columns at w and rows at h.

    Dense targets: masks are tiled exactly like the pixels; boxes are clipped to their crop,
    shifted into their tile and kept when at least `min_visible` of their area came along;
    keypoints are shifted, those outside their crop get visibility 0, and people with no
    visible point left are dropped.

    Instance masks (B, K, H, W): each tile brings its source's instances cut to the crop and
    shifted into the tile (tile by tile, in order; each keeps its box label and weight). An
    instance stays when at least `min_visible` of its pixels (and at least one) came along;
    with `boxes_from_masks` (default) that pixel rule replaces the box-area rule and an
    instance cut by its crop gets the tight box of its pixels in the tile.
    """

    beta: float = 0.3
    min_visible: float = 0.25
    num_classes: int | None = None
    label_smoothing: float = 0.0
    boxes_from_masks: bool = True

    def validate(self):
        check_positive(self, "beta", self.beta)
        check_min_visible(self)
        check_boxes_from_masks(self)
        check_common(self)

    def sample(self, rng, batch):
        h_img, w_img = batch.size
        n = len(batch)
        w = int(round(w_img * float(rng.beta(self.beta, self.beta))))
        h = int(round(h_img * float(rng.beta(self.beta, self.beta))))
        ws = [w, w_img - w, w, w_img - w]
        hs = [h, h, h_img - h, h_img - h]
        perms, crops = [], []
        for k in range(4):
            perms.append(rng.permutation(n).tolist())
            cx = int(rng.integers(0, w_img - ws[k] + 1))
            cy = int(rng.integers(0, h_img - hs[k] + 1))
            crops.append([cy, cx])
        return {"w": w, "h": h, "perms": perms, "crops": crops}

    def tiles(self, params, size):
        """[(y, x, height, width) of the crop, (row, column) of the tile] for k = 0..3."""
        h_img, w_img = size
        w, h = int(params["w"]), int(params["h"])
        if not (0 <= w <= w_img and 0 <= h <= h_img):
            raise value_error(self, "params", f"boundary (h={h}, w={w}) is outside a "
                              f"({h_img}, {w_img}) image")
        ws = [w, w_img - w, w, w_img - w]
        hs = [h, h, h_img - h, h_img - h]
        offs = [(0, 0), (0, w), (h, 0), (h, w)]
        out = []
        for k, (cy, cx) in enumerate(params["crops"]):
            if not (0 <= cy <= h_img - hs[k] and 0 <= cx <= w_img - ws[k]):
                raise value_error(self, "params", f"crop {k} at {(cy, cx)} does not fit")
            out.append(((int(cy), int(cx), hs[k], ws[k]), offs[k]))
        return out

    def mix(self, b, params):
        n = len(b)
        h_img, w_img = b.size
        perms_l = params["perms"]
        if len(perms_l) != 4 or any(sorted(p) != list(range(n)) for p in perms_l):
            raise value_error(self, "params", f"perms must be 4 permutations of {n}")
        tiles = self.tiles(params, b.size)
        dev = b.images.device
        perms = [perm_tensor(p, dev) for p in perms_l]
        crops = [c for c, _ in tiles]
        w, h = int(params["w"]), int(params["h"])
        changes: dict = {"images": tile4(b.images, perms, crops, w, h)}
        if b.labels is not None:
            y = b.labels.float()
            mixed = None
            for perm, (_, _, ch, cw) in zip(perms, crops):
                part = y.index_select(0, perm) * (ch * cw / (h_img * w_img))
                mixed = part if mixed is None else mixed + part
            changes["labels"] = mixed
        if b.masks is not None and b.masks.ndim == 3:
            changes["masks"] = tile4(b.masks, perms, crops, w, h)
        pieces = [("clip", p, (cy, cx, cy + ch, cx + cw), (oy - cy, ox - cx))
                  for p, ((cy, cx, ch, cw), (oy, ox)) in zip(perms_l, tiles)]
        changes.update(move_targets(self, b, pieces, self.min_visible, self.boxes_from_masks))
        return b.replace(**changes)
