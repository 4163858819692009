"""Small child networks for the search, built from the convolution family, and a
receptive-field calculator.

* ``resnext``: ResNeXt-style bottleneck blocks (1x1, grouped 3x3, 1x1) with residuals,
  downsampling by strided convolutions.
* ``sepdil``: depthwise-separable convolutions with growing dilation (1, 2, 4, 8) in place of
  pooling: the receptive field grows without losing resolution.
* ``inception``: Inception-style blocks (1x1 | 1x1-3x3 | 1x1-dilated 3x3 | pool-1x1, concat).

All are a few tens of thousands of parameters, fast on 2 CPU cores at 32x32. Each keeps its
spatial layers in ``net.features`` so `receptive_field` can walk them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import value_error


def conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1, dilation: int = 1,
            groups: int = 1, act: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, k, stride, dilation * (k - 1) // 2, dilation, groups,
                        bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Residual(nn.Module):
    """body(x) + shortcut(x), then ReLU. Two parallel paths for the RF walk."""

    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut if shortcut is not None else nn.Identity()
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(self.body(x) + self.shortcut(x))

    def rf_branches(self):
        return [self.body, self.shortcut]


class Branches(nn.Module):
    """Parallel branches concatenated on channels (Inception)."""

    def __init__(self, *branches: nn.Module):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], 1)

    def rf_branches(self):
        return list(self.branches)


def resnext_block(cin: int, cout: int, stride: int = 1, groups: int = 4) -> Residual:
    mid = max(groups, cout // 2)
    body = nn.Sequential(conv_bn(cin, mid, 1), conv_bn(mid, mid, 3, stride, groups=groups),
                         conv_bn(mid, cout, 1, act=False))
    short = None if (stride == 1 and cin == cout) else conv_bn(cin, cout, 1, stride, act=False)
    return Residual(body, short)


def separable(cin: int, cout: int, dilation: int = 1) -> nn.Sequential:
    """Depthwise 3x3 (one filter per channel) then a pointwise 1x1 mixing channels."""
    return nn.Sequential(conv_bn(cin, cin, 3, dilation=dilation, groups=cin),
                         conv_bn(cin, cout, 1, act=False))


def inception_block(cin: int, cout: int) -> Branches:
    b = cout // 4
    return Branches(conv_bn(cin, b, 1),
                    nn.Sequential(conv_bn(cin, b, 1), conv_bn(b, b, 3)),
                    nn.Sequential(conv_bn(cin, b, 1), conv_bn(b, b, 3, dilation=2)),
                    nn.Sequential(nn.MaxPool2d(3, 1, 1), conv_bn(cin, cout - 3 * b, 1)))


class ProxyNet(nn.Module):
    def __init__(self, features: nn.Sequential, channels: int, num_classes: int):
        super().__init__()
        self.features = features
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def _resnext(cin, nc, w):
    f = nn.Sequential(conv_bn(cin, w, 3),
                      resnext_block(w, w, 2), resnext_block(w, w),
                      resnext_block(w, 2 * w, 2), resnext_block(2 * w, 2 * w),
                      resnext_block(2 * w, 4 * w, 2), resnext_block(4 * w, 4 * w))
    return ProxyNet(f, 4 * w, nc)


def _sepdil(cin, nc, w):
    f = nn.Sequential(conv_bn(cin, w, 3, stride=2), conv_bn(w, 2 * w, 1),
                      *[Residual(separable(2 * w, 2 * w, d)) for d in (1, 2, 4, 8)])
    return ProxyNet(f, 2 * w, nc)


def _inception(cin, nc, w):
    f = nn.Sequential(conv_bn(cin, w, 3, stride=2), inception_block(w, 2 * w),
                      conv_bn(2 * w, 2 * w, 3, stride=2), inception_block(2 * w, 4 * w),
                      inception_block(4 * w, 4 * w))
    return ProxyNet(f, 4 * w, nc)


PROXIES = {"resnext": _resnext, "sepdil": _sepdil, "inception": _inception}


def build(name: str, in_channels: int, num_classes: int, width: int = 16) -> ProxyNet:
    """A proxy network by name (see `PROXIES`)."""
    if name not in PROXIES:
        raise value_error("search", "proxy", f"is {name!r}; expected one of {sorted(PROXIES)}")
    if not (isinstance(width, int) and width >= 4 and width % 4 == 0):
        raise value_error("search", "width", f"is {width!r}; expected a multiple of 4, >= 4")
    return PROXIES[name](in_channels, num_classes, width)


@dataclass(frozen=True)
class ReceptiveField:
    size: int  # pixels on a side seen by one output unit of the last spatial layer
    jump: int  # input pixels between neighbouring output units (the total stride)
    input_size: int
    covers: bool  # size >= input_size: each output unit can see the whole image

    def __str__(self) -> str:
        verdict = "covers" if self.covers else "does NOT cover"
        return (f"receptive field {self.size}px (stride {self.jump}) {verdict} the "
                f"{self.input_size}px input")


def _walk(m: nn.Module, r: int, j: int) -> tuple[int, int]:
    """Grow (rf, jump) through `m`: r += (k - 1) * dilation * j; j *= stride."""
    if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        def pair(v):
            return v if isinstance(v, tuple) else (v, v)
        k, s = pair(m.kernel_size), pair(m.stride if m.stride is not None else m.kernel_size)
        d = pair(getattr(m, "dilation", 1))
        if k[0] != k[1] or s[0] != s[1] or d[0] != d[1]:
            raise ValueError(f"receptive_field: non-square layer {m}")
        return r + (k[0] - 1) * d[0] * j, j * s[0]
    if hasattr(m, "rf_branches"):
        outs = [_walk(b, r, j) for b in m.rf_branches()]
        if len({o[1] for o in outs}) > 1:
            raise ValueError(f"receptive_field: branches of {type(m).__name__} differ in stride")
        return max(o[0] for o in outs), outs[0][1]
    if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.Linear, nn.Flatten)):
        raise ValueError("receptive_field: walk `net.features`, not the global head")
    for child in m.children():  # Sequential and plain containers: in order
        r, j = _walk(child, r, j)
    return r, j


def receptive_field(net: nn.Module, input_size: int | tuple[int, int],
                    warn: bool = True) -> ReceptiveField:
    """Theoretical receptive field of `net.features` (or `net` itself); warns when it is
    smaller than the input, i.e. no unit before the global pool sees the whole image."""
    size = max(input_size) if isinstance(input_size, tuple) else int(input_size)
    r, j = _walk(getattr(net, "features", net), 1, 1)
    rf = ReceptiveField(r, j, size, r >= size)
    if warn and not rf.covers:
        warnings.warn(f"{type(net).__name__}: {rf}; widen or deepen the proxy", RuntimeWarning,
                      stacklevel=2)
    return rf


def n_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
