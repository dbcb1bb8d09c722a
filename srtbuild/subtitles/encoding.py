"""Bytes to text: BOMs, UTF-8, a configured encoding, then detection for legacy files."""

from __future__ import annotations

import codecs
import unicodedata

from srtbuild.errors import SubtitleError
from srtbuild.languages import primary
from srtbuild.subtitles.model import Finding

# UTF-32 must be tested before UTF-16: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


# The legacy code page most files of a language were saved in. Detection on short files
# is a guess among many close code pages; the language setting is a better first guess.
LEGACY_BY_LANGUAGE = {
    **dict.fromkeys("en fr de es it pt nl da sv no nb nn fi is ga ca eu gl id ms sw af".split(), "cp1252"),
    **dict.fromkeys("ru uk bg sr mk be".split(), "cp1251"),
    **dict.fromkeys("pl cs sk hu sl hr ro bs sq".split(), "cp1250"),
    "el": "cp1253", "tr": "cp1254", "he": "cp1255", "ar": "cp1256", "fa": "cp1256", "ur": "cp1256",
    "et": "cp1257", "lv": "cp1257", "lt": "cp1257", "vi": "cp1258", "th": "cp874",
    "zh": "gb18030", "ja": "cp932", "ko": "cp949",
}


# Single-byte code pages of one non-Latin script: their letters must be that script's.
_SCRIPT_OF = {"cp1251": "CYRILLIC", "cp1253": "GREEK", "cp1255": "HEBREW", "cp1256": "ARABIC", "cp874": "THAI"}
_LATIN_PAGES = frozenset({"cp1250", "cp1252", "cp1254", "cp1257", "cp1258"})


def _plausible(text: str, codepage: str) -> bool:
    """Does `text` read as the language it was decoded for? Almost any bytes decode in a
    single-byte code page, so a strict decode proves little: Chinese in GB2312 decodes as
    cp1252 into a run of accented capitals and symbols. In Latin-script text most
    characters are ASCII letters; in Cyrillic (Greek...) text the other letters are of
    that script."""
    sample = text[:65536]
    beyond = [c for c in sample if ord(c) > 127]
    if not beyond:
        return True
    if codepage in _LATIN_PAGES:
        ascii_letters = sum(1 for c in sample if c.isascii() and c.isalpha())
        return len(beyond) <= 0.4 * (len(beyond) + ascii_letters)
    other = [c for c in beyond if c.isalpha()]
    script = _SCRIPT_OF.get(codepage)
    if script:
        return sum(1 for c in other if script in unicodedata.name(c, "")) >= 0.9 * len(other)
    return True  # multi-byte code pages: a strict decode is evidence enough


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


def decode(
    data: bytes, path: str, configured: str | None = None, language: str | None = None
) -> tuple[str, str, bool, list[Finding]]:
    """Return (text, encoding name, had BOM, warnings) or raise SubtitleError.

    Order of trust: a BOM, then strict UTF-8 (the overwhelmingly common case, and cheap),
    then the encoding the user configured, then charset-normalizer's detection. Detection
    is last because it is slow and can be wrong on short files; its guess is reported.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(name), name, True, []
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
            return text, utf16, False, notes
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8", False, []
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if configured:
        try:
            return data.decode(configured), configured, False, []
        except UnicodeDecodeError as exc:
            line = _line_of_offset(data, exc.start)
            raise SubtitleError(f"cannot decode as the configured encoding {configured!r}", path, line) from None
        except LookupError:
            raise SubtitleError(f"unknown encoding {configured!r} in the settings", path) from None
    nul = data.find(b"\x00")
    if nul != -1:
        raise SubtitleError("binary data (NUL byte), not a subtitle file", path, _line_of_offset(data, nul))
    line = _line_of_offset(data, first_bad)
    preferred = LEGACY_BY_LANGUAGE.get(primary(language or ""))
    if preferred:
        # The language's own code page, taken whenever every byte means something in it.
        # Detection weighs guesses between near-identical code pages on a few hundred
        # bytes of text, and on real files picked Greek or Baltic for French and English;
        # the setting is the better evidence.
        try:
            text = data.decode(preferred)
        except UnicodeDecodeError:
            text = None
        if text is not None and _plausible(text, preferred):
            why = f"not UTF-8; decoded as {preferred} (the usual legacy encoding for language {language})"
            return text, preferred, False, [Finding(line, "reader", why)]
    # Imported late: only the files no other rule reads pay for it.
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise SubtitleError("not UTF-8 and no known encoding fits; set `encoding:` in srtbuild.yaml", path, line)
    text = str(best)
    return text, best.encoding, False, [
        Finding(line, "reader", f"not UTF-8; decoded as {best.encoding} (detected)")
    ]
