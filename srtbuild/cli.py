"""Command-line front: subcommands, flags -> settings, and the one error boundary.

`main(argv) -> int` never raises: every error maps to an exit code (0 ok, 1 some file
failed, 2 usage or configuration, 3 internal error, 130 interrupted) and a one-line
message on stderr. Tracebacks appear only with --debug.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import traceback
from pathlib import Path
from typing import Any

from srtbuild import __version__
from srtbuild.errors import SrtbuildError, UsageError

# The settings, the rules and the reader are imported by the commands that use them:
# `--version`, `--help` and a no-op build start without compiling a single rule's regex.


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so the error boundary owns exit codes."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # The boundary prefixes "srtbuild: error:"; the command's help is where to look.
        raise UsageError(f"{message} (see {self.prog} --help)")


def _version() -> str:
    try:
        from importlib.metadata import version

        doit_version = version("doit")
    except Exception:  # doit missing or unreadable metadata: still print ours
        doit_version = "not installed"
    return f"srtbuild {__version__} (doit {doit_version}, Python {platform.python_version()})"


class _VersionAction(argparse.Action):
    """--version, computed only when asked for (reading package metadata is slow)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: object, values: object, option: str | None = None) -> None:
        print(_version())
        raise SystemExit(0)


_EXIT = "exit codes:\n  0    {ok}\n  1    {one}\n  2    usage or configuration error\n  3    internal error\n" \
        "  130  interrupted{stop}"


def _epilog(ok: str, one: str, stop: str = "") -> dict:
    return {"epilog": _EXIT.format(ok=ok, one=one, stop=stop), "formatter_class": argparse.RawDescriptionHelpFormatter}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="srtbuild", description="Make-style incremental builds for subtitle collections.",
                     **_epilog("success", "some file failed (see the command's --help)"))
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("process", help="correct and check one subtitle file",
                       **_epilog("the file was corrected (or is empty)", "the file failed: its error names the line"))
    p.add_argument("file", help="source .srt file")
    p.add_argument("-o", "--output", default="-", help="corrected file (default: - for stdout)")
    p.add_argument("--config", help="srtbuild.yaml to use (default: the nearest one upward)")
    p.add_argument("--sidecar", help="where to write the metrics JSON (default: OUTPUT.json)")
    p.add_argument("--json", action="store_true", help="print the metrics JSON to stdout")
    p.set_defaults(func=cmd_process)

    b = sub.add_parser("batch", help="build every source of INPUT_DIR into OUTPUT_DIR, incrementally",
                       **_epilog("every file built (--fail-on never: the run finished)",
                                 "the run finished but some file failed (with --fail-on warning: or a\n"
                                 "       warning is left); every other file was still built and reported",
                                 " (finished files are saved: run again to resume)"))
    b.add_argument("input", metavar="INPUT_DIR", help="folder of source subtitles")
    b.add_argument("output", metavar="OUTPUT_DIR", help="folder for the corrected tree and .srtbuild/")
    b.add_argument("--config", help="srtbuild.yaml to use (default: the nearest one upward)")
    b.add_argument("--pattern", dest="patterns", action="append", metavar="GLOB",
                   help="file pattern, repeatable (default: the config's patterns, else *.srt)")
    b.add_argument("--recursive", action=argparse.BooleanOptionalAction, default=None,
                   help="look in subfolders (default: yes)")
    b.add_argument("--exclude", action="append", metavar="GLOB",
                   help="leave out matching files or folders, repeatable (default: the config's exclude)")
    b.add_argument("-j", "--parallel", type=int, default=None, metavar="N",
                   help="worker processes (default: batch.jobs, else one per CPU available)")
    mode = b.add_mutually_exclusive_group()
    mode.add_argument("--incremental", dest="force", action="store_false", help="only what changed (default)")
    mode.add_argument("--force", dest="force", action="store_true", help="process every file")
    b.add_argument("--stop-on-error", action=argparse.BooleanOptionalAction, default=None,
                   help="start no new file after the first failure (default: batch.stop_on_error, else no)")
    b.add_argument("--dry-run", action="store_true",
                   help="list what would be processed and why, with an estimate of time and space; change nothing")
    b.add_argument("--export-report", metavar="FILE", help="also write the report here (- for stdout)")
    b.add_argument("--export-format", choices=("json", "csv", "md", "html"),
                   help="format of --export-report (default: from its extension, else json)")
    b.add_argument("--csv-bom", action=argparse.BooleanOptionalAction, default=None,
                   help="start report.csv with a byte order mark, so spreadsheets read it as UTF-8 "
                        "(default: report.csv_bom, else yes)")
    b.add_argument("--csv-delimiter", metavar="CHAR",
                   help="report.csv's delimiter: , ; tab or | (default: report.csv_delimiter, else ,)")
    b.add_argument("--timeout", dest="timeout_s", type=float, metavar="SECONDS",
                   help="stop a file that takes longer (default: batch.timeout_s, else 300)")
    b.add_argument("--max-memory", dest="max_memory_mb", type=int, metavar="MB",
                   help="memory of the whole run past which fewer files run at once (default: 80%% of the machine)")
    b.add_argument("--progress", choices=("auto", "live", "plain", "json"),
                   help="live block on a terminal, plain lines for logs, JSON lines for tools (default: auto)")
    b.add_argument("--progress-interval", dest="progress_interval_s", type=float, metavar="SECONDS",
                   help="redraw the live block this often; logs get a line every 20 (default: 0.5)")
    b.add_argument("--color", choices=("auto", "always", "never"),
                   help="colour on stderr (default: auto, on a terminal unless NO_COLOR or TERM=dumb)")
    b.add_argument("--format", default="text", choices=("text", "github", "gitlab", "junit", "auto"),
                   help="what CI reads: GitHub annotations (and the step summary), a GitLab Code Quality "
                        "report, JUnit XML; auto: github under GitHub Actions, gitlab under GitLab CI, "
                        "else text (default: text)")
    b.add_argument("--format-output", metavar="FILE",
                   help="write the --format output here (default: stdout)")
    b.add_argument("--annotate", choices=("errors", "warnings"), default="errors",
                   help="what --format reports: failed files, or their warnings too (default: errors)")
    b.add_argument("--fail-on", choices=("error", "warning", "never"), default="error",
                   help="exit 1 when a file failed (error), also when any warning is left (warning), "
                        "or never for either (default: error)")
    noise = b.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", help="a line for every processed file")
    noise.add_argument("-q", "--quiet", action="store_true", help="errors only")
    b.set_defaults(func=cmd_batch, force=None)

    c = sub.add_parser("compare", help="what changed between two report.json files",
                       **_epilog("compared", "with --fail-on-regression: a file newly fails or the mean\n"
                                 "       quality dropped"))
    c.add_argument("old", metavar="OLD_REPORT")
    c.add_argument("new", metavar="NEW_REPORT")
    c.add_argument("--json", action="store_true", help="print the comparison as JSON")
    c.add_argument("--fail-on-regression", action="store_true",
                   help="exit 1 if a file newly fails or the mean quality after correction dropped")
    c.set_defaults(func=cmd_compare)

    i = sub.add_parser("init", help="write a starter dodo.py, srtbuild.yaml and glossary into DIR",
                       **_epilog("written", "not used"))
    i.add_argument("dir", nargs="?", default=".", metavar="DIR")
    i.add_argument("--input", default="subtitles", help="source folder name to put in srtbuild.yaml")
    i.add_argument("--output", default="build", help="output folder name to put in srtbuild.yaml")
    i.set_defaults(func=cmd_init)
    for command in (p, b, c, i):  # `--debug` works after the command name too
        command.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return parser


def _print_diagnostics(record: dict, limit: int = 20) -> None:
    for w in record["warnings"][:limit]:
        print(f"{record['path']}:{w['line']}: {w['source']}: {w['message']}", file=sys.stderr)
    more = len(record["warnings"]) - limit
    if more > 0:
        print(f"{record['path']}: ... and {more} more (see the sidecar)", file=sys.stderr)


def cmd_process(args: argparse.Namespace) -> int:
    source = Path(args.file)
    if not source.is_file():
        what = "a folder, not a subtitle file" if source.is_dir() else \
            "not a regular file" if source.exists() else "no such file"
        raise UsageError(f"{args.file}: {what}")
    to_stdout = args.output == "-"
    if to_stdout and args.json:
        raise UsageError("--json prints to stdout: give -o FILE for the subtitles")
    from srtbuild.config import load_settings
    from srtbuild.processor import process_file, sidecar_path_for

    settings = load_settings(args.config, start=source.resolve().parent if args.config is None else None)
    output = None if to_stdout else Path(args.output)
    sidecar = Path(args.sidecar) if args.sidecar else (None if output is None else sidecar_path_for(output))
    record, out = process_file(source, output, settings, display=args.file, sidecar=sidecar)
    if record["status"] == "failed":
        err = record["error"]
        where = f"{args.file}:{err['line']}" if err["line"] else args.file
        print(f"{where}: error: {err['message']}", file=sys.stderr)
    elif record["status"] == "empty":
        print(f"{args.file}: warning: empty file (no cue to show); its output is empty too", file=sys.stderr)
    elif not args.json:
        _print_diagnostics(record)
        print(
            f"{args.file}: {record['segments']} cues, {record['corrections']} corrections, "
            f"quality {record['quality_before']} -> {record['quality_after']}",
            file=sys.stderr,
        )
    if args.json:
        json.dump(record, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    elif to_stdout and out is not None:
        sys.stdout.flush()
        sys.stdout.buffer.write(out)
        sys.stdout.flush()
    return 1 if record["status"] == "failed" else 0


def cmd_batch(args: argparse.Namespace) -> int:
    from srtbuild.engine.batch import (  # doit is only imported for builds
        BatchOptions,
        run_batch,
    )

    opts = BatchOptions(
        input=args.input, output=args.output, config=args.config, patterns=args.patterns or [],
        recursive=args.recursive, exclude=args.exclude, parallel=args.parallel, force=args.force,
        stop_on_error=args.stop_on_error, dry_run=args.dry_run, export_report=args.export_report,
        export_format=args.export_format, timeout_s=args.timeout_s, max_memory_mb=args.max_memory_mb,
        progress=args.progress, progress_interval_s=args.progress_interval_s, color=args.color,
        verbosity=2 if args.verbose else 0 if args.quiet else 1, format=args.format,
        format_output=args.format_output, annotate=args.annotate, fail_on=args.fail_on, csv_bom=args.csv_bom,
        csv_delimiter=args.csv_delimiter,
    )
    return run_batch(opts)


def cmd_compare(args: argparse.Namespace) -> int:
    from srtbuild.reports.compare import compare, load_report, regressed, text

    diff = compare(load_report(args.old), load_report(args.new))
    if args.json:
        json.dump(diff, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text(diff))
    if args.fail_on_regression and regressed(diff):
        print("srtbuild: quality regressed (a file newly fails or the mean quality dropped)", file=sys.stderr)
        return 1
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from srtbuild.scaffold import init_project

    for path in init_project(Path(args.dir), args.input, args.output):
        print(f"srtbuild: wrote {path}", file=sys.stderr)
    return 0


class _DataOut:
    """stdout, where data goes (--json, --dry-run, `--export-report -`, `-o -`): data that
    cannot be written there (stdout closed, a full disk, an I/O error) is a one-line error
    and exit 2, not an internal error, nor data lost in silence."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _do(self, name: str, *args: Any) -> Any:
        if self._stream is None:
            raise UsageError("cannot write to stdout: it is closed")
        try:
            return getattr(self._stream, name)(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise UsageError(f"cannot write to stdout: {exc.strerror or exc}") from None

    def write(self, data: Any) -> Any:
        return self._do("write", data)

    def flush(self) -> None:
        if self._stream is not None:
            self._do("flush")

    @property
    def buffer(self) -> "_DataOut":
        return _DataOut(getattr(self._stream, "buffer", None))

    def isatty(self) -> bool:
        return bool(self._stream is not None and self._stream.isatty())

    def fileno(self) -> int:
        if self._stream is None:
            raise OSError("stdout is closed")
        return self._stream.fileno()


def main(argv: list[str] | None = None) -> int:
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    # Started with stderr closed (`2>&-`): Python has no stream for it. Write into nothing
    # rather than fail on the first message.
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")
    progress = sys.modules.get("srtbuild.reports.progress")
    if progress is not None:  # an earlier command in this process (tests, a host program)
        progress.forget()
    stdout = sys.stdout
    if not isinstance(stdout, _DataOut):
        sys.stdout = _DataOut(stdout)  # type: ignore[assignment]
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return 2
        code = args.func(args)
        sys.stdout.flush()  # here, where a failure is still one line and exit 2
        return code
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("srtbuild: interrupted", file=sys.stderr)
        return 130
    except SrtbuildError as exc:
        _error(f"srtbuild: error: {exc}")
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the boundary: a bug must not look like a bad file
        if debug:
            traceback.print_exc()
        print(f"srtbuild: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)", file=sys.stderr)
        return 3
    finally:
        sys.stdout = stdout  # type: ignore[assignment]


def _error(text: str) -> None:
    """The one line of an error: above a live progress display or as JSON if a run's
    progress was JSON (srtbuild.reports.progress knows), else plain."""
    progress = sys.modules.get("srtbuild.reports.progress")
    if progress is not None:
        progress.notice(text, "error")
    else:
        print(text, file=sys.stderr)
