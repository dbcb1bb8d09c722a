"""Where a phrase may break: between cues (`split`) and between lines (`wrap`).

A reader takes in a subtitle a phrase at a time; a break after "the" or before the last
word of a clause makes them wait for the rest. Both rules rank a break between two words
the same way: the end of a sentence is best, then clause punctuation, then before a word
that opens a clause (a conjunction, a relative word); a break right after a word that
needs its continuation (an article, a preposition, a subject pronoun) is the worst. The
word lists are per language; a language not listed is broken by punctuation and balance.
"""

from __future__ import annotations

import re

from srtbuild.languages import primary
from srtbuild.rules.layout import starts_turn
from srtbuild.rules.text import visible

# Words before which a clause starts: a break there reads naturally.
CLAUSE_WORDS = {
    "en": "and but or so because although though while when whereas which who whom whose that where if unless since until then".split(),
    "fr": "et mais ou donc car parce puisque lorsque quand qui que dont où si alors bien tandis".split(),
    "de": "und aber oder denn weil obwohl während wenn als dass ob damit sondern welche welcher".split(),
    "es": "y pero o porque aunque mientras cuando que quien donde si pues entonces sino".split(),
    "it": "e ma o perché sebbene mentre quando che chi dove se quindi allora".split(),
    "pt": "e mas ou porque embora enquanto quando que quem onde se então".split(),
    "nl": "en maar of want omdat hoewel terwijl wanneer als dat die wie waar dus".split(),
}
# Words a line or a cue should not end on: articles, prepositions, conjunctions, subject
# pronouns, possessives.
DANGLING_WORDS = {
    "en": "a an the of to in on at for with by from into about and or but nor that which who whom whose because if when while as than is are was were be been my your our their his her its this these those i you we they he she it not".split(),
    "fr": "le la les un une des du de d' l' au aux à en et ou mais que qui dont ce cette ces mon ma mes ton ta tes son sa ses notre votre leur leurs je tu il elle nous vous ils elles ne pour par sur dans avec sans".split(),
    "de": "der die das den dem des ein eine einen einem einer eines und oder aber dass ob zu zum zur im in an auf aus bei mit nach von vor für über unter ich du er sie es wir ihr nicht".split(),
    "es": "el la los las un una unos unas de del al a en y o pero que quien con por para sin sobre mi tu su sus nuestro yo él ella no se lo le".split(),
    "it": "il lo la i gli le un uno una di del della dei delle a al alla da in con su per e o ma che chi non mi ti si ci".split(),
    "pt": "o a os as um uma uns umas de do da dos das em no na nos nas ao à e ou mas que com por para sem não me te se".split(),
    "nl": "de het een en of maar dat die van in op aan met voor door bij naar om te ik je jij hij zij wij we niet".split(),
}

SENTENCE_END = (".", "!", "?", "\u2026", "\u3002", "\uff01", "\uff1f")
CLAUSE_END = (",", ";", ":", "\u2013", "\u2014", "\uff0c", "\u3001")
CLOSERS = "\"'\u201d\u2019\u00bb)]"
OPENERS = "\"'\u201c\u2018\u00ab(\u00bf\u00a1"
_NUMBER = re.compile(r"^[\d.,:]+$")

# Break ranks, lower is better; NO_BREAK where a break may never be.
SENTENCE, CLAUSE, BEFORE_CLAUSE, WORD, DANGLING = 0, 1, 2, 3, 4
NO_BREAK = None


# What a word brings to the rank of a break after it (_LEFT_*) or before it (_RIGHT_*).
_LEFT_NUMBER, _LEFT_SENTENCE, _LEFT_CLAUSE, _LEFT_DANGLING, _LEFT_PLAIN = range(5)
_RIGHT_TURN, _RIGHT_DIGIT, _RIGHT_CLAUSE, _RIGHT_PLAIN = range(4)


class Phrasing:
    """The break ranks of one language. `split` and `wrap` ask for the rank of every
    break of every long cue, and the same words come back all through a file: what each
    word brings to a rank is worked out once and kept (per side of the break), so a rank
    is two dictionary lookups."""

    __slots__ = ("clause", "dangling", "_left", "_right")

    def __init__(self, clause: frozenset[str], dangling: frozenset[str]) -> None:
        self.clause = clause
        self.dangling = dangling
        self._left: dict[str, int] = {}
        self._right: dict[str, int] = {}

    def _left_kind(self, before: str) -> int:
        left = visible(before).rstrip(CLOSERS)
        kind = (_LEFT_NUMBER if _NUMBER.match(left) and left[-1:].isdigit()
                else _LEFT_SENTENCE if left.endswith(SENTENCE_END)
                else _LEFT_CLAUSE if left.endswith(CLAUSE_END)
                else _LEFT_DANGLING if left.lower().lstrip(OPENERS) in self.dangling
                else _LEFT_PLAIN)
        if len(self._left) > 100_000:  # a file of random tokens must not grow it forever
            self._left.clear()
        self._left[before] = kind
        return kind

    def _right_kind(self, after: str) -> int:
        right = visible(after)
        kind = (_RIGHT_TURN if starts_turn(after)
                else _RIGHT_DIGIT if right[:1].isdigit() and right.lower().strip(OPENERS) not in self.clause
                else _RIGHT_CLAUSE if right.lower().strip(OPENERS) in self.clause
                else _RIGHT_PLAIN)
        if len(self._right) > 100_000:
            self._right.clear()
        self._right[after] = kind
        return kind

    def rank(self, before: str, after: str) -> int | None:
        """The rank of a break between the words `before` and `after` (tags attached)."""
        right = self._right.get(after)
        if right is None:
            right = self._right_kind(after)
        if right == _RIGHT_TURN:
            return NO_BREAK  # a line or cue starting with a dash reads as a speaker turn
        left = self._left.get(before)
        if left is None:
            left = self._left_kind(before)
        if left == _LEFT_NUMBER:
            if right == _RIGHT_DIGIT:
                return NO_BREAK  # "1 000", "10 000 000"
            # A number is no sentence or clause end, and no dangling word: as below.
            return BEFORE_CLAUSE if right == _RIGHT_CLAUSE else WORD
        if left == _LEFT_SENTENCE:
            return SENTENCE
        if left == _LEFT_CLAUSE:
            return CLAUSE
        if left == _LEFT_DANGLING:
            return DANGLING
        return BEFORE_CLAUSE if right == _RIGHT_CLAUSE else WORD


_CACHE: dict[str, Phrasing] = {}


def phrasing(language: str) -> Phrasing:
    lang = primary(language)
    found = _CACHE.get(lang)
    if found is None:
        found = _CACHE[lang] = Phrasing(frozenset(CLAUSE_WORDS.get(lang, ())), frozenset(DANGLING_WORDS.get(lang, ())))
    return found
