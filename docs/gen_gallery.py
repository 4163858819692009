"""Generate the docs gallery: one picture per op and per tier, at several magnitudes, on a
real photo with its mask, boxes and keypoints, plus the batch mixers on four photos.

    python docs/gen_gallery.py            # updates docs/gallery/*.jpg, manifest.json, gallery.md
    python docs/gen_gallery.py --force    # recomputes and rewrites every picture
    python docs/gen_gallery.py --only Rotate,tier-poor   # recomputes just these (if changed)

**The checkout's augkit.** The script puts the root of the checkout it lives in first on
``sys.path`` before importing augkit, and `main` stops with an error unless
``augkit.__file__`` lies under that root: the gallery always shows the code next to it,
never an installed copy.

**Only what changed.** ``docs/gallery/manifest.json`` maps every picture to a hash of what
defines it: the ops' settings (`augkit.to_dict`, or the repr of a mixer), seeds and captions,
the photo's bytes (image and targets), the rendering code (this script's drawing functions,
`RENDER_VERSION` and ``augkit/show.py``) and the source files of the op (its module, the
modules of its base classes, and every augkit module its module takes names from, e.g. its
kernels). A picture whose hash is unchanged is neither recomputed nor rewritten; one that
is recomputed but encodes to the same bytes is not rewritten either (its mtime stays), so
an edit of a shared file such as ``augkit/core.py`` recomputes every picture but touches
only those whose pixels moved. Pictures that no longer belong to the gallery (an op was
removed or renamed) are deleted, with their manifest entries. ``--force`` rewrites all.

**Float outputs.** An op whose output is not an image in [0, 1] (``Normalize``, ``Whiten``:
standardised floats) is shown min-max scaled to 0..255 over the whole picture (all
channels together, so the colour balance the op leaves is kept), with the value range in
the caption. Ops that hold other ops (the combinators), only filter boxes or wrap another
library are not pictured; `SKIP` says why, and the page lists them.

Deterministic (fixed seeds). The photos are scikit-image's bundled public-domain images
(astronaut: NASA; chelsea, coffee, rocket: public domain / CC0 per scikit-image's docs).
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if not sys.path or Path(sys.path[0] or ".").resolve() != ROOT:
    sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

import augkit as A  # noqa: E402
from augkit.show import astronaut, grid, render  # noqa: E402

SIZE = 224  # working size of the photo
TILE = 144  # size of one picture in a row
QUALITY = 80
RENDER_VERSION = "2"  # bump when a change of the drawing is not in the hashed functions

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
    # issue 15's ops: sizes below the working size keep the pictures small
    "CenterCrop": [(f"{c}", {"size": c}) for c in (192, 144, 96)],
    "LongestMaxSize": [(f"max {m}", {"max_size": m}) for m in (192, 144, 96)],
    "SmallestMaxSize": [(f"max {m}", {"max_size": m}) for m in (192, 144, 96)],
    "PadIfNeeded": [(f"min {h}x{w} {p}", {"min_height": h, "min_width": w, "position": p})
                    for h, w, p in ((256, 256, "center"), (288, 224, "center"),
                                    (256, 288, "random"))],
    "Transpose": [("p=1", {"p": 1.0})],
    "Grayscale": [("p=1", {"p": 1.0})],
    "ChannelDropout": [(f"drop {lo}-{hi}", {"channel_drop_range": (lo, hi), "p": 1.0})
                       for lo, hi in ((1, 1), (1, 2), (2, 2))],
    "RandomGamma": [(f"gamma {g}", {"gamma": (g, g), "p": 1.0}) for g in (0.5, 1.5, 2.5)],
    "GaussianNoise": [(f"std {s}", {"std": (s, s), "p": 1.0}) for s in (0.05, 0.15, 0.3)],
    "SaltAndPepper": [(f"{a:.0%}", {"amount": (a, a), "p": 1.0}) for a in (0.01, 0.05, 0.15)],
    "MedianBlur": [(f"{k} px", {"kernel": (k, k), "p": 1.0}) for k in (3, 7, 15)],
    "Sharpen": [(f"alpha {a}", {"alpha": (a, a), "p": 1.0}) for a in (0.3, 0.6, 1.0)],
    "Normalize": [("ImageNet", {})],
    "HueSaturationValue": [(f"hue {h}", {"hue_shift_limit": (h, h), "sat_shift_limit": 0,
                                         "val_shift_limit": 0, "p": 1.0})
                           for h in (-20, 10, 30)],
    "CLAHE": [(f"clip {c}", {"clip_limit": c, "p": 1.0}) for c in (2, 4, 8)],
    "JpegCompression": [(f"q {q}", {"quality": (q, q), "p": 1.0}) for q in (50, 20, 5)],
    "PlanckianJitter": [(f"{t} K", {"temperature": (t, t), "p": 1.0})
                        for t in (3000, 6000, 12000)],
    "Perspective": [(f"scale {v}", {"scale": (v, v)}) for v in (0.05, 0.1, 0.2)],
    "OpticalDistortion": [(f"{m} k {k}", {"distort_limit": (k, k), "mode": m})
                          for m, k in (("camera", 0.3), ("camera", -0.3), ("fisheye", 0.5))],
    "ThinPlateSpline": [(f"scale {v}", {"scale_range": (v, v)}) for v in (0.05, 0.2, 0.4)],
    "Whiten": [("standardize", {})],
}
# ops without a magnitude drawn with these fields (instead of their defaults), three seeds
SEEDED: dict[str, dict] = {"RandomRotate90": {"p": 1.0}, "D4": {"p": 1.0},
                           "ChannelShuffle": {"p": 1.0}}
# ops not pictured -> why (listed on the page)
SKIP = {
    "Seq": "holds other ops (see the tier pictures)",
    "OneOf": "holds other ops (see the tier pictures)",
    "SomeOf": "holds other ops (see the tier pictures)",
    "Maybe": "holds other ops (see the tier pictures)",
    "Identity": "returns its input unchanged",
    "SanitizeBoxes": "only drops or clips boxes; the pixels stay",
    "BoxesFromMasks": "only recomputes boxes from the mask; the pixels stay",
    "Lambda": "runs a function of yours (its default is the identity)",
    "Albu": "wraps an albumentations transform (see the interop page)",
    "Mosaic": "combines four samples (see the multi-image page)",
    "CopyPaste": "pastes another sample's instances (see the multi-image page)",
}
RUNNERS = {"AutoAugment", "RandAugment", "TrivialAugment", "UniformAugment", "AugMix"}
TIER_TITLES = {"poor": "Poor man's tier", "middle": "Middle-class tier", "rich": "Rich man's tier"}
TIERS = ("poor", "middle", "rich")


def check_checkout() -> None:
    """Stop unless the augkit imported is the one of this checkout."""
    where = Path(A.__file__).resolve()
    if ROOT not in where.parents:
        raise SystemExit(f"gen_gallery: augkit was imported from {where}, not from the "
                         f"checkout {ROOT}; run this script from the checkout")


def photo() -> A.Sample:
    s = astronaut()
    return A.Resize(size=SIZE)(s)


def caption(img: np.ndarray, text: str) -> np.ndarray:
    """A dark strip under the picture with `text` in it."""
    strip = np.full((18, img.shape[1], 3), 30, np.uint8)
    cv2.putText(strip, text[:28], (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (230, 230, 230), 1,
                cv2.LINE_AA)
    return np.concatenate([img, strip], 0)


def displayable(s: A.Sample) -> tuple[A.Sample, str]:
    """A float output outside [0, 1] min-max scaled to [0, 1] over the whole image (all
    channels together), with its range for the caption; anything else as it is."""
    img = s.image
    if img.dtype == np.uint8:
        return s, ""
    lo, hi = float(np.min(img)), float(np.max(img))
    if lo >= 0.0 and hi <= 1.0:
        return s, ""
    scaled = ((img - lo) / max(hi - lo, 1e-12)).astype(np.float32)
    return s.replace(image=scaled), f" [{lo:.1f}, {hi:.1f}]"


def op_runs(name: str, cls) -> list[tuple[str, object, int]]:
    """(caption, op, seed) of every picture in the op's row after the original."""
    if name in LADDERS:
        return [(text, cls(**kw), 0) for text, kw in LADDERS[name]]
    n = 6 if name in RUNNERS else 3
    try:
        return [(f"seed {i}", cls(**SEEDED.get(name, {})), i) for i in range(n)]
    except (TypeError, A.AugkitError) as e:
        raise SystemExit(f"gen_gallery: {name} cannot be built with its defaults ({e}); "
                         "add it to LADDERS in docs/gen_gallery.py") from None


def tiles_for(runs, s: A.Sample) -> np.ndarray:
    scale = TILE / SIZE
    pics = [caption(render(s, scale=scale), "original")]
    for text, op, seed in runs:
        try:
            out = op(s, rng=np.random.default_rng([seed, 7]))
        except A.AugkitValueError:  # ops that refuse targets (e.g. AugMix): the image alone
            out = op(A.Sample(s.image), rng=np.random.default_rng([seed, 7]))
            text += " (image only)"
        out, note = displayable(out)
        pics.append(caption(render(out, scale=scale), text + note))
    return grid(pics, cols=len(pics))


def tier_picture(op, s: A.Sample) -> np.ndarray:
    outs = [op(s, rng=np.random.default_rng([i, 11])) for i in range(8)]
    return grid([render(o, scale=TILE / SIZE) for o in outs], cols=8)


def encode(pic: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(pic[:, :, ::-1]),
                           [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    if not ok:
        raise RuntimeError("gen_gallery: JPEG encoding failed")
    return buf.tobytes()


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


def mixers() -> dict:
    from augkit import mix

    return {"batch": None, "MixUp": mix.MixUp(alpha=1.0), "CutMix": mix.CutMix(alpha=1.0),
            "RICAP": mix.RICAP(beta=0.3), "CutOut (batch)": mix.CutOut(size=80)}


def mixer_picture(photos) -> np.ndarray:
    import torch

    from augkit import mix

    images, boxes, box_labels = photos
    pics = []
    for name, m in mixers().items():
        batch = mix.Batch(images, torch.eye(4), boxes=boxes, box_labels=box_labels)
        out = batch if m is None else m(batch, rng=np.random.default_rng(3))
        row = []
        for i in range(4):
            s = A.Sample(out.images[i].permute(1, 2, 0).numpy(),
                         boxes=out.boxes[i].numpy() if out.boxes is not None else None,
                         box_labels=out.box_labels[i].numpy() if out.box_labels is not None
                         else None)
            weights = " ".join(f"{v:.2f}" for v in out.labels[i].tolist())
            row.append(caption(render(s, scale=TILE / SIZE), f"{name}: {weights}"))
        pics.append(grid(row, cols=4))
    return np.concatenate(pics, 0)


# --- what defines a picture ----------------------------------------------------------------

def _sha(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else json.dumps(p, sort_keys=True, default=repr)
                 .encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def render_key() -> str:
    """The drawing: this script's drawing functions and constants, and augkit/show.py."""
    funcs = (caption, displayable, tiles_for, tier_picture, encode, mixer_picture)
    show = Path(sys.modules[render.__module__].__file__).read_bytes()
    return _sha(RENDER_VERSION, [SIZE, TILE, QUALITY],
                [inspect.getsource(f) for f in funcs], show)


def sample_key(s: A.Sample) -> str:
    parts = [x for x in (s.image, s.mask, s.boxes, s.box_labels, s.keypoints) if x is not None]
    return _sha(*[[str(x.dtype), list(x.shape)] for x in parts],
                *[np.ascontiguousarray(x).tobytes() for x in parts])


def _augkit_module(obj) -> types.ModuleType | None:
    """The augkit module `obj` is, or was defined in (None for anything else)."""
    name = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", "")
    mod = sys.modules.get(name) if isinstance(name, str) else None
    return mod if mod and name.split(".")[0] == "augkit" and getattr(mod, "__file__", 0) else None


def source_files(classes) -> list[str]:
    """The files that define `classes`: each class's module, its augkit base classes'
    modules, and every augkit module those modules take names from (kernels, helpers)."""
    mods: dict[str, types.ModuleType] = {}
    for cls in classes:
        for k in cls.__mro__:
            m = _augkit_module(k)
            if m is not None:
                mods[m.__name__] = m
    for m in list(mods.values()):
        for v in vars(m).values():
            dep = _augkit_module(v)
            if dep is not None:
                mods[dep.__name__] = dep
    return sorted({m.__file__ for m in mods.values()})


def sources_key(classes) -> str:
    files = source_files(classes)
    return _sha(*[Path(f).resolve().relative_to(ROOT).as_posix() for f in files],
                *[Path(f).read_bytes() for f in files])


def op_classes(op) -> list[type]:
    """`op`'s class and those of every op it holds (Seq, OneOf, ...)."""
    out = [type(op)]
    for child in getattr(op, "ops", None) or ():
        if isinstance(child, A.Op):
            out += op_classes(child)
    return out


def _settings(op) -> object:
    try:
        return A.to_dict(op)
    except Exception:  # not serialisable: its repr (frozen dataclasses print every field)
        return repr(op)


# --- the gallery ----------------------------------------------------------------------------

class Picture:
    """One file of the gallery: its name, the hashes of its inputs, how to draw it."""

    def __init__(self, name: str, inputs: dict, make):
        self.name, self.inputs, self.make = name, inputs, make
        self.key = _sha(inputs)


def plan(s: A.Sample, ops: dict) -> tuple[list[Picture], list[str]]:
    """Every picture of the gallery, and the page's Markdown."""
    base = {"render": render_key(), "photo": sample_key(s)}
    pictures: list[Picture] = []
    lines = ["# Gallery", "",
             "<!-- generated by docs/gen_gallery.py: do not edit by hand -->", "",
             "Every op on scikit-image's public-domain astronaut photo with its mask (face, "
             "mission patch, helmet), boxes and face keypoints drawn on top. The first picture "
             "of each row is the original; the others are the op at increasing magnitude (or, "
             "for ops without a magnitude, three random draws). Targets move with the pixels "
             "for geometric ops and stay put for pixel ops. Ops whose output is standardised "
             "floats (Normalize, Whiten) are shown min-max scaled to 0..255 over the whole "
             "picture, their value range in brackets. Regenerate with "
             "`python docs/gen_gallery.py` (it redraws only the pictures whose op, photo or "
             "drawing code changed; `--force` redraws all); make your own with "
             "`augkit show OP`.", ""]
    by_tier: dict[str, list[str]] = {t: [] for t in TIERS}
    for name, cls in sorted(ops.items()):
        if name in SKIP or name.startswith("_") or not isinstance(cls.tier, str):
            continue
        by_tier.setdefault(cls.tier, []).append(name)
    for tier, names in by_tier.items():
        lines += [f"## {TIER_TITLES.get(tier, tier)}", ""]
        for name in names:
            runs = op_runs(name, ops[name])
            inputs = dict(base, op=_sha([(t, _settings(o), seed) for t, o, seed in runs]),
                          sources=sources_key([type(o) for _, o, _ in runs]))
            pictures.append(Picture(f"{name}.jpg", inputs,
                                    lambda runs=runs: tiles_for(runs, s)))
            lines += [f"### {name}", "", summary(ops[name]), "",
                      f"![{name}](gallery/{name}.jpg)", ""]
    lines += ["## The tiers", "",
              "`augkit.tiers.recipe(tier, 224)` on the same photo, eight random draws each. "
              "See [the taxonomy](taxonomy.md).", ""]
    from augkit.tiers import recipe

    for tier in TIERS:
        op, mixer = recipe(tier, SIZE)
        inputs = dict(base, op=_sha(_settings(op)), sources=sources_key(op_classes(op)))
        pictures.append(Picture(f"tier-{tier}.jpg", inputs,
                                lambda op=op: tier_picture(op, s)))
        mixed = "" if mixer is None else f" Batch mixer: `{type(mixer).__name__}` of " + \
            ", ".join(type(c).__name__ for c in mixer.choices) + "."
        lines += [f"### {TIER_TITLES[tier]}", "", f"Per-sample op: "
                  f"{', '.join(type(o).__name__ for o in op.ops)}.{mixed}", "",
                  f"![{tier} tier](gallery/tier-{tier}.jpg)", ""]
    photos = four_photos()
    ms = mixers()
    inputs = dict(base, photo=_sha(*[sample_key(A.Sample(im.numpy())) for im in photos[0]],
                                   [b.numpy().tolist() for b in photos[1]],
                                   [b.numpy().tolist() for b in photos[2]]),
                  op=_sha({k: repr(m) for k, m in ms.items()}),
                  sources=sources_key([type(m) for m in ms.values() if m is not None]))
    pictures.append(Picture("mixer.jpg", inputs, lambda: mixer_picture(photos)))
    lines += ["## Batch mixer", "",
              "The four photos of one batch (top) and what each mixer makes of them; the "
              "numbers are each picture's soft label (weight of photo 0..3). See "
              "[the mixer](mixer.md).", "",
              "![MixUp, CutMix, RICAP and CutOut on a batch of four photos]"
              "(gallery/mixer.jpg)", ""]
    lines += ["## Not pictured", ""]
    lines += [f"* `{name}`: {why}." for name, why in SKIP.items() if name in ops]
    return pictures, lines + [""]


def update(out: Path, pictures: list[Picture], force: bool = False,
           only: set[str] | None = None, log=print) -> dict[str, list[str]]:
    """Bring `out` (the gallery folder) up to date. Returns the picture names recomputed
    (inputs changed, file missing, or `force`), written (recomputed to other bytes, or
    `force`), kept (file left alone) and removed (no longer in the gallery)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "manifest.json"
    old = json.loads(path.read_text()).get("pictures", {}) if path.is_file() else {}
    done: dict[str, list[str]] = {"recomputed": [], "written": [], "kept": [], "removed": []}
    manifest: dict[str, dict] = {}
    for pic in pictures:
        target = out / pic.name
        entry = {"key": pic.key, **pic.inputs}
        if only is not None and pic.name.removesuffix(".jpg") not in only:
            if pic.name in old:  # not looked at this time
                manifest[pic.name] = old[pic.name]
            continue
        if not force and target.is_file() and old.get(pic.name, {}).get("key") == pic.key:
            manifest[pic.name] = old[pic.name]
            done["kept"].append(pic.name)
            continue
        data = encode(pic.make())
        done["recomputed"].append(pic.name)
        if not force and target.is_file() and target.read_bytes() == data:
            done["kept"].append(pic.name)
        else:
            target.write_bytes(data)
            done["written"].append(pic.name)
        manifest[pic.name] = entry
    wanted = {p.name for p in pictures}
    for f in sorted(out.glob("*.jpg")):
        if f.name not in wanted:
            f.unlink()
            done["removed"].append(f.name)
    text = json.dumps({"generator": "docs/gen_gallery.py", "pictures": manifest},
                      indent=1, sort_keys=True) + "\n"
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    log(f"gen_gallery: {len(done['recomputed'])} recomputed, {len(done['written'])} written, "
        f"{len(done['kept'])} unchanged, "
        f"{len(done['removed'])} removed" + (f" ({', '.join(done['written'])})"
                                             if done["written"] else ""))
    return done


def main(argv=None) -> dict[str, list[str]]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=HERE,
                   help="folder of gallery.md; the pictures go to its gallery/ (default docs)")
    p.add_argument("--force", action="store_true", help="recompute and rewrite every picture")
    p.add_argument("--only", default="",
                   help="comma-separated picture names (e.g. Rotate,tier-poor,mixer): look at "
                   "just these; the others keep their files and manifest entries")
    args = p.parse_args(argv)
    check_checkout()
    only = {v.strip() for v in args.only.split(",") if v.strip()} or None
    pictures, lines = plan(photo(), A.registered_ops())
    unknown = (only or set()) - {pic.name.removesuffix(".jpg") for pic in pictures}
    if unknown:
        p.error(f"--only: no picture named {', '.join(sorted(unknown))}")
    done = update(args.out / "gallery", pictures, args.force, only)
    page = args.out / "gallery.md"
    text = "\n".join(lines)
    if not page.is_file() or page.read_text() != text:
        page.write_text(text)
    return done


if __name__ == "__main__":
    main()
