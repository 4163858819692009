"""Datasets for the search job: a spec string in, uint8 images and labels out.

Specs: ``digits`` (scikit-learn's built-in 8x8 digits, upscaled to 24x24), ``cifar10:DIR``
(torchvision's python-pickle layout), ``folder:DIR`` (ImageFolder: one sub-folder per class),
``npz:PATH`` (JPEG bytes + offsets + labels, as ``shared/data/cifar10_jpeg``) and
``mnist:DIR`` (IDX files, ``.gz`` or not). Every check runs before any training starts.

The held-out test part is chosen first, from labels only, with a fixed seed, so it never
depends on the subset size and the search never sees it. Images are decoded only for the
indices that are used.
"""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AugkitValueError, value_error

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm")


def _err(what: str) -> AugkitValueError:
    return value_error("search", "data", what)


@dataclass
class Source:
    """Labels up front; pixels on demand (`get(indices)`)."""

    labels: np.ndarray
    classes: tuple[str, ...]
    get: Callable[[np.ndarray], np.ndarray]
    name: str
    flip_ok: bool = True  # horizontal flip keeps the class (not for digits)
    test: Source | None = None  # an official test split, when the dataset has one


@dataclass
class Arrays:
    x: np.ndarray  # (N, H, W) or (N, H, W, C) uint8
    y: np.ndarray  # (N,) int64
    classes: tuple[str, ...]
    name: str
    flip_ok: bool = True

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class Prepared:
    search: Arrays  # all the search may ever see
    test: Arrays  # held out for `augkit evaluate`


# -- loaders ---------------------------------------------------------------------------------
def _digits(_arg: str) -> Source:
    import cv2
    from sklearn.datasets import load_digits

    d = load_digits()
    imgs = (d.images * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)
    big = np.stack([cv2.resize(im, (20, 20), interpolation=cv2.INTER_LINEAR) for im in imgs])
    x = np.pad(big, ((0, 0), (2, 2), (2, 2)))  # 24x24, a margin for shifts and rotations
    return Source(d.target.astype(np.int64), tuple(str(c) for c in range(10)),
                  lambda idx: x[idx], "digits (scikit-learn, 24x24)", flip_ok=False)


def _unpickle(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return pickle.load(f, encoding="bytes")
    except Exception as e:  # corrupt or not a pickle
        raise _err(f"{path} is not a CIFAR-10 python batch ({type(e).__name__}: {e})") from None


def _cifar_batches(files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for f in files:
        b = _unpickle(f)
        if b"data" not in b or b"labels" not in b:
            raise _err(f"{f} lacks the 'data'/'labels' keys of a CIFAR-10 batch")
        xs.append(np.asarray(b[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        ys.append(np.asarray(b[b"labels"], np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def _cifar10(arg: str) -> Source:
    root = Path(arg)
    if (root / "cifar-10-batches-py").is_dir():
        root = root / "cifar-10-batches-py"
    train = [root / f"data_batch_{i}" for i in range(1, 6)]
    missing = [str(p) for p in train if not p.is_file()]
    if missing:
        raise _err(f"cifar10:{arg}: missing {', '.join(missing)} (torchvision's "
                   "cifar-10-batches-py layout)")
    x, y = _cifar_batches(train)
    names = tuple(str(i) for i in range(10))
    meta = root / "batches.meta"
    if meta.is_file():
        names = tuple(n.decode() for n in _unpickle(meta).get(b"label_names", [])) or names
    test = None
    if (root / "test_batch").is_file():
        tx, ty = _cifar_batches([root / "test_batch"])
        test = Source(ty, names, lambda idx: tx[idx], "CIFAR-10 test")
    return Source(y, names, lambda idx: x[idx], "CIFAR-10", test=test)


def _decode(buf: bytes, what: str, size: int | None) -> np.ndarray:
    import cv2

    img = cv2.imdecode(np.frombuffer(buf, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise _err(f"{what} is not a readable image")
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    if size is not None and img.shape[:2] != (size, size):
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    return img


def _stack(imgs: list[np.ndarray], what: str) -> np.ndarray:
    shapes = {im.shape for im in imgs}
    if len(shapes) > 1:
        raise _err(f"{what}: images differ in size {sorted(shapes)[:3]}; pass image_size")
    return np.stack(imgs)


def _npz(arg: str, image_size: int | None = None) -> Source:
    path = Path(arg)
    if not path.is_file():
        raise _err(f"npz:{arg}: no such file")
    try:
        d = np.load(path, allow_pickle=False)
    except Exception as e:
        raise _err(f"npz:{arg} is not a readable .npz ({type(e).__name__}: {e})") from None

    def split(name: str) -> Source | None:
        keys = [f"{name}_jpeg", f"{name}_offsets", f"{name}_labels"]
        if not all(k in d.files for k in keys):
            return None
        buf, off = d[keys[0]], d[keys[1]].astype(np.int64)
        labels = d[keys[2]].astype(np.int64)
        if len(off) != len(labels) + 1 or off[0] != 0 or off[-1] != len(buf) or np.any(
                np.diff(off) <= 0):
            raise _err(f"npz:{arg}: {name}_offsets do not index {name}_jpeg "
                       f"({len(off)} offsets for {len(labels)} labels)")

        def get(idx):
            return _stack([_decode(buf[off[i]:off[i + 1]].tobytes(), f"npz:{arg} {name}[{i}]",
                                   image_size) for i in np.asarray(idx)], f"npz:{arg}")
        return Source(labels, names, get, path.stem)

    if "train_labels" not in d.files:
        raise _err(f"npz:{arg} lacks train_jpeg/train_offsets/train_labels (has {d.files})")
    if "class_names" in d.files:
        names = tuple(str(n) for n in d["class_names"])
    else:
        names = tuple(str(i) for i in range(int(d["train_labels"].max()) + 1))
    train = split("train")
    if train is None:
        raise _err(f"npz:{arg} lacks train_jpeg/train_offsets/train_labels (has {d.files})")
    train.test = split("test")
    return train


def _read_idx(path: Path, magic: int) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise _err(f"{path} is not readable ({e})") from None
    if len(raw) < 8 or int.from_bytes(raw[:4], "big") != magic:
        raise _err(f"{path} is not an IDX file with magic {magic}")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    body = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise _err(f"{path}: header says {dims}, file holds {body.size} bytes")
    return body.reshape(dims)


def _mnist_pair(root: Path, prefix: str) -> tuple[np.ndarray, np.ndarray] | None:
    def find(kind):
        for name in (f"{prefix}-{kind}", f"{prefix}-{kind}.gz"):
            if (root / name).is_file():
                return root / name
        return None
    imgs, labels = find("images-idx3-ubyte"), find("labels-idx1-ubyte")
    if imgs is None or labels is None:
        return None
    x, y = _read_idx(imgs, 2051), _read_idx(labels, 2049).astype(np.int64)
    if len(x) != len(y):
        raise _err(f"mnist:{root}: {len(x)} images but {len(y)} labels")
    return x, y


def _mnist(arg: str) -> Source:
    root = Path(arg)
    if not root.is_dir():
        raise _err(f"mnist:{arg}: no such folder")
    train, test = _mnist_pair(root, "train"), _mnist_pair(root, "t10k")
    if train is None and test is None:
        raise _err(f"mnist:{arg} holds no train-/t10k-images-idx3-ubyte(.gz) + labels pair")
    names = tuple(str(i) for i in range(10))
    main, official = (train, test) if train is not None else (test, None)
    src = Source(main[1], names, lambda idx: main[0][idx], f"MNIST ({root.name})", flip_ok=False)
    if official is not None:
        src.test = Source(official[1], names, lambda idx: official[0][idx], "MNIST t10k",
                          flip_ok=False)
    return src


def _folder(arg: str, image_size: int | None = 32) -> Source:
    root = Path(arg)
    if not root.is_dir():
        raise _err(f"folder:{arg}: no such folder")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not classes:
        raise _err(f"folder:{arg} has no class sub-folders (ImageFolder layout: DIR/<class>/*.jpg)")
    files, labels = [], []
    for c, name in enumerate(classes):
        found = sorted(p for p in (root / name).rglob("*") if p.suffix.lower() in IMAGE_EXTS)
        if not found:
            raise _err(f"folder:{arg}: class {name!r} is empty (no {'/'.join(IMAGE_EXTS)} files)")
        files += found
        labels += [c] * len(found)

    def get(idx):
        return _stack([_decode(files[i].read_bytes(), str(files[i]), image_size)
                       for i in np.asarray(idx)], f"folder:{arg}")
    return Source(np.asarray(labels, np.int64), tuple(classes), get, root.name)


LOADERS = {"digits": _digits, "cifar10": _cifar10, "npz": _npz, "mnist": _mnist,
           "folder": _folder}


def open_source(spec: str, image_size: int | None = None) -> Source:
    """Parse a data spec (see module doc) and open it; pixels are read later."""
    scheme, _, arg = str(spec).partition(":")
    if scheme not in LOADERS:
        raise _err(f"spec {spec!r} is unknown; expected digits, cifar10:DIR, folder:DIR, "
                   "npz:PATH or mnist:DIR")
    if scheme != "digits" and not arg:
        raise _err(f"spec {spec!r} needs a path after '{scheme}:'")
    if scheme in ("npz", "folder"):
        kw = {"image_size": image_size} if image_size or scheme == "npz" else {}
        src = LOADERS[scheme](arg, **kw)
    else:
        src = LOADERS[scheme](arg)
    _check_classes(src.labels, src.classes, spec)
    return src


def _check_classes(labels: np.ndarray, classes: tuple[str, ...], what: str) -> None:
    if labels.size == 0:
        raise _err(f"{what} holds no images")
    if labels.min() < 0 or labels.max() >= len(classes):
        raise _err(f"{what}: labels span [{labels.min()}, {labels.max()}] but there are "
                   f"{len(classes)} classes")
    counts = np.bincount(labels, minlength=len(classes))
    empty = [classes[i] for i in np.flatnonzero(counts == 0)]
    if empty:
        raise _err(f"{what}: class {empty[0]!r} has no images (empty classes: {empty})")


# -- splits ----------------------------------------------------------------------------------
def stratified_pick(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` indices with class proportions kept (largest remainder), in shuffled order."""
    classes, counts = np.unique(labels, return_counts=True)
    want = counts * (n / len(labels))
    take = np.floor(want).astype(int)
    for i in np.argsort(-(want - take))[: n - take.sum()]:
        take[i] += 1
    out = [rng.permutation(np.flatnonzero(labels == c))[:t] for c, t in zip(classes, take)]
    return rng.permutation(np.concatenate(out))


def _count(size: float | int | None, n: int, what: str) -> int | None:
    if size is None:
        return None
    if isinstance(size, float) and 0 < size < 1:
        return max(1, int(round(size * n)))
    if isinstance(size, (int, np.integer)) and 0 < size <= n:
        return int(size)
    raise _err(f"{what} is {size!r}; expected a fraction in (0, 1) or a count in [1, {n}]")


def prepare(spec: str, *, subset: int | None = None, test_size: float | int | None = None,
            test_split: str = "holdout", seed: int = 0, min_per_class: int = 2,
            image_size: int | None = None, max_subset: int | None = None) -> Prepared:
    """Open `spec`, hold out a test part, and take a stratified subset of the rest.

    `test_split`: "holdout" (a stratified `test_size` share of the training split, chosen
    from labels with `seed`; default 0.2) or "official" (the dataset's own test split, all of
    it or a stratified `test_size` of it).
    `min_per_class`: every class of the search part needs at least this many images (K for
    K-fold search). `max_subset`: with no `subset`, a stratified subset of at most this many
    images (the search's default budget); None keeps the whole pool.
    """
    src = open_source(spec, image_size=image_size)
    rng = np.random.default_rng([seed, 7])
    n = len(src.labels)
    if test_split == "official":
        if src.test is None:
            raise _err(f"{spec} has no official test split; use test_split='holdout'")
        tsrc = src.test
        nt = _count(test_size, len(tsrc.labels), "test_size")
        test_idx = (np.arange(len(tsrc.labels)) if nt is None
                    else stratified_pick(tsrc.labels, nt, rng))
        pool = np.arange(n)
    elif test_split == "holdout":
        tsrc = src
        nt = _count(0.2 if test_size is None else test_size, n, "test_size")
        test_idx = stratified_pick(src.labels, nt, rng)
        pool = np.setdiff1d(np.arange(n), test_idx)
    else:
        raise _err(f"test_split is {test_split!r}; expected 'holdout' or 'official'")
    pool = rng.permutation(pool)
    ns = _count(subset, len(pool), "subset")
    if ns is None and max_subset is not None and len(pool) > max_subset:
        ns = int(max_subset)
    if ns is not None:
        pool = pool[stratified_pick(src.labels[pool], ns, np.random.default_rng([seed, 8]))]
    counts = np.bincount(src.labels[pool], minlength=len(src.classes))
    if counts.min() < min_per_class:
        c = int(np.argmin(counts))
        raise _err(f"subset of {len(pool)} images leaves class {src.classes[c]!r} with "
                   f"{counts[c]} images; {min_per_class}-fold search needs at least "
                   f"{min_per_class} per class")
    search = Arrays(src.get(pool), src.labels[pool], src.classes, src.name, src.flip_ok)
    test = Arrays(tsrc.get(test_idx), tsrc.labels[test_idx], src.classes, src.name, src.flip_ok)
    return Prepared(search, test)


def kfold(labels: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K folds: (train indices, held-out indices) per fold."""
    rng = np.random.default_rng([seed, 9])
    fold_of = np.empty(len(labels), np.int64)
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        fold_of[idx] = (np.arange(len(idx)) + rng.integers(k)) % k
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]
