"""Before the first file starts: how much work a run has, how long it should take, whether
the output's disk can hold it, and which sources will surely fail.

Running out of disk halfway through ten thousand files is worse than not starting: the
check refuses a run whose outputs, sidecars and reports cannot fit. A source that cannot
be read, is binary or is empty is named here, at once, rather than when its turn comes;
it still runs (and fails) alone, so the report lists it like any other.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from srtbuild.confined import OutputRoot
from srtbuild.engine.discovery import Source
from srtbuild.engine.project import Build
from srtbuild.errors import SrtbuildError, SubtitleError
from srtbuild.names import STATE_DIR
from srtbuild.processes import available_cpus
from srtbuild.reports.display import size_text
from srtbuild.reports.report import LAST_RUN
from srtbuild.reports.tracker import Workload
from srtbuild.subtitles.encoding import decode
from srtbuild.subtitles.source import read_source

# A typical speed of one worker, for a first run (measured on the shared corpus of real
# lectures on a 2-core machine: about 0.9 MB a second; taken lower, to promise less).
TYPICAL_BYTES_PER_S = 500_000
# What a file's outputs take beside its source: the corrected subtitle is about as large as
# the source, the sidecar (metrics, a warning per repaired line) about as large again plus
# its fixed part, and each source adds a few kB to the reports and their cache.
SIDECAR_FIXED = 2048
REPORT_PER_SOURCE = 4096
STATE_PER_FILE = 2048  # doit's state and its write-ahead log grow by about this a file
MARGIN = 1.25
SPARE = 1024 * 1024
_ARROWS = (b"-->", "-->".encode("utf-16-le"), "-->".encode("utf-16-be"))


class NoSpace(SrtbuildError):
    """The output's file system cannot hold what the run will write."""

    exit_code = 2


def survey(build: Build, todo: list[Source], up_to_date: int, jobs: int | None = None) -> Workload:
    """The work of processing `todo` with `jobs` workers (default: the build's); the
    other sources, `up_to_date`, will not run."""
    settings = build.settings
    # The workers that add speed: no more than the CPUs (what the estimate says it uses).
    work = Workload(up_to_date=up_to_date, jobs=min(jobs or build.parallel, available_cpus()))
    need = 0
    fs = _statvfs(build.where.absolute(build.where.output))
    block = (fs.f_frsize or fs.f_bsize) if fs is not None else 4096
    for src in todo:
        size, cues, blank, problem = _look(build.where.absolute(src.source), src.name, settings.encoding,
                                           settings.language)
        if problem is not None:
            # It fails at once, writing only a small sidecar: no work, no room (a 100 GB
            # file named like a subtitle must not stop the others from starting).
            work.sizes[src.name] = (0, 0)
            work.doomed.append((src.name, problem.line, problem.message))
            need += _blocks(SIDECAR_FIXED, block)
            continue
        work.sizes[src.name] = (size, cues)
        if blank:
            work.empty.append(src.name)
        # What it will write, less what it replaces.
        need += _blocks(size, block) + _blocks(size + SIDECAR_FIXED, block)
        need -= _existing(build.where.absolute(src.output)) + _existing(build.where.absolute(src.sidecar))
    need += REPORT_PER_SOURCE * len(build.sources) + STATE_PER_FILE * len(todo)
    # A sidecar holds a line per repair, and some files need many: room to spare, so that
    # a run that starts can finish.
    work.need_bytes = max(int(need * MARGIN) + SPARE, 0)
    # What an ordinary user may still write there; inodes where the file system counts them.
    work.free_bytes = fs.f_bavail * fs.f_frsize if fs is not None else None
    # An output and a sidecar a file, and their folders: inodes run out too (a tmpfs, a
    # file system of many small files).
    work.need_inodes = 2 * len(todo) + len({os.path.dirname(src.output) for src in todo}) + 32
    work.free_inodes = fs.f_favail if fs is not None and fs.f_files else None
    work.estimate_s, work.estimate_basis = _estimate(build, work)
    return work


def check_space(work: Workload, shown_output: str) -> None:
    """NoSpace when the output's file system has less free space, or fewer free inodes
    (files it can still hold), than the run needs."""
    if not work.files:
        return
    if work.free_inodes is not None and work.need_inodes > work.free_inodes:
        raise NoSpace(f"{shown_output}: not enough free inodes to start: the outputs and sidecars of "
                      f"{work.files:,} files need about {work.need_inodes:,} new files, and its file system "
                      f"can hold {work.free_inodes:,} more; free some or choose another output folder")
    if work.free_bytes is None or work.need_bytes <= work.free_bytes:
        return
    raise NoSpace(f"{shown_output}: not enough free space to start: the outputs, sidecars and reports of "
                  f"{work.files:,} files need about {size_text(work.need_bytes)}, and its file system has "
                  f"{size_text(work.free_bytes)} free; free some space or choose another output folder")


def _look(path: Path, name: str, encoding: str | None,
          language: str) -> tuple[int, int, bool, SubtitleError | None]:
    """(bytes, cues, blank, why it will fail or None) of one source, read once."""
    try:
        data = read_source(path, name)
    except SubtitleError as exc:
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0
        return size, 0, False, exc
    cues = max(data.count(arrow) for arrow in _ARROWS)
    if data and not data.strip(b"\x00"):  # a hole of a file (`truncate`), not text
        return len(data), 0, False, SubtitleError("binary data (only NUL bytes), not a subtitle file", name, 1)
    if b"\x00" in data:  # binary, or UTF-16: the reader's own decoding tells which
        try:
            decode(data, name, encoding, language)
        except SubtitleError as exc:
            return len(data), cues, False, exc
    blank = not cues and not data.strip(b" \t\r\n\xef\xbb\xbf")
    return len(data), cues, blank, None


def _blocks(size: int, block: int) -> int:
    return -(-max(size, 1) // block) * block


def _existing(path: Path) -> int:
    try:
        st = os.lstat(path)
    except OSError:
        return 0
    return getattr(st, "st_blocks", 0) * 512 or st.st_size


def _statvfs(path: Path) -> os.statvfs_result | None:
    """statvfs of `path`, or of its nearest existing parent (the output may not exist yet)."""
    for folder in (path, *path.parents):
        try:
            return os.statvfs(folder)
        except FileNotFoundError:
            continue
        except (OSError, AttributeError):
            return None
    return None


def _estimate(build: Build, work: Workload) -> tuple[float | None, str]:
    """Seconds the run should take: at the last run's speed per worker if it measured
    enough, else at a typical one."""
    if not work.files:
        return 0.0, ""
    workers = max(1, min(work.jobs, work.files))
    rate, basis = TYPICAL_BYTES_PER_S, "a typical speed"
    last = _last_run(build)
    if last is not None:
        rate, basis = last, "the last run's speed"
    return work.bytes / (rate * workers), basis


def _last_run(build: Build) -> float | None:
    """Bytes a second one worker processed in the last run, if it processed enough to say."""
    try:
        root = OutputRoot(build.where.absolute(build.where.output))
        brief = json.loads(root.read(f"{STATE_DIR}/{LAST_RUN}", limit=1 << 20))
        run, totals = brief["run"], brief["totals"]
        done, seconds = float(totals["processed_bytes"]), float(run["duration_s"])
        workers = max(1, min(int(run["parallel"]), int(totals["processed"]), available_cpus()))
    except (OSError, SrtbuildError, ValueError, KeyError, TypeError):
        return None
    if done < 50_000 or seconds < 0.05:  # a run of a few small files says little
        return None
    return done / seconds / workers
