"""Atomic writes, and every write, read and delete under a build's output folder made
so that no symbolic link can send it elsewhere.

The output folder is data that other people may control: a shared folder, a CI cache
restored from another branch, a committed `build/`. A symlink planted anywhere in it
(`.srtbuild/history -> /etc`, `course1 -> ~`) must not make a build write, truncate or
delete a file outside it. So `OutputRoot` never passes a path under the root to the
operating system: it opens the root, then each folder below it relative to the one
before with O_NOFOLLOW, and does the final create, rename, read or unlink relative to
that folder's descriptor. A link on the way is refused (LinkRefused); a link as the
final name is replaced or removed as a name, never followed. Long paths cost nothing
extra: no call sees more than one name.

The root itself may be a symlink: the user chose where it points.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from srtbuild.errors import SrtbuildError

TMP_PREFIX = ".srtbuild-"
TMP_SUFFIX = ".tmp"
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# Without descriptor-relative calls (Windows) paths are checked with lstat instead.
_AT = _NOFOLLOW != 0 and os.open in os.supports_dir_fd and os.unlink in os.supports_dir_fd


class LinkRefused(SrtbuildError):
    """A folder on the way to a file under the output root is a symlink (or not a folder)."""

    exit_code = 2


def _parts(rel: str) -> list[str]:
    parts = [p for p in rel.replace(os.sep, "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise LinkRefused(f"{rel}: '..' would leave the output folder")
    return parts


def _tmp_name() -> str:
    return f"{TMP_PREFIX}{secrets.token_hex(6)}{TMP_SUFFIX}"


def _write_in(dir_fd: int | None, folder: str, name: str, data: bytes) -> None:
    """Create a fresh temporary file beside `name`, write, rename over `name`. `dir_fd`
    None means `folder` is a plain path (no confinement wanted, or no *at calls)."""
    tmp = _tmp_name()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    if dir_fd is not None:
        fd = os.open(tmp, flags, 0o666, dir_fd=dir_fd)  # the umask applies, as to any new file
    else:
        fd = os.open(os.path.join(folder, tmp), flags, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.close(fd)
        fd = -1
        if dir_fd is not None:
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        else:
            os.replace(os.path.join(folder, tmp), os.path.join(folder, name))
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            if dir_fd is not None:
                os.unlink(tmp, dir_fd=dir_fd)
            else:
                os.unlink(os.path.join(folder, tmp))
        except OSError:
            pass
        raise


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write a file the user named (not under an output root): a reader sees the old file
    or the new one, never half of one. Same folder, because a rename is atomic only
    within one file system. Not flushed to disk: outputs can be rebuilt, as make's can."""
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    _write_in(None, folder, os.path.basename(path), data)


class OutputRoot:
    """An output folder; `rel` paths below it use `/` or the native separator."""

    def __init__(self, path: str | Path) -> None:
        self.path = os.path.abspath(os.fspath(path))

    def __repr__(self) -> str:
        return f"OutputRoot({self.path!r})"

    def shown(self, rel: str) -> str:
        return os.path.join(self.path, *_parts(rel))

    # folders -----------------------------------------------------------------------
    @contextmanager
    def folder(self, rel: str, create: bool = False) -> Iterator[int | None]:
        """A descriptor of the folder `rel` (None where there are no *at calls); each
        name on the way is opened without following links. FileNotFoundError if it does
        not exist and `create` is false."""
        parts = _parts(rel)
        if not _AT:
            self._check_path(parts, create)
            yield None
            return
        if create:
            os.makedirs(self.path, exist_ok=True)
        fd = os.open(self.path, _DIR_FLAGS)
        try:
            for i, part in enumerate(parts):
                nfd = self._step(fd, part, parts[: i + 1], create)
                os.close(fd)
                fd = nfd
            yield fd
        finally:
            os.close(fd)

    def _step(self, fd: int, part: str, upto: list[str], create: bool) -> int:
        """Open the folder `part` inside `fd` (the caller closes `fd`)."""
        try:
            return os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise
        except OSError as exc:
            self._refuse(exc, upto)
        try:
            os.mkdir(part, 0o777, dir_fd=fd)
        except FileExistsError:
            pass
        try:
            return os.open(part, _DIR_FLAGS | _NOFOLLOW, dir_fd=fd)
        except OSError as exc:
            self._refuse(exc, upto)
            raise

    def _refuse(self, exc: OSError, upto: list[str]) -> None:
        where = os.path.join(self.path, *upto)
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            try:
                is_link = stat.S_ISLNK(os.lstat(where).st_mode)
            except OSError:
                is_link = False
            what = "is a symbolic link" if is_link else "is not a folder"
            raise LinkRefused(f"{where}: {what}; srtbuild writes nothing through it "
                              "(remove it, or choose another output folder)") from None
        raise exc

    def _check_path(self, parts: list[str], create: bool) -> None:
        path = self.path
        for i, part in enumerate(parts):
            path = os.path.join(path, part)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                if not create:
                    raise
                os.makedirs(path, exist_ok=True)
                continue
            if not stat.S_ISDIR(st.st_mode):
                self._refuse(OSError(errno.ENOTDIR, "not a folder"), parts[: i + 1])

    def _plain(self, parts: list[str]) -> str:
        return os.path.join(self.path, *parts)

    # files -------------------------------------------------------------------------
    def write(self, rel: str, data: bytes) -> None:
        """Write `rel` atomically, making its folders; a symlink at `rel` is replaced."""
        parts = _parts(rel)
        with self.folder("/".join(parts[:-1]), create=True) as fd:
            _write_in(fd, self._plain(parts[:-1]), parts[-1], data)

    def read(self, rel: str, limit: int = -1) -> bytes:
        """The bytes of the regular file `rel` (at most `limit`); never through a link."""
        parts = _parts(rel)
        with self.folder("/".join(parts[:-1])) as dir_fd:
            flags = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
            if dir_fd is not None:
                fd = os.open(parts[-1], flags, dir_fd=dir_fd)
            else:
                fd = os.open(self._plain(parts), flags)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, "not a regular file", self._plain(parts))
            with os.fdopen(fd, "rb", closefd=False) as fh:
                return fh.read(limit)
        finally:
            os.close(fd)

    def link(self, rel: str, new: str) -> None:
        """Give the regular file `rel` the second name `new` (a hard link: no byte copied),
        making `new`'s folders. OSError where links cannot be made (another file system
        kind, a link or no file at `rel`); the caller copies instead."""
        src, dst = _parts(rel), _parts(new)
        with self.folder("/".join(dst[:-1]), create=True) as dst_fd, self.folder("/".join(src[:-1])) as src_fd:
            if src_fd is None or dst_fd is None:
                os.link(self._plain(src), self._plain(dst), follow_symlinks=False)
            else:
                os.link(src[-1], dst[-1], src_dir_fd=src_fd, dst_dir_fd=dst_fd, follow_symlinks=False)

    def _remove(self, parts: list[str], op) -> None:
        """`op` (os.unlink or os.rmdir) on the last name, relative to its folder."""
        with self.folder("/".join(parts[:-1])) as fd:
            if fd is not None:
                op(parts[-1], dir_fd=fd)
            else:
                op(self._plain(parts))

    def unlink(self, rel: str) -> bool:
        """Remove the name `rel` (a file or a link, never what a link points to); False if
        it was not there or a folder on the way is missing."""
        try:
            self._remove(_parts(rel), os.unlink)
        except (FileNotFoundError, IsADirectoryError):
            return False
        return True

    def prune(self, rel: str) -> None:
        """Remove the folder `rel` and then each parent below the root while empty."""
        parts = _parts(rel)
        while parts:
            try:
                self._remove(parts, os.rmdir)
            except OSError:
                return  # not empty, not there, or a link: leave it
            parts = parts[:-1]

    def entries(self, rel: str) -> list[tuple[str, os.stat_result]]:
        """(name, lstat) of each entry of folder `rel` (none if it is missing); never
        through a link."""
        try:
            with self.folder(rel) as fd:
                if fd is None:
                    folder = self._plain(_parts(rel))
                    return [(n, os.lstat(os.path.join(folder, n))) for n in os.listdir(folder)]
                out = []
                for name in os.listdir(fd):
                    try:
                        out.append((name, os.stat(name, dir_fd=fd, follow_symlinks=False)))
                    except FileNotFoundError:
                        continue  # gone since the listing
                return out
        except FileNotFoundError:
            return []

    def stat(self, rel: str) -> os.stat_result | None:
        """lstat of `rel` (None if it is missing)."""
        parts = _parts(rel)
        try:
            with self.folder("/".join(parts[:-1])) as fd:
                if not parts:
                    return os.lstat(self.path)
                if fd is not None:
                    return os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
                return os.lstat(self._plain(parts))
        except FileNotFoundError:
            return None

    def check_folder(self, rel: str) -> None:
        """Refuse (LinkRefused) if the folder `rel`, or one on the way to it, exists and is
        a symlink or not a folder; a folder not made yet is fine."""
        try:
            with self.folder(rel):
                pass
        except FileNotFoundError:
            pass

    def check_plain(self, rel: str, single: bool = False) -> None:
        """Refuse if `rel`, or a folder on the way to it, exists and is a symlink: for
        files that other programs open by path (SQLite's database and journals). With
        `single`, refuse too a file that is not a regular file or has other hard links:
        another program writing into it in place would write into them."""
        st = self.stat(rel)  # the folders on the way are refused as `folder` refuses them
        if st is None:
            return
        if stat.S_ISLNK(st.st_mode):
            raise LinkRefused(f"{self.shown(rel)}: is a symbolic link; srtbuild writes nothing through it "
                              "(remove it, or choose another output folder)")
        if single and (not stat.S_ISREG(st.st_mode) or st.st_nlink > 1):
            raise LinkRefused(f"{self.shown(rel)}: is a hard link to another file (or not a file); srtbuild "
                              "writes nothing through it (remove it, or choose another output folder)")


def is_leftover(name: str) -> bool:
    """The name of a temporary file of an interrupted atomic write (`.srtbuild-XXXX.tmp`,
    or `.NAME.XXXX.tmp` as srtbuild 0.3 named them)."""
    return name.startswith(".") and name.endswith(TMP_SUFFIX)
