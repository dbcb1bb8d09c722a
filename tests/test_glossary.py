"""The glossary looks terms up by word: the same corrections as one regex alternation of
every form (whole words, case-insensitive, longest first), at any glossary size."""

from __future__ import annotations

import random
import re

from srtbuild.config import Settings
from srtbuild.processor import correct
from srtbuild.rules import glossary
from srtbuild.rules.base import Context
from srtbuild.rules.registry import defaults
from srtbuild.subtitles.model import Cue


def _apply(texts: list[str], terms: dict) -> tuple[list[str], Context]:
    ctx = Context()
    cues = glossary.apply([Cue(i * 1000, i * 1000 + 900, t, i + 1) for i, t in enumerate(texts)], {"terms": terms}, ctx)
    return [c.text for c in cues], ctx


def _reference(text: str, terms: dict) -> str:
    """The single alternation the rule replaced, as the oracle (single-spaced text)."""
    lookup: dict[str, str] = {}
    for canonical, wrongs in sorted(terms.items()):
        for form in (canonical, *wrongs):
            lookup.setdefault(" ".join(form.lower().split()), canonical)
    forms = sorted(lookup, key=lambda k: (-len(k), k))
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(r"\s+".join(map(re.escape, f.split())) for f in forms) + r")(?!\w)",
                         re.IGNORECASE)

    def one(m: re.Match) -> str:
        canonical = lookup[" ".join(m.group(0).lower().split())]
        if m.group(0)[0].isupper() and canonical[0].islower():
            canonical = canonical[0].upper() + canonical[1:]
        return canonical

    for _ in range(4):
        text = pattern.sub(one, text)
    return text


def test_same_corrections_as_one_alternation_on_random_glossaries():
    rng = random.Random(5)
    syllables = ["ka", "lo", "mi", "ta", "ne", "ru", "so", "vi"]
    vocabulary = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 3))) for _ in range(60)]
    for trial in range(40):
        terms: dict[str, list[str]] = {}
        for _ in range(rng.randint(1, 30)):
            wrong = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 3)))
            canonical = wrong.title() if rng.random() < 0.5 else wrong.upper()
            terms.setdefault(canonical, []).append(wrong)
        texts = []
        for _ in range(30):
            words = [rng.choice(vocabulary) for _ in range(rng.randint(1, 12))]
            words = [w.capitalize() if rng.random() < 0.2 else w + rng.choice(["", "", ",", "!", "'s"]) for w in words]
            texts.append(" ".join(words))
        got, _ = _apply(texts, terms)
        assert got == [_reference(t, terms) for t in texts], f"trial {trial}"


def test_ten_thousand_terms_still_find_the_right_ones():
    terms = {f"Term{n:05d} Xy": [f"term{n:05d} xy"] for n in range(10_000)}
    terms["Bhagavad Gita"] = ["bhagwad gita", "gita"]
    got, ctx = _apply(["the bhagwad gita and term00042 xy, term09999 xyz", "gita!"], terms)
    assert got == ["the Bhagavad Gita and Term00042 Xy, term09999 xyz", "Bhagavad Gita!"]
    assert ctx.changes.terms == {"Bhagavad Gita": 2, "Term00042 Xy": 1}


def test_forms_starting_with_punctuation_and_non_ascii_case():
    got, _ = _apply(["we use .net and c++ here", "İSTANBUL and istanbul", "the ſchrodinger cat"],
                    {".NET": [".net"], "C++": ["c++"], "Istanbul": ["istanbul"], "Schrödinger": ["schrodinger"]})
    assert got == ["we use .NET and C++ here", "Istanbul and Istanbul", "the Schrödinger cat"]


def test_a_term_across_a_line_break_keeps_the_break_and_the_build_settles():
    # The layout breaks a long cue between a term's words: the term is right, and taking
    # the break away made glossary and wrap undo each other on every round.
    got, ctx = _apply(["about the Bhagavad\nGita", "about the bhagwad\ngita"], {"Bhagavad Gita": ["bhagwad gita"]})
    assert got == ["about the Bhagavad\nGita", "about the Bhagavad\nGita"]
    assert ctx.changes.terms == {"Bhagavad Gita": 1}
    settings = Settings()
    options = defaults("glossary")
    options["terms"] = {"Bhagavad Gita": ["bhagwad gita"]}
    settings.pipeline = [(n, options if n == "glossary" else o) for n, o in settings.pipeline]
    text = "".join(f"{i + 1}\n00:00:{i * 4:02d},000 --> 00:00:{i * 4 + 3:02d},500\n"
                   f"so this is what the famous old bhagwad gita says about duty\n\n" for i in range(10))
    out, fields = correct(text.encode(), settings, "t.srt")
    assert fields["glossary_terms"] == {"Bhagavad Gita": 10}
    again, fields2 = correct(out, settings, "t.srt")
    assert again == out and fields2["corrections"] == 0


def test_many_forms_sharing_their_first_words():
    # 10,000 forms that all start with "the": the tree walks the text's words, so each
    # "the" costs a few lookups, not a try of every form.
    terms = {f"The Zq{n}": [f"the zq{n}"] for n in range(10_000)}
    terms["The Zq5 Extra"] = ["the zq5 extra"]
    texts = [f"so the zq{n} and the cat, the zq5 extra!" for n in range(0, 10_000, 37)]
    got, ctx = _apply(texts, terms)
    assert got == [f"so The Zq{n} and the cat, The Zq5 Extra!" for n in range(0, 10_000, 37)]
    assert ctx.changes.terms["The Zq5 Extra"] == len(texts)


def test_text_inside_tags_is_never_a_term():
    got, ctx = _apply(['<font color="brown">the color</font>', "{\\an8}color"], {"Color": ["color"], "Brown": ["brown"]})
    assert got == ['<font color="brown">the Color</font>', "{\\an8}Color"]
    assert ctx.changes.terms == {"Color": 2}


def test_capital_kept_after_leading_punctuation_and_dotted_capital_i():
    got, _ = _apply(["Til the end", "til then"], {"'til": ["til"]})
    assert got == ["'Til the end", "'til then"]
    got, _ = _apply(["izmir and İZMİR"], {"İzmir": []})
    assert got == ["İzmir and İzmir"]


def test_spaces_between_a_terms_words_become_one_and_line_breaks_stay():
    got, ctx = _apply(["new   york and New\tYork", "new\nyork"], {"New York": ["newyork"]})
    assert got == ["New York and New York", "New\nYork"]
    assert ctx.changes.terms == {"New York": 3}
