"""How a cue's words lay out on screen: the measure `split`, `merge` and `wrap` share.

All three must agree on what "fits in `max_lines` lines of `max_line_length`" means, or a
cue that `split` left whole would be one that `wrap` cannot lay out, and `merge` would
join cues that `split` then parts again. The measure is the greedy line fill over the
cue's words (tags attached to their words, widths counted in visible characters): it
gives the fewest lines any layout can have, and `wrap` finds a balanced layout with that
many lines.
"""

from __future__ import annotations

import re

from srtbuild.rules.text import visible

# A word with any tags attached to it; breaks happen only between these.
TOKEN = re.compile(r"(?:<[^<>]*>|\{\\[^{}]*\}|\S)+")
# A line after the first that starts with a dash opens another speaker's turn.
_DASH = ("-", "\u2010", "\u2013", "\u2014")


def width(token: str) -> int:
    return len(visible(token)) if ("<" in token or "{" in token) else len(token)


def lines_needed(widths: list[int], max_len: int) -> int:
    """Fewest lines the words take at `max_len` characters a line (a word longer than
    the line takes a line of its own)."""
    lines, current = 0, -1
    for w in widths:
        if current >= 0 and current + 1 + w <= max_len:
            current += 1 + w
        else:
            lines += 1
            current = w
    return lines


def starts_turn(token: str) -> bool:
    """A word that would open a speaker turn if a line started with it: breaks before
    such a word are never made, or the next run would read the cue as a dialog."""
    return visible(token).startswith(_DASH)


def turns(text: str) -> list[str]:
    """A dialog cue's speaker turns, or [text] when the cue is not a dialog: a line after
    the first that starts with a dash opens another speaker's turn (the first speaker's
    line may or may not have its own dash, as styles differ)."""
    lines = text.split("\n")
    if len(lines) < 2:
        return [text]
    starts = [0] + [i for i, line in enumerate(lines) if i and visible(line).lstrip().startswith(_DASH)]
    if len(starts) < 2:
        return [text]
    bounds = starts + [len(lines)]
    return ["\n".join(lines[a:b]) for a, b in zip(bounds, bounds[1:])]


def lines_for(text: str, max_len: int) -> int:
    """Lines the text needs when laid out well: dialog turns each start a line."""
    return sum(lines_needed([width(t) for t in TOKEN.findall(turn)], max_len) for turn in turns(text))


def fits(text: str, max_len: int, max_lines: int) -> bool:
    return lines_for(text, max_len) <= max_lines


def reading_chars(text: str) -> int:
    """Characters a viewer reads: tags excluded, a line break counts as a space."""
    return len(visible(text).strip())


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def bilingual(text: str) -> bool:
    """A cue that shows the same words in two scripts, a line each (Chinese over English,
    as bilingual releases do). Its lines are translations, not one text: it is never
    split or joined, and each line is laid out on its own."""
    if "\n" not in text:
        return False
    kinds = set()
    for line in visible(text).split("\n"):
        if _CJK.search(line):
            kinds.add("cjk")
        elif _LATIN.search(line):
            kinds.add("latin")
    return kinds == {"cjk", "latin"}
