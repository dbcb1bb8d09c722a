"""The exceptions srtbuild raises when it cannot continue.

Findings (repairs, quality violations) are data, not exceptions. These classes are for
"cannot continue": an unreadable file, a bad configuration, a bad command line. They carry
their data as plain attributes and pickle cleanly, because files are processed in worker
processes and the error has to travel back to the main one.
"""

from __future__ import annotations


class SrtbuildError(Exception):
    """Base class; `exit_code` is what the CLI's error boundary returns for it."""

    exit_code = 3

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message, path, line)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


class SubtitleError(SrtbuildError):
    """A subtitle file cannot be read: binary, undecodable, or with no cue at all."""

    exit_code = 1


class ConfigError(SrtbuildError):
    """srtbuild.yaml (or a file it names) is invalid; `column` is 1-based when known."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        SrtbuildError.__init__(self, message, path, line)
        self.args = (message, path, line, column)
        self.column = column

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
            if self.column is not None:
                where = f"{where}:{self.column}"
        return f"{where}: {self.message}" if where else self.message


class UsageError(SrtbuildError):
    """The command line asks for something impossible (missing file, clashing flags)."""

    exit_code = 2
