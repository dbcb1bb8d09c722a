"""Sidecars -> the consolidated reports: report.json, report.csv, summary.txt.

The report always covers the whole collection as it is now: every discovered source's
sidecar is read, whether the file was processed in this run or was up to date. A sidecar
whose source is gone (deleted, renamed, excluded) is stale: it and its output are removed
and listed, so the output tree keeps mirroring the input. Reading 10,000 sidecars on
every run would dominate a no-op build, so rows are cached by the sidecar's (mtime, size)
in `rows.cache.json` and a sidecar is parsed again only when it changed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
from datetime import datetime, timezone
from typing import Any

from tabulate import tabulate

from srtbuild import __version__
from srtbuild.atomic import write_atomic
from srtbuild.tasks import Build

REPORT_SCHEMA = "srtbuild.report/1"
ROW_FIELDS = (
    "path", "output", "status", "segments", "corrections", "corrections_by_rule",
    "quality_before", "quality_after", "checks_before", "checks_after", "warnings", "error",
    "processing_time_s", "size_bytes", "encoding", "processed_at",
)
CSV_FIELDS = (
    "path", "output", "status", "segments", "corrections", "quality_before", "quality_after",
    "warnings", "error_line", "error_message", "processing_time_s", "size_bytes", "corrections_by_rule",
)
_CACHE_NAME = "rows.cache.json"
_CACHE_SCHEMA = "srtbuild.rows/1"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _row(rel: str, output: str, sidecar: dict) -> dict:
    row = {name: sidecar.get(name) for name in ROW_FIELDS}
    row["path"] = rel
    row["output"] = output
    row["warnings"] = len(sidecar.get("warnings") or [])
    return row


def _pending(rel: str, output: str) -> dict:
    row = {name: None for name in ROW_FIELDS}
    row.update(path=rel, output=output, status="pending", segments=0, corrections=0,
               corrections_by_rule={}, checks_before={}, checks_after={}, warnings=0)
    return row


def read_rows(build: Build) -> list[dict]:
    """One row per discovered source, in the sources' order."""
    cache_path = build.where.absolute(os.path.join(build.where.state_dir, _CACHE_NAME))
    try:
        with open(cache_path, encoding="utf-8") as fh:
            cached = json.load(fh)
        old = cached["rows"] if cached.get("schema") == _CACHE_SCHEMA else {}
    except (OSError, ValueError, KeyError, TypeError):
        old = {}
    fresh: dict[str, list] = {}
    rows: list[dict] = []
    for src in build.sources:
        path = build.where.absolute(src.sidecar)
        try:
            st = os.stat(path)
        except OSError:
            rows.append(_pending(src.rel, src.output))
            continue
        stamp = [st.st_mtime_ns, st.st_size]
        hit = old.get(src.rel)
        if hit is not None and hit[:2] == stamp:
            row = hit[2]
        else:
            try:
                with open(path, encoding="utf-8") as fh:
                    row = _row(src.rel, src.output, json.load(fh))
            except (OSError, ValueError) as exc:
                row = _pending(src.rel, src.output)
                row["status"] = "failed"
                row["error"] = {"message": f"unreadable sidecar {src.sidecar}: {exc}", "line": None}
        fresh[src.rel] = [*stamp, row]
        rows.append(row)
    if fresh != old:
        blob = json.dumps({"schema": _CACHE_SCHEMA, "rows": fresh}, ensure_ascii=False, separators=(",", ":"))
        write_atomic(cache_path, blob.encode("utf-8"))
    return rows


def remove_stale(build: Build) -> list[str]:
    """Delete sidecars (and outputs) of sources that no longer exist; returns their names."""
    metrics = build.where.absolute(build.where.metrics_dir)
    out_root = build.where.absolute(build.where.output)
    known = {src.rel for src in build.sources}
    removed: list[str] = []
    for folder, dirs, files in os.walk(metrics):
        for name in files:
            if not name.endswith(".json"):
                continue
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, metrics)[: -len(".json")].replace(os.sep, "/")
            if rel in known:
                continue
            removed.append(rel)
            for path in (full, os.path.join(out_root, rel.replace("/", os.sep))):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
    removed.sort()
    return removed


def assemble(build: Build, rows: list[dict], removed: list[str], finished: float) -> dict:
    ok = [r for r in rows if r["status"] == "ok"]
    failed = [r for r in rows if r["status"] == "failed"]
    processed = [r for r in rows if r["processed_at"] is not None and r["processed_at"] >= build.started]
    pending = sum(1 for r in rows if r["status"] == "pending")
    by_rule: dict[str, int] = {}
    for r in ok:
        for rule, n in (r["corrections_by_rule"] or {}).items():
            by_rule[rule] = by_rule.get(rule, 0) + n
    duration = max(finished - build.started, 1e-9)
    seg_run = sum(r["segments"] or 0 for r in processed)

    def mean(key: str) -> float | None:
        vals = [r[key] for r in ok if r[key] is not None]
        return round(sum(vals) / len(vals), 2) if vals else None

    totals = {
        "files": len(rows),
        "succeeded": len(ok),
        "failed": len(failed),
        "pending": pending,
        "processed": len(processed),
        "up_to_date": len(rows) - len(processed) - pending,
        "removed": len(removed),
        "segments": sum(r["segments"] or 0 for r in ok),
        "corrections": sum(r["corrections"] or 0 for r in ok),
        "corrections_by_rule": dict(sorted(by_rule.items())),
        "warnings": sum(r["warnings"] or 0 for r in rows),
        "quality_before": mean("quality_before"),
        "quality_after": mean("quality_after"),
        "processing_time_s": round(sum(r["processing_time_s"] or 0 for r in processed), 3),
        "files_per_minute": round(len(processed) / duration * 60, 1),
        "segments_per_second": round(seg_run / duration, 1),
    }
    errors = [
        {"path": r["path"], "line": (r["error"] or {}).get("line"), "message": (r["error"] or {}).get("message")}
        for r in failed
    ]
    return {
        "schema": REPORT_SCHEMA,
        "run": {
            "started": _iso(build.started),
            "finished": _iso(finished),
            "duration_s": round(finished - build.started, 3),
            "srtbuild_version": __version__,
            "parallel": build.parallel,
            "input": build.where.input,
            "output": build.where.output,
            "settings_digest": build.settings.digest(),
        },
        "totals": totals,
        "files": rows,
        "errors": errors,
        "removed": removed,
    }


def csv_text(report: dict) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in report["files"]:
        err = r["error"] or {}
        rules = ";".join(f"{k}={v}" for k, v in sorted((r["corrections_by_rule"] or {}).items()))
        writer.writerow([
            r["path"], r["output"], r["status"], r["segments"], r["corrections"], r["quality_before"],
            r["quality_after"], r["warnings"], err.get("line"), err.get("message"), r["processing_time_s"],
            r["size_bytes"], rules,
        ])
    return buf.getvalue()


def summary_text(report: dict, worst: int = 10, fmt: str = "simple") -> str:
    t = report["totals"]
    run = report["run"]
    parts = [f"srtbuild {run['srtbuild_version']} report: {run['input']} -> {run['output']}, "
             f"{run['started']} ({run['duration_s']} s)"]
    totals = [
        ("files", t["files"]), ("succeeded", t["succeeded"]), ("failed", t["failed"]),
        ("pending", t["pending"]), ("processed this run", t["processed"]), ("up to date", t["up_to_date"]),
        ("removed (source gone)", t["removed"]), ("segments", t["segments"]), ("corrections", t["corrections"]),
        ("warnings", t["warnings"]), ("quality before", t["quality_before"]), ("quality after", t["quality_after"]),
        ("processing time (s)", t["processing_time_s"]), ("files a minute", t["files_per_minute"]),
        ("segments a second", t["segments_per_second"]),
    ]
    parts.append(tabulate(totals, headers=["total", ""], tablefmt=fmt))
    if t["corrections_by_rule"]:
        rules = sorted(t["corrections_by_rule"].items(), key=lambda kv: (-kv[1], kv[0]))
        parts.append(tabulate(rules, headers=["rule", "corrections"], tablefmt=fmt))
    scored = [r for r in report["files"] if r["status"] == "ok" and r["quality_after"] is not None]
    scored.sort(key=lambda r: (r["quality_after"], r["path"]))
    if scored and worst:
        parts.append(tabulate(
            [(r["path"], r["quality_before"], r["quality_after"], r["segments"], r["warnings"]) for r in scored[:worst]],
            headers=["worst files", "quality before", "after", "segments", "warnings"], tablefmt=fmt,
        ))
    if report["errors"]:
        lines = [f"failed ({len(report['errors'])}):"]
        lines += [f"  {e['path']}:{e['line']}: {e['message']}" if e["line"] else f"  {e['path']}: {e['message']}"
                  for e in report["errors"]]
        parts.append("\n".join(lines))
    if report.get("removed"):
        parts.append("removed, source gone:\n" + "\n".join(f"  {p}" for p in report["removed"]))
    return "\n\n".join(parts) + "\n"


def render(report: dict, fmt: str, worst: int = 10) -> str:
    """The report in an export format: json, csv, md (tables) or html."""
    if fmt == "json":
        # Compact: with `indent`, json falls back to its pure-Python encoder (10x slower
        # on a 10,000-file report). `python -m json.tool` pretty-prints it.
        return json.dumps(report, ensure_ascii=False, separators=(",", ":")) + "\n"
    if fmt == "csv":
        return csv_text(report)
    if fmt == "md":
        return summary_text(report, worst, fmt="github")
    if fmt == "html":
        body = summary_text(report, worst, fmt="html").replace("\n\n", "\n")
        return f"<!doctype html>\n<meta charset=utf-8>\n<title>srtbuild report</title>\n<pre>{_escape_outside_tables(body)}</pre>\n"
    raise ValueError(f"unknown report format {fmt!r}")


def _escape_outside_tables(text: str) -> str:
    out = []
    for block in text.split("\n<table>"):
        head, sep, rest = block.partition("</table>")
        if sep:
            out.append("<table>" + head + "</table>" + _html_escape(rest))
        else:
            out.append(_html_escape(block))
    return "".join(out)


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _archive(state: str, keep: int) -> None:
    """Move the previous report.json into history/, keeping the newest `keep`."""
    current = os.path.join(state, "report.json")
    if keep <= 0 or not os.path.exists(current):
        return
    history = os.path.join(state, "history")
    os.makedirs(history, exist_ok=True)
    stamp = datetime.fromtimestamp(os.path.getmtime(current), timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    shutil.copyfile(current, os.path.join(history, f"report-{stamp}.json"))
    old = sorted(n for n in os.listdir(history) if n.startswith("report-") and n.endswith(".json"))
    for name in old[:-keep]:
        os.unlink(os.path.join(history, name))


def write_reports(build: Build) -> dict[str, Any]:
    """Collect, clean up stale files and write the three reports; returns the report."""
    rows = read_rows(build)
    removed = remove_stale(build)
    report = assemble(build, rows, removed, time.time())
    state = str(build.where.absolute(build.where.state_dir))
    # Earlier reports are kept when a run changed something; a no-op run only refreshes.
    if report["totals"]["processed"] or removed:
        _archive(state, build.settings.report["history"])
    write_atomic(os.path.join(state, "report.json"), render(report, "json").encode("utf-8"))
    write_atomic(os.path.join(state, "report.csv"), csv_text(report).encode("utf-8"))
    write_atomic(os.path.join(state, "summary.txt"),
                 summary_text(report, build.settings.report["worst_files"]).encode("utf-8"))
    return report
