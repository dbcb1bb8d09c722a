"""Text rules that see through tags and quotes and know subtitle conventions.

Each convention has the cases it must change and, as important, the cases it must leave
alone; every case is also run twice (a rule's second run changes nothing). The corpus
tests at the end run each convention on the real files of ../shared/corpus/real: a file
that lacks the pattern comes out untouched by it.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from conftest import CORPUS, corpus_files, needs_corpus
from test_rules import one, run

from srtbuild.config import load_settings
from srtbuild.errors import ConfigError, SubtitleError
from srtbuild.quality import assess
from srtbuild.rules import punctuation, tags, whitespace
from srtbuild.rules.registry import defaults
from srtbuild.rules.tags import FORMAT_TAG
from srtbuild.rules.text import SPACE_BEFORE_ALL, spaces_outside_tags, tidy, visible
from srtbuild.rules.words import _REPEAT, remove_repeats
from srtbuild.subtitles import read_bytes
from srtbuild.subtitles.model import Cue


def once(rule: str, text: str, **options) -> str:
    """The rule's output, checked to be a fixpoint of the rule."""
    out = one(rule, text, **options)
    assert one(rule, out, **options) == out, f"{rule} is not idempotent on {text!r}"
    return out


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", visible(text))


# ---------------------------------------------------------------- spaces inside tags


@pytest.mark.parametrize("before,after", [
    ("<i> bad</i>", "<i>bad</i>"),
    ("<i>bad </i>", "<i>bad</i>"),
    ("<i> bad </i>", "<i>bad</i>"),
    ("<b> bold</b> and <u>under </u>", "<b>bold</b> and <u>under</u>"),
    ('<font color="#ff0000"> red </font>', '<font color="#ff0000">red</font>'),
    ("<i><b> nested</b></i>", "<i><b>nested</b></i>"),
    # the space is moved out, not lost: the words on either side stay apart
    ("word<i> bad</i>", "word <i>bad</i>"),
    ("<i>bad </i>word", "<i>bad</i> word"),
    ("<i>Tôi là Finnick Odair, </i>", "<i>Tôi là Finnick Odair,</i>"),
])
def test_spaces_just_inside_tags_are_removed(before, after):
    assert once("whitespace", before) == after


@pytest.mark.parametrize("text", [
    "<i>a</i> <i>b</i>",  # a space between two spans is outside both
    "one <i>two</i> three",
    '<font color="a b">x</font>',  # spaces inside a tag's attributes are not text
    "a < b and c > d",  # not tags
    "{\\an8}<i>top</i>",
])
def test_spaces_around_tags_are_left(text):
    assert once("whitespace", text) == text


@pytest.mark.parametrize("before,after", [
    ("<i>\nText</i>", "<i>Text</i>"),
    ("<i>Text\n</i>", "<i>Text</i>"),
    ("Hello <i>\nworld</i>", "Hello\n<i>world</i>"),  # the break is kept, outside the tag
    ("<i>Hello\n</i>world", "<i>Hello</i>\nworld"),
    ("- Line one...<i>\n- Line two!</i>", "- Line one...\n<i>- Line two!</i>"),
])
def test_line_breaks_just_inside_tags(before, after):
    assert once("whitespace", before) == after


def test_tidy_moves_spaces_out_of_tags_too():
    # fillers and stutters are removed with tidy: "<i>um, yes</i>" must not leave "<i> yes"
    assert tidy("<i> yes</i>") == "<i>yes</i>"
    assert one("fillers", "<i>Um, yes</i>") == "<i>Yes</i>"
    assert spaces_outside_tags("no tags here ") == "no tags here "


# ---------------------------------------------------------------- quotes


@pytest.mark.parametrize("before,after", [
    ('" Foo "', '"Foo"'),
    ('He said " yes " and " no "', 'He said "yes" and "no"'),
    ('I just heard "lunch. "', 'I just heard "lunch."'),
    ('- He left that.\n- "Tell Monica I\'m sorry. "', '- He left that.\n- "Tell Monica I\'m sorry."'),
    ('"Tell Monica I\'m sorry\nI drank the milk. "', '"Tell Monica I\'m sorry\nI drank the milk."'),  # a pair across lines
    ("\u201c Foo \u201d", "\u201cFoo\u201d"),
    ("\u201e Hallo \u201c", "\u201eHallo\u201c"),
    ('"<i> Foo</i> "', '"<i>Foo</i>"'),
    ('one " two " three\n"four', 'one "two" three\n"four'),  # odd in the cue, even in a line
])
def test_spaces_just_inside_quotes_are_removed(before, after):
    assert once("whitespace", before) == after


@pytest.mark.parametrize("text", [
    'He said "yes" and "no"',  # between two quotations: outside every pair
    '"Yes," he said, "and no."',
    'He said " yes',  # one quote: no pair
    'a " b " c " d',  # three: no pairing can be trusted
    '5" screen and 6" tall',  # inch marks
    'was great." Then he said, " Go',  # a quotation closing, another opening
    "it's the dogs' bone",  # single quotes are apostrophes too often to pair
    "\u201c Foo",  # an unpaired curly quote
    "\u201d odd \u201c",  # curly quotes facing the wrong way
])
def test_quotes_that_do_not_pair_are_left(text):
    assert once("whitespace", text) == text


def test_guillemets_keep_their_spaces():
    # French spaces them, and a French file is often built with the default `language: en`
    for language in ("fr", "en"):
        assert once("whitespace", "un \u00ab prompt \u00bb donn\u00e9", language=language) == "un \u00ab prompt \u00bb donn\u00e9"
    assert once("whitespace", "\u201c Bonjour \u201d", language="fr") == "\u201cBonjour\u201d"


# ---------------------------------------------------------------- music notes


@pytest.mark.parametrize("before,after", [
    ("\u266ala la\u266a", "\u266a la la \u266a"),
    ("\u266ala la", "\u266a la la"),
    ("la la\u266a", "la la \u266a"),
    ("\u266a\u266aOh, yeah!\u266a\u266a", "\u266a\u266a Oh, yeah! \u266a\u266a"),
    ("<i>\u266ala la\u266a</i>", "<i>\u266a la la \u266a</i>"),
    ("- \u266ala la\u266a", "- \u266a la la \u266a"),
    ("\u266blyric\u266b", "\u266b lyric \u266b"),
    ("\u266afirst line\nsecond line\u266a", "\u266a first line\nsecond line \u266a"),
    ("#la la la#", "# la la la #"),
    ("#Somewhere over the rainbow #", "# Somewhere over the rainbow #"),
    ("<i>#la la#</i>", "<i># la la #</i>"),
])
def test_music_notes_are_spaced_inside(before, after):
    assert once("whitespace", before) == after


@pytest.mark.parametrize("text", [
    "\u266a la la \u266a",
    "It is \u266a so",  # a note inside a line
    "[\u266a]",
    "\u266a",
    "\u266a\u266a\u266a",
    "- \u266a <i>[Zeus singing]</i> \u266a",
    "#metoo",  # a hashtag
    "#metoo and #blessed",
    "We're #1",
    "#1 hit and #2",
    "#Singing#",  # one word between: could be anything
    "#include <stdio.h>",  # code
    "# text #",
    "Call me at #555",
])
def test_what_is_not_a_music_note_is_left(text):
    assert once("whitespace", text) == text


# ---------------------------------------------------------------- dialog dashes


@pytest.mark.parametrize("before,space,no_space", [
    ("-Hello.\n-Hi!", "- Hello.\n- Hi!", "-Hello.\n-Hi!"),
    ("- Hello.\n- Hi!", "- Hello.\n- Hi!", "-Hello.\n-Hi!"),
    ("- Hello.\n-Hi!", "- Hello.\n- Hi!", "-Hello.\n-Hi!"),
    ("<i>-Hi.</i>\n<i>-Yes.</i>", "<i>- Hi.</i>\n<i>- Yes.</i>", "<i>-Hi.</i>\n<i>-Yes.</i>"),
    ("-<i>Hi.</i>\n-Yes.", "- <i>Hi.</i>\n- Yes.", "-<i>Hi.</i>\n-Yes."),
    ("{\\an8}-Top.\n-Yes.", "{\\an8}- Top.\n- Yes.", "{\\an8}-Top.\n-Yes."),
    ("\u2013Ja.\n\u2013Nein.", "\u2013 Ja.\n\u2013 Nein.", "\u2013Ja.\n\u2013Nein."),
    ("-I was going\nto say it.\n-What?", "- I was going\nto say it.\n- What?", "-I was going\nto say it.\n-What?"),
    # a spaced number keeps its space: "-5" would read as minus five
    ("- 5 degrees?\n- Yes.", "- 5 degrees?\n- Yes.", "- 5 degrees?\n-Yes."),
    ("-...and then?\n-Nothing.", "- ...and then?\n- Nothing.", "-...and then?\n-Nothing."),
])
def test_dialog_dashes_follow_the_style(before, space, no_space):
    assert once("whitespace", before) == space
    assert once("whitespace", before, dialog_style="space") == space
    assert once("whitespace", before, dialog_style="no_space") == no_space
    assert once("whitespace", before, dialog_style="keep") == before


@pytest.mark.parametrize("text", [
    "-Hey!",  # one line: one speaker, in the style where each cue has a dash
    "- Hey!",
    "-Hey!\nAre you there?",  # one dashed line
    "Hey!\n-Are you there?",
    "-5 degrees",
    "-5 degrees today.\n-Really?",  # "-5" is a number: only one speaker's dash
    "It costs -5 dollars\nand more - really",  # dashes inside text
    "I was going to--\n-What?",  # an interruption at a line's end is no dash of a dialog
    "I was going to\u2014\nand then",
    "-->\n-->",
    "-\n-",
])
def test_what_is_not_a_dialog_is_left(text):
    for style in whitespace.DIALOG_STYLES:
        assert whitespace.dialog_dashes(text, style) == text


def test_dialog_style_is_validated(tmp_path):
    config = tmp_path / "srtbuild.yaml"
    config.write_text("pipeline:\n  - whitespace: {dialog_style: no_space}\n", encoding="utf-8")
    assert dict(load_settings(config).pipeline)["whitespace"]["dialog_style"] == "no_space"
    config.write_text("pipeline:\n  - whitespace: {dialog_style: dashes}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="dialog_style"):
        load_settings(config)
    assert defaults("whitespace")["dialog_style"] == "space"


# ---------------------------------------------------------------- space before a number


@pytest.mark.parametrize("before,after", [
    ("Really?20 people came", "Really? 20 people came"),
    ("Wait...$20", "Wait... $20"),
    ("Wow!5 times", "Wow! 5 times"),
    ("Sure\u202620 more", "Sure\u2026 20 more"),
    ("How much?$5", "How much? $5"),
])
def test_space_after_marks_before_a_number(before, after):
    assert once("punctuation", before) == after


@pytest.mark.parametrize("text", [
    "pi is 3.14", "at 10:30", "what?!", "so...?", "v1...2", "2019...2020", "version 2.0.1",
    "see example.com/watch?20", "index.php?20", "a!=2", "?20", "\u3067\u3059\u3088\u306d?10",
])
def test_no_space_before_a_number_in_addresses_numbers_and_code(text):
    assert once("punctuation", text) == text


# ---------------------------------------------------------------- italics across lines


@pytest.mark.parametrize("before,after", [
    ("<i>one</i>\n<i>two</i>", "<i>one\ntwo</i>"),
    ("<i>one</i>\n<i>two", "<i>one\ntwo</i>"),
    ("<b><i>one</i></b>\n<b><i>two</i></b>", "<b><i>one\ntwo</i></b>"),
    ("<b><i>one</i></b>\n<b>two</b>", "<b><i>one</i>\ntwo</b>"),
    ('<font color="yellow">a</font>\n<font color="yellow">b</font>', '<font color="yellow">a\nb</font>'),
    # a dangling close at a line's end gets its opening, at the cue's start...
    ("Hello</i>", "<i>Hello</i>"),
    ("Hello\nworld</i>", "<i>Hello\nworld</i>"),
    ("{\\an8}Hello</i>", "{\\an8}<i>Hello</i>"),
    ("<b>x\ny</i></b>", "<b><i>x\ny</i></b>"),
    # ...or after the span of the same tag that ended before it...
    ("<i>one</i> two three</i>", "<i>one</i> <i>two three</i>"),
    ("<i>one</i>\ntwo</i>", "<i>one\ntwo</i>"),
    # ...or, in a dialog, at the start of the speaker's line
    ("- Hi.\n- Go away</i>", "- Hi.\n<i>- Go away</i>"),
    # a dangling opening runs to the cue's end
    ("<i>open", "<i>open</i>"),
    ("<i>one\ntwo", "<i>one\ntwo</i>"),
    # an <i> inside <i> says nothing more
    ("<i>a <i>b</i> c</i>", "<i>a b c</i>"),
    ("<i>a\n<i>b</i>", "<i>a\nb</i>"),
])
def test_italics_repaired_across_lines(before, after):
    out = once("tags", before)
    assert out == after
    assert assess([Cue(0, 2000, out)], {}).checks["unbalanced_tags"] == 0


@pytest.mark.parametrize("text", [
    "<i>one</i>\n<b>two</b>",  # different tags
    '<font color="red">a</font>\n<font color="blue">b</font>',  # different colours
    "<i>one</i> <i>two</i>",  # two spans on one line are the author's
    "<i>one</i>\ntwo",
    "one\n<i>two</i>",
    "- <i>[Zeus] What?</i>",
])
def test_italics_left_when_they_are_not_one_span(text):
    assert once("tags", text) == text


def test_a_stray_close_inside_a_line_is_still_dropped():
    # only a close that ends a line tells where its span ends
    assert once("tags", "close</i> only") == "close only"


def test_quality_flags_what_tags_repairs():
    for text in ("Hello</i>", "<i>open", "<i><b>x</i></b>"):
        assert assess([Cue(0, 2000, text)], {}).checks["unbalanced_tags"] == (text != "<i><b>x</i></b>")
        assert assess([Cue(0, 2000, once("tags", text))], {}).checks["unbalanced_tags"] == 0


# ---------------------------------------------------------------- repeated words in context


@pytest.mark.parametrize("before,after", [
    ("this is is important", "this is important"),
    ("so each fake is is unique.", "so each fake is unique."),
    ("demising is is something", "demising is something"),
    ("what is is", "what is"),  # the opener just before `is`: no clause between
    ("Had had it", "Had it"),  # no sentence starts with a double
    ("That that final event", "That final event"),
    ("ok. that that works", "ok. that works"),
    ("had had had enough", "had had enough"),
    ("the the", "the"),
])
def test_repeated_words_stutters_of_grammatical_words(before, after):
    assert once("repeated_words", before) == after


@pytest.mark.parametrize("text", [
    "what it is is a test",
    "What it is is a test",
    "all I know is is that",
    "the problem is is that it fails",
    "The thing is is we don't know",
    "she had had enough",
    "I know that that works",
    "is is good",  # a cue that starts mid-sentence: the context is in the cue before
    "knock knock", "blah blah blah", "no no no", "bye bye",
])
def test_repeated_words_keeps_grammatical_doubles(text):
    assert once("repeated_words", text) == text


def test_repeated_words_allow_list_still_rules():
    assert one("repeated_words", "this is is it", allow=[]) == "this is it"
    assert one("repeated_words", "what it is is", allow=[]) == "what it is"
    assert one("repeated_words", "go go go", allow=["go"]) == "go go go"


# ---------------------------------------------------------------- every rule, generated cases

_PIECES = ["<i>", "</i>", "<b>", "</b>", " ", "\n", "-", "- ", '"', "\u201c", "\u201d", "\u266a", "#", "la",
           "is", "is", "had", "that", "what", "it", "?", "...", "20", "$5", "{\\an8}", "</i>\n<i>", "5", ","]


def _generated(seed: int, n: int = 3000) -> list[str]:
    import random

    rng = random.Random(seed)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 14))) for _ in range(n)]


@pytest.mark.parametrize("rule,options", [
    ("whitespace", {}), ("whitespace", {"dialog_style": "no_space"}), ("whitespace", {"dialog_style": "keep"}),
    ("punctuation", {}), ("tags", {}),
])
def test_text_rules_are_idempotent_and_keep_every_word(rule, options):
    texts = _generated(hash(rule + str(options)) % 1000)
    outs, _ = run(rule, texts, **options)
    again, _ = run(rule, outs, **options)
    assert again == outs
    for text, out in zip(texts, outs):
        assert words(FORMAT_TAG.sub("", text)) == words(out), (text, out)
        if rule == "tags":
            assert assess([Cue(0, 2000, out)], {}).checks["unbalanced_tags"] == 0, (text, out)


# ---------------------------------------------------------------- the real corpus


@lru_cache(maxsize=1)
def _corpus() -> tuple[tuple[str, tuple[str, ...]], ...]:
    files = []
    for path in corpus_files():
        try:
            doc = read_bytes(path.read_bytes(), str(path))
        except SubtitleError:
            continue
        files.append((str(path.relative_to(CORPUS)), tuple(c.text for c in doc.cues if c.text)))
    return tuple(files)


_DASH_LINE = re.compile(r"(?:^|\n)(?:<[^<>\n]*>|\{\\[^{}\n]*\})*[-\u2010\u2013\u2014]")
_NOTE_EDGE = re.compile(r"[\u266a-\u266c\u2669][^\s\u2669-\u266c]|[^\s\u2669-\u266c][\u266a-\u266c\u2669]|^#|#$|\n#|#\n")
# Each convention: the pattern a cue must have for the convention to change it, and the
# convention applied alone.
CONVENTIONS = {
    "spaces inside tags": (re.compile(r"<(?:[ibu]|font[^<>]*)>\s|\s</(?:[ibu]|font)>", re.IGNORECASE), spaces_outside_tags),
    "spaces inside quotes": (re.compile("[\"\u201c\u201d\u201e][ \t]|[ \t][\"\u201c\u201d\u201e]"),
                             whitespace.quote_spaces),
    "music notes": (_NOTE_EDGE, whitespace.note_spaces),
    "dialog dashes (space)": (_DASH_LINE, lambda t: whitespace.dialog_dashes(t, "space")),
    "dialog dashes (no_space)": (_DASH_LINE, lambda t: whitespace.dialog_dashes(t, "no_space")),
    "space before a number": (re.compile(r"(?:[?!\u2026]|\.\.\.)[\d$]"),
                              lambda t: punctuation._GLUED_NUMBER.sub(punctuation._space_before_number, t)),
    "repeated grammatical words": (re.compile(r"\b(is|had|that)\s+\1\b", re.IGNORECASE),
                                   lambda t: _in_context(t)),
}


def _in_context(text: str) -> str:
    """repeated_words' output where the context rule makes it differ from keeping every
    allowed double whole (what the rule did before), else the text unchanged."""
    allow = frozenset(defaults("repeated_words")["allow"])
    whole = _REPEAT.sub(lambda m: m.group(0) if m.group(1).lower() in allow else m.group(1), text)
    new = remove_repeats(text, allow)
    return new if new != whole else text


@needs_corpus
@pytest.mark.parametrize("name", list(CONVENTIONS))
def test_corpus_files_without_the_pattern_are_untouched(name):
    pattern, fix = CONVENTIONS[name]
    changed_without = []
    for path, texts in _corpus():
        if any(pattern.search(t) for t in texts):
            continue
        changed_without += [(path, t, fix(t)) for t in texts if fix(t) != t]
    assert not changed_without, changed_without[:5]


@needs_corpus
@pytest.mark.parametrize("name", list(CONVENTIONS))
def test_corpus_cues_changed_keep_their_words(name):
    _, fix = CONVENTIONS[name]
    for path, texts in _corpus():
        for t in texts:
            out = fix(t)
            if out != t and not name.startswith("repeated"):
                assert words(out) == words(t), (path, t, out)
                assert fix(out) == out, (path, t, out)


@needs_corpus
def test_corpus_cues_with_balanced_tags_on_their_own_lines_are_untouched_by_tags():
    """A cue whose tags already pair up, with no span closed at a line's end and reopened
    at the next one's start and no space just inside a tag, is left exactly as it is
    (tags are only written in lower case: `<I>` becomes `<i>`)."""
    split_span = re.compile(r"</(i|b|u|font)>[ \t]*\n[ \t]*<\1\b", re.IGNORECASE)
    inside = CONVENTIONS["spaces inside tags"][0]
    changed = []
    for path, texts in _corpus():
        for t in texts:
            if ("<" not in t or split_span.search(t) or inside.search(t) or re.search(r"<\s*/?\s*[A-Z]", t)
                    or tags._EMPTY.search(t)):
                continue
            if assess([Cue(0, 2000, t)], {}).checks["unbalanced_tags"]:
                continue
            if re.search(r"<(i|b|u)>(?:(?!</\1>).)*<\1>", t, re.DOTALL):  # a tag inside itself: the inner one is dropped
                continue
            out = tags._fix(t, "en")
            if out != t and tidy(t) == t:
                changed.append((path, t, out))
    assert not changed, changed[:5]


@needs_corpus
def test_corpus_tags_output_is_balanced_and_keeps_every_word():
    for path, texts in _corpus():
        for t in texts:
            if "<" not in t:
                continue
            out = tags._fix(t, "en")
            assert assess([Cue(0, 2000, out)], {}).checks["unbalanced_tags"] == 0, (path, t, out)
            assert words(FORMAT_TAG.sub("", t)) == words(out), (path, t, out)


def test_whitespace_fix_is_the_rule():
    # the corpus tests call whitespace.fix's parts; the rule is their composition
    assert whitespace.fix('<i> " Foo "</i>', SPACE_BEFORE_ALL) == '<i>"Foo"</i>'
