"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes 0600 files; written files get the mode any new file would get.
_MODE = 0o666 & ~_umask()


def write_atomic(path: str | Path, data: bytes, durable: bool = False) -> None:
    """Write to a temporary file in the same folder, then rename it over `path`.

    Same folder, because a rename is only atomic within one file system. A killed
    process leaves the old file or the new one, never half of one. `durable` also
    flushes the bytes to disk before the rename (survives a power cut, at about a
    millisecond a file); build outputs can be rebuilt, so they skip it, as make does.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), _MODE)
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
