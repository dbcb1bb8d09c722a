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

import inspect
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from doit.dependency import UptodateCalculator, get_file_md5
from doit.exceptions import TaskFailed

from srtbuild import __version__
from srtbuild.config import Settings, load_settings
from srtbuild.discovery import Layout, Source, check_confined, discover, layout
from srtbuild.errors import SrtbuildError
from srtbuild.isolation import Helper, install_fork_guard
from srtbuild.processor import process_file, record_failure, write_sidecar
from srtbuild.state import read_briefs, read_values

BACKEND = "srtbuild"  # the doit.BACKEND entry point naming srtbuild.state.StateDB
PROCESS = "process"  # the basename of the per-source tasks


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
    sources = discover(
        where,
        patterns if patterns else settings.patterns,
        settings.recursive if recursive is None else recursive,
        settings.exclude,
    )
    check_confined(where, sources)
    return Build(settings=settings, where=where, sources=sources)


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
                digest = self._hashes[ident] = get_file_md5(dep)
            if digest == state[2]:
                self._set_val(task.name, dep, (st.st_mtime, st.st_size, digest))
        return True


# One helper child per process that runs tasks (the main process, or each doit worker).
_helper = Helper()


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


# A source whose bytes are unchanged but whose mtime moved (a clone, a touch) is up to
# date, yet goes through doit once so that `Current` stores the new mtime.
REFRESH = "mtime changed, same bytes"


def outdated(build: Build, force: bool = False) -> list[tuple[Source, str]]:
    """The sources a run must hand to doit, each with the reason, without building doit
    tasks: the same decision doit makes with `Current`, the targets and the file
    dependencies, at a fraction of its cost on a large, mostly built collection. Reads
    the state; writes nothing."""
    if force:
        return [(src, "forced (--force)") for src in build.sources]
    where = build.where
    state_file = where.state_file
    shared = build.glossary_deps()
    src_prefix = "" if where.input == "." else where.input + os.sep
    briefs = read_briefs(state_file, PROCESS + ":", src_prefix, shared)
    # Rows the brief could not read (a quote in a file name): read them whole.
    odd = [f"{PROCESS}:{rel}" for rel, b in briefs.items() if b.own is None or None in b.shared]
    rows = read_values(state_file, odd) if odd else {}
    check = _Check(build, shared)
    result: list[tuple[Source, str]] = []
    for src in build.sources:
        brief = briefs.get(src.rel)
        row = rows.get(f"{PROCESS}:{src.rel}")
        if row is not None:
            reason = check.row(src, row)
        elif brief is None:
            reason = "new"
        else:
            reason = check.brief(src, brief)
        if reason:
            result.append((src, reason))
    return result


class _Check:
    """One source against its saved state, as doit plus `Current` would judge it."""

    def __init__(self, build: Build, shared: list[str]) -> None:
        self.key = build.key
        self.digest = build.settings.digest()
        self.shared = shared
        self.base = str(build.where.base)
        self.listings: dict[str, frozenset[str]] = {}
        self.stats: dict[str, os.stat_result | None] = {}

    def exists(self, path: str) -> bool:
        # One directory listing instead of a stat per file: outputs sit 50 to a folder.
        folder, name = os.path.split(path)
        names = self.listings.get(folder)
        if names is None:
            try:
                names = frozenset(os.listdir(os.path.join(self.base, folder)))
            except OSError:
                names = frozenset()
            self.listings[folder] = names
        return name in names

    def _stat(self, path: str, shared: bool) -> os.stat_result | None:
        if shared and path in self.stats:
            return self.stats[path]
        try:
            st: os.stat_result | None = os.stat(os.path.join(self.base, path))
        except OSError:
            st = None
        if shared:
            self.stats[path] = st
        return st

    def _values(self, build: str | None, status: str | None, src: Source) -> str | None:
        if status != "ok":
            return "failed last time"
        if build != self.key:
            built_digest = str(build or "").split(":", 1)[0]
            return "settings changed" if built_digest != self.digest else f"srtbuild upgraded (now {__version__})"
        if not (self.exists(src.output) and self.exists(src.sidecar)):
            return "output missing"
        return None

    def _dep(self, path: str, state_text: str | None, state: Any, shared: bool) -> str | None:
        """None if unchanged, REFRESH if only the mtime moved, else the reason."""
        changed = "glossary changed" if shared else "source changed"
        st = self._stat(path, shared)
        if st is None:
            return f"{path} missing"
        if state_text is not None:
            # Stored as doit wrote it: `[mtime,size,"md5"]`; the same mtime text means the
            # same file, as doit's own check says, without decoding anything.
            if state_text.startswith(f"[{st.st_mtime!r},"):
                return None
            state = json.loads(state_text)
        if not (isinstance(state, list) and len(state) == 3):
            return changed
        if st.st_mtime == state[0]:
            return None
        if st.st_size != state[1] or get_file_md5(os.path.join(self.base, path)) != state[2]:
            return changed
        return REFRESH

    def _deps(self, src: Source, deps: list[str], states: list[tuple[str | None, Any]]) -> str | None:
        if set(deps) != {src.source, *self.shared}:
            return "glossary files changed"
        refresh = False
        for (text, state), path, shared in zip(states, [src.source, *self.shared], [False] + [True] * len(self.shared)):
            verdict = self._dep(path, text, state, shared)
            if verdict == REFRESH:
                refresh = True
            elif verdict:
                return verdict
        return REFRESH if refresh else None

    def brief(self, src: Source, b: Any) -> str | None:
        reason = self._values(b.build, b.status, src)
        if reason:
            return reason
        if b.deps is None:
            return "source changed"
        return self._deps(src, json.loads(b.deps), [(b.own, None), *((t, None) for t in b.shared)])

    def row(self, src: Source, data: dict) -> str | None:
        values = data.get("_values_:") or {}
        reason = self._values(values.get("build"), values.get("status"), src)
        if reason:
            return reason
        if data.get("deps:") is None:
            return "source changed"
        states = [(None, data.get(src.source)), *((None, data.get(d)) for d in self.shared)]
        return self._deps(src, data["deps:"], states)


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
        "task_dep": ["process"] if after_process else [],
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
        "default_tasks": ["process", "report"],
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
