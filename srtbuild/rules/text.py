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


def spaced_high(language: str) -> bool:
    return language.split("-")[0].lower() in SPACED_HIGH_PUNCTUATION


_DASHES = re.compile(r"(?<![-<!])-{2,}(?![->])")
_COMMAS = re.compile(r",{2,}")
_MARK_DOT = re.compile(r"([!?])\.(?!\.)")
_DOTS = re.compile(r"\.{4,}")


def merge_marks(text: str) -> str:
    """Doubled and mixed marks to one: `--` and `....` to `...`, `,,` to `,`, `!.` to `!`."""
    text = _DASHES.sub("...", text)
    text = _COMMAS.sub(",", text)
    text = _MARK_DOT.sub(r"\1", text)
    return _DOTS.sub("...", text)


def tidy(text: str, language: str = "en") -> str:
    """Clean up after a removal: collapse spaces, no space before punctuation left behind,
    no stray comma at a line start, trim lines, drop empty lines, merge doubled marks."""
    text = LEADING_PUNCT.sub(r"\1\n", text)
    text = _SPACES.sub(" ", text)
    text = (SPACE_BEFORE_LOW if spaced_high(language) else SPACE_BEFORE_ALL).sub(r"\1", text)
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
        if ch.isspace() or ch in "-\"'\u2018\u201c\u00ab([\u00bf\u00a1\u266a*":
            i += 1
            continue
        return i if ch.islower() else -1
    return -1


def upper_first_letter(text: str, start: int = 0) -> str:
    """Upper-case the first letter at or after `start` (see lower_letter_at)."""
    i = lower_letter_at(text, start)
    return text if i < 0 else text[:i] + text[i].upper() + text[i + 1:]
