"""The batched torch pixel kernels (`augkit.functional.torch_pil` / `torch_color`) against a
loop of augkit's per-image numpy kernels and against kornia's batched equivalents.

    python -m benchmarks.bench_torch_pil [--sizes 32 224] [--batch 128] [--device cpu]
                                         [--kernels equalize solarize ...]

One thread (torch, OpenCV, BLAS), B real photos per batch, per-image parameters drawn from
the ops' ranges. Prints a Markdown table of milliseconds per batch (median of the repeats):
the numpy loop on uint8 HWC images, the torch kernel on the (B, 3, H, W) uint8 and float32
batch, and kornia 0.9's `kornia.enhance` function on the float32 batch where kornia has one
(its definitions differ in places: its brightness adds, its contrast multiplies without the
mean; the column times the closest function kornia offers, named in the last column).
"""

from __future__ import annotations

import argparse
import math

from . import common


def _cases(rng, n: int):
    """(name, numpy kernel(img, p), torch kernel(x, params), params, kornia call or None,
    kornia name). numpy and torch see the same per-image parameters."""
    import torch

    from augkit.functional import color as NC
    from augkit.functional import pil as NP
    from augkit.functional import torch_color as TC
    from augkit.functional import torch_pil as TP

    def u(lo, hi):
        return (lo + (hi - lo) * rng.random(n)).tolist()

    factors = u(0.1, 1.9)
    thresholds = u(0.0, 256.0)
    bits = rng.integers(4, 9, n).tolist()
    weights = u(0.0, 0.4)
    shifts = (rng.uniform(-20, 20, (n, 3)) / 255.0).tolist()
    ft = torch.tensor(factors)
    holes = [[[int(y), int(x), int(y) + 8, int(x) + 8]] for y, x in rng.integers(0, 24, (n, 2))]
    order = [rng.permutation(4).tolist() for _ in range(n)]
    jitter = (u(0.6, 1.4), u(0.6, 1.4), u(0.6, 1.4), u(-0.1, 0.1))

    def k(name):
        import kornia.enhance as KE

        return getattr(KE, name)

    def cs_numpy(img, j):
        from augkit.poor.color import ADJUSTMENTS, ColorShift

        p = {"order": order[j], **{a: jitter[i][j] for i, a in enumerate(ADJUSTMENTS)}}
        return ColorShift().image(img, p)

    return [
        ("invert", lambda img, j: NP.invert(img), lambda x: TP.invert(x),
         lambda x: k("invert")(x), "invert"),
        ("solarize", lambda img, j: NP.solarize(img, thresholds[j]),
         lambda x: TP.solarize(x, thresholds),
         lambda x: k("solarize")(x, torch.tensor(thresholds) / 256), "solarize"),
        ("posterize", lambda img, j: NP.posterize(img, bits[j]),
         lambda x: TP.posterize(x, bits),
         lambda x: k("posterize")(x, torch.tensor(bits)), "posterize"),
        ("autocontrast", lambda img, j: NP.autocontrast(img), lambda x: TP.autocontrast(x),
         None, ""),
        ("equalize", lambda img, j: NP.equalize(img), lambda x: TP.equalize(x),
         lambda x: k("equalize")(x), "equalize"),
        ("brightness", lambda img, j: NP.brightness(img, factors[j]),
         lambda x: TP.brightness(x, factors),
         lambda x: k("adjust_brightness")(x, ft - 1), "adjust_brightness (adds)"),
        ("contrast", lambda img, j: NP.contrast(img, factors[j]),
         lambda x: TP.contrast(x, factors),
         lambda x: k("adjust_contrast_with_mean_subtraction")(x, ft),
         "adjust_contrast_with_mean_subtraction"),
        ("color", lambda img, j: NP.color(img, factors[j]), lambda x: TP.color(x, factors),
         lambda x: k("adjust_saturation")(x, ft), "adjust_saturation (HSV)"),
        ("sharpness", lambda img, j: NP.sharpness(img, factors[j]),
         lambda x: TP.sharpness(x, factors),
         lambda x: k("sharpness")(x, ft), "sharpness"),
        ("sample_pairing", lambda img, j: NP.sample_pairing(img, weights[j]),
         lambda x: TP.sample_pairing(x, weights), None, ""),
        ("shift_channels", lambda img, j: NC.shift_channels(img, shifts[j]),
         lambda x: TC.shift_channels(x, shifts), None, ""),
        ("color_shift", cs_numpy, lambda x: TC.color_shift(x, order, *jitter),
         lambda x: k("adjust_hue")(k("adjust_saturation")(k("adjust_contrast")(
             k("adjust_brightness")(x, torch.tensor(jitter[0]) - 1),
             torch.tensor(jitter[1])), torch.tensor(jitter[2])),
             torch.tensor(jitter[3]) * 2 * math.pi), "the four adjust_* in a row"),
        ("fill_holes", None, lambda x: TP.fill_holes(x, holes, 0), None, ""),
    ]


def run(sizes=(32, 224), batch: int = 128, repeats: int = 5, device: str = "cpu",
        kernels=None) -> list:
    common.single_thread_libs()
    import numpy as np
    import torch

    photos = common.load_photos(16)
    rng = np.random.default_rng(0)
    rows = []
    for size in sizes:
        imgs = common.resized(photos, size, batch)
        x8 = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).contiguous().to(device)
        xf = x8.float() / 255

        def timed(fn, arg):
            def call():
                fn(arg)
                if device != "cpu":
                    torch.cuda.synchronize()
            return 1e3 * batch / common.throughput(call, batch, repeats, min_time=0.05)

        for name, np_fn, t_fn, k_fn, k_name in _cases(rng, batch):
            if kernels and name not in kernels:
                continue
            row = {"kernel": name, "size": size}
            if np_fn is not None:
                row["numpy loop"] = timed(lambda im, f=np_fn: [f(i, j) for j, i in enumerate(im)],
                                          imgs)
            row["torch uint8"] = timed(t_fn, x8)
            row["torch float32"] = timed(t_fn, xf)
            if k_fn is not None:
                row["kornia float32"] = timed(k_fn, xf)
            row["kornia function"] = k_name
            rows.append(row)
    return rows


def table(rows: list, device: str) -> str:
    cols = ("numpy loop", "torch uint8", "torch float32", "kornia float32")
    out = ["| kernel | size | " + " | ".join(cols)
           + " | numpy / torch u8 | kornia / torch f32 | kornia function |",
           "|---|---:|" + "---:|" * (len(cols) + 2) + "---|"]
    for r in rows:
        cells = [f"{r[c]:.2f}" if c in r else "" for c in cols]
        sp = (f"{r['numpy loop'] / r['torch uint8']:.2f}x" if "numpy loop" in r else "")
        sk = (f"{r['kornia float32'] / r['torch float32']:.2f}x" if "kornia float32" in r
              else "")
        out.append(f"| {r['kernel']} | {r['size']} | " + " | ".join(cells)
                   + f" | {sp} | {sk} | {r['kornia function']} |")
    return "\n".join(out) + f"\n\n(device: {device}; ms per batch, lower is better)"


def main(argv=None) -> None:
    common.single_thread_env()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[32, 224])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--device", default="cpu")
    p.add_argument("--kernels", nargs="+", help="only these rows (kernel names)")
    a = p.parse_args(argv)
    rows = run(tuple(a.sizes), a.batch, a.repeats, a.device, a.kernels)
    print(table(rows, a.device))


if __name__ == "__main__":
    main()
