"""`srtbuild batch`: options, the run lock, the dry run, signals, exit codes.

The build itself is doit's (srtbuild.engine.embed runs it in-process, with the tasks and the
state a dodo.py gets), after srtbuild.engine.uptodate has picked the sources doit would run.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator, TextIO

from srtbuild.config import EXPORT_FORMATS, Settings, csv_delimiter, find_config, load_settings
from srtbuild.confined import OutputRoot
from srtbuild.engine.isolation import stopping
from srtbuild.engine.throttle import begin_drain, draining
from srtbuild.engine.project import Build, plan, run_options
from srtbuild.engine.state import OutputUnwritable, check_state, guard_state, lock_for
from srtbuild.engine.uptodate import REFRESH, outdated
from srtbuild.errors import SrtbuildError, UsageError
from srtbuild.names import STATE_DIR
from srtbuild.processes import adopt_orphans, descendants, end_children
from srtbuild.reports.progress import reporter_for
from srtbuild.reports.display import duration, size_text
from srtbuild.reports.export import export_text, write_export
from srtbuild.reports.progress import notice
from srtbuild.reports.report import LAST_RUN, report_outcome, write_reports

_MAX_WORKER_LOSSES = 3
FAIL_ON = ("error", "warning", "never")
FORMATS = ("text", "github", "gitlab", "junit", "auto")  # srtbuild.reports.ci


@dataclass
class BatchOptions:
    """The command line of `srtbuild batch`. None: not given, srtbuild.yaml's `batch:`
    section (or its default) decides."""

    input: str
    output: str
    config: str | None = None
    patterns: list[str] = field(default_factory=list)
    recursive: bool | None = None
    exclude: list[str] | None = None
    parallel: int | None = None
    force: bool | None = None
    stop_on_error: bool | None = None
    dry_run: bool = False
    export_report: str | None = None
    export_format: str | None = None
    timeout_s: float | None = None
    max_memory_mb: int | None = None
    progress_interval_s: float | None = None
    progress: str | None = None
    color: str | None = None
    verbosity: int = 1  # 0 quiet, 1 normal, 2 verbose
    format: str = "text"  # what CI reads: text, github, gitlab, junit, auto (srtbuild.reports.ci)
    format_output: str | None = None  # where gitlab and junit go (None: stdout)
    annotate: str = "errors"  # "warnings": the files' findings too
    fail_on: str = "error"  # what makes the exit code 1: error, warning, never
    csv_bom: bool | None = None  # None: the settings' report.csv_bom
    csv_delimiter: str | None = None


def make_build(opts: BatchOptions) -> Build:
    for name, value in (("INPUT_DIR", opts.input), ("OUTPUT_DIR", opts.output)):
        if not value.strip():
            raise UsageError(f"{name} is empty; give a folder (use . for the current one)")
    if opts.export_report is not None and not opts.export_report.strip():
        raise UsageError("--export-report: give a file name, or - for stdout")
    if opts.format not in FORMATS:
        raise UsageError(f"--format: expected one of {', '.join(FORMATS)}, got {opts.format!r}")
    if opts.fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on: expected one of {', '.join(FAIL_ON)}, got {opts.fail_on!r}")
    if opts.annotate not in ("errors", "warnings"):
        raise UsageError(f"--annotate: expected errors or warnings, got {opts.annotate!r}")
    if opts.format_output is not None:
        if not opts.format_output.strip():
            raise UsageError("--format-output: give a file name, or - for stdout")
        if opts.format == "text":
            raise UsageError("--format-output: give --format github, gitlab, junit or auto as well")
    if opts.format != "text" and opts.export_report == "-" and (opts.format_output or "-") == "-":
        raise UsageError("--export-report - and --format both write to stdout: give one of them a file")
    if opts.parallel is not None and not 1 <= opts.parallel <= 1024:
        raise UsageError(f"-j/--parallel: expected 1 to 1,024 processes, got {opts.parallel}")
    if opts.export_format is not None and opts.export_format not in EXPORT_FORMATS:
        raise UsageError(f"--export-format: expected one of {', '.join(EXPORT_FORMATS)}, got {opts.export_format!r}")
    for flag, value, low, high in (("--timeout", opts.timeout_s, 0.001, 7 * 86400),
                                   ("--max-memory", opts.max_memory_mb, 1, 1 << 24),
                                   ("--progress-interval", opts.progress_interval_s, 0.05, 3600)):
        if value is not None and not low <= value <= high:
            raise UsageError(f"{flag}: expected {low:g} to {high:,}, got {value:g}")
    settings = settings_for(opts.config, Path(opts.input))
    if opts.timeout_s is not None:
        settings.timeout_s = opts.timeout_s  # not in the digest: a longer wait rebuilds nothing
    if opts.csv_bom is not None:  # the report's settings: rebuild nothing either
        settings.report["csv_bom"] = opts.csv_bom
    if opts.csv_delimiter is not None:
        delimiter = csv_delimiter(opts.csv_delimiter)
        if delimiter is None:
            raise UsageError(f"--csv-delimiter: expected one of , ; tab |, got {opts.csv_delimiter!r}")
        settings.report["csv_delimiter"] = delimiter
    # Paths in the state are relative to the folder of the srtbuild.yaml in use, or to the
    # input folder without one: never to the current folder, which changes between runs.
    base = Path(settings.root) if settings.path else Path(opts.input).resolve()
    build = plan(settings, os.path.abspath(opts.input), os.path.abspath(opts.output),
                 opts.patterns or None, opts.recursive, base=base, exclude=opts.exclude)
    build.options = run_options(
        settings, jobs=opts.parallel, force=opts.force, stop_on_error=opts.stop_on_error,
        export_report=opts.export_report, export_format=opts.export_format,
        progress_interval_s=opts.progress_interval_s, max_memory_mb=opts.max_memory_mb,
        progress=opts.progress, color=opts.color, verbosity=opts.verbosity)
    build.check_export()
    build.check_export(opts.format_output, f"the {opts.format} output", "--format-output")
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
    """A first Ctrl-C lets the files in progress finish and starts no new one; a second
    one, or SIGTERM, stops the run at once. Either way finished files are saved. Stopping
    first says so (srtbuild.engine.isolation.stopping), so that workers dying next are not
    taken for lost."""

    def handler(signum: int, frame: object) -> None:
        if begin_drain(signum):
            return
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
    options = build.options
    if options.verbosity >= 2:
        config = build.config_file
        _say(build, f"srtbuild: settings from {config}" if config else
             "srtbuild: default settings (no srtbuild.yaml found)")
    if not build.sources and not build.unlisted:
        patterns = ", ".join(opts.patterns or build.settings.patterns)
        _say(build, f"srtbuild: warning: no file in {build.shown(build.where.input)} matches {patterns}", "warning")
    if opts.dry_run:
        return dry_run(build, options.force, out)
    state_file = str(build.where.absolute(build.where.state_file))
    guard_state(state_file)  # OUTPUT/.srtbuild made, and no link where SQLite would follow it
    lock = lock_for(state_file)
    lock.acquire()
    try:
        if options.force:  # without it the up-to-date check reads the state first, and says so
            check_state(state_file)  # in one line, here, rather than through doit
    except SrtbuildError:
        lock.release()
        raise
    interrupted = False
    export: str | None = None
    ci: str | None = None
    # Whatever happens below, no process this run starts outlives it: orphans (a helper
    # whose worker was killed) are handed to this process, and all are ended at the end.
    already = frozenset(descendants())
    adopting = adopt_orphans()
    try:
        with _in_folder(build.where.base), _stop_signals():
            lost = 0
            while True:
                force = options.force and not lost
                found = outdated(build, force)
                selected = [src for src, _ in found]
                if not selected:
                    # Nothing to process: of doit's tasks only `report` would run. Its
                    # action is run here, without loading doit at all.
                    code = _report_only(build)
                    break
                from srtbuild.engine.preflight import check_space, survey  # only with work to do

                # Doit finds the ones whose mtime alone moved up to date (and stores it).
                todo = [src for src, why in found if why != REFRESH]
                work = survey(build, todo, len(build.sources) - len(todo))
                work.reported_by_doit = len(selected) - len(todo)
                if not lost:
                    check_space(work, build.shown(build.where.output))
                from srtbuild.engine.embed import (  # doit is loaded only when there is work
                    WorkerLost,
                    run_doit,
                )

                try:
                    code = run_doit(build, selected, force, work)
                    if draining.is_set():  # a Ctrl-C, and the files in progress were the last
                        interrupted = True
                        code = 130
                except KeyboardInterrupt:
                    interrupted = True
                    code = 130
                except WorkerLost as exc:
                    if draining.is_set():  # stopping anyway: nothing to start again
                        interrupted = True
                        code = 130
                        break
                    # doit would have waited forever. What finished is committed; the files
                    # in flight run again, in a fresh set of workers.
                    lost += 1
                    if lost > _MAX_WORKER_LOSSES:
                        raise SrtbuildError(f"{exc}; {lost} times: giving up (run again to resume)") from None
                    _say(build, f"srtbuild: {exc}; starting the files not finished again", "warning")
                    continue
                break
            root = OutputRoot(build.where.absolute(build.where.output))
            last = root.stat(f"{STATE_DIR}/{LAST_RUN}")
            try:
                if last is None or last.st_mtime < build.started:
                    # doit did not get to the report task (stopped on an error or
                    # interrupted): the report still covers what exists now.
                    write_reports(build.run(), lambda w: notice(f"srtbuild: warning: {w}", "warning"))
                brief = json.loads(root.read(f"{STATE_DIR}/{LAST_RUN}"))
            except OSError as exc:
                raise OutputUnwritable(f"cannot write the reports ({exc.strerror or exc}); free space or "
                                       "make the output folder writable, and run again",
                                       build.shown(build.where.output)) from None
        if options.export_report:
            export = export_text(root.path, options.export_format, build.settings.report)
        if opts.format != "text":
            ci = _ci_output(build, opts, root.path)
    finally:
        end_children(already)
        if adopting:
            adopt_orphans(False)
        lock.release()
    if export is not None and options.export_report:  # the lock is free: a slow reader holds up no other run
        write_export(options.export_report, export, out)
    if ci is not None:
        write_export(opts.format_output or "-", ci, out)
    if interrupted or lost:
        # doit's worker queues, left with unsent jobs, can make multiprocessing's exit
        # hook wait forever on a feeder thread. State, lock and report are done: leave.
        code = 130 if interrupted else _exit_code(code, brief, opts.fail_on)
        if interrupted:
            _say(build, "srtbuild: interrupted; finished files are saved, run again to resume", "interrupted")
        if options.jobs > 1:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    return _exit_code(code, brief, opts.fail_on)


def _ci_output(build: Build, opts: BatchOptions, out_root: str) -> str | None:
    """What --format asks for, made from the written report (None when `auto` finds no CI)."""
    from srtbuild.reports.ci import pick_format
    from srtbuild.reports.export import ci_text

    fmt = pick_format(opts.format)
    if fmt == "text":
        if opts.format_output:
            _say(build, "srtbuild: warning: --format auto: not under GitHub Actions or GitLab CI, so nothing is "
                        f"written to {opts.format_output}", "warning")
        return None
    return ci_text(out_root, fmt, build.cwd, opts.annotate == "warnings",
                   os.environ.get("GITHUB_STEP_SUMMARY") if fmt == "github" else None,
                   lambda w: _say(build, f"srtbuild: warning: {w}", "warning"))


def _say(build: Build, text: str, event: str = "message") -> None:
    """A message of the run's own on stderr; a JSON event under `--progress json`."""
    notice(text, event, as_json=build.options.progress == "json", elapsed_s=time.time() - build.started)


def _exit_code(code: int, brief: dict, fail_on: str = "error") -> int:
    t = brief["totals"]
    # A source with no result after a whole run (its sidecar could not be written) did not
    # succeed either.
    failed = t["failed"] + t.get("unlisted_folders", 0) + t.get("pending", 0)
    if code == 3 or (code not in (0, 1) and not failed):
        return 3
    if fail_on == "never":  # the run finished: failures are in the reports, not the exit code
        return 0
    if fail_on == "warning" and t.get("warnings"):
        return 1
    return 1 if failed or code else 0


def _report_only(build: Build) -> int:
    reporter = reporter_for(build, build.options.verbosity, up_to_date=len(build.sources))(None, {})
    reporter.initialize({}, [])
    run = build.run()
    note, values = report_outcome(run, write_reports(run, lambda w: notice(f"srtbuild: warning: {w}", "warning")))
    if note:
        reporter.add_failure(SimpleNamespace(name="report"), SimpleNamespace(get_msg=lambda: note))
    else:
        reporter.add_success(SimpleNamespace(name="report", values=values))
    reporter.complete_run()
    return 1 if note else 0


def dry_run(build: Build, force: bool, out: TextIO) -> int:
    """List what a run would process and why, with the pre-flight's estimate of time and
    space and the sources that will surely fail; reads the state, writes nothing."""
    from srtbuild.engine.preflight import NoSpace, check_space, survey

    todo = [(src, why) for src, why in outdated(build, force) if why != REFRESH]
    for src, reason in todo:
        out.write(f"would process {src.name}: {reason}\n")
    for folder, why in build.unlisted:
        print(f"{build.shown(os.path.join(build.where.input, folder))}/: error: {why}", file=sys.stderr)
    work = survey(build, [src for src, _ in todo], len(build.sources) - len(todo))
    for name, line, why in work.doomed:
        where = build.shown(os.path.join(build.where.input, name)) + (f":{line}" if line else "")
        print(f"{where}: warning: will fail: {why}", file=sys.stderr)
    out.write(f"{len(todo)} to process, {len(build.sources) - len(todo)} up to date "
              f"({len(build.sources)} sources in {build.shown(build.where.input)})\n")
    if todo:
        free = "unknown" if work.free_bytes is None else size_text(work.free_bytes)
        out.write(f"estimate: {size_text(work.bytes)} and {work.cues:,} cues to process; about "
                  f"{duration(work.estimate_s or 0)} at {work.estimate_basis} with {build.parallel} "
                  f"worker{'s' if build.parallel != 1 else ''}; outputs, sidecars and reports need about "
                  f"{size_text(work.need_bytes)} ({free} free)\n")
        try:
            check_space(work, build.shown(build.where.output))
        except NoSpace as exc:
            print(f"srtbuild: warning: {exc}", file=sys.stderr)
    return 0
