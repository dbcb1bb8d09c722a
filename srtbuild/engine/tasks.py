"""doit task generators: one `process:<path>` task per source and one `report` task.

The same definitions serve a project's `dodo.py` (through srtbuild.tasks.dodo) and `srtbuild batch`
(through srtbuild.engine.batch), and both use the same state file, so a user can switch between
`doit` and `srtbuild batch` and stay incremental.

A process task is up to date when its source is unchanged, its output and sidecar exist,
the digest of the settings processing uses (rule options, glossary content, quality
thresholds, output format) and the srtbuild version are those it was built with, and it
succeeded last time. srtbuild.yaml itself is deliberately not a file dependency: its
bytes also hold settings only the report reads, and editing those must rebuild nothing;
the digest covers exactly what processing uses. This module knows nothing of SRT syntax.
"""

from __future__ import annotations

import errno
import hashlib
import inspect
import os
import stat
import sys
import time
from contextlib import nullcontext
from functools import partial
from typing import Any, Iterator, NamedTuple

from doit.dependency import MD5Checker, UptodateCalculator
from doit.exceptions import TaskFailed

from srtbuild.config import Settings
from srtbuild.confined import LinkRefused, OutputRoot
from srtbuild.engine.discovery import Source
from srtbuild.engine.isolation import Helper, install_fork_guard
from srtbuild.engine.project import Build
from srtbuild.engine.preflight import check_space, survey
from srtbuild.engine import throttle
from srtbuild.engine.uptodate import (
    DONE,
    OUT_KEY,
    PROCESS,
    REFRESH,
    compare_output,
    compare_state,
    file_md5,
    outdated,
)
from srtbuild.errors import SrtbuildError
from srtbuild.names import escape_name
from srtbuild.processes import default_memory_limit_mb
from srtbuild.processor import process_file, record_failure, write_sidecar
from srtbuild.reports.export import export_report
from srtbuild.reports.report import (
    REPORT_FILES,
    clean_reports,
    report_outcome,
    write_reports,
)
from srtbuild.reports.tracker import Workload

BACKEND = "srtbuild"  # the doit.BACKEND entry point naming srtbuild.engine.state.StateDB


class SourceChecker(MD5Checker):
    """doit's md5 check (same mtime: unchanged; other size: changed; else compare md5),
    made safe for whatever a user's tree holds. doit's own checker raises on a file it
    cannot stat or read, and blocks forever hashing a FIFO; either stops the whole build.
    Here a source that is gone, unreadable or not a regular file is simply "changed", so
    its task runs and fails alone, with the reason, like any other bad file."""

    def info(self, file_path: str) -> os.stat_result | None:  # type: ignore[override]
        try:
            return os.stat(file_path)
        except OSError:
            return None

    def check_modified(self, file_path: str, file_stat: Any, state: Any) -> bool:
        return file_stat is None or compare_state(file_path, file_stat, state) == "changed"

    def get_state(self, dep: str, current_state: Any) -> tuple | None:
        """The state saved after a task ran. A file that vanished or cannot be read gets
        a state that matches nothing, so the next run looks at it again."""
        try:
            st = os.stat(dep)
        except OSError:
            return (-1.0, -1, "")
        if not stat.S_ISREG(st.st_mode):
            return (st.st_mtime, -1, "")
        if current_state and current_state[0] == st.st_mtime:
            return None
        try:
            return (st.st_mtime, st.st_size, file_md5(dep))
        except OSError:
            return (st.st_mtime, st.st_size, "")


class Current(UptodateCalculator):
    """Up to date only if built with these settings and version, it succeeded, and the
    bytes it processed are the bytes the state holds for its source.

    The last part matters because doit records a file's state after the task ran: a
    source edited while it was being processed would be recorded with the new bytes and
    the old output. The action reports the md5 of what it read; a mismatch runs it again.

    It also keeps doit from re-hashing: doit treats a source whose mtime changed but whose
    bytes did not (a `git clone`, a `touch`) as unchanged, but never stores the new mtime,
    so it hashes that file again on every later run. Here the new mtime is stored once
    the bytes are confirmed equal, so the next run is a plain stat again.
    """

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self._set_val: Any = None
        self._hashes: dict[tuple[str, int, int], str] = {}  # shared deps (glossary) hash once
        # doit inspects the signature of an uptodate callable for every task; computing it
        # once here saves most of a second per 10,000 tasks.
        self.__signature__ = inspect.signature(self.__call__)

    def setup(self, dep_manager: Any, tasks_dict: dict) -> None:
        super().setup(dep_manager, tasks_dict)
        self._set_val = dep_manager._set

    def __repr__(self) -> str:  # what `doit info` names as the reason a task runs
        return ("srtbuild's check (built with these settings and this srtbuild, succeeded, its "
                "state holds the bytes it processed, and its output is as it was written)")

    def __call__(self, task: Any, values: dict, source: str, output: str, sidecar: str) -> bool:
        if values.get("build") != self.key or values.get("status") not in DONE:
            return False
        own = self.get_val(task.name, source)
        if not (isinstance(own, (list, tuple)) and len(own) == 3) or own[2] != values.get("md5"):
            return False
        try:
            st = os.lstat(output)  # a link in place of the output is not the output
            if not stat.S_ISREG(os.lstat(sidecar).st_mode):  # nor one in place of the sidecar
                return False
        except OSError:
            return False
        stamp = self.get_val(task.name, OUT_KEY) or values.get("out")
        verdict = compare_output(output, st, stamp)
        if verdict == "changed":
            return False
        if verdict == "touched":  # same bytes, new mtime: remember it, hash it no more
            self._set_val(task.name, OUT_KEY, [st.st_mtime_ns, st.st_size, stamp[2]])
        for dep in task.file_dep:
            state = self.get_val(task.name, dep)
            try:
                st = os.stat(dep)
            except OSError:
                continue  # the checker calls it changed
            if compare_state(dep, st, state, self._md5) == "touched":
                self._set_val(task.name, dep, (st.st_mtime, st.st_size, state[2]))
        return True

    def _md5(self, path: str) -> str:
        """file_md5, once per file version: every task shares the glossary files."""
        st = os.stat(path)
        ident = (path, st.st_mtime_ns, st.st_size)
        digest = self._hashes.get(ident)
        if digest is None:
            digest = self._hashes[ident] = file_md5(path)
        return digest


# One helper child per process that runs tasks (the main process, or each doit worker).
_helper = Helper()


def finish() -> None:
    """End this process's helper child (it would also end when this process does)."""
    _helper.stop()


class Job(NamedTuple):
    """What a helper needs to process one source (plain, picklable data)."""

    src: Source
    out_root: str  # absolute
    output: str  # relative to out_root
    sidecar: str  # relative to out_root


def process_action(job: Job, settings: Settings, key: str, stop_on_error: bool,
                   memory_mb: int | None = None) -> dict | TaskFailed:
    """doit action for one source. Returns the values doit saves for the task; a file that
    fails is still a success for doit (its sidecar says `failed`, and `Current` makes it run
    again next time) unless the run stops on the first error."""
    started = time.perf_counter()
    src = job.src
    gate = throttle.current()
    with gate.slot() if gate is not None else nullcontext():
        outcome = _helper.call(_process_in_child, job, settings, settings.timeout_s, memory_mb)
    if outcome.kind == "ok":
        summary = outcome.value
    else:
        message = outcome.message if outcome.kind != "error" else f"internal error: {outcome.message}"
        record = record_failure(src.source, src.name, settings, src.name, message, time.perf_counter() - started)
        try:
            write_sidecar(job.sidecar, record, OutputRoot(job.out_root))
        except (OSError, SrtbuildError) as exc:
            record["error"]["message"] += f" (and its sidecar could not be written: {exc})"
        summary = _summary(record)
    summary["build"] = key
    if summary.pop("fatal", None):
        # Out of space or read-only: every file after this one would fail the same way.
        return TaskFailed(f"{src.name}: error: {summary['error']}; the run stops (free space or "
                          "make the output folder writable, then run again)")
    if stop_on_error and summary["status"] == "failed":
        where = f"{src.name}:{summary['line']}" if summary.get("line") else src.name
        return TaskFailed(f"{where}: error: {summary['error']}")
    return summary


# Write errors that no other file would escape either: the run stops at the first.
_FATAL = {errno.ENOSPC, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)}


class _Writes:
    """The output root, remembering the last write error (process_file turns it into the
    file's failure; whether the run can go on depends on which error it was)."""

    def __init__(self, root: OutputRoot) -> None:
        self.root = root
        self.error: OSError | None = None

    def write(self, path: str, data: bytes) -> None:
        try:
            self.root.write(path, data)
        except OSError as exc:
            self.error = exc
            raise


def _process_in_child(job: Job, settings: Settings) -> dict:
    writes = _Writes(OutputRoot(job.out_root))
    try:
        record, out = process_file(job.src.source, job.output, settings, display=job.src.name,
                                 sidecar=job.sidecar, writer=writes, shown_output=job.src.name)
    except (OSError, SrtbuildError) as exc:  # the sidecar could not be written
        out = None
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        record = record_failure(job.src.source, job.src.name, settings, job.src.name,
                                f"cannot write the sidecar: {why}")
    summary = _summary(record)
    st = writes.root.stat(job.output) if out is not None else None
    # What the output looked like when it was written: an output rewritten by a run killed
    # before its state was saved, or edited by hand, no longer matches and is built again.
    summary["out"] = [st.st_mtime_ns, st.st_size, _md5(out)] if st is not None else None
    if writes.error is not None and writes.error.errno in _FATAL:
        summary["fatal"] = writes.error.strerror or str(writes.error)
    return summary


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _summary(record: dict) -> dict:
    """The few fields the progress display and the state keep of a sidecar."""
    error = record.get("error") or {}
    return {
        "status": record["status"],
        "segments": record["segments"],
        "corrections": record["corrections"],
        "error": error.get("message"),
        "line": error.get("line"),
        "md5": record.get("source_md5"),
    }


def clean_source(out_root: str, paths: tuple[str, ...], dryrun: bool = False) -> None:
    """`doit clean` of one source: its output and sidecar, and the folders they leave
    empty. Through the output root, so a planted symlink deletes nothing elsewhere."""
    root = OutputRoot(out_root)
    for rel in paths:
        if dryrun:
            print(f"would remove {escape_name(root.shown(rel))}")
            continue
        try:
            root.unlink(rel)
            folder = os.path.dirname(rel)
            if folder:
                root.prune(folder)
        except LinkRefused as exc:
            print(f"srtbuild: warning: {exc}", file=sys.stderr)


def report_action(build: Build, export: bool = True) -> dict | TaskFailed:
    """Write the reports; for plain doit also the export srtbuild.yaml asks for
    (`srtbuild batch` exports after the run, once the output folder is free)."""
    run = build.run()
    warnings: list[str] = []  # told by the reporter, in the main process (this may be a worker)
    try:
        report = write_reports(run, warnings.append)
    except (OSError, SrtbuildError) as exc:
        return TaskFailed(f"cannot write the reports: {exc.strerror if isinstance(exc, OSError) else exc}")
    options = build.options
    if export and options.export_report:
        if options.export_report == "-" and sys.__stdout__ is None:
            return TaskFailed("-: cannot write the report to stdout: it is closed")
        try:
            export_report(build.where.absolute(build.where.output), options.export_report, options.export_format,
                          build.settings.report, sys.__stdout__ or sys.stdout)
        except SrtbuildError as exc:
            return TaskFailed(str(exc))
        except OSError as exc:  # stdout full or gone
            return TaskFailed(f"{options.export_report}: cannot write the report there: {exc.strerror or exc}")
    note, values = report_outcome(run, report)
    if note:  # a failure, so that doit exits 1
        return TaskFailed("\n".join([note, *(f"warning: {w}" for w in warnings)]))
    return {**values, "warnings": warnings}


def process_tasks(build: Build, only: list[Source] | None = None) -> Iterator[dict]:
    """The process tasks: of every source, or of `only` those (srtbuild batch passes the
    out-of-date ones; doit then checks and runs them as usual)."""
    key = build.key
    current = Current(key)
    shared_deps = build.glossary_deps()
    settings = build.settings
    where = build.where
    out_root = str(where.absolute(where.output))
    memory_mb = settings.memory_limit_mb or default_memory_limit_mb(build.parallel)
    for src in build.sources if only is None else only:
        job = Job(src, out_root, where.under_output(src.output), where.under_output(src.sidecar))
        yield {
            "name": src.name,
            "actions": [(process_action, (job, settings, key, build.stop_on_error, memory_mb))],
            "file_dep": [src.source, *shared_deps],
            "targets": [src.output, src.sidecar],
            "uptodate": [(current, (src.source, src.output, src.sidecar), {})],
            "clean": [(clean_source, (out_root, (job.output, job.sidecar)))],
        }


def report_task(build: Build, after_process: bool = True, export: bool = True) -> dict:
    state = build.where.state_dir
    return {
        "doc": "collect every sidecar into report.json, report.csv, summary.txt and report.html",
        "actions": [(report_action, (build, export))],
        "task_dep": [PROCESS] if after_process else [],
        "uptodate": [False],  # the report always covers the whole collection as it is now
        "targets": [os.path.join(state, n) for n in REPORT_FILES],
        "clean": [(clean_reports, (str(build.where.absolute(build.where.output)),))],
    }


def doit_config(build: Build, workload: Workload | None = None) -> dict:
    """DOIT_CONFIG for a build. `workload` is the pre-flight's finding when the caller
    made it (srtbuild batch); plain doit makes it when the run starts, for the sources
    its selection reaches."""
    from srtbuild.reports.progress import reporter_for

    install_fork_guard()  # doit's -n workers must die with the main process
    # Made here, in the main process, before doit forks its workers: they inherit it.
    gate = throttle.new_gate()
    options = build.options
    planner = None if workload is not None else partial(_plan_for_doit, build)
    config = {
        "backend": BACKEND,
        "dep_file": build.where.state_file,
        "check_file_uptodate": SourceChecker,
        "reporter": reporter_for(build, options.verbosity, workload=workload, planner=planner,
                                 lower=gate.lower, waiting=gate.waiting),
        "default_tasks": [PROCESS, "report"],
    }
    if options.jobs > 1:
        config["num_process"] = options.jobs  # `doit -n N` still wins
    if options.force:
        config["always"] = True  # `batch: {incremental: false}`
    return config


def _plan_for_doit(build: Build, names: list[str]) -> Workload:
    """The pre-flight check of plain doit: of the sources its selection reaches, those it
    will run. Refuses (NoSpace) a run the output's disk cannot hold."""
    wanted = set(names)
    todo = [src for src, why in outdated(build, build.options.force) if why != REFRESH and src.name in wanted]
    work = survey(build, todo, len(wanted) - len(todo))
    work.reported_by_doit = work.up_to_date  # doit checks every task it was given
    check_space(work, build.shown(build.where.output))
    return work
