"""A build as data: settings, where it reads and writes, which sources. Knows nothing of
doit, so a run with nothing to do never loads it."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from srtbuild import __version__
from srtbuild.config import Settings
from srtbuild.build.discovery import Layout, Source, check_confined, discover, layout
from srtbuild.errors import UsageError


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
