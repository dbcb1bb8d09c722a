"""glossary: domain terms corrected from inline entries and glossary files."""

from __future__ import annotations

import re
from functools import lru_cache

from srtbuild.rules.base import Context, Option, fix_texts
from srtbuild.subtitles.model import Cue

NAME = "glossary"
DOC = "Domain terms corrected: `terms` maps a canonical form to its wrong forms; `files` names YAML or CSV glossaries. Whole words, case-insensitive, longest match first, punctuation kept."
OPTIONS = (
    Option("terms", "term_map", {}, "canonical form -> wrong form or list of wrong forms"),
    Option("files", "str_list", [], "glossary files (YAML mapping like `terms`, or CSV rows `wrong,canonical`), relative to srtbuild.yaml"),
)


def _form_regex(form: str) -> str:
    return r"\s+".join(re.escape(word) for word in form.split())


@lru_cache(maxsize=16)
def compile_terms(items: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[re.Pattern | None, dict[str, str]]:
    """One alternation for all forms, longest first, so `bhagavad geeta` beats `geeta`.

    Each canonical form is also matched itself, so a wrong case (`pytorch`) is fixed.
    """
    lookup: dict[str, str] = {}
    for canonical, wrongs in items:
        for form in (canonical, *wrongs):
            key = " ".join(form.lower().split())
            if key:
                lookup.setdefault(key, canonical)
    if not lookup:
        return None, lookup
    forms = sorted(lookup, key=lambda k: (-len(k), k))
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(_form_regex(f) for f in forms) + r")(?!\w)", re.IGNORECASE)
    return pattern, lookup


def freeze(terms: dict) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((c, tuple(w if isinstance(w, list) else [w])) for c, w in terms.items()))


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    pattern, lookup = compile_terms(freeze(options["terms"]))
    if pattern is None:
        return cues
    terms = ctx.changes.terms

    def replace(m: re.Match) -> str:
        found = m.group(0)
        term = canonical = lookup[" ".join(found.lower().split())]
        if found[0].isupper() and canonical[0].islower():
            canonical = canonical[0].upper() + canonical[1:]  # keep a sentence-start capital
        if canonical != found:
            terms[term] += 1
        return canonical

    return fix_texts(cues, NAME, ctx, lambda t: pattern.sub(replace, t), quick=lambda t: pattern.search(t) is not None, options=options)
