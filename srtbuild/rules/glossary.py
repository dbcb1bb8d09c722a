"""glossary: domain terms corrected from inline entries and glossary files.

A glossary can hold tens of thousands of terms. One regex alternation of every form
costs each position of the text a try of every branch (a 10,000-term glossary made a
file 50x slower), so terms are looked up by word instead. The forms are kept in a tree of
their words, folded to lower case, under the leading word of their first one; the whole
file's words are collected in one pass, and only cues holding a leading word of some form
are looked at. There, at each place a word starts, the tree is walked along the text's
words, which finds every form that matches there at the cost of a few dictionary lookups,
however many forms share their first words; the longest is taken (then the first in
alphabetical order), as the single alternation did, once its own small regex confirms it.

Whole words, case-insensitive, any whitespace between a form's words, punctuation kept, a
capital at a sentence start kept (also after a leading apostrophe: `'Til`). Text inside
tags (`<font color="...">`) is never changed, and a line break between a term's words is
kept: a term spelt right across two lines is no correction.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from srtbuild.rules.base import Context, Option, fix_texts
from srtbuild.rules.text import TAG, fold
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
_TOKEN = re.compile(r"\S+")
_SPACE = re.compile(r"\s+")
_NON_WORD = re.compile(r"\W")


def _key(form: str) -> str:
    """The index key of a form: its leading word (or first character, for a form that
    starts with punctuation), folded."""
    m = _WORDS.match(form)
    return fold(m.group(0)) if m else ""


@lru_cache(maxsize=4096)
def _form_pattern(form: str) -> re.Pattern:
    return re.compile(r"\s+".join(re.escape(word) for word in form.split()) + r"(?!\w)", re.IGNORECASE)


@dataclass
class _Node:
    """A word of some forms: the forms that end with it, and the words that may follow."""

    ends: list[tuple[str, str]] = field(default_factory=list)  # (form, canonical)
    next: dict[str, "_Node"] = field(default_factory=dict)


@dataclass
class Index:
    """The forms of a glossary: by the key of their first word, a tree of their words."""

    by_key: dict[str, dict[str, _Node]] = field(default_factory=dict)

    def add(self, form: str, canonical: str) -> None:
        level = self.by_key.setdefault(_key(form), {})
        words = form.split()
        for k, word in enumerate(words):
            node = level.setdefault(word, _Node())
            if k == len(words) - 1:
                node.ends.append((form, canonical))
            level = node.next

    def matches(self, text: str, at: int, key: str) -> list[tuple[str, str]]:
        """The forms whose words, folded, are those of `text` from `at`: all of them,
        longest first, then in alphabetical order. A form's last word may be followed
        by anything but a word character; the others, by whitespace."""
        level = self.by_key.get(key)
        found: list[tuple[str, str]] = []
        while level:
            token = _TOKEN.match(text, at)
            if token is None:
                break
            word = fold(token.group(0))
            for end in [m.start() for m in _NON_WORD.finditer(word, 1)] + [len(word)]:
                node = level.get(word[:end])
                if node is not None and node.ends:
                    found.extend(node.ends)
            node = level.get(word)
            space = _SPACE.match(text, token.end()) if node is not None and node.next else None
            if space is None:
                break
            level, at = node.next, space.end()
        found.sort(key=lambda fc: (-len(fc[0]), fc[0]))
        return found


def build_index(items: tuple[tuple[str, tuple[str, ...]], ...]) -> Index:
    """Each canonical form is indexed too, so a wrong case (`pytorch`) is fixed."""
    lookup: dict[str, str] = {}
    for canonical, wrongs in items:
        for form in (canonical, *wrongs):
            key = " ".join(fold(form).split())
            if key:
                lookup.setdefault(key, canonical)
    index = Index()
    for form in sorted(lookup, key=lambda k: (-len(k), k)):
        index.add(form, lookup[form])
    return index


def _cased_as(found: str, canonical: str) -> str:
    """`canonical` with a capital at its first letter where `found` has one at its first
    letter and the canonical form a small letter (a sentence start), and with the line
    breaks `found` has between its words where both have as many: where a term falls
    across two lines is the layout's business (wrap's), and taking the break away would
    undo wrap's work on every round. Other whitespace becomes one space, as in the
    canonical form."""
    new = canonical
    # First letters, not first characters: `Til` for `'til` gives `'Til`, and `'Til` stays
    # (comparing first characters, the next round would make it `'til` again).
    first = next((ch for ch in found if ch.isalpha()), "")
    at = next((i for i, ch in enumerate(new) if ch.isalpha()), -1)
    if first.isupper() and at >= 0 and new[at].islower():
        new = new[:at] + new[at].upper() + new[at + 1:]
    if "\n" in found:
        words = new.split()
        seps = _SPACE.findall(found)
        if len(words) >= 2 and len(seps) == len(words) - 1:
            new = words[0] + "".join(("\n" if "\n" in sep else " ") + word for sep, word in zip(seps, words[1:]))
    return new


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

    def replace_all(text: str) -> str:
        out: list[str] = []
        done = 0
        pos = 0
        tags = [(m.start(), m.end()) for m in TAG.finditer(text)] if ("<" in text or "{" in text) else []
        tag_starts = [a for a, _ in tags]
        while True:
            m = _START.search(text, pos)
            if m is None:
                break
            at = m.start()
            k = bisect_right(tag_starts, at) - 1
            if k >= 0 and at < tags[k][1]:  # inside a tag: its attributes are no text
                pos = tags[k][1]
                continue
            # Every key, not only `wanted`: a correction can bring in a word that the
            # file did not hold (the canonical form, looked up when the fix runs again).
            hit = None
            for form, canonical in index.matches(text, at, fold(m.group(0))):
                hit = _form_pattern(form).match(text, at)
                if hit is not None:
                    found = hit.group(0)
                    new = _cased_as(found, canonical)
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
