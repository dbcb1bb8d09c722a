"""The doit reporter: live progress on a terminal, a plain log otherwise, errors always.

It watches doit's events and never does work. Diagnostics (and the progress line) go to
stderr; nothing here writes to stdout, which belongs to data. With `-j N` every method
runs in the main process (doit relays worker events), so counting here is safe.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any, TextIO

from srtbuild.processes import MemorySampler

PREFIX = "process:"
_LOG_EVERY_S = 10.0  # plain-log progress lines when stderr is not a terminal
_DRAW_EVERY_S = 0.1


_MB = 1024 * 1024


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class ProgressReporter:
    """doit reporter interface. `total`, `verbosity` and `source_of` are set per build by
    `reporter_for` (doit instantiates the class itself)."""

    total = 0
    verbosity = 1  # 0 quiet: errors only; 1 progress and a summary; 2 every file
    input_dir = "."
    stream: TextIO | None = None
    initially_up_to_date = 0
    unlisted: tuple[tuple[str, str], ...] = ()  # folders discovery could not list, as shown

    def __init__(self, outstream: Any, options: dict) -> None:
        self.err = self.stream or sys.stderr
        self.live = self.verbosity >= 1 and hasattr(self.err, "isatty") and self.err.isatty()
        self.started = time.monotonic()
        self.first_work: float | None = None
        self.processed = self.failed = self.segments = 0
        self.up_to_date = self.initially_up_to_date
        self.last_draw = 0.0
        self.last_log = self.started
        self.report_failed: str | None = None
        # Memory of the main process, doit's workers and the helpers together, sampled
        # while the run goes on (a helper grows between two finished files).
        self.memory = MemorySampler()
        self.memory.sample()
        self.memory.start()
        for folder, why in self.unlisted:  # their sources are unknown: said before any work
            self._line(f"{folder}/: error: {why}", always=True)

    # doit events ------------------------------------------------------------------
    def get_status(self, task: Any) -> None:
        pass

    def execute_task(self, task: Any) -> None:
        if self.first_work is None and task.name.startswith(PREFIX):
            self.first_work = time.monotonic()

    def add_success(self, task: Any) -> None:
        if not task.name.startswith(PREFIX):
            return
        values = task.values or {}
        self.processed += 1
        self.segments += values.get("segments") or 0
        if values.get("status") == "failed":
            self.failed += 1
            self._line(self._where(task, values) + f": error: {values.get('error')}", always=True)
        elif values.get("status") == "empty":
            self._line(f"{self._path(task)}: warning: empty file (no cue to show); its output is empty too")
        elif self.verbosity >= 2:
            self._line(f"{self._path(task)}: {values.get('segments')} cues, {values.get('corrections')} corrections")
        self._tick()

    def add_failure(self, task: Any, exception: Any) -> None:
        message = exception.get_msg().strip() if hasattr(exception, "get_msg") else str(exception)
        if task.name == "report":
            self.report_failed = message
            return
        if task.name.startswith(PREFIX):  # only with --stop-on-error: "rel[:line]: error: ..."
            self.processed += 1
            self.failed += 1
            prefix = "" if self.input_dir == "." else self.input_dir + "/"
            self._line(prefix + message, always=True)
        else:
            self._line(f"{task.name}: {message}", always=True)
        self._tick()

    def skip_uptodate(self, task: Any) -> None:
        if task.name.startswith(PREFIX):
            self.up_to_date += 1
            self._tick()

    def skip_ignore(self, task: Any) -> None:
        if task.name.startswith(PREFIX):
            self.up_to_date += 1

    def cleanup_error(self, exception: Any) -> None:
        self._line(f"srtbuild: clean-up error: {exception.get_msg() if hasattr(exception, 'get_msg') else exception}", always=True)

    def runtime_error(self, msg: str) -> None:
        self._line(f"srtbuild: error: {msg.strip()}", always=True)

    def teardown_task(self, task: Any) -> None:
        pass

    def complete_run(self) -> None:
        self._clear()
        peak = self.memory.stop()
        if self.verbosity >= 1:
            elapsed = time.monotonic() - self.started
            rate = self.processed / elapsed * 60 if elapsed > 0 else 0.0
            self.err.write(
                f"srtbuild: {self.processed} processed, {self.up_to_date} up to date, {self.failed} failed; "
                f"{self.segments} cues in {elapsed:.1f} s ({rate:.0f} files a minute, "
                f"peak memory {peak / _MB:.0f} MB, all processes)\n"
            )
        if self.report_failed and self.verbosity >= 0:
            self.err.write(f"srtbuild: {self.report_failed}\n")
        self.err.flush()

    # drawing -------------------------------------------------------------------------
    def _path(self, task: Any) -> str:
        rel = task.name[len(PREFIX):]
        return rel if self.input_dir == "." else f"{self.input_dir}/{rel}"

    def _where(self, task: Any, values: dict) -> str:
        return f"{self._path(task)}:{values['line']}" if values.get("line") else self._path(task)

    def _line(self, text: str, always: bool = False) -> None:
        if self.verbosity < 1 and not always:
            return
        self._clear()
        self.err.write(text + "\n")
        self.err.flush()
        self.last_draw = 0.0

    def _clear(self) -> None:
        if self.live and self.last_draw:
            self.err.write("\r\x1b[K")

    def status_line(self) -> str:
        done = self.processed + self.up_to_date
        now = time.monotonic()
        busy = now - (self.first_work or now)
        rate = self.processed / busy if busy > 0 else 0.0
        left = max(self.total - done, 0)
        eta = _duration(left / rate) if rate > 0 and left else "-"
        pct = 100.0 * done / self.total if self.total else 100.0
        return (f"[{done}/{self.total}] {pct:.0f}% | {self.processed} processed, {self.up_to_date} up to date, "
                f"{self.failed} failed | {rate:.1f} files/s, {self.segments / busy if busy > 0 else 0:.0f} cues/s "
                f"| ETA {eta} | {self.memory.current / _MB:.0f} MB in {self.memory.processes} processes")

    def _tick(self) -> None:
        if self.verbosity < 1:
            return
        now = time.monotonic()
        if self.live:
            if now - self.last_draw >= _DRAW_EVERY_S:
                # One screen line: a wrapped line could not be redrawn in place.
                width = max(shutil.get_terminal_size().columns - 1, 20)
                self.err.write("\r\x1b[K" + self.status_line()[:width])
                self.err.flush()
                self.last_draw = now
        elif self.processed and now - self.last_log >= _LOG_EVERY_S:
            self.err.write("srtbuild: " + self.status_line() + "\n")
            self.err.flush()
            self.last_log = now


def reporter_for(build: Any, verbosity: int = 1, stream: TextIO | None = None, up_to_date: int = 0) -> type:
    """A reporter class bound to one build (doit wants a class, and makes the instance).
    `up_to_date` counts sources found current before doit started."""
    return type("SrtbuildReporter", (ProgressReporter,), {
        "total": len(build.sources),
        "initially_up_to_date": up_to_date,
        "verbosity": verbosity,
        "input_dir": build.shown(build.where.input).replace(os.sep, "/"),
        "stream": stream,
        "unlisted": tuple((build.shown(os.path.join(build.where.input, f)), why) for f, why in build.unlisted),
    })
