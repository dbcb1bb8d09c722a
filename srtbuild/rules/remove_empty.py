"""remove_empty: cues with nothing left to read are removed."""

from __future__ import annotations

from srtbuild.rules.base import Context
from srtbuild.rules.text import visible
from srtbuild.subtitles.model import Cue

NAME = "remove_empty"
DOC = "Cues with no visible text (empty, only spaces, only tags) are removed."
OPTIONS = ()


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    kept = []
    for cue in cues:
        if cue.text and visible(cue.text).strip():
            kept.append(cue)
        else:
            ctx.changes.record(NAME, cue.line)
    return kept
