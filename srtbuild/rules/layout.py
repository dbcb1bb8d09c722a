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
DASHES = ("-", "\u2010", "\u2013", "\u2014")


def width(token: str) -> int:
    return len(visible(token)) if ("<" in token or "{" in token) else len(token)


# Chinese and Japanese write no spaces: a line may break between two of their characters,
# but not before closing punctuation or after an opening bracket. (Korean uses spaces.)
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_NO_BREAK_BEFORE = frozenset("、。，．！？：；」』）】〕〉》〟…ー・々ゝゞぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.!?:;)]}%")
_NO_BREAK_AFTER = frozenset("「『（【〔〈《〝([{")
_TAG_AT = re.compile(r"<[^<>]*>|\{\\[^{}]*\}")


def _cjk_pieces(chunk: str) -> list[str]:
    """A chunk of text without spaces, cut where Chinese or Japanese allows a break."""
    if not _CJK_CHAR.search(chunk):
        return [chunk]
    tags = {m.start(): m.end() for m in _TAG_AT.finditer(chunk)}
    pieces, start, i, prev = [], 0, 0, ""
    while i < len(chunk):
        if i in tags:  # a tag goes with the character after it
            i = tags[i]
            continue
        ch = chunk[i]
        if (prev and i > start and (_CJK_CHAR.match(prev) or _CJK_CHAR.match(ch))
                and ch not in _NO_BREAK_BEFORE and prev not in _NO_BREAK_AFTER and not chunk[i - 1] == ">"
                and not chunk[i - 1] == "}"):
            pieces.append(chunk[start:i])
            start = i
        prev = ch
        i += 1
    pieces.append(chunk[start:])
    return pieces


def tokenize(text: str) -> tuple[list[str], list[bool]]:
    """The cue's words, and for each whether it is glued to the one before (no space
    between: the characters of Chinese and Japanese text). Text with spaces only gives
    the words `TOKEN` finds, none glued."""
    if not _CJK_CHAR.search(text):
        # Without a tag, TOKEN's words are the runs of non-space (`\s` and str.split
        # know the same spaces): split finds them without a step per character.
        words = TOKEN.findall(text) if "<" in text or "{" in text else text.split()
        return words, [False] * len(words)
    words = []
    glued: list[bool] = []
    for chunk in TOKEN.findall(text):
        for k, piece in enumerate(_cjk_pieces(chunk)):
            words.append(piece)
            glued.append(k > 0)
    return words, glued


def join(words: list[str], glued: list[bool], i: int, j: int) -> str:
    """words[i:j] as text: a space between them unless glued."""
    if True not in glued[i + 1:j]:
        return " ".join(words[i:j])
    return "".join(w if k == i or glued[k] else " " + w for k, w in zip(range(i, j), words[i:j]))


def join_lines(lines: list[str]) -> str:
    """Lines joined into one: with a space, except between two Chinese or Japanese
    characters (their text has none)."""
    out = ""
    for line in lines:
        if out and not (_CJK_CHAR.match(visible(out)[-1:] or " ") and _CJK_CHAR.match(visible(line)[:1] or " ")):
            out += " "
        out += line
    return out


def lines_needed(widths: list[int], max_len: int, glued: list[bool] | None = None) -> int:
    """Fewest lines the words take at `max_len` characters a line (a word longer than
    the line takes a line of its own)."""
    lines, current = 0, -1
    for k, w in enumerate(widths):
        sep = 0 if glued and glued[k] else 1
        if current >= 0 and current + sep + w <= max_len:
            current += sep + w
        else:
            lines += 1
            current = w
    return lines


def turn_lines(turn: str, max_len: int) -> int:
    words, glued = tokenize(turn)
    return lines_needed([width(w) for w in words], max_len, glued)


def starts_turn(token: str) -> bool:
    """A word that would open a speaker turn if a line started with it: breaks before
    such a word are never made, or the next run would read the cue as a dialog."""
    return visible(token).startswith(DASHES)


def turns(text: str) -> list[str]:
    """A dialog cue's speaker turns, or [text] when the cue is not a dialog: a line after
    the first that starts with a dash opens another speaker's turn (the first speaker's
    line may or may not have its own dash, as styles differ)."""
    lines = text.split("\n")
    if len(lines) < 2:
        return [text]
    starts = [0] + [i for i, line in enumerate(lines) if i and visible(line).lstrip().startswith(DASHES)]
    if len(starts) < 2:
        return [text]
    bounds = starts + [len(lines)]
    return ["\n".join(lines[a:b]) for a, b in zip(bounds, bounds[1:])]


def lines_for(text: str, max_len: int) -> int:
    """Lines the text needs when laid out well: dialog turns each start a line."""
    return sum(turn_lines(turn, max_len) for turn in turns(text))


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


_POSITION = re.compile(r"\A\{\\(?:an\d|pos\([^)]*\))[^}]*\}")


def position(text: str) -> str:
    """The position override a cue starts with (`{\\an8}`, `{\\pos(..)}`), or "": cues
    shown at different places are different subtitles, each with its own timeline."""
    m = _POSITION.match(text)
    return m.group(0) if m else ""


def positions(cues) -> list[str] | None:
    """Each cue's position override, or None when no cue starts with one (the usual file:
    every cue at the default place, found without a match per cue)."""
    if not any(c.text.startswith("{") for c in cues):
        return None
    return [position(c.text) for c in cues]
