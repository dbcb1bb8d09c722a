"""repeated_words and fillers: the two rules allowed to remove spoken words.

Both are about speech-recognition transcripts: stutters ("the the") and hesitation
sounds ("um", "uh"). They remove only what they are told to, and tidy the spaces and
commas the removal leaves behind.
"""

from __future__ import annotations

import re
from functools import lru_cache

from srtbuild.rules import capitalization
from srtbuild.rules.base import Context, Option, fix_texts
from srtbuild.rules.text import has_words, tidy, upper_first_letter
from srtbuild.subtitles.model import Cue

REPEATED_OPTIONS = (
    Option("allow", "str_list", ["had", "that", "is", "very", "really", "no", "bye", "ha", "knock", "blah"],
           "words whose doubling is grammatical or deliberate and is kept"),
)
FILLER_OPTIONS = (Option("words", "str_list", ["um", "uh", "erm", "uhm"], "filler words to remove"),)

_WORD = r"[^\W\d_][\w'\u2019]*"
_REPEAT = re.compile(rf"(?<![\w'\u2019-])({_WORD})(?:[ \t\n]+\1(?![\w'\u2019-]))+", re.IGNORECASE)


def remove_repeats(text: str, allow: frozenset) -> str:
    def keep_first(m: re.Match) -> str:
        return m.group(0) if m.group(1).lower() in allow else m.group(1)

    return _REPEAT.sub(keep_first, text)


@lru_cache(maxsize=32)
def _filler_pattern(words: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(
        rf"(,[ \t]*)?(?<![\w'\u2019-])({alternatives})(?![\w'\u2019-])([ \t]*(?:,|\.\.\.|\u2026))?",
        re.IGNORECASE,
    )


def remove_fillers(text: str, pattern: re.Pattern, language: str = "en") -> str:
    out: list[str] = []
    pos = 0
    capitalize_at: list[int] = []
    for m in pattern.finditer(text):
        out.append(text[pos:m.start()])
        pos = m.end()
        # the commas go with the filler: "I, um, think" -> "I think", "I think, um." -> "I think."
        filler = m.group(2)
        if filler[0].isupper():
            # "Um, so we start" -> "So we start": the filler began the sentence
            capitalize_at.append(len("".join(out)))
        out.append(" ")
    out.append(text[pos:])
    new = "".join(out)
    for at in reversed(capitalize_at):
        new = upper_first_letter(new, at)
    new = tidy(new, language)
    return new if has_words(new) else ""


class RepeatedWords:
    NAME = "repeated_words"
    DOC = "Stutters like `the the` reduced to one word (words in `allow`, like `had had`, are kept)."
    OPTIONS = REPEATED_OPTIONS

    @staticmethod
    def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
        allow = frozenset(w.lower() for w in options["allow"])

        def fix(text: str) -> str:
            new = remove_repeats(text, allow)
            return tidy(new, ctx.language) if new != text else text

        return fix_texts(cues, RepeatedWords.NAME, ctx, fix, quick=lambda t: _REPEAT.search(t) is not None, options=options)


class Fillers:
    NAME = "fillers"
    DOC = "Filler words (default um, uh, erm, uhm) removed with the commas around them; a cue left with no words becomes empty."
    OPTIONS = FILLER_OPTIONS

    @staticmethod
    def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
        words = tuple(w.lower() for w in options["words"])
        if not words:
            return cues
        pattern = _filler_pattern(words)

        def quick(text: str) -> bool:  # a substring test first; the regex only on a hit
            lowered = text.lower()
            return any(w in lowered for w in words) and pattern.search(text) is not None

        capital_starts = {id(c) for c in cues if c.text[:1].isupper()}
        had_text = {id(c) for c in cues if c.text}
        cues = fix_texts(cues, Fillers.NAME, ctx, lambda t: remove_fillers(t, pattern, ctx.language), quick=quick, options=options)
        # A cue that held only fillers leaves the sentence where it was: if what came
        # before it ended a sentence (or nothing came before), the next cue starts one.
        emptied = {id(c) for c in cues if not c.text and id(c) in had_text}
        if not emptied:  # no cue was left empty: no sentence start moves to the next cue
            return cues
        abbreviations = frozenset(a.rstrip(".") for a in capitalization.OPTIONS[0].default)
        pending_capital = False
        sentence_open = True  # the first cue starts a sentence
        for cue in sorted(cues, key=lambda c: c.start):
            if not cue.text:
                pending_capital = pending_capital or (id(cue) in emptied and (sentence_open or id(cue) in capital_starts))
                continue
            if pending_capital:
                cue.text = upper_first_letter(cue.text)
                pending_capital = False
            ends = capitalization.ends_sentence(cue.text, abbreviations)
            if ends is not None:
                sentence_open = ends
        return cues
