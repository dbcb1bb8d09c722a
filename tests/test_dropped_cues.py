"""No cue lost quietly: any arrow between two readable times is read, and a cue that still
cannot be read is counted in the sidecar, the score and the report, and fails its file
past `max_dropped_share`."""

from __future__ import annotations

import json
import pickle

import pytest
from buildrepo import GOOD, batch, make_repo, report
from conftest import CORPUS, ROOT, corpus_files, needs_corpus, srt

from srtbuild.cli import main
from srtbuild.config import Settings, load_settings
from srtbuild.errors import ConfigError, SubtitleError
from srtbuild.processor import UnreadableCues, correct, process_file
from srtbuild.quality import WEIGHTS, assess
from srtbuild.subtitles import read_bytes
from srtbuild.subtitles.model import Cue

ARROWS = [" - > ", "- >", "->", " ==> ", " => ", " –> ", " —> ", " → ", " > ", " -- > ", " - - > ", " >> ",
          " - &gt; ", " &gt; ", "--&gt;", " ~ ", " | ", "\t->\t", "  "]


def stamp(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def cue_block(i: int, arrow: str = " --> ", text: str | None = None) -> str:
    start = i * 2000
    return f"{i}\n{stamp(start)}{arrow}{stamp(start + 1500)}\n{text or f'Line number {i}.'}\n"


def srt_of(blocks: list[str]) -> str:
    return "\n".join(blocks)


def with_broken(n: int, broken: set[int]) -> str:
    """`n` cues, those numbered in `broken` with a timing line nobody can read."""
    blocks = []
    for i in range(1, n + 1):
        if i in broken:
            blocks.append(f"{i}\n{stamp(i * 2000)[:-4]}{stamp(i * 2000 + 1500)}\nLost line {i}.\n")
        else:
            blocks.append(cue_block(i))
    return srt_of(blocks)


# -- the reader: any arrow ---------------------------------------------------------------

@pytest.mark.parametrize("arrow", ARROWS, ids=[repr(a) for a in ARROWS])
def test_every_arrow_form_is_read_with_a_warning_at_its_line(arrow):
    doc = read_bytes(srt_of([cue_block(1, arrow), cue_block(2, arrow)]).encode())
    assert [(c.start, c.end, c.text) for c in doc.cues] == [(2000, 3500, "Line number 1."),
                                                           (4000, 5500, "Line number 2.")]
    repaired = [w.line for w in doc.warnings if "repaired" in w.message]
    assert repaired == [2, 6]
    assert all("arrow" in w.message for w in doc.warnings if "repaired" in w.message)
    assert doc.dropped == []


def test_the_warning_shows_the_arrow_as_written():
    doc = read_bytes(srt_of([cue_block(1, " - > ")]).encode())
    assert any("arrow '- >'" in w.message and w.line == 2 for w in doc.warnings)
    doc = read_bytes(srt_of([cue_block(1, "  ")]).encode())
    assert any("no arrow between the times" in w.message for w in doc.warnings)


def test_788_cues_of_which_692_use_a_spaced_arrow_are_all_kept(tmp_path):
    spaced = {i for i in range(1, 789) if not (i % 8 == 0 and i <= 768)}
    assert len(spaced) == 692
    text = srt_of([cue_block(i, " - > " if i in spaced else " --> ") for i in range(1, 789)])
    doc = read_bytes(text.encode())
    assert len(doc.cues) == 788 and doc.dropped == []
    assert sum("arrow '- >'" in w.message for w in doc.warnings) == 692
    source = tmp_path / "translated.srt"
    source.write_text(text, encoding="utf-8")
    record, out = process_file(source, tmp_path / "out.srt", Settings(), sidecar=tmp_path / "out.srt.json")
    assert record["status"] == "ok" and record["segments_before"] == 788 and record["cues_dropped"] == 0
    assert out and "Line number 788." in out.decode()


@pytest.mark.parametrize("line", [
    "00:00:05,000 → 00:00:06,000",
    "10:00:00 – 11:00:00 lunch",
    "00:00:05,000 ==> 00:00:06,000 is the range",
    "12:00:00 / 13:00:00",
    "00:00:05,000 - > 00:00:06,000",
])
@pytest.mark.parametrize("where", ["first", "second"])
def test_two_times_in_a_cues_text_stay_text_in_a_well_formed_file(line, where):
    text_lines = f"{line}\nand then more" if where == "first" else f"The times were\n{line}"
    text = srt(("00:00:01,000", "00:00:04,000", "Before"), ("00:00:05,000", "00:00:08,000", text_lines),
               ("00:00:09,000", "00:00:10,000", "After"))
    doc = read_bytes(text.encode())
    assert [c.text for c in doc.cues] == ["Before", text_lines, "After"]
    assert doc.warnings == [] and doc.dropped == []


def test_an_arrow_the_file_uses_is_read_where_blank_lines_and_indexes_are_missing():
    lines = []
    for i in range(1, 6):
        lines += [f"{stamp(i * 2000)} ==> {stamp(i * 2000 + 1500)}", f"Line {i}"]
    doc = read_bytes(("\n".join(lines) + "\n").encode())
    assert [c.text for c in doc.cues] == [f"Line {i}" for i in range(1, 6)]
    assert doc.dropped == []


def test_a_wide_timing_line_after_an_index_is_read_even_without_a_blank_line_before():
    text = "1\n00:00:01,000 --> 00:00:02,000\nOne\n2\n00:00:03,000 → 00:00:04,000\nTwo\n"
    doc = read_bytes(text.encode())
    assert [c.text for c in doc.cues] == ["One", "Two"]


# -- what counts as a dropped cue --------------------------------------------------------

def test_an_unreadable_timing_line_is_a_dropped_cue_at_its_line():
    doc = read_bytes(with_broken(10, {4}).encode())
    assert len(doc.cues) == 9 and doc.dropped == [14]
    assert any(w.line == 14 and "unreadable timing line" in w.message for w in doc.warnings)


def test_a_numbered_block_without_timing_line_before_the_first_cue_is_dropped():
    text = "1\nNo timing here\n\n" + srt_of([cue_block(2), cue_block(3)])
    doc = read_bytes(text.encode())
    assert len(doc.cues) == 2 and doc.dropped == [1]


def test_junk_before_the_first_cue_is_not_a_cue():
    text = "Subtitles by somebody\nwww.example.com\n\n" + srt_of([cue_block(1), cue_block(2)])
    doc = read_bytes(text.encode())
    assert len(doc.cues) == 2 and doc.dropped == []


def test_numbered_blocks_lost_with_an_unreadable_cue_are_counted_each():
    text = srt_of([cue_block(1), "2\n00:00:0400:00:05,500\nLost two\n", "3\nLost three\n", cue_block(4)])
    doc = read_bytes(text.encode())
    assert [c.text for c in doc.cues] == ["Line number 1.", "Line number 4."]
    assert doc.dropped == [6, 9]


def test_a_numbered_block_that_the_numbering_misses_keeps_its_text_and_is_counted():
    text = srt_of([cue_block(1), "2\nCaption two\n", cue_block(3)])
    doc = read_bytes(text.encode())
    assert [c.text for c in doc.cues] == ["Line number 1.\nCaption two", "Line number 3."]
    assert doc.dropped == [5]


def test_a_number_in_a_cues_text_after_a_blank_line_is_not_a_dropped_cue():
    # the cue after carries the number: it was text of the cue before (as in
    # subtitle-merger's tricky.srt), whose text is kept there as before
    text = "1\n00:00:01,000 --> 00:00:02,000\nFirst\n\n2\nstill the first\n\n" + cue_block(2)
    doc = read_bytes(text.encode())
    assert [c.text for c in doc.cues] == ["First\nstill the first", "Line number 2."]
    assert doc.dropped == []


def test_a_file_of_unreadable_cues_only_fails_saying_so():
    text = "1\n00:00:0100:00:02,000\nOne\n\n2\n00:00:0300:00:04,000\nTwo\n"
    with pytest.raises(SubtitleError) as info:
        read_bytes(text.encode(), "x.srt")
    assert str(info.value) == "x.srt:2: no subtitle cue found: 2 of 2 cues unreadable"


# -- sidecar, score, failure -------------------------------------------------------------

def test_a_few_unreadable_cues_are_counted_and_the_file_stays_ok(tmp_path):
    source = tmp_path / "few.srt"
    source.write_text(with_broken(40, {7}), encoding="utf-8")
    record, out = process_file(source, tmp_path / "few.out.srt", Settings(), sidecar=tmp_path / "few.json")
    assert record["status"] == "ok" and out is not None
    assert record["cues_dropped"] == 1 and record["segments_before"] == 39
    assert record["checks_before"]["dropped_cues"] == 1 and record["checks_after"]["dropped_cues"] == 1
    sidecar = json.loads((tmp_path / "few.json").read_text(encoding="utf-8"))
    assert sidecar["cues_dropped"] == 1
    clean = tmp_path / "clean.srt"
    clean.write_text(with_broken(40, set()), encoding="utf-8")
    again, _ = process_file(clean, None, Settings())
    assert again["cues_dropped"] == 0 and again["checks_after"]["dropped_cues"] == 0


def test_dropped_cues_cost_the_score_before_and_after():
    cues = [Cue(i * 2000, i * 2000 + 1500, "Fine.") for i in range(10)]
    assert assess(cues, {}).score == 100.0
    result = assess(cues, {}, dropped=2)
    assert result.checks["dropped_cues"] == 2
    assert result.score == round(100 * 10 / (10 + 2 * WEIGHTS["dropped_cues"]), 1)
    assert WEIGHTS["dropped_cues"] >= 1.0


def test_more_than_the_share_fails_at_the_first_dropped_cue(tmp_path):
    source = tmp_path / "many.srt"
    source.write_text(with_broken(20, {5, 9}), encoding="utf-8")  # 2 of 20: 10 %
    record, out = process_file(source, tmp_path / "o.srt", Settings(), display="many.srt", sidecar=tmp_path / "o.json")
    assert record["status"] == "failed" and out is None and not (tmp_path / "o.srt").exists()
    assert record["error"] == {"message": "2 of 20 cues unreadable", "line": 18}
    assert record["cues_dropped"] == 2
    assert json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))["cues_dropped"] == 2


def test_the_share_is_a_limit_not_a_threshold_crossed_by_equality(tmp_path):
    data = with_broken(20, {5}).encode()  # 1 of 20: exactly 5 %
    _, fields = correct(data, Settings(), "x.srt")
    assert fields["cues_dropped"] == 1
    with pytest.raises(UnreadableCues):
        correct(data, Settings(max_dropped_share=0.0), "x.srt")
    _, fields = correct(with_broken(20, {5, 9, 13}).encode(), Settings(max_dropped_share=0.5), "x.srt")
    assert fields["cues_dropped"] == 3


def test_the_failure_pickles_with_its_data():
    err = UnreadableCues(3, 40, "a.srt", 12)
    back = pickle.loads(pickle.dumps(err))
    assert (str(back), back.dropped, back.total, back.line) == ("a.srt:12: 3 of 40 cues unreadable", 3, 40, 12)
    assert isinstance(back, SubtitleError)


def test_process_prints_one_line_and_exits_1(tmp_path, capsys):
    source = tmp_path / "many.srt"
    source.write_text(with_broken(10, {3, 4}), encoding="utf-8")
    assert main(["process", str(source), "-o", str(tmp_path / "out.srt")]) == 1
    err = capsys.readouterr().err
    assert err == f"{source}:10: error: 2 of 10 cues unreadable\n"
    record = json.loads((tmp_path / "out.srt.json").read_text(encoding="utf-8"))
    assert record["status"] == "failed" and record["cues_dropped"] == 2


def test_batch_fails_the_file_with_one_line_and_reports_the_files_that_lost_cues(tmp_path):
    files = {"a.srt": GOOD, "few.srt": with_broken(40, {7}), "sub/many.srt": with_broken(10, {3, 4}),
             "spaced.srt": srt_of([cue_block(i, " - > ") for i in range(1, 11)])}
    repo = make_repo(tmp_path / "repo", files)
    run = batch(repo)
    assert run.returncode == 1
    assert "lectures/sub/many.srt:10: error: 2 of 10 cues unreadable" in run.stderr
    assert "Traceback" not in run.stderr
    for _ in range(2):  # built, then read back from the report's cache on a no-op run
        rep = report(repo)
        assert rep["totals"]["cues_dropped"] == 1 and rep["totals"]["failed"] == 1
        assert rep["lost_cues"] == [{"path": "few.srt", "cues_dropped": 1}]
        rows = {r["path"]: r for r in rep["files"]}
        assert (rows["few.srt"]["cues_dropped"], rows["sub/many.srt"]["cues_dropped"]) == (1, 2)
        assert rows["spaced.srt"]["status"] == "ok" and rows["spaced.srt"]["cues_dropped"] == 0
        summary = (repo / "build/.srtbuild/summary.txt").read_text(encoding="utf-8")
        assert "cues dropped (unreadable)" in summary
        assert "lost cues, unreadable (1 in 1 file):\n  few.srt: 1 cue dropped" in summary
        assert "sub/many.srt:10: 2 of 10 cues unreadable" in summary
        assert ",cues_dropped," in (repo / "build/.srtbuild/report.csv").read_text(encoding="utf-8").splitlines()[0]
        run = batch(repo)
        assert run.returncode == 1


def test_a_higher_share_lets_the_file_build(tmp_path):
    repo = make_repo(tmp_path / "repo", {"many.srt": with_broken(10, {3, 4})},
                     "input: lectures\noutput: build\nmax_dropped_share: 0.25\n")
    assert batch(repo).returncode == 0
    assert report(repo)["lost_cues"] == [{"path": "many.srt", "cues_dropped": 2}]


# -- the setting -------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("1.5", "max_dropped_share: expected a share from 0 to 1, got 1.5"),
    ("-0.1", "max_dropped_share: expected a share from 0 to 1, got -0.1"),
    ("lots", "max_dropped_share: expected a number, got 'lots'"),
    ("true", "max_dropped_share: expected a number, got True"),
])
def test_max_dropped_share_is_validated_with_its_position(tmp_path, value, expected):
    cfg = tmp_path / "srtbuild.yaml"
    cfg.write_text(f"language: en\nmax_dropped_share: {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert str(info.value) == f"{cfg}:2:20: {expected}"


def test_max_dropped_share_is_part_of_the_settings_digest(tmp_path):
    cfg = tmp_path / "srtbuild.yaml"
    cfg.write_text("max_dropped_share: 0\n", encoding="utf-8")
    zero = load_settings(cfg)
    assert zero.max_dropped_share == 0 and Settings().max_dropped_share == 0.05
    assert zero.digest() != Settings().digest()
    cfg.write_text("max_dropped_share: 0.05\n", encoding="utf-8")
    assert load_settings(cfg).digest() == Settings().digest()


# -- the real corpus ---------------------------------------------------------------------

BEFORE = json.loads((ROOT / "tests/data/corpus_cue_counts.json").read_text(encoding="utf-8"))["counts"]


@needs_corpus
def test_no_real_file_is_read_with_fewer_cues_than_before():
    files = {str(p.relative_to(CORPUS)): p for p in corpus_files()}
    compared = 0
    for name, before in BEFORE.items():
        path = files.get(name)
        if path is None:  # the corpus changed: nothing to compare with
            continue
        doc = read_bytes(path.read_bytes(), name)
        assert len(doc.cues) >= before, f"{name}: {len(doc.cues)} cues, {before} before"
        compared += 1
    assert compared >= 100


def test_the_baseline_of_the_corpus_test_is_there():
    assert len(BEFORE) >= 100 and all(isinstance(n, int) and n >= 0 for n in BEFORE.values())


def test_two_times_with_a_plain_dash_inside_a_cues_text_stay_text():
    text = ("1\n00:00:01,000 --> 00:00:04,000\nThe office is open\n09:00:00 - 17:00:00 on weekdays\n\n"
            "2\n00:00:05,000 --> 00:00:07,000\nThanks.\n")
    doc = read_bytes(text.encode(), "office.srt")
    assert [c.text for c in doc.cues] == ["The office is open\n09:00:00 - 17:00:00 on weekdays", "Thanks."]
