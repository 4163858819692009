"""Batched blurs of torch (B, C, H, W) tensors on their own device, image j with its own
kernel size and parameters: the twins of `functional.blur` for the batched path.

Images with the same kernel size share one grouped convolution (each image and channel its
own weights, built on the host with the numpy kernels' own constructions: OpenCV's Gaussian
kernel, `blur.motion_kernels`). Borders as there: reflect-101 for Gaussian, box and motion
blur, the edge repeated for the median. uint8 results are rounded half to even, as OpenCV's
saturating casts. Measured against the per-image kernels (`tests/test_batch_torch.py`):
uint8 within 1 level (the float sums run in another order), the median exact; float32
within 1e-5. Each function returns None when a kernel does not fit the image for torch's
reflection padding (half the kernel >= a side): the caller then takes the host path.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def _groups(ks) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for j, k in enumerate(ks):
        out.setdefault(int(k), []).append(j)
    return out


def _finish(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if x.dtype == torch.uint8:
        return y.round_().clamp_(0, 255).to(torch.uint8)
    return y.clamp_(0.0, 1.0)


def _conv(x: torch.Tensor, weights: np.ndarray, kh: int, kw: int) -> torch.Tensor:
    """Per-image 2-D kernels `weights` (n, kh, kw) over x (n, C, H, W), reflect-101 border,
    float32 out (unrounded)."""
    n, c, h, w = x.shape
    src = F.pad(x.to(torch.float32).reshape(1, n * c, h, w),
                (kw // 2, kw // 2, kh // 2, kh // 2), mode="reflect")
    wt = torch.from_numpy(np.repeat(weights.astype(np.float32), c, axis=0)).to(x.device)
    out = F.conv2d(src, wt.view(n * c, 1, kh, kw), groups=n * c)
    return out.view(n, c, h, w)


def _run(x, ks, make):
    """Group images by kernel size; `make(idx, k)` -> that group's (n, kh, kw) kernels."""
    h, w = x.shape[2:]
    if max(int(k) for k in ks) // 2 >= min(h, w):
        return None
    out = x.clone()
    for k, idx in _groups(ks).items():
        if k == 1:
            continue
        t = torch.as_tensor(idx, device=x.device)
        weights = make(idx, k)
        out[t] = _finish(x, _conv(x[t], weights, weights.shape[1], weights.shape[2]))
    return out


def gaussian(x: torch.Tensor, ks, sigmas) -> torch.Tensor | None:
    """`blur.gaussian_blur` per image: kernel ``ks[j]``, standard deviation ``sigmas[j]``."""
    import cv2

    def make(idx, k):
        ones = [cv2.getGaussianKernel(k, float(sigmas[j]), cv2.CV_32F)[:, 0] for j in idx]
        return np.stack([np.outer(g, g) for g in ones])

    return _run(x, ks, make)


def box(x: torch.Tensor, ks) -> torch.Tensor | None:
    """`blur.box_blur` per image: the mean of a ``ks[j]`` square window."""
    return _run(x, ks, lambda idx, k: np.full((len(idx), k, k), 1.0 / (k * k), np.float32))


def motion(x: torch.Tensor, ks, angles) -> torch.Tensor | None:
    """`blur.motion_blur` per image: the line kernel of size ``ks[j]`` at ``angles[j]``."""
    from .blur import motion_kernels

    return _run(x, ks, lambda idx, k: np.stack(motion_kernels(k, [float(angles[j])
                                                                 for j in idx])))


def median(x: torch.Tensor, ks) -> torch.Tensor | None:
    """`blur.median_blur` per image: the median of a ``ks[j]`` window, edge repeated (exact:
    windows have an odd count)."""
    n, c, h, w = x.shape
    out = x.clone()
    for k, idx in _groups(ks).items():
        if k == 1:
            continue
        t = torch.as_tensor(idx, device=x.device)
        sub = x[t].to(torch.float32)
        src = F.pad(sub, (k // 2,) * 4, mode="replicate")
        win = F.unfold(src, k).view(len(idx), c, k * k, h * w)
        med = win.median(dim=2).values.view(len(idx), c, h, w)
        out[t] = med.to(x.dtype)
    return out
