"""whitespace: collapse runs of spaces, trim lines, no space before punctuation, no empty lines."""

from __future__ import annotations

import re

from srtbuild.rules.base import Context, fix_texts
from srtbuild.rules.text import SPACE_BEFORE_LOW
from srtbuild.subtitles.model import Cue

NAME = "whitespace"
DOC = "Runs of spaces collapsed, lines trimmed, no space before , . ! ? ; : (French keeps its space before ; : ! ?), empty lines inside a cue removed."
OPTIONS = ()

# Languages whose typography puts a (thin) space before high punctuation.
SPACED_HIGH_PUNCTUATION = {"fr"}

_RUNS = re.compile(r"[ \t\u3000]*\t[ \t]*|[ \t]{2,}")
# `.` only when it ends a word: ` .5`, `.NET` and a spaced ellipsis ` ...` stay.
_BEFORE_ALL = re.compile(r"(?<=[^\s-])[ \t]+([,!?;:](?!\d)|\.(?![\w.]))")
_BEFORE_LOW = SPACE_BEFORE_LOW
_MARKS = ",.!?;:"


def _needs(text: str) -> bool:
    """Plain substring tests: far cheaper than a regex on the many cues that are clean."""
    return (
        "  " in text or "\t" in text or " \n" in text or "\n " in text or "\n\n" in text
        or text[0] == " " or text[-1] == " "
        or any(" " + m in text or "\n" + m in text for m in _MARKS)
    )


# Punctuation that starts a line belongs at the end of the line before it.
_LEADING_PUNCT = re.compile(r"\n[ \t]*([,.;:!?]+)(?=[ \t\n]|$)")


def _fix(text: str, pattern: re.Pattern) -> str:
    text = _LEADING_PUNCT.sub(r"\1\n", text)
    text = _RUNS.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(line for line in lines if line)
    return pattern.sub(r"\1", text)


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    lang = ctx.language.split("-")[0].lower()
    pattern = _BEFORE_LOW if lang in SPACED_HIGH_PUNCTUATION else _BEFORE_ALL
    return fix_texts(cues, NAME, ctx, lambda t: _fix(t, pattern), quick=_needs)
