"""Bytes to text: BOMs, UTF-8, a configured encoding, then detection for legacy files."""

from __future__ import annotations

import codecs

from srtbuild.errors import SubtitleError
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
        try:
            text = data.decode(utf16)
            return text, utf16, False, [Finding(1, "reader", f"no byte-order mark; decoded as {utf16} (detected)")]
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
    from charset_normalizer import (
        from_bytes,  # imported late: only legacy files pay for it
    )

    line = _line_of_offset(data, first_bad)
    preferred = LEGACY_BY_LANGUAGE.get((language or "").split("-")[0].lower())
    if preferred:
        fit = from_bytes(data, cp_isolation=[preferred]).best()
        if fit is not None:
            why = f"not UTF-8; decoded as {preferred} (the usual legacy encoding for language {language})"
            return str(fit), preferred, False, [Finding(line, "reader", why)]
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise SubtitleError("not UTF-8 and no known encoding fits; set `encoding:` in srtbuild.yaml", path, line)
    text = str(best)
    return text, best.encoding, False, [
        Finding(line, "reader", f"not UTF-8; decoded as {best.encoding} (detected)")
    ]
