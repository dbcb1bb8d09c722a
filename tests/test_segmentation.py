"""The rules that shape cues: split, merge, rollup, and timing and wrap as they now behave.

Each behaviour is stated as a viewer would see it (lines, durations, reading speed), with
the cases the rules must leave alone."""

from __future__ import annotations

import re

import pytest

from srtbuild.rules.base import Context
from srtbuild.rules.layout import reading_chars
from srtbuild.rules.registry import RULES, defaults
from srtbuild.rules.text import visible
from srtbuild.rules.wrap import wrap_text
from srtbuild.subtitles.model import Cue

LONG = ("You just can't make it in the course with the Stanbaugh translation, both because it's not "
        "as good and she muffs up a lot of very complicated things to make them simple, but she also "
        "makes them false or not true to what Heidi was trying to say.")


def apply(rule: str, cues: list[Cue], language: str = "en", **options) -> tuple[list[Cue], Context]:
    ctx = Context(language=language)
    out = RULES[rule].apply([c.copy() for c in cues], {**defaults(rule), **options}, ctx)
    return out, ctx


def words(texts) -> list[str]:
    return [w for t in texts for w in visible(t).split()]


# --- split ---------------------------------------------------------------------------

def test_split_long_whisper_segment_into_cues_that_fit_inside_its_time():
    src = Cue(13_681, 27_760, LONG, line=7)
    out, ctx = apply("split", [src])
    assert len(out) == 3  # 212 characters: the fewest parts of two 42-character lines
    assert words(c.text for c in out) == LONG.split()
    for cue in out:
        assert RULES["wrap"].apply([cue.copy()], defaults("wrap"), Context())[0].text.count("\n") <= 1
        assert src.start <= cue.start < cue.end <= src.end
        assert cue.line == 7
    for a, b in zip(out, out[1:]):
        assert b.start - a.end == 83
    # Every part reads at the speed of the whole (the gaps cost a little).
    whole = reading_chars(LONG) / (src.end - src.start)
    for cue in out:
        assert reading_chars(cue.text) / (cue.end - cue.start) == pytest.approx(whole, rel=0.05)
    assert ctx.changes.by_rule["split"] == 2


def test_split_cuts_at_sentence_and_clause_ends_not_after_articles():
    text = ("This is the first sentence of the cue and it is long. "
            "And this is the second one, which is long enough as well.")
    out, _ = apply("split", [Cue(0, 6000, text)])
    assert [c.text for c in out] == ["This is the first sentence of the cue and it is long.",
                                     "And this is the second one, which is long enough as well."]
    text = "We talked about the ideas of the philosophers in the seminar of the department of philosophy"
    out, _ = apply("split", [Cue(0, 6000, text)], max_line_length=30)
    for cue in out[:-1]:
        assert cue.text.split()[-1] not in ("the", "of", "in", "about")


def test_split_carries_tags_and_position_and_never_cuts_before_a_dash_or_inside_a_number():
    text = "{\\an8}<i>" + LONG + "</i>"
    out, _ = apply("split", [Cue(0, 14_000, text)])
    assert len(out) > 1
    for cue in out:
        assert cue.text.startswith("{\\an8}<i>") and cue.text.endswith("</i>")
        assert cue.text.count("<i>") == cue.text.count("</i>") == 1
    text = "The population grew from 10 000 000 to 12 000 000 people in the ten years - a number that surprised everyone at the time"
    out, _ = apply("split", [Cue(0, 8000, text)], max_line_length=20)
    for cue in out:
        assert not cue.text.startswith("-")
        assert not re.search(r"\d$", cue.text) or not re.match(r"\d", out[out.index(cue) + 1].text if cue is not out[-1] else "x")


def test_split_dialog_at_the_speaker_turn_first():
    text = ("- I was wondering whether you had time to look at the report I sent you yesterday?\n"
            "- Not yet, but I will read it tonight and send you my notes in the morning.")
    out, _ = apply("split", [Cue(0, 8000, text)])
    assert [c.text for c in out] == text.split("\n")


def test_split_for_time_only_when_every_part_keeps_enough_text():
    short = Cue(0, 12_000, "Okay.")
    assert apply("split", [short])[0][0].text == "Okay."
    medium = Cue(0, 16_000, "So this is the question we want to answer today. And it is a hard one.")
    out, _ = apply("split", [medium])
    assert len(out) >= 2 and all(c.end - c.start <= 7000 for c in out)


@pytest.mark.parametrize("text", [
    "A short cue.",
    "Two lines that fit\nas the author wrote them.",
    "- Are you coming?\n- Yes.",
    "Supercalifragilisticexpialidociouslyyyyyyyyyyyyyyyyyyyy",  # one word: nothing to split
    "（嗖嗖）这是一个很长的中文句子用于测试双语字幕的处理方式是否正确\n(swoosh) This is the English line under the Chinese line, a translation",
])
def test_split_leaves_alone(text):
    out, ctx = apply("split", [Cue(0, 5000, text)])
    assert [c.text for c in out] == [text] and not ctx.changes.total


def test_split_is_idempotent_and_linear_enough_for_a_huge_cue():
    text = " ".join(["word%d," % i if i % 13 == 0 else "word%d" % i for i in range(2000)])
    out, _ = apply("split", [Cue(0, 3_600_000, text)])
    assert words(c.text for c in out) == text.split()
    again, ctx = apply("split", out)
    assert [c.text for c in again] == [c.text for c in out] and not ctx.changes.total


# --- merge ---------------------------------------------------------------------------

def word_level(text: str, ms: int = 300) -> list[Cue]:
    return [Cue(i * ms, i * ms + ms - 20, w, line=i * 4 + 2) for i, w in enumerate(text.split())]


def test_merge_turns_word_level_cues_into_phrases():
    text = "so today we are going to talk about the heat equation. It is one of the most important equations in physics"
    out, ctx = apply("merge", word_level(text))
    assert words(c.text for c in out) == text.split()
    assert len(out) == 2  # one cue a sentence: a sentence end never joins a sentence start
    assert out[0].text.endswith("heat equation.")
    assert all(reading_chars(c.text) * 1000 <= 20 * (c.end - c.start) for c in out)


@pytest.mark.parametrize("texts,gap", [
    (["It ends here.", "Then more."], 50),                # a sentence end then a sentence start
    (["- Who?", "- Me."], 50),                            # a speaker change
    (["and then", "we left"], 900),                       # a pause longer than max_gap_ms
    (["A complete subtitle that is long enough,", "and another one just as long as that"], 50),
])
def test_merge_leaves_alone(texts, gap):
    cues = []
    t = 0
    for text in texts:
        cues.append(Cue(t, t + 1500, text))
        t += 1500 + gap
    out, ctx = apply("merge", cues)
    assert [c.text for c in out] == texts and not ctx.changes.total


def test_merge_never_builds_a_cue_that_reads_too_fast_or_too_long():
    cues = [Cue(i * 100, i * 100 + 90, w) for i, w in enumerate("this is far too fast".split())]
    out, _ = apply("merge", cues)
    for cue in out:
        assert reading_chars(cue.text) * 1000 <= 20 * (cue.end - cue.start) or len(cue.text.split()) == 1


# --- rollup --------------------------------------------------------------------------

def youtube_rolling(lines: list[str]) -> list[Cue]:
    """The SRT that downloaders make of automatic captions: each new line under the
    previous one, with a 10 ms 'finalising' cue in between."""
    cues: list[Cue] = []
    t = 0
    for i, line in enumerate(lines):
        text = line if i == 0 else lines[i - 1] + "\n" + line
        cues.append(Cue(t, t + 2000, text, line=len(cues) * 4 + 2))
        cues.append(Cue(t + 2000, t + 2010, line, line=len(cues) * 4 + 2))
        t += 2010
    return cues


LINES = ["hello everyone and welcome back", "today we are going to look at", "how the heat equation works",
         "and why it matters so much", "for anyone studying physics"]


def test_rollup_shows_every_spoken_line_once_in_order():
    out, ctx = apply("rollup", youtube_rolling(LINES))
    assert [c.text for c in out] == LINES
    for a, b in zip(out, out[1:]):
        assert a.end == b.start  # shown until the next line appears (timing adds the gap)
    assert ctx.changes.by_rule["rollup"]


def test_rollup_overlapping_style():
    cues = []
    for i, line in enumerate(LINES):
        text = line if i == 0 else LINES[i - 1] + "\n" + line
        cues.append(Cue(i * 2000, i * 2000 + 4000, text))
    out, _ = apply("rollup", cues)
    assert [c.text for c in out] == LINES
    assert all(a.end <= b.start for a, b in zip(out, out[1:]))


def test_rollup_leaves_ordinary_cues_and_short_coincidences_alone():
    cues = [Cue(i * 3000, i * 3000 + 2500, t) for i, t in enumerate(
        ["I said no.", "I said no.\nAnd I meant it.", "Then she left.", "We never saw her again."])]
    out, ctx = apply("rollup", cues)
    assert [c.text for c in out] == [c.text for c in cues] and not ctx.changes.total


# --- timing --------------------------------------------------------------------------

def spans(cues):
    return [(c.start, c.end) for c in cues]


def test_timing_overlap_is_shared_and_no_cue_falls_under_the_minimum_when_there_is_room():
    # A 423 ms cue overlapped by the next used to become 29 ms.
    cues = [Cue(0, 2000, "The first sentence is here."), Cue(1800, 2223, "Short."), Cue(2200, 6000, "A long third cue follows it.")]
    out, _ = apply("timing", cues)
    for a, b in zip(out, out[1:]):
        assert a.end + 83 <= b.start
    assert all(c.end - c.start >= 833 for c in out)


def test_timing_cap_never_makes_a_cue_too_fast():
    text = "x" * 200  # needs 10 s at 20 characters a second
    out, _ = apply("timing", [Cue(0, 12_000, text)])
    assert out[0].end == 10_000
    out, _ = apply("timing", [Cue(0, 9_000, text)])
    assert out[0].end == 9_000  # already too fast: never shortened further


def test_timing_nested_cue_follows_and_keeps_its_text_readable():
    out, _ = apply("timing", [Cue(0, 5000, "So you guys know, or presumably."), Cue(600, 1100, "Okay.")])
    (a0, a1), (b0, b1) = spans(out)
    assert a1 + 83 <= b0 and b1 >= 5000 and b1 - b0 >= 833


# --- wrap ----------------------------------------------------------------------------

def test_wrap_huge_line_fits_and_keeps_words():
    text = " ".join("w%d" % (i % 97) for i in range(3000))
    lines = wrap_text(text, 42, 2).split("\n")
    assert all(len(line) <= 42 for line in lines)
    assert " ".join(lines) == text


def test_wrap_prefers_phrase_breaks_and_never_starts_a_line_with_a_dash():
    assert wrap_text("So get the one that I check in the bookstore today please", 42, 2).split("\n")[0].split()[-1] \
        not in ("the", "I", "in")
    out = wrap_text("the price was high - far higher than anyone in the room expected", 42, 2)
    assert not any(line.startswith("-") for line in out.split("\n"))


# --- Chinese and Japanese: no spaces, breaks between characters -------------------------

JA = "対数にまだ慣れていない人、またはルールをいくつか見たことはあるが混乱している人を対象としています。"


def test_wrap_breaks_japanese_between_characters_and_adds_no_space():
    lines = wrap_text(JA, 20, 3).split("\n")
    assert len(lines) > 1 and all(len(line) <= 20 for line in lines)
    assert "".join(lines) == JA  # no space added, nothing lost
    assert not any(line[0] in "、。」" for line in lines)  # no line opens with closing punctuation


def test_split_and_merge_keep_chinese_text_whole():
    text = "我之前的描述可能会让你觉得在每个注意力头里都会看到这一对矩阵。" * 3
    out, _ = apply("split", [Cue(0, 9000, text)], max_line_length=16)
    assert len(out) > 1 and "".join(c.text for c in out) == text
    joined, _ = apply("merge", [Cue(0, 300, "从所有"), Cue(350, 700, "其他")])
    assert [c.text for c in joined] == ["从所有其他"]


@pytest.mark.parametrize("name", ["chorus", "lyrics", "echo"])
def test_rollup_leaves_songs_and_echoed_dialogue_alone(name):
    cues = {
        # a chorus line sung again, overlapping: said again, not rolled
        "chorus": [Cue(i * 1000, i * 1000 + 3000, t) for i, t in enumerate(
            ["Let it go", "Let it go", "Let it go", "Turn away and slam the door", "Let it go"])],
        # lyrics whose two-line cues start with the line before
        "lyrics": [Cue(i * 3200, i * 3200 + 2800, t) for i, t in enumerate(
            ["Where do we go?\nWhere do we go now?", "Where do we go now?\nWhere do we go?",
             "Where do we go?\nWhere do we go now?", "Where do we go now?\nSweet child"])],
        # overlapping dialogue where a short answer comes twice
        "echo": [Cue(i * 1000 + 1000, i * 1000 + 4000, t) for i, t in enumerate(
            ["I think we should go now.", "No.", "Why not? It's getting late.", "No.", "Fine, we stay."])],
    }[name]
    out, ctx = apply("rollup", cues)
    assert [(c.start, c.end, c.text) for c in out] == [(c.start, c.end, c.text) for c in cues]
    assert not ctx.changes.total


def test_wrap_leaves_a_short_bilingual_cue_on_two_lines():
    assert wrap_text("好的\nOK", 42, 2) == "好的\nOK"


@pytest.mark.parametrize("second", [">> I don't know", "JOHN: I don't know", "{\\an8}SIGN ON THE DOOR"])
def test_merge_never_joins_another_speaker_or_a_sign(second):
    out, ctx = apply("merge", [Cue(0, 400, "so what"), Cue(450, 900, second)])
    assert [c.text for c in out] == ["so what", second] and not ctx.changes.total


def test_timing_keeps_a_long_cue_before_the_cues_stamped_inside_it_when_it_can():
    cues = [Cue(1000, 9000, "Welcome back, everyone."), Cue(4000, 5000, "Good."), Cue(6000, 7000, "Yes!")]
    out, _ = apply("timing", cues)
    assert [c.text for c in out] == ["Welcome back, everyone.", "Good.", "Yes!"]
    assert out[0].start == 1000 and out[0].end <= 4000 - 83


def test_timing_and_quality_leave_a_sign_at_the_top_alone_over_dialogue():
    from srtbuild.quality import assess

    cues = [Cue(1000, 5000, "I have been waiting for you at the station."), Cue(2000, 4000, "{\\an8}POLICE STATION"),
            Cue(5100, 7000, "Where were you?")]
    out, ctx = apply("timing", cues)
    assert [(c.start, c.end) for c in out] == [(1000, 5000), (2000, 4000), (5100, 7000)]
    assert not ctx.changes.total
    assert assess(out, {}).checks["overlap"] == 0


def test_split_dialog_short_turn_costs_the_long_turn_little():
    text = ("- I was wondering whether you had time to look at the report I sent you yesterday?\n- No.")
    out, _ = apply("split", [Cue(0, 4200, text)])
    long_part, short_part = out
    whole = reading_chars(text) / 4200
    # "- No." gets the minimum duration; the long turn pays for it, and no more.
    assert short_part.end - short_part.start == 833
    assert reading_chars(long_part.text) / (long_part.end - long_part.start) <= whole * 1.25


def test_rollup_never_takes_the_parts_of_one_split_cue_for_a_roll():
    # A chant split in parts, as the next round sees them: each part's first line is the
    # last line of the part before, the pattern of a roll, but all come from one cue.
    parts = [Cue(i * 2500, i * 2500 + 2400, "We will rock you!\nWe will rock you!", line=5) for i in range(6)]
    out, ctx = apply("rollup", parts)
    assert [c.text for c in out] == [c.text for c in parts] and not ctx.changes.total
    other = [Cue(c.start, c.end, c.text, line=k * 4 + 1) for k, c in enumerate(parts)]
    assert apply("rollup", other)[1].changes.total  # from separate cues it is a roll


def test_split_parts_of_a_too_short_cue_borrow_the_next_cues_spare_time():
    fast = Cue(5000, 5400, "so if the mass is 2 kilograms and the acceleration is 3.5 meters per second squared")
    roomy = Cue(5400, 9000, "then the force is 7 newtons.")
    out, _ = apply("split", [fast, roomy])
    parts, nxt = out[:-1], out[-1]
    assert len(parts) == 2 and all(p.end - p.start >= 500 for p in parts)  # 400 ms in all before
    assert parts[-1].end + 83 <= nxt.start and nxt.end == 9000
    assert nxt.end - nxt.start >= 1400  # it keeps the time its own text needs
