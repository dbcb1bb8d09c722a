"""repeated_words and fillers: the two rules allowed to remove spoken words.

Both are about speech-recognition transcripts: stutters ("the the") and hesitation
sounds ("um", "uh"). They remove only what they are told to, and tidy the spaces and
commas the removal leaves behind.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from itertools import compress, count, islice, repeat
from operator import eq

from srtbuild.rules import capitalization
from srtbuild.rules.base import Context, Option, candidates, fix_texts
from srtbuild.languages import primary
from srtbuild.rules.phrasing import DANGLING_WORDS
from srtbuild.rules.text import fold, has_words, tidy, upper_first_letter, visible
from srtbuild.subtitles.model import Cue

REPEATED_OPTIONS = (
    Option("allow", "str_list", ["had", "that", "is", "very", "really", "no", "bye", "ha", "knock", "blah",
                                 "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                                 "zero", "plus", "minus", "la", "na", "hey", "oh", "far", "long"],
           "words whose doubling is deliberate and is kept (had, that and is: only where grammar doubles them)"),
)
FILLER_OPTIONS = (Option("words", "str_list", ["um", "uh", "erm", "uhm"], "filler words to remove"),)

_WORD = r"[^\W\d_][\w'\u2019]*"
_WORDS = re.compile(_WORD)
_REPEAT = re.compile(rf"(?<![\w'\u2019-])({_WORD})(?:[ \t\n]+\1(?![\w'\u2019-]))+", re.IGNORECASE)
_FIRST_TWO = re.compile(r"\S+\s+\S+")

# Doubles that grammar makes, but only in a context: `she had had enough` (past perfect),
# `I know that that works` (conjunction, then pronoun), `what it is is` (a clause that is
# the subject of `is`). Other allowed words (`no no`, `bye bye`, `blah blah blah`) are
# deliberate repetitions, kept wherever they are.
GRAMMATICAL = frozenset({"had", "that", "is"})
# A free relative clause opens with one of these and ends with the first `is`:
# `what it is is`, `all I know is is`. At most _CLAUSE_WORDS words back, and not the word
# just before `is` (`what is is` is a stutter).
_CLAUSE_OPENERS = frozenset({"what", "whatever", "all", "where", "how", "why", "who", "whoever"})
_CLAUSE_WORDS = 6
# The spoken double copula: a noun like these, then `is is that ...` (`the problem is is`).
_COPULA_HEADS = frozenset({"thing", "problem", "question", "point", "issue", "truth", "reason", "fact", "idea",
                           "trouble", "catch", "answer", "difference", "result", "deal", "key"})
_LOOK_BACK = 200  # characters before a double searched for its context
# Where a sentence or a clause ends: the context of a double is looked for after it.
_CLAUSE_END = re.compile(r"(?<!\.)[.!?](?!\.)|[;:]")


def grammatical_double(text: str, m: re.Match) -> bool:
    """Is this `had had`, `that that` or `is is` grammar rather than a stutter?

    Never at a sentence's start (`Had had it`, `That that is it`: no sentence starts so).
    `had had` and `that that` after any word of the sentence; `is is` only when the first
    `is` ends a clause that is the subject (`what it is is`) or follows a noun of the
    double copula (`the problem is is`): `this is is important` is a stutter. A cue that
    starts with the double in lower case continues a sentence the cue before holds, so the
    double is kept: the context that would decide is not in this cue."""
    word = m.group(1).lower()
    # Only the words just before matter: a window, so that a cue of many doubles does not
    # cost the square of its length.
    start = max(0, m.start() - _LOOK_BACK)
    head = visible(text[start:m.start()])
    ends = [e.end() for e in _CLAUSE_END.finditer(head)]
    clause = head[ends[-1]:] if ends else head
    words = [w.lower() for w in _WORDS.findall(clause)]
    if m.group(1)[0].isupper() or (not words and ends):
        return False
    if not words or word != "is":
        return True
    return words[-1] in _COPULA_HEADS or any(w in _CLAUSE_OPENERS for w in words[-_CLAUSE_WORDS:-1])


_SONG = re.compile("[\u266a\u266b\u266c]")
_VIETNAMESE = re.compile("[\u0103\u0111\u01a1\u01b0\u1ea0-\u1ef9]", re.IGNORECASE)
# Languages that double words as grammar (reduplication): repeated_words leaves them alone.
REDUPLICATING = frozenset("vi zh ja ko th id ms tl km lo my".split())


def remove_repeats(text: str, allow: frozenset) -> str:
    """Runs of one word reduced to one word; an allowed word's run is kept, except that
    `had`, `that` and `is` keep two words where grammar makes the double and one elsewhere."""

    if _SONG.search(text) or _VIETNAMESE.search(text):
        return text  # lyrics repeat on purpose; Vietnamese doubles words as grammar (a
        # cue with its letters; RepeatedWords.apply also spares a file mostly written so)

    def keep(m: re.Match) -> str:
        word = m.group(1).lower()
        if all(w[:1].isupper() and not w.isupper() for w in m.group(0).split()):
            return m.group(0)  # a name: La La Land, Bora Bora, Walla Walla
        if word not in allow:
            return m.group(1)
        if word not in GRAMMATICAL:
            return m.group(0)
        return _FIRST_TWO.match(m.group(0)).group() if grammatical_double(text, m) else m.group(1)

    return _REPEAT.sub(keep, text)


@lru_cache(maxsize=32)
def _filler_pattern(words: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(
        rf"(,[ \t]*)?(?<![\w'\u2019-])({alternatives})(?![\w'\u2019-])([ \t]*(?:,|\.\.\.|\u2026))?",
        re.IGNORECASE,
    )


# Filler sounds that are words in some languages: German and Portuguese `um`.
_WORD_IN = {"um": frozenset({"de", "pt"})}


@lru_cache(maxsize=None)
def _markers() -> dict[str, frozenset[str]]:
    """Per language, its common words that no other listed language shares."""
    lists = {lang: frozenset(words) for lang, words in DANGLING_WORDS.items()}
    return {lang: words - frozenset().union(*(w for other, w in lists.items() if other != lang))
            for lang, words in lists.items()}


def _spoken(text: str, ignore: tuple[str, ...]) -> list[str]:
    return [w for w in (w.lower() for w in _WORDS.findall(visible(text))) if w not in ignore]


def reads_as(words: list[str], language: str) -> bool:
    """Do the words hold a common word of `language` (an article, a pronoun, a
    preposition)? True where nothing tells otherwise: a language without a word list, or
    no words at all."""
    common = frozenset(DANGLING_WORDS.get(primary(language), ()))
    if not common or not words:
        return True
    return any(w in common for w in words)


@lru_cache(maxsize=None)
def _marker_language() -> dict[str, str]:
    """Each language's own common word -> the language (no word is two languages' own)."""
    return {w: lang for lang, words in _markers().items() for w in words}


def foreign(words: list[str], language: str) -> bool:
    """Do the words read as another language than `language`: more of another listed
    language's own common words than of its own? (A German line in an English file.)"""
    own = primary(language)
    if own not in _markers():
        return False
    # One pass over the words, however many languages are listed: a long cue holds
    # hundreds of words.
    of = _marker_language()
    counts: dict[str, int] = {}
    for w in words:
        lang = of.get(w)
        if lang is not None:
            counts[lang] = counts.get(lang, 0) + 1
    mine = counts.get(own, 0)
    return any(n > mine for lang, n in counts.items() if lang != own)


def remove_fillers(text: str, pattern: re.Pattern, language: str = "en", fillers: tuple[str, ...] = ()) -> str:
    out: list[str] = []
    pos = 0
    capitalize_at: list[int] = []
    lang = primary(language)
    other: bool | None = None
    native = True
    for m in pattern.finditer(text):
        if lang in _WORD_IN.get(m.group(2).lower(), ()):
            continue  # a word of this language: German "um zu", Portuguese "um livro"
        if other is None:
            words = _spoken(text, fillers)  # the line's words, its fillers aside
            other = foreign(words, language)
            native = reads_as(words, language)
        if other or (not native and not (m.group(1) or m.group(3))):
            # A line in another language ("beeilen, um den Zug"), or a bare filler in a line
            # with no common word of the language ("Ele comprou um livro"): a word there.
            continue
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


# `_REPEAT`'s backreference costs the regex engine several tries at every character. A
# doubled word is also two equal neighbours among the file's words once punctuation is
# made space: found by splitting the whole text and comparing the list with itself
# shifted by one, in C. That holds where every character left is a word character, a
# space, an apostrophe or a hyphen (what `_REPEAT`'s words are made of and bounded by);
# other text is scanned with `_REPEAT` itself.
_PUNCTUATION_TO_SPACE = str.maketrans({c: " " for c in "!\"#$%&()*+,./:;<=>?@[\\]^`{|}~"})
_OTHER = re.compile(r"[^\w\s'\u2019\x00-]")


def _doubled(cues: list[Cue]) -> list[Cue]:
    """The cues that may hold a doubled word (every cue `_REPEAT` matches in, and some
    more: the rule's own test decides)."""
    texts = [c.text for c in cues]
    joined = " \x00 ".join(texts)
    # A NUL of a text's own would read as a separator; other punctuation is looked for
    # before folding (fold makes a combining mark a letter).
    if "\x00" in "".join(texts) or _OTHER.search(joined.translate(_PUNCTUATION_TO_SPACE)):
        return candidates(cues, _REPEAT)
    words = fold(joined).translate(_PUNCTUATION_TO_SPACE).split()
    pairs = [k for k in compress(count(), map(eq, words, islice(words, 1, None))) if words[k] != "\x00"]
    if not pairs:
        return []
    cue_starts = list(compress(count(), map(eq, words, repeat("\x00"))))  # a word's cue: the separators before it
    found: list[Cue] = []
    for k in pairs:
        cue = cues[bisect_right(cue_starts, k)]
        if not found or found[-1] is not cue:
            found.append(cue)
    return found


class RepeatedWords:
    NAME = "repeated_words"
    DOC = ("Stutters like `the the` reduced to one word; words in `allow` are kept doubled, `had`, `that` and `is` "
           "only where grammar doubles them (`she had had`, `what it is is`; not `this is is`).")
    OPTIONS = REPEATED_OPTIONS

    @staticmethod
    def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
        allow = frozenset(w.lower() for w in options["allow"])
        if primary(ctx.language) in REDUPLICATING:
            return cues
        # A Vietnamese file under another language setting is left alone. That is decided
        # on the whole file, by a share of its cues that other rules change, so a file with
        # any Vietnamese letter is never run in windows (one scan of the whole text first:
        # most files hold none).
        if _VIETNAMESE.search("\n".join(c.text for c in cues)):
            ctx.whole_file = True
            if sum(1 for c in cues if _VIETNAMESE.search(c.text)) * 10 >= len(cues):
                return cues

        def fix(text: str) -> str:
            new = remove_repeats(text, allow)
            return tidy(new, ctx.language) if new != text else text

        # No `quick` test: on a text `_REPEAT` finds nothing in, `fix` is that one search
        # and returns the text as it was; a test first would search every found text twice.
        return fix_texts(cues, RepeatedWords.NAME, ctx, fix, options=options, scan=_doubled)


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

        # Most files hold no filler at all: one substring search of the whole text says so.
        everything = "\n".join(c.text for c in cues).lower()
        if not any(w in everything for w in words):
            return cues
        touched: list[tuple[Cue, str]] = []
        cues = fix_texts(cues, Fillers.NAME, ctx, lambda t: remove_fillers(t, pattern, ctx.language, words), quick=quick,
                         options=options, touched=touched)
        # A cue that held only fillers leaves the sentence where it was: if what came
        # before it ended a sentence (or nothing came before), the next cue starts one.
        emptied = {id(c) for c, _ in touched if not c.text}
        capital_starts = {id(c) for c, before in touched if before[:1].isupper()}
        if not emptied:  # no cue was left empty: no sentence start moves to the next cue
            return cues
        abbreviations = frozenset(a.rstrip(".") for a in capitalization.OPTIONS[0].default)
        pending_capital = False
        sentence_open = not ctx.cut_before  # the first cue of the file starts a sentence
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
