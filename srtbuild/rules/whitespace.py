"""whitespace: spaces where a subtitle editor puts them, seen through tags and quotes.

Runs of spaces are collapsed, lines trimmed and empty lines removed, and there is no space
before `, . ! ? ; :` (French keeps its space before `; : ! ?`). The same trimming applies
to what a viewer sees rather than to the raw characters: a space or line break just inside
a formatting tag (`<i> bad</i>`, `<i>\\nText</i>`) or just inside a pair of quotes
(`" Foo "`) is trimmed like one at a line's edge. Music notes at a line's edge get the
space that sets them apart from the lyric (`♪la la♪` to `♪ la la ♪`), and the dash that
opens each speaker's line of a dialog is written in one `dialog_style`.

Every change here moves or adds a space and never a word, so the words a viewer reads are
the same before and after; a case that is ambiguous (quotes that do not pair up, a `#`
that could be a hashtag, a dash before a number) is left as it is.
"""

from __future__ import annotations

import re

from srtbuild.rules.base import Context, Option, fix_texts
from srtbuild.rules.text import (
    LEADING_PUNCT,
    SPACE_BEFORE_ALL,
    SPACE_BEFORE_LOW,
    TAG,
    leading_tags_end,
    spaced_high,
    spaces_outside_tags,
    trailing_tags_start,
    visible,
)
from srtbuild.subtitles.model import Cue

NAME = "whitespace"
DOC = ("Runs of spaces collapsed, lines trimmed, no space before , . ! ? ; : (French keeps its space before ; : ! ?), "
       "empty lines inside a cue removed; spaces and line breaks just inside <i> <b> <u> <font> and paired quotes "
       "removed; music notes at a line's edge spaced (♪ la la ♪); dialog dashes written in `dialog_style`.")
DIALOG_STYLES = ("space", "no_space", "keep")
OPTIONS = (
    Option("dialog_style", "str", "space",
           "how the dash opening each speaker's line of a dialog is written: `space` (- Text), "
           "`no_space` (-Text, Netflix English) or `keep` (as found)"),
)


def check(options: dict) -> tuple[str, str] | None:
    """An unknown dialog style is a configuration error, not a silent `keep`."""
    if options["dialog_style"] not in DIALOG_STYLES:
        return "dialog_style", f"expected one of {', '.join(DIALOG_STYLES)}, got {options['dialog_style']!r}"
    return None


_RUNS = re.compile(r"[ \t\u3000]*\t[ \t]*|[ \t]{2,}")
_MARKS = ",.!?;:"
_QUOTES = "\"\u201c\u201d\u201e"
_NOTES = "\u266a\u266b\u266c\u2669"  # ♪ ♫ ♬ ♩
DASHES = "-\u2010\u2013\u2014"  # hyphen-minus, hyphen, en dash, em dash: all open dialog lines
_TAGS_AT_END = re.compile(rf"(?:{TAG.pattern})+$", re.IGNORECASE)


def _plain_needs(text: str) -> bool:
    """Plain substring tests: far cheaper than a regex on the many cues that are clean."""
    return (
        "  " in text or "\t" in text or " \n" in text or "\n " in text or "\n\n" in text
        or text[0] == " " or text[-1] == " "
        or any(" " + m in text or "\n" + m in text for m in _MARKS)
    )


def _needs(text: str, dialogs: bool) -> bool:
    return (
        _plain_needs(text) or "<" in text or "#" in text
        or any(q in text for q in _QUOTES) or any(n in text for n in _NOTES)
        or (dialogs and "\n" in text and any(d in text for d in DASHES))
    )


# What `_needs` looks for, as one pattern for the whole file's text (each text between two
# NULs): a dialog's dashes are looked for as any dash, and `_needs` decides.
_SCAN = re.compile("  |\t| \n|\n |\n\n|\x00 | \x00|[ \n][" + re.escape(_MARKS) + "]|[<#" + _QUOTES + _NOTES + "]")
_SCAN_DIALOGS = re.compile(_SCAN.pattern + "|[" + DASHES + "]")

# ---------------------------------------------------------------------------- quotes


def _char_before(text: str, i: int) -> str:
    """The visible character before position i (tags skipped), or "" at the start."""
    head = text[max(0, i - 300):i]
    if head.endswith((">", "}")):
        m = _TAGS_AT_END.search(head)
        if m:
            return _char_before(text, i - (len(head) - m.start()))
    return head[-1:]


def _char_after(text: str, i: int) -> str:
    """The visible character at or after position i (tags skipped), or "" at the end."""
    while i < len(text) and text[i] in "<{":
        m = TAG.match(text, i)
        if not m:
            break
        i = m.end()
    return text[i:i + 1]


def _can_open(text: str, i: int) -> bool:
    # An opening quote follows a space, a line start, a bracket or a dash; after a letter,
    # a digit or a period it is a closing quote or an inch mark (`5" screen`).
    before = _char_before(text, i)
    return before == "" or before.isspace() or before in "([{" + DASHES + "\u00bf\u00a1"


def _can_close(text: str, i: int) -> bool:
    return not _char_after(text, i + 1).isalnum()


def _holds_words(text: str, a: int, b: int) -> bool:
    return any(ch.isalnum() for ch in visible(text[a + 1:b]))


def _straight_pairs(text: str) -> list[tuple[int, int]]:
    """Pairs of straight quotes, taken in order, within the cue when its quotes are even in
    number, else within each line whose quotes are; a group of pairs of which one does not
    sit where an opening and a closing quote sit is not trusted at all."""

    def trusted(marks: list[int]) -> list[tuple[int, int]]:
        pairs = list(zip(marks[::2], marks[1::2]))
        if all(_can_open(text, a) and _can_close(text, b) and _holds_words(text, a, b) for a, b in pairs):
            return pairs
        return []

    marks = [i for i, ch in enumerate(text) if ch == '"']
    if len(marks) < 2:
        return []
    if len(marks) % 2 == 0:
        pairs = trusted(marks)
        if pairs:
            return pairs
    by_line: dict[int, list[int]] = {}
    line, next_break = 0, text.find("\n")
    for i in marks:
        while next_break != -1 and next_break < i:
            line, next_break = line + 1, text.find("\n", next_break + 1)
        by_line.setdefault(line, []).append(i)
    pairs = []
    for in_line in by_line.values():
        if len(in_line) % 2 == 0:
            pairs += trusted(in_line)
    return pairs


def _curly_pairs(text: str) -> list[tuple[int, int]]:
    """Pairs of curly quotes (“ ”, and German „ “): the glyph says which way it faces, so
    they pair in order; a cue where one does not pair is left alone.

    Guillemets are not paired: whether « » take a space inside is the language's
    convention (French spaces them, `« Oui »`), and a file's `language:` is often left
    at its default, so the spaces an author wrote there are kept."""
    pairs: list[tuple[int, int]] = []
    opened: int | None = None
    for i, ch in enumerate(text):
        if ch == "\u201e":  # „ opens (German)
            if opened is not None:
                return []
            opened = i
        elif ch == "\u201c":  # “ opens in English and closes a German „
            if opened is not None and text[opened] == "\u201e":
                pairs.append((opened, i))
                opened = None
            elif opened is None:
                opened = i
            else:
                return []
        elif ch == "\u201d":  # ” closes
            if opened is None:
                return []
            pairs.append((opened, i))
            opened = None
    if opened is not None:
        return []
    return [(a, b) for a, b in pairs if _holds_words(text, a, b) and _can_close(text, b)]


def quote_spaces(text: str) -> str:
    """Spaces just inside a pair of quotes removed: `" Foo "` to `"Foo"`.

    Only inside a pair: the spaces between two quotations (`"yes" and "no"`) are outside
    every pair and stay."""
    if not any(q in text for q in _QUOTES):
        return text
    pairs = _straight_pairs(text) if '"' in text else []
    pairs += _curly_pairs(text)
    drop: set[int] = set()
    for a, b in pairs:
        i = a + 1
        while i < b and text[i] in " \t":
            drop.add(i)
            i += 1
        j = b - 1
        while j > i and text[j] in " \t":
            drop.add(j)
            j -= 1
    if not drop:
        return text
    return "".join(ch for i, ch in enumerate(text) if i not in drop)


# ---------------------------------------------------------------------------- music notes


def _body_start(line: str) -> int:
    """Where a line's own text starts: after opening tags and a dialog dash."""
    i = leading_tags_end(line)
    if i < len(line) and line[i] in DASHES:
        j = i + 1
        while j < len(line) and line[j] in " \t":
            j += 1
        if j < len(line) and line[j] in _NOTES + "#<{":
            i = j + leading_tags_end(line[j:])
    return i


_AFTER_OPENING_NOTE = "\"'\u201c\u2018\u201e\u00ab([\u00bf\u00a1"
_BEFORE_CLOSING_NOTE = ".,!?;:\u2026\"'\u201d\u2019\u00bb)]*"


def _note_line(line: str) -> str:
    start = _body_start(line)
    end = trailing_tags_start(line)
    if start >= end:
        return line
    if line[start] == "#":
        return _hash_notes(line, start, end)
    if line[start] not in _NOTES and line[end - 1] not in _NOTES:
        return line
    j = start
    while j < end and line[j] in _NOTES:
        j += 1
    i = end
    while i > j and line[i - 1] in _NOTES:
        i -= 1
    insert_after = j > start and j < end and _opens_lyric(_char_after(line, j))
    insert_before = i < end and i > j and _closes_lyric(_char_before(line, i))
    if insert_before:
        line = line[:i] + " " + line[i:]
    if insert_after:
        line = line[:j] + " " + line[j:]
    return line


def _opens_lyric(ch: str) -> bool:
    return ch.isalnum() or (ch != "" and ch in _AFTER_OPENING_NOTE)


def _closes_lyric(ch: str) -> bool:
    return ch.isalnum() or (ch != "" and ch in _BEFORE_CLOSING_NOTE)


def _hash_notes(line: str, start: int, end: int) -> str:
    """`#` stands for a note only on a line it both opens and closes, around lyrics of
    more than one word: `#la la#`. A hashtag (`#metoo`), a number (`#1`) or a `#` inside
    text is never a note."""
    j = start
    while j < end and line[j] == "#":
        j += 1
    i = end
    while i > j and line[i - 1] == "#":
        i -= 1
    if i == end or i <= j:
        return line
    inner = visible(line[j:i]).strip()
    if "#" in inner or " " not in inner or not any(ch.isalpha() for ch in inner):
        return line
    if line[i - 1] not in " \t":
        line = line[:i] + " " + line[i:]
    if line[j] not in " \t":
        line = line[:j] + " " + line[j:]
    return line


def note_spaces(text: str) -> str:
    """A music note at a line's start or end set apart by a space: `♪la la♪` to `♪ la la ♪`.

    Notes inside a line (`It is ♪ so`) are left: only at the edges is it clear that they
    frame a lyric."""
    if "#" not in text and not any(n in text for n in _NOTES):
        return text
    return "\n".join(_note_line(line) for line in text.split("\n"))


# ---------------------------------------------------------------------------- dialog


def _speaker_dash(line: str) -> tuple[int, int] | None:
    """(end of the dash, start of the words) when the line opens with a speaker's dash.

    Not a speaker's dash: `--` and `->`, a dash alone, or a dash glued to a number
    (`-5 degrees`, `-$20`), which reads as a minus sign."""
    p = leading_tags_end(line)
    if p >= len(line) or line[p] not in DASHES:
        return None
    q = p + 1
    if q < len(line) and line[q] in DASHES + ">":
        return None
    r = q
    while r < len(line) and line[r] in " \t":
        r += 1
    rest = visible(line[r:])
    if not rest.strip():
        return None
    if r == q and _numeric(rest):
        return None
    return q, r


def _numeric(words: str) -> bool:
    """Does the text start like a number or an amount (`5`, `.5`, `$20`)?"""
    return words[:1].isdigit() or words[:1] in "$\u20ac\u00a3" or (words[:1] == "." and words[1:2].isdigit())


def is_dialog(text: str) -> bool:
    """Two or more lines that open with a speaker's dash: a single dashed line (`- Hey!`,
    a style where each cue is one speaker) is not a dialog."""
    if "\n" not in text:
        return False
    return sum(1 for line in text.split("\n") if _speaker_dash(line)) >= 2


def dialog_dashes(text: str, style: str) -> str:
    """Each speaker's dash of a dialog written as `style` says: `- Text` or `-Text`.

    A dash before a number keeps its space in `no_space` (`- 5 degrees` must not read as
    minus five)."""
    if style == "keep" or "\n" not in text:
        return text
    lines = text.split("\n")
    dashes = [_speaker_dash(line) for line in lines]
    if sum(1 for d in dashes if d) < 2:
        return text
    out = []
    for line, dash in zip(lines, dashes):
        if dash is not None:
            q, r = dash
            glue = style == "no_space" and not _numeric(visible(line[r:]))
            line = line[:q] + ("" if glue else " ") + line[r:]
        out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------------------- the rule


def fix(text: str, pattern: re.Pattern, style: str = "space") -> str:
    """One pass of every whitespace correction (the rule runs it to its fixpoint)."""
    text = spaces_outside_tags(text)
    text = LEADING_PUNCT.sub(r"\1\n", text)
    text = _RUNS.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(line for line in lines if line)
    text = pattern.sub(r"\1", text)
    text = quote_spaces(text)
    text = note_spaces(text)
    return dialog_dashes(text, style)


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    # `.` only when it ends a word: ` .5`, `.NET` and a spaced ellipsis ` ...` stay.
    pattern = SPACE_BEFORE_LOW if spaced_high(ctx.language) else SPACE_BEFORE_ALL
    style = options.get("dialog_style", "space")
    dialogs = style != "keep"
    return fix_texts(cues, NAME, ctx, lambda t: fix(t, pattern, style),
                     quick=lambda t: _needs(t, dialogs), options=options, scan=_SCAN_DIALOGS if dialogs else _SCAN)
