"""`--export-report FILE` (or `batch: {export_report: FILE}`): the run's report, once more,
in the format asked for, where the user wants it: a file (written atomically), `-` for
stdout, or a pipe or terminal that is written to and never replaced."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import TextIO

from srtbuild.confined import OutputRoot, write_atomic
from srtbuild.errors import UsageError
from srtbuild.names import STATE_DIR
from srtbuild.reports.report import render


def export_text(out_root: str | Path, fmt: str, worst: int) -> str:
    """The report of the output folder `out_root` in `fmt` (json, csv, md, html)."""
    text = OutputRoot(out_root).read(f"{STATE_DIR}/report.json").decode("utf-8")
    return text if fmt == "json" else render(json.loads(text), fmt, worst)


def export_report(out_root: str | Path, target: str, fmt: str, worst: int, out: TextIO) -> None:
    write_export(target, export_text(out_root, fmt, worst), out)


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
