"""doit task generators: one `process:<path>` task per source and one `report` task.

The same definitions serve a project's `dodo.py` (through srtbuild.tasks.dodo) and `srtbuild batch`
(through srtbuild.build.batch), and both use the same state file, so a user can switch between
`doit` and `srtbuild batch` and stay incremental.

A process task is up to date when its source is unchanged, its output and sidecar exist,
the digest of the settings processing uses (rule options, glossary content, quality
thresholds, output format) and the srtbuild version are those it was built with, and it
succeeded last time. srtbuild.yaml itself is deliberately not a file dependency: its
bytes also hold settings only the report reads, and editing those must rebuild nothing;
the digest covers exactly what processing uses. This module knows nothing of SRT syntax.
"""

from __future__ import annotations

import inspect
import os
import time
from typing import Any, Iterator

from doit.dependency import UptodateCalculator
from doit.exceptions import TaskFailed

from srtbuild.config import Settings
from srtbuild.build.discovery import Source
from srtbuild.build.isolation import Helper, install_fork_guard
from srtbuild.processor import process_file, record_failure, write_sidecar
from srtbuild.build.project import Build
from srtbuild.build.uptodate import PROCESS, file_md5

BACKEND = "srtbuild"  # the doit.BACKEND entry point naming srtbuild.build.state.StateDB


class Current(UptodateCalculator):
    """Up to date only if built with these settings and version, and it succeeded.

    It also keeps doit from re-hashing: doit treats a source whose mtime changed but whose
    bytes did not (a `git clone`, a `touch`) as unchanged, but never stores the new mtime,
    so it hashes that file again on every later run. Here the new mtime is stored once
    the bytes are confirmed equal, so the next run is a plain stat again.
    """

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self._set_val: Any = None
        self._hashes: dict[tuple[str, float, int], str] = {}  # shared deps (glossary) hash once
        # doit inspects the signature of an uptodate callable for every task; computing it
        # once here saves most of a second per 10,000 tasks.
        self.__signature__ = inspect.signature(self.__call__)

    def setup(self, dep_manager: Any, tasks_dict: dict) -> None:
        super().setup(dep_manager, tasks_dict)
        self._set_val = dep_manager._set

    def __call__(self, task: Any, values: dict) -> bool:
        if values.get("build") != self.key or values.get("status") != "ok":
            return False
        for dep in task.file_dep:
            state = self.get_val(task.name, dep)
            if not (isinstance(state, (list, tuple)) and len(state) == 3):
                continue
            try:
                st = os.stat(dep)
            except OSError:
                continue  # doit reports the missing dependency
            if st.st_mtime == state[0] or st.st_size != state[1]:
                continue
            ident = (dep, st.st_mtime, st.st_size)
            digest = self._hashes.get(ident)
            if digest is None:
                digest = self._hashes[ident] = file_md5(dep)
            if digest == state[2]:
                self._set_val(task.name, dep, (st.st_mtime, st.st_size, digest))
        return True


# One helper child per process that runs tasks (the main process, or each doit worker).
_helper = Helper()


def finish() -> None:
    """End this process's helper child (it would also end when this process does)."""
    _helper.stop()


def process_action(src: Source, settings: Settings, key: str, stop_on_error: bool) -> dict | TaskFailed:
    """doit action for one source. Returns the values doit saves for the task; a file that
    fails is still a success for doit (its sidecar says `failed`, and `Current` makes it run
    again next time) unless the run stops on the first error."""
    started = time.perf_counter()
    outcome = _helper.call(_process_in_child, src, settings, settings.timeout_s)
    if outcome.kind == "ok":
        summary = outcome.value
    else:
        message = outcome.message if outcome.kind != "error" else f"internal error: {outcome.message}"
        record = record_failure(src.source, src.output, settings, src.rel, message, time.perf_counter() - started)
        write_sidecar(src.sidecar, record)
        summary = _summary(record)
    summary["build"] = key
    if stop_on_error and summary["status"] != "ok":
        where = f"{src.rel}:{summary['line']}" if summary.get("line") else src.rel
        return TaskFailed(f"{where}: error: {summary['error']}")
    return summary


def _process_in_child(src: Source, settings: Settings) -> dict:
    record, _ = process_file(src.source, src.output, settings, display=src.rel, sidecar=src.sidecar)
    return _summary(record)


def _summary(record: dict) -> dict:
    """The few fields the progress display and the state keep of a sidecar."""
    error = record.get("error") or {}
    return {
        "status": record["status"],
        "segments": record["segments"],
        "corrections": record["corrections"],
        "error": error.get("message"),
        "line": error.get("line"),
    }


def report_action(build: Build) -> dict | TaskFailed:
    from srtbuild.reports.report import failure_note, write_reports  # the report is only needed by this task

    note = failure_note(build, write_reports(build))
    return TaskFailed(note) if note else {}


def process_tasks(build: Build, only: list[Source] | None = None) -> Iterator[dict]:
    """The process tasks: of every source, or of `only` those (srtbuild batch passes the
    out-of-date ones; doit then checks and runs them as usual)."""
    key = build.key
    current = Current(key)
    shared_deps = build.glossary_deps()
    settings = build.settings
    for src in build.sources if only is None else only:
        yield {
            "name": src.rel,
            "actions": [(process_action, (src, settings, key, build.stop_on_error))],
            "file_dep": [src.source, *shared_deps],
            "targets": [src.output, src.sidecar],
            "uptodate": [current],
            "clean": True,
        }


def report_task(build: Build, after_process: bool = True) -> dict:
    state = build.where.state_dir
    return {
        "doc": "collect every sidecar into report.json, report.csv and summary.txt",
        "actions": [(report_action, (build,))],
        "task_dep": [PROCESS] if after_process else [],
        "uptodate": [False],  # the report always covers the whole collection as it is now
        "targets": [os.path.join(state, n) for n in ("report.json", "report.csv", "summary.txt", "report.html")],
        "clean": True,
    }


def doit_config(build: Build, verbosity: int = 1, up_to_date: int = 0) -> dict:
    from srtbuild.reports.progress import reporter_for

    install_fork_guard()  # doit's -n workers must die with the main process
    return {
        "backend": BACKEND,
        "dep_file": build.where.state_file,
        "check_file_uptodate": "md5",
        "reporter": reporter_for(build, verbosity, up_to_date=up_to_date),
        "default_tasks": [PROCESS, "report"],
    }
