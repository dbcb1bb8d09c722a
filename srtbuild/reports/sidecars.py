"""Read every sidecar of a build, fast, and drop those whose source is gone.

The report reads the whole collection on every run, and on a no-op run of 10,000 files
opening 10,000 sidecars would cost more than everything else. Sidecars are only ever
replaced by a rename, and a rename changes the mtime of the folder it lands in; so a
metrics folder whose mtime is unchanged since the last report holds the same sidecars,
and its rows (with their JSON and CSV text, ready to splice into the reports) come from
a cache. Only changed folders are listed, and only changed sidecars are read.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
import os
import pickle
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from srtbuild.atomic import write_atomic

ROW_FIELDS = (
    "path", "output", "status", "segments", "corrections", "corrections_by_rule",
    "quality_before", "quality_after", "checks_before", "checks_after", "warnings", "error",
    "processing_time_s", "size_bytes", "encoding", "processed_at",
)
CSV_FIELDS = (
    "path", "output", "status", "segments", "corrections", "quality_before", "quality_after",
    "warnings", "error_line", "error_message", "processing_time_s", "size_bytes", "corrections_by_rule",
)
_CACHE_SCHEMA = "srtbuild.sidecars/1"
_SUFFIX = ".json"


class Entry(NamedTuple):
    """One sidecar as the reports use it: its row as JSON and as CSV text, ready to be
    spliced, and the (mtime, size) it was read at."""

    mtime_ns: int
    size: int
    json: str
    csv: str


def make_entry(row: dict, mtime_ns: int = 0, size: int = 0) -> Entry:
    return Entry(mtime_ns, size, json.dumps(row, ensure_ascii=False, separators=(",", ":")), csv_line(row))


def csv_line(row: dict) -> str:
    buf = io.StringIO()
    err = row["error"] or {}
    rules = ";".join(f"{k}={v}" for k, v in sorted((row["corrections_by_rule"] or {}).items()))
    csv.writer(buf, lineterminator="\n").writerow([
        row["path"], row["output"], row["status"], row["segments"], row["corrections"], row["quality_before"],
        row["quality_after"], row["warnings"], err.get("line"), err.get("message"), row["processing_time_s"],
        row["size_bytes"], rules,
    ])
    return buf.getvalue()


def pending_row(rel: str, output: str) -> dict:
    """The row of a source that has no sidecar yet (never built, or the run stopped)."""
    row: dict[str, Any] = {name: None for name in ROW_FIELDS}
    row.update(path=rel, output=output, status="pending", segments=0, corrections=0,
               corrections_by_rule={}, checks_before={}, checks_after={}, warnings=0)
    return row


def _row(rel: str, output: str, sidecar: dict) -> dict:
    row = {name: sidecar.get(name) for name in ROW_FIELDS}
    row["path"] = rel
    row["output"] = output
    row["warnings"] = len(sidecar.get("warnings") or [])
    return row


class Tally:
    """What the report totals need of a set of rows, kept per metrics folder so that an
    unchanged folder's contribution is reused instead of re-reading its rows."""

    __slots__ = ("ok", "failed", "segments", "corrections", "by_rule", "quality_before", "quality_after",
                 "warnings", "errors", "worst", "processed", "processed_segments", "processing_time_s")

    def __init__(self) -> None:
        self.ok = self.failed = self.segments = self.corrections = self.warnings = 0
        self.by_rule: dict[str, int] = {}
        self.quality_before = [0.0, 0]  # sum, count (means over succeeded files)
        self.quality_after = [0.0, 0]
        self.errors: list[tuple[str, int | None, str]] = []
        self.worst: list[tuple[float, str, float | None, int, int]] = []  # (after, path, before, cues, warnings)
        # Processed in this run: only ever rows read in this run (an unchanged folder
        # holds none), so these are not cached.
        self.processed = self.processed_segments = 0
        self.processing_time_s = 0.0

    def add(self, row: dict, keep: int) -> None:
        self.warnings += row["warnings"] or 0
        if row["status"] == "failed":
            self.failed += 1
            err = row["error"] or {}
            self.errors.append((row["path"], err.get("line"), err.get("message") or ""))
        if row["status"] != "ok":
            return
        self.ok += 1
        self.segments += row["segments"] or 0
        self.corrections += row["corrections"] or 0
        for rule, n in (row["corrections_by_rule"] or {}).items():
            self.by_rule[rule] = self.by_rule.get(rule, 0) + n
        for acc, key in ((self.quality_before, "quality_before"), (self.quality_after, "quality_after")):
            if row[key] is not None:
                acc[0] += row[key]
                acc[1] += 1
        if row["quality_after"] is not None:
            self.worst.append((row["quality_after"], row["path"], row["quality_before"], row["segments"], row["warnings"]))
            if len(self.worst) > 2 * keep:
                self.worst = heapq.nsmallest(keep, self.worst)

    def merge(self, other: "Tally", keep: int) -> None:
        for name in ("ok", "failed", "segments", "corrections", "warnings"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for rule, n in other.by_rule.items():
            self.by_rule[rule] = self.by_rule.get(rule, 0) + n
        for mine, theirs in ((self.quality_before, other.quality_before), (self.quality_after, other.quality_after)):
            mine[0] += theirs[0]
            mine[1] += theirs[1]
        self.errors.extend(other.errors)
        self.worst = heapq.nsmallest(keep, self.worst + other.worst)

    def settle(self, keep: int) -> None:
        self.worst = heapq.nsmallest(keep, self.worst)


@dataclass
class Collected:
    entries: list[Entry]  # one per source, in the sources' order (no `row`: texts only)
    tally: Tally
    pending: int
    removed: list[str] = field(default_factory=list)  # sources gone: sidecar and output deleted


@dataclass
class _Folder:
    mtime_ns: int
    files: dict[str, Entry]
    subdirs: list[str]
    tally: Tally


class _Scan:
    def __init__(self, metrics: str, output_root: str, old: dict, wanted: dict, keep: int, started: float) -> None:
        self.metrics = metrics
        self.output_root = output_root
        self.old = old
        self.wanted = wanted
        self.keep = keep
        self.started = started
        self.fresh: dict[str, _Folder] = {}
        self.removed: list[str] = []
        self.changed = False
        self.processed = Tally()

    def folder(self, folder: str) -> None:
        path = os.path.join(self.metrics, folder) if folder else self.metrics
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return
        before = self.old.get(folder)
        want = self.wanted.get(folder, {})
        if before is not None and before.mtime_ns == mtime and all(n in want for n in before.files):
            self.fresh[folder] = before  # nothing in it was replaced, added or deleted
        else:
            self.changed = True
            self.fresh[folder] = self._rescan(folder, path, want, before)
        for sub in self.fresh[folder].subdirs:
            self.folder(f"{folder}/{sub}" if folder else sub)

    def _rescan(self, folder: str, path: str, want: dict, before: _Folder | None) -> _Folder:
        files: dict[str, Entry] = {}
        subdirs: list[str] = []
        tally = Tally()
        with os.scandir(path) as it:
            for item in it:
                if item.is_dir(follow_symlinks=False):
                    subdirs.append(item.name)
                elif _leftover(item, self.started):
                    _unlink(item.path)
                elif item.name.endswith(_SUFFIX) and item.is_file(follow_symlinks=False):
                    target = want.get(item.name)
                    if target is None:
                        _remove(item.path, folder, item.name, self.output_root, self.removed)
                        continue
                    old = before.files.get(item.name) if before else None
                    entry, row = _read(item.path, target, old)
                    if row is not None and (row.get("processed_at") or 0) >= self.started:
                        self.processed.processed += 1
                        self.processed.processed_segments += row["segments"] or 0
                        self.processed.processing_time_s += row["processing_time_s"] or 0.0
                    tally.add(row if row is not None else json.loads(entry.json), self.keep)
                    files[item.name] = entry
        tally.settle(self.keep)
        # Files were written in this folder's twin in the output tree: sweep it too.
        _sweep(os.path.join(self.output_root, folder.replace("/", os.sep)) if folder else self.output_root, self.started)
        mtime = os.stat(path).st_mtime_ns  # after any removal
        return _Folder(mtime, files, sorted(subdirs), tally)


def collect(metrics: str, output_root: str, sources: list[tuple[str, str]], cache_file: str,
            keep: int = 10, started: float = 0.0) -> Collected:
    """`sources` are (relative name, output path) pairs; paths are absolute or relative
    to the current folder. `keep` is how many worst files the tally keeps; `started` is
    when this run began (sidecars written since count as processed in it)."""
    keep = max(keep, 10)
    try:
        with open(cache_file, "rb") as fh:
            cached = pickle.load(fh)
        ok = cached.get("schema") == _CACHE_SCHEMA and cached.get("keep", 0) >= keep
        folders: dict[str, _Folder] = cached["folders"] if ok else {}
        keep = cached["keep"] if ok else keep
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, AttributeError, ValueError):
        folders = {}
    wanted: dict[str, dict[str, tuple[str, str]]] = {}
    for rel, output in sources:
        folder, _, name = rel.rpartition("/")
        wanted.setdefault(folder, {})[name + _SUFFIX] = (rel, output)
    scan = _Scan(metrics, output_root, folders, wanted, keep, started)
    scan.folder("")
    entries: list[Entry] = []
    pending = 0
    for rel, output in sources:
        folder, _, name = rel.rpartition("/")
        found = scan.fresh.get(folder)
        entry = found.files.get(name + _SUFFIX) if found else None
        if entry is None:
            pending += 1
            entry = make_entry(pending_row(rel, output))
        entries.append(entry)
    if scan.changed or scan.fresh.keys() != folders.keys():
        blob = pickle.dumps({"schema": _CACHE_SCHEMA, "keep": keep, "folders": scan.fresh},
                            protocol=pickle.HIGHEST_PROTOCOL)
        write_atomic(cache_file, blob)
    total = Tally()
    for found in scan.fresh.values():
        total.merge(found.tally, keep)
    total.processed = scan.processed.processed
    total.processed_segments = scan.processed.processed_segments
    total.processing_time_s = scan.processed.processing_time_s
    total.errors.sort()
    scan.removed.sort()
    return Collected(entries, total, pending, scan.removed)


def _read(path: str, target: tuple[str, str], old: Entry | None) -> tuple[Entry, dict | None]:
    """The entry of one sidecar: the cached one if the file is unchanged (row None), else
    read afresh (with its row)."""
    rel, output = target
    st = os.stat(path)
    if old is not None and old.mtime_ns == st.st_mtime_ns and old.size == st.st_size:
        return old, None
    try:
        with open(path, encoding="utf-8") as fh:
            row = _row(rel, output, json.load(fh))
    except (OSError, ValueError) as exc:
        row = pending_row(rel, output)
        row["status"] = "failed"
        row["error"] = {"message": f"unreadable sidecar: {exc}", "line": None}
    return make_entry(row, st.st_mtime_ns, st.st_size), row


def _leftover(item: os.DirEntry, started: float) -> bool:
    """A temporary file of an atomic write (`.NAME.XXXX.tmp`) that a killed run left
    behind: older than this run, so no writer of this run owns it."""
    if not (item.name.startswith(".") and item.name.endswith(".tmp")):
        return False
    try:
        return item.is_file(follow_symlinks=False) and item.stat(follow_symlinks=False).st_mtime < started
    except OSError:
        return False


def _sweep(folder: str, started: float) -> None:
    try:
        with os.scandir(folder) as it:
            for item in it:
                if _leftover(item, started):
                    _unlink(item.path)
    except OSError:
        pass


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _remove(sidecar: str, folder: str, name: str, output_root: str, removed: list[str]) -> None:
    rel = (f"{folder}/" if folder else "") + name[: -len(_SUFFIX)]
    removed.append(rel)
    for path in (sidecar, os.path.join(output_root, rel.replace("/", os.sep))):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
