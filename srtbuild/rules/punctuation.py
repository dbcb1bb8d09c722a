"""punctuation: missing spaces after sentence punctuation, doubled and mixed marks."""

from __future__ import annotations

import re

from srtbuild.rules.base import Context, Option, fix_texts
from srtbuild.subtitles.model import Cue

NAME = "punctuation"
DOC = "A missing space after . ! ? , before a letter added (not in URLs, decimals, abbreviations like e.g.); ,, to , ; !. and ?. to ! and ?; .... to ... ; -- to ... ."
OPTIONS = ()

_DASHES = re.compile(r"(?<![-<!])-{2,}(?![->])")
_COMMAS = re.compile(r",{2,}")
_MARK_DOT = re.compile(r"([!?])\.(?!\.)")
_DOTS = re.compile(r"\.{4,}")
# punctuation glued to the next letter, with a letter or digit before it
_GLUED = re.compile(r"(?<=[^\W_])(\.\.\.|[.!?,])(?=[^\W\d_])")
_NEEDS = re.compile(r"--|,,|[!?]\.|\.\.\.\.|[^\W_][.!?,][^\W\d_]")
_URLISH = ("://", "www.", "@")


def _token_around(text: str, pos: int) -> str:
    start = max(text.rfind(" ", 0, pos), text.rfind("\n", 0, pos)) + 1
    ends = [i for i in (text.find(" ", pos), text.find("\n", pos)) if i != -1]
    return text[start:min(ends) if ends else len(text)]


def _space(match: re.Match) -> str:
    mark = match.group(1)
    text = match.string
    pos = match.start(1)
    token = _token_around(text, pos)
    if any(u in token for u in _URLISH):
        return mark
    if mark == ".":
        nxt = text[match.end(1)]
        before = text[pos - 2] if pos >= 2 else " "
        # A lower-case letter after a dot is a domain, a file name or an abbreviation
        # (`model.py`, `e.g.`); `X.Y.` is an abbreviation and a lone letter an initial.
        if not nxt.isupper() or before == "." or not text[pos - 1].isalpha() or not before.isalnum():
            return mark
    return mark + " "


def _fix(text: str) -> str:
    text = _DASHES.sub("...", text)
    text = _COMMAS.sub(",", text)
    text = _MARK_DOT.sub(r"\1", text)
    text = _DOTS.sub("...", text)
    return _GLUED.sub(_space, text)


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    return fix_texts(cues, NAME, ctx, _fix, quick=_NEEDS.search)
