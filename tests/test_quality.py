"""The quality checks and the documented score formula."""

from __future__ import annotations

from srtbuild.quality import WEIGHTS, assess, score
from srtbuild.subtitles.model import Cue


def test_clean_file_scores_100():
    cues = [Cue(0, 2000, "Hello there."), Cue(2500, 5000, "A second line\nof text.")]
    result = assess(cues, {})
    assert result.score == 100.0 and not any(result.checks.values())


def test_each_check_counts_with_its_line():
    cues = [
        Cue(0, 500, "x" * 50, line=2),                 # too fast, too short, too long a line
        Cue(400, 9000, "a\nb\nc", line=6),              # starts before the first ends: overlap
        Cue(9050, 9000, "", line=10),                   # bad timing, empty
        Cue(9100, 12000, "<i>open", line=14),           # unbalanced tags
    ]
    result = assess(cues, {}, repairs=2)
    c = result.checks
    assert c["reading_speed"] == 1 and c["too_short"] == 1 and c["line_length"] == 1
    assert c["overlap"] == 1 and c["too_long"] == 1 and c["too_many_lines"] == 1
    assert c["bad_timing"] == 1 and c["empty"] == 1 and c["unbalanced_tags"] == 1
    assert c["small_gap"] == 1 and c["repairs"] == 2  # 9000 -> 9050 is under 83 ms
    assert {(f.line, f.source) for f in result.findings} >= {(2, "reading_speed"), (2, "overlap"), (10, "empty"), (14, "unbalanced_tags")}


def test_score_formula_is_explainable():
    checks = {"reading_speed": 10}
    assert score(checks, 100) == round(100 * 100 / (100 + 10 * WEIGHTS["reading_speed"]), 1)
    assert score({"overlap": 1}, 10) < score({}, 10) == 100.0
    assert score({"overlap": 2}, 10) < score({"overlap": 1}, 10)
    assert score({}, 0) == 100.0 and score({"repairs": 1}, 0) == 0.0


def test_thresholds_are_settings():
    cues = [Cue(0, 2000, "x" * 30)]
    assert assess(cues, {}).checks["reading_speed"] == 0
    assert assess(cues, {"max_cps": 10}).checks["reading_speed"] == 1
    assert assess(cues, {"max_line_length": 20}).checks["line_length"] == 1
