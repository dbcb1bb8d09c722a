"""Each rule: what it must fix, and what it must leave alone (over-correction is a bug)."""

from __future__ import annotations

import pytest

from srtbuild.rules.base import Context
from srtbuild.rules.registry import RULES, defaults
from srtbuild.subtitles.model import Cue


def run(rule: str, texts, language: str = "en", **options):
    cues = [Cue(i * 4000, i * 4000 + 3000, t, line=i * 4 + 2) for i, t in enumerate(texts)]
    opts = {**defaults(rule), **options}
    ctx = Context(language=language)
    out = RULES[rule].apply(cues, opts, ctx)
    return [c.text for c in out], ctx.changes


def one(rule: str, text: str, **kw) -> str:
    return run(rule, [text], **kw)[0][0]


@pytest.mark.parametrize("before,after", [
    ("caf\u0065\u0301", "caf\u00e9"),                      # NFC
    ("a\u00a0b", "a b"),
    ("ze\u200bro\ufeff", "zero"),
    ("Ã©tÃ© â™ª", "été ♪"),
    ("donâ€™t", "don’t"),
])
def test_normalize_fixes(before, after):
    assert one("normalize", before) == after


@pytest.mark.parametrize("text", ["Ãœber is fine? no: Ü", "بی\u200cخبر", "👨\u200d👩\u200d👧", "São Paulo, naïve"])
def test_normalize_leaves_alone(text):
    # ZWNJ (Persian) and ZWJ (emoji) carry meaning; real accented text is not mojibake
    if text.startswith("Ãœ"):
        assert one("normalize", text) == "Über is fine? no: Ü"
    else:
        assert one("normalize", text) == text


@pytest.mark.parametrize("before,after,lang", [
    ("  two   spaces\there ", "two spaces here", "en"),
    ("line one\n\n   \nline two", "line one\nline two", "en"),
    ("wait , what ?", "wait, what?", "en"),
    ("Quoi ? Oui !", "Quoi ? Oui !", "fr"),
    ("Bon , d'accord .", "Bon, d'accord.", "fr"),
    ("fremme.\n, ja", "fremme.,\nja", "en"),
])
def test_whitespace(before, after, lang):
    assert one("whitespace", before, language=lang) == after


@pytest.mark.parametrize("text", ["It costs .5 dollars", "a .NET developer", "so ... yeah", "- Yes.\n- No."])
def test_whitespace_leaves_alone(text):
    assert one("whitespace", text) == text


@pytest.mark.parametrize("before,after", [
    ("Hello.World", "Hello. World"),
    ("yes,and then", "yes, and then"),
    ("really?yes", "really? yes"),
    ("the force is 7 newtons.simple", "the force is 7 newtons. simple"),
    ("wait,, what", "wait, what"),
    ("Stop!. Now", "Stop! Now"),
    ("Why?.", "Why?"),
    ("and then.... nothing", "and then... nothing"),
    ("we make -- ourselves", "we make ... ourselves"),
])
def test_punctuation_fixes(before, after):
    assert one("punctuation", before) == after


@pytest.mark.parametrize("text", [
    "see www.example.com today", "open model.py now", "pi is 3.14159", "1,000 people",
    "e.g. this one", "the U.S.A. and i.e.", "use np.zeros here", "https://hf.co/a?b=c,d",
    "J.R.R. Tolkien", "...and so", "mail me@x.org",
])
def test_punctuation_leaves_alone(text):
    assert one("punctuation", text) == text


@pytest.mark.parametrize("before,after", [
    ("<i>open", "<i>open</i>"),
    ("close</i> only", "close only"),
    ("< I >shout</I>", "<i>shout</i>"),
    ("<i><b>x</i></b>", "<i><b>x</b></i>"),
    ("a <i></i> b", "a b"),
    ("<b> </b>", ""),
])
def test_tags_fixes(before, after):
    assert one("tags", before) == after


@pytest.mark.parametrize("text", ["{\\an8}<i>top</i>", "<font color=\"red\">x</font>", "a < b and c > d", "<v Bob>hi"])
def test_tags_leaves_alone(text):
    assert one("tags", text) == text


def test_capitalization_within_and_across_cues():
    texts, changes = run("capitalization", ["welcome. today we", "start here. and", "then... more", "so e.g. this", "done!", "next"])
    assert texts == ["Welcome. Today we", "start here. And", "then... more", "so e.g. this", "done!", "Next"]
    assert changes.by_rule["capitalization"] == 4


@pytest.mark.parametrize("before,after", [
    ("i think i'm right", "I think I'm right"),
    ("and i've seen it, i", "And I've seen it, I"),
    ("for i in range ten", "For i in range ten"),
    ("i.e. nothing", "i.e. nothing"),  # looks like an abbreviation or a name: left alone
])
def test_capitalization_lone_i(before, after):
    assert one("capitalization", before) == after


def test_capitalization_only_english_for_i_and_not_urls():
    assert one("capitalization", "dann i am", language="de") == "Dann i am"
    assert one("capitalization", "www.site.org is down") == "www.site.org is down"


@pytest.mark.parametrize("before,after", [
    ("the the question", "the question"),
    ("so so so we", "so we"),
    ("The the end", "The end"),
    ("this\nthis line", "this line"),
])
def test_repeated_words(before, after):
    assert one("repeated_words", before) == after


@pytest.mark.parametrize("text", ["she had had enough", "I know that that works", "the theory", "10 10 score", "the, the"])
def test_repeated_words_leaves_alone(text):
    assert one("repeated_words", text) == text


@pytest.mark.parametrize("before,after", [
    ("Um, so we start", "So we start"),
    ("I, um, think so", "I think so"),
    ("so uh the point", "so the point"),
    ("I think, um.", "I think."),
    ("uh", ""),
    ("Erm... right", "Right"),
    ("- Um, yes", "- Yes"),
])
def test_fillers(before, after):
    assert one("fillers", before) == after


@pytest.mark.parametrize("text", ["the number of sums", "uh-huh", "Umbrella", "a human"])
def test_fillers_leaves_alone(text):
    assert one("fillers", text) == text


def test_fillers_configurable():
    assert one("fillers", "like, you know, like", words=["like"]) == "you know"


def test_glossary_longest_first_case_insensitive_punctuation_kept():
    terms = {"Bhagavad Gita": ["bhagwad gita", "gita"], "PyTorch": "pytorch", "numpy": ["num pie"]}
    texts, changes = run("glossary", ["the Bhagwad Gita, and the gita!", "pytorch\nand num pie", "Num pie is", "bhagwad\ngita"], terms=terms)
    assert texts == ["the Bhagavad Gita, and the Bhagavad Gita!", "PyTorch\nand numpy", "Numpy is", "Bhagavad\nGita"]
    assert changes.terms == {"Bhagavad Gita": 3, "PyTorch": 1, "numpy": 2}


def test_glossary_whole_words_only():
    assert one("glossary", "digitalis and agitate", terms={"Gita": ["gita"]}) == "digitalis and agitate"


def test_remove_empty():
    texts, changes = run("remove_empty", ["a", "", "  ", "<i></i>", "{\\an8}", "<across lines>"])
    assert texts == ["a", "<across lines>"]
    assert changes.by_rule["remove_empty"] == 4


def timing(spans, texts=None, **options):
    texts = texts or ["Short text"] * len(spans)
    cues = [Cue(a, b, t, line=i) for i, ((a, b), t) in enumerate(zip(spans, texts))]
    ctx = Context()
    out = RULES["timing"].apply(cues, {**defaults("timing"), **options}, ctx)
    return [(c.start, c.end) for c in out], ctx.changes


def test_timing_repairs():
    spans, _ = timing([(5000, 4000), (10000, 10000), (12000, 30000), (40000, 40300), (40350, 42000)])
    assert spans[0] == (5000, 5833)          # end before start: the text's need
    assert spans[1] == (10000, 10833)        # zero duration
    assert spans[2] == (12000, 19000)        # capped at 7 s
    # A 300 ms cue 50 ms before a cue with time to spare: it gets the minimum duration
    # from its neighbour, which starts later, after an 83 ms gap.
    assert spans[3] == (40000, 40833)
    assert spans[4] == (40916, 42000)


def test_timing_overlap_removed_and_reading_time_extended():
    long_text = "x" * 60  # needs 3 s at 20 cps
    spans, _ = timing([(0, 1000), (2000, 2500), (10000, 11000)], [long_text, "ok", "fine"])
    assert spans == [(0, 1917), (2000, 2833), (10000, 11000)]


def test_timing_sorts_and_separates_equal_starts():
    spans, changes = timing([(5000, 6000), (1000, 2000), (1000, 2000)])
    for (a1, b1), (a2, b2) in zip(spans, spans[1:]):
        assert a1 < b1 <= a2
    assert spans[0][0] == 1000 and changes.by_rule["timing"] >= 2


def test_wrap():
    assert one("wrap", "short\nlines") == "short lines"
    assert one("wrap", "- Are you?\n- Yes.") == "- Are you?\n- Yes."
    wrapped = one("wrap", "this is a rather long sentence that needs two lines to be read")
    lines = wrapped.split("\n")
    assert len(lines) == 2 and all(len(line) <= 42 for line in lines)
    assert abs(len(lines[0]) - len(lines[1])) <= 10
    assert one("wrap", "First part of it, and then the second part here") == "First part of it,\nand then the second part here"
    assert one("wrap", "<font color=\"red\">a coloured sentence</font> that is long enough to wrap") \
        .count("<font color=\"red\">") == 1


def test_wrap_text_too_long_for_two_lines_takes_the_fewest_lines_that_fit():
    # 127 characters fit in three lines of 42 (the two breaks replace spaces).
    text = "I want to take it to mean that the anxiety of guilt is the anxiety that there are no grounding principles on which you can act."
    lines = one("wrap", text).split("\n")
    assert len(lines) == 3 and all(len(line) <= 42 for line in lines)
    assert " ".join(lines) == text


def test_wrap_of_a_very_long_line_keeps_every_word():
    words = [f"w{i % 97}" + "x" * (i % 9) for i in range(20_000)]
    lines = one("wrap", " ".join(words)).split("\n")
    assert all(len(line) <= 42 for line in lines) and " ".join(lines).split() == words


def test_wrap_keeps_fitting_author_breaks():
    text = "A line that stays as it is\nand another one that fits"
    assert one("wrap", text) == text


def test_every_rule_declares_itself():
    for name, rule in RULES.items():
        assert rule.NAME == name and rule.DOC
        for opt in rule.OPTIONS:
            assert opt.kind in {"int", "number", "bool", "str", "str_list", "term_map"}


@pytest.mark.parametrize("before,after", [
    ("wenn es um Zahlen geht", "wenn es um Zahlen geht"),    # German "um": a preposition
    ("Ele comprou um livro.", "Ele comprou um livro."),      # Portuguese "um": an article
    ("so um i think we should", "so i think we should"),     # unpunctuated English captions
    ("Es geht, um, so weiter.", "Es geht, um, so weiter."),  # a German line: its "um" is a word
    ("I mean, um, it works.", "I mean it works."),             # set off by commas in English
    ("Um.", ""),
])
def test_fillers_are_removed_only_where_the_cue_reads_as_the_language(before, after):
    assert run("fillers", [before])[0][0] == after


@pytest.mark.parametrize("text", [
    "We saw La La Land in Walla Walla.",       # names
    "plus plus minus minus, one one two",      # signs and digits read out
    "♪ Na na na na, hey hey hey ♪",            # lyrics
    "a long long time ago",
])
def test_repeated_words_keeps_doubles_that_are_not_stutters(text):
    assert run("repeated_words", [text])[0][0] == text


def test_repeated_words_leaves_a_vietnamese_file_alone_whatever_the_language_setting():
    texts = ["Luôn luôn.", "Đi đi, cháu phải ra ngoài.", "Nhanh nhanh lên!"]
    assert run("repeated_words", texts)[0] == texts
    assert run("repeated_words", ["đi đi"], language="vi")[0] == ["đi đi"]
