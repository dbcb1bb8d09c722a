"""The tolerant reader: every repair is made, recorded with its line, and no cue is lost."""

from __future__ import annotations

import codecs

import pytest
from conftest import srt

from srtbuild.errors import SubtitleError
from srtbuild.subtitles import read_bytes

GOOD = srt(("00:00:01,000", "00:00:02,500", "Hello there"), ("00:00:03,000", "00:00:04,000", "Second\nline two"))


def texts(doc):
    return [c.text for c in doc.cues]


def times(doc):
    return [(c.start, c.end) for c in doc.cues]


def messages(doc):
    return [(w.line, w.message) for w in doc.warnings]


def test_canonical_file_reads_without_warnings():
    doc = read_bytes(GOOD.encode())
    assert times(doc) == [(1000, 2500), (3000, 4000)]
    assert texts(doc) == ["Hello there", "Second\nline two"]
    assert doc.warnings == []
    assert [c.line for c in doc.cues] == [2, 6]


@pytest.mark.parametrize("bom,codec", [
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
])
def test_byte_order_marks(bom, codec):
    doc = read_bytes(bom + GOOD.replace("Hello", "Héllo").encode(codec))
    assert texts(doc)[0] == "Héllo there"
    assert doc.had_bom and doc.encoding == codec


def test_legacy_cp1252_is_detected_and_reported():
    data = GOOD.replace("Hello there", "Café naïve – “quoted”").encode("cp1252")
    doc = read_bytes(data, "x.srt", language="en")
    assert texts(doc)[0] == "Café naïve – “quoted”"
    assert any("cp1252" in m for _, m in messages(doc))


@pytest.mark.parametrize("language", ["fr", "en", "de"])
def test_a_short_legacy_file_is_read_in_the_languages_code_page(language):
    # Too short for detection, which read it as Baltic (cp1257) or Central European.
    data = "1\n00:00:01,000 --> 00:00:02,000\n\u00c7a a \u00e9t\u00e9 tr\u00e8s d\u00e9j\u00e0 vu\n".encode("cp1252")
    doc = read_bytes(data, "fr.srt", language=language)
    assert doc.encoding == "cp1252" and doc.cues[0].text == "\u00c7a a \u00e9t\u00e9 tr\u00e8s d\u00e9j\u00e0 vu"


def test_text_of_another_script_is_not_forced_into_the_languages_code_page():
    text = "\u4ed6\u6709\u4e00\u53ea\u732b\u3002\u732b\u7684\u6bdb\u662f\u9ed1\u8272\u7684\u3002"
    data = "".join(f"{i}\n00:00:0{i},000 --> 00:00:0{i},500\n{text}\n\n" for i in range(1, 6)).encode("gb2312")
    doc = read_bytes(data, "zh.srt", language="en")
    assert doc.encoding != "cp1252" and doc.cues[0].text == text
    russian = "1\n00:00:01,000 --> 00:00:02,000\n\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430?\n".encode("cp1251")
    assert read_bytes(russian, "ru.srt", language="ru").cues[0].text == "\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430?"


def test_configured_encoding_wins_over_detection():
    data = GOOD.replace("Hello there", "Привет мир").encode("cp1251")
    assert texts(read_bytes(data, encoding="cp1251"))[0] == "Привет мир"


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_line_endings(newline):
    doc = read_bytes(GOOD.replace("\n", newline).encode())
    assert texts(doc) == ["Hello there", "Second\nline two"]


def test_mixed_line_endings_warn():
    mixed = GOOD.replace("\n", "\r\n", 3)
    doc = read_bytes(mixed.encode())
    assert texts(doc) == ["Hello there", "Second\nline two"]
    assert any("mixed line endings" in m for _, m in messages(doc))


def test_missing_wrong_and_duplicate_indexes():
    text = "00:00:01,000 --> 00:00:02,000\nA\n\n7\n00:00:03,000 --> 00:00:04,000\nB\n\n7\n00:00:05,000 --> 00:00:06,000\nC\n"
    doc = read_bytes(text.encode())
    assert texts(doc) == ["A", "B", "C"]
    msgs = messages(doc)
    assert (1, "cue without an index number") in msgs
    assert (4, "index out of sequence: 7 (expected 2)") in msgs
    assert (8, "duplicate index: 7 (expected 8)") in msgs


def test_blank_lines_everywhere():
    text = "\n\n\n1\n00:00:01,000 --> 00:00:02,000\nA\n\nstill A\n\n\n\n2\n00:00:03,000 --> 00:00:04,000\nB"
    doc = read_bytes(text.encode())
    assert texts(doc) == ["A\nstill A", "B"]
    msgs = messages(doc)
    assert (1, "3 blank line(s) before the first cue") in msgs
    assert (7, "blank line inside the cue text removed") in msgs
    assert any(m == "no final newline" for _, m in msgs)


def test_no_blank_line_between_cues():
    text = "1\n00:00:01,000 --> 00:00:02,000\nA\n2\n00:00:03,000 --> 00:00:04,000\nB\n"
    doc = read_bytes(text.encode())
    assert texts(doc) == ["A", "B"]
    assert (4, "no blank line before this cue") in messages(doc)


@pytest.mark.parametrize("line,start,end", [
    ("00:00:01.500 --> 00:00:02.250", 1500, 2250),
    ("00:00:01:500 --> 00:00:02:250", 1500, 2250),
    ("00:00:00,1 --> 00:00:04", 1, 4000),            # ffmpeg/VLC: 1 ms, missing ms is 0
    ("00:00:01,50 --> 00:00:02,05", 1050, 2005),
    ("0:0:4,8 --> 0:0:5,800", 4008, 5800),
    ("00:00:04,560.0000000009 --> 00:00:07,925", 4560, 7925),
    ("00:00:01,000->00:00:02,000", 1000, 2000),
    ("00:00:01,000-->00:00:02,000", 1000, 2000),
    ("00:00:13,500 - 00:00:15,000", 13500, 15000),
    ("00: 00: 49,412 -> 00: 00: 52,404", 49412, 52404),
    ("00:00:02,813 --> 00:00:06,488  X1:122 X2:595 Y1:450 Y2:523", 2813, 6488),
    ("-00:00:01,000 --> 00:00:02,000", 0, 2000),
    ("0:00:05.440,0:00:09.360", 5440, 9360),
    ("00:00:01,000 - > 00:00:02,000", 1000, 2000),   # any arrow between two readable times
    ("00:00:01,000 ==> 00:00:02,000", 1000, 2000),
    ("00:00:01,000 \u2192 00:00:02,000", 1000, 2000),
    ("00:00:01,000 > 00:00:02,000", 1000, 2000),
])
def test_lenient_timing_lines(line, start, end):
    doc = read_bytes(f"1\n{line}\nText\n".encode())
    assert times(doc) == [(start, end)]
    assert texts(doc) == ["Text"]
    assert any(w.line == 2 and "repaired" in w.message for w in doc.warnings)


def test_end_before_start_and_out_of_order_are_kept_and_reported():
    text = srt(("00:00:05,000", "00:00:04,000", "A"), ("00:00:01,000", "00:00:02,000", "B"))
    doc = read_bytes(text.encode())
    assert times(doc) == [(5000, 4000), (1000, 2000)]
    msgs = messages(doc)
    assert any(line == 2 and "before start" in m for line, m in msgs)
    assert any(line == 6 and "out of order" in m for line, m in msgs)


def test_tags_and_empty_cues_are_kept():
    text = srt(("00:00:01,000", "00:00:02,000", "{\\an8}<i>Top</i>"), ("00:00:03,000", "00:00:04,000", ""),
               ("00:00:05,000", "00:00:06,000", "<font color=\"red\">C</font>"))
    doc = read_bytes(text.encode())
    assert texts(doc) == ["{\\an8}<i>Top</i>", "", "<font color=\"red\">C</font>"]


def test_text_that_looks_like_a_time_is_not_a_timing_line():
    text = srt(("00:00:01,000", "00:00:02,000", "We meet 10:30 - 11:00 today"))
    assert texts(read_bytes(text.encode())) == ["We meet 10:30 - 11:00 today"]


def test_unreadable_timing_line_drops_only_that_cue_with_a_warning():
    text = "1\n00:00:000:00:12,500\nLost\n\n2\n00:00:13,000 --> 00:00:15,000\nKept\n"
    doc = read_bytes(text.encode())
    assert texts(doc) == ["Kept"]
    assert any(w.line == 2 and "unreadable timing line" in w.message for w in doc.warnings)
    assert doc.dropped == [2]  # counted: the processor scores it and fails a file that lost too many


def test_empty_file_is_not_an_error():
    assert read_bytes(b"").cues == []
    assert read_bytes(b"\n\n  \n").cues == []


@pytest.mark.parametrize("data,line,fragment", [
    (b"hello\nthis is not\na subtitle file\n", 1, "no subtitle cue"),
    (b"\n\nplain words\n", 3, "no subtitle cue"),
    (b"1\n00:00:01,000 --> 00:00:02,000\nok\n\x00\x01\x02\xff\xfe\x00\x00\x81", 4, "binary"),
])
def test_fails_only_when_nothing_can_be_read(data, line, fragment):
    with pytest.raises(SubtitleError) as info:
        read_bytes(data, "lectures/x.srt")
    assert info.value.line == line
    assert fragment in info.value.message
    assert str(info.value).startswith(f"lectures/x.srt:{line}: ")


def test_error_pickles_with_its_data():
    import pickle

    err = SubtitleError("bad", "a.srt", 3)
    back = pickle.loads(pickle.dumps(err))
    assert (back.message, back.path, back.line, str(back)) == ("bad", "a.srt", 3, "a.srt:3: bad")
