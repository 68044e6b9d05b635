"""Files the fund must not lose half-written: bank files, exports."""

from __future__ import annotations

import os
from pathlib import Path


def write_durably(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves either no file or the whole file: to a
    temporary name beside it, flushed and synced to disk, renamed over `path`, and the
    directory synced so that the rename itself survives a power cut."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
