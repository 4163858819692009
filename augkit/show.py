"""See what an op does: `show(op, sample)` renders a grid of augmented copies with the mask
overlaid and boxes and keypoints drawn on top; ``augkit show`` does the same from the shell.

The bundled photo is scikit-image's ``astronaut`` (NASA, public domain), with a mask (face,
mission patch, helmet), three boxes and four face keypoints defined here by hand.
"""

from __future__ import annotations

import math
import sys
import types
from pathlib import Path

import numpy as np

from .core import Op
from .errors import type_error, value_error
from .sample import Sample

# label -> RGB, for masks, boxes and keypoints (label 0 is background: no overlay)
PALETTE = np.array([[0, 0, 0], [255, 64, 64], [64, 200, 255], [255, 220, 0], [120, 255, 120],
                    [255, 120, 255], [255, 160, 40], [160, 120, 255]], np.uint8)
BACKGROUND = (40, 40, 40)


def astronaut() -> Sample:
    """scikit-image's public-domain astronaut photo (512x512 RGB) with hand-made targets:
    mask 1 = face, 2 = mission patch, 3 = helmet; boxes for head, patch and shuttle;
    keypoints = left eye, right eye, nose, mouth (visible)."""
    import cv2

    try:
        from skimage import data
    except ImportError:
        raise ModuleNotFoundError("augkit.show: the bundled photo comes from scikit-image "
                                  "(pip install scikit-image); or pass your own image") from None
    img = np.ascontiguousarray(data.astronaut())
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.ellipse(mask, (392, 440), (118, 96), 0, 0, 360, 3, -1)
    cv2.ellipse(mask, (226, 108), (50, 66), 0, 0, 360, 1, -1)
    cv2.circle(mask, (170, 385), 38, 2, -1)
    boxes = np.array([[160, 18, 300, 178], [130, 345, 212, 426], [355, 0, 462, 285]], np.float32)
    kp = np.array([[[206.5, 97.5, 1], [246.5, 97.5, 1], [226.5, 121.5, 1], [226.5, 143.5, 1]]],
                  np.float32)
    return Sample(img, mask=mask, boxes=boxes, box_labels=np.array([1, 2, 3]), keypoints=kp)


def _as_sample(x) -> Sample:
    if x is None:
        return astronaut()
    if isinstance(x, Sample):
        return x
    from .boundary import to_sample

    return to_sample(x, "show")[0]


def _rgb_uint8(img: np.ndarray) -> np.ndarray:
    if img.dtype != np.uint8:
        img = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img[:, :, :3])


def render(s: Sample, alpha: float = 0.45, scale: float = 1.0) -> np.ndarray:
    """One sample as an RGB uint8 picture: mask blended in, boxes and keypoints drawn.
    `scale` resizes the picture first so lines stay one pixel thin at any size."""
    import cv2

    img = _rgb_uint8(s.image)
    h, w = img.shape[:2]
    oh, ow = max(1, round(h * scale)), max(1, round(w * scale))
    if (oh, ow) != (h, w):
        img = cv2.resize(img, (ow, oh), interpolation=cv2.INTER_AREA)
    if s.mask is not None:
        m = s.mask if s.mask.ndim == 2 else np.argmax(s.mask, axis=2) + (s.mask.max(2) > 0)
        m = cv2.resize(m.astype(np.int32).astype(np.float32), (ow, oh),
                       interpolation=cv2.INTER_NEAREST).astype(np.int64)
        colour = PALETTE[1 + (m - 1) % (len(PALETTE) - 1)]
        on = (m > 0)[:, :, None]
        img = np.where(on, (img * (1 - alpha) + colour * alpha).astype(np.uint8), img)
    img = np.ascontiguousarray(img)
    if s.boxes is not None:
        labels = s.box_labels if s.box_labels is not None else np.arange(1, len(s.boxes) + 1)
        for b, lab in zip(np.asarray(s.boxes) * scale, labels):
            c = tuple(int(v) for v in PALETTE[1 + (int(lab) - 1) % (len(PALETTE) - 1)])
            cv2.rectangle(img, (int(b[0]), int(b[1])), (int(math.ceil(b[2])) - 1,
                                                        int(math.ceil(b[3])) - 1), c, 2)
    if s.keypoints is not None:
        kp = np.asarray(s.keypoints, np.float64).reshape(-1, np.shape(s.keypoints)[-1])
        for i, p in enumerate(kp):
            if kp.shape[1] == 3 and p[2] <= 0:
                continue
            x, y = p[0] * scale, p[1] * scale
            if 0 <= x < ow and 0 <= y < oh:
                c = tuple(int(v) for v in PALETTE[1 + i % (len(PALETTE) - 1)])
                cv2.circle(img, (int(x), int(y)), 4, (255, 255, 255), -1)
                cv2.circle(img, (int(x), int(y)), 3, c, -1)
    return img


def grid(tiles: list[np.ndarray], cols: int | None = None, gap: int = 4) -> np.ndarray:
    """Tiles of any sizes, centred in equal cells on a dark background."""
    if not tiles:
        raise value_error("show", "n", "is 0; expected at least one picture")
    cols = cols or math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / cols)
    ch = max(t.shape[0] for t in tiles)
    cw = max(t.shape[1] for t in tiles)
    out = np.empty((rows * ch + (rows + 1) * gap, cols * cw + (cols + 1) * gap, 3), np.uint8)
    out[:] = BACKGROUND
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        y = gap + r * (ch + gap) + (ch - t.shape[0]) // 2
        x = gap + c * (cw + gap) + (cw - t.shape[1]) // 2
        out[y:y + t.shape[0], x:x + t.shape[1]] = t
    return out


def show(op: Op | None, sample=None, n: int = 16, seed: int = 0, tile: int = 192,
         cols: int | None = None) -> np.ndarray:
    """A grid (uint8 RGB, HWC) of `n` augmented copies of `sample` under `op`.

    sample: a `Sample`, an image (numpy HWC, torch CHW, PIL) or None for the bundled
    astronaut photo with its mask, boxes and keypoints. Copy i uses
    ``numpy.random.default_rng([seed, i])``, so a grid is reproducible. Each copy is scaled
    so its longer side is at most `tile` pixels (relative sizes are kept). ``op=None`` shows
    the sample itself.
    """
    if op is not None and not isinstance(op, Op):
        raise type_error("show", "op", f"is {type(op).__name__}; expected an augkit op")
    if not (isinstance(n, int) and n >= 1):
        raise value_error("show", "n", f"is {n!r}; expected an int >= 1")
    if isinstance(tile, bool) or not (isinstance(tile, int) and tile >= 1):
        raise value_error("show", "tile", f"is {tile!r}; expected an int >= 1")
    s = _as_sample(sample)
    outs = [s] if op is None else [op(s, rng=np.random.default_rng([seed, i])) for i in range(n)]
    big = max(max(o.size) for o in outs)
    scale = min(1.0, tile / big)
    return grid([render(o, scale=scale) for o in outs], cols)


# --- command line ---------------------------------------------------------------------

def resolve(target: str | None, size: int = 224) -> Op:
    """An op from a CLI argument: a pipeline or policy file, a registered op name (built with
    its defaults), a tier name, a timm-style string such as ``rand-m9-n2-mstd0.5``, a
    bundled policy name, or an inline JSON op such as ``{"type": "Rotate", "degrees": 45}``."""
    from .core import registered_ops

    if target is None:
        target = "poor"
    if target.lstrip().startswith("{"):
        from .serial import from_dict, parse_document

        doc = parse_document(target, "json",
                             lambda what: value_error("show", "target", f"(inline JSON) {what}"))
        return from_dict(doc)
    if Path(target).is_file():
        return _load_file(Path(target))
    if target in ("poor", "middle", "rich"):
        from .tiers import recipe

        return recipe(target, size).op
    ops = registered_ops()
    if target in ops:
        return ops[target]()
    from .tiers import policy_op

    try:
        return policy_op(target)
    except Exception as e:
        raise value_error("show", "target", f"{target!r} is not a file, an op name, a tier, a "
                          "policy string or a policy name") from e


def _load_file(path: Path) -> Op:
    """An op file (`augkit.save`), else a policy file run by AutoAugment."""
    from .errors import AugkitError
    from .policy import load_policy
    from .rich import AutoAugment
    from .serial import load

    try:
        return load(path)
    except AugkitError as e:
        first = e
    try:
        return AutoAugment(policy=load_policy(path))
    except AugkitError as e:
        raise value_error("show", "target", f"{str(path)!r} is neither an op file ({first}) "
                          f"nor a policy file ({e})") from None


def _check_out(out: Path) -> None:
    """Refuse an output picture that cannot be written, before any work is done."""
    import cv2

    if not out.parent.is_dir():
        raise value_error("show", "out", f"{str(out)!r}: the folder {str(out.parent)!r} does "
                          "not exist")
    if not cv2.haveImageWriter(str(out)):
        raise value_error("show", "out", f"{str(out)!r}: no image format for the extension "
                          f"{out.suffix!r}; use .png or .jpg")


def _read_image(path: str) -> np.ndarray:
    import cv2

    if not Path(path).is_file():
        raise value_error("show", "image", f"{path!r} is not a file")
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise value_error("show", "image", f"{path!r} could not be read as an image")
    return np.ascontiguousarray(img[:, :, ::-1])


def _main(args) -> int:
    import cv2

    _check_out(Path(args.out))
    s = astronaut() if args.image is None else Sample(_read_image(args.image))
    op = resolve(args.target, size=min(s.size))
    pic = show(op, s, n=args.n, seed=args.seed, tile=args.tile)
    try:
        ok = cv2.imwrite(str(args.out), np.ascontiguousarray(pic[:, :, ::-1]))
    except cv2.error as e:
        raise value_error("show", "out", f"{str(args.out)!r} could not be written: "
                          f"{str(e).strip().splitlines()[-1]}") from None
    if not ok:
        raise value_error("show", "out", f"{str(args.out)!r} could not be written")
    print(f"{args.out}: {args.n} x {type(op).__name__} ({pic.shape[1]}x{pic.shape[0]})")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "show", help="render a grid of augmented copies of a photo with its targets",
        description="Render augmented copies of a photo with mask, boxes and keypoints drawn "
        "on top. TARGET: an op name (built with defaults, e.g. Rotate), a pipeline or policy "
        "file, a tier (poor, middle, rich), a timm-style string (rand-m9-n2-mstd0.5), or an "
        "inline JSON op. Default: the poor tier on the bundled astronaut photo.")
    p.add_argument("target", nargs="?", default=None, metavar="TARGET")
    p.add_argument("--image", default=None, help="photo to use instead of the bundled one")
    p.add_argument("--n", type=int, default=16, help="number of copies (default 16)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tile", type=int, default=192, help="longest side of a copy in pixels")
    p.add_argument("--out", default="grid.png", help="output picture (default grid.png)")
    p.set_defaults(func=_main)


class _CallableModule(types.ModuleType):
    """``import augkit.show`` rebinds ``augkit.show`` to this module; keep it callable so
    ``augkit.show(op, sample)`` works either way."""

    def __call__(self, *args, **kwargs):
        return show(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
