"""timing: repair and regularise cue times so every cue can be read, and never worsen one.

Each cue needs `need` ms on screen: the minimum duration, or the time to read its text at
`max_cps`, whichever is longer (capped at `max_duration_ms`). Cues at another place on
screen (a leading `{\\an8}` or `{\\pos(..)}`) are timed as a track of their own. In a
track, cues are sorted by start; a cue whose span holds others whole keeps the earliest
free stretch they leave (see _yield_to_nested); then, in start order:

- an end at or before the start is replaced by start + need;
- two cues that start together follow one another, sharing the time by need;
- a cue longer than `max_duration_ms` is cut back to it only when that leaves it readable
  at `max_cps` (over-long cues with much text are `split`'s job, not a cut's);
- a cue that ends after the next one starts (less `min_gap_ms`) shares the conflict with
  it: the earlier end moves back and the later start moves on, in proportion to their
  text, each keeping what it had (up to what it needs) and the minimum duration when the
  two spans have room (see _share);
- a cue shorter than it needs is extended into free time only, up to the next cue's
  start less `min_gap_ms`.

A cue is shortened only to make room for a neighbour, and then by no more than its
share. Nothing is left overlapping or of non-positive duration, and running the rule again
changes nothing.
"""

from __future__ import annotations

from srtbuild.rules.base import Context, limit
from srtbuild.rules.layout import positions, reading_chars
from srtbuild.subtitles.model import Cue

NAME = "timing"
DOC = "End-before-start and zero durations repaired, out-of-order cues sorted, overlaps shared between the two cues by text length, durations raised to min_duration_ms and the reading time at max_cps where there is free time, capped at max_duration_ms only when the text stays readable, gaps under min_gap_ms opened."
OPTIONS = (
    limit("min_duration_ms", "shortest duration a cue is raised to when there is room"),
    limit("max_duration_ms", "longest duration a cue may keep when its text stays readable"),
    limit("min_gap_ms", "smallest gap between two cues (2 frames at 24 fps)"),
    limit("max_cps", "reading speed, characters a second, that ends are extended toward"),
)

__all__ = ["apply", "reading_chars"]


def check(options: dict) -> tuple[str, str] | None:
    """Options that contradict each other: (the option to blame, why)."""
    if options["min_duration_ms"] > options["max_duration_ms"]:
        return "min_duration_ms", (f"{options['min_duration_ms']} is more than max_duration_ms "
                                   f"({options['max_duration_ms']})")
    return None


def _share(a: tuple[int, int, int, int], b: tuple[int, int, int, int], gap: int,
           min_dur: int) -> tuple[int, int, int]:
    """Where the earlier cue `a` should end and the later `b` start and end, when `a`
    reaches past b's start less `gap`. Each is (start, end, need, text weight). A later
    cue shown entirely inside the earlier one follows it and takes the rest of its time.

    The conflict is shared by text weight, within floors: each keeps what it had (up to
    what it needs) and aims at the minimum duration (so a short cue grows when its
    neighbour has time to spare); when the two aims do not both fit, each gets the same
    share of what it lacks. When not even what they had fits, the gap gives way (a small
    gap is a lesser fault than a cue too fast to read); last, two cues that both need
    their time share the shortfall in proportion to their floors, so neither loses more
    than its share and neither gains."""
    a_start, a_end, a_need, a_weight = a
    b_start, b_end, b_need, b_weight = b
    a_had, b_had = max(a_end - a_start, 1), max(b_end - b_start, 1)
    if b_end <= a_end:
        # Nested: the earlier keeps the screen until the later starts (or as long as it
        # needs), and the later follows it to the end of the earlier's time.
        preferred = b_start - gap
        b_end = a_end
    else:
        conflict = a_end + gap - b_start
        preferred = b_start - gap + conflict * a_weight // max(a_weight + b_weight, 1)
    room = b_end - a_start  # from the earlier start to the later end
    a_floor, b_floor = min(a_need, a_had), min(b_need, b_had)
    a_aim, b_aim = min(a_need, max(a_had, min_dur)), min(b_need, max(b_had, min_dur))
    if a_floor + gap + b_floor <= room:
        fa, fb = a_aim, b_aim
        if fa + gap + fb > room:  # not enough for both aims: each gets the same share of what it lacks
            spare, lack = room - gap - a_floor - b_floor, a_aim - a_floor + b_aim - b_floor
            fa = a_floor + (a_aim - a_floor) * spare // lack
            fb = b_floor + (b_aim - b_floor) * spare // lack
        boundary = min(max(preferred, a_start + fa), b_end - gap - fb)
        return boundary, boundary + gap, b_end
    if a_floor + b_floor <= room:
        boundary = a_start + a_floor
        return boundary, boundary + (room - a_floor - b_floor), b_end
    if room < 2:
        return a_start + 1, a_start + 1, a_start + 2  # no room at all: the later cue is pushed on
    keep_a = max(1, min(room - 1, room * a_floor // (a_floor + b_floor)))
    return a_start + keep_a, a_start + keep_a, b_end


_NESTED_LOOKAHEAD = 64  # cues examined inside one long cue: keeps the pass linear


def _yield_to_nested(cues: list[Cue], gap: int, min_dur: int) -> bool:
    """A cue whose span holds other cues whole (speech recognition sometimes stamps a
    segment over the next few) gives way to them: the short cues' times are the precise
    ones. The long cue keeps the earliest stretch of its own span left free by them that
    can show it for the minimum duration (else the longest), so every cue stays within
    the time its words were spoken and, where it can, in the order they were. Cues
    sorted by start."""
    moved = False
    for i, cue in enumerate(cues):
        if cue.end - cue.start <= 0:
            continue
        inner, nested, seen_all = [], False, False
        for other in cues[i + 1:i + 1 + _NESTED_LOOKAHEAD]:
            if other.start >= cue.end:
                seen_all = True
                break
            if other.end > other.start and (other.start, other.end) != (cue.start, cue.end):
                inner.append(other)
                nested = nested or other.end <= cue.end
        else:
            seen_all = i + 1 + _NESTED_LOOKAHEAD >= len(cues)
        if not nested:
            continue
        free, at = [], cue.start
        for other in inner:  # sorted by start; a cue running past the end takes the rest
            free.append((at, other.start - gap))
            at = max(at, other.end + gap)
        if seen_all:  # past the cues looked at, the span is free only if none were left
            free.append((at, cue.end))
        # The earliest stretch that can show it (its words were spoken from its start),
        # else the longest one.
        start, end = next((span for span in free if span[1] - span[0] >= min_dur),
                          max(free, key=lambda span: span[1] - span[0]))
        if end - start > 0 and (start, end) != (cue.start, cue.end):
            cue.start, cue.end = start, end
            moved = True
    return moved


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    # Cues placed elsewhere on screen (`{\\an8}` signs over dialogue) do not compete for
    # time with the others: each position is timed as its own track.
    places = positions(cues)
    if places is None or len(set(places)) == 1:
        return _track(cues, options, ctx)
    timed: list[Cue] = []
    for place in sorted(set(places)):
        timed.extend(_track([c for c, at in zip(cues, places) if at == place], options, ctx))
    return sorted(timed, key=lambda c: c.start)


def _in_order(cues: list[Cue], record) -> list[Cue]:
    """The cues sorted by start (stable: equal starts keep file order), each moved one
    recorded as a correction."""
    if all(cues[i].start <= cues[i + 1].start for i in range(len(cues) - 1)):
        return cues
    order = sorted(cues, key=lambda c: c.start)
    for i, cue in enumerate(order):
        if cue is not cues[i]:
            record(NAME, cue.line)
    return order


def _track(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    min_dur = options["min_duration_ms"]
    max_dur = max(options["max_duration_ms"], 1)
    gap = options["min_gap_ms"]
    cps = float(options["max_cps"])
    record = ctx.changes.record

    cues = _in_order(cues, record)
    if _yield_to_nested(cues, gap, min_dur):
        cues = _in_order(cues, record)

    count = len(cues)
    chars = [reading_chars(c.text) for c in cues]
    reading = [int(-(-n * 1000 // cps)) if cps else 0 for n in chars]
    need = [min(max(min_dur, r, 1), max_dur) for r in reading]
    for i, cue in enumerate(cues):
        start, end = cue.start, cue.end
        if end <= start:
            end = start + need[i]
        if end - start > max_dur:
            # Cut to max_dur, but never below the time the text takes to read.
            end = start + max(max_dur, min(end - start, reading[i]))
        if i + 1 < count:
            nxt = cues[i + 1]
            if nxt.start <= start:
                # Two cues start together: the later in the file follows the earlier. If
                # the later has time of its own, the two share it by what each needs;
                # untimed cues each get what they need, one after the other.
                timed = nxt.end > nxt.start
                keep = need[i]
                if timed:
                    room = max(end, nxt.end) - start - gap
                    if need[i] + need[i + 1] > room:
                        keep = max(1, room * need[i] // (need[i] + need[i + 1]))
                    nxt.end = max(nxt.end, end)
                end = start + min(max(end - start, 1), keep)
                nxt.start = end + gap
                nxt.end = max(nxt.end, nxt.start + (1 if timed else need[i + 1]))
                record(NAME, nxt.line)
            elif nxt.end <= nxt.start:  # its own repair first: end at start + need
                nxt.end = nxt.start + need[i + 1]
            if nxt.start > start and end + gap > nxt.start:
                end, new_start, new_end = _share((start, end, need[i], max(chars[i], 1)),
                                                 (nxt.start, nxt.end, need[i + 1], max(chars[i + 1], 1)),
                                                 gap, min_dur)
                if (new_start, new_end) != (nxt.start, nxt.end):
                    nxt.start, nxt.end = new_start, new_end
                    record(NAME, nxt.line)
            elif end - start < need[i] and end + gap <= nxt.start:
                end = min(start + need[i], nxt.start - gap)
        elif end - start < need[i] and not ctx.cut_after:  # the last cue of the file
            end = start + need[i]
        if end != cue.end:
            cue.end = end
            record(NAME, cue.line)
    return cues
