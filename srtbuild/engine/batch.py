"""`srtbuild batch`: options, the run lock, the dry run, signals, exit codes.

The build itself is doit's (srtbuild.engine.embed runs it in-process, with the tasks and the
state a dodo.py gets), after srtbuild.engine.uptodate has picked the sources doit would run.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator, TextIO

from srtbuild.config import Settings, find_config, load_settings
from srtbuild.confined import OutputRoot, write_atomic
from srtbuild.engine.isolation import stopping
from srtbuild.engine.project import Build, plan
from srtbuild.engine.state import OutputUnwritable, check_state, guard_state, lock_for
from srtbuild.engine.uptodate import REFRESH, outdated
from srtbuild.errors import SrtbuildError, UsageError
from srtbuild.names import STATE_DIR
from srtbuild.processes import adopt_orphans, descendants, end_children
from srtbuild.reports.progress import reporter_for
from srtbuild.reports.report import LAST_RUN, failure_note, render, write_reports

EXPORT_FORMATS = ("json", "csv", "md", "html")
_MAX_WORKER_LOSSES = 3


@dataclass
class BatchOptions:
    input: str
    output: str
    config: str | None = None
    patterns: list[str] = field(default_factory=list)
    recursive: bool | None = None
    parallel: int = 1
    force: bool = False
    stop_on_error: bool = False
    dry_run: bool = False
    export_report: str | None = None
    export_format: str = "json"
    verbosity: int = 1  # 0 quiet, 1 normal, 2 verbose


def make_build(opts: BatchOptions) -> Build:
    for name, value in (("INPUT_DIR", opts.input), ("OUTPUT_DIR", opts.output)):
        if not value.strip():
            raise UsageError(f"{name} is empty; give a folder (use . for the current one)")
    if opts.export_report is not None and not opts.export_report.strip():
        raise UsageError("--export-report: give a file name, or - for stdout")
    if opts.parallel < 1:
        raise UsageError(f"-j/--parallel: expected 1 or more processes, got {opts.parallel}")
    if opts.export_format not in EXPORT_FORMATS:
        raise UsageError(f"--export-format: expected one of {', '.join(EXPORT_FORMATS)}, got {opts.export_format!r}")
    settings = settings_for(opts.config, Path(opts.input))
    # Paths in the state are relative to the folder of the srtbuild.yaml in use, or to the
    # input folder without one: never to the current folder, which changes between runs.
    base = Path(settings.root) if settings.path else Path(opts.input).resolve()
    build = plan(settings, os.path.abspath(opts.input), os.path.abspath(opts.output),
                 opts.patterns or None, opts.recursive, base=base)
    build.stop_on_error = opts.stop_on_error
    build.parallel = opts.parallel
    return build


def settings_for(config: str | None, input_dir: Path) -> Settings:
    """`--config FILE`, else the nearest srtbuild.yaml from the input folder upward, else
    from the current folder upward, else the defaults: the same command gives the same
    settings from wherever it is run, as long as the course carries its srtbuild.yaml."""
    if config is not None:
        return load_settings(config)
    found = find_config(input_dir) if input_dir.is_dir() else None
    return load_settings(found) if found else load_settings(None)


@contextmanager
def _in_folder(path: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextmanager
def _stop_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM stop the run: no new file starts, state is saved. Both first say
    so (srtbuild.engine.isolation.stopping), so that workers dying next are not taken for lost."""

    def handler(signum: int, frame: object) -> None:
        stopping.set()
        raise KeyboardInterrupt

    try:
        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_batch(opts: BatchOptions, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    build = make_build(opts)
    if opts.verbosity >= 2:
        config = build.config_file
        print(f"srtbuild: settings from {config}" if config else "srtbuild: default settings (no srtbuild.yaml found)",
              file=sys.stderr)
    if not build.sources and not build.unlisted:
        patterns = ", ".join(opts.patterns or build.settings.patterns)
        print(f"srtbuild: warning: no file in {build.shown(build.where.input)} matches {patterns}", file=sys.stderr)
    if opts.dry_run:
        return dry_run(build, opts.force, out)
    state_file = str(build.where.absolute(build.where.state_file))
    guard_state(state_file)  # OUTPUT/.srtbuild made, and no link where SQLite would follow it
    lock = lock_for(state_file)
    lock.acquire()
    try:
        if opts.force:  # without it the up-to-date check reads the state first, and says so
            check_state(state_file)  # in one line, here, rather than through doit
    except SrtbuildError:
        lock.release()
        raise
    interrupted = False
    export: str | None = None
    # Whatever happens below, no process this run starts outlives it: orphans (a helper
    # whose worker was killed) are handed to this process, and all are ended at the end.
    already = frozenset(descendants())
    adopting = adopt_orphans()
    try:
        with _in_folder(build.where.base), _stop_signals():
            lost = 0
            while True:
                selected = [src for src, _ in outdated(build, opts.force and not lost)]
                if not selected:
                    # Nothing to process: of doit's tasks only `report` would run. Its
                    # action is run here, without loading doit at all.
                    code = _report_only(build, opts.verbosity)
                    break
                from srtbuild.engine.embed import (  # doit is loaded only when there is work
                    WorkerLost,
                    run_doit,
                )

                try:
                    code = run_doit(build, selected, opts.parallel, opts.force and not lost, opts.verbosity)
                except KeyboardInterrupt:
                    interrupted = True
                    code = 130
                except WorkerLost as exc:
                    # doit would have waited forever. What finished is committed; the files
                    # in flight run again, in a fresh set of workers.
                    lost += 1
                    if lost > _MAX_WORKER_LOSSES:
                        raise SrtbuildError(f"{exc}; {lost} times: giving up (run again to resume)") from None
                    print(f"srtbuild: {exc}; starting the files not finished again", file=sys.stderr)
                    continue
                break
            root = OutputRoot(build.where.absolute(build.where.output))
            last = root.stat(f"{STATE_DIR}/{LAST_RUN}")
            try:
                if last is None or last.st_mtime < build.started:
                    # doit did not get to the report task (stopped on an error or
                    # interrupted): the report still covers what exists now.
                    write_reports(build.run())
                brief = json.loads(root.read(f"{STATE_DIR}/{LAST_RUN}"))
            except OSError as exc:
                raise OutputUnwritable(f"cannot write the reports ({exc.strerror or exc}); free space or "
                                       "make the output folder writable, and run again",
                                       build.shown(build.where.output)) from None
        export = _render(root, opts.export_format, build.settings.report["worst_files"]) if opts.export_report else None
    finally:
        end_children(already)
        if adopting:
            adopt_orphans(False)
        lock.release()
    if export is not None:  # the lock is free: a slow reader of FILE holds up no other run
        _write_export(opts.export_report, export, out)
    if interrupted or lost:
        # doit's worker queues, left with unsent jobs, can make multiprocessing's exit
        # hook wait forever on a feeder thread. State, lock and report are done: leave.
        code = 130 if interrupted else _exit_code(code, brief)
        if interrupted:
            print("srtbuild: interrupted; finished files are saved, run again to resume", file=sys.stderr)
        if opts.parallel > 1:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    return _exit_code(code, brief)


def _exit_code(code: int, brief: dict) -> int:
    t = brief["totals"]
    # A source with no result after a whole run (its sidecar could not be written) did not
    # succeed either.
    failed = t["failed"] + t.get("unlisted_folders", 0) + t.get("pending", 0)
    if code == 3 or (code not in (0, 1) and not failed):
        return 3
    return 1 if failed or code else 0


def _report_only(build: Build, verbosity: int) -> int:
    reporter = reporter_for(build, verbosity, up_to_date=len(build.sources))(None, {})
    run = build.run()
    note = failure_note(run, write_reports(run))
    if note:
        reporter.add_failure(SimpleNamespace(name="report"), SimpleNamespace(get_msg=lambda: note))
    reporter.complete_run()
    return 1 if note else 0


def _render(root: OutputRoot, fmt: str, worst: int) -> str:
    text = root.read(f"{STATE_DIR}/report.json").decode("utf-8")
    return text if fmt == "json" else render(json.loads(text), fmt, worst)


def _write_export(target: str, text: str, out: TextIO) -> None:
    if target == "-":
        out.write(text)
        out.flush()
        return
    try:
        if os.path.isdir(target):
            raise IsADirectoryError(errno.EISDIR, "is a folder")
        if os.path.exists(target) and not os.path.isfile(target):
            # A pipe, a terminal, /dev/stdout, `>(cmd)`: written to, never replaced. Opened
            # without waiting: a FIFO nobody reads is an error, not a hang.
            fd = os.open(target, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
            os.set_blocking(fd, True)
            with os.fdopen(fd, "wb") as fh:
                fh.write(text.encode("utf-8"))
        else:
            write_atomic(target, text.encode("utf-8"))
    except OSError as exc:
        why = "nothing is reading from it" if exc.errno == errno.ENXIO else exc.strerror or str(exc)
        raise UsageError(f"{target}: cannot write the report there: {why}") from None


def dry_run(build: Build, force: bool, out: TextIO) -> int:
    """List what a run would process and why; reads the state, writes nothing."""
    todo = [(src, why) for src, why in outdated(build, force) if why != REFRESH]
    for src, reason in todo:
        out.write(f"would process {src.name}: {reason}\n")
    for folder, why in build.unlisted:
        print(f"{build.shown(os.path.join(build.where.input, folder))}/: error: {why}", file=sys.stderr)
    out.write(f"{len(todo)} to process, {len(build.sources) - len(todo)} up to date "
              f"({len(build.sources)} sources in {build.shown(build.where.input)})\n")
    return 0
