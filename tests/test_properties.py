"""Properties over generated input: the reader never crashes, write/read round-trips, the
pipeline is a fixpoint, timing leaves no overlap, and no rule loses words it should not."""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srtbuild.config import Settings
from srtbuild.errors import SubtitleError
from srtbuild.processor import correct
from srtbuild.rules.base import Context
from srtbuild.rules.layout import position
from srtbuild.rules.registry import RULES, defaults, run_pipeline
from srtbuild.rules.text import visible
from srtbuild.subtitles import Cue, compose, encode, read_bytes

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_ASR_WORDS = ["the", "the", "um", "uh", "i", "i'm", "so", "energy", "model", "had", "that", "gita",
              "e.g.", "www.site.org", "3.5", "--", ",,", "...", "?.", "<i>", "</i>", "{\\an8}", "Ã©", "\u00a0",
              "well.next", "ok,then", "-", "a", "is", "and",
              # subtitle conventions the text rules know (issue 8)
              '"', "\u201c", "\u201d", "\u266a", "\u266ala", "la\u266a", "#", "-yes", "<b>", "</b>", "?20", "...$5"]


@st.composite
def asr_text(draw) -> str:
    words = draw(st.lists(st.sampled_from(_ASR_WORDS), min_size=0, max_size=25))
    seps = draw(st.lists(st.sampled_from([" ", " ", "  ", "\n", ", ", ". "]), min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps)).strip(" \n")


@st.composite
def cue_lists(draw, text=asr_text()):
    n = draw(st.integers(0, 12))
    cues = []
    for i in range(n):
        start = draw(st.integers(0, 120_000))
        end = draw(st.integers(0, 125_000))
        cues.append(Cue(start, end, draw(text), line=i + 1))
    return cues


@FAST
@given(st.text())
def test_reader_never_raises_anything_but_our_error_on_text(text):
    try:
        read_bytes(text.encode("utf-8", "surrogatepass"), "gen.srt")
    except SubtitleError as exc:
        assert exc.line is None or exc.line >= 1


@FAST
@given(st.binary(max_size=2000))
def test_reader_never_raises_anything_but_our_error_on_bytes(data):
    try:
        read_bytes(data, "gen.srt")
    except SubtitleError:
        pass


_line = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters=":\r\n\x85\x0b\x0c\x1c\x1d\x1e"),
                min_size=1, max_size=30).map(str.strip).filter(bool)


@FAST
@given(st.lists(st.tuples(st.integers(0, 10**8), st.integers(0, 10**8), st.lists(_line, max_size=3)), max_size=15))
def test_write_then_read_round_trips(items):
    cues = [Cue(a, b, "\n".join(lines)) for a, b, lines in items]
    doc = read_bytes(encode(compose(cues)), "gen.srt")
    assert [(c.start, c.end, c.text) for c in doc.cues] == [(c.start, c.end, c.text) for c in cues]


@FAST
@given(cue_lists())
def test_default_pipeline_is_idempotent(cues):
    settings_ = Settings()
    first, _ = correct(encode(compose(cues)), settings_, "gen.srt")
    second, fields = correct(first, settings_, "gen.srt")
    assert fields["corrections"] == 0, fields["corrections_by_rule"]
    assert second == first


@FAST
@given(cue_lists())
def test_timing_leaves_no_overlap_and_no_empty_duration(cues):
    out = RULES["timing"].apply(cues, defaults("timing"), Context())
    for cue in out:
        assert cue.end > cue.start
    # Cues at one place on screen never overlap (a {\an8} sign may stand over dialogue).
    for place in {position(c.text) for c in out}:
        track = [c for c in out if position(c.text) == place]
        for a, b in zip(track, track[1:]):
            assert a.end <= b.start


def _neighbours(words: list[str], word: str) -> set[str]:
    """Words that stand next to an occurrence of `word` (itself, when it is doubled)."""
    out = set()
    for k, w in enumerate(words):
        if w == word:
            out.update(words[max(0, k - 1):k] + words[k + 1:k + 2])
    return out


_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?")


@FAST
@given(cue_lists())
def test_words_are_kept_except_fillers_and_stutters(cues):
    # A cue repeating the one before at the same time is one subtitle (remove_empty folds
    # it); rolling repeats are rollup's, tested on their own.
    pipeline = [(n, defaults(n)) for n in RULES if n not in ("glossary", "normalize", "rollup")]
    # (compared as remove_empty sees them, after the text rules)
    seen = run_pipeline([c.copy() for c in cues], pipeline[:[n for n, _ in pipeline].index("remove_empty")], Context())
    once, last, span = [], None, (0, 0)
    for k in range(len(cues)):
        if not visible(seen[k].text).strip():
            continue
        c = cues[k]
        if last is not None and _same_words(last, seen[k].text) and c.start <= span[1] + 40 and c.end >= span[0]:
            span = (min(span[0], c.start), max(span[1], c.end))  # folded into the one before
            continue
        once.append(c)
        last, span = seen[k].text, (c.start, c.end)
    before = [w.lower() for c in once for w in _WORD.findall(visible(c.text))]
    after_cues = run_pipeline([c.copy() for c in cues], pipeline, Context())
    after = [w.lower() for c in after_cues for w in _WORD.findall(visible(c.text))]
    fillers = set(defaults("fillers")["words"])
    spoken = [w for w in before if w not in fillers]  # a stutter may straddle a filler
    # Every word of the output is in the input (timing may reorder cues given out of
    # order), and every dropped word is a filler or the repeat of a word next to it.
    assert not Counter(after) - Counter(before), (before, after)
    for word in Counter(before) - Counter(after):
        assert word in fillers or word in _neighbours(spoken, word), (word, before, after)


def _same_words(a: str, b: str) -> bool:
    return " ".join(visible(a).split()).casefold() == " ".join(visible(b).split()).casefold()


# Text with the tags, quotes, notes and dashes the text rules handle, in any arrangement.
_CONVENTION_PIECES = ["<i>", "</i>", "<b>", "</b>", "< I >", '<font color="red">', "</font>", "{\\an8}", " ", " ", "\n",
                      "-", "- ", "\u2013", '"', "\u201c", "\u201d", "\u201e", "\u266a", "#", "la", "yes", "is", "had",
                      "what", "it", "that", "?", "!", "...", "20", "$5", ".", ","]
_convention_text = st.lists(st.sampled_from(_CONVENTION_PIECES), max_size=20).map("".join)


@FAST
@given(st.lists(_convention_text, max_size=6), st.sampled_from(["space", "no_space", "keep"]))
def test_text_rules_are_idempotent_keep_words_and_leave_tags_balanced(texts, style):
    from srtbuild.quality import assess
    from srtbuild.rules.tags import FORMAT_TAG

    for rule in ("whitespace", "punctuation", "tags", "repeated_words"):
        options = {**defaults(rule), **({"dialog_style": style} if rule == "whitespace" else {})}
        cues = [Cue(i * 4000, i * 4000 + 3000, t, line=i + 1) for i, t in enumerate(texts)]
        first = [c.text for c in RULES[rule].apply([c.copy() for c in cues], options, Context())]
        again = [c.text for c in RULES[rule].apply([Cue(0, 1, t) for t in first], options, Context())]
        assert again == first, rule
        for before, after in zip(texts, first):
            shown = FORMAT_TAG.sub("", before) if rule == "tags" else before  # `< I >` is a tag to `tags` only
            kept = _WORD.findall(visible(shown).lower())
            got = _WORD.findall(visible(after).lower())
            if rule == "repeated_words":  # drops repeats only: the words left are in order
                it = iter(kept)
                assert all(w in it for w in got), (before, after)
            else:
                assert got == kept, (rule, before, after)
            if rule == "tags":
                assert assess([Cue(0, 2000, after)], {}).checks["unbalanced_tags"] == 0, (before, after)
