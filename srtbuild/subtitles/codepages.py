"""Which legacy code page a file that is not UTF-8 was saved in.

Almost any bytes decode in a single-byte code page, so a strict decode proves little: the
question is which reading is text a person wrote. Every candidate page reads a sample of
the file's words that hold non-ASCII bytes, and each reading is scored by what real text
looks like:

- its characters are letters of a language the page serves (`¿dónde`, not `żdónde`),
  counted for the best single language and for all the page's languages together, and
  common punctuation; not odd symbols (`¤`, `×`, box drawing) nor control characters;
- nothing but apostrophes and hyphens inside a word (`Ã©t`), no word in two scripts, no
  capital after a small letter (`пРИВЕТ`), three accented Latin letters in a row (`ÚáÇÁ`),
  no spelling the script or the language never has (a Thai vowel sign with no consonant,
  two accents in a Greek word, Polish `ń` before a vowel, Italian `è` inside a word);
- the language's frequent letter pairs (`ст`, `το`) and, for Chinese, characters;
- a line is in one script: ASCII words around another script's letters say the text
  is Latin;
- pages that subtitle files seldom come in (the ISO pages beyond Latin-1) need a clearly
  better reading to win.

The configured language is a prior, not a verdict: its script's pages and its usual ones
get a small lead that settles near-ties (and so does the language the file's ASCII words
clearly are). The character counts give each reading a bound
(the context checks only take away), so the regular expressions run on the few readings
that can still win: a few milliseconds whatever the file's size.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from srtbuild.languages import (
    AUTO,
    CJK,
    COMMON_HAN,
    FALLBACK,
    MISSPELT,
    PROFILES,
    Profile,
    primary,
    script_of,
    words_language,
)

# Every candidate, in the order that breaks ties: the Windows pages most legacy subtitles
# were saved in, the CJK pages, then the DOS, KOI8 and ISO pages.
CANDIDATES = (
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "cp1255", "cp1256", "cp1258", "cp874",
    "gb18030", "big5", "cp949", "cp932", "euc_jp",
    "koi8_r", "koi8_u", "cp866",
    "iso8859_1", "iso8859_15", "iso8859_2", "iso8859_16", "iso8859_5", "iso8859_7", "iso8859_9",
    "iso8859_13", "iso8859_4", "iso8859_10", "iso8859_3", "iso8859_14", "iso8859_6", "iso8859_8", "iso8859_11",
)
MULTI_BYTE = frozenset({"gb18030", "big5", "cp949", "cp932", "euc_jp"})
# How seldom subtitle files come in a page, as a handicap.
RARITY = {
    **dict.fromkeys(("koi8_r", "iso8859_1", "iso8859_15", "iso8859_2", "iso8859_7", "iso8859_9", "euc_jp"), 0.05),
    **dict.fromkeys(("koi8_u", "cp866", "iso8859_5", "iso8859_6", "iso8859_8", "iso8859_11", "iso8859_13",
                     "iso8859_16"), 0.1),
    **dict.fromkeys(("iso8859_3", "iso8859_4", "iso8859_10", "iso8859_14"), 0.2),
}
LANGUAGES_OF = {page: tuple(p for code, p in PROFILES.items() if page in p.pages and code not in ("nb", "nn"))
                for page in CANDIDATES}
SCRIPT_OF_PAGE = {page: langs[0].script for page, langs in LANGUAGES_OF.items()}

SAMPLE_BYTES = 3000  # of words: hundreds of them

# Punctuation and signs subtitles use beyond ASCII. Other symbols (¤ ¦ ¬ × ÷, box
# drawing...) are what a wrong page makes of letters.
_PUNCTUATION = frozenset("\u00a0’‘‚“”„«»‹›–—―…•·¿¡°€£¥¢§©®™†‡‰′″ºª₪₫฿µ¹²³¼½¾\u200e\u200f")
# Accented letters most Latin-script languages borrow (café, naïve, señor, Müller).
_LOAN = frozenset("àáâäçèéêëíîïñóôöúûüÀÁÂÄÇÈÉÊËÍÎÏÑÓÔÖÚÛÜ")

LETTER, MARK, PUNCT, SYMBOL, CONTROL = range(5)


@lru_cache(maxsize=8192)
def _kind(ch: str) -> int:
    cat = unicodedata.category(ch)
    if ch in _PUNCTUATION or cat == "Sc":
        return PUNCT
    if cat[0] == "L":
        if 0xFF66 <= ord(ch) <= 0xFF9F:
            return SYMBOL  # half-width katakana: what Shift-JIS makes of single bytes
        return LETTER if script_of(ch) else SYMBOL
    if cat in ("Mn", "Mc"):
        return MARK
    if cat in ("Cc", "Cn", "Co", "Cs") or ch == "\ufffd":
        return CONTROL
    if cat == "Nd" or (cat[0] == "P" and ord(ch) >= 0x0590 and not 0x2000 <= ord(ch) < 0x3000):
        return PUNCT  # digits of a script; the punctuation of Hebrew, Arabic, Thai, CJK
    return SYMBOL


def _frequent_han(ch: str) -> bool:
    """In the first, frequent level of GB2312 (3,755 characters) or of Big5 (5,401): the
    bytes of another page read as Chinese land in the rare ones as often."""
    try:
        if 0xB0 <= ch.encode("gb2312")[0] <= 0xD7:
            return True
    except UnicodeEncodeError:
        pass
    try:
        return 0xA4 <= ch.encode("big5")[0] <= 0xC6
    except UnicodeEncodeError:
        return False


def _uncommon_hangul(ch: str) -> bool:
    """A syllable outside the 2,350 of KS X 1001: cp949 has the rest for completeness, and
    the bytes of another page read as Korean land there often."""
    try:
        return len(ch.encode("euc_kr")) != 2  # the others take 8 bytes, as jamo
    except UnicodeEncodeError:
        return True


@lru_cache(maxsize=65536)
def _points(ch: str, code: str) -> float:
    """How well one character fits a language: 1 for its letters, 0.5 for punctuation
    and borrowed letters, 0 for other letters of its script, less for the rest."""
    kind = _kind(ch)
    if kind == PUNCT:
        return 0.5
    if kind == SYMBOL:
        return -3.0
    if kind == CONTROL:
        return -4.0
    profile = PROFILES[code]
    if ch in profile.letters:
        return 1.0
    if kind == MARK:
        return -1.0
    script = script_of(ch)
    if script == "Han" and profile.script in CJK:
        # Chinese and Japanese text is full of the common characters; another page's
        # bytes read as Han are mostly rare ones. Korean uses few Han characters.
        if profile.script == "Hangul":
            return 0.3
        return 1.0 if ch in COMMON_HAN else 0.8 if _frequent_han(ch) else 0.4
    if script == profile.script:
        if script == "Hangul":
            return 0.3 if _uncommon_hangul(ch) else 1.0
        return 1.0 if script in CJK else 0.5 if ch in _LOAN else 0.0
    if script == "Kana" and profile.script == "Han":
        return 0.0  # GB2312 has kana; Chinese text seldom uses them
    return -1.0


@lru_cache(maxsize=65536)
def _page_points(ch: str, page: str) -> tuple[float, ...]:
    """`_points` for each language of `page`, then the best of them (the union)."""
    points = [_points(ch, p.code) for p in LANGUAGES_OF[page]]
    return (*points, max(points))


def _class(pred) -> str:
    ranges = (range(0xC0, 0x250), range(0x370, 0x530), range(0x1E00, 0x1F00))
    chars = "".join(chr(c) for r in ranges for c in r if pred(chr(c)))
    return "".join("\\" + ch if ch in "\\]^-" else ch for ch in chars)


_LOWER, _UPPER = _class(str.islower), _class(str.isupper)
# A capital right after a small letter, one of them not ASCII.
_CASE_FLIP = re.compile(f"[a-z{_LOWER}](?=[{_UPPER}])|[{_LOWER}](?=[A-Z])")
# A symbol between two letters. Apostrophes, hyphens, the Catalan middle dot, marks, and
# the punctuation of scripts written without spaces may stand there.
_INNER = re.compile(
    r"(?<=[^\W\d_])[^\w\s\x00-\x7f’ʼ·\u0300-\u036f\u0591-\u05c7\u05f3\u05f4\u064b-\u065f\u0670"
    r"\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u2010\u2011\u3000-\u303f\uff00-\uff65](?=[^\W\d_])")
_SCRIPT_CLASSES = {
    "Latin": "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff",
    "Greek": "\u0386-\u03ce\u1f00-\u1ffc",
    "Cyrillic": "\u0400-\u0481\u048a-\u052f",
    "Hebrew": "\u05d0-\u05ea\u05f0-\u05f2",
    "Arabic": "\u0620-\u064a\u066e-\u06d3",
    "Thai": "\u0e01-\u0e30\u0e32\u0e33\u0e40-\u0e46",
}
_CJK_CLASS = "\u3041-\u30ff\u3400-\u9fff\uac00-\ud7a3\uf900-\ufaff"
_ALL_SCRIPTS = "".join(_SCRIPT_CLASSES.values()) + _CJK_CLASS
# Per script: one of its letters next to a letter of another script.
def _mixed(cls: str) -> re.Pattern:
    others = _ALL_SCRIPTS.replace(cls, "")
    return re.compile(f"(?<=[{cls}])[{others}]|(?<=[{others}])[{cls}]")


_MIXED = {name: _mixed(cls) for name, cls in {**_SCRIPT_CLASSES, "CJK": _CJK_CLASS}.items()}
# Spelling no language of the script has: a combining mark or Thai vowel sign with no
# letter before it, a Thai vowel written before its consonant with none after it, a Hebrew
# final letter or a Greek final sigma inside a word, a Greek word with two accents, and
# the Arabic below. (Each language's own rules are languages.MISSPELT.)
_MARKS = "\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0670"
_THAI_CONSONANT, _THAI_ABOVE, _THAI_TONE = "\u0e01-\u0e2e", "\u0e31\u0e34-\u0e3a", "\u0e47-\u0e4e"
_GREEK_ACCENTED = "\u0390\u03ac-\u03af\u03b0\u03cc-\u03ce"
_SCRIPT_MISSPELT = re.compile(
    f"(?<![\\w{_MARKS}])[{_MARKS}]"
    # Thai: a vowel above or below its consonant, a tone mark on a consonant or such a
    # vowel, a vowel after one of those; a vowel written before its consonant.
    f"|(?<![{_THAI_CONSONANT}])[{_THAI_ABOVE}]|(?<![{_THAI_CONSONANT}{_THAI_ABOVE}])[{_THAI_TONE}]"
    f"|(?<![{_THAI_CONSONANT}{_THAI_ABOVE}{_THAI_TONE}])[\u0e32\u0e33]"
    f"|(?<![{_THAI_CONSONANT}{_THAI_ABOVE}{_THAI_TONE}\u0e32])\u0e30|[\u0e40-\u0e44](?![{_THAI_CONSONANT}])"
    f"|[\u05da\u05dd\u05df\u05e3\u05e5](?=[\u05d0-\u05ea])|\u03c2(?=[\u03ac-\u03ce])"
    # Arabic: ta marbuta and alef maksura end a word, the tatweel stands between letters.
    f"|[\u0629\u0649](?=[\u0620-\u064a])|(?<![\u0620-\u064a])\u0640|\u0640(?![\u0620-\u064a])"
    f"|[{_GREEK_ACCENTED}][\u03b1-\u03c9]*[{_GREEK_ACCENTED}]")


@lru_cache(maxsize=8192)
def _spelt(ch: str) -> bool:
    """Is `ch` a character the script spelling rules above are about?"""
    return _kind(ch) == MARK or any(lo <= ord(ch) <= hi for lo, hi in ((0x0370, 0x03FF), (0x0590, 0x06FF),
                                                                     (0x0E00, 0x0E7F)))


# Three accented Latin letters in a row: no Latin-script language spells so (`ÚáÇÁ` is
# Arabic, `ËýÓ` Chinese, read in a Western page).
_ACCENTED_RUN = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]{3,}")
_ASCII_LETTERS = bytes(range(0x41, 0x5B)) + bytes(range(0x61, 0x7B))
_LOW = bytes(range(0x80))


@dataclass(frozen=True)
class Guess:
    """The page chosen, its text, how sure the choice is (0..1), and the language its
    reading fitted best (a hint for `language: auto`)."""

    encoding: str
    text: str
    confidence: float
    language: str | None


@dataclass
class Reading:
    """One page's reading of the sample: `bound` from its characters alone, `score`
    once the context checks have run (None until then)."""

    page: str
    text: str
    counts: dict[str, int]
    bound: float
    language: str | None
    singles: dict[str, float]
    score: float | None = None


def sample(data: bytes, size: int = SAMPLE_BYTES) -> tuple[bytes, int]:
    """The words holding non-ASCII bytes (about `size` bytes of them) of distinct lines
    spread over the file, and the number of ASCII letters on those lines.

    Whole words, for context: whether a character is a letter inside a word, a symbol,
    or one script glued to another shows only there. No multi-byte character of any
    candidate holds a space or newline byte, so the words decode on their own."""
    lines = list(dict.fromkeys(line.strip() for line in data.splitlines() if not line.isascii()))
    joined = b"\n".join(lines)
    words = [w for w in joined.split() if not w.isascii()]
    total = len(b" ".join(words))
    if total > size:
        step = total / size
        lines = [lines[int(i * step)] for i in range(int(len(lines) / step))] or lines[:1]
        joined = b"\n".join(lines)
        words = [w for w in joined.split() if not w.isascii()]
    ascii_letters = len(joined) - len(joined.translate(None, _ASCII_LETTERS))
    return b" ".join(words), ascii_letters


@lru_cache(maxsize=64)
def _table(page: str) -> tuple:
    """The character each byte 0x80-0xFF stands for in a single-byte page ('' if none)."""
    out = []
    for b in range(0x80, 0x100):
        try:
            out.append(bytes([b]).decode(page))
        except UnicodeDecodeError:
            out.append("")
    return tuple(out)


def _bound(page: str, text: str, counts: dict[str, int], ascii_letters: int, high: int) -> Reading:
    """Score a reading by its characters: 0.6 of the best single language's fit, 0.4 of
    the fit of all the page's languages together (a file may list letters of several),
    minus the line-script and rarity handicaps. The context checks can only lower it."""
    n = sum(counts.values()) or 1
    languages = LANGUAGES_OF[page]
    sums = [0.0] * (len(languages) + 1)
    for ch, k in counts.items():
        sums = [total + points * k for total, points in zip(sums, _page_points(ch, page))]
    singles = {p.code: total / n for p, total in zip(languages, sums)}
    fitted = max(singles, key=singles.__getitem__)
    bound = 0.6 * singles[fitted] + 0.4 * sums[-1] / n - RARITY.get(page, 0.0)
    if SCRIPT_OF_PAGE[page] != "Latin":
        # ASCII words on the lines of the non-ASCII bytes: subtitle lines are in one
        # language, so the bytes are Latin letters, not another script's. CJK lines take
        # in Latin words more often, and CJK pages have stronger tests.
        weight = 0.3 if page in MULTI_BYTE else 1.5
        bound -= weight * min(high, ascii_letters) / ((high + ascii_letters) or 1)
    return Reading(page, text, counts, bound, fitted, singles)


def _context(reading: Reading, floor: float) -> float:
    """The context checks: what the reading's words do that real words do not. The
    strongest for the script first; once the score falls under `floor` (it can no longer
    be among the best two) the rest are skipped."""
    text, n = reading.text, sum(reading.counts.values()) or 1
    script = SCRIPT_OF_PAGE[reading.page]
    checks = [lambda: 2 * len(_INNER.findall(text)), lambda: 3 * len(_CASE_FLIP.findall(text))]
    if script == "Latin":
        checks.insert(0, lambda: sum(len(run) for run in _ACCENTED_RUN.findall(text)))
        checks.append(lambda: n * _language_fit(reading, script, n))
    else:
        checks.insert(0, lambda: n * _language_fit(reading, script, n))
        checks.append(lambda: 2 * len(_MIXED["CJK" if script in CJK else script].findall(text)))
    if any(_spelt(ch) for ch in reading.counts):
        checks.insert(0, lambda: len(_SCRIPT_MISSPELT.findall(text)))
    score = reading.bound
    for check in checks:
        score -= check() / n
        if score < floor:
            break
    return score


def _language_fit(reading: Reading, script: str, n: int) -> float:
    """What the languages' own letter pairs and spelling take off the reading's fit: the
    best single language after them sets it (and becomes the reading's language).
    Languages in order of fit, until none can beat the best so far."""
    best_code, best = None, -99.0
    words: list[str] | None = None
    for code, fit in sorted(reading.singles.items(), key=lambda kv: -kv[1]):
        if fit <= best:
            break
        profile = PROFILES[code]
        if profile.pairs:
            if words is None:
                words = re.findall(f"[{_SCRIPT_CLASSES[script]}]{{4,}}", reading.text.lower())
            fit -= _rare_pairs(words, profile)
        if code in MISSPELT:
            fit -= 2 * len(MISSPELT[code].findall(reading.text)) / n
        if fit > best:
            best_code, best = code, fit
    reading.language = best_code
    return 0.6 * (max(reading.singles.values()) - best)


def _rare_pairs(words: list[str], profile: Profile) -> float:
    """How far below real text the share of the language's frequent letter pairs is (0 to
    0.5), over words of four letters or more, weighed by how many there are."""
    if not words:
        return 0.0
    joined = " ".join(words)
    share = sum(joined.count(p) for p in profile.pairs) / (len(joined) - len(words) + 1)
    return 0.5 * max(0.0, 1.0 - share / 0.15) * min(1.0, len(words) / 20)


def rank(data: bytes, language: str | None = None) -> list[Reading]:
    """The readings of the sample, best first. Pages that read it alike are one reading
    (the first in preference order), so the runner-up is a real alternative. Only the
    readings that can still beat the best two get the context checks; the rest keep
    their bound as score."""
    words, ascii_letters = sample(data)
    high = Counter(words.translate(None, _LOW))
    high_total = sum(high.values())
    prior = _prior(language, data)
    order = sorted(CANDIDATES, key=lambda p: (p not in prior, CANDIDATES.index(p)))
    readings: dict[str, Reading] = {}
    for page in order:
        try:
            text = words.decode(page)
        except UnicodeDecodeError:
            continue
        if text in readings:
            continue
        if page in MULTI_BYTE:
            counts = {ch: k for ch, k in Counter(text).items() if ord(ch) > 0x7F}
        else:
            table = _table(page)
            counts = {}
            for b, k in high.items():
                counts[table[b - 0x80]] = counts.get(table[b - 0x80], 0) + k
        reading = _bound(page, text, counts, ascii_letters, high_total)
        # On a handful of characters the readings differ by chance: the prior counts more.
        reading.bound += prior.get(page, 0.0) * (1 + 3 / (sum(counts.values()) or 1))
        readings[text] = reading
    ranked = sorted(readings.values(), key=lambda r: -r.bound)
    scored: list[float] = []
    for reading in ranked:
        if len(scored) >= 2 and reading.bound < scored[1]:
            reading.score = reading.bound
            continue
        reading.score = _context(reading, scored[1] if len(scored) >= 2 else -99.0)
        scored = sorted(scored + [reading.score], reverse=True)[:2]
    ranked.sort(key=lambda r: (-(r.score or 0.0), order.index(r.page)))
    return ranked


def _prior(language: str | None, data: bytes) -> dict[str, float]:
    """A small lead for the pages of the configured language's script (0.05) and for its
    usual ones (0.05, the first 0.06), enough to settle near-ties, never enough to read
    Spanish as Polish; with `auto`, English's. The language the file's ASCII words
    clearly point to (`Kde jsi byl` is Czech) gets 0.02 more: it is evidence, the setting
    a default."""
    words = words_language(data[:16384].decode("ascii", "replace"))
    configured = FALLBACK if not language or language == AUTO else primary(language)
    prior: dict[str, float] = {}
    for code, extra in ((configured, 0.0), (words, 0.02)):
        profile = PROFILES.get(code or "")
        if profile is None:
            continue
        for page in CANDIDATES:
            if SCRIPT_OF_PAGE[page] == profile.script:
                prior[page] = max(prior.get(page, 0.0), 0.05 + extra)
        for i, page in enumerate(profile.pages):
            prior[page] = max(prior.get(page, 0.0), (0.06 if i == 0 else 0.05) + extra)
    return prior


def guess(data: bytes, language: str | None = None) -> Guess | None:
    """The most plausible page that decodes all of `data`, or None if none does.

    The confidence is 1 when the best reading scores 0.5 or more (plausible text) and the
    runner-up trails it by 0.5 or more; it is halved when the runner-up is as plausible,
    and scaled down with a best reading under 0.5."""
    ranked = rank(data, language)
    for i, reading in enumerate(ranked):
        try:
            text = data.decode(reading.page)
        except UnicodeDecodeError:
            continue  # the sample reads, the rest of the file does not
        score = reading.score or 0.0
        margin = score - (ranked[i + 1].score or 0.0) if i + 1 < len(ranked) else 1.0
        confidence = min(1.0, max(0.0, score) / 0.5) * min(1.0, 0.5 + margin)
        return Guess(reading.page, text, round(confidence, 2), reading.language)
    return None
