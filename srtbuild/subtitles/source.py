"""A subtitle file's bytes, read so that no file a tree can hold stops the reader.

Sources are files in users' trees: a FIFO or a device can be named like a subtitle, a
symlink can dangle or loop, a file can vanish or grow while it is read. Each of those is a
SubtitleError that says plainly why, never a read that blocks or exhausts memory.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from srtbuild.errors import SubtitleError
from srtbuild.names import escape_name

MAX_BYTES = 200 * 1024 * 1024  # refuse absurd inputs before reading them whole


def read_source(source: str | Path, display: str) -> bytes:
    """The bytes of a source, or SubtitleError saying plainly why there are none. Opened
    without blocking, so a FIFO named like a subtitle cannot hang the build."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(source, flags)
    except OSError as exc:
        raise SubtitleError(_unreadable(source, exc), display) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SubtitleError(f"not a regular file ({_kind(st.st_mode)}); nothing to read", display)
        if st.st_size > MAX_BYTES:
            raise SubtitleError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB; not a subtitle file", display)
        data = _read_upto(fd, st.st_size, MAX_BYTES + 1)
    except OSError as exc:
        raise SubtitleError(_unreadable(source, exc), display) from None
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:  # it grew while being read
        raise SubtitleError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB; not a subtitle file", display)
    return data


def _read_upto(fd: int, size: int, limit: int) -> bytes:
    """The file's bytes, at most `limit`: what stat says is there (no buffer reserved up
    front, which a memory ceiling would refuse for a 200 MiB one), then on in case the
    file grew. Plain reads of the descriptor: a file that would block (EAGAIN) or cannot
    be read raises OSError."""
    parts = []
    got = 0
    want = min(size, limit) or 1 << 16
    while got < limit:
        chunk = os.read(fd, min(want, limit - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
        want = 1 << 20
    return b"".join(parts)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a file"


def _unreadable(source: str | Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "cannot read: a symbolic link that loops"
    if exc.errno == errno.ENOENT and os.path.islink(source):
        try:
            return f"cannot read: a symbolic link to a missing file ({escape_name(os.readlink(source))})"
        except OSError:
            return "cannot read: a symbolic link to a missing file"
    if exc.errno == errno.ENOENT:
        return "cannot read: the file is gone (deleted or renamed)"
    if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
        return "cannot read: it would wait for data (a device or a special file)"
    return f"cannot read: {exc.strerror or exc}"
