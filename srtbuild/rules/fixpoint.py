"""The pipeline run to its fixpoint, the rounds after the first on the changed cues only.

Rules are each idempotent, but one rule's change can give an earlier rule new work (a
filler removed from between two words leaves a stutter or a sentence start). The pipeline
is run until a round changes nothing, so that running srtbuild on its own output makes no
correction. The first round sees the whole file. A later round can only find work near
the cues the round before changed: those, and the neighbours the rules look at. So each
later round runs on windows around them, each window holding CONTEXT unchanged cues on
both sides as the rules' neighbours, and is kept only if the window's context came out
unchanged and nothing in it reached past the window in time. Otherwise (and whenever the
changed cues are many) the round runs on the whole file, as the first did.
"""

from __future__ import annotations

from srtbuild.rules.base import Changes, Context
from srtbuild.rules.registry import run_pipeline
from srtbuild.rules.text import has_words
from srtbuild.subtitles.model import Cue

CONTEXT = 3  # unchanged cues kept on each side of a window: the reach of the rules' looks
_MAX_REACH = 64  # further cues a window's left context may take to find one with words
_WHOLE_SHARE = 0.5  # windows covering more of the file than this: one whole round instead


def settle(cues: list[Cue], pipeline: list[tuple[str, dict]], ctx: Context, max_rounds: int) -> list[Cue]:
    """Run `pipeline` over `cues` until a round changes nothing (at most `max_rounds`)."""
    before: tuple[list[Cue], dict] | None = None  # the cues as the last round found them
    for _ in range(max_rounds):
        made = ctx.changes.total
        windows = None
        if before is not None and not ctx.whole_file:
            windows = _windows(_changed(before, cues), cues)
        before = _snapshot(cues)
        windowed = _run_windows(cues, windows, pipeline, ctx) if windows is not None else None
        cues = windowed if windowed is not None else run_pipeline(cues, pipeline, ctx)
        if ctx.changes.total == made:
            break
    return cues


def _snapshot(cues: list[Cue]) -> tuple[list[Cue], dict[int, tuple[int, int, int, str]]]:
    """The cues as a round found them (the list keeps the objects, and their ids, alive)."""
    return list(cues), {id(c): (k, c.start, c.end, c.text) for k, c in enumerate(cues)}


def _changed(before: tuple[list[Cue], dict], cues: list[Cue]) -> list[int]:
    """Indexes of the cues a round changed: new ones, ones whose times or text changed,
    and both sides of every place where the order changed or a cue went away."""
    old, state = before
    out: list[int] = []
    last = -1
    for i, cue in enumerate(cues):
        seen = state.get(id(cue))
        if seen is None:
            out.append(i)
            last = -2
            continue
        k, start, end, text = seen
        if k != last + 1:  # something between went away, or the order changed
            if i:
                out.append(i - 1)
            out.append(i)
        elif start != cue.start or end != cue.end or text != cue.text:
            out.append(i)
        last = k
    if cues and last != len(old) - 1:  # cues at the end went away
        out.append(len(cues) - 1)
    return out


def _windows(changed: list[int], cues: list[Cue]) -> list[tuple[int, int]] | None:
    """[a, b) ranges holding each changed cue with CONTEXT cues on both sides (clipped to
    the file), overlapping or touching ones merged; None when a whole round is cheaper.

    A window's left context must hold a cue with words: whether a sentence is open passes
    from cue to cue only through words (`capitalization`, `fillers`), so context of music
    notes alone says nothing. It reaches further back until it does (or the file starts)."""
    if not changed:
        return []
    n = len(cues)
    ranges: list[list[int]] = []
    for i in sorted(set(changed)):
        a, b = max(0, i - CONTEXT), min(n, i + CONTEXT + 1)
        while a > 0 and not any(has_words(c.text) for c in cues[a:i]):
            if i - a >= CONTEXT + _MAX_REACH:
                return None
            a -= 1
        if ranges and a <= ranges[-1][1] + CONTEXT:  # contexts would meet: one window
            ranges[-1][1] = max(ranges[-1][1], b)
        else:
            ranges.append([a, b])
    covered = sum(b - a for a, b in ranges)
    if covered > n * _WHOLE_SHARE:
        return None
    return [(a, b) for a, b in ranges]


def _run_windows(cues: list[Cue], windows: list[tuple[int, int]], pipeline: list[tuple[str, dict]],
                 ctx: Context) -> list[Cue] | None:
    """The cues with each window re-run, or None (and the changes record as it was) when
    a window's result cannot stand for what a whole round would give."""
    if not windows:
        return cues
    n = len(cues)
    saved = _save(ctx.changes)
    # The latest end among the cues before each window: nothing before may reach into it.
    reach_before = [0] * (n + 1)
    latest = -1 << 62
    for i, cue in enumerate(cues):
        reach_before[i] = latest
        latest = max(latest, cue.end)
    out: list[Cue] = []
    done = 0
    cut = ctx.cut_before, ctx.cut_after
    try:
        for a, b in windows:
            part = [c.copy() for c in cues[a:b]]
            left = CONTEXT if a > 0 else 0
            right = CONTEXT if b < n else 0
            if len(part) < left + right + 1 or reach_before[a] > cues[a].start:
                raise _Whole
            if b < n and reach_before[b] > cues[b].start:
                raise _Whole
            ctx.cut_before, ctx.cut_after = a > 0, b < n
            got = run_pipeline(part, pipeline, ctx)
            if (len(got) < left + right + 1 or got[:left] != cues[a:a + left]
                    or (right and got[len(got) - right:] != cues[b - right:b])
                    or (b < n and max(c.end for c in got) > cues[b].start)
                    or (a > 0 and min(c.start for c in got) < cues[a].start)):
                raise _Whole
            out.extend(cues[done:a])
            out.extend(got)
            done = b
    except _Whole:
        _restore(ctx.changes, saved)
        return None
    finally:
        ctx.cut_before, ctx.cut_after = cut
    out.extend(cues[done:])
    return out


class _Whole(Exception):
    """A window cannot stand in for the whole file: run the round on the whole file."""


def _save(changes: Changes) -> tuple:
    return changes.by_rule.copy(), len(changes.at), changes.terms.copy()


def _restore(changes: Changes, saved: tuple) -> None:
    by_rule, at, terms = saved
    changes.by_rule.clear()
    changes.by_rule.update(by_rule)
    del changes.at[at:]
    changes.terms.clear()
    changes.terms.update(terms)
