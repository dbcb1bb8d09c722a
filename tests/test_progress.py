"""The progress reporter, driven by synthetic doit events and a fake clock: what a person
at a terminal, a log and a dashboard see."""

from __future__ import annotations

import io
import json
import re
from types import SimpleNamespace

import pytest

from srtbuild.reports.display import Palette, block, cell_width, color_allowed, plain_line, shorten
from srtbuild.reports.progress import ProgressReporter
from srtbuild.reports.tracker import Snapshot, Tracker, Workload

ESC = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def workload(n: int = 10, size: int = 10_000, cues: int = 100, up_to_date: int = 0) -> Workload:
    return Workload(sizes={f"f{i:02d}.srt": (size, cues) for i in range(n)}, up_to_date=up_to_date, jobs=3)


def reporter(stream: io.StringIO, clock: Clock, work: Workload | None = None, verbosity: int = 1,
             mode: str = "auto", color: str = "never", **extra: object) -> ProgressReporter:
    attrs = {"verbosity": verbosity, "input_dir": "lectures", "stream": stream, "workload": work or workload(),
             "mode": mode, "color": color, "interval_s": 0.5, "ticking": False, "clock": staticmethod(clock),
             "reports_shown": "build/.srtbuild/", **extra}
    rep = type("R", (ProgressReporter,), attrs)(None, {})
    rep.initialize({}, [])
    return rep


def task(name: str, **values: object) -> SimpleNamespace:
    return SimpleNamespace(name=f"process:{name}" if not name.startswith(("process", "report")) else name,
                           values=values)


def finish(rep: ProgressReporter, clock: Clock, name: str, after: float, segments: int = 100, **values: object) -> None:
    rep.execute_task(task(name))
    clock.now += after
    rep.add_success(task(name, status=values.pop("status", "ok"), segments=segments,
                         corrections=values.pop("corrections", 2), **values))


def frame_lines(text: str) -> list[list[str]]:
    """The frames of a live display: each redraw starts by erasing the last one."""
    frames = re.split(r"\r(?:\x1b\[\d+A)?\x1b\[J", text)
    return [[ESC.sub("", line) for line in f.split("\n")] for f in frames if f.strip()]


# the tracker ---------------------------------------------------------------------------
def test_the_total_counts_only_the_files_that_run_and_up_to_date_ones_apart() -> None:
    t = Tracker(workload(n=4, up_to_date=6), now=0.0)
    t.start("f00.srt", 0.0)
    t.finish("f00.srt", "ok", 10, 1, 1.0)
    snap = t.snapshot(1.0)
    assert (snap.done, snap.total, snap.up_to_date) == (1, 4, 6)
    assert snap.fraction == 0.25
    t.skip("f01.srt")  # doit found it up to date after all
    snap = t.snapshot(1.0)
    assert (snap.done, snap.total, snap.up_to_date) == (1, 3, 7)


def test_speeds_come_from_the_time_since_the_first_file_started() -> None:
    t = Tracker(workload(n=10), now=0.0)
    t.start("f00.srt", 5.0)  # five seconds of start-up do not count
    t.finish("f00.srt", "ok", 300, 0, 15.0)
    t.start("f01.srt", 15.0)
    t.finish("f01.srt", "failed", 0, 0, 25.0)
    snap = t.snapshot(25.0)
    assert snap.files_per_min == pytest.approx(6.0)  # 2 files in 20 s
    assert snap.segments_per_s == pytest.approx(15.0)
    assert (snap.ok, snap.failed) == (1, 1)


def test_the_eta_says_estimating_until_it_has_a_few_seconds_and_files_of_data() -> None:
    t = Tracker(workload(n=10), now=0.0)
    t.start("f00.srt", 0.0)
    t.finish("f00.srt", "ok", 100, 0, 1.0)
    assert t.eta(1.0) is None  # one file
    t.start("f01.srt", 1.0)
    t.finish("f01.srt", "ok", 100, 0, 2.0)
    assert t.eta(2.0) is None  # two seconds
    t.start("f02.srt", 2.0)
    t.finish("f02.srt", "ok", 100, 0, 3.0)
    assert t.eta(3.0) == pytest.approx(7.0)  # 7 files of equal size left at 1 a second


def test_the_eta_counts_down_between_files_and_is_never_zero_while_work_is_left() -> None:
    t = Tracker(workload(n=10), now=0.0)
    for i in range(4):
        t.start(f"f{i:02d}.srt", float(i))
        t.finish(f"f{i:02d}.srt", "ok", 100, 0, float(i + 1))
    assert t.eta(4.0) == pytest.approx(6.0)
    assert t.eta(6.5) == pytest.approx(3.5)
    t.start("f04.srt", 4.0)
    assert t.eta(20.0) == 1.0  # a file taking far longer than foreseen


def test_the_eta_is_smoothed_one_slow_file_does_not_make_it_jump() -> None:
    t = Tracker(workload(n=40), now=0.0)
    now = 0.0
    for i in range(10):
        t.start(f"f{i:02d}.srt", now)
        now += 1.0
        t.finish(f"f{i:02d}.srt", "ok", 100, 0, now)
    before = t.eta(now)
    assert before == pytest.approx(30.0, rel=0.05)
    t.start("f10.srt", now)
    now += 6.0  # one file six times as slow
    t.finish("f10.srt", "ok", 100, 0, now)
    raw = t.work_left() / (t.work_done / now)  # what the plain rate now says: 46.6 s
    after = t.eta(now)
    counted_down = before - 6.0
    assert counted_down < after < raw
    assert after - counted_down < 0.6 * (raw - counted_down)


def test_the_eta_follows_the_size_of_the_work_left_not_the_file_count() -> None:
    sizes = {"small.srt": (1_000, 10), "small2.srt": (1_000, 10), "small3.srt": (1_000, 10),
             "huge.srt": (100_000, 1000)}
    t = Tracker(Workload(sizes=sizes), now=0.0)
    for i, name in enumerate(("small.srt", "small2.srt", "small3.srt")):
        t.start(name, i * 1.0)
        t.finish(name, "ok", 10, 0, i + 1.0)
    assert t.eta(3.0) == pytest.approx(100.0)  # 1,000 bytes a second, 100,000 left


def test_files_in_progress_under_three_workers_in_the_order_they_started() -> None:
    t = Tracker(workload(n=10), now=0.0)
    for i in range(3):
        t.start(f"f{i:02d}.srt", 0.1 * i)
    assert [n for n, _ in t.snapshot(1.0).active] == ["f00.srt", "f01.srt", "f02.srt"]
    t.finish("f01.srt", "ok", 100, 0, 1.0)
    t.start("f03.srt", 1.0)
    assert [(n, c) for n, c in t.snapshot(1.0).active] == [("f00.srt", 100), ("f02.srt", 100), ("f03.srt", 100)]


# rendering -----------------------------------------------------------------------------
def snap(active: list[tuple[str, int]], **over: object) -> Snapshot:
    fields = dict(done=47, total=156, ok=46, failed=1, empty=0, up_to_date=12, corrections=1247, segments=9000,
                  active=active, elapsed_s=190.0, files_per_min=12.3, segments_per_s=2340.0, eta_s=522.0,
                  memory_bytes=84 << 20, processes=4)
    fields.update(over)
    return Snapshot(**fields)  # type: ignore[arg-type]


NAMES = [("lecture_bhagavad_gita_ch2.srt", 1210), ("ch3/lecture_04.srt", 812), ("講義/第二章_量子力学入門_とても長い題名.srt", 95)]


@pytest.mark.parametrize("width", [40, 80, 200])
def test_the_block_never_passes_the_terminal_width_and_shows_every_figure(width: int) -> None:
    lines = block(snap(NAMES), width)
    assert all(cell_width(line) <= width - 1 for line in lines), [(cell_width(x), x) for x in lines]
    text = "\n".join(lines)
    for figure in ("47/156", "30.1%", "46 ok", "1 failed", "12 up to date", "1,247 corrections", "12.3 files/min",
                   "2,340 segments/s", "84 MB (4 processes)", "8m 42s", "Ctrl+C stops"):
        assert figure in text, (figure, text)
    assert "now:" in text and ".srt" in text


def test_the_block_at_80_columns_is_the_one_in_the_issue() -> None:
    lines = block(snap(NAMES[:2]), 80)
    assert lines[0] == "srtbuild  47/156 files  30.1%  [#########---------------------]"
    assert lines[1] == "  now:   lecture_bhagavad_gita_ch2.srt (1,210 cues) | ch3/lecture_04.srt (812 cues)" or \
        cell_width(lines[1]) <= 79
    assert lines[-1] == "Ctrl+C stops after the files in progress; the next run resumes."


def test_at_200_columns_names_are_whole() -> None:
    text = "\n".join(block(snap(NAMES), 200))
    for name, _ in NAMES:
        assert name in text


def test_long_names_are_shortened_in_the_middle_wide_characters_counting_two() -> None:
    name = "講義/第二章_量子力学入門_とても長い題名.srt"
    assert cell_width(name) == 2 * (len(name) - 7) + 7  # seven ASCII characters: / _ _ . s r t
    short = shorten(name, 20)
    assert cell_width(short) <= 20 and short.startswith("講義") and short.endswith(".srt") and "…" in short
    assert shorten("a" * 50 + "_lecture_07.srt", 24).endswith("lecture_07.srt")
    text = "\n".join(block(snap(NAMES[2:]), 40))
    assert "…" in text and ".srt (95 cues)" not in text  # the name before its cue count


def test_many_workers_show_as_many_names_as_fit_then_a_count() -> None:
    active = [(f"course/lecture_{i:02d}.srt", 500) for i in range(16)]
    lines = block(snap(active), 80)
    now = [line for line in lines if line.startswith("  now:") or line.startswith("         ") and "lecture" in line]
    assert 1 <= len(now) <= 2 and "more" in now[-1]


def test_a_short_terminal_gets_a_block_that_fits_its_height() -> None:
    lines = block(snap(NAMES), 40, height=6)
    assert len(lines) <= 5


def test_estimating_before_the_eta_is_known() -> None:
    assert "ETA:   estimating" in "\n".join(block(snap([], eta_s=None), 80))
    assert "ETA estimating" in plain_line(snap([], eta_s=None))


def test_colour_only_where_allowed() -> None:
    tty, pipe = Tty(), io.StringIO()
    assert color_allowed("auto", tty, {"TERM": "xterm"})
    assert not color_allowed("auto", tty, {"TERM": "xterm", "NO_COLOR": "1"})
    assert not color_allowed("auto", tty, {"TERM": "dumb"})
    assert not color_allowed("auto", pipe, {"TERM": "xterm"})
    assert color_allowed("always", pipe, {"NO_COLOR": "1"})
    assert not color_allowed("never", tty, {})
    painted = "\n".join(block(snap(NAMES), 80, paint=Palette(True)))
    assert "\x1b[32m" in painted and ESC.sub("", painted) == "\n".join(block(snap(NAMES), 80))


# the reporter --------------------------------------------------------------------------
def test_a_terminal_gets_a_live_block_redrawn_in_place_then_the_summary(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("TERM", raising=False)
    clock, out = Clock(), Tty()
    rep = reporter(out, clock, workload(n=4, up_to_date=2))
    rep.execute_task(task("f00.srt"))
    rep.execute_task(task("f01.srt"))
    clock.now += 1.0
    rep.tick()
    frames = frame_lines(out.getvalue())
    assert "  now:   f00.srt (100 cues) | f01.srt (100 cues)" in frames[-1]
    finish(rep, clock, "f02.srt", 0.3, status="failed", segments=0, error="no cue found", line=7)
    finish(rep, clock, "f03.srt", 0.5, corrections=5)
    rep.add_success(task("f00.srt", status="ok", segments=100, corrections=1))
    rep.add_success(task("f01.srt", status="ok", segments=100, corrections=1))
    rep.add_success(task("report"))
    rep.complete_run()
    text = out.getvalue()
    assert "lectures/f02.srt:7: error: no cue found\n" in text
    assert "\x1b[J" in text and "\x1b[" in text and "A" in text  # erased, cursor moved up
    last = frame_lines(text)[-1]
    # The failed file's repairs count nowhere, as in the report.
    assert last[0].startswith("srtbuild: 4 processed, 2 up to date, 1 failed; 300 segments, 7 corrections in")
    assert last[1] == "srtbuild: reports in build/.srtbuild/ (summary.txt, report.html, report.json, report.csv)"
    # the block was redrawn after the error line, and says done: and the hint
    assert any("done:  1 ok  1 failed  2 up to date" in " ".join(f) for f in frame_lines(text))
    assert any(f[-1].startswith("Ctrl+C stops") for f in frame_lines(text)[:-1])


def test_redraws_come_at_most_every_interval() -> None:
    clock, out = Clock(), Tty()
    rep = reporter(out, clock, workload(n=50))
    for i in range(20):  # 20 files in 0.2 s
        finish(rep, clock, f"f{i:02d}.srt", 0.01)
    assert len(frame_lines(out.getvalue())) <= 1


def test_a_log_gets_plain_lines_every_tenth_of_the_work_and_no_escapes() -> None:
    clock, log = Clock(), io.StringIO()
    rep = reporter(log, clock, workload(n=20))
    for i in range(20):
        finish(rep, clock, f"f{i:02d}.srt", 0.01)
    rep.complete_run()
    text = log.getvalue()
    assert "\r" not in text and "\x1b" not in text
    marks = [line for line in text.splitlines() if re.match(r"srtbuild: \d+/20 files", line)]
    assert [m.split()[1] for m in marks] == [f"{n}/20" for n in range(2, 20, 2)]
    assert "srtbuild: 20 processed, 0 up to date, 0 failed; 2,000 segments, 40 corrections in" in text


def test_a_log_gets_a_line_every_twenty_intervals_on_a_long_file() -> None:
    clock, log = Clock(), io.StringIO()
    rep = reporter(log, clock, workload(n=100))
    rep.execute_task(task("f00.srt"))
    for _ in range(45):
        clock.now += 0.5
        rep.tick()
    lines = [x for x in log.getvalue().splitlines() if x.startswith("srtbuild: 0/100")]
    assert len(lines) == 2 and "now: lectures/f00.srt" not in lines[0] and "now: f00.srt" in lines[0]


def test_quiet_prints_errors_only_and_verbose_every_file() -> None:
    clock, quiet = Clock(), io.StringIO()
    rep = reporter(quiet, clock, workload(n=2), verbosity=0)
    finish(rep, clock, "f00.srt", 1)
    finish(rep, clock, "f01.srt", 1, status="failed", error="bad")
    rep.add_failure(task("report"), SimpleNamespace(get_msg=lambda: "1 of 2 files failed"))
    rep.complete_run()
    assert quiet.getvalue() == "lectures/f01.srt: error: bad\nsrtbuild: 1 of 2 files failed\n"
    clock, log = Clock(), io.StringIO()
    rep = reporter(log, clock, workload(n=2), verbosity=2)
    finish(rep, clock, "f00.srt", 1, segments=5, corrections=2)
    assert "lectures/f00.srt: 5 cues, 2 corrections\n" in log.getvalue()


def test_the_preflight_findings_come_first() -> None:
    clock, log = Clock(), io.StringIO()
    work = workload(n=3, up_to_date=5)
    work.estimate_s, work.estimate_basis = 125.0, "the last run's speed"
    work.doomed = [("f01.srt", 3, "binary data (NUL byte), not a subtitle file")]
    work.empty = ["f02.srt"]
    reporter(log, clock, work)
    lines = log.getvalue().splitlines()
    assert lines[0] == ("srtbuild: 3 files to process (29 kB, 300 cues), 5 up to date; "
                        "about 2m 05s at the last run's speed with 3 workers")
    assert "lectures/f01.srt:3: warning: will fail: binary data (NUL byte), not a subtitle file" in lines
    assert "lectures/f02.srt: warning: empty file (no cue to show); its output will be empty too" in lines


def test_json_progress_is_one_object_a_line() -> None:
    clock, out = Clock(), io.StringIO()
    rep = reporter(out, clock, workload(n=3), mode="json")
    finish(rep, clock, "f00.srt", 1.0)
    rep.execute_task(task("f01.srt"))
    clock.now += 0.6
    rep.tick()
    rep.add_success(task("f01.srt", status="failed", segments=0, corrections=0, error="bad", line=4))
    finish(rep, clock, "f02.srt", 1.0)
    rep.add_success(task("report", removed=0))
    rep.complete_run()
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "plan" and kinds[-1] == "end" and "progress" in kinds
    assert kinds.count("start") == 3 and kinds.count("file") == 3
    failed = next(e for e in events if e["event"] == "file" and e["status"] == "failed")
    assert failed["file"] == "lectures/f01.srt" and failed["line"] == 4 and failed["error"] == "bad"
    progress = next(e for e in events if e["event"] == "progress")
    for key in ("done", "total", "ok", "failed", "up_to_date", "corrections", "files_per_min", "segments_per_s",
                "eta_s", "memory_mb", "processes", "active", "elapsed_s"):
        assert key in progress
    assert progress["active"] == ["lectures/f01.srt"]
    assert events[-1]["done"] == 3 and events[-1]["failed"] == 1 and events[-1]["reports"] == "build/.srtbuild/"


def test_over_the_memory_ceiling_a_warning_once_and_fewer_files_at_once() -> None:
    clock, log = Clock(), io.StringIO()
    steps = iter([(3, 2), (2, 1), None])
    lowered = []

    def lower() -> tuple[int, int] | None:
        step = next(steps)
        lowered.append(step)
        return step

    rep = reporter(log, clock, workload(n=10), memory_limit_mb=1, lower=staticmethod(lower))
    for _ in range(40):
        clock.now += 0.5
        rep.tick()
    warnings = [line for line in log.getvalue().splitlines() if "max_memory_mb" in line]
    assert len(warnings) == 1
    assert "is above max_memory_mb (1 MB); processing 2 files at once instead of 3" in warnings[0]
    assert lowered[:2] == [(3, 2), (2, 1)]


def test_a_refused_preflight_stops_plain_doit_with_one_line() -> None:
    from srtbuild.engine.preflight import NoSpace

    def planner(names: list[str]) -> Workload:
        raise NoSpace("build: not enough free space to start")

    clock, log = Clock(), io.StringIO()
    cls = type("R", (ProgressReporter,), {"stream": log, "ticking": False, "clock": staticmethod(clock),
                                          "planner": staticmethod(planner)})
    rep = cls(None, {})
    with pytest.raises(SystemExit) as stop:
        rep.initialize({}, [])
    rep.complete_run()
    assert stop.value.code == 2
    assert log.getvalue() == "srtbuild: error: build: not enough free space to start\n"


def test_an_unsized_terminal_is_taken_as_80_by_24(monkeypatch) -> None:
    import os

    from srtbuild.reports.progress import _terminal_size

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
    master, slave = os.openpty()  # nobody set its size: 0 x 0
    try:
        stream = SimpleNamespace(fileno=lambda: slave)
        assert _terminal_size(stream) == (80, 24)  # type: ignore[arg-type]
        monkeypatch.setenv("COLUMNS", "132")
        assert _terminal_size(stream) == (132, 24)  # type: ignore[arg-type]
    finally:
        os.close(master)
        os.close(slave)


def test_a_file_named_like_a_separator_keeps_its_name_and_a_sliver_of_a_terminal_gets_one_line() -> None:
    lines = block(snap([("| evil.srt", 10), ("soft\u00adhyphen.srt", 5)]), 80)
    assert "| evil.srt (10 cues)" in lines[1]
    assert cell_width("soft\u00adhyphen") == 11  # terminals draw a soft hyphen
    for width in (1, 5, 12, 20):
        tiny = block(snap(NAMES), width, height=3)
        assert len(tiny) == 1 and cell_width(tiny[0]) <= max(width - 1, 1), tiny
