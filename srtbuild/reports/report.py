"""Sidecars -> the consolidated reports: report.json, report.csv, summary.txt.

The report always covers the whole collection as it is now: every discovered source's
sidecar is read (srtbuild.reports.sidecars, with its cache), whether the file was processed in
this run or was up to date. A sidecar whose source is gone (deleted, renamed, excluded)
is stale: it and its output are removed and listed, so the output tree keeps mirroring
the input. The per-file rows of report.json and report.csv are spliced from text kept
per row, so a run that changed one file does not re-encode 10,000 rows.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import stat
import sys
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from collections.abc import Callable
from typing import Any

from srtbuild import __version__
from srtbuild.confined import OutputRoot
from srtbuild.errors import SrtbuildError
from srtbuild.names import STATE_DIR, escape_name
from srtbuild.reports.rows import CSV_FIELDS, Wanted, csv_line, parse_briefs
from srtbuild.reports.sidecars import METRICS, Collected, collect, remove_sidecar, walk_sidecars

REPORT_SCHEMA = "srtbuild.report/1"
CACHE_NAME = "sidecars.cache"
LAST_RUN = "last-run.json"  # run and totals only: what `srtbuild batch` reads back
HISTORY = "history"  # earlier report.json files
REPORT_FILES = ("report.json", "report.csv", "summary.txt", "report.html")


@dataclass
class Run:
    """What the reports know of a build: plain data the engine hands over (it never hands
    over itself: data flows from the build to the reports, not back)."""

    input: str  # absolute, as shown
    output: str  # absolute
    config: str | None  # the srtbuild.yaml used
    settings_digest: str
    sources: list[Wanted]  # every source now, in name order
    unlisted: list[tuple[str, str]]  # folders that could not be listed: (relative to the input, why)
    started: float
    parallel: int
    worst_files: int
    history: int
    summary_shown: str  # how messages name summary.txt
    csv_delimiter: str = ","
    csv_bom: bool = True


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def assemble(build: Run, got: Collected, finished: float) -> dict:
    """The report without its `files` rows (those are spliced in as text)."""
    t = got.tally
    files = len(got.entries)
    duration = max(finished - build.started, 1e-9)

    def mean(acc: list) -> float | None:
        return round(acc[0] / acc[1], 2) if acc[1] else None

    totals = {
        "files": files,
        "succeeded": t.ok,
        "failed": t.failed,
        "empty": t.empty,
        "pending": got.pending,
        "processed": t.processed,
        "up_to_date": files - t.processed - got.pending,
        "removed": len(got.removed),
        "unlisted_folders": len(build.unlisted),
        "segments": t.segments,
        "cues_dropped": t.cues_dropped,
        "corrections": t.corrections,
        "corrections_by_rule": dict(sorted(t.by_rule.items())),
        "warnings": t.warnings,
        "quality_before": mean(t.quality_before),
        "quality_after": mean(t.quality_after),
        "processing_time_s": round(t.processing_time_s, 3),
        "processed_segments": t.processed_segments,
        "processed_bytes": t.processed_bytes,
        "files_per_minute": round(t.processed / duration * 60, 1),
        "segments_per_second": round(t.processed_segments / duration, 1),
    }
    return {
        "schema": REPORT_SCHEMA,
        "run": {
            "started": _iso(build.started),
            "finished": _iso(finished),
            "duration_s": round(finished - build.started, 3),
            "srtbuild_version": __version__,
            "parallel": build.parallel,
            "input": build.input,
            "output": escape_name(build.output),
            "config": build.config,
            "settings_digest": build.settings_digest,
        },
        "totals": totals,
        # A folder that could not be listed is an error too: its sources are unknown.
        "errors": [{"path": p, "line": line, "message": m} for p, line, m in t.errors]
        + [{"path": escape_name(folder) + "/", "line": None, "message": why} for folder, why in build.unlisted],
        # Files that kept their output but lost cues the reader could not read.
        "lost_cues": [{"path": p, "cues_dropped": n} for p, n in t.lost],
        "removed": got.removed,
    }


def csv_text(report: dict, lines: list[str] | None = None, delimiter: str = ",", bom: bool = True) -> str:
    """report.csv: one row per file (`lines`, when given, are those rows already made,
    comma-separated). With `bom`, a byte order mark first: spreadsheets then read the
    file as UTF-8 rather than as the locale's code page."""
    head = ",".join(CSV_FIELDS) + "\n"
    text = head + "".join(lines if lines is not None else (csv_line(r) for r in report["files"]))
    if delimiter != ",":
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(csv.reader(io.StringIO(text)))
        text = buf.getvalue()
    return ("\ufeff" if bom else "") + text


def summary_text(report: dict, worst: list[tuple], fmt: str = "simple") -> str:
    from tabulate import tabulate  # only the summary needs it; keeps no-op runs lean

    t = report["totals"]
    run = report["run"]
    parts = [f"srtbuild {run['srtbuild_version']} report: {run['input']} -> {run['output']}, "
             f"{run['started']} ({run['duration_s']} s)"]
    totals = [
        ("files", t["files"]), ("succeeded", t["succeeded"]), ("failed", t["failed"]),
        ("empty (no cues)", t.get("empty", 0)), ("pending", t["pending"]), ("processed this run", t["processed"]), ("up to date", t["up_to_date"]),
        ("removed (source gone)", t["removed"]), ("segments", t["segments"]),
        ("cues dropped (unreadable)", t.get("cues_dropped", 0)), ("corrections", t["corrections"]),
        ("warnings", t["warnings"]), ("quality before", t["quality_before"]), ("quality after", t["quality_after"]),
        ("processing time (s)", t["processing_time_s"]), ("files a minute", t["files_per_minute"]),
        ("segments a second", t["segments_per_second"]),
    ]
    parts.append(tabulate(totals, headers=["total", ""], tablefmt=fmt))
    if t["corrections_by_rule"]:
        rules = sorted(t["corrections_by_rule"].items(), key=lambda kv: (-kv[1], kv[0]))
        parts.append(tabulate(rules, headers=["rule", "corrections"], tablefmt=fmt))
    if worst:
        parts.append(tabulate(
            [(path, before, after, segs, warns) for after, path, before, segs, warns in worst],
            headers=["worst files", "quality before", "after", "segments", "warnings"], tablefmt=fmt,
        ))
    if report["errors"]:
        lines = [f"failed ({len(report['errors'])}):"]
        lines += [f"  {e['path']}:{e['line']}: {e['message']}" if e["line"] else f"  {e['path']}: {e['message']}"
                  for e in report["errors"]]
        parts.append("\n".join(lines))
    if report.get("lost_cues"):
        lost = report["lost_cues"]
        lines = [f"lost cues, unreadable ({sum(x['cues_dropped'] for x in lost)} in {len(lost)} "
                 f"file{'s' if len(lost) != 1 else ''}):"]
        lines += [f"  {x['path']}: {x['cues_dropped']} cue{'s' if x['cues_dropped'] != 1 else ''} dropped"
                  for x in lost]
        parts.append("\n".join(lines))
    if report.get("removed"):
        parts.append("removed, source gone:\n" + "\n".join(f"  {p}" for p in report["removed"]))
    return "\n\n".join(parts) + "\n"


def json_text(report: dict) -> str:
    """report.json, compact (`python -m json.tool` pretty-prints it)."""
    return json.dumps(report, ensure_ascii=False, separators=(",", ":")) + "\n"


def previous_report(root: OutputRoot) -> dict | None:
    """The newest earlier report.json kept in history/ (None without one, or when it
    cannot be read): what the report before the last change said. (History never holds
    the current report: a run archives the one it replaces.)"""
    try:
        names = sorted((n for n, _ in root.entries(f"{STATE_DIR}/{HISTORY}") if n.startswith("report-")), reverse=True)
    except OSError:
        return None
    for name in names[:3]:  # one unreadable file does not hide the rest
        try:
            data = json.loads(root.read(f"{STATE_DIR}/{HISTORY}/{name}"))
        except (OSError, ValueError, SrtbuildError):
            continue
        if isinstance(data, dict) and isinstance(data.get("files"), list) and isinstance(data.get("totals"), dict):
            return data
    return None


def comparison(root: OutputRoot | None, report: dict) -> dict | None:
    """`srtbuild compare` of the previous report and `report`, or None without one."""
    from srtbuild.reports.compare import compare

    old = previous_report(root) if root is not None else None
    try:
        return compare(old, report) if old is not None else None
    except (KeyError, TypeError, AttributeError):  # an old report of another shape
        return None


def render(report: dict, fmt: str, worst: int = 10, root: OutputRoot | None = None, csv_delimiter: str = ",",
           csv_bom: bool = True) -> str:
    """The report in an export format: json, csv, md (tables) or html. `root`, the output
    folder, gives the earlier report to compare with."""
    if fmt == "json":
        return json_text(report)
    if fmt == "csv":
        return csv_text(report, delimiter=csv_delimiter, bom=csv_bom)
    if fmt == "md":
        from srtbuild.reports.markdown import summary

        return summary(report, comparison(root, report), worst)
    if fmt == "html":
        from srtbuild.reports.html import html_report

        return html_report(report, comparison(root, report))
    raise ValueError(f"unknown report format {fmt!r}")


def _archive(root: OutputRoot, keep: int) -> None:
    """Keep the previous report.json in history/ (the newest `keep` of them)."""
    current = f"{STATE_DIR}/report.json"
    st = root.stat(current)
    if keep <= 0 or st is None:
        return
    stamp = datetime.fromtimestamp(st.st_mtime, timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    kept = f"{STATE_DIR}/{HISTORY}/report-{stamp}.json"
    if not stat.S_ISREG(st.st_mode):
        return  # a link, say: nothing of ours to keep
    try:
        # A second name for the file (report.json is then replaced by a new file, not
        # rewritten): 12 MB at 10,000 files, neither read nor written again.
        root.link(current, kept)
    except FileExistsError:
        pass
    except OSError:
        try:
            root.write(kept, root.read(current))
        except OSError:
            return
    old = sorted(n for n, _ in root.entries(f"{STATE_DIR}/{HISTORY}") if n.startswith("report-") and n.endswith(".json"))
    for name in old[:-keep]:
        root.unlink(f"{STATE_DIR}/{HISTORY}/{name}")


def _print_warning(text: str) -> None:
    print(f"srtbuild: warning: {text}", file=sys.stderr)


def write_reports(build: Run, warn: Callable[[str], None] = _print_warning) -> dict[str, Any]:
    """Collect, clean up stale files and write the reports (see _write_reports)."""
    # The step builds tens of thousands of small objects and frees none until it ends:
    # the cyclic collector's passes over them find nothing (0.05 s of a 1 s run that
    # rebuilt one file of 10,000).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _write_reports(build, warn)
    finally:
        if enabled:
            gc.enable()


def _write_reports(build: Run, warn: Callable[[str], None] = _print_warning) -> dict[str, Any]:
    """Collect, clean up stale files and write the reports; returns the report without
    its `files` rows. Every file is written under the output folder through
    srtbuild.confined, so no link planted there can send a write elsewhere. `warn` gets
    what the user should hear of (a damaged cache, a sidecar that cannot be removed)."""
    root = OutputRoot(build.output)
    keep = build.worst_files
    got = collect(root, build.sources, f"{STATE_DIR}/{CACHE_NAME}", keep=keep, started=build.started,
                  protected=[folder for folder, _ in build.unlisted])
    for warning in got.warnings:
        warn(warning)
    report = assemble(build, got, time.time())
    # Earlier reports are kept when a run changed something; a no-op run, or one that only
    # retried files that failed the same way again, only refreshes.
    if got.changed or got.removed:
        _archive(root, build.history)
    rows = [e.json for e in got.entries]
    head = json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    files = ",".join(rows).encode("utf-8")
    root.write(f"{STATE_DIR}/report.json", b"".join((head[:-1], b',"files":[', files, b"]}\n")))
    del files  # 10 MB at 10,000 files: freed before the page is made
    root.write(f"{STATE_DIR}/report.csv", csv_text(report, [e.csv for e in got.entries], build.csv_delimiter,
                                                    build.csv_bom).encode("utf-8"))
    root.write(f"{STATE_DIR}/summary.txt", summary_text(report, got.tally.worst[:keep]).encode("utf-8"))
    page = _page_key(report)
    last = _last(root)
    # Made again when the collection changed, as history/ keeps a report then: not on a
    # run that changed nothing or only retried files that failed the same way again.
    if got.changed or got.removed or page != last.get("page") or root.stat(f"{STATE_DIR}/report.html") is None:
        root.write(f"{STATE_DIR}/report.html", _page(root, report, got, rows, last).encode("utf-8"))
    root.write(f"{STATE_DIR}/{LAST_RUN}", json_text({**report, "page": page}).encode("utf-8"))
    return report


def _page(root: OutputRoot, report: dict, got: Collected, rows: list[str], last: dict) -> str:
    """report.html, from the rows' briefs as the cache keeps them (no row decoded),
    compared with the collection as the cache held it before this run (without a cache:
    with the newest report in history). From the rows themselves if a brief is damaged."""
    from srtbuild.reports.compare import compare
    from srtbuild.reports.html import html_report

    texts = [e.brief for e in got.entries]
    try:
        briefs = parse_briefs(texts)
        if got.before is not None and isinstance(last.get("run"), dict) and isinstance(last.get("totals"), dict):
            # Only the folders that changed differ from the last report: compared, with
            # the totals of both reports, they say what the whole comparison would.
            old = _outline(parse_briefs(got.before), last["run"].get("started"), last["totals"])
            new = _outline(parse_briefs(got.after), report["run"]["started"], report["totals"])
            diff = compare(old, new)
        else:
            diff = comparison(root, _outline(briefs, report["run"]["started"], report["totals"]))
        return html_report(report, diff, briefs=briefs, texts=texts)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError):
        pass  # a damaged cache (it is rebuilt on the next change): the page from the rows
    full = {**report, "files": json.loads("[" + ",".join(rows) + "]")}
    return html_report(full, comparison(root, full))


def _outline(briefs: list[list], started: str | None, totals: dict) -> dict:
    """What `srtbuild compare` reads of a report: its totals and (some of) its files'
    briefs."""
    return {"run": {"started": started}, "totals": totals,
            "files": [{"path": b[0], "status": b[1], "quality_after": b[5]} for b in briefs]}


def _page_key(report: dict) -> str:
    """What report.html shows besides the files' rows, which `collect` says changed or
    not: srtbuild's version (the page's own form), the settings, the folders that could
    not be read and the cues lost. The page is the one report that costs time to make
    (a tenth of a second at 10,000 files)."""
    parts = json.dumps([__version__, report["run"]["settings_digest"], report["errors"], report["lost_cues"]])
    return f"{zlib.crc32(parts.encode('utf-8', 'surrogatepass')):08x}"


def _last(root: OutputRoot) -> dict:
    """The previous run's last-run.json ({} without one)."""
    try:
        data = json.loads(root.read(f"{STATE_DIR}/{LAST_RUN}"))
    except (OSError, ValueError, SrtbuildError):
        return {}
    return data if isinstance(data, dict) else {}


def failure_note(build: Run, report: dict) -> str | None:
    """The one line that says files failed (or folders could not be listed), or None."""
    failed = report["totals"]["failed"]
    unlisted = report["totals"].get("unlisted_folders", 0)
    pending = report["totals"].get("pending", 0)
    if not failed and not unlisted and not pending:
        return None
    parts = [f"{failed} of {report['totals']['files']} files failed"] if failed else []
    if pending:
        parts.append(f"{pending} file{'s have' if pending > 1 else ' has'} no result")
    if unlisted:
        parts.append(f"{unlisted} folder{'s' if unlisted > 1 else ''} could not be listed")
    return f"{'; '.join(parts)}; see {build.summary_shown}"


def report_outcome(build: Run, report: dict) -> tuple[str | None, dict]:
    """What the progress display says of a written report: the line saying files failed
    (None if none did), and the values it shows otherwise (outputs removed with their
    sources, which a changed `exclude` or a deleted source causes)."""
    note = failure_note(build, report)
    removed = report["totals"].get("removed", 0)
    if note and removed:
        note += f"; {removed_note(removed)}"
    return note, {"removed": removed}


def removed_note(n: int) -> str:
    return (f"removed the output{'s' if n != 1 else ''} of {n:,} source{'s' if n != 1 else ''} no longer in the "
            "build (deleted, renamed, or left out by patterns or exclude)")


def clean_reports(out_root: str, dryrun: bool = False) -> None:
    """`doit clean` of the report task: the reports, their history and caches, and every
    sidecar left (with its source's output): those of sources deleted since the last
    build, which no process task knows of any more. Not the state: doit's `forget`
    handles that."""
    root = OutputRoot(out_root)
    names = [f"{STATE_DIR}/{n}" for n in (*REPORT_FILES, LAST_RUN, CACHE_NAME)]
    names += [f"{STATE_DIR}/{HISTORY}/{n}" for n, _ in root.entries(f"{STATE_DIR}/{HISTORY}") if n.endswith(".json")]
    stale = walk_sidecars(root)
    if dryrun:
        for rel in names:
            if root.stat(rel) is not None:
                print(f"would remove {escape_name(root.shown(rel))}")
        for folder, name in stale:
            print(f"would remove {escape_name(root.shown(f'{METRICS}/{folder}/{name}'))} and its output")
        return
    for rel in names:
        if root.unlink(rel):
            root.prune(os.path.dirname(rel))
    for folder, name in stale:
        _, warning = remove_sidecar(root, folder, name)
        if warning:
            print(f"srtbuild: warning: {warning}", file=sys.stderr)
    root.prune(METRICS)
