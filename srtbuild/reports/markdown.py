"""The report as Markdown fit for a pull-request comment or a GitHub step summary:
totals, the comparison with the previous report, the worst files and the failures.

`--export-format md` writes it, and `--format github` appends it to the file that
GITHUB_STEP_SUMMARY names. Tables are written here rather than with tabulate: a path or
a message can hold `|`, a backtick or a line break, which must not break a table.
"""

from __future__ import annotations

from typing import Any

from srtbuild.reports.rows import ranked

MAX_LISTED = 50  # failures and changed files listed; a step summary holds at most 1 MiB


def cell(value: Any) -> str:
    """A table cell: pipes, line breaks and HTML kept as text."""
    if value is None:
        return "-"
    text = str(value)
    # (`@` as a reference: a path like `@team/x.srt` must not mention anyone in a PR comment.)
    for raw, safe in (("\\", "\\\\"), ("|", "\\|"), ("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("`", "\\`"),
                      ("*", "\\*"), ("_", "\\_"), ("[", "\\["), ("]", "\\]"), ("@", "&#64;"), ("~", "\\~")):
        text = text.replace(raw, safe)
    return " ".join(text.split())  # a line break would end the row


def _table(head: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _checks(row: dict) -> str:
    failing = ranked(row.get("checks_after"))
    return ", ".join(f"{k} {n}" for k, n in zip(failing[::2], failing[1::2])) or "-"


def _arrow(before: Any, after: Any) -> str:
    if before is None and after is None:
        return "-"
    return f"{'-' if before is None else before} → {'-' if after is None else after}"


def summary(report: dict, comparison: dict | None = None, worst: int = 10) -> str:
    t = report.get("totals", {})
    run = report.get("run", {})
    failed = t.get("failed", 0)
    verdict = f"{failed:,} failed" if failed else "none failed"
    count = t.get("files", 0)
    parts = [f"## srtbuild: {count:,} file{'' if count == 1 else 's'}, {verdict}",
             f"Quality {_arrow(t.get('quality_before'), t.get('quality_after'))} (0-100, mean over files), "
             f"{t.get('corrections', 0):,} corrections, {t.get('warnings', 0):,} warnings; "
             f"{t.get('processed', 0):,} processed, {t.get('up_to_date', 0):,} up to date "
             f"({cell(run.get('finished'))}, srtbuild {cell(run.get('srtbuild_version'))})."]
    parts.append(_table(["total", ""], [
        ["files", t.get("files")], ["succeeded", t.get("succeeded")], ["failed", failed],
        ["empty (no cues)", t.get("empty", 0)], ["no result", t.get("pending", 0)],
        ["segments", t.get("segments")], ["corrections", t.get("corrections")], ["warnings", t.get("warnings")],
        ["quality before", t.get("quality_before")], ["quality after", t.get("quality_after")],
    ]))
    if comparison is not None:
        parts.append(_compared(comparison))
    files = report.get("files", [])
    scored = sorted((r for r in files if r.get("status") == "ok" and r.get("quality_after") is not None),
                    key=lambda r: (r["quality_after"], r["path"]))[:worst]
    if scored:
        parts.append(f"### The {len(scored)} worst files\n\n" + _table(
            ["file", "quality", "corrections", "checks still failing"],
            [[r["path"], _arrow(r.get("quality_before"), r["quality_after"]), r.get("corrections"), _checks(r)]
             for r in scored]))
    errors = report.get("errors", [])
    if errors:
        listed = errors[:MAX_LISTED]
        body = _table(["file", "line", "error"], [[e.get("path"), e.get("line"), e.get("message")] for e in listed])
        if len(errors) > len(listed):
            body += f"\n\n… and {len(errors) - len(listed):,} more in report.json"
        parts.append(f"### Failed ({len(errors):,})\n\n" + body)
    return "\n\n".join(parts) + "\n"


def _compared(diff: dict) -> str:
    totals = diff.get("totals", {})
    quality = totals.get("quality_after", {})
    change = quality.get("change")
    trend = "no earlier score" if change is None else "unchanged" if change == 0 else \
        f"{'up' if change > 0 else 'down'} {abs(change):g}"
    lines = [f"### Since the previous report ({cell(diff.get('old'))})", "",
             f"- mean quality after correction: {trend}"]
    for key, label in (("added", "added"), ("removed", "removed"), ("newly_failed", "newly failing"),
                       ("fixed", "fixed (failed before)")):
        paths = diff.get(key) or []
        shown = ", ".join(cell(p) for p in paths[:MAX_LISTED])
        more = f" and {len(paths) - MAX_LISTED:,} more" if len(paths) > MAX_LISTED else ""
        lines.append(f"- {label}: {len(paths):,}" + (f" ({shown}{more})" if paths else ""))
    return "\n".join(lines)
