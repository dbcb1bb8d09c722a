"""normalize: Unicode NFC, NBSP to space, invisible characters removed, mojibake repaired."""

from __future__ import annotations

import re
import unicodedata

from srtbuild.rules.base import Context, Option, fix_texts
from srtbuild.subtitles.model import Cue

NAME = "normalize"
DOC = "Unicode NFC, no-break spaces to spaces, zero-width characters and stray BOMs removed, UTF-8-read-as-cp1252 mojibake repaired."
OPTIONS = (Option("mojibake", "bool", True, "repair UTF-8 text that was decoded as cp1252 (`Ã©` -> `é`)"),)

# Zero-width space, word joiner and BOM carry no meaning in subtitles. ZWJ and ZWNJ are
# kept on purpose: Persian, Indic scripts and emoji sequences need them.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")


def _cp1252_byte(ch: str) -> int | None:
    try:
        return ch.encode("cp1252")[0]
    except UnicodeEncodeError:
        code = ord(ch)
        return code if 0x80 <= code <= 0x9F else None  # cp1252's undefined slots


def _continuation_class() -> str:
    # cp1252 maps each byte to one character (its five undefined slots map to themselves
    # here), so the characters that stand for bytes 0x80-0xBF are found by decoding them.
    chars = []
    for byte in range(0x80, 0xC0):
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    return "[" + "".join(re.escape(ch) for ch in chars) + "]"


_CONT = _continuation_class()
# A UTF-8 lead byte shown as a cp1252 character, then exactly its continuation bytes.
_MOJIBAKE = re.compile(f"[\u00c2-\u00df]{_CONT}|[\u00e0-\u00ef]{_CONT}{{2}}|[\u00f0-\u00f4]{_CONT}{{3}}")


def _unmangle(match: re.Match) -> str:
    raw = bytes(_cp1252_byte(ch) or 0 for ch in match.group())
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return match.group()


def _fix(text: str, mojibake: bool) -> str:
    if mojibake:
        text = _MOJIBAKE.sub(_unmangle, text)
    text = text.replace("\u00a0", " ")
    text = _INVISIBLE.sub("", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


_NON_ASCII = re.compile("[^\x00-\x7f]")


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    mojibake = options["mojibake"]
    return fix_texts(cues, NAME, ctx, lambda t: _fix(t, mojibake), quick=lambda t: not t.isascii(), options=options,
                     scan=_NON_ASCII)
