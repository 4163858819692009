"""Where the ops of issue 15 live (one module each), for the albumentations interop and the
benchmarks, which need them before the registry imports these modules by itself; and
`native_op`, the albumentations transform -> native augkit op table behind
``from_albu(t, native=True)``."""

from __future__ import annotations

import dataclasses
import importlib

from ..core import Op

MODULES = {
    "CenterCrop": "center_crop", "LongestMaxSize": "longest_max_size",
    "SmallestMaxSize": "smallest_max_size", "PadIfNeeded": "pad_if_needed",
    "RandomRotate90": "rotate90", "Transpose": "transpose", "D4": "d4",
    "Grayscale": "grayscale", "ChannelShuffle": "channel_shuffle",
    "ChannelDropout": "channel_dropout", "RandomGamma": "random_gamma",
    "GaussianNoise": "gaussian_noise", "SaltAndPepper": "salt_and_pepper",
    "MedianBlur": "median_blur", "Sharpen": "sharpen", "Normalize": "normalize",
    "HueSaturationValue": "hue_saturation_value", "CLAHE": "clahe",
    "JpegCompression": "jpeg_compression", "PlanckianJitter": "planckian_jitter",
    "PhotoMetricDistort": "photometric_distort", "Illumination": "illumination",
    "Perspective": "perspective", "OpticalDistortion": "optical_distortion",
    "ThinPlateSpline": "thin_plate_spline",
}


def load(name: str) -> type:
    """The op class `name` (a key of `MODULES`), its module imported."""
    return getattr(importlib.import_module(f"augkit.poor.{MODULES[name]}"), name)


_INTERP = {0: "nearest", 1: "linear", 2: "cubic", 3: "area", 4: "lanczos"}  # cv2.INTER_*


def _new(name: str, **kw) -> Op:
    return load(name)(**kw)


def _max_size(name, t):
    if t.max_size is None or t.max_size_hw is not None or t.area_for_downscale is not None \
            or t.mask_interpolation != 0:
        return None
    ms = t.max_size if isinstance(t.max_size, int) else tuple(t.max_size)
    return _new(name, max_size=ms, interpolation=_INTERP[t.interpolation], p=t.p)


# cv2.BORDER_* (albumentations' border_mode) -> augkit's border (functional.geometry.BORDERS)
_BORDERS = {0: "constant", 1: "replicate", 2: "reflect", 3: "wrap", 4: "reflect101"}


def _fills(t) -> dict:  # a fractional fill_mask raises: the transform is wrapped instead
    if float(t.fill_mask) != int(t.fill_mask) or t.border_mode not in _BORDERS:
        raise ValueError("fill_mask / border_mode")
    return {"fill": t.fill, "mask_fill": int(t.fill_mask), "border": _BORDERS[t.border_mode]}


# albumentations class name -> builder of the native augkit op (None: no exact twin)
NATIVE: dict = {
    "HorizontalFlip": lambda t: _poor("HFlip", p=t.p),
    "VerticalFlip": lambda t: _poor("VFlip", p=t.p),
    "CenterCrop": lambda t: None if t.pad_position != "center" else
    _new("CenterCrop", size=(t.height, t.width), pad_if_needed=t.pad_if_needed, p=t.p,
         **_fills(t)),
    "LongestMaxSize": lambda t: _max_size("LongestMaxSize", t),
    "SmallestMaxSize": lambda t: _max_size("SmallestMaxSize", t),
    "PadIfNeeded": lambda t: _new(
        "PadIfNeeded", min_height=t.min_height, min_width=t.min_width,
        pad_height_divisor=t.pad_height_divisor, pad_width_divisor=t.pad_width_divisor,
        position=t.position, p=t.p, **_fills(t)),
    "RandomRotate90": lambda t: _new("RandomRotate90", p=t.p),
    "Transpose": lambda t: _new("Transpose", p=t.p),
    "D4": lambda t: _new("D4", p=t.p),
    "ToGray": lambda t: None if t.method != "weighted_average" or t.num_output_channels != 3
    else _new("Grayscale", p=t.p),
    "ChannelShuffle": lambda t: _new("ChannelShuffle", p=t.p),
    "ChannelDropout": lambda t: _new("ChannelDropout", channel_drop_range=tuple(
        t.channel_drop_range), fill_value=t.fill, p=t.p),
    "RandomGamma": lambda t: _new("RandomGamma", gamma=tuple(v / 100.0 for v in t.gamma_limit),
                                  p=t.p),
    "GaussNoise": lambda t: None if t.noise_scale_factor != 1 else _new(
        "GaussianNoise", std=tuple(t.std_range), mean=tuple(t.mean_range),
        per_channel=t.per_channel, p=t.p),
    "SaltAndPepper": lambda t: _new("SaltAndPepper", amount=tuple(t.amount),
                                    salt_vs_pepper=tuple(t.salt_vs_pepper), p=t.p),
    "MedianBlur": lambda t: _new("MedianBlur", kernel=tuple(t.blur_limit), p=t.p),
    "Sharpen": lambda t: None if t.method != "kernel" else _new(
        "Sharpen", alpha=tuple(t.alpha), lightness=tuple(t.lightness), p=t.p),
    "Normalize": lambda t: None if (t.normalization != "standard" or t.max_pixel_value != 255
                                    or t.p != 1) else _new("Normalize", mean=t.mean, std=t.std),
    "HueSaturationValue": lambda t: _new(
        "HueSaturationValue", hue_shift_limit=tuple(t.hue_shift_limit),
        sat_shift_limit=tuple(t.sat_shift_limit), val_shift_limit=tuple(t.val_shift_limit),
        p=t.p),
    "CLAHE": lambda t: _new("CLAHE", clip_limit=tuple(t.clip_limit),
                            tile_grid_size=tuple(t.tile_grid_size), p=t.p),
    "ImageCompression": lambda t: None if t.compression_type != "jpeg" else _new(
        "JpegCompression", quality=tuple(t.quality_range), p=t.p),
    "PlanckianJitter": lambda t: None if t.sampling_method != "uniform" else _new(
        "PlanckianJitter", temperature=tuple(t.temperature_limit), mode=t.mode, p=t.p),
    "Illumination": lambda t: _new(
        "Illumination", mode=t.mode, intensity=tuple(t.intensity_range), effect=t.effect_type,
        angle=tuple(t.angle_range), center=tuple(t.center_range), sigma=tuple(t.sigma_range)),
    # the warps of issue 15 (masks nearest only; p is added by the lead for every twin)
    "Perspective": lambda t: None if t.mask_interpolation != 0 else _new(
        "Perspective", scale=tuple(t.scale), keep_size=t.keep_size, fit_output=t.fit_output,
        interpolation=_INTERP[t.interpolation], **_fills(t)),
    "OpticalDistortion": lambda t: None if t.mask_interpolation != 0 else _new(
        "OpticalDistortion", distort_limit=tuple(t.distort_limit), mode=t.mode,
        interpolation=_INTERP[t.interpolation], **_fills(t)),
    "ThinPlateSpline": lambda t: None if t.mask_interpolation != 0 else _new(
        "ThinPlateSpline", scale_range=tuple(t.scale_range),
        num_control_points=t.num_control_points, interpolation=_INTERP[t.interpolation],
        **_fills(t)),
}


def _poor(name, **kw):
    from . import flip

    return getattr(flip, name)(**kw)


def native_op(t) -> Op | None:
    """The native augkit op for `t`, or None when it (or a child) has no exact twin."""
    name = type(t).__name__
    if name in ("Compose", "Sequential"):
        ops = [native_op(c) for c in t.transforms]
        if not ops or any(o is None for o in ops):
            return None
        from ..compose import Seq

        return Seq(tuple(ops), p=float(getattr(t, "p", 1.0)))
    build = NATIVE.get(name)
    try:
        op = None if build is None else build(t)
    except (AttributeError, TypeError, ValueError):  # an unexpected field value: wrap it
        return None
    if op is not None and type(op).contract_p and float(t.p) != op.p:
        op = dataclasses.replace(op, p=float(t.p))  # the contract's p (builders may omit it)
    return op
