"""Bytes to text: BOMs, UTF-8, a configured encoding, then a guess for legacy files."""

from __future__ import annotations

import codecs
from typing import NamedTuple

from srtbuild.errors import SubtitleError
from srtbuild.subtitles.codepages import guess
from srtbuild.subtitles.model import Finding

# UTF-32 must be tested before UTF-16: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class Decoded(NamedTuple):
    """The text and how it was found: `confidence` (0..1) is 1 for what the bytes prove
    (a BOM, valid UTF-8) or the settings say, less for a guessed code page; `language`
    is the language the guessed page's reading fitted best, a hint for `language: auto`."""

    text: str
    encoding: str
    had_bom: bool
    warnings: list[Finding]
    confidence: float = 1.0
    language: str | None = None


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _guess_bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NULs on every other byte of ASCII text."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def decode(data: bytes, path: str, configured: str | None = None, language: str | None = None) -> Decoded:
    """Decode `data` or raise SubtitleError.

    Order of trust: a BOM, then strict UTF-8 (the overwhelmingly common case, and cheap),
    then the encoding the user configured, then the legacy code page whose reading is the
    most plausible text (srtbuild.subtitles.codepages), with `language` as a prior. The
    guess comes last because short files can fool it; its page and confidence are
    reported.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom):].decode(name), name, True, [])
            except UnicodeDecodeError as exc:
                line = _line_of_offset(data, exc.start + len(bom))
                raise SubtitleError(f"invalid {name} data after a {name} byte-order mark", path, line) from None
    # ASCII text in UTF-16 without a BOM is valid UTF-8 too (NUL is a UTF-8 character), so
    # NULs interleaved with text are looked at before UTF-8 is tried.
    utf16 = _guess_bomless_utf16(data) if b"\x00" in data[:4096] else None
    if utf16:
        odd = len(data) % 2  # a file cut short by one byte: drop it, say so
        try:
            text = data[:len(data) - odd].decode(utf16)
            notes = [Finding(1, "reader", f"no byte-order mark; decoded as {utf16} (detected)")]
            if odd:
                notes.append(Finding(text.count("\n") + 1, "reader", "odd last byte of UTF-16 text dropped"))
            return Decoded(text, utf16, False, notes)
        except UnicodeDecodeError:
            pass
    try:
        return Decoded(data.decode("utf-8"), "utf-8", False, [])
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if configured:
        try:
            return Decoded(data.decode(configured), configured, False, [])
        except UnicodeDecodeError as exc:
            line = _line_of_offset(data, exc.start)
            raise SubtitleError(f"cannot decode as the configured encoding {configured!r}", path, line) from None
        except LookupError:
            raise SubtitleError(f"unknown encoding {configured!r} in the settings", path) from None
    nul = data.find(b"\x00")
    if nul != -1:
        raise SubtitleError("binary data (NUL byte), not a subtitle file", path, _line_of_offset(data, nul))
    line = _line_of_offset(data, first_bad)
    found = guess(data, language)
    if found is None:
        raise SubtitleError("not UTF-8 and no known encoding fits; set `encoding:` in srtbuild.yaml", path, line)
    why = f"not UTF-8; decoded as {found.encoding} (guessed from the text, confidence {found.confidence:.2f})"
    return Decoded(found.text, found.encoding, False, [Finding(line, "reader", why)], found.confidence, found.language)
