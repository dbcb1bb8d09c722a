"""`--export-report FILE` (or `batch: {export_report: FILE}`): the run's report, once more,
in the format asked for, where the user wants it: a file (written atomically), `-` for
stdout, or a pipe or terminal that is written to and never replaced."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from collections.abc import Callable
from typing import TextIO

from srtbuild.confined import OutputRoot, write_atomic
from srtbuild.errors import UsageError
from srtbuild.names import STATE_DIR
from srtbuild.reports.report import comparison, render


def export_text(out_root: str | Path, fmt: str, options: dict) -> str:
    """The report of the output folder `out_root` in `fmt` (json, csv, md, html);
    `options`: the settings' `report:` section (worst_files, csv_delimiter, csv_bom)."""
    root = OutputRoot(out_root)
    text = root.read(f"{STATE_DIR}/report.json").decode("utf-8")
    if fmt == "json":
        return text
    return render(json.loads(text), fmt, options["worst_files"], root, options["csv_delimiter"], options["csv_bom"])


def ci_text(out_root: str | Path, fmt: str, cwd: str, warnings: bool, step_summary: str | None = None,
            warn: Callable[[str], None] = print) -> str:
    """The report of `out_root` as CI format `fmt` (github, gitlab, junit). With
    `step_summary` (the file GITHUB_STEP_SUMMARY names), the Markdown summary is appended
    to it, as GitHub asks of a step; `warn` hears if it cannot be (the annotations are
    made all the same)."""
    from srtbuild.reports import ci
    from srtbuild.reports.markdown import summary

    root = OutputRoot(out_root)
    report = json.loads(root.read(f"{STATE_DIR}/report.json").decode("utf-8"))
    if step_summary:
        text = summary(report, comparison(root, report))
        try:
            with open(step_summary, "a", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            warn(f"GITHUB_STEP_SUMMARY={step_summary}: cannot append the summary: {exc.strerror or exc}")
    return ci.render(fmt, report, cwd, warnings)


def export_report(out_root: str | Path, target: str, fmt: str, options: dict, out: TextIO) -> None:
    write_export(target, export_text(out_root, fmt, options), out)


def write_export(target: str, text: str, out: TextIO) -> None:
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
