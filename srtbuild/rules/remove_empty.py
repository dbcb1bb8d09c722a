"""remove_empty: cues with nothing to read, and cues repeated twice over, are removed.

A cue written twice with the same text at overlapping or touching times (within 40 ms) (a copy-paste, a muxing
mistake) shows the viewer one subtitle, but a player or a later rule would see two: the
repeat is folded into the first, which keeps the union of their times.
"""

from __future__ import annotations

from srtbuild.rules.base import Context
from srtbuild.rules.text import visible
from srtbuild.subtitles.model import Cue

NAME = "remove_empty"
DOC = "Cues with no visible text (empty, only spaces, only tags) removed; a cue repeating the text of the cue before at an overlapping time (or within 40 ms) folded into it."
OPTIONS = ()
# The same text again this soon after is the same subtitle flickering, not a new one:
# about a frame, under the gap `timing` leaves between cues, so that a cue another rule
# moved never meets its neighbour's repeat.
REPEAT_WITHIN_MS = 40


def _same(a: str, b: str) -> bool:
    """The same words (an earlier rule may have capitalised one copy as a sentence start)."""
    return a == b or " ".join(visible(a).split()).casefold() == " ".join(visible(b).split()).casefold()


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    kept: list[Cue] = []
    for cue in cues:
        if not cue.text or not visible(cue.text).strip():
            ctx.changes.record(NAME, cue.line)
            continue
        last = kept[-1] if kept else None
        if (last is not None and cue.line != last.line  # parts of one split cue are not repeats
                and cue.start <= last.end + REPEAT_WITHIN_MS and cue.end >= last.start
                and _same(last.text, cue.text)):
            if (cue.start, cue.end) != (last.start, last.end):
                kept[-1] = Cue(min(last.start, cue.start), max(last.end, cue.end), last.text, last.line)
            ctx.changes.record(NAME, cue.line)
            continue
        kept.append(cue)
    return kept
