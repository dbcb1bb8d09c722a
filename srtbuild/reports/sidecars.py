"""Read every sidecar of a build, fast, and drop those whose source is gone.

The report reads the whole collection on every run, and on a no-op run of 10,000 files
opening and decoding 10,000 sidecars would cost more than everything else. So each
metrics folder's rows (with their JSON and CSV text, ready to splice into the reports)
and its totals are cached, keyed by the name, mtime and size of every sidecar in it:
listing a folder and comparing those is cheap, and only changed sidecars are read.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from json.encoder import encode_basestring

from srtbuild.confined import LinkRefused, OutputRoot, is_leftover
from srtbuild.errors import SrtbuildError
from srtbuild.names import (
    SIDECAR_SUFFIX,
    STATE_DIR,
    escape_name,
    metrics_folder,
    sidecar_name,
    source_folder,
    unescape_name,
)
from srtbuild.reports.cache import Folder, dump_cache, load_cache, short
from srtbuild.reports.rows import (
    Entry,
    Tally,
    Wanted,
    cached_row,
    make_entry,
    pending_row,
    processed_epoch,
    row_from_sidecar,
)

@dataclass
class Collected:
    entries: list[Entry]  # one per source, in the sources' order (no `row`: texts only)
    tally: Tally
    pending: int
    removed: list[str] = field(default_factory=list)  # sources gone: sidecar and output deleted
    warnings: list[str] = field(default_factory=list)  # e.g. a damaged cache, ignored
    changed: int = 0  # rows processed this run with a new outcome (not the same failure again)
    # For report.html's comparison: the briefs of the files in the folders that changed,
    # as the cache held them when the run began (None without a cache) and as they are now.
    before: list[str] | None = None
    after: list[str] = field(default_factory=list)


class _Scan:
    def __init__(self, root: OutputRoot, old: dict, wanted: dict, keep: int, started: float,
                 protected: list[str]) -> None:
        self.root = root
        self.old = old
        self.wanted = wanted
        self.keep = keep
        self.started = started
        self.protected = protected
        self.fresh: dict[str, Folder] = {}
        self.removed: list[str] = []
        self.warnings: list[str] = []
        self.changed = False
        self.rescanned: list[str] = []  # the folders read again: the only ones whose rows changed
        self.changed_rows = 0
        self.processed = Tally()

    def folder(self, folder: str) -> None:
        path = f"{METRICS}/{folder}" if folder else METRICS
        try:
            listing = self.root.entries(path)
        except LinkRefused:
            return  # not a folder (guard_state refuses a run before this for the root)
        except OSError as exc:  # its sidecars are unknown: their sources show as having no result
            self.warnings.append(f"{self.root.shown(path)}: cannot list: {exc.strerror or exc}")
            return
        if not listing and self.root.stat(path) is None:
            return
        before = self.old.get(folder)
        want = self.wanted.get(folder, {})
        if before is not None and _unchanged(listing, before, want, self.started):
            self.fresh[folder] = before  # nothing in it was replaced, added, edited or deleted
        else:
            self.changed = True
            self.rescanned.append(folder)
            self.fresh[folder] = self._rescan(folder, path, want, before, listing)
        for sub in self.fresh[folder].subdirs:
            self.folder(f"{folder}/{sub}" if folder else sub)

    def _rescan(self, folder: str, path: str, want: dict, before: Folder | None,
                listing: list[tuple[str, os.stat_result]]) -> Folder:
        files: dict[str, Entry] = {}
        subdirs: list[str] = []
        tally = Tally()
        for name, st in listing:
            if stat.S_ISDIR(st.st_mode):
                subdirs.append(name)
            elif _leftover(name, st, self.started):
                self.root.unlink(f"{path}/{name}")
            elif name.endswith(SIDECAR_SUFFIX) and (stat.S_ISLNK(st.st_mode) or stat.S_ISFIFO(st.st_mode)
                                                    or stat.S_ISSOCK(st.st_mode)):
                self.root.unlink(f"{path}/{name}")  # not ours to keep: its source runs again
            elif name.endswith(SIDECAR_SUFFIX) and stat.S_ISREG(st.st_mode):
                target = want.get(name)
                if target is None:
                    if not self._protected(source_folder(folder) or ""):
                        self._remove(folder, name)
                    continue
                old = before.files.get(name) if before else None
                # The cached row of a sidecar unchanged since, if it holds what a row does
                # (the cache is a file anyone who can write the output folder can edit).
                cached = cached_row(old, target) if old is not None and old.mtime_ns == st.st_mtime_ns \
                    and old.size == st.st_size else None
                entry, row = (old, None) if cached is not None else self._read(f"{path}/{name}", st, target)
                if row is not None and processed_epoch(row.get("processed_at")) >= self.started:
                    self.processed.processed += 1
                    self.processed.processed_segments += row["segments"] or 0
                    self.processed.processed_bytes += row["size_bytes"] or 0
                    self.processed.processing_time_s += row["processing_time_s"] or 0.0
                    if not _same_failure(old, row):
                        self.changed_rows += 1
                tally.add(row if row is not None else cached, self.keep)
                files[name] = entry
        tally.settle(self.keep)
        # Files were written in this folder's twin in the output tree: sweep it too.
        twin = source_folder(folder)
        try:
            for name, st in self.root.entries(twin) if twin is not None else []:
                if _leftover(name, st, self.started):
                    self.root.unlink(f"{twin}/{name}" if twin else name)
        except (LinkRefused, OSError):
            pass  # a link now, or unreadable: nothing of ours to sweep there
        return Folder(files, sorted(subdirs), tally)

    def _protected(self, folder: str) -> bool:
        return any(folder == p or folder.startswith(p + "/") for p in self.protected)

    def _read(self, path: str, st: os.stat_result, target: Wanted) -> tuple[Entry, dict]:
        """The entry of one sidecar, read afresh, and its row."""
        try:
            blob = self.root.read(path, MAX_SIDECAR_BYTES + 1)
            if len(blob) > MAX_SIDECAR_BYTES:
                raise ValueError("far too large")
            data = json.loads(blob)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            row = row_from_sidecar(target.name, target.output, data)
            return make_entry(row, st.st_mtime_ns, st.st_size), row
        except (OSError, ValueError, TypeError, RecursionError, SrtbuildError) as exc:
            row = pending_row(target.name, target.output)
            row["status"] = "failed"
            row["error"] = {"message": f"unreadable sidecar ({short(exc)}); removed, so the file is "
                                       "processed again next run", "line": None}
            self.root.unlink(path)  # ours, and damaged: without it the source is rebuilt
        return make_entry(row, st.st_mtime_ns, st.st_size), row

    def _remove(self, folder: str, sidecar: str) -> None:
        shown, warning = remove_sidecar(self.root, folder, sidecar)
        self.removed.append(shown)
        if warning:
            self.warnings.append(warning)


METRICS = f"{STATE_DIR}/metrics"
_CUT_SHORT = re.compile(r"~[0-9a-f]{16}\.json\Z")  # a sidecar name cut short (srtbuild.names)
MAX_SIDECAR_BYTES = 64 * 1024 * 1024


def remove_sidecar(root: OutputRoot, folder: str, sidecar: str) -> tuple[str, str | None]:
    """Delete a sidecar (`folder` under the metrics root) and the output of its source,
    as names under the output root: never through a link. Returns the source's name as
    shown, and a warning if its output could not be deleted."""
    prefix = f"{folder}/" if folder else ""  # under the metrics root
    out_folder = source_folder(folder)
    base: str | None = sidecar[: -len(SIDECAR_SUFFIX)]
    if out_folder is None or _CUT_SHORT.search(sidecar):
        # A long name, cut short (see srtbuild.names): the sidecar says whose it is, and
        # that source's sidecar must be this one.
        if out_folder is None:
            base = None
        try:
            data = json.loads(root.read(f"{METRICS}/{prefix}{sidecar}", MAX_SIDECAR_BYTES + 1))
            rel = unescape_name(str(data["path"]))
            head, _, tail = rel.rpartition("/")
            if metrics_folder(head) == folder and sidecar_name(tail) == sidecar:
                out_folder, base = head, tail
        except (OSError, ValueError, TypeError, KeyError, RecursionError, SrtbuildError):
            pass
    out_prefix = f"{out_folder}/" if out_folder else ""  # under the output root
    root.unlink(f"{METRICS}/{prefix}{sidecar}")
    shown = escape_name((out_prefix or prefix) + (base if base is not None else sidecar))
    if base is None:
        return shown, None
    try:
        root.unlink(out_prefix + base)
        if folder:
            root.prune(f"{METRICS}/{folder}")
        if out_folder:
            root.prune(out_folder)
    except LinkRefused as exc:  # its folder is now a link: nothing is deleted through it
        return shown, f"{escape_name(out_prefix + base)}: output not removed: {exc}"
    return shown, None


def walk_sidecars(root: OutputRoot, folder: str = "") -> list[tuple[str, str]]:
    """(metrics folder, sidecar name) of every sidecar under the metrics root."""
    found = []
    try:
        listing = root.entries(f"{METRICS}/{folder}" if folder else METRICS)
    except LinkRefused:
        return found
    for name, st in listing:
        if stat.S_ISDIR(st.st_mode):
            found += walk_sidecars(root, f"{folder}/{name}" if folder else name)
        elif name.endswith(SIDECAR_SUFFIX) and stat.S_ISREG(st.st_mode):
            found.append((folder, name))
    return found


def collect(root: OutputRoot, sources: list[Wanted], cache: str, keep: int = 10, started: float = 0.0,
            protected: list[str] | None = None) -> Collected:
    """Read the sidecars of `sources` under `root` (cache: the cache file's path relative
    to it). `keep` is how many worst files the tally keeps; `started` is when this run
    began (sidecars written since count as processed in it). Sidecars under `protected`
    folders (their sources could not be listed) are never taken for stale."""
    keep = max(keep, 10)
    warnings: list[str] = []
    folders, cached_keep = load_cache(root, cache, warnings)
    if folders and cached_keep >= keep:
        keep = cached_keep
    else:
        folders = {}
    wanted: dict[str, dict[str, Wanted]] = {}  # by metrics folder, then sidecar name
    where: list[tuple[str, str]] = []
    for src in sources:
        folder, _, base = src.rel.rpartition("/")
        folder, name = metrics_folder(folder), sidecar_name(base)
        wanted.setdefault(folder, {})[name] = src
        where.append((folder, name))
    scan = _Scan(root, folders, wanted, keep, started, protected or [])
    scan.folder("")
    entries: list[Entry] = []
    pending = 0
    for src, (folder, name) in zip(sources, where):
        found = scan.fresh.get(folder)
        entry = found.files.get(name) if found else None
        if entry is None:
            pending += 1
            entry = make_entry(pending_row(src.name, src.output))
        entries.append(entry)
    if scan.changed or scan.fresh.keys() != folders.keys():
        try:
            root.write(cache, dump_cache(scan.fresh, keep))
        except (OSError, SrtbuildError) as exc:  # a folder in its place, say: the next run reads all again
            warnings.append(f"{root.shown(cache)}: cannot write the cache ({short(exc)})")
    total = Tally()
    for found in scan.fresh.values():
        total.merge(found.tally, keep)
    total.processed = scan.processed.processed
    total.processed_segments = scan.processed.processed_segments
    total.processed_bytes = scan.processed.processed_bytes
    total.processing_time_s = scan.processed.processing_time_s
    total.errors.sort()
    total.lost.sort()
    scan.removed.sort()
    # What changed, for report.html's comparison: every other folder's rows are as the
    # cache held them. (Without a cache, nothing is known of before: None.)
    gone = [name for name in folders if name not in scan.fresh]
    before = [e.brief for name in (*scan.rescanned, *gone) if name in folders for e in folders[name].files.values()] \
        if folders else None
    after = [e.brief for name in scan.rescanned for e in scan.fresh[name].files.values()]
    return Collected(entries, total, pending, scan.removed, warnings + scan.warnings, scan.changed_rows, before,
                     after)


def _unchanged(listing: list[tuple[str, os.stat_result]], before: Folder, want: dict, started: float) -> bool:
    """The folder holds exactly the sidecars (same names, times and sizes) and subfolders
    it held when cached, all of them wanted, and no leftover to sweep: its cached rows
    and tally stand. One stat per sidecar: an edit in place is seen too."""
    files = before.files
    seen = 0
    subdirs = []
    for name, st in listing:
        if stat.S_ISDIR(st.st_mode):
            subdirs.append(name)
            continue
        if _leftover(name, st, started):
            return False
        if not name.endswith(SIDECAR_SUFFIX):
            continue
        entry = files.get(name)
        target = want.get(name)
        if entry is None or entry.mtime_ns != st.st_mtime_ns or entry.size != st.st_size or target is None \
                or not entry.json.startswith(f'{{"path":{encode_basestring(target.name)},'):
            return False
        seen += 1
    return seen == len(files) and sorted(subdirs) == before.subdirs


def _same_failure(old: Entry | None, row: dict) -> bool:
    """A file that failed again, as before: retried, but nothing changed."""
    if old is None or row["status"] != "failed":
        return False
    try:
        before = json.loads(old.json)
    except ValueError:
        return False
    return before.get("status") == "failed" and before.get("error") == row["error"]


def _leftover(name: str, st: os.stat_result, started: float) -> bool:
    """A temporary file of an atomic write that a killed run left behind: older than this
    run, so no writer of this run owns it."""
    return is_leftover(name) and stat.S_ISREG(st.st_mode) and st.st_mtime < started
