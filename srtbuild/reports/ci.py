"""What CI systems read: `srtbuild batch --format github|gitlab|junit`.

Each format is made from the run's report.json after the run: its failed files (and,
with `--annotate warnings`, every file's findings: the first warnings of each file, with
their source lines), named by their real path from the repository root (see
`repo_prefix`), so that GitHub and GitLab put them on the right file of a pull request.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from typing import NamedTuple

from srtbuild.names import unescape_name, within

# GitHub shows 10 annotations of each kind a step; more are dropped without a word.
GITHUB_SHOWN = 10


class Finding(NamedTuple):
    path: str  # from the repository root, `/`-separated
    line: int | None
    severity: str  # "error" (a failed file) or "warning"
    check: str  # the quality check, "reader" for a repaired source line, "failed" for an error
    message: str


def pick_format(fmt: str, env: Mapping[str, str] = os.environ) -> str:
    """`auto`: github under GitHub Actions, gitlab under GitLab CI, else text."""
    if fmt != "auto":
        return fmt
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    return "text"


def repo_prefix(report: dict, cwd: str, env: Mapping[str, str] = os.environ) -> str:
    """The input folder as seen from the repository root ("" when they are the same): the
    checkout CI names (GITHUB_WORKSPACE, CI_PROJECT_DIR) when the input is in it, else the
    folder of the srtbuild.yaml in use, else the current folder."""
    run = report.get("run", {})
    source = os.path.abspath(_real(run.get("input") or cwd))
    config = run.get("config")
    # Resolved as the input is (a checkout reached through a link must still hold it).
    roots = [os.path.realpath(r) if r else None for r in (env.get("GITHUB_WORKSPACE"), env.get("CI_PROJECT_DIR"))]
    roots += [os.path.dirname(_real(config)) if config else None, cwd]
    root = next(os.path.abspath(r) for r in roots if r and (r == cwd or within(source, os.path.abspath(r))))
    rel = os.path.relpath(source, root).replace(os.sep, "/")
    return "" if rel == "." else rel + "/"


def _real(shown: str) -> str:
    """A name as the reports show it (srtbuild.names.escape_name) as it is on disk, so that
    an annotation lands on the file; as shown when it is no text (bytes that are not UTF-8)."""
    real = unescape_name(shown)
    try:
        real.encode("utf-8")
    except UnicodeEncodeError:
        return shown
    return real


def findings(report: dict, prefix: str, warnings: bool) -> list[Finding]:
    """Every failure of `report`, then (with `warnings`) every file's findings."""
    out = [Finding(prefix + _real(e["path"]), e.get("line"), "error", "failed", e.get("message") or "failed")
           for e in report.get("errors", [])]
    for row in report.get("files", []):
        if row.get("status") == "pending":
            out.append(Finding(prefix + _real(row["path"]), None, "error", "failed",
                               "no result: the run stopped before this file was built"))
    if warnings:
        for row in report.get("files", []):
            for f in row.get("findings") or []:
                out.append(Finding(prefix + _real(row["path"]), f.get("line"), "warning", str(f.get("source")),
                                   str(f.get("message"))))
    return out


# GitHub's workflow commands: data escapes %, CR and LF; a property also : and ,.
def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def github(found: list[Finding], report: dict) -> str:
    """`::error` and `::warning` workflow commands, 10 of a kind (what the UI shows), then
    a notice counting those left out."""
    lines = []
    left: dict[str, int] = {}
    shown: dict[str, int] = {}
    for f in found:
        if shown.get(f.severity, 0) >= GITHUB_SHOWN:
            left[f.severity] = left.get(f.severity, 0) + 1
            continue
        shown[f.severity] = shown.get(f.severity, 0) + 1
        where = f"file={_prop(f.path)}" + (f",line={f.line}" if f.line else "")
        title = "srtbuild" if f.check == "failed" else f"srtbuild {f.check}"
        lines.append(f"::{f.severity} {where},title={_prop(title)}::{_data(f.message)}")
    if left:
        counts = " and ".join(f"{n:,} more {kind}{'s' if n != 1 else ''}" for kind, n in sorted(left.items()))
        lines.append(f"::notice title=srtbuild::{_data(counts)} not shown as annotations (GitHub shows "
                     f"{GITHUB_SHOWN} of each kind a step; the report lists each file's first warnings, its "
                     "sidecar all of them): see the step summary and report.html")
    totals = report.get("totals", {})
    if not found:
        lines.append(f"::notice title=srtbuild::{totals.get('files', 0):,} files, none failed")
    return "".join(line + "\n" for line in lines)


def gitlab(found: list[Finding]) -> str:
    """A GitLab Code Quality report: a JSON list of issues, each with a stable
    fingerprint (the same problem on the same line keeps its identity between runs)."""
    issues = []
    seen: set[str] = set()
    for f in found:
        key = "\0".join((f.path, str(f.line), f.check, f.message))
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        if digest in seen:
            continue
        seen.add(digest)
        issues.append({
            "description": f.message if f.check in ("failed", "reader") else f"{f.check}: {f.message}",
            "check_name": f"srtbuild/{f.check}",
            "fingerprint": digest,
            "severity": "major" if f.severity == "error" else "minor",
            "location": {"path": f.path, "lines": {"begin": f.line or 1}},
        })
    return json.dumps(issues, ensure_ascii=False, separators=(",", ":")) + "\n"


# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml(text: str) -> str:
    # (xml.sax.saxutils would do, but it imports urllib.request: 20 ms on every run.)
    return _NOT_XML.sub("\ufffd", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    """A quoted attribute value; line breaks and tabs as references, or XML would read
    them as spaces."""
    value = _xml(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return f'"{value}"'


def junit(found: list[Finding], report: dict, prefix: str) -> str:
    """JUnit XML: one test case per subtitle file, a failure for a failed one (its
    file:line and message), skipped for an empty one; findings in its system-out."""
    by_path: dict[str, list[Finding]] = {}
    for f in found:
        by_path.setdefault(f.path, []).append(f)
    rows = report.get("files", [])
    failures = sum(1 for r in rows if r.get("status") in ("failed", "pending"))
    skipped = sum(1 for r in rows if r.get("status") == "empty")
    run = report.get("run", {})
    total_time = sum((r.get("processing_time_s") or 0) for r in rows)
    head = (f'<testsuite name="srtbuild" tests="{len(rows)}" failures="{failures}" errors="0" '
            f'skipped="{skipped}" time="{total_time:.3f}" timestamp={_attr(str(run.get("finished", "")))}>')
    cases = []
    for row in rows:
        path = prefix + _real(row["path"])
        folder, _, name = path.rpartition("/")
        case = (f'<testcase classname={_attr(folder or "srtbuild")} name={_attr(name)} '
                f'time="{(row.get("processing_time_s") or 0):.3f}"')
        body = []
        mine = by_path.get(path, [])
        status = row.get("status")
        if status in ("failed", "pending"):
            err = next((f for f in mine if f.severity == "error"), None)
            message = err.message if err else "failed"
            where = f"{path}:{err.line}" if err and err.line else path
            body.append(f"<failure message={_attr(message)} type=\"srtbuild\">{_xml(f'{where}: {message}')}</failure>")
        elif status == "empty":
            body.append('<skipped message="empty file: no cue to show"/>')
        notes = [f for f in mine if f.severity == "warning"]
        if notes:
            text = "\n".join(f"{f.path}:{f.line}: {f.check}: {f.message}" if f.line else f"{f.path}: {f.check}: {f.message}"
                             for f in notes)
            more = (row.get("warnings") or 0) - len(notes)
            if more > 0:
                text += f"\n... and {more:,} more warnings in the file's sidecar"
            body.append(f"<system-out>{_xml(text)}</system-out>")
        cases.append(case + ("/>" if not body else ">" + "".join(body) + "</testcase>"))
    suites = (f'<testsuites name="srtbuild" tests="{len(rows)}" failures="{failures}" errors="0" '
              f'skipped="{skipped}" time="{total_time:.3f}">')
    return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', suites, head, *cases, "</testsuite>",
                      "</testsuites>"]) + "\n"


def render(fmt: str, report: dict, cwd: str, warnings: bool, env: Mapping[str, str] = os.environ) -> str:
    """`fmt` (github, gitlab or junit) made from `report` (with its `files` rows)."""
    prefix = repo_prefix(report, cwd, env)
    found = findings(report, prefix, warnings)
    if fmt == "github":
        return github(found, report)
    if fmt == "gitlab":
        return gitlab(found)
    if fmt == "junit":
        return junit(found, report, prefix)
    raise ValueError(f"unknown CI format {fmt!r}")
