"""The progress reporter: what a person at a terminal, and a log, see."""

from __future__ import annotations

import io
from types import SimpleNamespace

from srtbuild.reports.progress import ProgressReporter


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _reporter(stream: io.StringIO, verbosity: int = 1, total: int = 4, current: int = 1) -> ProgressReporter:
    cls = type("R", (ProgressReporter,), {"total": total, "verbosity": verbosity, "input_dir": "lectures",
                                          "stream": stream, "initially_up_to_date": current})
    return cls(None, {})


def _task(name: str, **values: object) -> SimpleNamespace:
    return SimpleNamespace(name=name, values=values)


def test_terminal_shows_a_live_line_with_rate_and_time_left_then_a_summary(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    out = _Tty()
    rep = _reporter(out)
    rep.execute_task(_task("process:a.srt"))
    rep.add_success(_task("process:a.srt", status="ok", segments=100, corrections=3))
    rep.add_success(_task("process:b.srt", status="failed", segments=0, error="no cue found", line=7))
    rep.skip_uptodate(_task("process:c.srt"))
    rep.complete_run()
    text = out.getvalue()
    assert "\r\x1b[K[" in text and "files/s" in text and "ETA" in text and "MB" in text
    assert "lectures/b.srt:7: error: no cue found\n" in text
    assert "srtbuild: 2 processed, 2 up to date, 1 failed; 100 cues in" in text


def test_the_live_line_fits_the_terminal(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    out = _Tty()
    rep = _reporter(out)
    rep.add_success(_task("process:a.srt", status="ok", segments=100, corrections=3))
    drawn = out.getvalue().split("\r\x1b[K")[-1]
    assert 0 < len(drawn) <= 39


def test_a_log_gets_plain_lines_and_quiet_only_errors() -> None:
    log = io.StringIO()
    rep = _reporter(log)
    rep.add_success(_task("process:a.srt", status="ok", segments=5, corrections=0))
    rep.complete_run()
    assert "\r" not in log.getvalue() and "1 processed, 1 up to date, 0 failed" in log.getvalue()
    quiet = io.StringIO()
    rep = _reporter(quiet, verbosity=0)
    rep.add_success(_task("process:a.srt", status="ok", segments=5, corrections=0))
    rep.add_success(_task("process:b.srt", status="failed", segments=0, error="bad", line=None))
    rep.add_failure(_task("report"), SimpleNamespace(get_msg=lambda: "1 of 2 files failed"))
    rep.complete_run()
    assert quiet.getvalue() == "lectures/b.srt: error: bad\nsrtbuild: 1 of 2 files failed\n"


def test_verbose_lists_every_file() -> None:
    log = io.StringIO()
    rep = _reporter(log, verbosity=2)
    rep.add_success(_task("process:a.srt", status="ok", segments=5, corrections=2))
    assert "lectures/a.srt: 5 cues, 2 corrections\n" in log.getvalue()
