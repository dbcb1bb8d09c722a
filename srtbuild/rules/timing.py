"""timing: repair and regularise cue times so every cue can be read.

Order of work for each cue, in start order: an end at or before the start is replaced by
the duration the text needs; a duration over the maximum is capped; a duration under what
the text needs (the minimum duration, and the time to read it at `max_cps`) is extended
where there is room; the end is then pulled back so the gap to the next cue is at least
`min_gap_ms`. Ends move before starts do: a start moves only when two cues start at the
same moment. The result never has an overlap or a non-positive duration, and running the
rule again changes nothing (each step only moves toward the same limits).
"""

from __future__ import annotations

from srtbuild.rules.base import Context, Option
from srtbuild.rules.text import visible
from srtbuild.subtitles.model import Cue

NAME = "timing"
DOC = "End-before-start and zero durations repaired, out-of-order cues sorted, overlaps removed, durations raised to min_duration_ms and capped at max_duration_ms, gaps under min_gap_ms closed to it, ends extended toward max_cps where there is room."
OPTIONS = (
    Option("min_duration_ms", "int", 833, "shortest duration a cue is raised to when there is room", 0, 3_600_000),
    Option("max_duration_ms", "int", 7000, "longest duration a cue may keep", 1, 3_600_000),
    Option("min_gap_ms", "int", 83, "smallest gap between two cues (2 frames at 24 fps)", 0, 60_000),
    Option("max_cps", "number", 20, "reading speed, characters a second, that ends are extended toward", 1, 1000),
)


def check(options: dict) -> tuple[str, str] | None:
    """Options that contradict each other: (the option to blame, why)."""
    if options["min_duration_ms"] > options["max_duration_ms"]:
        return "min_duration_ms", (f"{options['min_duration_ms']} is more than max_duration_ms "
                                   f"({options['max_duration_ms']})")
    return None


def reading_chars(text: str) -> int:
    """Characters a viewer reads: tags excluded, a line break counts as a space."""
    return len(visible(text).strip())


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    min_dur = options["min_duration_ms"]
    max_dur = max(options["max_duration_ms"], 1)
    gap = options["min_gap_ms"]
    cps = float(options["max_cps"])
    record = ctx.changes.record

    if any(cues[i].start > cues[i + 1].start for i in range(len(cues) - 1)):
        order = sorted(cues, key=lambda c: c.start)  # stable: equal starts keep file order
        for i, cue in enumerate(order):
            if cue is not cues[i]:
                record(NAME, cue.line)
        cues = order

    count = len(cues)
    for i, cue in enumerate(cues):
        start, end = cue.start, cue.end
        chars = reading_chars(cue.text)
        need = min(max(min_dur, -(-chars * 1000 // cps) if cps else 0, 1), max_dur)
        need = int(need)
        if end <= start:
            end = start + need
        if end - start > max_dur:
            end = start + max_dur
        if end - start < need:
            end = start + need
        if i + 1 < count:
            nxt = cues[i + 1]
            if nxt.start <= start:
                # Two cues start together: the only case where a start moves.
                nxt_start = start + max(1, min(need, max_dur))
                nxt.start = nxt_start + gap
                record(NAME, nxt.line)
                if nxt.end < nxt.start:
                    nxt.end = nxt.start
            limit = nxt.start - gap
            if end > limit:
                end = limit if limit > start else nxt.start
        if end != cue.end:
            cue.end = end
            record(NAME, cue.line)
    return cues
