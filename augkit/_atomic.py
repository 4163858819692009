"""Files replaced whole: a crash or ``kill -9`` leaves the old file or the new one, never half
of one (run directories are resumed from what they hold)."""

from __future__ import annotations

import os
from pathlib import Path


def write_bytes(path, data: bytes) -> None:
    path = Path(path)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_text(path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def save_torch(path, obj) -> None:
    import io

    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    write_bytes(path, buf.getvalue())
