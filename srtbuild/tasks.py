"""doit task generators: one `process:<path>` task per source and one `report` task.

The same definitions serve a project's `dodo.py` (through `dodo()`) and `srtbuild batch`
(through srtbuild.batch), and both use the same state file, so a user can switch between
`doit` and `srtbuild batch` and stay incremental.

A process task is up to date when its source is unchanged, its output and sidecar exist,
the digest of the settings processing uses (rule options, glossary content, quality
thresholds, output format) and the srtbuild version are those it was built with, and it
succeeded last time. srtbuild.yaml itself is deliberately not a file dependency: its
bytes also hold settings only the report reads, and editing those must rebuild nothing;
the digest covers exactly what processing uses. This module knows nothing of SRT syntax.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from doit.exceptions import TaskFailed

from srtbuild import __version__
from srtbuild.config import Settings, load_settings
from srtbuild.discovery import Layout, Source, check_confined, discover, layout
from srtbuild.errors import SrtbuildError, UsageError
from srtbuild.isolation import Helper, install_fork_guard
from srtbuild.processor import process_file, record_failure, write_sidecar
from srtbuild.uptodate import PROCESS, Current

BACKEND = "srtbuild"  # the doit.BACKEND entry point naming srtbuild.state.StateDB


@dataclass
class Build:
    """Everything a run needs to make its tasks: settings, where to read and write, which
    sources, and the options of this run."""

    settings: Settings
    where: Layout
    sources: list[Source]
    stop_on_error: bool = False
    parallel: int = 0
    started: float = field(default_factory=time.time)

    @property
    def key(self) -> str:
        """What a built file depends on besides its bytes: settings digest and version."""
        return f"{self.settings.digest()}:{__version__}"

    def glossary_deps(self) -> list[str]:
        return [_relative(self.where.base, Path(self.settings.root) / g) for g in self.settings.glossary_files]


def _relative(base: Path, path: Path) -> str:
    try:
        return os.path.relpath(path, base)
    except ValueError:
        return str(path)


def plan(
    settings: Settings,
    input_dir: str | Path | None = None,
    output_dir: str | Path | None = None,
    patterns: list[str] | None = None,
    recursive: bool | None = None,
    base: Path | None = None,
) -> Build:
    """Resolve folders against the base (srtbuild.yaml's folder), discover the sources and
    check that no write can leave the output folder."""
    if base is None:
        base = Path(settings.root) if settings.path else Path.cwd()
    where = layout(base, input_dir if input_dir is not None else settings.input,
                   output_dir if output_dir is not None else settings.output)
    real_in = os.path.realpath(where.absolute(where.input))
    real_out = os.path.realpath(where.absolute(where.output))
    if real_in == real_out or real_in.startswith(real_out + os.sep):
        # Outputs mirror sources by name: they would overwrite them.
        raise UsageError(f"{where.output}: the output folder must not be (or contain) the input folder {where.input}")
    sources = discover(
        where,
        patterns if patterns else settings.patterns,
        settings.recursive if recursive is None else recursive,
        settings.exclude,
    )
    check_confined(where, sources)
    return Build(settings=settings, where=where, sources=sources)


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
    from srtbuild.report import write_reports  # the report is only needed by this task

    report = write_reports(build)
    failed = report["totals"]["failed"]
    if failed:
        return TaskFailed(
            f"{failed} of {report['totals']['files']} files failed; "
            f"see {os.path.join(build.where.state_dir, 'summary.txt')}"
        )
    return {}


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
        "targets": [os.path.join(state, n) for n in ("report.json", "report.csv", "summary.txt")],
        "clean": True,
    }


def doit_config(build: Build, verbosity: int = 1, up_to_date: int = 0) -> dict:
    from srtbuild.progress import reporter_for

    install_fork_guard()  # doit's -n workers must die with the main process
    return {
        "backend": BACKEND,
        "dep_file": build.where.state_file,
        "check_file_uptodate": "md5",
        "reporter": reporter_for(build, verbosity, up_to_date=up_to_date),
        "default_tasks": [PROCESS, "report"],
    }


def dodo(namespace: dict) -> None:
    """Fill a dodo.py's namespace from the srtbuild.yaml beside it.

    doit runs dodo.py in its own folder, so the paths of tasks and state are relative to
    it and survive moving the repo. A configuration error ends doit with one line and
    exit 2, as `srtbuild batch` does.
    """
    here = Path(namespace["__file__"]).resolve().parent
    config = here / "srtbuild.yaml"
    try:
        settings = load_settings(config if config.is_file() else None, start=here)
        build = plan(settings, base=here)
    except SrtbuildError as exc:
        print(f"srtbuild: error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None

    def task_process() -> Iterator[dict]:
        """correct and check one subtitle source"""
        yield from process_tasks(build)

    def task_report() -> dict:
        """collect every sidecar into the reports under OUTPUT/.srtbuild/"""
        return report_task(build)

    namespace["DOIT_CONFIG"] = doit_config(build)
    namespace["task_process"] = task_process
    namespace["task_report"] = task_report
