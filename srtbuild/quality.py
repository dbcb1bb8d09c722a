"""Guideline checks per cue and the 0-100 quality score.

Score: every violation costs penalty points by the weight of its check (WEIGHTS), and

    score = 100 * cues / (cues + penalty points)

so a file with no violation scores 100, every further violation lowers the score, the
score never goes below 0, and a score can be explained from the per-check counts. A
file with no cues scores 100 unless the reader had to repair it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from srtbuild.rules.layout import positions
from srtbuild.rules.tags import FORMAT_TAG
from srtbuild.rules.text import visible
from srtbuild.subtitles.model import Cue, Finding

# Netflix English guide defaults; all are settings (`quality:` in srtbuild.yaml).
DEFAULT_THRESHOLDS = {
    "max_cps": 20,
    "max_line_length": 42,
    "max_lines": 2,
    "min_duration_ms": 833,
    "max_duration_ms": 7000,
    "min_gap_ms": 83,
}

WEIGHTS = {
    "reading_speed": 1.0,     # more characters a second than max_cps
    "line_length": 1.0,       # a line longer than max_line_length
    "too_many_lines": 1.0,    # more lines than max_lines
    "too_short": 1.0,         # shorter than min_duration_ms
    "too_long": 0.5,          # longer than max_duration_ms
    "small_gap": 0.5,         # less than min_gap_ms before the next cue
    "overlap": 3.0,           # ends after the next cue starts
    "bad_timing": 3.0,        # ends at or before it starts
    "empty": 2.0,             # nothing to read
    "unbalanced_tags": 1.0,   # <i> without </i> and the like
    "repairs": 0.25,          # each repair the reader had to make
    "dropped_cues": 3.0,      # a cue the reader could not read: the viewer never sees it
}
CHECKS = tuple(WEIGHTS)


@dataclass
class QualityResult:
    checks: dict[str, int]
    score: float
    findings: list[Finding] = field(default_factory=list)


def _unbalanced(text: str) -> bool:
    depth: dict[str, int] = {}
    for m in FORMAT_TAG.finditer(text):
        name = (m.group(2) or m.group(3)).lower()
        depth[name] = depth.get(name, 0) + (-1 if m.group(1) else 1)
        if depth[name] < 0:
            return True
    return any(depth.values())


def _following(cues: list[Cue]) -> list[int | None]:
    """For each cue, the next one at the same place on screen: a `{\\an8}` sign over
    dialogue neither overlaps it nor needs a gap from it."""
    n = len(cues)
    places = positions(cues)
    if places is None:
        return [i + 1 if i + 1 < n else None for i in range(n)]
    out: list[int | None] = [None] * n
    last: dict[str, int] = {}
    for i in range(n - 1, -1, -1):
        place = places[i]
        out[i] = last.get(place)
        last[place] = i
    return out


def score(checks: dict[str, int], cues: int) -> float:
    penalty = sum(WEIGHTS[name] * n for name, n in checks.items())
    if cues == 0:
        return 100.0 if penalty == 0 else 0.0
    return round(100.0 * cues / (cues + penalty), 1)


def assess(cues: list[Cue], thresholds: dict, repairs: int = 0, keep_findings: bool = True,
           dropped: int = 0) -> QualityResult:
    """Run every check over the cues (in file order); `repairs` is the reader's count.

    `dropped` is how many cues the reader could not read: no rule brings them back, so
    they weigh on the score after correction as much as before it."""
    t = {**DEFAULT_THRESHOLDS, **thresholds}
    max_cps, max_len, max_lines = t["max_cps"], t["max_line_length"], t["max_lines"]
    min_dur, max_dur, min_gap = t["min_duration_ms"], t["max_duration_ms"], t["min_gap_ms"]
    counts = dict.fromkeys(CHECKS, 0)
    counts["repairs"] = repairs
    counts["dropped_cues"] = dropped
    findings: list[Finding] = []

    def hit(check: str, cue: Cue, message: str) -> None:
        counts[check] += 1
        if keep_findings:
            findings.append(Finding(cue.line, check, message))

    n = len(cues)
    following = _following(cues)
    for i, cue in enumerate(cues):
        text = cue.text
        shown = visible(text) if ("<" in text or "{" in text) else text
        duration = cue.end - cue.start
        chars = len(shown.strip())
        if not chars:
            hit("empty", cue, "empty cue")
        if duration <= 0:
            hit("bad_timing", cue, f"ends {-duration} ms before it starts" if duration else "zero duration")
        else:
            if chars and chars * 1000 > max_cps * duration:
                hit("reading_speed", cue, f"{chars * 1000 / duration:.1f} characters a second (max {max_cps})")
            if duration < min_dur:
                hit("too_short", cue, f"{duration} ms on screen (min {min_dur})")
            elif duration > max_dur:
                hit("too_long", cue, f"{duration} ms on screen (max {max_dur})")
        lines = shown.split("\n")
        if len(lines) > max_lines:
            hit("too_many_lines", cue, f"{len(lines)} lines (max {max_lines})")
        longest = max(len(line) for line in lines)
        if longest > max_len:
            hit("line_length", cue, f"line of {longest} characters (max {max_len})")
        if "<" in text and _unbalanced(text):
            hit("unbalanced_tags", cue, "unbalanced formatting tags")
        after = following[i]
        if after is not None:
            gap = cues[after].start - cue.end
            if gap < 0:
                hit("overlap", cue, f"overlaps the next cue by {-gap} ms")
            elif gap < min_gap:
                hit("small_gap", cue, f"{gap} ms gap to the next cue (min {min_gap})")
    return QualityResult(counts, score(counts, n), findings)
