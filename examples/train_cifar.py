"""Train a small network on CIFAR-10 with one augkit tier.

    python examples/train_cifar.py --tier middle --epochs 10
    python examples/train_cifar.py --tier rich --device cuda --workers 8
    python examples/train_cifar.py --tier poor --max-batches 5 --train-size 512   # smoke

Data: a torchvision CIFAR-10 folder (``cifar-10-batches-py`` inside ``--data``) or the
JPEG npz of ../shared/data/cifar10_jpeg (the default). The network is one of the search
job's proxy models (`augkit.search.proxy`). The per-sample op runs in the DataLoader
workers through `AugmentedDataset`; the tier's batch mixer (MixUp / CutMix) runs in the
workers too, through ``augkit.mix.collate``. The test split is used once, for the final
accuracy.
"""

from __future__ import annotations

import argparse
import io
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader

import augkit
from augkit.tiers import recipe

MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)
DEFAULT_NPZ = Path(__file__).resolve().parents[2] / "shared/data/cifar10_jpeg/cifar10_jpeg.npz"


def load_cifar(data: Path, split: str, n: int | None, seed: int):
    """(images (N, 32, 32, 3) uint8, labels (N,) int64); a shuffled subset when n is set."""
    rng = np.random.default_rng(seed)
    if (data / "cifar-10-batches-py").is_dir() or (data.is_dir() and data.name ==
                                                   "cifar-10-batches-py"):
        from torchvision.datasets import CIFAR10

        root = data if (data / "cifar-10-batches-py").is_dir() else data.parent
        ds = CIFAR10(str(root), train=split == "train", download=False)
        x, y = np.asarray(ds.data), np.asarray(ds.targets, np.int64)
        idx = rng.permutation(len(y))[:n] if n else np.arange(len(y))
        return x[idx], y[idx]
    from PIL import Image

    npz = data if data.suffix == ".npz" else data / "cifar10_jpeg.npz"
    d = np.load(npz)
    buf, off = d[f"{split}_jpeg"], d[f"{split}_offsets"]
    labels = d[f"{split}_labels"].astype(np.int64)
    idx = rng.permutation(len(labels))[:n] if n else np.arange(len(labels))  # sorted by class
    x = np.stack([np.asarray(Image.open(io.BytesIO(buf[off[i]:off[i + 1]].tobytes()))
                             .convert("RGB")) for i in idx])
    return x, labels[idx]


class Tensors:
    """(image (3, 32, 32) uint8 tensor, label) items: augkit ops take and return tensors."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        self.y = y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.x[i], int(self.y[i])


def make_model(arch: str, width: int) -> torch.nn.Module:
    try:
        from augkit.search import proxy
    except ModuleNotFoundError:  # a build without the search job: a tiny local net
        return torch.nn.Sequential(
            torch.nn.Conv2d(3, width, 3, padding=1), torch.nn.BatchNorm2d(width),
            torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(width, 2 * width, 3,
                                                                   padding=1),
            torch.nn.BatchNorm2d(2 * width), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
            torch.nn.Flatten(), torch.nn.Linear(2 * width, 10))
    return proxy.build(arch, 3, 10, width=width)


def normalise(x: torch.Tensor, device) -> torch.Tensor:
    x = x.to(device, non_blocking=True).float().div_(255)
    return (x - MEAN.to(device)) / STD.to(device)


def evaluate(model, loader, device) -> float:
    model.eval()
    right = total = 0
    with torch.no_grad():
        for x, y in loader:
            right += (model(normalise(x, device)).argmax(1).cpu() == y).sum().item()
            total += len(y)
    return right / max(total, 1)


def main(argv: list[str] | None = None) -> float:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tier", choices=("poor", "middle", "rich"), default="middle")
    p.add_argument("--data", type=Path, default=DEFAULT_NPZ,
                   help="CIFAR-10 npz, or a folder holding cifar-10-batches-py")
    p.add_argument("--arch", default="resnext", help="proxy net: resnext, sepdil, inception")
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps ...")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-size", type=int, default=None, help="use a random subset")
    p.add_argument("--test-size", type=int, default=None, help="use a random subset")
    p.add_argument("--max-batches", type=int, default=None,
                   help="stop each epoch after this many batches (CI smoke)")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)

    from tqdm import tqdm

    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu")
                          if args.device == "auto" else args.device)
    torch.manual_seed(args.seed)
    x_tr, y_tr = load_cifar(args.data, "train", args.train_size, args.seed)
    x_te, y_te = load_cifar(args.data, "test", args.test_size, args.seed)
    op, mixer = recipe(args.tier, 32, num_classes=10)
    train_set = augkit.AugmentedDataset(Tensors(x_tr, y_tr), op, seed=args.seed)
    collate = augkit.mix.collate(mixer, num_classes=10) if mixer is not None else None
    loader = DataLoader(train_set, args.batch_size, shuffle=True, drop_last=True,
                        num_workers=args.workers, collate_fn=collate,
                        persistent_workers=args.workers > 0,
                        pin_memory=device.type == "cuda")
    test_loader = DataLoader(Tensors(x_te, y_te), 512, num_workers=args.workers)

    model = make_model(args.arch, args.width).to(device)
    steps = args.epochs * (min(len(loader), args.max_batches or math.inf))
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=max(int(steps), 1))
    print(f"tier {args.tier}: {op}\nmixer: {mixer}\n{len(y_tr)} train / {len(y_te)} test, "
          f"{args.arch} on {device}")
    start = time.time()
    for epoch in range(args.epochs):
        train_set.set_epoch(epoch)
        model.train()
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{args.epochs}", disable=args.no_progress,
                   total=min(len(loader), args.max_batches or len(loader)))
        for i, (x, y) in enumerate(bar):
            if args.max_batches is not None and i >= args.max_batches:
                break
            logits = model(normalise(x, device))
            y = y.to(device)
            loss = (augkit.mix.mix_loss(logits, y) if y.is_floating_point()
                    else F.cross_entropy(logits, y))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.set_postfix(loss=f"{loss.item():.3f}")
    acc = evaluate(model, test_loader, device)
    print(f"test accuracy {acc:.4f} after {args.epochs} epochs ({time.time() - start:.0f} s), "
          "CIFAR-10 (JPEG q~75 copy)")
    return acc


if __name__ == "__main__":
    main()
