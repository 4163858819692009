"""`Mixer` (one of several mixers per batch) and `mix_loss` (`collate` is in collate.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import value_error
from .base import BatchMixer, check_common


@dataclass(frozen=True)
class Mixer(BatchMixer):
    """Pick one of `choices` per batch with probabilities `p` (uniform when None), then
    smooth the labels by `label_smoothing` (timm's Mixup with ``switch_prob`` does the same
    for MixUp/CutMix). When the probabilities add up to less than 1 the rest is the chance
    of not mixing at all (timm's ``mix_prob``): the images pass through and labels become
    one-hot. Inside a Mixer, the Mixer's `num_classes` and `label_smoothing` are the ones
    used; a choice's own `num_classes` serves as the fallback when the Mixer has none.
    """

    choices: tuple = ()
    p: tuple | None = None
    num_classes: int | None = None
    label_smoothing: float = 0.0

    def validate(self):
        if not self.choices or not all(isinstance(c, BatchMixer) for c in self.choices):
            raise value_error(self, "choices", f"is {self.choices!r}; expected a non-empty "
                              "list of batch mixers")
        if self.p is not None:
            p = np.asarray(self.p, dtype=float)
            if (p.shape != (len(self.choices),) or not np.isfinite(p).all() or (p < 0).any()
                    or p.sum() > 1.0 + 1e-9):
                raise value_error(self, "p", f"is {self.p!r}; expected {len(self.choices)} "
                                  "probabilities >= 0 that add up to at most 1")
        check_common(self)

    def classes(self):
        if self.num_classes is not None:
            return self.num_classes
        return next((c.classes() for c in self.choices if c.classes() is not None), None)

    def children(self):
        return self.choices

    def sample(self, rng, batch):
        k = len(self.choices)
        if self.p is None:
            i = int(rng.integers(k))
        else:
            p = np.asarray(self.p, dtype=float)
            i = int(rng.choice(k + 1, p=np.append(p, max(0.0, 1.0 - p.sum())) /
                               (p.sum() + max(0.0, 1.0 - p.sum()))))
            if i == k:
                return {"index": None, "params": None}
        return {"index": i, "params": self.choices[i].sample(rng, batch)}

    def mix(self, b, params):
        i = params["index"]
        if i is None:
            return b.replace(labels=None if b.labels is None else b.labels.float())
        return self.choices[i].mix(b, params["params"])

    def pair_weights(self, params, batch):
        i = params["index"]
        if i is None:
            return list(range(len(batch))), 1.0
        return self.choices[i].pair_weights(params["params"], batch)


def mix_loss(logits: torch.Tensor, y_a: torch.Tensor, y_b: torch.Tensor | None = None,
             lam=None) -> torch.Tensor:
    """Cross-entropy for mixed batches, averaged over the batch.

    ``mix_loss(logits, soft)``: soft-target cross-entropy, ``-(soft * log_softmax).sum(1)``.
    ``mix_loss(logits, y_a, y_b, lam)``: ``lam * CE(y_a) + (1 - lam) * CE(y_b)`` per image,
    lam a float or a (B,) tensor (the form `BatchMixer.pair` returns). The two agree when
    the soft labels are the lam-mix of the one-hot labels.
    """
    logp = torch.log_softmax(logits.float(), 1)
    if y_b is None:
        if not y_a.is_floating_point() or y_a.shape != logits.shape:
            raise value_error("mix_loss", "y_a", f"has shape {tuple(y_a.shape)} {y_a.dtype}; "
                              f"expected soft labels {tuple(logits.shape)} (or pass y_b, lam)")
        return -(y_a * logp).sum(1).mean()
    if lam is None:
        raise value_error("mix_loss", "lam", "is None; expected a float or (B,) tensor")
    lam_t = torch.as_tensor(lam, dtype=logp.dtype, device=logp.device)
    ce_a = -logp.gather(1, y_a.long()[:, None])[:, 0]
    ce_b = -logp.gather(1, y_b.long()[:, None])[:, 0]
    return (lam_t * ce_a + (1.0 - lam_t) * ce_b).mean()
