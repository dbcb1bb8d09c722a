"""Report rows: what the reports keep of each sidecar, checked, and the totals of a set
of rows.

A sidecar is a file in the output folder, which anyone who can write it can change, and
so is the cache of rows (srtbuild.reports.cache): every field read from either is
checked, and what does not hold what srtbuild writes is unreadable, never a crash nor a
report that is not JSON.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
import re
from datetime import datetime, timezone
from typing import Any, NamedTuple

from srtbuild.quality import CHECKS
from srtbuild.reports.rowcheck import strict_loads
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


class Entry(NamedTuple):
    """One sidecar as the reports use it: its row as JSON and as CSV text, ready to be
    spliced, its brief for report.html, and the (mtime, size) it was read at."""

    mtime_ns: int
    size: int
    json: str
    csv: str
    brief: str = "null"  # JSON text of brief(row)


def make_entry(row: dict, mtime_ns: int = 0, size: int = 0) -> Entry:
    """The entry of `row`. UnicodeEncodeError (a ValueError) if a text in it has no UTF-8
    form (a lone surrogate, from a sidecar edited by hand): report.json could not hold it."""
    text = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    text.encode("utf-8")
    return Entry(mtime_ns, size, text, csv_line(row), json.dumps(brief(row), ensure_ascii=False, separators=(",", ":")))


def brief(row: dict) -> list:
    """What report.html shows of a row, as one compact list: path, status, segments,
    corrections, quality before, after, the checks failing after correction and the
    corrections by rule (each flat: name, count, ... most first), time, the findings
    (flat: line, source, message, ...), warnings, the error ([message, line] or None),
    cues dropped. Kept beside each row (srtbuild.reports.cache), so that the page of
    10,000 files is made without decoding 10,000 rows; the page's script reads the
    same lists. A row of an older report may lack any field: none is trusted."""
    get = row.get
    err = get("error")
    error = None
    if isinstance(err, dict) or get("status") == "failed":
        err = err if isinstance(err, dict) else {}
        error = [str(err.get("message") or "unknown error"), figure(err.get("line"))]
    found = [y for f in (get("findings") or []) if isinstance(f, dict)
             for y in (figure(f.get("line")), str(f.get("source") or "warning"), _clip(str(f.get("message") or "")))]
    return [str(get("path") or "(no path)"), str(get("status") or "unknown"), figure(get("segments")),
            figure(get("corrections")), figure(get("quality_before")), figure(get("quality_after")),
            ranked(get("checks_after")), figure(get("processing_time_s")), ranked(get("corrections_by_rule")),
            found, figure(get("warnings")) or 0, error, figure(get("cues_dropped")) or 0]


BRIEF_MESSAGE = 100  # characters of a finding's message in a brief: a page of 10,000 files stays small


def _clip(text: str) -> str:
    return text if len(text) <= BRIEF_MESSAGE else text[:BRIEF_MESSAGE - 1] + "\u2026"


def parse_briefs(texts: list[str]) -> list[list]:
    """The lists of the briefs' JSON `texts` (as the cache keeps them); ValueError if one
    is not a brief srtbuild makes (the cache is a file anyone can edit)."""
    lists = strict_loads("[" + ",".join(texts) + "]")
    if len(lists) != len(texts) or not all(map(_brief_ok, lists)):
        raise ValueError("a brief that srtbuild did not make")
    return lists


def _brief_ok(b: object) -> bool:
    """The brief's shape: what the comparison reads is checked here; a damaged pair or
    finding inside it makes the page fail to render, and then the page is made from the
    rows instead (srtbuild.reports.report). (Decoded without NaN or infinities, a number
    is an int or a float.)"""
    return (type(b) is list and len(b) == 13 and type(b[0]) is str and type(b[1]) is str
            and type(b[6]) is list and type(b[8]) is list and type(b[9]) is list
            and (b[2] is None or type(b[2]) in _NUMBERS) and (b[3] is None or type(b[3]) in _NUMBERS)
            and (b[4] is None or type(b[4]) in _NUMBERS) and (b[5] is None or type(b[5]) in _NUMBERS)
            and (b[7] is None or type(b[7]) in _NUMBERS) and type(b[10]) in _NUMBERS and type(b[12]) in _NUMBERS)


_NUMBERS = frozenset({int, float})


def figure(x: object) -> int | float | None:
    """A number, or None: bools, NaN, infinities and text (of a damaged report) are not."""
    return x if type(x) is int or (type(x) is float and abs(x) < float("inf")) else None


def ranked(x: object) -> list:
    """A dict of counts as a flat list, name, count, ...: the positive ones, most first."""
    counts = [(str(k), n) for k, v in (x.items() if isinstance(x, dict) else ()) if (n := figure(v))]
    return [y for kv in sorted((kv for kv in counts if kv[1] > 0), key=lambda kv: (-kv[1], kv[0])) for y in kv]


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


def row_from_sidecar(name: str, output: str, sidecar: dict) -> dict:
    """A report row from a sidecar. Sidecars are files in the output folder, which anyone
    who can write it can change: every field is checked, and a sidecar that does not
    hold what srtbuild writes is an unreadable one (ValueError), not a crash."""
    row = {key: sidecar.get(key) for key in ROW_FIELDS}
    row["path"] = name
    row["output"] = output
    need(row["status"] in STATUSES)
    if row["cues_dropped"] is None:  # a sidecar of an srtbuild that did not count them
        row["cues_dropped"] = 0
    for key in ("segments", "cues_dropped", "corrections", "size_bytes"):
        need(_count(row[key]))
    for key in ("quality_before", "quality_after", "processing_time_s"):
        need(row[key] is None or _number(row[key]))
    need(row["processed_at"] is None or _number(row["processed_at"]) or _iso_time(row["processed_at"]))
    for key in ("corrections_by_rule", "checks_before", "checks_after"):
        value = row[key]
        need(value is None or (isinstance(value, dict) and all(_count(n) for n in value.values())))
    warnings = sidecar.get("warnings")
    need(warnings is None or isinstance(warnings, list))
    total = sidecar.get("warnings_total")
    row["warnings"] = total if _count(total) else len(warnings or [])
    row["findings"] = [_finding(w) for w in (warnings or [])[:MAX_FINDINGS]]
    err = row["error"]
    need(_error_ok(err))
    if err is not None and not err["message"].isprintable():  # shown on terminals and in CSV
        row["error"] = {"message": printable(err["message"]), "line": err.get("line")}
    need(row["encoding"] is None or isinstance(row["encoding"], str))
    return row


def cached_row(entry: Entry, target: Wanted) -> dict | None:
    """The row of a cached entry, if it is one srtbuild could have made for `target`."""
    try:
        row = json.loads(entry.json)
        need(type(row) is dict and row.get("path") == target.name and row.get("output") == target.output
              and row.get("status") in STATUSES and all(_count(row.get(k)) for k in _COUNTED)
              and all(row.get(k) is None or _number(row.get(k)) for k in _SCORED)
              and all(isinstance(row.get(k), dict) and all(map(_count, row[k].values())) for k in _BY_NAME)
              and isinstance(row.get("findings"), list) and len(row["findings"]) <= MAX_FINDINGS)
        for f in row["findings"]:
            need(_finding(f) == f)
        need(_error_ok(row.get("error")))
        return row
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None


_COUNTED = ("segments", "cues_dropped", "corrections", "size_bytes", "warnings")
_SCORED = ("quality_before", "quality_after", "processing_time_s")
_BY_NAME = ("corrections_by_rule", "checks_before", "checks_after")


def _error_ok(err: Any) -> bool:
    return err is None or (isinstance(err, dict) and isinstance(err.get("message"), str)
                           and (err.get("line") is None or _count(err.get("line"))))


def _finding(w: Any) -> dict:
    need(isinstance(w, dict) and (w.get("line") is None or _count(w.get("line")))
          and isinstance(w.get("source"), str) and isinstance(w.get("message"), str))
    return {"line": w["line"], "source": printable(w["source"]), "message": printable(w["message"])}


def printable(text: str) -> str:
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
        need(isinstance(data, dict))
        t = cls()
        for name in cls._COUNTS:
            need(_count(data[name]))
            setattr(t, name, data[name])
        need(isinstance(data["by_rule"], dict) and all(_count(n) for n in data["by_rule"].values()))
        t.by_rule = data["by_rule"]
        for name in ("quality_before", "quality_after"):
            acc = data[name]
            need(isinstance(acc, list) and len(acc) == 2 and _number(acc[0]) and _count(acc[1]))
            setattr(t, name, acc)
        for path, line, message in data["errors"]:
            need(isinstance(path, str) and (line is None or _count(line)) and isinstance(message, str))
            t.errors.append((printable(path), line, printable(message)))
        for after, path, before, segments, warnings in data["worst"]:
            need(_number(after) and isinstance(path, str) and (before is None or _number(before))
                  and _count(segments) and _count(warnings))
            t.worst.append((after, path, before, segments, warnings))
        for path, n in data["lost"]:
            need(isinstance(path, str) and _count(n))
            t.lost.append((path, n))
        return t


class Wanted(NamedTuple):
    """A source as the report knows it: its name, its real path relative to the input
    (`/`-separated) and its output as shown."""

    name: str
    rel: str
    output: str


def need(ok: bool) -> None:
    """ValueError unless `ok`: what a damaged sidecar or cache raises."""
    if not ok:
        raise ValueError("unexpected content")
