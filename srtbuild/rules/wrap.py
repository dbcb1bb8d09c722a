"""wrap: re-break lines to fit `max_line_length` and `max_lines`, balanced.

A cue whose lines already fit keeps the author's breaks, except a two-line cue that fits
on one line, which is joined (dialogue lines starting with `-` are never joined). A cue
that does not fit is re-broken into the fewest lines that fit, choosing among those the
most balanced breaks, with a preference for breaking after punctuation. Breaks happen
only at spaces outside tags. The re-break depends only on the words, so wrapping again
changes nothing.
"""

from __future__ import annotations

import re

from srtbuild.rules.base import Context, Option
from srtbuild.rules.text import visible
from srtbuild.subtitles.model import Cue

NAME = "wrap"
DOC = "Lines re-broken to at most max_line_length characters and max_lines lines, balanced, preferring breaks after punctuation, never inside a tag; short two-line cues that fit on one line joined."
OPTIONS = (
    Option("max_line_length", "int", 42, "characters a line", 1, 10_000),
    Option("max_lines", "int", 2, "lines a cue", 1, 1000),
)

_TOKEN = re.compile(r"(?:<[^<>]*>|\{\\[^{}]*\}|\S)+")
_BREAK_AFTER = (",", ".", ";", ":", "!", "?")


def _vlen(s: str) -> int:
    return len(visible(s))


def _two_lines(words: list[str], widths: list[int], max_len: int, bonus: float) -> list[str] | None:
    """The common case, in one pass: the best single break, or None if none fits."""
    total = sum(widths) + len(widths) - 1
    best, best_cost, left = -1, float("inf"), -1
    for j in range(1, len(words)):
        left += widths[j - 1] + 1
        right = total - left - 1
        if left > max_len:
            break
        if right > max_len:
            continue
        cost = left * left + right * right - (bonus if words[j - 1].endswith(_BREAK_AFTER) else 0)
        if cost < best_cost:
            best, best_cost = j, cost
    if best < 0:
        return None
    return [" ".join(words[:best]), " ".join(words[best:])]


def _balanced(words: list[str], max_len: int, max_lines: int) -> list[str]:
    """Fewest lines that fit; among those, least sum of squared lengths minus a bonus for
    each break after punctuation. Dynamic programming over break positions."""
    n = len(words)
    widths = [_vlen(w) for w in words]
    bonus = (max_len * 0.35) ** 2
    if max_len < sum(widths) + n - 1 <= 2 * max_len + 1:
        two = _two_lines(words, widths, max_len, bonus)
        if two is not None:
            return two
    # n words need n - 1 spaces, and a break takes the place of one: k lines hold
    # k * max_len + k - 1 characters.
    fewest = max(1, -(-(sum(widths) + n) // (max_len + 1)))
    if fewest > max_lines:
        return _fewest_lines(words, widths, max_len, bonus)
    # best[k][j]: cost of putting words[:j] on k lines; back pointers in prev. Only for
    # text that may fit in max_lines, so k stays small.
    inf = float("inf")
    for lines in range(fewest, n + 1):
        best = [[inf] * (n + 1) for _ in range(lines + 1)]
        prev = [[0] * (n + 1) for _ in range(lines + 1)]
        best[0][0] = 0.0
        for k in range(1, lines + 1):
            for j in range(k, n + 1):
                width = -1
                for i in range(j - 1, k - 2, -1):
                    width += widths[i] + 1
                    if width > max_len and i < j - 1:
                        break
                    if best[k - 1][i] == inf:
                        continue
                    cost = best[k - 1][i] + width * width
                    if j < n and words[j - 1].endswith(_BREAK_AFTER):
                        cost -= bonus
                    if cost < best[k][j]:
                        best[k][j] = cost
                        prev[k][j] = i
        if best[lines][n] < inf:
            out: list[str] = []
            j = n
            for k in range(lines, 0, -1):
                i = prev[k][j]
                out.append(" ".join(words[i:j]))
                j = i
            return out[::-1]
    return [" ".join(words)]


def _fewest_lines(words: list[str], widths: list[int], max_len: int, bonus: float) -> list[str]:
    """Text too long for max_lines: the fewest lines that fit, balanced as above, in one
    pass over the words (each looks back at most one line's worth), so the time grows
    with the length of the text, not with its square."""
    n = len(words)
    inf = (float("inf"), float("inf"))
    best: list[tuple[float, float]] = [(0, 0.0)] + [inf] * n  # (lines, cost) of words[:j]
    prev = [0] * (n + 1)
    for j in range(1, n + 1):
        width = -1
        after_punct = j < n and words[j - 1].endswith(_BREAK_AFTER)
        for i in range(j - 1, -1, -1):
            width += widths[i] + 1
            if width > max_len and i < j - 1:
                break
            lines, cost = best[i]
            candidate = (lines + 1, cost + width * width - (bonus if after_punct else 0))
            if candidate < best[j]:
                best[j] = candidate
                prev[j] = i
    out: list[str] = []
    j = n
    while j > 0:
        i = prev[j]
        out.append(" ".join(words[i:j]))
        j = i
    return out[::-1]


def wrap_text(text: str, max_len: int, max_lines: int) -> str:
    lines = text.split("\n")
    fits = len(lines) <= max_lines and all(_vlen(line) <= max_len for line in lines)
    # A line after the first that starts with `-` opens another speaker's turn.
    turn_starts = [0] + [i for i, line in enumerate(lines) if i and visible(line).lstrip().startswith("-")]
    dialogue = len(turn_starts) > 1
    if fits:
        if len(lines) == 2 and not dialogue and _vlen(lines[0]) + 1 + _vlen(lines[1]) <= max_len:
            return lines[0] + " " + lines[1]
        return text
    if dialogue:  # each speaker's turn starts a line of its own
        bounds = turn_starts + [len(lines)]
        turns = [" ".join(lines[a:b]) for a, b in zip(bounds, bounds[1:])]
        return "\n".join(wrap_text(turn, max_len, 1) for turn in turns)
    words = _TOKEN.findall(text)
    if not words:
        return text
    return "\n".join(_balanced(words, max_len, max_lines))


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    max_len = options["max_line_length"]
    max_lines = options["max_lines"]
    clean: set[str] = ctx.known(NAME, options)  # texts wrap leaves as they are
    for cue in cues:
        text = cue.text
        if not text or (len(text) <= max_len and "\n" not in text) or text in clean:
            continue
        new = wrap_text(text, max_len, max_lines)
        if new == text:
            clean.add(text)
        else:
            cue.text = new
            ctx.changes.record(NAME, cue.line)
    return cues
