"""The call boundary: numpy (HWC), torch (CHW), PIL or `Sample` in, the same kind out.

torch and PIL are never imported here unless the caller already passed one of their objects
(we recognise them by the module of the type), so `import augkit` stays light.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import type_error, value_error
from .sample import Sample, check_image, check_sample


def _is_torch_tensor(x) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "permute")


def _is_pil(x) -> bool:
    return type(x).__module__.startswith("PIL.") and hasattr(x, "getbands")


def to_sample(x, op) -> tuple[Sample, Callable[[Sample], object]]:
    """Validate `x` and return it as a Sample plus a function that converts back."""
    if isinstance(x, np.ndarray):
        check_image(x, op)
        return Sample(x), _image_of
    if isinstance(x, Sample):
        return check_sample(x, op), _same
    if _is_torch_tensor(x):
        return _from_torch(x, op)
    if _is_pil(x):
        return _from_pil(x, op)
    raise type_error(op, "input", f"is {type(x).__module__}.{type(x).__name__}; expected a numpy "
                     "array (H, W, C), a torch tensor (C, H, W), a PIL image or augkit.Sample")


def _image_of(s: Sample):
    return s.image


def _same(s: Sample):
    return s


_TV_TARGETS = ("BoundingBoxes", "KeyPoints", "Mask")


def _from_torch(t, op):
    import torch

    if type(t).__name__ in _TV_TARGETS:  # a tv_tensors target is not an image
        raise type_error(op, "input", f"is a tv_tensors.{type(t).__name__} {tuple(t.shape)}; "
                         "augkit ops take images here: wrap the op with "
                         "augkit.interop.torchvision.as_v2(op) to transform tv_tensors targets")
    if t.ndim == 3:
        chw = True
    elif t.ndim == 2:
        chw = False
    else:
        raise value_error(op, "image", f"tensor has {t.ndim} dims {tuple(t.shape)}; expected "
                          "(C, H, W) or (H, W) (batches go through augkit.mix or op.batch)")
    if t.dtype not in (torch.uint8, torch.float32):
        raise type_error(op, "image", f"tensor has dtype {t.dtype} {tuple(t.shape)}; expected "
                         "torch.uint8, or torch.float32 in [0, 1]")
    check_tensor_storage(t, op, "image")
    device, cls = t.device, type(t)
    arr = t.detach().cpu().numpy()
    if chw:
        if t.shape[0] > 4 and t.shape[2] <= 4:
            raise value_error(op, "image", f"tensor {tuple(t.shape)} looks like HWC; augkit torch "
                              "images are (C, H, W): use t.permute(2, 0, 1)")
        arr = arr.transpose(1, 2, 0)
    check_image(arr, op, shape=tuple(t.shape))  # messages name the shape the caller gave

    def back(s: Sample):
        img = s.image
        if chw:
            img = img[:, :, None] if img.ndim == 2 else img
            img = img.transpose(2, 0, 1)
        out = torch.from_numpy(np.ascontiguousarray(img)).to(device)
        if cls is not torch.Tensor:  # tv_tensors.Image and friends keep their class
            out = out.as_subclass(cls)
        return out

    return Sample(arr), back


def check_tensor_storage(t, op, field: str) -> None:
    """Refuse tensors whose values cannot be read as a dense array: sparse layouts and the
    'meta' device (shape only, no data)."""
    import torch

    if t.layout != torch.strided:
        raise type_error(op, field, f"tensor has layout {t.layout} {tuple(t.shape)}; expected a "
                         "dense (strided) tensor: use t.to_dense()")
    if t.device.type == "meta":
        raise value_error(op, field, f"tensor is on the 'meta' device {tuple(t.shape)} and "
                          "holds no data; expected a tensor with values (CPU or GPU)")


def _from_pil(img, op):
    from PIL import Image

    if standardizes_output(op):  # (Whiten, or a pipeline ending in it)
        raise type_error(op, "input", f"is a PIL image (mode {img.mode!r}, size {img.size}); "
                         "its whitened output is float data with values outside [0, 1], which "
                         "PIL cannot hold (mode 'F' is one channel only): pass np.asarray(img) "
                         "for a float32 array back, or a tensor "
                         "(torchvision.transforms.functional.pil_to_tensor(img))")
    mode = img.mode
    if mode not in ("L", "RGB", "RGBA"):
        raise value_error(op, "image", f"PIL mode {mode!r} {img.size}; expected L, RGB or RGBA "
                          "(convert first, e.g. img.convert('RGB'))")
    arr = np.asarray(img)
    check_image(arr, op)

    def back(s: Sample):
        return Image.fromarray(np.ascontiguousarray(s.image))

    return Sample(arr), back


def standardizes_output(op) -> bool:
    """Whether `op` may return a standardised float32 image (outside [0, 1]): ops that set
    ``standardizes: ClassVar[bool] = True`` (Whiten), or combinators containing one."""
    if getattr(op, "standardizes", False) is True:
        return True
    return any(standardizes_output(c) for c in op.children())
