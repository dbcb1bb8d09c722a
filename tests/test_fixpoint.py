"""Rounds after the first run on windows of the changed cues: the outputs and the
records are those of whole rounds, on files built to make a window see too little."""

from __future__ import annotations

import random

import pytest

from srtbuild.config import Settings
from srtbuild.processor import correct
from srtbuild.rules import fixpoint


def _stamp(ms: int) -> str:
    ms = max(ms, 0)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _srt(cues: list[tuple[int, int, str]]) -> bytes:
    return "\n".join(f"{i}\n{_stamp(a)} --> {_stamp(b)}\n{t}\n" for i, (a, b, t) in enumerate(cues, 1)).encode()


def _both(data: bytes, monkeypatch) -> tuple:
    windowed = correct(data, Settings(), "t.srt")
    with monkeypatch.context() as m:
        m.setattr(fixpoint, "_windows", lambda changed, cues: None)  # every round whole
        whole = correct(data, Settings(), "t.srt")
    return windowed, whole


_WORDS = "the a i we go so and but um uh like you know it is was hello there this that world okay yeah".split()


def _line(rng: random.Random) -> str:
    words = []
    for _ in range(rng.randint(0, 9)):
        w = rng.choice(_WORDS)
        if rng.random() < 0.15:
            words.append(w)  # a stutter
        words.append(w.capitalize() if rng.random() < 0.1 else w)
    text = " ".join(words) + rng.choice(["", "", ".", "?", ",", "..."])
    return rng.choice([text] * 8 + ["♪ ♪", "um", "- " + text, "xin chào " + text, "[music]"])


def _hostile(seed: int) -> bytes:
    rng = random.Random(seed)
    cues, t, last = [], rng.randint(0, 3000), [""]
    for _ in range(rng.randint(30, 70)):
        lines = [last[-1], _line(rng)] if rng.random() < 0.15 else [_line(rng) for _ in range(rng.choice([1, 1, 2, 3]))]
        if rng.random() < 0.1:
            lines = [" ".join(_line(rng) for _ in range(6))]  # long: split
        text = "\n".join(lines)
        if rng.random() < 0.2:
            text = "{\\an8}" + text
        duration = rng.choice([rng.randint(5000, 12000), rng.randint(-200, 300), rng.randint(300, 3000), 0, 30])
        start = t - (rng.randint(0, 5000) if rng.random() < 0.1 else 0)  # out of order, nested
        cues.append((start, start + duration, text))
        last = lines
        t += rng.choice([0, 10, 40, 200, 800, 1500, 3000, rng.randint(0, 6000)])
    return _srt(cues)


@pytest.mark.parametrize("seed", range(60))
def test_windowed_rounds_give_what_whole_rounds_give(seed, monkeypatch):
    windowed, whole = _both(_hostile(seed), monkeypatch)
    assert windowed == whole


def test_a_sentence_start_reaches_a_window_across_cues_without_words(monkeypatch):
    # Music notes say nothing of sentences: a window's context must reach back to words.
    cues = [(1000, 3000, "It is done here.")]
    cues += [(4000 + k * 2500, 5500 + k * 2500, "♪ ♪") for k in range(6)]
    cues += [(19000, 25000, "we were talking about it"), (19300, 20300, "and so on and so forth")]
    cues += [(26000 + k * 3000, 28000 + k * 3000, f"line {k} is here") for k in range(20)]
    windowed, whole = _both(_srt(cues), monkeypatch)
    assert windowed == whole
    again = correct(windowed[0], Settings(), "t.srt")
    assert again[1]["corrections"] == 0


def test_a_file_wide_decision_is_made_on_the_whole_file(monkeypatch):
    # Two Vietnamese cues of 20 are 10%: repeated_words leaves the file alone; after split
    # adds a cue they are fewer, and the stutter goes. Windows never decide that.
    cues = [(k * 4000, k * 4000 + 3800, f"Line number {k} is here.") for k in range(20)]
    cues[0] = (0, 3800, "Tôi là người Việt.")
    cues[1] = (4000, 7800, "Cảm ơn bạn.")
    cues[5] = (20000, 23800, "This is a long sentence that goes on and on about many things. "
                             "Here is a second sentence that also goes on for quite a while. And a third one.")
    cues[17] = (68000, 71800, "I saw the the dog.")
    windowed, whole = _both(_srt(cues), monkeypatch)
    assert windowed == whole
    assert b"I saw the dog." in windowed[0]
