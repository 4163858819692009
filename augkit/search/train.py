"""CPU training and scoring for proxy networks. Batches are augmented as uint8 numpy images
with augkit ops (one `sample_apply` per image), then normalised into a float tensor."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..sample import Sample
from .study import hash_seed


@dataclass
class TrainConfig:
    proxy: str = "inception"
    width: int = 16
    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.05
    weight_decay: float = 5e-4
    momentum: float = 0.9
    seed: int = 0


@dataclass
class Trained:
    """A trained proxy and what is needed to feed it."""

    state: dict  # state_dict
    proxy: str
    width: int
    in_channels: int
    num_classes: int
    mean: list = field(default_factory=list)
    std: list = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def net(self):
        from .proxy import build

        net = build(self.proxy, self.in_channels, self.num_classes, self.width)
        net.load_state_dict(self.state)
        return net.eval()


def set_threads(threads: int | None) -> None:
    """Torch intra-op threads; None means 1. On a small or shared machine one thread per
    process is the fastest by far (spinning OpenMP threads fight over busy cores)."""
    import torch

    torch.set_num_threads(int(threads) if threads else 1)


def augment_batch(x: np.ndarray, op, rng: np.random.Generator) -> np.ndarray:
    """Augment each uint8 image of a batch with `op`; None returns `x` itself."""
    if op is None:
        return x
    out = np.empty_like(x)
    for i in range(len(x)):
        img = op.sample_apply(rng, Sample(x[i]))[0].image
        out[i] = img.reshape(out[i].shape)  # some kernels drop a trailing channel of 1
    return out


def to_tensor(x: np.ndarray, mean, std):
    import torch

    t = torch.from_numpy(np.ascontiguousarray(x)).float().div_(255.0)
    t = t.unsqueeze(1) if t.ndim == 3 else t.permute(0, 3, 1, 2)
    m = torch.tensor(mean).view(1, -1, 1, 1)
    s = torch.tensor(std).view(1, -1, 1, 1)
    return (t - m) / s


def channel_stats(x: np.ndarray) -> tuple[list, list]:
    f = x.reshape(len(x), x.shape[1], x.shape[2], -1).astype(np.float64) / 255.0
    mean = f.mean(axis=(0, 1, 2))
    std = f.std(axis=(0, 1, 2)) + 1e-3
    return [float(v) for v in mean], [float(v) for v in std]


def batch_order(n: int, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """The batches of one epoch: a function of (n, seed, epoch) only, so every arm of an
    evaluation sees the same images in the same order."""
    perm = np.random.default_rng([seed, epoch, 11]).permutation(n)
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]


class Learner:
    """A proxy in training: network, optimiser and step, resumable at any epoch boundary.

    SGD with Nesterov momentum, a one-epoch linear warm-up, then cosine decay per step over
    `cfg.epochs`. Epoch e's batch order and augmentation draws depend on (cfg.seed, e) only,
    so `run(..., range(0, 3))` then `run(..., range(3, 6))` equals `run(..., range(0, 6))`,
    also across a save (`state`) and restore (`load`) in another process."""

    def __init__(self, cfg: TrainConfig, in_channels: int, num_classes: int, n_train: int):
        import torch

        from .proxy import build

        self.cfg, self.step = cfg, 0
        torch.manual_seed(cfg.seed)
        self.net = build(cfg.proxy, in_channels, num_classes, cfg.width)
        decay = [p for p in self.net.parameters() if p.ndim > 1]
        other = [p for p in self.net.parameters() if p.ndim <= 1]
        self.opt = torch.optim.SGD([{"params": decay, "weight_decay": cfg.weight_decay},
                                    {"params": other, "weight_decay": 0.0}],
                                   lr=cfg.lr, momentum=cfg.momentum, nesterov=True)
        per_epoch = -(-n_train // cfg.batch_size)
        self.total = max(1, cfg.epochs * per_epoch)
        self.warm = min(per_epoch, self.total // 2)

    def lr_at(self, step: int) -> float:
        lr, warm = self.cfg.lr, self.warm
        if step < warm:
            return lr * (step + 1) / warm
        return 0.5 * lr * (1 + np.cos(np.pi * (step - warm) / max(1, self.total - warm)))

    def run(self, x, y, mean, std, op, epochs, on_step=None) -> None:
        """Train through `epochs` (a range of epoch numbers) on uint8 images `x`."""
        import torch
        import torch.nn.functional as F

        yt = torch.from_numpy(np.asarray(y, np.int64))
        self.net.train()
        for epoch in epochs:
            rng = np.random.default_rng([self.cfg.seed, epoch, 13])
            for idx in batch_order(len(x), self.cfg.batch_size, self.cfg.seed, epoch):
                xb = to_tensor(augment_batch(x[idx], op, rng), mean, std)
                for g in self.opt.param_groups:
                    g["lr"] = self.lr_at(self.step)
                loss = F.cross_entropy(self.net(xb), yt[idx])
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                self.opt.step()
                self.step += 1
                if on_step is not None:
                    on_step(self.step, self.total, float(loss))

    def state(self) -> dict:
        """Everything needed to go on: weights, optimiser moments, step (detached copies)."""
        import copy

        return {"net": {k: v.detach().clone() for k, v in self.net.state_dict().items()},
                "opt": copy.deepcopy(self.opt.state_dict()), "step": self.step}

    def load(self, state: dict) -> Learner:
        self.net.load_state_dict(state["net"])
        self.opt.load_state_dict(state["opt"])
        self.step = int(state["step"])
        return self


def train(x: np.ndarray, y: np.ndarray, num_classes: int, cfg: TrainConfig, op=None,
          on_step=None) -> Trained:
    """Train a fresh proxy on uint8 images `x` with labels `y`, augmenting with `op`
    (`Learner`'s optimiser and schedule, all `cfg.epochs` epochs)."""
    t0, c0 = time.perf_counter(), time.process_time()
    in_ch = 1 if x.ndim == 3 else x.shape[3]
    mean, std = channel_stats(x)
    learner = Learner(cfg, in_ch, num_classes, len(x))
    learner.run(x, y, mean, std, op, range(cfg.epochs), on_step)
    state = {k: v.detach().clone() for k, v in learner.net.state_dict().items()}
    return Trained(state, cfg.proxy, cfg.width, in_ch, num_classes, mean, std,
                   time.perf_counter() - t0, time.process_time() - c0)


def predict(net, x: np.ndarray, mean, std, batch_size: int = 500) -> np.ndarray:
    """Logits for uint8 images `x`, in eval mode, as a numpy array."""
    import torch

    net.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(x), batch_size):
            out.append(net(to_tensor(x[i:i + batch_size], mean, std)).numpy())
    return np.concatenate(out)


def ce_acc(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Mean cross-entropy and accuracy."""
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    ce = float(-logp[np.arange(len(y)), y].mean())
    return ce, float((logits.argmax(axis=1) == y).mean())


def base_op(image_size: int, flip_ok: bool):
    """The base augmentation: the tiers' crop and mirror (`tiers.crop_and_mirror`: pad-and-crop
    by 1/8 of the side at CIFAR sizes), the flip only where flipping keeps the class."""
    from ..tiers import crop_and_mirror

    return crop_and_mirror(image_size, hflip=0.5 if flip_ok else 0.0)


def train_fold(k: int, x, y, cfg: dict, n_classes: int, flip_ok: bool | None = None):
    if flip_ok is None:
        flip_ok = not str(cfg["data"]).startswith(("digits", "mnist"))
    tc = TrainConfig(proxy=cfg["proxy"], width=cfg["width"], epochs=cfg["epochs"],
                     batch_size=cfg["batch_size"], lr=cfg["lr"], seed=hash_seed(cfg["seed"], k))
    if cfg.get("base") is not None:
        from ..serial import from_dict

        op = from_dict(cfg["base"])
    else:
        op = base_op(x.shape[1], flip_ok)
    return train(x, y, n_classes, tc, op=op)


