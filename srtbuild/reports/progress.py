"""The doit reporter: a live block on a terminal, plain lines in a log, JSON for tools,
errors always, and the summary at the end.

It watches doit's events and never does work. Everything goes to stderr; stdout belongs
to data. With `-j N` every method runs in the main process (doit relays the workers'
events, `execute_task` included, so the reporter knows which file each worker took). A
thread of its own redraws the block and samples the memory of the whole process tree
between events, since one long file can take minutes.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from typing import Any, Callable, TextIO

from srtbuild.errors import SrtbuildError
from srtbuild.processes import MemorySampler
from srtbuild.reports.display import (
    Palette,
    block,
    color_allowed,
    diagnostic,
    duration,
    is_terminal,
    json_line,
    plain_line,
    plural,
    size_text,
    snapshot_fields,
)
from srtbuild.reports.report import removed_note
from srtbuild.reports.tracker import Snapshot, Tracker, Workload

PREFIX = "process:"
_MB = 1024 * 1024
_LOG_EVERY = 20  # a log line every 20 redraw intervals (10 s by default)
_SAMPLE_EVERY_S = 0.5  # memory is sampled this often whatever the redraw interval
_DOOMED_SHOWN = 20

# Held while the display writes. doit forks its workers from the main thread while this
# reporter's thread may be writing: a child forked then would inherit a held stderr lock.
_WRITE = threading.RLock()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_WRITE.acquire, after_in_parent=_WRITE.release,
                        after_in_child=_WRITE.release)


_live: ProgressReporter | None = None  # the reporter of the run going on, for notice()
_json_after = False  # the last run's reporter wrote JSON: so do messages after it


def forget() -> None:
    """A new command begins in this process: no earlier run's display or JSON mode holds."""
    global _live, _json_after
    _live, _json_after = None, False


def restarting() -> None:
    """The run goes on in fresh workers (one was lost): the display of this part ends
    without a summary, and the next part's display takes over."""
    if _live is not None:
        _live.restarting = True


def notice(text: str, event: str = "message", as_json: bool | None = None, elapsed_s: float = 0.0) -> None:
    """A message of the run's own (not about one file), written through the reporter of
    the run going on (above its live block, or as a JSON event), else as a line: JSON if
    `as_json`, or if None, if the last run's progress was. `event` "stopping" also turns
    the block's Ctrl+C hint into the stopping one."""
    reporter = _live
    if reporter is None:
        as_json = _json_after if as_json is None else as_json
        print(json_line(event, elapsed_s, message=text.removeprefix("srtbuild: ")) if as_json else text,
              file=sys.stderr)
        return
    if event == "stopping":
        reporter.stopping = True
    reporter._diag(text, always=True, event=event, message=text.removeprefix("srtbuild: "))


class ProgressReporter:
    """doit reporter interface. The class attributes are set per build by `reporter_for`
    (doit wants a class, and makes the instance itself)."""

    verbosity = 1  # 0 quiet: errors only; 1 progress and a summary; 2 every file
    input_dir = "."
    stream: TextIO | None = None
    unlisted: tuple[tuple[str, str], ...] = ()  # folders discovery could not list, as shown
    workload: Workload | None = None  # the work ahead, when known before doit starts
    planner: Callable[[list[str]], Workload] | None = None  # else: the work of these sources
    mode = "auto"  # auto, live, plain, json
    color = "auto"
    interval_s = 0.5
    memory_limit_mb = 0  # 0: none
    lower: Callable[[], tuple[int, int] | None] | None = None  # fewer files at once, if it can
    waiting: Callable[[], int] | None = None  # files handed to a worker that wait for a slot
    reports_shown = ""  # where the reports are written, as shown
    reports_by_doit = False  # plain doit: its report task writes them (srtbuild batch also after a stop)
    ticking = True  # a thread redraws and samples; tests with a fake clock call tick()
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, outstream: Any, options: dict) -> None:
        self.err = self.stream or sys.stderr
        now = self.clock()
        terminal = is_terminal(self.err) and os.environ.get("TERM") != "dumb"
        self.kind = self.mode if self.mode != "auto" else "live" if terminal else "plain"
        self.paint = Palette(self.kind != "json" and color_allowed(self.color, self.err))
        self.tracker = Tracker(self.workload or Workload(), now)
        self.memory = MemorySampler()
        self.memory.sample()
        self.drawn = 0  # lines of the live block on screen now
        self.last_draw = self.last_log = self.last_lower = now
        self.next_mark = 0.1  # a log line at every tenth of the work
        self.report_failed: str | None = None
        self.report_values: dict | None = None  # the report task succeeded, with these
        self.refused = False
        self.memory_warned = False
        self.stopping = False  # Ctrl-C: the files in progress finish, no new one starts
        self.paused = False  # no more redraws: the report is being written
        self.restarting = False  # cut short by a lost worker: the run goes on, no summary
        self.lowest = self.lower is None  # no fewer files at once can be asked for
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        for folder, why in self.unlisted:  # their sources are unknown: said before any work
            self._diag(f"{folder}/: error: {why}", always=True, event="error", file=f"{folder}/", message=why)

    # doit events ------------------------------------------------------------------
    def initialize(self, tasks: dict, selected: list[str]) -> None:
        """Before the first task: the pre-flight check (for plain doit, of the sources its
        selection runs), its findings, and the live display."""
        global _live
        if self.planner is not None:
            try:
                work = self.planner(_process_names(tasks, selected))
            except SrtbuildError as exc:
                self.refused = True
                self._diag(f"srtbuild: error: {exc}", always=True, event="error", message=str(exc))
                raise SystemExit(exc.exit_code) from None
            self.tracker = Tracker(work, self.clock())
        self._announce(self.tracker.workload)
        _live = self
        if self.ticking:
            self._thread = threading.Thread(target=self._tick_loop, name="srtbuild-progress", daemon=True)
            self._thread.start()
            atexit.register(self._end_thread)  # if doit never calls complete_run

    def get_status(self, task: Any) -> None:
        pass

    def execute_task(self, task: Any) -> None:
        if task.name == "report":
            with _WRITE:  # the files are done; the report may write to stdout (`export_report: -`)
                self._erase()
                self.paused = True
            return
        if not task.name.startswith(PREFIX) or self.stopping:
            return  # after a Ctrl-C, a task doit hands a worker waits, and never runs
        with _WRITE:
            now = self.clock()
            name = task.name[len(PREFIX):]
            self.tracker.start(name, now)
            if self.kind == "json":
                size, cues = self.tracker.workload.sizes.get(name, (None, None))
                self._json("start", file=self._path(task), bytes=size, cues=cues)
            self._refresh(now)

    def add_success(self, task: Any) -> None:
        if task.name == "report":
            self.report_values = task.values or {}
            for warning in self.report_values.get("warnings") or ():
                self._diag(f"srtbuild: warning: {warning}", event="warning", message=warning)
            return
        if not task.name.startswith(PREFIX):
            return
        values = task.values or {}
        status = values.get("status") or "ok"
        with _WRITE:
            now = self.clock()
            name = task.name[len(PREFIX):]
            self.tracker.finish(name, status, values.get("segments") or 0, values.get("corrections") or 0, now)
            path = self._path(task)
            if self.kind == "json":
                self._json("file", file=path, status=status, segments=values.get("segments"),
                           corrections=values.get("corrections"), line=values.get("line"),
                           error=values.get("error") if status == "failed" else None)
            if status == "failed":
                self._diag(self._where(task, values) + f": error: {values.get('error')}", always=True)
            elif status == "empty" and name not in self.tracker.workload.empty:
                self._diag(f"{path}: warning: empty file (no cue to show); its output is empty too")
            elif self.verbosity >= 2:
                self._diag(f"{path}: {values.get('segments')} cues, {values.get('corrections')} corrections")
            self._progress_mark(now)
            self._refresh(now)

    def add_failure(self, task: Any, exception: Any) -> None:
        message = exception.get_msg().strip() if hasattr(exception, "get_msg") else str(exception)
        if task.name == "report":
            self.report_failed = message
            return
        with _WRITE:
            now = self.clock()
            if task.name.startswith(PREFIX):  # only with --stop-on-error: "rel[:line]: error: ..."
                self.tracker.finish(task.name[len(PREFIX):], "failed", 0, 0, now)
                prefix = "" if self.input_dir == "." else self.input_dir + "/"
                self._diag(prefix + message, always=True, event="file", file=self._path(task), status="failed",
                           error=message)
            else:
                self._diag(f"{task.name}: {message}", always=True, event="error", message=message)
            self._refresh(now)

    def skip_uptodate(self, task: Any) -> None:
        if task.name.startswith(PREFIX):
            with _WRITE:
                self.tracker.skip(task.name[len(PREFIX):])

    skip_ignore = skip_uptodate

    def cleanup_error(self, exception: Any) -> None:
        message = exception.get_msg() if hasattr(exception, "get_msg") else str(exception)
        self._diag(f"srtbuild: clean-up error: {message}", always=True, event="error", message=str(message))

    def runtime_error(self, msg: str) -> None:
        self._diag(f"srtbuild: error: {msg.strip()}", always=True, event="error", message=msg.strip())

    def teardown_task(self, task: Any) -> None:
        pass

    def _reports_written(self) -> bool:
        """The report task ran and wrote them (files may have failed: it then "fails")."""
        return self.report_values is not None or bool(
            self.report_failed and not self.report_failed.startswith("cannot write the reports"))

    def _end_thread(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join()

    def complete_run(self) -> None:
        global _live, _json_after
        if _live is self:
            _live = None
        _json_after = self.kind == "json"
        self._end_thread()
        atexit.unregister(self._end_thread)
        peak = self.memory.stop()
        if self.refused:
            return
        if self.restarting:
            with _WRITE:
                self._erase()
            return
        with _WRITE:
            self._erase()
            now = self.clock()
            t = self.tracker
            elapsed = now - t.started
            if self.kind == "json":
                self._json("end", **self._figures(now), peak_memory_mb=round(peak / _MB, 1),
                           reports=self.reports_shown if self._reports_written() else None,
                           removed=(self.report_values or {}).get("removed", 0), report_error=self.report_failed)
            elif self.verbosity >= 1:
                rate = t.done / elapsed * 60 if elapsed > 0 else 0.0
                took = f"{elapsed:.1f} s" if elapsed < 60 else duration(elapsed)
                empty = f"{t.empty:,} empty, " if t.empty else ""
                self._write(f"srtbuild: {t.done:,} processed, {t.up_to_date:,} up to date, {empty}{t.failed:,} "
                            f"failed; {plural(t.segments, 'segment')}, {plural(t.corrections, 'correction')} in "
                            f"{took} ({rate:,.0f} files a minute, peak memory {peak / _MB:,.0f} MB, all processes)\n")
                removed = (self.report_values or {}).get("removed")
                if removed:
                    self._write(f"srtbuild: {removed_note(removed)}\n")
                if self.report_values is not None and self.reports_shown:
                    self._write(f"srtbuild: reports in {self.reports_shown} (summary.txt, report.html, "
                                f"report.json, report.csv)\n")
                elif self.report_values is None and not self.report_failed and self.reports_by_doit:
                    self._write("srtbuild: the reports were not updated (doit did not run the report task); "
                                "the next run updates them\n")
            if self.report_failed and self.kind != "json" and self.verbosity >= 0:
                for line in self.report_failed.splitlines():
                    self._write(f"srtbuild: {line}\n")
            self.err.flush()

    # the thread ------------------------------------------------------------------------
    def _tick_loop(self) -> None:
        period = min(self.interval_s, _SAMPLE_EVERY_S)
        while not self._halt.wait(period):
            self.tick()

    def tick(self) -> None:
        """Sample memory, and redraw or log if it is time (the thread calls it)."""
        self.memory.sample()
        with _WRITE:
            now = self.clock()
            self._check_memory(now)
            if self.kind == "live" and self.verbosity >= 1 and now - self.last_draw >= self.interval_s:
                self._draw(now)
            elif self.kind == "json" and now - self.last_draw >= self.interval_s:
                self.last_draw = now
                self._json("progress", **self._figures(now))
            elif self.kind == "plain" and self.verbosity >= 1 and now - self.last_log >= self.interval_s * _LOG_EVERY:
                self._log(now)

    def _check_memory(self, now: float) -> None:
        limit = self.memory_limit_mb * _MB
        if not limit or self.memory.current <= limit:
            return
        if self.memory_warned and now - self.last_lower < 5 * self.interval_s + 2:
            return  # give the last step time to show
        self.last_lower = now
        step = None if self.lowest else self.lower()  # type: ignore[misc]
        self.lowest = step is None
        if self.memory_warned:
            return
        self.memory_warned = True
        what = (f"processing {step[1]} file{'s' if step[1] > 1 else ''} at once instead of {step[0]}" if step
                else "it already processes one file at a time")
        text = (f"srtbuild: warning: memory {self.memory.current / _MB:,.0f} MB (all processes) is above "
                f"max_memory_mb ({self.memory_limit_mb:,} MB); {what}")
        self._diag(text, event="warning", message=text.split("warning: ", 1)[1])

    # drawing ---------------------------------------------------------------------------
    def _announce(self, work: Workload) -> None:
        """The pre-flight's findings, before the first file."""
        shown = [(name, line, why) for name, line, why in work.doomed[:_DOOMED_SHOWN]]
        if self.kind == "json":
            self._json("plan", files=work.files, up_to_date=work.up_to_date, bytes=work.bytes, cues=work.cues,
                       jobs=work.jobs, estimate_s=None if work.estimate_s is None else round(work.estimate_s, 1),
                       need_bytes=work.need_bytes, free_bytes=work.free_bytes)
        elif self.verbosity >= 1 and work.files:
            text = (f"srtbuild: {work.files:,} file{'s' if work.files != 1 else ''} to process "
                    f"({size_text(work.bytes)}, {plural(work.cues, 'cue')}), {work.up_to_date:,} up to date")
            if work.estimate_s is not None and work.estimate_basis:
                text += (f"; about {duration(work.estimate_s)} at {work.estimate_basis} with {work.jobs} "
                         f"worker{'s' if work.jobs != 1 else ''}")
            self._diag(text)
        for name, line, why in shown:
            where = self._shown(name) + (f":{line}" if line else "")
            self._diag(f"{where}: warning: will fail: {why}", event="warning", file=self._shown(name), line=line,
                       message=f"will fail: {why}")
        if len(work.doomed) > len(shown):
            more = len(work.doomed) - len(shown)
            self._diag(f"srtbuild: warning: and {more:,} more sources that will fail", event="warning",
                       message=f"and {more} more sources that will fail")
        for name in work.empty:
            self._diag(f"{self._shown(name)}: warning: empty file (no cue to show); its output will be empty too",
                       event="warning", file=self._shown(name), message="empty file")

    def _snapshot(self, now: float) -> Snapshot:
        waiting = self.waiting() if self.waiting is not None else 0
        return self.tracker.snapshot(now, self.memory.current, self.memory.processes, waiting)

    def _figures(self, now: float) -> dict:
        fields = snapshot_fields(self._snapshot(now))
        fields["active"] = [self._shown(name) for name in fields["active"]]
        return fields

    def _refresh(self, now: float) -> None:
        if self.kind == "live" and self.verbosity >= 1 and now - self.last_draw >= self.interval_s:
            self._draw(now)

    def _progress_mark(self, now: float) -> None:
        """Plain logs: a line at every tenth of the work (the thread adds one every
        20 intervals)."""
        t = self.tracker
        if self.kind != "plain" or self.verbosity < 1 or not t.total or t.done >= t.total:
            return
        if t.done / t.total >= self.next_mark:
            self._log(now)
            self.next_mark = (int(t.done / t.total * 10) + 1) / 10

    def _log(self, now: float) -> None:
        self.last_log = now
        self._write(plain_line(self._snapshot(now)) + "\n")

    def _draw(self, now: float) -> None:
        self.last_draw = now
        if self.paused:
            return
        width, height = _terminal_size(self.err)
        snap = self._snapshot(now)
        lines = block(snap, width, height, self.paint, stopping=self.stopping)
        self._erase()
        self._write("\n".join(lines))
        self.drawn = len(lines)
        self.err.flush()

    def _erase(self) -> None:
        """Take the live block off the screen, the cursor back where it began."""
        if self.drawn:
            up = f"\x1b[{self.drawn - 1}A" if self.drawn > 1 else ""
            self._write(f"\r{up}\x1b[J")
            self.drawn = 0

    def _diag(self, text: str, always: bool = False, event: str | None = None, **fields: Any) -> None:
        """One message: a line above the live block, a log line, or a JSON event."""
        with _WRITE:
            if self.kind == "json":
                if event is not None:  # else the caller writes its own event (a `file` one)
                    self._json(event, **fields)
                return
            if self.verbosity < 1 and not always:
                return
            redraw = self.drawn > 0 and not self.paused
            self._erase()
            self._write(diagnostic(text, self.paint) + "\n")
            if redraw:
                self._draw(self.clock())
            self.err.flush()

    def _json(self, event: str, **fields: Any) -> None:
        self._write(json_line(event, self.clock() - self.tracker.started, **fields) + "\n")
        self.err.flush()

    def _write(self, text: str) -> None:
        try:
            self.err.write(text)
        except (OSError, ValueError):  # a closed or broken stderr must not stop the build
            pass

    def _shown(self, name: str) -> str:
        return name if self.input_dir == "." else f"{self.input_dir}/{name}"

    def _path(self, task: Any) -> str:
        return self._shown(task.name[len(PREFIX):])

    def _where(self, task: Any, values: dict) -> str:
        return f"{self._path(task)}:{values['line']}" if values.get("line") else self._path(task)


def _terminal_size(stream: TextIO) -> tuple[int, int]:
    """Columns and lines of the terminal `stream` is (COLUMNS and LINES win, as for
    shutil), else 80 x 24."""
    size: list[int] = []
    for var, index, default in (("COLUMNS", 0, 80), ("LINES", 1, 24)):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            size.append(int(value))
            continue
        try:
            # A pseudo-terminal nobody sized says 0 x 0.
            size.append(os.get_terminal_size(stream.fileno())[index] or default)
        except (AttributeError, ValueError, OSError):
            size.append(default)
    return size[0], size[1]


def _process_names(tasks: dict, selected: list[str]) -> list[str]:
    """The sources doit's selection reaches (`process`, `report` and `process:NAME` all
    reach theirs through task_dep)."""
    names: list[str] = []
    seen: set[str] = set()
    todo = list(selected)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        task = tasks.get(name)
        if task is None:
            continue
        if name.startswith(PREFIX):
            names.append(name[len(PREFIX):])
        todo.extend(task.task_dep)
    return names


def reporter_for(build: Any, verbosity: int = 1, stream: TextIO | None = None, up_to_date: int = 0,
                 workload: Workload | None = None, planner: Callable[[list[str]], Workload] | None = None,
                 lower: Callable[[], tuple[int, int] | None] | None = None,
                 waiting: Callable[[], int] | None = None) -> type:
    """A reporter class bound to one build (doit wants a class, and makes the instance).
    `workload` is the work ahead when known (srtbuild batch), `planner` finds it for the
    sources doit's selection reaches (plain doit); `up_to_date` counts the sources found
    current before doit started."""
    options = build.options
    work = workload if workload is not None else Workload(up_to_date=up_to_date, jobs=options.jobs)
    return type("SrtbuildReporter", (ProgressReporter,), {
        "verbosity": verbosity,
        "input_dir": build.shown(build.where.input).replace(os.sep, "/"),
        "stream": stream,
        "unlisted": tuple((build.shown(os.path.join(build.where.input, f)), why) for f, why in build.unlisted),
        "workload": work,
        "planner": staticmethod(planner) if planner is not None else None,
        "mode": options.progress,
        "color": options.color,
        "interval_s": options.progress_interval_s,
        "memory_limit_mb": options.max_memory_mb,
        "lower": staticmethod(lower) if lower is not None else None,
        "waiting": staticmethod(waiting) if waiting is not None else None,
        "reports_by_doit": planner is not None,
        "reports_shown": build.shown(build.where.state_dir).replace(os.sep, "/") + "/",
    })
