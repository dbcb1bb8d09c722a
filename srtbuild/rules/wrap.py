"""wrap: re-break lines to fit `max_line_length` and `max_lines`, balanced.

A cue whose lines already fit keeps the author's breaks, except a two-line cue that fits
on one line, which is joined (dialogue lines starting with `-` are never joined). A cue
that does not fit is re-broken into the fewest lines that fit, choosing among those the
most balanced breaks, with a preference for breaking after punctuation or before a clause
and against leaving an article or a preposition at a line end (the ranks of
`srtbuild.rules.phrasing`, shared with `split`). Breaks happen only at spaces outside tags,
never before a dash (the line would read as a speaker turn) or inside a number. The
re-break depends only on the words, so wrapping again changes nothing. The work grows
with the length of the text: each break position looks back at most one line.
"""

from __future__ import annotations

from srtbuild.rules import accel
from srtbuild.rules.base import Context, limit
from srtbuild.rules.layout import bilingual, join, join_lines, tokenize, turns, width
from srtbuild.rules.phrasing import BEFORE_CLAUSE, CLAUSE, DANGLING, SENTENCE, Phrasing, phrasing
from srtbuild.subtitles.model import Cue

NAME = "wrap"
DOC = "Lines re-broken to at most max_line_length characters and max_lines lines, balanced, preferring breaks after punctuation, never inside a tag; short two-line cues that fit on one line joined."
OPTIONS = (
    limit("max_line_length", "characters a line"),
    limit("max_lines", "lines a cue"),
)

_INF = float("inf")


def _adjustments(words: list[str], phrase: Phrasing, bonus: float) -> list[float]:
    """What a break before words[j] adds to a layout's cost (inf: no break there)."""
    adj = [0.0] * (len(words) + 1)
    for j in range(1, len(words)):
        rank = phrase.rank(words[j - 1], words[j])
        adj[j] = (_INF if rank is None else -bonus if rank in (SENTENCE, CLAUSE)
                  else -bonus / 2 if rank == BEFORE_CLAUSE else bonus / 2 if rank == DANGLING else 0.0)
    return adj


def _layout(words: list[str], widths: list[int], adj: list[float], max_len: int,
            max_lines: int | None, glued: list[bool]) -> list[str] | None:
    """Best layout in exactly the fewest lines that fit (None when more than `max_lines`
    are needed): least (lines, sum of squared line lengths + break adjustments). One
    dynamic programme over break positions; each looks back at most one line's worth of
    words, so the work grows with the number of words, not its square."""
    n = len(words)
    lines_n, cost_n, prev = accel.compiled("wrap_layout", _search, widths, adj, max_len, glued)
    if cost_n == _INF or (max_lines is not None and lines_n > max_lines):
        return None
    out: list[str] = []
    j = n
    while j > 0:
        i = prev[j]
        out.append(join(words, glued, i, j))
        j = i
    return out[::-1]


def _search(widths: list[int], adj: list[float], max_len: int, glued: list[bool]) -> tuple[int, float, list[int]]:
    """(lines, cost) of the best layout of all the words, and where each line starts."""
    n = len(widths)
    # (lines, cost) of the best layout of words[:j], in two lists (no tuple per try).
    counts = [0] + [n + 2] * n
    costs = [0.0] + [_INF] * n
    prev = [0] * (n + 1)
    for j in range(1, n + 1):
        extra = adj[j] if j < n else 0.0
        if extra == _INF:
            continue  # no line may end here
        width = -1
        for i in range(j - 1, -1, -1):
            width += widths[i] + (0 if i + 1 < n and glued[i + 1] else 1)
            if width > max_len and i < j - 1:
                break
            cost = costs[i]
            if cost == _INF:
                continue
            lines = counts[i] + 1
            total = cost + width * width + extra
            if lines < counts[j] or (lines == counts[j] and total < costs[j]):
                counts[j] = lines
                costs[j] = total
                prev[j] = i
    return counts[n], costs[n], prev


def _balanced(words: list[str], glued: list[bool], max_len: int, max_lines: int, phrase: Phrasing) -> list[str]:
    widths = [width(w) for w in words]
    adj = _adjustments(words, phrase, (max_len * 0.35) ** 2)
    found = _layout(words, widths, adj, max_len, None, glued)
    if found is None:  # only breaks that may not be made: ignore the ranks
        found = _layout(words, widths, [0.0] * (len(words) + 1), max_len, None, glued)
    return found or [join(words, glued, 0, len(words))]


def wrap_text(text: str, max_len: int, max_lines: int, language: str = "en") -> str:
    if bilingual(text):
        # A line over another in a second script is its translation: a line each, as the
        # author laid them out (joining or re-breaking would mix the languages).
        return text
    lines = text.split("\n")
    fits = len(lines) <= max_lines and all(width(line) <= max_len for line in lines)
    speakers = turns(text)
    dialogue = len(speakers) > 1
    if fits:
        if len(lines) == 2 and not dialogue:
            joined = join_lines(lines)
            if width(joined) <= max_len:
                return joined
        return text
    if dialogue:  # each speaker's turn starts a line of its own
        return "\n".join(wrap_text(join_lines(turn.split("\n")), max_len, 1, language) for turn in speakers)
    words, glued = tokenize(text)
    if not words:
        return text
    return "\n".join(_balanced(words, glued, max_len, max_lines, phrasing(language)))


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    max_len = options["max_line_length"]
    max_lines = options["max_lines"]
    clean: set[str] = ctx.known(NAME, options)  # texts wrap leaves as they are
    language = ctx.language
    for cue in cues:
        text = cue.text
        if not text or (len(text) <= max_len and "\n" not in text) or text in clean:
            continue
        new = wrap_text(text, max_len, max_lines, language)
        if new == text:
            clean.add(text)
        else:
            cue.text = new
            ctx.changes.record(NAME, cue.line)
    return cues
