"""When a source must be processed again, decided before doit starts.

`outdated` makes doit's whole decision for a process task (srtbuild.engine.tasks.Current: the
settings digest, version and last status; the targets; the file dependencies) for every
source from a few fields of the state, so that `srtbuild batch` hands doit only the
sources it would run: building 10,000 doit tasks to find them all up to date costs
seconds. It imports nothing of doit.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from srtbuild import __version__
from srtbuild.confined import OutputRoot
from srtbuild.engine.discovery import Source
from srtbuild.engine.state import read_briefs, read_values
from srtbuild.errors import SrtbuildError
from srtbuild.names import escape_name
from srtbuild.subtitles.source import MAX_BYTES

if TYPE_CHECKING:
    from srtbuild.engine.project import Build

PROCESS = "process"  # the basename of the per-source tasks
DONE = ("ok", "empty")  # how a processed source may end and stay up to date
CHECKER = "SourceChecker"  # the file checker's name doit saves (srtbuild.engine.tasks)


def file_md5(path: str) -> str:
    """The hash doit keeps of a file dependency (md5 of its bytes, as doit computes it).
    Raises OSError for anything but a readable regular file no larger than a subtitle
    file may be: it never blocks on a FIFO or a /proc file, and never spends minutes
    hashing a huge (or sparse) file that processing would refuse anyway."""
    digest = hashlib.md5(usedforsecurity=False)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        if st.st_size > MAX_BYTES:
            raise OSError(errno.EFBIG, "too large for a subtitle file", path)
        left = MAX_BYTES + 1  # /proc files say they are empty and never end
        while left > 0:
            block = os.read(fd, min(1 << 16, left))  # EAGAIN (an OSError) where no data can come
            if not block:
                break
            digest.update(block)
            left -= len(block)
        if left <= 0:
            raise OSError(errno.EFBIG, "too large for a subtitle file", path)
    finally:
        os.close(fd)
    return digest.hexdigest()


def compare_state(path: str, st: os.stat_result, state: Any, md5: Callable[[str], str] = file_md5) -> str:
    """A file against the state doit saved of it, as doit's md5 check decides: "same"
    (same mtime), "touched" (new mtime, same bytes) or "changed" (other size or bytes,
    no usable state, not a regular file, unreadable). The one rule both the doit
    checker and the pre-doit check apply."""
    if not (stat.S_ISREG(st.st_mode) and isinstance(state, (list, tuple)) and len(state) == 3):
        return "changed"
    if st.st_mtime == state[0]:
        return "same"
    return _rehashed(path, st, state, md5)


def compare_output(path: str, st: os.stat_result, stamp: Any) -> str:
    """An output against the stamp [mtime_ns, size, md5] taken when it was written:
    "same", "touched" (new mtime, same bytes) or "changed" (a run killed after writing it
    and before saving its state; an edit by hand; no usable stamp)."""
    if not (stat.S_ISREG(st.st_mode) and isinstance(stamp, list) and len(stamp) == 3):
        return "changed"
    if st.st_mtime_ns == stamp[0] and st.st_size == stamp[1]:
        return "same"
    return _rehashed(path, st, stamp)


def _rehashed(path: str, st: os.stat_result, state: Any, md5: Callable[[str], str] = file_md5) -> str:
    """The rest of both checks once the times differ: the same size and bytes ("touched")
    or not ("changed")."""
    if st.st_size != state[1]:
        return "changed"
    try:
        return "touched" if md5(path) == state[2] else "changed"
    except OSError:
        return "changed"


# Where a refreshed output stamp is kept in a task's state row (the action's values keep
# the one taken when it was written; doit gives an uptodate check no way to change those).
OUT_KEY = "out:"

# A source whose bytes are unchanged but whose mtime moved (a clone, a touch) is up to
# date, yet goes through doit once so that `Current` stores the new mtime.
REFRESH = "mtime changed, same bytes"
# The bytes a task processed are not those its state holds: edited while it ran.
CHANGED_WHILE_PROCESSED = "source changed while it was processed"


def outdated(build: "Build", force: bool = False) -> list[tuple[Source, str]]:
    """The sources a run must hand to doit, each with the reason, without building doit
    tasks: the same decision doit makes with `Current`, the targets and the file
    dependencies, at a fraction of its cost on a large, mostly built collection. Reads
    the state; writes nothing."""
    if force:
        return [(src, "forced (--force)") for src in build.sources]
    where = build.where
    state_file = str(where.absolute(where.state_file))
    shared = build.glossary_deps()
    src_prefix = "" if where.input == "." else where.input + os.sep
    briefs = read_briefs(state_file, PROCESS + ":", src_prefix, shared)
    # Rows the brief could not read (a quote in a file name): read them whole.
    odd = [f"{PROCESS}:{name}" for name, b in briefs.items() if b.own is None or None in b.shared]
    rows = read_values(state_file, odd) if odd else {}
    check = _Check(build, shared)
    result: list[tuple[Source, str]] = []
    for src in build.sources:
        brief = briefs.get(src.name)
        row = rows.get(f"{PROCESS}:{src.name}")
        if row is not None:
            reason = check.row(src, row)
        elif brief is None:
            reason = "new"
        else:
            reason = check.brief(src, brief)
        if reason:
            result.append((src, reason))
    return result


class _Check:
    """One source against its saved state, as doit plus `Current` would judge it."""

    def __init__(self, build: "Build", shared: list[str]) -> None:
        self.key = build.key
        self.digest = build.settings.digest()
        self.shared = shared
        self.base = str(build.where.base)
        self.where = build.where
        self.root = OutputRoot(build.where.absolute(build.where.output))
        self.prefix = self.base + os.sep
        self.listings: dict[str, frozenset[str]] = {}
        self.stats: dict[str, os.stat_result | None] = {}

    def exists(self, path: str) -> bool:
        # One directory listing instead of a stat per file: sidecars sit 50 to a folder.
        folder, _, name = path.rpartition(os.sep)
        names = self.listings.get(folder)
        if names is None:
            # Regular files only (the kind is in the listing, no stat needed): a link or a
            # folder planted at a sidecar's name is not one.
            try:
                with os.scandir(os.path.join(self.base, folder)) as it:
                    names = frozenset(e.name for e in it if e.is_file(follow_symlinks=False))
            except FileNotFoundError:
                names = frozenset()
            except OSError:  # a path longer than the system takes: one folder at a time
                try:
                    names = frozenset(n for n, st in self.root.entries(self.where.under_output(folder))
                                      if stat.S_ISREG(st.st_mode))
                except (OSError, SrtbuildError):
                    names = frozenset()
            self.listings[folder] = names
        return name in names

    def _stat(self, path: str, shared: bool) -> os.stat_result | None:
        if shared and path in self.stats:
            return self.stats[path]
        try:
            st: os.stat_result | None = os.stat(os.path.join(self.base, path))
        except OSError:
            st = None
        if shared:
            self.stats[path] = st
        return st

    def _values(self, build: str | None, status: str | None, src: Source, checker: str | None = CHECKER) -> str | None:
        if status not in DONE:
            return "failed last time"
        if checker != CHECKER:
            return f"srtbuild upgraded (now {__version__})"
        if build != self.key:
            built_digest = str(build or "").split(":", 1)[0]
            return "settings changed" if built_digest != self.digest else f"srtbuild upgraded (now {__version__})"
        return None

    def _output(self, src: Source, stamp: Any) -> str | None:
        """None if the output and sidecar are there and the output is as it was written,
        REFRESH if only its mtime moved (a copy, a restored cache), else the reason.
        `stamp` is [mtime_ns, size, md5] as a list or as its JSON text."""
        if not self.exists(src.sidecar):
            return "output missing"
        st = self._out_stat(src.output)
        if st is None:
            return "output missing"
        if isinstance(stamp, str):
            if stamp.startswith(f"[{st.st_mtime_ns},{st.st_size},"):
                return None
            stamp = json.loads(stamp)
        verdict = compare_output(os.path.join(self.base, src.output), st, stamp)
        return None if verdict == "same" else REFRESH if verdict == "touched" else "output changed since it was written"

    def _out_stat(self, path: str) -> os.stat_result | None:
        try:  # lstat: a link in place of an output is not the output
            return os.lstat(self.prefix + path if path[0] != os.sep else path)
        except FileNotFoundError:
            return None
        except OSError:  # a path longer than the system takes: one folder at a time
            try:
                return self.root.stat(self.where.under_output(path))
            except (OSError, SrtbuildError):
                return None

    def _dep(self, path: str, state_text: str | None, state: Any, shared: bool) -> str | None:
        """None if unchanged, REFRESH if only the mtime moved, else the reason."""
        changed = "glossary changed" if shared else "source changed"
        st = self._stat(path, shared)
        if st is None:
            return f"{escape_name(path)} missing"
        if state_text is not None:
            # Stored as doit wrote it: `[mtime,size,"md5"]`; the same mtime text means the
            # same file, as doit's own check says, without decoding anything.
            if state_text.startswith(f"[{st.st_mtime!r},") and stat.S_ISREG(st.st_mode):
                return None
            state = json.loads(state_text)
        verdict = compare_state(os.path.join(self.base, path), st, state)
        return None if verdict == "same" else REFRESH if verdict == "touched" else changed

    def _deps(self, src: Source, deps: Any, states: list[tuple[str | None, Any]]) -> str | None:
        if not (isinstance(deps, list) and all(isinstance(d, str) for d in deps)):
            return "source changed"
        if set(deps) != {src.source, *self.shared}:
            return "glossary files changed"
        refresh = False
        for (text, state), path, shared in zip(states, [src.source, *self.shared], [False] + [True] * len(self.shared)):
            verdict = self._dep(path, text, state, shared)
            if verdict == REFRESH:
                refresh = True
            elif verdict:
                return verdict
        return REFRESH if refresh else None

    def brief(self, src: Source, b: Any) -> str | None:
        reason = self._values(b.build, b.status, src, b.checker)
        if reason:
            return reason
        out = self._output(src, b.out)
        if out is not None and out != REFRESH:
            return out
        if b.own is not None and not b.own.endswith(f',"{b.md5}"]'):
            return CHANGED_WHILE_PROCESSED
        if not self.shared and b.own is not None and b.deps == f'["{src.source}"]':
            # The common case, decided on text alone: one dependency, its mtime unchanged.
            try:
                st = os.stat(self.prefix + src.source if src.source[0] != os.sep else src.source)
            except OSError:
                return "source missing"
            if b.own.startswith(f"[{st.st_mtime!r},") and stat.S_ISREG(st.st_mode):
                return out
        if b.deps is None:
            return "source changed"
        return self._deps(src, json.loads(b.deps), [(b.own, None), *((t, None) for t in b.shared)]) or out

    def row(self, src: Source, data: dict) -> str | None:
        values = data.get("_values_:") or {}
        reason = self._values(values.get("build"), values.get("status"), src, data.get("checker:"))
        if reason:
            return reason
        out = self._output(src, data.get(OUT_KEY) or values.get("out"))
        if out is not None and out != REFRESH:
            return out
        own = data.get(src.source)
        if not (isinstance(own, list) and len(own) == 3 and own[2] == values.get("md5")):
            return CHANGED_WHILE_PROCESSED
        if data.get("deps:") is None:
            return "source changed"
        states = [(None, data.get(src.source)), *((None, data.get(d)) for d in self.shared)]
        return self._deps(src, data["deps:"], states) or out
