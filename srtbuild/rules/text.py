"""Text helpers shared by several rules: tags, visible text, tidying after removals."""

from __future__ import annotations

import re

# HTML-like tags and ASS override blocks; neither is visible text nor a place to break.
# Only the tag names players know: `<across lines>` in a cue is text, not a tag.
TAG = re.compile(r"</?(?:i|b|u|s|font|c|v|ruby|rt|span|lang)(?:[ .][^<>\n]*)?>|\{\\[^{}\n]*\}", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")
# A space before a comma, or before a period that ends a word (not `.5`, `.NET`, ` ...`);
# a dialogue dash at a line start keeps its space (`- ...`).
SPACE_BEFORE_LOW = re.compile(r"(?<=\S)(?<!\A-)(?<!\n-)[ \t]+(,(?!\d)|\.(?![\w.]))")
_LONE_PUNCT = re.compile(r"^[\s,;:]+")
# Punctuation that starts a line belongs at the end of the line before it.
LEADING_PUNCT = re.compile(r"\n[ \t]*(?!\.\.)([,.;:!?]+)(?=[ \t\n]|$)")  # an ellipsis may open a line


def visible(text: str) -> str:
    """The text a viewer reads: tags removed."""
    if "<" not in text and "{" not in text:
        return text
    return TAG.sub("", text)


# `[^\W_]` is exactly str.isalnum() (re's \w is isalnum() or `_`), found in C.
ALNUM = re.compile(r"[^\W_]")


def has_words(text: str) -> bool:
    return ALNUM.search(visible(text)) is not None


# Languages whose typography puts a (thin) space before high punctuation (; : ! ?).
SPACED_HIGH_PUNCTUATION = frozenset({"fr"})
SPACE_BEFORE_ALL = re.compile(r"(?<=\S)(?<!\A-)(?<!\n-)[ \t]+([,!?;:](?!\d)|\.(?![\w.]))")
# What each of the two needs in a text to match at all: looked for with `in` first, since
# a pattern that opens with look-behinds is tried at every character of a long text.
_LOW_PAIRS = tuple(ws + mark for ws in " \t" for mark in ",.")
_ALL_PAIRS = tuple(ws + mark for ws in " \t" for mark in ",!?;:.")


def spaced_high(language: str) -> bool:
    return language.split("-")[0].lower() in SPACED_HIGH_PUNCTUATION


_DASHES = re.compile(r"(?<![-<!])-{2,}(?![->])")
_COMMAS = re.compile(r",{2,}")
_MARK_DOT = re.compile(r"([!?])\.(?!\.)")
_DOTS = re.compile(r"\.{4,}")


def merge_marks(text: str) -> str:
    """Doubled and mixed marks to one: `--` and `....` to `...`, `,,` to `,`, `!.` to `!`."""
    # Each pattern runs only where its marks occur: `in` looks for them far faster than a
    # pattern with look-arounds steps through a long text, and most texts have none.
    if "--" in text:
        text = _DASHES.sub("...", text)
    if ",," in text:
        text = _COMMAS.sub(",", text)
    if "!." in text or "?." in text:
        text = _MARK_DOT.sub(r"\1", text)
    return _DOTS.sub("...", text) if "...." in text else text


# Formatting tags as the tags rule writes them (well-formed; `< I >` is the tags rule's job).
_OPENING = r"<(?:[ibu]|font(?:[ \t][^<>\n]*)?)>"
_CLOSING = r"</(?:[ibu]|font)>"
_PIECES = re.compile(rf"(?P<open>{_OPENING})|(?P<close>{_CLOSING})|(?P<space>[ \t\n]+)", re.IGNORECASE)
# What may stand at the start of a line before the text a viewer reads: tags of both kinds.
_LEADING_TAGS = re.compile(rf"(?:{TAG.pattern})*", re.IGNORECASE)
_TRAILING_CLOSING = re.compile(rf"(?:{_CLOSING})+$", re.IGNORECASE)


def spaces_outside_tags(text: str) -> str:
    """Move spaces and line breaks found just inside `<i> <b> <u> <font>` to just outside.

    A space inside a tag is still a space on screen, only a misplaced one: `<i> bad</i>`
    shows a leading space that line trimming cannot see, and `<i>\nText</i>` an empty
    first line. Moving it out (rather than deleting it) keeps `word<i> bad</i>` from
    gluing two words together; the usual collapsing and trimming then remove what is
    left at a line's edge. One pass over the text, however deep the tags nest."""
    if "<" not in text:
        return text
    pieces: list[tuple[str, str]] = []
    pos = 0
    for m in _PIECES.finditer(text):
        if m.start() > pos:
            pieces.append(("text", text[pos:m.start()]))
        pieces.append((m.lastgroup or "", m.group()))
        pos = m.end()
    if pos < len(text):
        pieces.append(("text", text[pos:]))
    # spaces after openings go before them; spaces before closings (the same, read
    # backwards) go after them
    pieces = _spaces_before_runs(pieces, "open")
    pieces = _spaces_before_runs(pieces[::-1], "close")[::-1]
    return "".join(piece for _, piece in pieces)


def _spaces_before_runs(pieces: list[tuple[str, str]], kind: str) -> list[tuple[str, str]]:
    """In every run of `kind` tags and spaces that starts with a tag, the spaces first."""
    out: list[tuple[str, str]] = []
    tags: list[tuple[str, str]] = []
    spaces: list[tuple[str, str]] = []
    for piece in pieces:
        if piece[0] == kind or (tags and piece[0] == "space"):
            (tags if piece[0] == kind else spaces).append(piece)
            continue
        if tags:
            out += spaces + tags
            tags, spaces = [], []
        out.append(piece)
    return out + spaces + tags


def leading_tags_end(line: str) -> int:
    """Where the visible text of a line starts, after any tags (`<i>`, `{\\an8}`) that open it."""
    return _LEADING_TAGS.match(line).end()


def trailing_tags_start(line: str) -> int:
    """Where the closing tags that end a line start (the line's length if none)."""
    m = _TRAILING_CLOSING.search(line)
    return m.start() if m else len(line)


def tidy(text: str, language: str = "en") -> str:
    """Clean up after a removal: collapse spaces, no space before punctuation left behind,
    no stray comma at a line start, no space just inside a tag, trim lines, drop empty
    lines, merge doubled marks."""
    text = spaces_outside_tags(text)
    text = LEADING_PUNCT.sub(r"\1\n", text)
    text = _SPACES.sub(" ", text)
    pattern, pairs = (SPACE_BEFORE_LOW, _LOW_PAIRS) if spaced_high(language) else (SPACE_BEFORE_ALL, _ALL_PAIRS)
    if any(pair in text for pair in pairs):
        text = pattern.sub(r"\1", text)
    lines = []
    for line in text.split("\n"):
        line = _LONE_PUNCT.sub("", line).strip()
        if line:
            lines.append(line)
    # a removal can bring marks together: "so... um. the" must not leave "so.... the"
    return merge_marks("\n".join(lines))


def lower_letter_at(text: str, start: int = 0) -> int:
    """Where the first letter at or after `start` is, if it is lower-case (else -1),
    skipping tags, spaces and opening punctuation; stop at anything else (a digit, a
    letter already upper-case)."""
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "<" or (ch == "{" and text.startswith("{\\", i)):
            close = text.find(">" if ch == "<" else "}", i)
            if close == -1:
                return -1
            i = close + 1
            continue
        if ch.isspace() or ch in "-\"'\u2018\u201c\u201e\u00ab([\u00bf\u00a1\u266a\u266b*":
            i += 1
            continue
        return i if ch.islower() else -1
    return -1


def upper_first_letter(text: str, start: int = 0) -> str:
    """Upper-case the first letter at or after `start` (see lower_letter_at)."""
    i = lower_letter_at(text, start)
    return text if i < 0 else text[:i] + text[i].upper() + text[i + 1:]


# Letters Python's case-insensitive matching takes as equal although their lower cases
# differ: folded to one, so that a word's key is the same whichever of them it is written
# with. (The capital dotted I lowers to two characters; it is folded first.)
_DOTTED = str.maketrans({"\u0130": "i"})
_SAME = str.maketrans({
    "\u0131": "i", "\u017f": "s", "\u03c2": "\u03c3", "\u00b5": "\u03bc", "\u03d0": "\u03b2",
    "\u03f5": "\u03b5", "\u03d1": "\u03b8", "\u03f0": "\u03ba", "\u03d6": "\u03c0", "\u03f1": "\u03c1",
    "\u03d5": "\u03c6", "\u1fbe": "\u03b9", "\u0345": "\u03b9", "\u1e9b": "\u1e61", "\ufb05": "\ufb06",
    "\u1c80": "\u0432", "\u1c81": "\u0434", "\u1c82": "\u043e", "\u1c83": "\u0441", "\u1c84": "\u0442",
    "\u1c85": "\u0442", "\u1c86": "\u044a", "\u1c87": "\u0463", "\u1c88": "\ua64b",
    "\u1fd3": "\u0390", "\u1fe3": "\u03b0",
})


_RARE = re.compile("[" + "".join(chr(c) for c in _SAME) + "]")


def fold(text: str) -> str:
    """Lower case as case-insensitive matching sees it; same length as `text`. (A table
    translation is slow: it runs only on text that holds one of the rare letters.)"""
    if "\u0130" in text:
        text = text.translate(_DOTTED)
    text = text.lower()
    return text.translate(_SAME) if not text.isascii() and _RARE.search(text) else text
