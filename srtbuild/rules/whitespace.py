"""whitespace: collapse runs of spaces, trim lines, no space before punctuation, no empty lines."""

from __future__ import annotations

import re

from srtbuild.rules.base import Context, fix_texts
from srtbuild.rules.text import (
    LEADING_PUNCT,
    SPACE_BEFORE_ALL,
    SPACE_BEFORE_LOW,
    spaced_high,
)
from srtbuild.subtitles.model import Cue

NAME = "whitespace"
DOC = "Runs of spaces collapsed, lines trimmed, no space before , . ! ? ; : (French keeps its space before ; : ! ?), empty lines inside a cue removed."
OPTIONS = ()


_RUNS = re.compile(r"[ \t\u3000]*\t[ \t]*|[ \t]{2,}")
_MARKS = ",.!?;:"


def _needs(text: str) -> bool:
    """Plain substring tests: far cheaper than a regex on the many cues that are clean."""
    return (
        "  " in text or "\t" in text or " \n" in text or "\n " in text or "\n\n" in text
        or text[0] == " " or text[-1] == " "
        or any(" " + m in text or "\n" + m in text for m in _MARKS)
    )


def _fix(text: str, pattern: re.Pattern) -> str:
    text = LEADING_PUNCT.sub(r"\1\n", text)
    text = _RUNS.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(line for line in lines if line)
    return pattern.sub(r"\1", text)


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    # `.` only when it ends a word: ` .5`, `.NET` and a spaced ellipsis ` ...` stay.
    pattern = SPACE_BEFORE_LOW if spaced_high(ctx.language) else SPACE_BEFORE_ALL
    return fix_texts(cues, NAME, ctx, lambda t: _fix(t, pattern), quick=_needs, options=options)
