"""`srtbuild batch`: run the build's doit tasks in-process, without a dodo.py.

doit is embedded through a DoitMain with our own task loader: no doit.cfg or
pyproject.toml of the user's is read (`config_filenames=()`), user paths never travel as
doit's positional arguments (it would take `a=b.srt` for a variable), and the state file,
backend and tasks are exactly those a dodo.py gets, so `doit` and `srtbuild batch` share
one state.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, TextIO

from doit.cmd_base import TaskLoader2
from doit.dependency import get_file_md5
from doit.doit_cmd import DoitMain
from doit.loader import generate_tasks

from srtbuild import __version__
from srtbuild.atomic import write_atomic
from srtbuild.config import load_settings
from srtbuild.errors import UsageError
from srtbuild.report import render, write_reports
from srtbuild.state import lock_for, read_values
from srtbuild.tasks import Build, doit_config, plan, process_tasks, report_task

EXPORT_FORMATS = ("json", "csv", "md", "html")


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


class _Loader(TaskLoader2):
    def __init__(self, build: Build, verbosity: int) -> None:
        super().__init__()
        self.build = build
        self.verbosity = verbosity

    def setup(self, opt_values: dict) -> None:
        pass

    def load_doit_config(self) -> dict:
        return doit_config(self.build, self.verbosity)

    def load_tasks(self, cmd: object, pos_args: list) -> list:
        tasks = generate_tasks("process", process_tasks(self.build), "correct and check one subtitle source")
        return tasks + generate_tasks("report", report_task(self.build))


def make_build(opts: BatchOptions) -> Build:
    if opts.parallel < 1:
        raise UsageError(f"-j/--parallel: expected 1 or more processes, got {opts.parallel}")
    if opts.export_format not in EXPORT_FORMATS:
        raise UsageError(f"--export-format: expected one of {', '.join(EXPORT_FORMATS)}, got {opts.export_format!r}")
    settings = load_settings(opts.config)  # explicit file, else the nearest srtbuild.yaml, else defaults
    base = Path(settings.root) if settings.path else Path.cwd()
    build = plan(settings, os.path.abspath(opts.input), os.path.abspath(opts.output),
                 opts.patterns or None, opts.recursive, base)
    build.stop_on_error = opts.stop_on_error
    build.parallel = opts.parallel
    return build


@contextmanager
def _in_folder(path: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops the run like Ctrl-C: no new file starts, state is saved."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_batch(opts: BatchOptions, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    build = make_build(opts)
    if opts.dry_run:
        return dry_run(build, opts.force, out)
    lock = lock_for(str(build.where.absolute(build.where.state_file)))
    os.makedirs(build.where.absolute(build.where.state_dir), exist_ok=True)
    lock.acquire()
    interrupted = False
    try:
        with _in_folder(build.where.base), _sigterm_interrupts():
            args = ["run"]
            if opts.parallel > 1:
                args += ["-n", str(opts.parallel), "-P", "process"]
            if opts.force:
                args.append("--always-execute")
            args += ["process", "report"]
            doit = DoitMain(_Loader(build, opts.verbosity), config_filenames=(),
                            extra_config={"BACKEND": {"srtbuild": "srtbuild.state:StateDB"}})
            try:
                code = doit.run(args)
            except KeyboardInterrupt:
                interrupted = True
                code = 130
            report_file = build.where.absolute(os.path.join(build.where.state_dir, "report.json"))
            if not report_file.exists() or report_file.stat().st_mtime < build.started:
                # doit did not get to the report task (stopped on an error or interrupted):
                # the report still covers what exists now.
                report = write_reports(build)
            else:
                import json

                report = json.loads(report_file.read_text(encoding="utf-8"))
    finally:
        lock.release()
    if opts.export_report:
        _export(report, opts.export_report, opts.export_format, build.settings.report["worst_files"], out)
    if interrupted:
        print("srtbuild: interrupted; finished files are saved, run again to resume", file=sys.stderr)
        if opts.parallel > 1:
            # doit's worker queues, left with unsent jobs, can make multiprocessing's exit
            # hook wait forever on a feeder thread. State, lock and report are done: leave.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        return 130
    if code == 3 or (code not in (0, 1) and not report["totals"]["failed"]):
        return 3
    return 1 if report["totals"]["failed"] or code else 0


def _export(report: dict, target: str, fmt: str, worst: int, out: TextIO) -> None:
    text = render(report, fmt, worst)
    if target == "-":
        out.write(text)
        out.flush()
    else:
        write_atomic(target, text.encode("utf-8"))


def why(build: Build, force: bool = False) -> list[tuple[str, str]]:
    """For each source that a run would process, the reason; read-only."""
    saved = read_values(str(build.where.absolute(build.where.state_file)))
    key = build.key
    digest = build.settings.digest()
    shared = build.glossary_deps()
    base = build.where.base
    plan_: list[tuple[str, str]] = []
    for src in build.sources:
        reason = "forced (--force)" if force else _reason(saved.get("process:" + src.rel), src, shared, key, digest, base)
        if reason:
            plan_.append((src.rel, reason))
    return plan_


def _reason(data: dict | None, src: object, shared: list[str], key: str, digest: str, base: Path) -> str | None:
    if not data:
        return "new"
    values = data.get("_values_:") or {}
    if values.get("status") != "ok":
        return "failed last time"
    if values.get("build") != key:
        built_digest = str(values.get("build", "")).split(":", 1)[0]
        return "settings changed" if built_digest != digest else f"srtbuild upgraded (now {__version__})"
    for path in (src.output, src.sidecar):  # type: ignore[attr-defined]
        if not (base / path).exists():
            return "output missing"
    deps = [src.source, *shared]  # type: ignore[attr-defined]
    if set(data.get("deps:") or []) != set(deps):
        return "glossary files changed"
    for dep in deps:
        state = data.get(dep)
        try:
            st = os.stat(base / dep)
        except OSError:
            return f"{dep} missing"
        if not state or len(state) != 3:
            return "source changed" if dep == src.source else "glossary changed"  # type: ignore[attr-defined]
        if st.st_mtime == state[0]:
            continue
        if st.st_size != state[1] or get_file_md5(str(base / dep)) != state[2]:
            return "source changed" if dep == src.source else "glossary changed"  # type: ignore[attr-defined]
    return None


def dry_run(build: Build, force: bool, out: TextIO) -> int:
    todo = why(build, force)
    for rel, reason in todo:
        out.write(f"would process {rel}: {reason}\n")
    out.write(f"{len(todo)} to process, {len(build.sources) - len(todo)} up to date "
              f"({len(build.sources)} sources in {build.where.input})\n")
    return 0
