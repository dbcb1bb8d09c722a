"""Text helpers shared by several rules: tags, visible text, tidying after removals."""

from __future__ import annotations

import re

# HTML-like tags and ASS override blocks; neither is visible text nor a place to break.
# Only the tag names players know: `<across lines>` in a cue is text, not a tag.
TAG = re.compile(r"</?(?:i|b|u|s|font|c|v|ruby|rt|span|lang)(?:[ .][^<>\n]*)?>|\{\\[^{}\n]*\}", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")
# A space before a comma, or before a period that ends a word (not `.5`, `.NET`, ` ...`).
SPACE_BEFORE_LOW = re.compile(r"(?<=[^\s-])[ \t]+(,(?!\d)|\.(?![\w.]))")
_LONE_PUNCT = re.compile(r"^[\s,;:]+")


def visible(text: str) -> str:
    """The text a viewer reads: tags removed."""
    if "<" not in text and "{" not in text:
        return text
    return TAG.sub("", text)


def has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in visible(text))


def tidy(text: str) -> str:
    """Clean up after a removal: collapse spaces, no space before punctuation left behind,
    no stray comma at a line start, trim lines, drop empty lines."""
    text = _SPACES.sub(" ", text)
    text = SPACE_BEFORE_LOW.sub(r"\1", text)
    lines = []
    for line in text.split("\n"):
        line = _LONE_PUNCT.sub("", line).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def upper_first_letter(text: str, start: int = 0) -> str:
    """Upper-case the first letter at or after `start`, skipping tags, spaces and
    opening punctuation; stop at anything else (a digit, a letter already upper-case)."""
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "<" or (ch == "{" and text.startswith("{\\", i)):
            close = text.find(">" if ch == "<" else "}", i)
            if close == -1:
                return text
            i = close + 1
            continue
        if ch.isspace() or ch in "-\"'\u2018\u201c\u00ab([\u00bf\u00a1\u266a*":
            i += 1
            continue
        if ch.islower():
            return text[:i] + ch.upper() + text[i + 1:]
        return text
    return text
