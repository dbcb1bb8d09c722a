"""Read every sidecar of a build, fast, and drop those whose source is gone.

The report reads the whole collection on every run, and on a no-op run of 10,000 files
opening and decoding 10,000 sidecars would cost more than everything else. So each
metrics folder's rows (with their JSON and CSV text, ready to splice into the reports)
and its totals are cached, keyed by the name, mtime and size of every sidecar in it:
listing a folder and comparing those is cheap, and only changed sidecars are read.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import json
import os
import re
import stat
from json.encoder import encode_basestring
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

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
from srtbuild.quality import CHECKS
from srtbuild.reports.rowcheck import split_rows
from srtbuild.rules.registry import DEFAULT_PIPELINE

ROW_FIELDS = (
    "path", "output", "status", "segments", "cues_dropped", "corrections", "corrections_by_rule",
    "quality_before", "quality_after", "checks_before", "checks_after", "warnings", "findings", "error",
    "processing_time_s", "size_bytes", "encoding", "processed_at",
)
# A row's `findings`: its file's first 3 warnings, each {line, source, message}, so that a
# report (or a CI annotation made from it) names problems by line without opening the
# sidecars, which list up to 10,000. `warnings` counts them all.
MAX_FINDINGS = 3
# report.csv: a column for each rule's corrections and each check's count, before and
# after correction, so that a spreadsheet can sum, sort and chart them. The columns are
# those of every rule and check srtbuild has, whatever the pipeline, so that reports of
# two settings line up.
CSV_FIELDS = (
    "path", "output", "status", "segments", "corrections", "quality_before", "quality_after",
    "warnings", "error_line", "error_message", "processing_time_s", "size_bytes", "cues_dropped",
    *(f"corrections.{rule}" for rule in DEFAULT_PIPELINE),
    *(f"checks_before.{check}" for check in CHECKS),
    *(f"checks_after.{check}" for check in CHECKS),
)
STATUSES = ("ok", "failed", "empty")
# The cache holds rows made with these fields and columns: a change of them (a rule added,
# say) is a cache of another schema, rebuilt without a word.
_CACHE_SCHEMA = "srtbuild.sidecars/6:" + hashlib.sha256("\0".join(ROW_FIELDS + CSV_FIELDS).encode()).hexdigest()[:12]


class Entry(NamedTuple):
    """One sidecar as the reports use it: its row as JSON and as CSV text, ready to be
    spliced, and the (mtime, size) it was read at."""

    mtime_ns: int
    size: int
    json: str
    csv: str


def make_entry(row: dict, mtime_ns: int = 0, size: int = 0) -> Entry:
    """The entry of `row`. UnicodeEncodeError (a ValueError) if a text in it has no UTF-8
    form (a lone surrogate, from a sidecar edited by hand): report.json could not hold it."""
    text = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    text.encode("utf-8")
    return Entry(mtime_ns, size, text, csv_line(row))


def csv_line(row: dict) -> str:
    """A row of report.csv, comma-separated (srtbuild.reports.report changes the
    delimiter when asked). A count of a file that has none (failed, pending) is empty."""
    buf = io.StringIO()
    # (.get: a row of a report.json edited by hand may lack any field; it is written anyway)
    get = row.get
    err = get("error") or {}
    done = get("status") in ("ok", "empty")
    rules = get("corrections_by_rule") or {}
    before = get("checks_before") or {}
    after = get("checks_after") or {}
    csv.writer(buf, lineterminator="\n").writerow([
        get("path"), get("output"), get("status"), get("segments"), get("corrections"), get("quality_before"),
        get("quality_after"), get("warnings"), err.get("line"), err.get("message"), get("processing_time_s"),
        get("size_bytes"), get("cues_dropped") or 0,
        *(rules.get(rule, 0) if done else "" for rule in DEFAULT_PIPELINE),
        *(before.get(check, "") for check in CHECKS),
        *(after.get(check, "") for check in CHECKS),
    ])
    return buf.getvalue()


def pending_row(rel: str, output: str) -> dict:
    """The row of a source that has no sidecar yet (never built, or the run stopped)."""
    row: dict[str, Any] = {name: None for name in ROW_FIELDS}
    row.update(path=rel, output=output, status="pending", segments=0, cues_dropped=0, corrections=0,
               corrections_by_rule={}, checks_before={}, checks_after={}, warnings=0, findings=[])
    return row


def _row(name: str, output: str, sidecar: dict) -> dict:
    """A report row from a sidecar. Sidecars are files in the output folder, which anyone
    who can write it can change: every field is checked, and a sidecar that does not
    hold what srtbuild writes is an unreadable one (ValueError), not a crash."""
    row = {key: sidecar.get(key) for key in ROW_FIELDS}
    row["path"] = name
    row["output"] = output
    _need(row["status"] in STATUSES)
    if row["cues_dropped"] is None:  # a sidecar of an srtbuild that did not count them
        row["cues_dropped"] = 0
    for key in ("segments", "cues_dropped", "corrections", "size_bytes"):
        _need(_count(row[key]))
    for key in ("quality_before", "quality_after", "processing_time_s"):
        _need(row[key] is None or _number(row[key]))
    _need(row["processed_at"] is None or _number(row["processed_at"]) or _iso_time(row["processed_at"]))
    for key in ("corrections_by_rule", "checks_before", "checks_after"):
        value = row[key]
        _need(value is None or (isinstance(value, dict) and all(_count(n) for n in value.values())))
    warnings = sidecar.get("warnings")
    _need(warnings is None or isinstance(warnings, list))
    total = sidecar.get("warnings_total")
    row["warnings"] = total if _count(total) else len(warnings or [])
    row["findings"] = [_finding(w) for w in (warnings or [])[:MAX_FINDINGS]]
    err = row["error"]
    _need(err is None or (isinstance(err, dict) and isinstance(err.get("message"), str)
                          and (err.get("line") is None or _count(err.get("line")))))
    if err is not None and not err["message"].isprintable():  # shown on terminals and in CSV
        row["error"] = {"message": _printable(err["message"]), "line": err.get("line")}
    _need(row["encoding"] is None or isinstance(row["encoding"], str))
    return row


def _cached_row(entry: Entry, target: Wanted) -> dict | None:
    """The row of a cached entry, if it is one srtbuild could have made for `target`."""
    try:
        row = json.loads(entry.json)
        _need(type(row) is dict and row.get("path") == target.name and row.get("output") == target.output
              and row.get("status") in STATUSES and all(_count(row.get(k)) for k in _COUNTED)
              and all(row.get(k) is None or _number(row.get(k)) for k in _SCORED)
              and all(isinstance(row.get(k), dict) and all(map(_count, row[k].values())) for k in _BY_NAME)
              and isinstance(row.get("findings"), list) and len(row["findings"]) <= MAX_FINDINGS)
        for f in row["findings"]:
            _need(_finding(f) == f)
        err = row.get("error")
        _need(err is None or (type(err) is dict and isinstance(err.get("message"), str)
                              and (err.get("line") is None or _count(err.get("line")))))
        return row
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None


_COUNTED = ("segments", "cues_dropped", "corrections", "size_bytes", "warnings")
_SCORED = ("quality_before", "quality_after", "processing_time_s")
_BY_NAME = ("corrections_by_rule", "checks_before", "checks_after")


def _finding(w: Any) -> dict:
    _need(isinstance(w, dict) and (w.get("line") is None or _count(w.get("line")))
          and isinstance(w.get("source"), str) and isinstance(w.get("message"), str))
    return {"line": w["line"], "source": _printable(w["source"]), "message": _printable(w["message"])}


def _printable(text: str) -> str:
    """Shown on terminals, in CSV and in CI annotations: control characters escaped."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z\Z")


def _iso_time(value: Any) -> bool:
    return isinstance(value, str) and _ISO_TIME.match(value) is not None


def processed_epoch(value: Any) -> float:
    """A row's `processed_at` (ISO 8601 UTC; a number in sidecars of srtbuild 0.3 and
    before) as seconds since the epoch; 0 when unknown."""
    if _iso_time(value):
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=timezone.utc).timestamp()
    return float(value) if _number(value) else 0.0


# Bounds far past any real figure: a sum of 250,000 of them can neither overflow a float
# into `Infinity` (not JSON) nor make an integer too long to print.
_MAX_COUNT = 1 << 53
_MAX_NUMBER = 1e15


def _count(value: Any) -> bool:
    return type(value) is int and 0 <= value < _MAX_COUNT


def _number(value: Any) -> bool:
    return (type(value) is int and abs(value) < _MAX_COUNT) or (type(value) is float and abs(value) < _MAX_NUMBER)


class Tally:
    """What the report totals need of a set of rows, kept per metrics folder so that an
    unchanged folder's contribution is reused instead of re-reading its rows."""

    __slots__ = ("ok", "failed", "empty", "segments", "corrections", "by_rule", "quality_before",
                 "quality_after", "warnings", "errors", "worst", "processed", "processed_segments",
                 "processed_bytes", "processing_time_s", "cues_dropped", "lost")
    _COUNTS = ("ok", "failed", "empty", "segments", "corrections", "warnings", "cues_dropped")

    def __init__(self) -> None:
        self.ok = self.failed = self.empty = self.segments = self.corrections = self.warnings = 0
        self.by_rule: dict[str, int] = {}
        self.quality_before = [0.0, 0]  # sum, count (means over succeeded files)
        self.quality_after = [0.0, 0]
        self.errors: list[tuple[str, int | None, str]] = []
        # Cues the reader could not read, in files that did not fail (a file that lost
        # more than max_dropped_share failed, and is among the errors): total, and by file.
        self.cues_dropped = 0
        self.lost: list[tuple[str, int]] = []
        self.worst: list[tuple[float, str, float | None, int, int]] = []  # (after, path, before, cues, warnings)
        # Processed in this run: only ever rows read in this run (an unchanged folder
        # holds none), so these are not cached.
        self.processed = self.processed_segments = self.processed_bytes = 0
        self.processing_time_s = 0.0

    def add(self, row: dict, keep: int) -> None:
        self.warnings += row["warnings"] or 0
        if row["status"] == "failed":
            self.failed += 1
            err = row["error"] or {}
            self.errors.append((row["path"], err.get("line"), err.get("message") or ""))
        elif row["status"] == "empty":
            self.empty += 1  # no cue to score: kept out of the means and the worst files
        if row["status"] in ("ok", "empty") and row.get("cues_dropped"):
            self.cues_dropped += row["cues_dropped"]
            self.lost.append((row["path"], row["cues_dropped"]))
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
        for name in self._COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for rule, n in other.by_rule.items():
            self.by_rule[rule] = self.by_rule.get(rule, 0) + n
        for mine, theirs in ((self.quality_before, other.quality_before), (self.quality_after, other.quality_after)):
            mine[0] += theirs[0]
            mine[1] += theirs[1]
        self.errors.extend(other.errors)
        self.lost.extend(other.lost)
        self.worst = heapq.nsmallest(keep, self.worst + other.worst)

    def settle(self, keep: int) -> None:
        self.worst = heapq.nsmallest(keep, self.worst)

    def dump(self) -> dict:
        """The cached part as plain JSON data (this run's `processed` figures are not)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in self._COUNTS}
        data.update(by_rule=self.by_rule, quality_before=self.quality_before, quality_after=self.quality_after,
                    errors=[list(e) for e in self.errors], worst=[list(w) for w in self.worst],
                    lost=[list(x) for x in self.lost])
        return data

    @classmethod
    def load(cls, data: Any) -> "Tally":
        """From `dump()`'s data, checked; ValueError (or TypeError, KeyError) if damaged."""
        _need(isinstance(data, dict))
        t = cls()
        for name in cls._COUNTS:
            _need(_count(data[name]))
            setattr(t, name, data[name])
        _need(isinstance(data["by_rule"], dict) and all(_count(n) for n in data["by_rule"].values()))
        t.by_rule = data["by_rule"]
        for name in ("quality_before", "quality_after"):
            acc = data[name]
            _need(isinstance(acc, list) and len(acc) == 2 and _number(acc[0]) and _count(acc[1]))
            setattr(t, name, acc)
        for path, line, message in data["errors"]:
            _need(isinstance(path, str) and (line is None or _count(line)) and isinstance(message, str))
            t.errors.append((_printable(path), line, _printable(message)))
        for after, path, before, segments, warnings in data["worst"]:
            _need(_number(after) and isinstance(path, str) and (before is None or _number(before))
                  and _count(segments) and _count(warnings))
            t.worst.append((after, path, before, segments, warnings))
        for path, n in data["lost"]:
            _need(isinstance(path, str) and _count(n))
            t.lost.append((path, n))
        return t


@dataclass
class Collected:
    entries: list[Entry]  # one per source, in the sources' order (no `row`: texts only)
    tally: Tally
    pending: int
    removed: list[str] = field(default_factory=list)  # sources gone: sidecar and output deleted
    warnings: list[str] = field(default_factory=list)  # e.g. a damaged cache, ignored
    changed: int = 0  # rows processed this run with a new outcome (not the same failure again)


@dataclass
class _Folder:
    files: dict[str, Entry]
    subdirs: list[str]
    tally: Tally


class Wanted(NamedTuple):
    """A source as the report knows it: its name, its real path relative to the input
    (`/`-separated) and its output as shown."""

    name: str
    rel: str
    output: str


class _Scan:
    def __init__(self, root: OutputRoot, old: dict, wanted: dict, keep: int, started: float,
                 protected: list[str]) -> None:
        self.root = root
        self.old = old
        self.wanted = wanted
        self.keep = keep
        self.started = started
        self.protected = protected
        self.fresh: dict[str, _Folder] = {}
        self.removed: list[str] = []
        self.warnings: list[str] = []
        self.changed = False
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
            self.fresh[folder] = self._rescan(folder, path, want, before, listing)
        for sub in self.fresh[folder].subdirs:
            self.folder(f"{folder}/{sub}" if folder else sub)

    def _rescan(self, folder: str, path: str, want: dict, before: _Folder | None,
                listing: list[tuple[str, os.stat_result]]) -> _Folder:
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
                cached = _cached_row(old, target) if old is not None and old.mtime_ns == st.st_mtime_ns \
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
        return _Folder(files, sorted(subdirs), tally)

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
            row = _row(target.name, target.output, data)
            return make_entry(row, st.st_mtime_ns, st.st_size), row
        except (OSError, ValueError, TypeError, RecursionError, SrtbuildError) as exc:
            row = pending_row(target.name, target.output)
            row["status"] = "failed"
            row["error"] = {"message": f"unreadable sidecar ({_short(exc)}); removed, so the file is "
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
MAX_CACHE_BYTES = 256 * 1024 * 1024  # about 250,000 files; a larger one was not made by srtbuild


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


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."


def collect(root: OutputRoot, sources: list[Wanted], cache: str, keep: int = 10, started: float = 0.0,
            protected: list[str] | None = None) -> Collected:
    """Read the sidecars of `sources` under `root` (cache: the cache file's path relative
    to it). `keep` is how many worst files the tally keeps; `started` is when this run
    began (sidecars written since count as processed in it). Sidecars under `protected`
    folders (their sources could not be listed) are never taken for stale."""
    keep = max(keep, 10)
    warnings: list[str] = []
    folders, cached_keep = _load_cache(root, cache, warnings)
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
            root.write(cache, _dump_cache(scan.fresh, keep))
        except (OSError, SrtbuildError) as exc:  # a folder in its place, say: the next run reads all again
            warnings.append(f"{root.shown(cache)}: cannot write the cache ({_short(exc)})")
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
    return Collected(entries, total, pending, scan.removed, warnings + scan.warnings, scan.changed_rows)


# The cache: inert text, checked field by field when read. Anyone who can write the output
# folder can write it, so it must never be able to do more than make a report wrong (which
# editing a sidecar could do too): no pickle, nothing executed. Its first line is JSON:
# the folders, each with its subfolders, totals, and files (name, mtime, size, CSV row).
# Then come the files' JSON rows, one a line in the same order, as report.json takes
# them: kept out of the JSON so that they are neither escaped when written nor decoded
# when read, only checked (srtbuild.reports.rowcheck).
def _dump_cache(folders: dict[str, _Folder], keep: int) -> bytes:
    head = {
        "schema": _CACHE_SCHEMA,
        "keep": keep,
        "folders": {
            name: {
                "subdirs": f.subdirs,
                "files": [[n, e.mtime_ns, e.size, e.csv] for n, e in f.files.items()],
                "tally": f.tally.dump(),
            }
            for name, f in folders.items()
        },
    }
    rows = "".join(e.json + "\n" for f in folders.values() for e in f.files.values())
    # ASCII: folder names may hold bytes that are not UTF-8 (kept by Python as surrogates).
    return json.dumps(head, separators=(",", ":")).encode("ascii") + b"\n" + rows.encode("utf-8")


def _load_cache(root: OutputRoot, cache: str, warnings: list[str]) -> tuple[dict[str, _Folder], int]:
    try:
        blob = root.read(cache, MAX_CACHE_BYTES + 1)
    except FileNotFoundError:
        return {}, 0
    except (OSError, SrtbuildError) as exc:
        warnings.append(f"{root.shown(cache)}: cannot read the cache ({_short(exc)}); rebuilding it")
        return {}, 0
    try:
        _need(len(blob) <= MAX_CACHE_BYTES)
        first, _, rest = blob.partition(b"\n")
        data = json.loads(first)
        if not isinstance(data, dict) or data.get("schema") != _CACHE_SCHEMA:
            return {}, 0  # an older srtbuild's cache: rebuilt without a word
        keep = data["keep"]
        _need(isinstance(keep, int) and keep > 0)
        rows = split_rows(rest)
        _need(rows is not None)
        folders = {}
        taken = 0
        for name, f in _items(data["folders"]):
            _need(isinstance(f, dict))
            subdirs = f["subdirs"]
            _need(isinstance(subdirs, list) and all(isinstance(d, str) for d in subdirs))
            files = _entries(f["files"], rows, taken)
            taken += len(files)
            folders[name] = _Folder(files, subdirs, Tally.load(f["tally"]))
        _need(taken == len(rows))
        return folders, keep
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        warnings.append(f"{root.shown(cache)}: damaged cache ignored ({_short(exc)}); rebuilding it")
        return {}, 0


def _need(ok: bool) -> None:
    if not ok:
        raise ValueError("unexpected content")


def _items(value: Any) -> list[tuple[str, Any]]:
    _need(isinstance(value, dict))
    return list(value.items())


def _entries(value: Any, rows: list[str], first: int) -> dict[str, Entry]:
    """A folder's cached entries, checked, with their JSON rows from `rows[first:]`. The
    CSV rows are spliced into report.csv as they are: each must be one record. (One loop
    without calls: a no-op run of 10,000 files reads 10,000 of these.)"""
    _need(type(value) is list and first + len(value) <= len(rows))
    out = {}
    for k, e in enumerate(value, first):
        if not (type(e) is list and len(e) == 4):
            raise ValueError("unexpected content")
        name, mtime, size, cs = e
        if not (type(name) is str and type(mtime) is int and type(size) is int and type(cs) is str
                and name not in out and _one_record(cs)):
            raise ValueError("unexpected content")
        out[name] = Entry(mtime, size, rows[k], cs)
    return out


def _one_record(text: str) -> bool:
    """One CSV record of report.csv's columns, ending in a line break: a cached row that
    is anything else would add or swallow rows of report.csv."""
    if '"' not in text:  # nothing quoted (most rows): commas and line breaks are separators
        return text.count(",") == len(CSV_FIELDS) - 1 and text.count("\n") == 1 and text[-1:] == "\n"
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return False
    return len(records) == 1 and len(records[0]) == len(CSV_FIELDS) and text[-1:] == "\n"


def _unchanged(listing: list[tuple[str, os.stat_result]], before: _Folder, want: dict, started: float) -> bool:
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
