"""Inline SVG charts for report.html: small pure functions, numbers in, SVG text out.

Each chart is a whole <svg> with a <title> and an aria-label, so a screen reader and a
tooltip can name it. It scales to its container through its viewBox, and it paints with
CSS classes whose colours are CSS variables (CHART_CSS, which the page includes), so the
page's dark mode reaches it. No chart divides by a count that can be zero: an empty
collection draws a line of text saying so. Geometry lives here; the page is assembled in
srtbuild.reports.html.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from html import escape

WIDTH = 360  # viewBox units: near a chart column's CSS width on a laptop and on a phone, so text keeps its size
CHAR = 6.6  # the mean advance of a 12px sans-serif character: labels are fitted without measuring
ROW = 22  # one horizontal bar

# Log-spaced, because one file takes a millisecond and the next ten seconds.
TIME_EDGES = (0.001, 0.01, 0.1, 1.0, 10.0)
TIME_BINS = ("<1 ms", "1\u201310 ms", "10\u2013100 ms", "0.1\u20131 s", "1\u201310 s", "\u226510 s")
TIME_AXIS = ("0", "1 ms", "10 ms", "100 ms", "1 s", "10 s", "")  # the bins' edges: short enough for a phone

CHART_CSS = """
svg.chart{display:block;width:100%;height:auto;overflow:visible}
.chart text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;fill:var(--fg)}
.chart text.muted{fill:var(--muted)}
.chart text.tick{fill:var(--muted);font-size:11px}
.chart .grid{stroke:var(--grid);stroke-width:1}
.chart .axis{stroke:var(--border);stroke-width:1}
.chart .bar{fill:var(--accent)}
.chart .before{fill:var(--before)}
.chart .after{fill:var(--after)}
.chart .bad{fill:var(--bad)}
.chart .track{fill:var(--track)}
.chart .mark{fill:var(--fg)}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _n(v: float) -> str:
    """A coordinate, short: SVG text is bytes in a page that may hold 10,000 rows."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _count(v: float) -> str:
    return f"{v:,.0f}"


def _svg(title: str, height: float, body: Iterable[str]) -> str:
    t = _e(title)
    h = _n(height)
    return (f'<svg class="chart" viewBox="0 0 {WIDTH} {h}" width="{WIDTH}" height="{h}" role="img" '
            f'aria-label="{t}"><title>{t}</title>{"".join(body)}</svg>')


def _empty(title: str, message: str) -> str:
    return _svg(title, 56, [f'<text class="muted" x="{WIDTH // 2}" y="32" text-anchor="middle">{_e(message)}</text>'])


def _fit(label: str, room: float) -> str:
    """Cut a label to what fits in `room` units; the whole label stays in the tooltip."""
    most = max(int(room / CHAR), 3)
    return label if len(label) <= most else label[: most - 1] + "\u2026"


def _ticks(peak: float) -> list[int]:
    """Gridlines from 0 up to a round count at or above `peak`: steps of 1, 2 or 5 x 10^k."""
    if peak <= 0:
        return [0, 1]
    raw = peak / 4
    mag = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return [i * step for i in range(math.ceil(peak / step) + 1)]


def _legend(entries: Sequence[tuple[str, str]], y: float) -> str:
    parts, x = [], 0.0
    for name, cls in entries:
        parts.append(f'<rect class="{cls}" x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" rx="2"/>'
                     f'<text x="{_n(x + 14)}" y="{_n(y)}">{_e(name)}</text>')
        x += 14 + len(name) * CHAR + 16
    return "".join(parts)


def columns(title: str, bins: Sequence[str], axis: Sequence[str],
            series: Sequence[tuple[str, str, Sequence[int]]], unit: str = "files") -> str:
    """Grouped vertical bars: a group per bin, a bar per series (name, CSS class, counts).
    `axis` labels the bins' centres (one per bin) or their edges (one more than the bins)."""
    top = 26 if len(series) > 1 else 10
    left, plot_h, bottom = 44, 150, 24
    plot_w = WIDTH - left - 4
    ticks = _ticks(max((max(c, default=0) for _, _, c in series), default=0))
    scale = plot_h / ticks[-1]
    base = top + plot_h
    out = [_legend([(name, cls) for name, cls, _ in series], 12)] if len(series) > 1 else []
    for t in ticks:
        y = base - t * scale
        out.append(f'<line class="grid" x1="{left}" x2="{WIDTH}" y1="{_n(y)}" y2="{_n(y)}"/>'
                   f'<text class="tick" x="{left - 6}" y="{_n(y + 4)}" text-anchor="end">{_count(t)}</text>')
    group = plot_w / len(bins)
    bar = group * 0.78 / len(series)
    for i, name in enumerate(bins):
        for k, (sname, cls, counts) in enumerate(series):
            v = counts[i]
            if not v:
                continue
            h = max(v * scale, 1.0)  # one file still shows
            x = left + i * group + group * 0.11 + k * bar
            out.append(f'<rect class="{cls}" x="{_n(x)}" y="{_n(base - h)}" width="{_n(bar - 1)}" height="{_n(h)}">'
                       f'<title>{_e(sname)}, {_e(name)}: {_count(v)} {_e(unit)}</title></rect>')
    out.append(f'<line class="axis" x1="{left}" x2="{WIDTH}" y1="{base}" y2="{base}"/>')
    edges = len(axis) == len(bins) + 1
    for i, label in enumerate(axis):
        x = left + (i if edges else i + 0.5) * group
        out.append(f'<text class="tick" x="{_n(x)}" y="{base + 16}" text-anchor="middle">{_e(label)}</text>')
    return _svg(title, base + bottom, out)


def hbars(title: str, items: Sequence[tuple[str, float]], empty: str, cls: str = "bar") -> str:
    """Horizontal bars with their labels on the left and their values on the right,
    in the order given."""
    if not items:
        return _empty(title, empty)
    label_w = min(max(len(k) for k, _ in items) * CHAR + 10, WIDTH * 0.42)
    value_w = max(len(_count(v)) for _, v in items) * CHAR + 10
    span = WIDTH - label_w - value_w
    peak = max(v for _, v in items) or 1
    out = []
    for i, (label, v) in enumerate(items):
        y = 6 + i * ROW
        w = max(v / peak * span, 1.0 if v else 0.0)
        shown = _e(_fit(label, label_w - 10))
        out.append(f'<g><title>{_e(label)}: {_count(v)}</title>'
                   f'<text x="{_n(label_w - 8)}" y="{y + 14}" text-anchor="end">{shown}</text>'
                   f'<rect class="{cls}" x="{_n(label_w)}" y="{y + 3}" width="{_n(w)}" height="14" rx="2"/>'
                   f'<text class="muted" x="{_n(label_w + w + 5)}" y="{y + 14}">{_count(v)}</text></g>')
    return _svg(title, 12 + len(items) * ROW, out)


def _ranked(counts: Mapping[str, float]) -> list[tuple[str, float]]:
    return sorted(((k, v) for k, v in counts.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))


def quality_histogram(before: Iterable[float], after: Iterable[float]) -> str:
    """How many files score in each band of 10 points, before and after correction."""
    title = "Quality score before and after correction: files per 10-point band"

    def bands(scores: Iterable[float]) -> list[int]:
        counts = [0] * 10
        for q in scores:
            counts[min(max(int(q // 10), 0), 9)] += 1  # 100 belongs to the top band
        return counts

    b, a = bands(before), bands(after)
    if not any(b) and not any(a):
        return _empty(title, "no file has a quality score")
    names = [f"{i * 10}\u2013{i * 10 + 10}" for i in range(10)]
    return columns(title, names, [str(i * 10) for i in range(11)], [("before", "before", b), ("after", "after", a)])


def rule_bars(by_rule: Mapping[str, float]) -> str:
    """Corrections made by each rule, largest first."""
    return hbars("Corrections by rule", _ranked(by_rule), "no corrections")


def failing_checks(checks: Mapping[str, float]) -> str:
    """Guideline checks still failing after correction, summed over files; zeros left out."""
    return hbars("Checks still failing after correction (cues, all files)", _ranked(checks), "none", cls="bad")


def worst_files(rows: Sequence[tuple[str, float | None, float]]) -> str:
    """(path, quality before, quality after) of the lowest-scoring files, worst first: a bar
    for after, a marker for before, on a fixed 0-100 scale so charts of two runs compare."""
    title = f"The {len(rows)} file{'s' if len(rows) != 1 else ''} with the lowest quality after correction"
    if not rows:
        return _empty("Files with the lowest quality after correction", "no file has a quality score")
    row, top, value_w = 34, 44, 96
    span = WIDTH - value_w
    out = [_legend([("after", "after"), ("before", "mark")], 12)]
    for t in (0, 25, 50, 75, 100):
        x = t / 100 * span
        out.append(f'<line class="grid" x1="{_n(x)}" x2="{_n(x)}" y1="{top - 10}" y2="{top + len(rows) * row - 4}"/>'
                   f'<text class="tick" x="{_n(x)}" y="{top - 14}" text-anchor="middle">{t}</text>')
    for i, (path, before, after) in enumerate(rows):
        y = top + i * row
        w = max(min(max(after, 0.0), 100.0) / 100 * span, 1.0)
        shown = f"{before:.1f} \u2192 {after:.1f}" if before is not None else f"{after:.1f}"
        out.append(f'<g><title>{_e(path)}: {shown}</title>'
                   f'<text x="0" y="{y + 8}">{_e(_fit(path, WIDTH - 4))}</text>'
                   f'<rect class="track" x="0" y="{y + 13}" width="{span}" height="11" rx="2"/>'
                   f'<rect class="after" x="0" y="{y + 13}" width="{_n(w)}" height="11" rx="2"/>')
        if before is not None:
            bx = min(max(before, 0.0), 100.0) / 100 * span
            out.append(f'<rect class="mark" x="{_n(max(bx - 1.5, 0))}" y="{y + 10}" width="3" height="17"/>')
        out.append(f'<text class="muted" x="{span + 6}" y="{y + 23}">{shown}</text></g>')
    return _svg(title, top + len(rows) * row, out)


def time_histogram(seconds: Iterable[float]) -> str:
    """Processing time per file on log-spaced bins."""
    title = "Processing time per file"
    counts = [0] * len(TIME_BINS)
    for s in seconds:
        counts[bisect_right(TIME_EDGES, s)] += 1
    if not any(counts):
        return _empty(title, "no processing times recorded")
    return columns(title, TIME_BINS, TIME_AXIS, [("files", "bar", counts)])
