"""Canonical SRT out: renumbered from 1, `HH:MM:SS,mmm`, one blank line between cues."""

from __future__ import annotations

from srtbuild.subtitles.model import Cue
from srtbuild.subtitles.timestamps import format_ms


def _stamp(ms: int) -> str:
    return format_ms(ms if ms > 0 else 0)


def compose(cues: list[Cue], crlf: bool = False) -> str:
    """Cues -> canonical SRT text with one final newline.

    An empty text still gets its blank separator, so the result always reads back to the
    same cues. Text lines are written as they are; rules own their content.
    """
    parts: list[str] = []
    append = parts.append
    for number, cue in enumerate(cues, 1):
        append(f"{number}\n{_stamp(cue.start)} --> {_stamp(cue.end)}\n{cue.text}\n\n" if cue.text
               else f"{number}\n{_stamp(cue.start)} --> {_stamp(cue.end)}\n\n")
    text = "".join(parts)
    if text.endswith("\n\n"):
        text = text[:-1]
    return text.replace("\n", "\r\n") if crlf else text


def encode(text: str, bom: bool = False) -> bytes:
    """Subtitles are always written as UTF-8, optionally with a BOM for old players."""
    data = text.encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data
