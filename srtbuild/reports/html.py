"""report.html: the whole report as one self-contained web page.

The page is opened from disk, mailed, kept as a CI artifact: it loads nothing (no network,
no external script, style, font or image), and a Content-Security-Policy allows no script
but its own, by hash. Everything read from the report is text to us: it goes through
html.escape, and the rows beyond the first `detailed` go into one JSON data island whose
"<", ">" and "&" are escaped, so that no path or message can end the script element. The
page works without script (the worst rows, worst first); the script adds sorting,
filtering and the remaining rows page by page, and builds nodes with textContent only.
Rows of older reports may lack any field: every value is checked, none is trusted.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from pathlib import Path
from typing import NamedTuple

from srtbuild.reports import charts
from srtbuild.reports.rows import brief, figure

# The page's style and script, files of the package (page.js: ASCII only, its hash is the
# Content-Security-Policy's; every text goes in by textContent).
_HERE = Path(__file__).resolve().parent
CSS = (_HERE / "page.css").read_text(encoding="utf-8")
SCRIPT = (_HERE / "page.js").read_text(encoding="ascii")
_CSP = ("default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{base64.b64encode(hashlib.sha256(SCRIPT.encode('ascii')).digest()).decode('ascii')}'")

PAGE = 500  # rows the script adds per "show more"
LISTED = 1000  # paths shown per comparison list; `srtbuild compare` lists them all
STATUSES = ("ok", "failed", "empty", "pending")  # the ones with a colour of their own
ARROW, DASH, DOT = "\u2192", "\u2013", " \u00b7 "
FAILED, NUMBER = ' class="failed"', ' class="n"'  # (3.11: no quotes escaped inside an f-string's braces)


class Row(NamedTuple):
    path: str
    status: str
    segments: float | None
    corrections: float | None
    before: float | None
    after: float | None
    checks: list[tuple[str, float]]  # checks_after with counts > 0, most first
    time: float | None
    rules: list[tuple[str, float]]  # corrections_by_rule, most first
    findings: list[tuple[float | None, str, str]]  # (line, source, message)
    warnings: float
    error: tuple[str, float | None] | None  # (message, line)
    dropped: float


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _from_brief(b: list) -> Row:
    return Row(b[0], b[1], b[2], b[3], b[4], b[5], list(zip(b[6][::2], b[6][1::2])), b[7],
               list(zip(b[8][::2], b[8][1::2])), list(zip(b[9][::3], b[9][1::3], b[9][2::3])), b[10] or 0,
               (b[11][0], b[11][1]) if b[11] else None, b[12] or 0)


def _order(b: list) -> tuple:
    """Of a brief: failed first, then the worst quality after, then files without a score."""
    if b[1] == "failed":
        return (0, 0.0, b[0])
    if b[1] in ("pending", "empty"):
        return (3, 0.0, b[0])
    return (1, b[5], b[0]) if b[5] is not None else (2, 0.0, b[0])


# Formats; the script has a twin of each for the rows it builds.
def _int(n: float | None) -> str:
    return DASH if n is None else f"{round(n):,}"


def _q(q: float | None) -> str:
    return DASH if q is None else f"{q:.1f}"


def _secs(s: float | None) -> str:
    return DASH if s is None else f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def _pairs(pairs: list[tuple[str, float]]) -> str:
    return ", ".join(f"{k} {_int(n)}" for k, n in pairs)


def _band(q: float | None) -> str:
    # Presentation only: where a score starts to look fine or bad to a reader.
    return "" if q is None else "q-bad" if q < 50 else "q-mid" if q < 70 else "q-good"


def _quality(before: float | None, after: float | None) -> str:
    if before is None and after is None:
        return DASH
    return f'{_q(before)} {ARROW} <b class="{_band(after)}">{_q(after)}</b>'


def _v(x: float | None) -> str:
    return "" if x is None else str(x)


def _details(row: Row) -> str:
    items = [f"<li>corrections: {_e(_pairs(row.rules)) or 'none'}</li>"]
    if row.error:
        at = "" if row.error[1] is None else f" at line {round(row.error[1])}"
        items.append(f'<li class="err">error{at}: {_e(row.error[0])}</li>')
    if row.dropped:
        items.append(f"<li>{_int(row.dropped)} cues dropped (unreadable)</li>")
    for line, source, message in row.findings:
        at = "" if line is None else f"line {round(line)}: "
        items.append(f"<li>{at}{_e(source)}: {_e(message)}</li>")
    more = row.warnings - len(row.findings)
    if more > 0:
        lead = f"and {_int(more)} more" if row.findings else _int(more)
        plural = "s" if more != 1 else ""
        items.append(f'<li class="muted">{lead} warning{plural} in the file&#x27;s sidecar</li>')
    return f"<ul>{''.join(items)}</ul>"


def _tr(row: Row) -> str:
    failed = row.status == "failed"
    st = row.status if row.status in STATUSES else "other"
    return (f"<tr{FAILED if failed else ''}><td class=\"path\"><details{' open' if failed else ''}>"
            f"<summary>{_e(row.path)}</summary>{_details(row)}</details></td>"
            f'<td><span class="st st-{st}">{_e(row.status)}</span></td>'
            f'<td class="n" data-v="{_v(row.segments)}">{_int(row.segments)}</td>'
            f'<td class="n" data-v="{_v(row.corrections)}">{_int(row.corrections)}</td>'
            f'<td class="n" data-v="{_v(row.after)}">{_quality(row.before, row.after)}</td>'
            f'<td class="checks" data-v="{sum(n for _, n in row.checks)}">{_e(_pairs(row.checks))}</td>'
            f'<td class="n" data-v="{_v(row.time)}">{_secs(row.time)}</td></tr>')


def _island(texts: list[str]) -> str:
    """The rows not rendered: the JSON texts of their briefs (srtbuild.reports.rows.brief)."""
    text = '{"rows":[' + ",".join(texts) + "]}"
    # JSON strings may carry these as escapes; then nothing in the island can close its element.
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _when(stamp: object) -> str:
    return stamp.replace("T", " ").replace("Z", " UTC") if isinstance(stamp, str) else DASH


def _dict(x: object) -> dict:
    return x if isinstance(x, dict) else {}


def _plain(x: object) -> str:
    v = figure(x)
    return DASH if v is None else f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"


def _head(report: dict, rows: list[list]) -> str:
    run, t = _dict(report.get("run")), _dict(report.get("totals"))

    def n(key: str, fallback: float | None = None) -> float | None:
        v = figure(t.get(key))
        return fallback if v is None else v

    failed = n("failed", sum(b[1] == "failed" for b in rows))
    others = [f"{_int(n(k))} {k}" for k in ("empty", "pending") if n(k)]
    cards = [
        ("files", _int(n("files", len(rows))), DOT.join(others) or f"{_int(n('segments'))} segments", ""),
        ("succeeded", _int(n("succeeded")), "", "good" if n("succeeded") and not failed else ""),
        ("failed", _int(failed), "listed first below" if failed else "", "bad" if failed else ""),
        ("mean quality, before \u2192 after", f"{_q(n('quality_before'))} {ARROW} {_q(n('quality_after'))}",
         "a score of 0\u2013100", "wide"),
        ("corrections", _int(n("corrections")), "", ""),
        ("warnings", _int(n("warnings")), "", ""),
        ("processed", _int(n("processed")), f"this run; {_int(n('up_to_date'))} up to date", ""),
    ]
    card_html = "".join(f'<div class="card {cls}"><span>{_e(label)}</span><b>{value}</b>'
                        f"<small>{_e(sub)}</small></div>" for label, value, sub, cls in cards)
    meta = [f"finished {_e(_when(run.get('finished')))}", f"srtbuild {_e(run.get('srtbuild_version') or '?')}"]
    if (took := figure(run.get("duration_s"))) is not None:
        meta.append(f"took {took:,.1f} s")
    if workers := figure(run.get("parallel")):
        meta.append(f"{_int(workers)} worker{'s' if workers != 1 else ''}")
    return (f'<header><h1>Subtitle build report</h1><p class="run"><code>{_e(run.get("input") or "?")}</code> '
            f'{ARROW} <code>{_e(run.get("output") or "?")}</code></p><p class="muted">{DOT.join(meta)}</p></header>'
            f'<main><section class="cards" aria-label="totals">{card_html}</section>')


def _paths(title: str, paths: list[str]) -> str:
    """A list of paths, open when short; a long one is capped (the CLI lists it all)."""
    if not paths:
        return ""
    items = "".join(f"<li>{_e(p)}</li>" for p in paths[:LISTED])
    if len(paths) > LISTED:
        items += f'<li class="muted">and {len(paths) - LISTED:,} more (srtbuild compare lists them all)</li>'
    return (f"<details{' open' if len(paths) <= 10 else ''}><summary>{_e(title)} ({len(paths):,})</summary>"
            f'<ul class="paths">{items}</ul></details>')


GOOD_UP = {"succeeded", "quality_before", "quality_after"}  # a rise is good news
GOOD_DOWN = {"failed", "cues_dropped", "warnings"}  # a rise is bad news


def _tone(key: str, delta: float | None) -> str:
    """The class of a change: "up" for good news, "down" for bad, "" for neither."""
    if not delta or key not in GOOD_UP | GOOD_DOWN:
        return ""
    return "up" if (delta > 0) == (key in GOOD_UP) else "down"


def _table(title: str, head: tuple[str, ...], rows: list[str]) -> str:
    """A small table folded under its title; columns after the first are numbers."""
    if not rows:
        return ""
    ths = "".join(f'<th{"" if i == 0 else NUMBER}>{_e(h)}</th>' for i, h in enumerate(head))
    return (f'<details><summary>{_e(title)}</summary><div class="scroll"><table><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></details>')


def _comparison(diff: dict | None) -> str:
    title = "<h2>Compared with the previous run</h2>"
    if not isinstance(diff, dict):
        return f'<section>{title}<p class="muted">No earlier report to compare with.</p></section>'
    lists = {k: [str(p) for p in diff.get(k) or []] for k in ("added", "removed", "newly_failed", "fixed")}
    totals = _dict(diff.get("totals"))
    quality = _dict(totals.get("quality_after"))
    change = figure(quality.get("change"))
    shift = f"{_q(figure(quality.get('old')))} {ARROW} {_q(figure(quality.get('new')))}"
    trend = ("mean quality after correction " + (f"{shift}" if change is None else "unchanged" if not change else
                                                 f"{'up' if change > 0 else 'down'} {abs(change):.2f} ({shift})"))
    chips = [(f"{len(lists['added']):,} added", ""), (f"{len(lists['removed']):,} removed", ""),
             (f"{len(lists['newly_failed']):,} newly failing", "down" if lists["newly_failed"] else ""),
             (f"{len(lists['fixed']):,} fixed", "up" if lists["fixed"] else ""),
             (trend, _tone("quality_after", change))]
    sums = []
    for key, v in totals.items():
        v = _dict(v)
        delta = figure(v.get("change"))
        sums.append(f'<tr><td>{_e(str(key).replace("_", " "))}</td><td{NUMBER}>{_plain(v.get("old"))}</td>'
                    f'<td{NUMBER}>{_plain(v.get("new"))}</td><td class="n {_tone(key, delta)}">'
                    f'{DASH if delta is None else f"{delta:+,g}"}</td></tr>')
    moved = sorted((c for c in diff.get("changed") or [] if isinstance(c, dict) and figure(c.get("change"))),
                   key=lambda c: (c["change"], str(c.get("path"))))[:20]
    drops = [f'<tr><td>{_e(c.get("path"))}</td><td{NUMBER}>{_q(figure(c.get("old_quality")))}</td>'
             f'<td{NUMBER}>{_q(figure(c.get("new_quality")))}</td>'
             f'<td class="n {_tone("quality_after", c["change"])}">{c["change"]:+.1f}</td></tr>' for c in moved]
    return (f'<section>{title}<p class="muted">previous run started {_e(_when(diff.get("old")))}</p>'
            '<ul class="chips">' + "".join(f'<li class="{cls}">{_e(text)}</li>' for text, cls in chips) + "</ul>"
            + "".join(_paths(name, lists[k]) for k, name in (("newly_failed", "newly failing"), ("fixed", "fixed"),
                                                              ("added", "added"), ("removed", "removed")))
            + _table("totals, previous and now", ("total", "previous", "now", "change"), sums)
            + _table(f"quality changed, most dropped first ({len(moved)})", ("file", "previous", "now", "change"),
                     drops)
            + "</section>")


def _problems(report: dict, rows: list[list]) -> str:
    """What the file rows do not show: folders that could not be listed, cues lost, and
    outputs removed with their sources. Failed files are rows of their own."""
    paths = {b[0] for b in rows}
    errors = [e for e in report.get("errors") or [] if isinstance(e, dict) and str(e.get("path")) not in paths]
    lost = sum(figure(x.get("cues_dropped")) or 0 for x in report.get("lost_cues") or [] if isinstance(x, dict))
    removed = [str(p) for p in report.get("removed") or []]
    parts = []
    if errors:
        items = "".join(f'<li><code>{_e(e.get("path"))}</code>: {_e(e.get("message"))}</li>' for e in errors)
        parts.append(f'<p class="err">not read ({len(errors):,}):</p><ul class="paths">{items}</ul>')
    if lost:
        parts.append(f"<p>{_int(lost)} cues could not be read and were dropped; the files' details say where.</p>")
    parts.append(_paths("outputs removed, their sources are gone", removed))
    body = "".join(parts)
    return f"<section><h2>Problems</h2>{body}</section>" if body else ""


def _charts(report: dict, rows: list[list]) -> str:
    """The five charts, from the briefs of all files."""
    by_rule = _dict(_dict(report.get("totals")).get("corrections_by_rule"))
    if not by_rule:  # an old report without the total: add up the rows
        for b in rows:
            for k, v in zip(b[8][::2], b[8][1::2]):
                by_rule[k] = by_rule.get(k, 0) + v
    checks: dict[str, float] = {}
    for b in rows:
        for k, v in zip(b[6][::2], b[6][1::2]):
            checks[k] = checks.get(k, 0) + v
    worst = sorted(((b[5], b[0], b[4]) for b in rows if b[5] is not None))[:20]
    figures = [
        ("Quality before and after", charts.quality_histogram([b[4] for b in rows if b[4] is not None],
                                                              [b[5] for b in rows if b[5] is not None])),
        ("Lowest quality after correction", charts.worst_files([(path, before, after) for after, path, before in worst])),
        ("Corrections by rule", charts.rule_bars({str(k): v for k, v in by_rule.items() if figure(v)})),
        ("Checks still failing after correction", charts.failing_checks(checks)),
        ("Processing time per file", charts.time_histogram([b[7] for b in rows if b[7] is not None])),
    ]
    return ('<section><h2>Charts</h2><div class="charts">'
            + "".join(f'<figure class="box{" tall" if i == 1 else ""}"><figcaption>{_e(cap)}</figcaption>'
                      f"{svg}</figure>" for i, (cap, svg) in enumerate(figures))
            + "</div></section>")


COLUMNS = (("path", ""), ("status", ""), ("segments", "n"), ("corrections", "n"),
           ("quality before \u2192 after", "n"), ("checks failing after", ""), ("time", "n"))


def _files(rows: list[list], texts: list[str] | None, detailed: int) -> str:
    """The files' table: the first `detailed` rows (`rows`: briefs, in the page's order)
    as HTML, the rest as the data island (`texts`: the briefs' JSON, when the cache has
    it)."""
    shown = [_from_brief(b) for b in rows[:detailed]]
    rest = texts[detailed:] if texts is not None else \
        [json.dumps(b, ensure_ascii=False, separators=(",", ":")) for b in rows[detailed:]]
    head = "".join(f'<th class="{cls}">{_e(name)}</th>' for name, cls in COLUMNS)
    lead = ("No files in this report." if not rows else
            f"{len(rows):,} file{'s' if len(rows) != 1 else ''}: failed first, then by quality after correction, "
            "worst first. Open a path for its corrections and warnings.")
    are = "files are" if len(rest) != 1 else "file is"
    note = (f'<p id="nojs" class="note">{len(rest):,} more {are} not shown here: report.csv and report.json '
            "list them all.</p>" if rest else "")
    return (f'<section><h2>Files</h2><p class="muted">{lead}</p>'
            '<div id="controls" class="controls" hidden><input id="filter" type="search" '
            'placeholder="filter by path" aria-label="filter by path"><select id="status" aria-label="status">'
            '<option value="">all statuses</option></select><span id="shown" class="muted"></span></div>'
            f'<div class="scroll"><table id="files" data-page="{PAGE}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(_tr(r) for r in shown)}</tbody></table></div>{note}'
            '<button id="more" class="more" type="button" hidden></button></section>'
            f'<script type="application/json" id="rows">{_island(rest)}</script>')


def html_report(report: dict, comparison: dict | None = None, detailed: int = 500,
                briefs: list[list] | None = None, texts: list[str] | None = None) -> str:
    """report.html for a parsed report.json, with `comparison` (compare(previous, report))
    when there is an earlier run. The first `detailed` rows are HTML; the rest are data
    the page's script renders on demand, which keeps 10,000 files to a few megabytes.
    `briefs`, the rows' briefs (srtbuild.reports.rows.parse_briefs of the cache's
    `texts`), stand for `report["files"]`: then no row is decoded."""
    if briefs is None:
        briefs = [brief(r) for r in report.get("files") or [] if isinstance(r, dict)]
        texts = None
    order = sorted(range(len(briefs)), key=lambda i: _order(briefs[i]))
    rows = [briefs[i] for i in order]
    texts = [texts[i] for i in order] if texts is not None else None
    run = _dict(report.get("run"))
    page = ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="color-scheme" content="light dark">'
            f'<title>srtbuild report: {_e(run.get("input") or "")}</title>'
            f"<style>{CSS}{charts.CHART_CSS}</style></head>\n"
            f"<body>{_head(report, rows)}{_comparison(comparison)}{_problems(report, rows)}{_charts(report, rows)}"
            f"{_files(rows, texts, max(detailed, 0))}</main>"
            f'<footer class="muted">srtbuild {_e(run.get("srtbuild_version") or "?")}, schema '
            f'{_e(report.get("schema") or "?")}. This page loads nothing from the network.</footer>'
            f"<script>{SCRIPT}</script></body></html>\n")
    # A lone surrogate (a file name no encoding could decode, kept by an old report) has no
    # UTF-8 form; it becomes "?" rather than failing the write of the whole page.
    return page.encode("utf-8", "replace").decode("utf-8")
