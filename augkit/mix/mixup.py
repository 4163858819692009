"""`MixUp` (Zhang et al. 2018)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import value_error
from ._instances import move_targets
from ._kernels import blend, take
from .base import BatchMixer, check_common, check_pairing, check_positive, draw_partners, partner


def draw_lam(rng, alpha: float, k: int | None = None):
    """lam ~ Beta(alpha, alpha): one float, or a list of k."""
    if k is None:
        return float(rng.beta(alpha, alpha))
    return [float(v) for v in rng.beta(alpha, alpha, k)]


@dataclass(frozen=True)
class MixUp(BatchMixer):
    """``lam * x + (1 - lam) * x[perm]`` with lam ~ Beta(alpha, alpha) (the reference rule)
    and perm each image's partner (see `pairing`), labels mixed by the same lam.

    * ``per_sample=True`` draws one lam per image (timm's "elem" mode).
    * ``pairing="roll"`` (the default) pairs image i with image (i + k) % B, k drawn
      uniformly from [1, B) per batch: a random partner for every image of a shuffled batch
      (timm pairs the batch with its reverse, torchvision rolls it by one: fixed pairings),
      read as two contiguous slices, so the blend is one pass with no gather.
      ``pairing="permutation"`` is the paper's code: a uniform random permutation, where an
      image may be paired with itself (its labels then stay one-hot, correctly). Any batch
      size works, odd included; ``params["perm"]`` lists the partners either way.
    * uint8 batches are blended in float32 and rounded back to uint8 (torchvision and timm
      need float batches).
    * Masks: ``mask_mode="soft"`` gives (B, K, H, W) float soft masks (needs
      ``mask_classes``); ``"dominant"`` keeps the label map of the image with weight >= 0.5.
      Boxes, box labels and keypoints of both images are kept (both objects are in the
      picture), the image's own first; an image paired with itself keeps its own once.
      Their `instance_weights` (`SampleBatch`) are multiplied by the mixing weight: lam for
      the image's own, 1 - lam for its partner's (1 for an image paired with itself), the
      per-object loss weights of Zhang et al. 2019 ("Bag of Freebies" for detection).
    * Instance masks (B, K, H, W): the union of both images' instances, own planes first,
      each with its box, label and weight (as above), as detection mixup does (YOLOX,
      mmdetection's MixUp); `mask_mode` and `mask_classes` are for label maps only.
    """

    alpha: float = 1.0
    per_sample: bool = False
    mask_mode: str = "soft"
    mask_classes: int | None = None
    num_classes: int | None = None
    label_smoothing: float = 0.0
    pairing: str = "roll"

    def validate(self):
        check_positive(self, "alpha", self.alpha)
        check_pairing(self)
        if not isinstance(self.per_sample, bool):
            raise value_error(self, "per_sample", f"is {self.per_sample!r}; expected a bool")
        if self.mask_mode not in ("soft", "dominant"):
            raise value_error(self, "mask_mode", f"is {self.mask_mode!r}; expected 'soft' or "
                              "'dominant'")
        mc = self.mask_classes
        if mc is not None and not (isinstance(mc, int) and mc >= 1):
            raise value_error(self, "mask_classes", f"is {mc!r}; expected None or an int >= 1")
        check_common(self)

    def sample(self, rng, batch):
        n = len(batch)
        return {"perm": draw_partners(rng, n, self.pairing),
                "lam": draw_lam(rng, self.alpha, n if self.per_sample else None)}

    def _lam(self, params, device):
        lam = params["lam"]
        if isinstance(lam, list):
            return torch.as_tensor(lam, dtype=torch.float32, device=device)
        return float(lam)

    def mix(self, b, params):
        n = len(b)
        perm_l = params["perm"]
        dev = b.images.device
        perm = partner(self, perm_l, n, dev)
        lam = self._lam(params, dev)
        changes: dict = {"images": blend(b.images, perm, lam)}
        if b.labels is not None:
            y = b.labels.float()
            changes["labels"] = blend(y, perm, lam)
        inst = b.masks is not None and b.masks.ndim == 4
        if b.masks is not None and not inst:
            changes["masks"] = self._masks(b.masks, perm, lam)
        if b.boxes is not None or b.keypoints is not None or inst:
            whole = (0, 0, *b.size)
            self_paired = [j == i for i, j in enumerate(perm_l)]  # no duplicate targets
            pieces = [("clip", list(range(n)), whole, (0, 0)),
                      ("clip", perm_l, whole, (0, 0), self_paired)]
            lams = params["lam"] if isinstance(params["lam"], list) else [params["lam"]] * n
            own = [1.0 if same else float(v) for same, v in zip(self_paired, lams)]
            weights = (own, [1.0 - float(v) for v in lams])
            changes.update(move_targets(self, b, pieces, 0.0, piece_weights=weights))
        return b.replace(**changes)

    def _masks(self, m, perm, lam):
        mp = take(m, perm)
        if self.mask_mode == "dominant":
            own = torch.as_tensor(lam, device=m.device).reshape(-1, 1, 1) >= 0.5
            return torch.where(own, m, mp)
        k = self.mask_classes
        if k is None:
            raise value_error(self, "mask_classes", "is None; soft masks need the number of "
                              "mask classes (or use mask_mode='dominant')")
        lo, hi = (int(v) for v in torch.aminmax(m))
        if lo < 0 or hi >= k:
            raise value_error(self, "masks", f"span [{lo}, {hi}]; expected labels in [0, {k})")
        oh = torch.nn.functional.one_hot(m.long(), k).permute(0, 3, 1, 2).float()
        return blend(oh, perm, lam)

    def pair_weights(self, params, batch):
        return params["perm"], params["lam"]
