"""glossary: domain terms corrected from inline entries and glossary files.

A glossary can hold tens of thousands of terms. One regex alternation of every form
costs each position of the text a try of every branch (a 10,000-term glossary made a
file 50x slower), so terms are looked up by word instead: the forms are indexed by their
first word, folded to lower case; the whole file's words are collected in one pass, and
only cues holding an indexed first word are looked at. There, each place a word starts
is tried against the few forms that begin with that word, longest form first, each form
a small regex of its own (compiled when first needed). The result is what the single
alternation gave: whole words, case-insensitive, longest match first, any whitespace
between a form's words, punctuation kept, a capital at a sentence start kept. A line
break between a term's words is kept too (a term spelt right across two lines is no
correction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from srtbuild.rules.base import Context, Option, fix_texts
from srtbuild.rules.text import fold
from srtbuild.subtitles.model import Cue

NAME = "glossary"
DOC = "Domain terms corrected: `terms` maps a canonical form to its wrong forms; `files` names YAML or CSV glossaries. Whole words, case-insensitive, longest match first, punctuation kept."
OPTIONS = (
    Option("terms", "term_map", {}, "canonical form -> wrong form or list of wrong forms"),
    Option("files", "str_list", [], "glossary files (YAML mapping like `terms`, or CSV rows `wrong,canonical`), relative to srtbuild.yaml"),
)

# Where a form can start: a run of word characters, or one other visible character (a
# form like `.NET` or `#hashtag`), not just after a word character.
_START = re.compile(r"(?<!\w)(?:\w+|[^\w\s])")
_WORDS = re.compile(r"\w+|[^\w\s]")

def _key(form: str) -> str:
    """The index key of a form: its leading word (or first character, for a form that
    starts with punctuation), folded."""
    m = _WORDS.match(form)
    return fold(m.group(0)) if m else ""


@lru_cache(maxsize=4096)
def _form_pattern(form: str) -> re.Pattern:
    return re.compile(r"\s+".join(re.escape(word) for word in form.split()) + r"(?!\w)", re.IGNORECASE)


_SPACES = re.compile(r"\s+")


def _spaced_as(found: str, new: str) -> str:
    """`new` with the line breaks and spaces `found` has between its words, when both have
    as many words: where a term falls across two lines is the layout's business (wrap's),
    and replacing the break by a space would undo it on every round, forever."""
    words = new.split()
    seps = _SPACES.findall(found)
    if len(words) < 2 or len(seps) != len(words) - 1:
        return new
    return words[0] + "".join(sep + word for sep, word in zip(seps, words[1:]))


@dataclass
class Index:
    """The forms of a glossary, by the key of their first word. Within a key the forms
    are in the order the single alternation tried them: longest first, then alphabetical."""

    by_key: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # key -> [(form, canonical)]

    def add(self, form: str, canonical: str) -> None:
        self.by_key.setdefault(_key(form), []).append((form, canonical))


def build_index(items: tuple[tuple[str, tuple[str, ...]], ...]) -> Index:
    """Each canonical form is indexed too, so a wrong case (`pytorch`) is fixed."""
    lookup: dict[str, str] = {}
    for canonical, wrongs in items:
        for form in (canonical, *wrongs):
            key = " ".join(form.lower().split())
            if key:
                lookup.setdefault(key, canonical)
    index = Index()
    for form in sorted(lookup, key=lambda k: (-len(k), k)):
        index.add(form, lookup[form])
    return index


def freeze(terms: dict) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((c, tuple(w if isinstance(w, list) else [w])) for c, w in terms.items()))


# The index of each `terms` mapping, by identity: the settings are loaded once and the
# same mapping is seen for every file and round, so a glossary of 10,000 terms is frozen
# and sorted once per process, not once per file.
_INDEXES: dict[int, tuple[dict, Index]] = {}


def index_for(terms: dict) -> Index:
    known = _INDEXES.get(id(terms))
    if known is not None and known[0] is terms:
        return known[1]
    index = build_index(freeze(terms))
    if len(_INDEXES) > 16:
        _INDEXES.clear()
    _INDEXES[id(terms)] = (terms, index)
    return index


def _fixer(index: Index, wanted: set[str], counts) -> tuple:
    """The fix for one cue's text, and the quick test of whether it may need one: whether
    it holds one of the first words this file holds (`wanted`)."""
    by_key = index.by_key

    def replace_all(text: str) -> str:
        out: list[str] = []
        done = 0
        pos = 0
        while True:
            m = _START.search(text, pos)
            if m is None:
                break
            at = m.start()
            # Every key, not only `wanted`: a correction can bring in a word that the
            # file did not hold (the canonical form, looked up when the fix runs again).
            forms = by_key.get(fold(m.group(0)))
            hit = None
            for form, canonical in forms or ():
                hit = _form_pattern(form).match(text, at)
                if hit is not None:
                    found = hit.group(0)
                    new = canonical
                    if found[0].isupper() and canonical[0].islower():
                        new = canonical[0].upper() + canonical[1:]  # keep a sentence-start capital
                    new = _spaced_as(found, new)
                    if new != found:
                        counts[canonical] += 1
                    out.append(text[done:at])
                    out.append(new)
                    done = pos = hit.end()
                    break
            if hit is None:
                pos = m.end()
        if not out:
            return text
        out.append(text[done:])
        return "".join(out)

    def quick(text: str) -> bool:
        return any(word in wanted for word in _WORDS.findall(fold(text)))

    return replace_all, quick


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    index = index_for(options["terms"])
    if not index.by_key:
        return cues
    # One pass over the whole file's text: the first words of forms it holds. Most files
    # hold few or none, and only the cues with one are looked at.
    wanted = set(_WORDS.findall(fold("\n".join(c.text for c in cues)))) & index.by_key.keys()
    if not wanted:
        return cues
    fix, quick = _fixer(index, wanted, ctx.changes.terms)
    return fix_texts(cues, NAME, ctx, fix, quick=quick, options=options)
