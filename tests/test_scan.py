"""Text rules find the cues they must look at with one scan of the whole file's text.
The scan may find more cues than need work, never fewer: a cue it misses is one the rule
would have fixed, so the property is checked for every rule that scans, on texts built to
hit each rule's edge cases (a text's first and last character, dashes, tags, NUL bytes)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from srtbuild.rules import normalize, tags, whitespace
from srtbuild.rules.base import Context, candidates, fix_texts
from srtbuild.rules.words import _REPEAT, _doubled
from srtbuild.subtitles.model import Cue

_ALPHABET = st.sampled_from(list("ab \t\n,.!?;:<>#\"“”♪-–—é'’\x00\u00a0") + ["the", "The", "THE", "ſo", "so", "<i>", "</i>", "um"])
_TEXT = st.lists(_ALPHABET, max_size=12).map("".join)
_TEXTS = st.lists(_TEXT, min_size=1, max_size=12)

_RULES = {
    "whitespace": (whitespace._SCAN, lambda t: whitespace._needs(t, False)),
    "whitespace, dialogs": (whitespace._SCAN_DIALOGS, lambda t: whitespace._needs(t, True)),
    "normalize": (normalize._NON_ASCII, lambda t: not t.isascii()),
    "tags": (tags._OPENING_BRACKET, lambda t: "<" in t),
    "repeated_words": (_REPEAT, lambda t: _REPEAT.search(t) is not None),
    "repeated_words, by words": (_doubled, lambda t: _REPEAT.search(t) is not None),
}


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_every_scan_finds_every_cue_its_rule_would_fix(texts):
    cues = [Cue(i, i + 1, t, i + 1) for i, t in enumerate(texts)]
    for name, (scan, quick) in _RULES.items():
        found = {id(c) for c in (candidates(cues, scan) if isinstance(scan, re.Pattern) else scan(cues))}
        missed = [c.text for c in cues if c.text and quick(c.text) and id(c) not in found]
        assert not missed, f"{name} scan missed {missed!r}"


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_a_scanned_rule_gives_what_the_per_cue_rule_gives(texts):
    def run(scan):
        ctx = Context()
        cues = [Cue(i, i + 1, t, i + 1) for i, t in enumerate(texts)]
        fix_texts(cues, "whitespace", ctx, lambda t: whitespace.fix(t, whitespace.SPACE_BEFORE_ALL, "space"),
                  quick=lambda t: whitespace._needs(t, True), scan=scan)
        # A second pass, as the pipeline's next round: only texts not yet known are looked at.
        fix_texts(cues, "whitespace", ctx, lambda t: whitespace.fix(t, whitespace.SPACE_BEFORE_ALL, "space"),
                  quick=lambda t: whitespace._needs(t, True), scan=scan)
        return [c.text for c in cues], ctx.changes.at

    assert run(whitespace._SCAN_DIALOGS) == run(None)


def test_a_match_across_the_separator_names_both_cues():
    cues = [Cue(0, 1, "end "), Cue(1, 2, " start"), Cue(2, 3, "clean"), Cue(3, 4, "x")]
    assert [c.text for c in candidates(cues, re.compile(" \x00 "))] == ["end ", " start"]
    assert [c.text for c in candidates(cues, re.compile("x\x00"))] == ["x"]
    assert candidates(cues, re.compile("nothing")) == []


def test_doubled_words_are_found_whatever_their_case_and_punctuation():
    plain = ["The the cat", "well, SO so", "ſo so", "(that) that", "x y", "the\u00a0the", "it's it's", "a-b b"]
    for texts in (plain, plain + ["q\u2014q q"]):  # the dash: scanned with the regex
        cues = [Cue(i, i + 1, t) for i, t in enumerate(texts)]
        found = [c.text for c in _doubled(cues)]
        assert {t for t in texts if _REPEAT.search(t)} <= set(found), found


def test_a_combining_mark_that_folds_to_a_letter_is_no_word():
    cues = [Cue(0, 1, "I saw the the\u0345 dog."), Cue(1, 2, "fine")]
    assert [c.text for c in _doubled(cues)] == ["I saw the the\u0345 dog."]
