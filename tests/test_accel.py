"""The compiled helper (srtbuild.rules._dp) and its pure-Python twins give the same
results: the dynamic programmes on random words, and whole files end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srtbuild.rules import accel, split, wrap

needs_c = pytest.mark.skipif(accel.dp is None, reason="the C helper is not built here (no compiler at install, "
                                                      "or SRTBUILD_PURE_PYTHON is set): only the Python twins run")

_WORDS = st.lists(st.tuples(st.integers(0, 60), st.booleans(), st.sampled_from([0.0, 1.0, 2.5, 5.0, 9.0, None])),
                  min_size=1, max_size=80)


@needs_c
@settings(max_examples=400, deadline=None)
@given(_WORDS, st.integers(1, 60), st.integers(1, 4), st.integers(1, 400), st.integers(0, 80),
       st.floats(0.5, 200, allow_nan=False))
def test_split_search_compiled_is_the_python_search(words, max_len, max_lines, max_chars, short, ideal):
    widths = [w for w, _, _ in words]
    sep = [0 if glued else 1 for _, glued, _ in words]
    cut_cost = [0.0] + [c for _, _, c in words[1:]] + [0.0]
    for wanted in (None, ideal):
        assert accel.dp.split_search(widths, sep, cut_cost, (max_len, max_lines, max_chars), wanted, short) == \
            split._search(widths, sep, cut_cost, (max_len, max_lines, max_chars), wanted, short)


@needs_c
@settings(max_examples=400, deadline=None)
@given(_WORDS, st.integers(1, 60), st.floats(0, 500, allow_nan=False))
def test_wrap_layout_compiled_is_the_python_layout(words, max_len, bonus):
    widths = [w for w, _, _ in words]
    glued = [g for _, g, _ in words]
    inf = float("inf")
    adj = [0.0] + [inf if c is None else (c - 4.0) * bonus for _, _, c in words[1:]] + [0.0]
    assert accel.dp.wrap_layout(widths, adj, max_len, glued) == wrap._search(widths, adj, max_len, glued)


def test_pure_python_switch_turns_the_helper_off():
    code = "from srtbuild.rules import accel; print(accel.dp is None)"
    env = {**os.environ, "SRTBUILD_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


@needs_c
def test_whole_files_come_out_the_same_either_way(tmp_path):
    # Long cues to split, lines to wrap, dialogs, CJK: every path of the two programmes.
    lines = []
    texts = [
        "so what we are going to do today is look at the way the equation behaves when the mass is large "
        "and then we will compare it with what happens when it is small, which is the interesting case",
        "- Are you coming?\n- Not today, I have far too much work to finish before the end of the week",
        "这是一个很长的中文句子需要被分成几个部分才能在屏幕上显示出来而且不能在标点符号前面断开。",
        "a b",
        "1 000 000 people watched the 10 000 metres final, and 250 000 of them were in the stadium itself",
    ]
    for i in range(40):
        start = i * 9000
        lines.append(f"{i + 1}\n00:{start // 60000:02d}:{start // 1000 % 60:02d},{start % 1000:03d} --> "
                     f"00:{(start + 8000) // 60000:02d}:{(start + 8000) // 1000 % 60:02d},000\n{texts[i % len(texts)]}\n")
    (tmp_path / "in.srt").write_text("\n".join(lines), encoding="utf-8")
    outs = []
    for pure in ("0", "1"):
        out = tmp_path / f"out{pure}.srt"
        env = {**os.environ, "SRTBUILD_PURE_PYTHON": pure}
        proc = subprocess.run([sys.executable, "-m", "srtbuild", "process", str(tmp_path / "in.srt"), "-o", str(out)],
                              env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert outs[0].count(b"-->") > 40  # the long cues were split


REAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real" / "lecture-sleep-club"


@needs_c
@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/corpus/real is not beside the repository")
def test_real_lectures_come_out_the_same_either_way(tmp_path):
    out = {}
    for pure in ("0", "1"):
        env = {**os.environ, "SRTBUILD_PURE_PYTHON": pure}
        proc = subprocess.run([sys.executable, "-m", "srtbuild", "batch", str(REAL), str(tmp_path / pure), "-q", "-j", "2"],
                              env=env, capture_output=True, text=True)
        assert proc.returncode in (0, 1), proc.stderr
        out[pure] = {p.relative_to(tmp_path / pure): p.read_bytes() for p in (tmp_path / pure).rglob("*.srt")}
    assert out["0"] and out["0"] == out["1"]


def test_numbers_past_the_helpers_range_take_the_python_path():
    # A "word" of 2**62 characters cannot exist in a subtitle, but must not overflow.
    words, widths, glued = ["a", "b", "c"], [2 ** 62, 0, 12], [False] * 3
    adj = [0.0, -1.0, 2.5, 0.0]
    assert wrap._layout(words, widths, adj, 5, None, glued) == ["a", "b", "c"]
    if accel.dp is not None:
        with pytest.raises(OverflowError):
            accel.dp.wrap_layout(widths, adj, 5, glued)
