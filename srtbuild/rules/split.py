"""split: a cue too long to read is split into the fewest cues that can be read.

Speech recognition writes segments of up to 30 seconds and hundreds of characters; no
layout shows those in two lines, and cutting their time only makes them faster to read.
A cue whose words need more than `max_lines` lines of `max_line_length`, or that lasts
longer than `max_duration_ms` with enough text to share, becomes the fewest parts that
fit. Among the ways to cut it into that many parts, the one chosen breaks at the best
places (the end of a sentence, then clause punctuation, then before a conjunction or a
relative word, then any word boundary) with parts of similar length. Never inside a word,
between two parts of a number, or before a dash (that would read as a speaker turn).

Each part gets the share of the cue's time its visible characters are of the whole, with
`min_gap_ms` between parts, all inside the original cue's span; a very short part gets
the minimum duration or half an even share, whichever is less. Formatting tags open at a
cut are closed at the end of the part and the innermost of each kind opened again at the
start of the next; a leading ASS override like `{\\an8}` is repeated on every part; a
dialog splits at the speaker turns first; Chinese and Japanese may be cut between
characters. A cut is placed by the words alone, so splitting again changes nothing.
"""

from __future__ import annotations

import re
from itertools import accumulate

from srtbuild.rules import accel
from srtbuild.rules.base import Context, Option, limit
from srtbuild.rules.layout import bilingual, join, lines_for, reading_chars, tokenize, turn_lines, turns, width
from srtbuild.rules.phrasing import BEFORE_CLAUSE, CLAUSE, DANGLING, SENTENCE, WORD, Phrasing, phrasing
from srtbuild.subtitles.model import Cue

NAME = "split"
DOC = "Cues that need more than max_lines lines of max_line_length, or last longer than max_duration_ms, split into the fewest cues that fit, at sentence ends, clause punctuation or before conjunctions; time shared by characters, tags closed and reopened."
OPTIONS = (
    limit("max_line_length", "characters a line (as wrap)"),
    limit("max_lines", "lines a cue (as wrap)"),
    limit("max_duration_ms", "longest a cue may last before it is split for time"),
    limit("min_gap_ms", "gap left between the parts of a split cue"),
    limit("min_duration_ms", "parts are cut so that none is on screen less than this where possible"),
    Option("min_chars", "int", 20, "a cue is split for time only if every part keeps this many characters", 1, 10_000),
    limit("max_cps", "reading speed the next cue keeps when it lends time to short parts (as timing)"),
)

# Cost of a cut by its rank (srtbuild.rules.phrasing); balance adds to it (see _parts).
_COST = {SENTENCE: 0.0, CLAUSE: 1.0, BEFORE_CLAUSE: 2.5, WORD: 5.0, DANGLING: 9.0}
_BALANCE = 3.0
_SHORT = 8.0  # a part that would be on screen less than min_duration_ms
_ASS_LEAD = re.compile(r"\A(?:\{\\[^{}]*\})+")
_FORMAT = re.compile(r"<(/?)(i|b|u|font)\b([^<>]*)>", re.IGNORECASE)


def _parts(words: list[str], widths: list[int], max_len: int, max_lines: int, max_chars: int,
           phrase: Phrasing, short_chars: int = 0, glued: list[bool] | None = None) -> list[int]:
    """Cut points (indexes into words) giving the fewest parts that each fit, then the
    least cost. A first search finds how few parts there can be; a second, knowing it,
    also weighs how evenly the text is shared."""
    n = len(words)
    sep = [0 if glued and glued[k] else 1 for k in range(n)]  # space before word k
    ranks = [phrase.rank(words[j - 1], words[j]) for j in range(1, n)]
    cut_cost = [0.0] + [None if r is None else _COST[r] for r in ranks] + [0.0]
    limits = (max_len, max_lines, max_chars)
    count = _fewest(widths, sep, cut_cost, limits)
    if count <= 1:
        return []
    ideal = (sum(widths) + sum(sep) - 1) / count
    _, prev = accel.compiled("split_search", _search, widths, sep, cut_cost, limits, ideal, short_chars)
    cuts = []
    j = n
    while j > 0:
        j = prev[j]
        if j:
            cuts.append(j)
    return cuts[::-1]


def _reach(widths: list[int], sep: list[int], i: int, limits: tuple[int, int, int]) -> int:
    """The last word end a part starting at word i may have: its words fill at most
    max_lines lines of max_len (greedily, as `layout` measures) and max_chars characters
    (a single word always makes a part)."""
    max_len, max_lines, max_chars = limits
    n = len(widths)
    lines, current, chars = 0, -1, -1
    for j in range(i + 1, n + 1):
        w = widths[j - 1]
        add = sep[j - 1] + w
        if current >= 0 and current + add <= max_len:
            current += add
        else:
            lines += 1
            current = w
        chars += add
        if j > i + 1 and (lines > max_lines or chars > max_chars):
            return j - 1
    return n


def _fewest(widths: list[int], sep: list[int], cut_cost: list[float | None], limits: tuple[int, int, int]) -> int:
    """How few parts the words can be cut into (len(widths) + 1: no way at all): each part
    ends as far on as it can. That is the fewest, because what fits is monotone both
    ways: a part's words without its first or its last still fit, so the parts that end
    farthest leave the least behind, and wherever a part could end, an earlier cut could
    end one there too. One look ahead from each cut, not from every word."""
    n = len(widths)
    i = parts = 0
    while i < n:
        farthest = next((j for j in range(_reach(widths, sep, i, limits), i, -1) if cut_cost[j] is not None), 0)
        if not farthest:
            return n + 1
        parts += 1
        i = farthest
    return parts


def _search(widths: list[int], sep: list[int], cut_cost: list[float | None], limits: tuple[int, int, int],
            ideal: float | None, short_chars: int) -> tuple[int, list[int]]:
    """Least (parts, cost) over the ways to cut the words, by dynamic programming: the
    part count of the best way and, for each word, where the part ending before it
    starts. Each start looks ahead only as far as one part reaches, so the work grows with
    the number of words, not its square. With `ideal` (characters a part), parts far
    from it and parts too short for the minimum duration cost more."""
    n = len(widths)
    # (parts, cost) of the best way to cut words[:j], kept in two lists: the hot loop
    # below runs for every pair of a start and an end, and builds no tuple.
    parts = [0] + [n + 1] * n
    costs = [0.0] * (n + 1)
    prev = [0] * (n + 1)
    ends = list(accumulate((s + w for s, w in zip(sep, widths)), initial=0))  # chars(i, j) = ends[j] - ends[i] - 1
    for i in range(n):
        parts_i = parts[i]
        if parts_i > n:
            continue
        cost_i = costs[i]
        then = parts_i + 1
        before = ends[i] + 1
        for j in range(i + 1, _reach(widths, sep, i, limits) + 1):
            cost = cut_cost[j]
            if cost is None:
                continue
            if ideal is not None:
                chars = ends[j] - before
                off = (chars - ideal) / ideal
                cost += _BALANCE * off * off + (_SHORT if chars < short_chars else 0.0)
            total = cost_i + cost
            if then < parts[j] or (then == parts[j] and total < costs[j]):
                parts[j] = then
                costs[j] = total
                prev[j] = i
    return parts[n], prev


def _carry_tags(pieces: list[str]) -> list[str]:
    """Close the formatting tags open at the end of each piece and open them again at
    the start of the next, so every part is balanced on its own."""
    out = []
    carried: list[tuple[str, str]] = []  # (name, opening tag) in opening order
    for piece in pieces:
        text = "".join(tag for _, tag in carried) + piece
        stack = list(carried)
        for m in _FORMAT.finditer(piece):
            name = m.group(2).lower()
            if m.group(1):
                for k in range(len(stack) - 1, -1, -1):
                    if stack[k][0] == name:
                        del stack[k]
                        break
            else:
                stack.append((name, m.group(0)))
        text += "".join(f"</{name}>" for name, _ in reversed(stack))
        # Only the innermost tag of each kind shows: that one is carried on (a cue of a
        # thousand unclosed <font> tags would otherwise repeat them all in every part).
        innermost = {name: k for k, (name, _) in enumerate(stack)}
        carried = [entry for k, entry in enumerate(stack) if innermost[entry[0]] == k]
        out.append(text)
    return out


def split_text(text: str, max_len: int, max_lines: int, max_chars: int, language: str,
               short_chars: int = 0) -> list[str]:
    """The texts of the parts (one element when the text needs no split)."""
    lead_m = _ASS_LEAD.match(text)
    lead = lead_m.group(0) if lead_m else ""
    body = text[len(lead):]
    phrase = phrasing(language)
    speakers = turns(body)
    if len(speakers) > 1:
        pieces = []
        for group in _turn_groups(speakers, max_len, max_lines):
            if len(group) > 1:
                pieces.append("\n".join(group))
            else:  # one speaker's turn: split by its words if it needs to be
                pieces.extend(_by_words(group[0], max_len, max_lines, max_chars, phrase, short_chars))
    else:
        pieces = _by_words(body, max_len, max_lines, max_chars, phrase, short_chars)
    if len(pieces) == 1:
        return [text]
    return [lead + piece for piece in _carry_tags(pieces)]


def _one_line(turn: str, max_len: int) -> bool:
    return turn_lines(turn, max_len) <= 1


def _turn_groups(speakers: list[str], max_len: int, max_lines: int) -> list[list[str]]:
    """Consecutive speaker turns share a part while each fits on a line of its own."""
    groups: list[list[str]] = []
    for turn in speakers:
        last = groups[-1] if groups else None
        if (last is not None and len(last) < max_lines and _one_line(turn, max_len)
                and all(_one_line(t, max_len) for t in last)):
            last.append(turn)
        else:
            groups.append([turn])
    return groups


def _by_words(text: str, max_len: int, max_lines: int, max_chars: int, phrase: Phrasing,
              short_chars: int = 0) -> list[str]:
    words, glued = tokenize(text)
    if not words:
        return [text]
    cuts = _parts(words, [width(w) for w in words], max_len, max_lines, max_chars, phrase, short_chars, glued)
    if not cuts:
        return [text]
    bounds = [0] + cuts + [len(words)]
    return [join(words, glued, a, b) for a, b in zip(bounds, bounds[1:])]


def _needs_split(text: str, duration: int, max_len: int, max_lines: int, max_dur: int, min_chars: int) -> bool:
    long = duration > max_dur and reading_chars(text) >= 2 * min_chars
    if not long:
        lines = text.split("\n")
        if len(lines) <= max_lines and all(width(line) <= max_len for line in lines):
            return False  # laid out as it is, it fits
    if bilingual(text):
        return False
    if long:
        return True
    return lines_for(text, max_len) > max_lines


def _times(start: int, end: int, pieces: list[str], gap: int, min_dur: int) -> list[tuple[int, int]]:
    """Each part's span: the gaps between parts are taken first, the rest shared by
    visible characters, so every part reads at the same speed. A very short part is
    raised to the minimum duration or half an even share, whichever is less, taken from
    the others in proportion to their time: a last word never flashes, and the long parts
    lose no more than that."""
    count = len(pieces)
    chars = [max(reading_chars(p), 1) for p in pieces]
    span = max(end - start, 0)
    gap = min(gap, span // (2 * count))
    shown = span - gap * (count - 1)
    total = sum(chars)
    lengths = [shown * c / total for c in chars]
    floor = min(min_dur, shown / (2 * count))
    short = [k for k, length in enumerate(lengths) if length < floor]
    if short:
        lack = sum(floor - lengths[k] for k in short)
        rest = sum(length for k, length in enumerate(lengths) if k not in short)
        lengths = [floor if k in short else length - lack * length / rest for k, length in enumerate(lengths)]
    spans = []
    acc = 0.0
    at = start
    for k, length in enumerate(lengths):
        acc += length
        stop = start + gap * k + int(acc)
        spans.append((at, stop if k + 1 < count else end))
        at = stop + gap
    return spans


def _borrow(cues: list[Cue], i: int, parts: int, options: dict, disputed: bool) -> int:
    """How far the parts of cue i may run past its end: a cue too short to give each part
    the minimum duration takes the free time after it and what the next cue holds beyond
    the time its own text needs (its start moves on by as much), so that no part flashes.
    Nothing for a cue whose time is disputed: timing settles that."""
    cue = cues[i]
    lack = parts * options["min_duration_ms"] + options["min_gap_ms"] * (parts - 1) - (cue.end - cue.start)
    if lack <= 0 or disputed or i + 1 >= len(cues):
        return 0
    nxt = cues[i + 1]
    if nxt.end <= nxt.start:
        return 0
    need = max(options["min_duration_ms"], int(reading_chars(nxt.text) * 1000 / options["max_cps"]))
    gap = options["min_gap_ms"]
    free = max(0, nxt.start - gap - cue.end)
    spare = max(0, nxt.end - max(nxt.start, cue.end + gap) - need)
    taken = min(lack, free + spare)
    if taken > free:
        nxt.start = max(nxt.start, cue.end + taken + gap)
    return taken


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    max_len = options["max_line_length"]
    max_lines = options["max_lines"]
    max_dur = options["max_duration_ms"]
    gap = options["min_gap_ms"]
    min_chars = options["min_chars"]
    out: list[Cue] = []
    changed = False
    count = len(cues)
    for i, cue in enumerate(cues):
        # A cue whose time overlaps a neighbour's has no time of its own yet (timing
        # settles it): it is split only to fit the screen, never for time.
        disputed = ((i and cues[i - 1].end > cue.start) or (i + 1 < count and cues[i + 1].start < cue.end))
        duration = cue.end - cue.start
        for_time = duration if not disputed else min(duration, max_dur)
        if not cue.text or not _needs_split(cue.text, for_time, max_len, max_lines, max_dur, min_chars):
            out.append(cue)
            continue
        chars = reading_chars(cue.text)
        max_chars = chars + 1_000_000
        if for_time > max_dur and chars >= 2 * min_chars:
            # Split for time too: no part longer than max_dur (time follows characters).
            max_chars = max(max_dur * chars // duration, min_chars)
        # Parts with fewer characters than this would be on screen under min_duration_ms.
        short_chars = -(-options["min_duration_ms"] * chars // duration) if duration > 0 else 0
        pieces = split_text(cue.text, max_len, max_lines, max_chars, ctx.language, short_chars)
        if len(pieces) == 1:
            out.append(cue)
            continue
        end = cue.end + _borrow(cues, i, len(pieces), options, disputed)
        for (start, stop), piece in zip(_times(cue.start, end, pieces, gap, options["min_duration_ms"]), pieces):
            out.append(Cue(start, stop, piece, cue.line))
        ctx.changes.record(NAME, cue.line, len(pieces) - 1)
        changed = True
    return out if changed else cues
