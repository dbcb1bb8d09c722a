"""A build as data: settings, where it reads and writes, which sources. Knows nothing of
doit, so a run with nothing to do never loads it."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from srtbuild import __version__
from srtbuild.config import Settings
from srtbuild.engine.discovery import (
    Layout,
    Source,
    check_confined,
    contains,
    discover,
    first_match,
    layout,
    matches,
)
from srtbuild.errors import UsageError
from srtbuild.names import STATE_DIR, escape_name, within
from srtbuild.processes import available_cpus, machine_memory_mb
from srtbuild.reports.report import Run
from srtbuild.reports.rows import Wanted


@dataclass
class RunOptions:
    """How a run goes (none of it changes an output): the `batch:` section of
    srtbuild.yaml with the command line's flags over it."""

    jobs: int = 1
    force: bool = False
    stop_on_error: bool = False
    export_report: str | None = None  # absolute, or - for stdout
    export_format: str = "json"
    progress_interval_s: float = 0.5
    max_memory_mb: int = 0  # the whole run's ceiling: past it, fewer files run at once; 0: none
    progress: str = "auto"
    color: str = "auto"
    verbosity: int = 1  # 0 errors only, 1 progress and summary, 2 a line per file


def run_options(settings: Settings, **flags: object) -> RunOptions:
    """RunOptions from `settings.batch`, each replaced by a flag given (not None).
    `export_report` from srtbuild.yaml is relative to its folder; from a flag, to the
    current folder."""
    batch = settings.batch
    given = {k: v for k, v in flags.items() if v is not None}
    export = given.get("export_report", batch["export_report"])
    if export is not None and export != "-":
        base = os.getcwd() if "export_report" in given else str(settings.root)
        export = os.path.join(base, os.path.expanduser(export))
    fmt = given.get("export_format") or batch["export_format"] or _format_of(export)
    memory = given.get("max_memory_mb", batch["max_memory_mb"])
    return RunOptions(
        jobs=given.get("jobs", batch["jobs"]) or available_cpus(),  # type: ignore[arg-type]
        force=given.get("force", not batch["incremental"]),  # type: ignore[arg-type]
        stop_on_error=given.get("stop_on_error", batch["stop_on_error"]),  # type: ignore[arg-type]
        export_report=export,  # type: ignore[arg-type]
        export_format=fmt,  # type: ignore[arg-type]
        progress_interval_s=given.get("progress_interval_s", batch["progress_interval_s"]),  # type: ignore[arg-type]
        max_memory_mb=memory or machine_memory_mb() * 4 // 5,  # type: ignore[operator]
        progress=given.get("progress", batch["progress"]),  # type: ignore[arg-type]
        color=given.get("color", "auto"),  # type: ignore[arg-type]
        verbosity=given.get("verbosity", 1),  # type: ignore[arg-type]
    )


def _format_of(target: str | None) -> str:
    """An export's format from its file name: `report.csv` is CSV, `-` and the rest JSON."""
    suffix = os.path.splitext(target or "")[1].lower().lstrip(".")
    return {"csv": "csv", "md": "md", "markdown": "md", "html": "html", "htm": "html"}.get(suffix, "json")


@dataclass
class Build:
    """Everything a run needs to make its tasks: settings, where to read and write, which
    sources, and the options of this run."""

    settings: Settings
    where: Layout
    sources: list[Source]
    unlisted: list[tuple[str, str]] = field(default_factory=list)  # folders discovery could not list
    options: RunOptions = field(default_factory=RunOptions)
    patterns: list[str] = field(default_factory=list)  # those discovery used
    started: float = field(default_factory=time.time)
    cwd: str = field(default_factory=os.getcwd)  # where the user is: messages name paths from there

    @property
    def parallel(self) -> int:
        return self.options.jobs

    @property
    def stop_on_error(self) -> bool:
        return self.options.stop_on_error

    def shown(self, path: str) -> str:
        return shown(self.where, path, self.cwd)

    def check_export(self, target: str | None = None, what: str = "the report", option: str = "export_report") -> None:
        """UsageError if `target` (default: `export_report`) names a file the build reads
        or writes: a source (or a name the patterns would take for one), srtbuild.yaml, a
        glossary, or anything in the output folder (outputs, sidecars, the state). Writing
        `what` there would destroy it."""
        target = self.options.export_report if target is None else target
        if not target or target == "-":
            return
        real = os.path.realpath(target)
        if os.path.isdir(real):
            raise UsageError(f"{escape_name(target)}: will not write {what} there: it is a folder; "
                             f"name a file for {option}")
        if os.path.exists(real) and not os.path.isfile(real):
            return  # a pipe, a terminal, /dev/stdout: written to, never replaced
        why = None
        out = os.path.realpath(self.where.absolute(self.where.output))
        source_root = os.path.realpath(self.where.absolute(self.where.input))
        settings = self.settings
        read = {os.path.realpath(os.path.join(settings.root, os.path.basename(settings.path)))} if settings.path else set()
        read |= {os.path.realpath(g) for g in settings.glossary_files}
        if within(real, out):
            why = "it is inside the output folder, which holds only what srtbuild makes"
        elif real in read:
            why = "it is a settings file this build reads"
        elif real.endswith(".py"):
            why = "it is Python code (the dodo.py that runs this build, say)"
        elif within(real, source_root) and (
                matches(self.patterns, os.path.relpath(real, source_root).replace(os.sep, "/"))
                or real in {os.path.realpath(self.where.absolute(src.source)) for src in self.sources}):
            why = "it is a source, or would be taken for one"
        if why:
            raise UsageError(f"{escape_name(target)}: will not write {what} there: {why}; "
                             f"choose another file for {option}")

    @property
    def config_file(self) -> str | None:
        """The srtbuild.yaml in use, absolute and as shown; None for the defaults."""
        settings = self.settings
        if not settings.path:
            return None
        return escape_name(os.path.join(settings.root, os.path.basename(settings.path)))

    def run(self) -> Run:
        """What the reports need to know of this build, as plain data."""
        settings = self.settings
        where = self.where
        return Run(
            input=escape_name(os.path.normpath(where.absolute(where.input))),
            output=os.path.normpath(where.absolute(where.output)),
            config=self.config_file,
            settings_digest=settings.digest(),
            sources=[Wanted(src.name, src.rel, src.name) for src in self.sources],  # the output mirrors the source
            unlisted=self.unlisted,
            started=self.started,
            parallel=self.parallel,
            worst_files=settings.report["worst_files"],
            history=settings.report["history"],
            csv_delimiter=settings.report["csv_delimiter"],
            csv_bom=settings.report["csv_bom"],
            summary_shown=self.shown(os.path.join(where.state_dir, "summary.txt")),
        )

    @property
    def key(self) -> str:
        """What a built file depends on besides its bytes: settings digest and version."""
        return f"{self.settings.digest()}:{__version__}"

    def glossary_deps(self) -> list[str]:
        return [_relative(self.where.base, Path(self.settings.root) / g) for g in self.settings.glossary_files]


def shown(where: Layout, path: str, cwd: str | None = None) -> str:
    """A path relative to the base as the user can type it from where they ran the
    command: relative to that folder when inside it, else absolute; escaped."""
    cwd = cwd or os.getcwd()
    full = os.path.normpath(where.absolute(path))
    rel = os.path.relpath(full, cwd) if full.startswith(cwd.rstrip(os.sep) + os.sep) else full
    return escape_name(rel if full != cwd else ".")


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
    exclude: list[str] | None = None,
) -> Build:
    """Resolve folders against the base (srtbuild.yaml's folder), discover the sources and
    check that no write can leave the output folder."""
    if base is None:
        base = Path(settings.root) if settings.path else Path.cwd()
    where = layout(base, input_dir if input_dir is not None else settings.input,
                   output_dir if output_dir is not None else settings.output)
    source_root = where.absolute(where.input)
    if not source_root.is_dir():
        raise UsageError(f"{shown(where, where.input)}: input folder not found" if not source_root.exists()
                         else f"{shown(where, where.input)}: not a folder")
    real_in = os.path.realpath(source_root)
    real_out = os.path.realpath(where.absolute(where.output))
    if os.path.exists(real_out) and not os.path.isdir(real_out):
        raise UsageError(f"{shown(where, where.output)}: the output folder is a file")
    if within(real_in, real_out) or contains(real_out, real_in):
        # Outputs mirror sources by name: they would overwrite them.
        raise UsageError(f"{shown(where, where.output)}: the output folder must not be (or contain) "
                         f"the input folder {shown(where, where.input)}")
    patterns = patterns if patterns else settings.patterns
    if real_out != real_in and (within(real_out, real_in) or contains(real_in, real_out)):
        _check_output_inside_input(where, patterns)
    found = discover(where, patterns, settings.recursive if recursive is None else recursive,
                     settings.exclude if exclude is None else exclude)
    check_confined(where, found.sources)
    return Build(settings=settings, where=where, sources=found.sources, unlisted=found.unlisted,
                 patterns=list(patterns))


def _check_output_inside_input(where: Layout, patterns: list[str]) -> None:
    """An output folder inside the input is skipped by discovery. That is right for a
    folder srtbuild made (it holds .srtbuild/), and wrong for one that holds sources: they
    would silently drop out of the build and be overwritten by outputs of the same name."""
    out = where.absolute(where.output)
    if not out.is_dir() or (out / STATE_DIR).is_dir():
        return
    hit = first_match(out, patterns)
    if hit:
        raise UsageError(f"{shown(where, where.output)}: the output folder lies inside the input folder and holds "
                         f"sources ({escape_name(hit)}); they would be skipped and overwritten. Choose an output "
                         f"folder outside {shown(where, where.input)}, or an empty one")
