"""Generate the docs gallery: one picture per op and per tier, at several magnitudes, on a
real photo with its mask, boxes and keypoints, plus the batch mixers on four photos.

    python docs/gen_gallery.py            # writes docs/gallery/*.jpg and docs/gallery.md

Deterministic (fixed seeds). The photos are scikit-image's bundled public-domain images
(astronaut: NASA; chelsea, coffee, rocket: public domain / CC0 per scikit-image's docs).
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

import cv2
import numpy as np

import augkit as A
from augkit.show import astronaut, grid, render

HERE = Path(__file__).resolve().parent
SIZE = 224  # working size of the photo
TILE = 144  # size of one picture in a row
QUALITY = 80

# op name -> [(caption, fields)] at increasing magnitude; ops not listed use their defaults
# with three seeds. Runners of the rich tier are shown with six seeds.
LADDERS: dict[str, list[tuple[str, dict]]] = {
    "HFlip": [("p=1", {"p": 1.0})],
    "VFlip": [("p=1", {"p": 1.0})],
    "Rotate": [(f"{d} deg", {"degrees": (d, d)}) for d in (10, 30, 60)],
    "Scale": [(f"x{s}", {"scale": (s, s)}) for s in (0.7, 1.25, 1.6)],
    "Translate": [(f"{x:.0%}", {"x": (x, x), "y": (x / 2, x / 2)}) for x in (0.05, 0.15, 0.3)],
    "Shear": [(f"{d} deg", {"x": (d, d)}) for d in (10, 20, 35)],
    "Affine": [(f"{d} deg, x{s}", {"degrees": (d, d), "scale": (s, s), "shear": (d / 2, d / 2)})
               for d, s in ((10, 0.9), (25, 1.1), (45, 1.3))],
    "Resize": [(f"{h}x{w}", {"size": (h, w)}) for h, w in ((112, 112), (224, 112), (112, 224))],
    "Crop": [(f"{c} {p}", {"size": c, "position": p})
             for c, p in ((160, "center"), (112, "random"), (64, "random"))],
    "Pad": [(f"pad {p}", {"padding": p}) for p in (8, 24, 48)],
    "PadCrop": [(f"pad {p}", {"padding": p}) for p in (8, 24, 48)],
    "RandomResizedCrop": [(f"scale {lo}-{hi}", {"size": SIZE, "scale": (lo, hi)})
                          for lo, hi in ((0.6, 1.0), (0.25, 0.5), (0.08, 0.15))],
    "Blur": [(f"sigma {s}", {"kernel": 0, "sigma": (s, s)}) for s in (1.0, 2.5, 5.0)],
    "MotionBlur": [(f"{k} px", {"kernel": k}) for k in (7, 15, 27)],
    "ColorShift": [(f"{x}", {"brightness": x, "contrast": x, "saturation": x, "hue": x / 4})
                   for x in (0.2, 0.5, 0.9)],
    "RGBShift": [(f"+-{v}", {"r_shift": v, "g_shift": v, "b_shift": v}) for v in (20, 50, 100)],
    "PCALighting": [(f"std {s}", {"alpha_std": s}) for s in (0.1, 0.5, 1.5)],
    "Brightness": [(f"x{f}", {"factor": (f, f)}) for f in (0.4, 1.4, 1.9)],
    "Contrast": [(f"x{f}", {"factor": (f, f)}) for f in (0.2, 0.6, 1.9)],
    "Color": [(f"x{f}", {"factor": (f, f)}) for f in (0.0, 0.5, 1.9)],
    "Sharpness": [(f"x{f}", {"factor": (f, f)}) for f in (0.1, 1.9, 3.0)],
    "Solarize": [(f"t {t}", {"threshold": float(t)}) for t in (192, 128, 64)],
    "Posterize": [(f"{b} bits", {"bits": b}) for b in (6, 4, 2)],
    "SamplePairing": [(f"w {w}", {"weight": (w, w)}) for w in (0.1, 0.25, 0.4)],
    "CutOut": [(f"{s} px x{h}", {"size": s, "holes": h}) for s, h in ((32, 1), (64, 1), (48, 4))],
    "ElasticDistortion": [(f"alpha {a}, sigma {s}", {"alpha": a, "sigma": s})
                          for a, s in ((20, 6), (60, 8), (150, 10))],
    "GridDistortion": [(f"+-{d}", {"distort_limit": d}) for d in (0.1, 0.3, 0.6)],
}
SKIP = {"Seq", "OneOf", "SomeOf", "Maybe", "Identity", "SanitizeBoxes", "Albu", "Whiten"}
RUNNERS = {"AutoAugment", "RandAugment", "TrivialAugment", "UniformAugment", "AugMix"}
TIER_TITLES = {"poor": "Poor man's tier", "middle": "Middle-class tier", "rich": "Rich man's tier"}


def photo() -> A.Sample:
    s = astronaut()
    return A.Resize(size=SIZE)(s)


def caption(img: np.ndarray, text: str) -> np.ndarray:
    """A dark strip under the picture with `text` in it."""
    strip = np.full((18, img.shape[1], 3), 30, np.uint8)
    cv2.putText(strip, text[:28], (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (230, 230, 230), 1,
                cv2.LINE_AA)
    return np.concatenate([img, strip], 0)


def tiles_for(name: str, cls, s: A.Sample) -> tuple[list, list[str]]:
    scale = TILE / SIZE
    pics, notes = [caption(render(s, scale=scale), "original")], ["original"]
    if name in LADDERS:
        runs = [(text, cls(**kw), 0) for text, kw in LADDERS[name]]
    else:
        n = 6 if name in RUNNERS else 3
        runs = [(f"seed {i}", cls(), i) for i in range(n)]
    for text, op, seed in runs:
        rng = np.random.default_rng([seed, 7])
        try:
            out = op(s, rng=rng)
        except A.AugkitValueError:  # ops that refuse targets (e.g. AugMix): the image alone
            out = op(A.Sample(s.image), rng=np.random.default_rng([seed, 7]))
            text += " (image only)"
        pics.append(caption(render(out, scale=scale), text))
        notes.append(text)
    return pics, notes


def save(path: Path, pic: np.ndarray) -> None:
    cv2.imwrite(str(path), np.ascontiguousarray(pic[:, :, ::-1]),
                [cv2.IMWRITE_JPEG_QUALITY, QUALITY])


def summary(cls) -> str:
    doc = inspect.getdoc(cls) or ""
    return " ".join(doc.split("\n\n")[0].split())


def four_photos():
    """Four bundled photos as a uint8 (4, 3, SIZE, SIZE) batch with boxes (the whole main
    object, roughly) for the mixer pictures."""
    import torch
    from skimage import data

    imgs, boxes, labels = [], [], []
    s = photo()
    imgs.append(s.image)
    boxes.append(s.boxes)
    labels.append(s.box_labels)
    others = ((data.chelsea, [0.25, 0.1, 0.75, 0.95]), (data.coffee, [0.2, 0.1, 0.8, 0.8]),
              (data.rocket, [0.35, 0.0, 0.6, 0.9]))
    for i, (fn, box) in enumerate(others):
        labels.append(np.array([5 + i]))
        img = cv2.resize(np.ascontiguousarray(fn()), (SIZE, SIZE), interpolation=cv2.INTER_AREA)
        imgs.append(img)
        boxes.append(np.array([box], np.float32) * SIZE)
    images = torch.from_numpy(np.stack(imgs).transpose(0, 3, 1, 2).copy())
    return (images, [torch.from_numpy(b) for b in boxes],
            [torch.from_numpy(lab) for lab in labels])


def mixer_rows(out_dir: Path) -> list[str]:
    import torch

    from augkit import mix

    images, boxes, box_labels = four_photos()
    lines = ["## Batch mixer", "",
             "The four photos of one batch (top) and what each mixer makes of them; the "
             "numbers are each picture's soft label (weight of photo 0..3). See "
             "[the mixer](mixer.md).", ""]
    rows = {"batch": None, "MixUp": mix.MixUp(alpha=1.0), "CutMix": mix.CutMix(alpha=1.0),
            "RICAP": mix.RICAP(beta=0.3), "CutOut (batch)": mix.CutOut(size=80)}
    pics = []
    for name, m in rows.items():
        if m is None:
            out = mix.Batch(images, torch.eye(4), boxes=boxes,
                            box_labels=box_labels)
        else:
            out = m(mix.Batch(images, torch.eye(4), boxes=boxes,
                              box_labels=box_labels),
                    rng=np.random.default_rng(3))
        row = []
        for i in range(4):
            s = A.Sample(out.images[i].permute(1, 2, 0).numpy(),
                         boxes=out.boxes[i].numpy() if out.boxes is not None else None,
                         box_labels=out.box_labels[i].numpy() if out.box_labels is not None
                         else None)
            weights = " ".join(f"{v:.2f}" for v in out.labels[i].tolist())
            row.append(caption(render(s, scale=TILE / SIZE), f"{name}: {weights}"))
        pics.append(grid(row, cols=4))
    save(out_dir / "mixer.jpg", np.concatenate(pics, 0))
    return lines + ["![MixUp, CutMix, RICAP and CutOut on a batch of four photos]"
                    "(gallery/mixer.jpg)", ""]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=HERE)
    args = p.parse_args(argv)
    out_dir = args.out / "gallery"
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.jpg"):
        old.unlink()
    s = photo()
    lines = ["# Gallery", "",
             "<!-- generated by docs/gen_gallery.py: do not edit by hand -->", "",
             "Every op on scikit-image's public-domain astronaut photo with its mask (face, "
             "mission patch, helmet), boxes and face keypoints drawn on top. The first picture "
             "of each row is the original; the others are the op at increasing magnitude (or, "
             "for ops without a magnitude, three random draws). Targets move with the pixels "
             "for geometric ops and stay put for pixel ops. Regenerate with "
             "`python docs/gen_gallery.py`; make your own with `augkit show OP`.", ""]
    ops = A.registered_ops()
    by_tier: dict[str, list[str]] = {"poor": [], "middle": [], "rich": []}
    for name, cls in sorted(ops.items()):
        if name in SKIP or name.startswith("_") or not isinstance(cls.tier, str):
            continue
        by_tier.setdefault(cls.tier, []).append(name)
    for tier, names in by_tier.items():
        lines += [f"## {TIER_TITLES.get(tier, tier)}", ""]
        for name in names:
            pics, _ = tiles_for(name, ops[name], s)
            save(out_dir / f"{name}.jpg", grid(pics, cols=len(pics)))
            lines += [f"### {name}", "", summary(ops[name]), "",
                      f"![{name}](gallery/{name}.jpg)", ""]
    lines += ["## The tiers", "",
              "`augkit.tiers.recipe(tier, 224)` on the same photo, eight random draws each. "
              "See [the taxonomy](taxonomy.md).", ""]
    from augkit.tiers import recipe

    for tier in ("poor", "middle", "rich"):
        op, mixer = recipe(tier, SIZE)
        outs = [op(s, rng=np.random.default_rng([i, 11])) for i in range(8)]
        save(out_dir / f"tier-{tier}.jpg",
             grid([render(o, scale=TILE / SIZE) for o in outs], cols=8))
        mixed = "" if mixer is None else f" Batch mixer: `{type(mixer).__name__}` of " + \
            ", ".join(type(c).__name__ for c in mixer.choices) + "."
        lines += [f"### {TIER_TITLES[tier]}", "", f"Per-sample op: "
                  f"{', '.join(type(o).__name__ for o in op.ops)}.{mixed}", "",
                  f"![{tier} tier](gallery/tier-{tier}.jpg)", ""]
    lines += mixer_rows(out_dir)
    (args.out / "gallery.md").write_text("\n".join(lines))
    total = sum(f.stat().st_size for f in out_dir.glob("*.jpg"))
    print(f"{len(list(out_dir.glob('*.jpg')))} pictures, {total / 1e6:.2f} MB in {out_dir}")


if __name__ == "__main__":
    main()
