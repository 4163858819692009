"""Rows for the ops issue 15 adds (albumentations' cross-library benchmark list), merged into
`bench_ops` (`specs`, `NEW_ROWS`, `NEW_NOTES`). Every transform at p = 1, 256^2, one thread;
parameters as the albumentations team's benchmark sets them where it names them."""

from __future__ import annotations

from collections.abc import Callable

from augkit.poor._catalog import MODULES, load

NEW_ROWS = tuple(MODULES)
NEW_NOTES = {
    "Normalize": "torchvision: ToDtype(float32, scale=True) + Normalize",
    "LongestMaxSize": "torchvision: Resize(None, max_size=...)",
    "RandomRotate90": "augkit returns a C-contiguous copy; albumentations a np.rot90 view",
    "Transpose": "augkit returns a C-contiguous copy; albumentations a transposed view",
    "D4": "augkit returns a C-contiguous copy; albumentations views for most elements",
    "JpegCompression": "quality 50 in each library; torchvision: JPEG (libjpeg via torch)",
    "PhotoMetricDistort": "defaults: each of its five steps at p = 0.5 (torchvision's own)",
    "Illumination": "defaults: mode linear, intensity (0.01, 0.2), both effects",
    "Perspective": "torchvision: RandomPerspective(0.5), its own parametrisation",
}


def op(name: str):
    """The augkit class `name` from its module."""
    return load(name)


def specs(s: int) -> dict[str, dict[str, Callable]]:
    """name -> {library: factory}, the same transform in each library (p = 1)."""
    import albumentations as A
    import torch
    import torchvision.transforms.v2 as T

    half, big = max(1, s // 2), 2 * s
    imagenet = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    return {
        "CenterCrop": {"augkit": lambda: op("CenterCrop")(size=half),
                       "albumentations": lambda: A.CenterCrop(half, half, p=1.0),
                       "torchvision": lambda: T.CenterCrop(half)},
        "LongestMaxSize": {"augkit": lambda: op("LongestMaxSize")(max_size=big),
                           "albumentations": lambda: A.LongestMaxSize(max_size=big, p=1.0),
                           "torchvision": lambda: T.Resize(None, max_size=big,
                                                           antialias=False)},
        "SmallestMaxSize": {"augkit": lambda: op("SmallestMaxSize")(max_size=big),
                            "albumentations": lambda: A.SmallestMaxSize(max_size=big, p=1.0),
                            "torchvision": lambda: T.Resize(big, antialias=False)},
        "PadIfNeeded": {"augkit": lambda: op("PadIfNeeded")(min_height=s + 64,
                                                            min_width=s + 64),
                        "albumentations": lambda: A.PadIfNeeded(s + 64, s + 64, border_mode=0,
                                                                p=1.0)},
        "RandomRotate90": {"augkit": lambda: op("RandomRotate90")(p=1.0),
                           "albumentations": lambda: A.RandomRotate90(p=1.0)},
        "Transpose": {"augkit": lambda: op("Transpose")(p=1.0),
                      "albumentations": lambda: A.Transpose(p=1.0)},
        "D4": {"augkit": lambda: op("D4")(p=1.0), "albumentations": lambda: A.D4(p=1.0)},
        "Grayscale": {"augkit": lambda: op("Grayscale")(p=1.0),
                      "albumentations": lambda: A.ToGray(p=1.0),
                      "torchvision": lambda: T.Grayscale(num_output_channels=3)},
        "ChannelShuffle": {"augkit": lambda: op("ChannelShuffle")(p=1.0),
                           "albumentations": lambda: A.ChannelShuffle(p=1.0),
                           "torchvision": lambda: T.RandomChannelPermutation()},
        "ChannelDropout": {"augkit": lambda: op("ChannelDropout")(p=1.0),
                           "albumentations": lambda: A.ChannelDropout(p=1.0)},
        "RandomGamma": {"augkit": lambda: op("RandomGamma")(gamma=(0.8, 1.2), p=1.0),
                        "albumentations": lambda: A.RandomGamma(gamma_limit=(80, 120), p=1.0)},
        "GaussianNoise": {"augkit": lambda: op("GaussianNoise")(std=(0.2, 0.44), p=1.0),
                          "albumentations": lambda: A.GaussNoise(std_range=(0.2, 0.44),
                                                                 p=1.0)},
        "SaltAndPepper": {"augkit": lambda: op("SaltAndPepper")(p=1.0),
                          "albumentations": lambda: A.SaltAndPepper(p=1.0)},
        "MedianBlur": {"augkit": lambda: op("MedianBlur")(kernel=5, p=1.0),
                       "albumentations": lambda: A.MedianBlur(blur_limit=(5, 5), p=1.0)},
        "Sharpen": {"augkit": lambda: op("Sharpen")(p=1.0),
                    "albumentations": lambda: A.Sharpen(p=1.0)},
        "Normalize": {"augkit": lambda: op("Normalize")(),
                      "albumentations": lambda: A.Normalize(p=1.0),
                      "torchvision": lambda: T.Compose([T.ToDtype(torch.float32, scale=True),
                                                        T.Normalize(*imagenet)])},
        "HueSaturationValue": {
            "augkit": lambda: op("HueSaturationValue")(20, 30, 20, p=1.0),
            "albumentations": lambda: A.HueSaturationValue(20, 30, 20, p=1.0)},
        "CLAHE": {"augkit": lambda: op("CLAHE")(clip_limit=(1, 4), tile_grid_size=(8, 8),
                                                p=1.0),
                  "albumentations": lambda: A.CLAHE(clip_limit=(1, 4), tile_grid_size=(8, 8),
                                                    p=1.0)},
        "JpegCompression": {"augkit": lambda: op("JpegCompression")(quality=50, p=1.0),
                            "albumentations": lambda: A.ImageCompression(
                                quality_range=(50, 50), p=1.0),
                            "torchvision": lambda: T.JPEG(quality=50)},
        "PlanckianJitter": {"augkit": lambda: op("PlanckianJitter")(p=1.0),
                            "albumentations": lambda: A.PlanckianJitter(p=1.0)},
        "PhotoMetricDistort": {"augkit": lambda: op("PhotoMetricDistort")(),
                               "torchvision": lambda: T.RandomPhotometricDistort()},
        "Illumination": {"augkit": lambda: op("Illumination")(),
                         "albumentations": lambda: A.Illumination(p=1.0)},
        "Perspective": {"augkit": lambda: op("Perspective")(scale=(0.05, 0.1)),
                        "albumentations": lambda: A.Perspective(scale=(0.05, 0.1), p=1.0),
                        "torchvision": lambda: T.RandomPerspective(p=1.0)},
        "OpticalDistortion": {"augkit": lambda: op("OpticalDistortion")(distort_limit=0.5),
                              "albumentations": lambda: A.OpticalDistortion(
                                  distort_limit=0.5, p=1.0)},
        "ThinPlateSpline": {"augkit": lambda: op("ThinPlateSpline")(),
                            "albumentations": lambda: A.ThinPlateSpline(p=1.0)},
    }
