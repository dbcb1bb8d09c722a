"""rollup: rolling captions (each line shown two or three times) become pop-on captions.

Automatic captions saved as SRT (YouTube's, and what downloaders make of them) "roll":
a new line appears under the previous one, which moves up and then away. As SRT that is
a two-line cue whose first line repeats the last line of the cue before, often with
"finalising" flash cues of a few milliseconds that repeat a line, or cues that each
overlap the next by most of their time. A viewer reads every line two or three times.

Detection is specific, so files without the pattern are left alone: a pair of
neighbouring cues rolls when
- the second has two or more lines and starts with the last line(s) of the first, or
- one of them is a flash (`max_flash_ms` or shorter) whose lines all stand in a
  neighbour, or
- the first overlaps the second by more than half of its own duration;
and only a run of at least `min_run` rolling pairs in a row, half of them with a repeated
line, is converted.

In a run, each cue keeps only the lines it adds to what is already on screen; a flash
that adds nothing is dropped (a longer cue that only says a line again is a repeat in the
speech, a chorus, and is kept). Each remaining cue is shown from when its first new line
appears until the next new line appears (the last until the run's end). Every spoken line
is then shown once, in order.
"""

from __future__ import annotations

from srtbuild.rules.base import Context, Option
from srtbuild.rules.text import visible
from srtbuild.subtitles.model import Cue

NAME = "rollup"
DOC = "Rolling captions (cues repeating the previous cue's last line, flash cues repeating a neighbour, cues overlapping the next by more than half) turned into pop-on captions: each spoken line once, shown from when it appears until the next line appears."
OPTIONS = (
    Option("max_flash_ms", "int", 50, "a cue this short that repeats a neighbour's line is a flash", 0, 1000),
    Option("min_run", "int", 4, "rolling pairs in a row needed before a run is converted", 1, 1000),
)


def _key(line: str) -> str:
    return " ".join(visible(line).split()).casefold()


def _keys(cue: Cue) -> list[str]:
    return [k for k in (_key(line) for line in cue.text.split("\n")) if k]


def _carries(first: list[str], second: list[str]) -> bool:
    """The second cue starts with the first's last line and adds a line after it."""
    return len(second) >= 2 and bool(first) and second[0] == first[-1]


def _rolling_pairs(cues: list[Cue], max_flash: int) -> list[int]:
    """For each pair of neighbours: 2 when a repeated line shows a roll (a carried line, a
    flash repeating a neighbour), 1 when only their times overlap by more than half, else
    0. A cue's lines are compared only where the times or the line breaks allow a roll:
    most files have none, and then the rule costs one pass over the times."""
    n = len(cues)
    cache: dict[int, list[str]] = {}

    def keys(i: int) -> list[str]:
        if i not in cache:
            cache[i] = _keys(cues[i])
        return cache[i]

    def flash(i: int) -> bool:
        if cues[i].end - cues[i].start > max_flash or not keys(i):
            return False
        around = [keys(k) for k in (i - 1, i + 1) if 0 <= k < n]
        return any(all(k in near for k in keys(i)) for near in around if near)

    pairs = []
    for i in range(n - 1):
        a, b = cues[i], cues[i + 1]
        if a.line == b.line and a.line:
            pairs.append(0)  # parts of one cue that split cut: never a roll
            continue
        carried = "\n" in b.text and _carries(keys(i), keys(i + 1))
        if carried or flash(i) or flash(i + 1):
            pairs.append(2)
            continue
        duration = a.end - a.start
        # Cues that start together are one moment written twice, not a roll.
        overlapping = (duration > 0 and a.end - b.start > duration / 2 and b.start > a.start
                       and bool(keys(i)) and bool(keys(i + 1)))
        pairs.append(1 if overlapping else 0)
    return pairs


def _runs(pairs: list[int], min_run: int) -> list[tuple[int, int]]:
    """(first cue, last cue) of each run of at least min_run rolling pairs, at least half
    of them with a repeated line (overlapping times alone are timing's work)."""
    runs = []
    i = 0
    while i < len(pairs):
        if not pairs[i]:
            i += 1
            continue
        j = i
        while j < len(pairs) and pairs[j]:
            j += 1
        if j - i >= min_run and 2 * sum(1 for k in range(i, j) if pairs[k] == 2) >= j - i:
            runs.append((i, j))
        i = j
    return runs


def _pop_on(run: list[Cue], max_flash: int) -> list[Cue]:
    shown: list[str] = []  # keys of the lines on screen, oldest first
    out: list[Cue] = []
    for cue in run:
        lines = [line for line in cue.text.split("\n") if _key(line)]
        keys = [_key(line) for line in lines]
        # The longest tail of what is shown that this cue starts with is a repeat.
        repeat = 0
        for k in range(min(len(keys), len(shown)), 0, -1):
            if shown[-k:] == keys[:k]:
                repeat = k
                break
        new = lines[repeat:]
        flash = cue.end - cue.start <= max_flash
        if flash and (not new or all(k in shown[-3:] for k in keys[repeat:])):
            continue  # a flash of lines just shown: nothing new to read
        if not new:
            new, repeat = lines, 0  # said again, not rolled: a roll always adds a line
        if out and out[-1].start == cue.start:
            out[-1].text += "\n" + "\n".join(new)
        else:
            out.append(Cue(cue.start, cue.end, "\n".join(new), cue.line))
        shown.extend(keys[repeat:])
    end = max(c.end for c in run)
    for k, cue in enumerate(out):
        cue.end = out[k + 1].start if k + 1 < len(out) else max(end, cue.start + 1)
    return out


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    if len(cues) < 2:
        return cues
    runs = _runs(_rolling_pairs(cues, options["max_flash_ms"]), options["min_run"])
    if not runs:
        return cues
    out: list[Cue] = []
    done = 0
    for first, last in runs:
        out.extend(cues[done:first])
        run = cues[first:last + 1]
        converted = _pop_on(run, options["max_flash_ms"])
        if converted != run:
            ctx.changes.record(NAME, run[0].line, len(run))
        out.extend(converted)
        done = last + 1
    out.extend(cues[done:])
    return out
