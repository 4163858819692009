"""Kernels of HueSaturationValue, CLAHE, JpegCompression and PlanckianJitter, defined as
albumentations 2.0.8 defines them (OpenCV's HSV / LAB conversions, its CLAHE, its JPEG codec).

Images are HWC or HW, uint8 or float32 in [0, 1]; every kernel returns the input's shape
and dtype. `shift_hsv`, `clahe` and `jpeg` work on uint8: `via_uint8` runs them on float32
images the way albumentations' ``uint8_io`` does (``rint(x * 255)``, then ``/ 255``).
"""

from __future__ import annotations

import functools

import numpy as np

from .color import channels

# PlanckianJitter's chromaticities (R, G, B) every 500 K, albumentations' PLANCKIAN_COEFFS
_BLACKBODY = (
    (0.6743, 0.4029, 0.0013), (0.6281, 0.4241, 0.1665), (0.5919, 0.4372, 0.2513),
    (0.5623, 0.4457, 0.3154), (0.5376, 0.4515, 0.3672), (0.5163, 0.4555, 0.4103),
    (0.4979, 0.4584, 0.4468), (0.4816, 0.4604, 0.4782), (0.4672, 0.4619, 0.5053),
    (0.4542, 0.463, 0.5289), (0.4426, 0.4638, 0.5497), (0.432, 0.4644, 0.5681),
    (0.4223, 0.4648, 0.5844), (0.4135, 0.4651, 0.599), (0.4054, 0.4653, 0.6121),
    (0.398, 0.4654, 0.6239), (0.3911, 0.4655, 0.6346), (0.3847, 0.4656, 0.6444),
    (0.3787, 0.4656, 0.6532), (0.3732, 0.4656, 0.6613), (0.368, 0.4655, 0.6688),
    (0.3632, 0.4655, 0.6756), (0.3586, 0.4655, 0.682), (0.3544, 0.4654, 0.6878),
    (0.3503, 0.4653, 0.6933))  # 3000 K .. 15000 K
_CIED = (
    (0.5829, 0.4421, 0.2288), (0.551, 0.4514, 0.2948), (0.5246, 0.4576, 0.3488),
    (0.5021, 0.4618, 0.3941), (0.4826, 0.4646, 0.4325), (0.4654, 0.4667, 0.4654),
    (0.4502, 0.4681, 0.4938), (0.4364, 0.4692, 0.5186), (0.424, 0.47, 0.5403),
    (0.4127, 0.4705, 0.5594), (0.4023, 0.4709, 0.5763), (0.3928, 0.4713, 0.5914),
    (0.3839, 0.4715, 0.6049), (0.3757, 0.4716, 0.6171), (0.3681, 0.4717, 0.6281),
    (0.3609, 0.4718, 0.638), (0.3543, 0.4719, 0.6472), (0.348, 0.4719, 0.6555),
    (0.3421, 0.4719, 0.6631), (0.3365, 0.4719, 0.6702), (0.3313, 0.4719, 0.6766),
    (0.3263, 0.4719, 0.6826), (0.3217, 0.4719, 0.6882))  # 4000 K .. 15000 K
PLANCKIAN = {"blackbody": (3000, _BLACKBODY), "cied": (4000, _CIED)}  # first K, table
MAX_TEMPERATURE = 15000


def via_uint8(fn, img: np.ndarray, *args) -> np.ndarray:
    """`fn` (a uint8 kernel) on `img`; a float32 image goes through uint8 as in
    albumentations' ``uint8_io``: ``clip(rint(x * 255))`` in, ``/ 255`` out."""
    if img.dtype == np.uint8:
        return fn(img, *args)
    u8 = np.clip(np.rint(img * np.float32(255)), 0, 255).astype(np.uint8)
    return fn(u8, *args).astype(np.float32) / np.float32(255)


def _lut(img: np.ndarray, lut: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.LUT(img, lut).reshape(img.shape)


@functools.lru_cache(maxsize=512)
def _add_lut(shift: int) -> np.ndarray:
    return np.clip(np.arange(256) + shift, 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=512)
def _hue_lut(shift: float) -> np.ndarray:
    return np.mod(np.arange(256, dtype=np.int16) + shift, 180).astype(np.uint8)


def _split_alpha(img):
    return (img[:, :, :3], img[:, :, 3:]) if channels(img) == 4 else (img, None)


def _merge_alpha(rgb, alpha):
    return rgb if alpha is None else np.concatenate([rgb, alpha], axis=2)


def shift_hsv(img: np.ndarray, hue: float, sat: float, val: float) -> np.ndarray:
    """albumentations' ``shift_hsv`` on uint8: RGB -> OpenCV HSV (H in [0, 180)); H becomes
    ``floor((H + hue) mod 180)``, S and V get ``int(shift)`` (truncated toward zero, as
    albumentations' ``add_constant``) added with saturation, pixels with S = 0 keep S = 0;
    back to RGB. Grey images take the value shift only (hue and saturation have no meaning
    there). An alpha channel is kept. All shifts 0: the image itself, unconverted."""
    import cv2

    if hue == 0 and sat == 0 and val == 0:
        return img.copy()
    if channels(img) in (0, 1):
        return _lut(img, _add_lut(int(val)))
    rgb, alpha = _split_alpha(img)
    h, s, v = cv2.split(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2HSV))
    if hue != 0:
        h = _lut(h, _hue_lut(float(hue)))
    if sat != 0:
        grey = s == 0
        s = _lut(s, _add_lut(int(sat)))
        s[grey] = 0
    if val != 0:
        v = _lut(v, _add_lut(int(val)))
    out = cv2.cvtColor(cv2.merge((h, s, v)), cv2.COLOR_HSV2RGB)
    return _merge_alpha(out, alpha)


def clahe(img: np.ndarray, clip_limit: float, grid: tuple[int, int]) -> np.ndarray:
    """OpenCV's CLAHE (``createCLAHE(clip_limit, grid)``, `grid` passed as OpenCV's
    ``tileGridSize``) on uint8: directly on a grey image, on the L channel of OpenCV's LAB
    for RGB (as albumentations); an alpha channel is kept."""
    import cv2

    op = cv2.createCLAHE(clipLimit=float(clip_limit), tileGridSize=tuple(grid))
    if channels(img) in (0, 1):
        return op.apply(np.ascontiguousarray(img.reshape(img.shape[:2]))).reshape(img.shape)
    rgb, alpha = _split_alpha(img)
    lab = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = op.apply(np.ascontiguousarray(lab[:, :, 0]))
    return _merge_alpha(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), alpha)


def _codec(img: np.ndarray, quality: int, flag: int) -> np.ndarray:
    import cv2

    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(img),
                           (int(cv2.IMWRITE_JPEG_QUALITY), int(quality)))
    if not ok:  # pragma: no cover - OpenCV's JPEG encoder takes every uint8 size augkit makes
        raise RuntimeError(f"cv2.imencode('.jpg') failed on {img.shape}")
    return cv2.imdecode(buf, flag)


def jpeg(img: np.ndarray, quality: int, rgb: bool = False) -> np.ndarray:
    """A JPEG round trip at `quality` (1-100) through OpenCV's codec, channel by channel as
    albumentations' ``image_compression``: one channel as a grey JPEG; 2 channels padded
    with a zero third; 3 channels encoded as they are (OpenCV reads them as BGR, so the
    chroma planes are those of the swapped order, exactly as albumentations); the channels
    after the third each as a grey JPEG. ``rgb=True`` encodes the first three as RGB (the
    JPEG colour transform of the true order: libjpeg's, as torchvision's ``JPEG``)."""
    import cv2

    c = channels(img)
    if c in (0, 1):
        return _codec(img.reshape(img.shape[:2]), quality,
                      cv2.IMREAD_GRAYSCALE).reshape(img.shape)
    if c == 2:
        padded = np.concatenate([img, np.zeros(img.shape[:2] + (1,), np.uint8)], axis=2)
        return np.ascontiguousarray(_codec(padded, quality, cv2.IMREAD_UNCHANGED)[:, :, :2])
    if rgb:
        out = _codec(img[:, :, 2::-1], quality, cv2.IMREAD_UNCHANGED)[:, :, ::-1]
    else:
        out = _codec(img[:, :, :3], quality, cv2.IMREAD_UNCHANGED)
    if c == 3:
        return np.ascontiguousarray(out)
    extra = [_codec(img[:, :, i], quality, cv2.IMREAD_GRAYSCALE) for i in range(3, c)]
    return np.dstack([out, *extra])


def planckian_coeffs(temperature: float, mode: str) -> tuple[float, float]:
    """The (R / G, B / G) gains of the illuminant at `temperature` K: the table's
    chromaticities interpolated linearly between the 500 K steps around it (albumentations'
    rule, the temperature clamped to the table)."""
    first, table = PLANCKIAN[mode]
    last = first + 500 * (len(table) - 1)
    t = min(max(float(temperature), first), last)
    left = max((t // 500) * 500, first)
    right = min((t // 500 + 1) * 500, last)
    lc = np.array(table[int(left - first) // 500])
    if left == right:
        rgb = lc
    else:
        w = (t - left) / (right - left)
        rgb = (1 - w) * lc + w * np.array(table[int(right - first) // 500])
    return float(rgb[0] / rgb[1]), float(rgb[2] / rgb[1])


def planckian(img: np.ndarray, temperature: float, mode: str) -> np.ndarray:
    """Multiply R by R / G and B by B / G of the illuminant (`planckian_coeffs`); G and an
    alpha channel are kept. uint8 through OpenCV's ``transform`` with the diagonal matrix
    (rounded to the nearest level and saturated; 3x faster than a per-channel table at
    256^2; albumentations truncates: within one level), float32 clipped to [0, 1]."""
    r, b = planckian_coeffs(temperature, mode)
    if img.dtype == np.uint8:
        import cv2

        gains = np.diag([r, 1.0, b, 1.0][:img.shape[2]])
        return cv2.transform(img, gains).reshape(img.shape)
    out = img.copy()
    for i, g in ((0, r), (2, b)):
        np.clip(img[:, :, i] * np.float32(g), 0.0, 1.0, out=out[:, :, i])
    return out
