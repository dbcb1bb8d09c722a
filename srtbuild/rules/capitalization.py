"""capitalization: upper-case sentence starts, within and across cues; English `i` to `I`."""

from __future__ import annotations

import re

from srtbuild.rules.base import Context, Option
from srtbuild.rules.text import ALNUM, lower_letter_at, upper_first_letter, visible
from srtbuild.subtitles.model import Cue

NAME = "capitalization"
DOC = "Upper-case the first letter after a sentence end, within a cue and across cues (not after abbreviations or an ellipsis); the first cue starts a sentence; a lone English `i` to `I` (`i'm` to `I'm`) when language is en."
OPTIONS = (
    Option("abbreviations", "str_list",
           ["e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "cf", "approx", "fig", "eq", "no", "vol", "al", "ca"],
           "words that end with a dot without ending a sentence"),
    Option("first_cue", "bool", True, "treat the first cue as a sentence start"),
)

_END = re.compile(r"(?<!\.)([.!?])[\"'\u2019\u201d\u00bb)\]]*(?:<[^<>]*>|\{\\[^{}]*\})*\s+")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_WORD_WINDOW = 100  # characters before a dot searched for its word
# The literal `i` comes first and the look-behind after it (`i(?<!Xi)` is `(?<!X)i`), so
# the regex engine can skip ahead to each `i` instead of trying every position.
_LONE_I = re.compile(r"i(?<![\w'\u2019.-]i)(?=(?:['\u2019](?:m|ve|ll|d))?(?![\w'\u2019-])(?!\.\w))")
_DOTTED = re.compile(r"\w\.\w")
_CODE_AROUND_I = re.compile(r"(?:for|let|int|var)\s$")
_CODE_AFTER_I = re.compile(r"\s*(?:in\b|[=+\-*/<>\[\]()]|\+\+)")


def _is_abbreviation(text: str, dot: int, abbreviations: frozenset) -> bool:
    # Only the word just before the dot matters: looking from the start of the text each
    # time would make a long cue cost the square of its length.
    m = _WORD_BEFORE.search(text, max(0, dot - _WORD_WINDOW), dot)
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    return word in abbreviations or (len(word) == 1 and word.isalpha()) or "." in word


def _within(text: str, abbreviations: frozenset) -> str:
    letters = []
    for m in _END.finditer(text):
        if m.group(1) == "." and _is_abbreviation(text, m.start(1), abbreviations):
            continue
        i = lower_letter_at(text, m.end())
        if i >= 0:
            letters.append(i)
    if not letters:
        return text
    chars = list(text)  # one copy, however many sentences the cue holds
    for i in letters:
        chars[i] = chars[i].upper()
    return "".join(chars)


def _lone_i(match: re.Match) -> str:
    text, pos = match.string, match.start()
    if _CODE_AROUND_I.search(text, max(0, pos - 5), pos) or _CODE_AFTER_I.match(text, pos + 1):
        return "i"  # `for i in range`: code read aloud, not the pronoun
    return "I"


def ends_sentence(text: str, abbreviations: frozenset) -> bool | None:
    """True/False for a cue that has words; None for one that says nothing either way."""
    shown = visible(text).rstrip().rstrip("\"'\u2019\u201d\u00bb)]")
    if ALNUM.search(shown) is None:
        return None
    if shown.endswith(("...", "\u2026")):
        return False
    if shown.endswith((".",)):
        return not _is_abbreviation(shown, len(shown) - 1, abbreviations)
    return shown.endswith(("!", "?"))


def _starts_with_ellipsis(text: str) -> bool:
    return visible(text).lstrip(" -\"'").startswith(("...", "\u2026"))


def _starts_with_address(text: str) -> bool:
    """`www.example.com`, `model.py`, `@user`: names whose case is not ours to change."""
    words = visible(text).split(None, 1)
    first = words[0] if words else ""
    return "/" in first or "@" in first or _DOTTED.search(first) is not None


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    abbreviations = frozenset(a.lower().rstrip(".") for a in options["abbreviations"])
    english = ctx.language.split("-")[0].lower() == "en"
    sentence_start = bool(options["first_cue"]) and not ctx.cut_before
    # Sentences run in the order viewers read the cues: by start time (a stable sort,
    # the same order the timing rule gives them).
    # The outcome for a cue depends on its text and on whether a sentence starts there;
    # remembered per (text, start) for the processor's second round.
    seen: dict = ctx.known(NAME, options, dict)
    for cue in sorted(cues, key=lambda c: c.start):
        text = cue.text
        if not text:
            continue
        known = seen.get((text, sentence_start))
        if known is None:
            known = seen[(text, sentence_start)] = _capitalize(text, sentence_start, abbreviations, english)
        new, count, ends = known
        if new != text:
            cue.text = new
            ctx.changes.record(NAME, cue.line, count)
        if ends is not None:
            sentence_start = ends
    return cues


def _capitalize(text: str, sentence_start: bool, abbreviations: frozenset, english: bool) -> tuple[str, int, bool | None]:
    new = text
    if sentence_start and not _starts_with_ellipsis(new) and not _starts_with_address(new):
        new = upper_first_letter(new)
    if "." in new or "!" in new or "?" in new:
        new = _within(new, abbreviations)
    if english and "i" in new:
        new = _LONE_I.sub(_lone_i, new)
    count = sum(1 for a, b in zip(text, new) if a != b) if new != text else 0
    return new, count, ends_sentence(new, abbreviations)
