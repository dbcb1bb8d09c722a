"""The shaping rules end to end, as a content manager runs them: a repo of the kinds of
speech-recognition files the rules exist for, built with `srtbuild batch` and with plain
`doit`, checked in the outputs a viewer sees and in the report."""

from __future__ import annotations

import json

from buildrepo import batch, doit, make_repo, report

from srtbuild.rules.text import visible
from srtbuild.subtitles import read_bytes


def ts(ms: int) -> str:
    return f"{ms // 3_600_000:02}:{ms // 60_000 % 60:02}:{ms // 1000 % 60:02},{ms % 1000:03}"


def srt(cues: list[tuple[int, int, str]], arrow: str = " --> ") -> str:
    return "".join(f"{i}\n{ts(a)}{arrow}{ts(b)}\n{t}\n\n" for i, (a, b, t) in enumerate(cues, 1))


LINES = ["so today we are going to talk", "about the heat equation and", "why it shows up in so many places",
         "from physics to probability", "and even in finance"]


def rolling() -> str:
    cues, t = [], 0
    for i, line in enumerate(LINES):
        cues.append((t, t + 2000, line if i == 0 else LINES[i - 1] + "\n" + line))
        cues.append((t + 2000, t + 2010, line))
        t += 2010
    return srt(cues)


def word_level() -> str:
    words = "So this is the part where the model learns. Then we look at why it works.".split()
    return srt([(i * 300, i * 300 + 280, w) for i, w in enumerate(words)])


WHISPER = ("You just can't make it in the course with the Stanbaugh translation, both because it's not as "
           "good and she muffs up a lot of very complicated things to make them simple, but she also makes "
           "them false or not true to what Heidi was trying to say.")


def files() -> dict[str, str]:
    return {
        "rolling.srt": rolling(),
        "words.srt": word_level(),
        "whisper.srt": srt([(0, 2000, "Okay, about the books."), (2000, 16_000, WHISPER), (16_000, 18_000, "Any questions?")]),
        "arrows.srt": srt([(i * 3000, i * 3000 + 2500, f"Line number {i} of the lecture.") for i in range(40)], arrow=" - > "),
    }


def outputs(repo) -> dict[str, list]:
    return {name: read_bytes((repo / "build" / name).read_bytes(), name).cues for name in files()}


def check_readable(cues) -> None:
    for cue in cues:
        lines = visible(cue.text).split("\n")
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines), cue
        assert 833 <= cue.end - cue.start <= 7000, cue
    for a, b in zip(cues, cues[1:]):
        assert a.end <= b.start


def test_batch_makes_every_kind_of_speech_recognition_file_readable(tmp_path):
    repo = make_repo(tmp_path / "repo", files())
    run = batch(repo)
    assert run.returncode == 0, run.stderr
    out = outputs(repo)
    assert [c.text for c in out["rolling.srt"]] == [line.capitalize() if i == 0 else line for i, line in enumerate(LINES)]
    assert [c.text.replace("\n", " ") for c in out["words.srt"]] == [
        "So this is the part where the model learns.", "Then we look at why it works."]
    whisper = out["whisper.srt"]
    assert len(whisper) == 5 and " ".join(c.text.replace("\n", " ") for c in whisper[1:4]) == WHISPER
    assert len(out["arrows.srt"]) == 40
    for cues in out.values():
        check_readable(cues)
    totals = report(repo)["totals"]
    for rule in ("rollup", "merge", "split"):
        assert totals["corrections_by_rule"].get(rule, 0) > 0, rule
    sidecar = json.loads((repo / "build" / ".srtbuild" / "metrics" / "arrows.srt.json").read_text(encoding="utf-8"))
    assert sidecar["cues_dropped"] == 0 and sidecar["warnings_total"] >= 40  # each arrow repaired, with its line


def test_plain_doit_builds_the_same_outputs(tmp_path):
    built = make_repo(tmp_path / "a", files())
    assert batch(built).returncode == 0
    by_doit = make_repo(tmp_path / "b", files())
    run = doit(cwd=by_doit)
    assert run.returncode == 0, run.stderr
    for name in files():
        assert (by_doit / "build" / name).read_bytes() == (built / "build" / name).read_bytes(), name
