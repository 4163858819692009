"""AugMix (Hendrycks et al. 2020): a convex mix of `width` short random chains of table ops,
blended with the original image; and the Jensen-Shannon consistency loss it trains with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..core import Op, check_bool, check_int, check_number, uniform
from ..errors import value_error
from ..policy import space as S
from .runners import MAX_STEPS, _check_geo, _check_space, _Steps


@dataclass(frozen=True)
class AugMix(_Steps, Op):
    """AugMix: ``width`` chains of ``depth`` ops (depth -1: 1..3 at random), each op drawn
    uniformly from the AugMix list at magnitude U(0.1, severity) / 10 of the space's range
    (the "augmix" space: AugMix's own ranges);
    chains are mixed with Dirichlet(alpha) weights and the result blended with the original
    by m ~ Beta(alpha, alpha). ``all_ops`` adds Color/Contrast/Brightness/Sharpness (left out by
    the paper because they overlap ImageNet-C).

    Mixing differently warped copies cannot keep masks, boxes or keypoints aligned: with the
    default ``spatial=True`` a sample with such targets is refused with an AugkitValueError;
    ``spatial=False`` uses the photometric ops only and leaves targets untouched.
    `fill` / `mask_fill` / `border` go to the geometric steps as in every runner (a mask only
    reaches them with ``spatial=False``, which has none: the field is there for uniformity).
    Bounds: width and depth up to 64.
    """

    # drawn in its own sample_apply (chains, weights): the batch draws and applies it image
    # by image (`batch_plan.NeedsPixels`), not through _Steps' step planning
    draw_for_batch = Op.draw_for_batch
    plan_batch = Op.plan_batch

    tier: ClassVar[str] = "rich"

    severity: float = 3
    width: int = 3
    depth: int = -1
    alpha: float = 1.0
    all_ops: bool = False
    spatial: bool = True
    space: str = "augmix"
    interpolation: str = "nearest"
    fill: float | tuple = 0.0
    mask_fill: int = 0
    border: str = "constant"

    def validate(self):
        check_number(self, "severity", self.severity, 0.1, 10.0)
        check_int(self, "width", self.width, 1, MAX_STEPS)
        if self.depth != -1 or isinstance(self.depth, bool):
            check_int(self, "depth", self.depth, 1, MAX_STEPS, what="-1 or an int")
        check_number(self, "alpha", self.alpha, 0.0, above=True)
        check_bool(self, "all_ops", self.all_ops)
        check_bool(self, "spatial", self.spatial)
        _check_space(self, self.space)
        _check_geo(self)

    @property
    def image_only(self) -> bool:
        """True when samples with targets are refused (``spatial=True``)."""
        return bool(self.spatial)

    @classmethod
    def example(cls):
        return [cls(), cls(spatial=False, all_ops=True, width=2, depth=2)]

    def op_names(self) -> tuple[str, ...]:
        names = S.AUGMIX_ALL_OPS if self.all_ops else S.AUGMIX_OPS
        if not self.spatial:
            names = tuple(n for n in names if n not in S.GEOMETRIC_OPS)
        return S.ops_in_space(tuple(names), self.space)

    def _check_targets(self, s):
        if self.spatial and (s.mask is not None or s.boxes is not None
                             or s.keypoints is not None):
            raise value_error(self, "input", "has mask/boxes/keypoints, which a mix of "
                              "differently warped copies cannot keep aligned; use "
                              "AugMix(spatial=False) (photometric ops only) for such samples")

    def sample(self, rng, s):
        return self.sample_apply(rng, s)[1]

    def sample_apply(self, rng, s):
        self._check_targets(s)
        names = self.op_names()
        weights = [float(w) for w in rng.dirichlet([self.alpha] * self.width)]
        m = float(rng.beta(self.alpha, self.alpha))
        chains, images = [], []
        for _ in range(self.width):
            depth = self.depth if self.depth > 0 else int(rng.integers(1, 4))
            steps = []
            c = s
            for _ in range(depth):
                name = names[int(rng.integers(len(names)))]
                mag = min(1.0, uniform(rng, 0.1, self.severity) / 10.0)
                c, st = self._run(rng, c, name, mag)
                steps.append(st)
            chains.append(steps)
            images.append(c.image)
        params = {"weights": weights, "m": m, "chains": chains}
        return _mix(s, weights, m, images), params

    def apply(self, s, params):
        self._check_targets(s)
        images = []
        for steps in params["chains"]:
            c = s
            for st in steps:
                c = self._replay(c, st)
            images.append(c.image)
        return _mix(s, params["weights"], params["m"], images)


def _mix(s, weights, m, images):
    """(1 - m) * image + m * sum_i w_i * chain_i, rounded back to uint8 for uint8 images."""
    img = s.image
    mix = np.zeros(img.shape, np.float32)
    for w, c in zip(weights, images):
        mix += np.float32(w) * c.astype(np.float32)
    m = np.float32(m)
    out = (1 - m) * img.astype(np.float32) + m * mix
    if img.dtype == np.uint8:
        out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    else:
        out = np.clip(out, 0, 1).astype(np.float32)
    return s.replace(image=out)


def jsd_loss(logits_clean, logits_aug1, logits_aug2):
    """AugMix's Jensen-Shannon consistency loss between the predictions on a clean batch and
    two AugMix views of it (add it, times a weight such as 12, to the clean cross-entropy)."""
    import torch
    import torch.nn.functional as F

    p_clean = F.softmax(logits_clean, dim=1)
    p_aug1 = F.softmax(logits_aug1, dim=1)
    p_aug2 = F.softmax(logits_aug2, dim=1)
    log_mix = torch.clamp((p_clean + p_aug1 + p_aug2) / 3.0, 1e-7, 1).log()
    return (F.kl_div(log_mix, p_clean, reduction="batchmean")
            + F.kl_div(log_mix, p_aug1, reduction="batchmean")
            + F.kl_div(log_mix, p_aug2, reduction="batchmean")) / 3.0
