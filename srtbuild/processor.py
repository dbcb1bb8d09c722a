"""One file, start to end: read -> rules -> quality -> output + sidecar.

This is the unit of work the build schedules. It knows nothing of doit: it takes plain
paths and settings, writes its two files atomically, and returns the sidecar record.
A file that cannot be read is a record with status `failed`, not an exception.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from srtbuild import __version__
from srtbuild.config import Settings
from srtbuild.confined import write_atomic
from srtbuild.errors import SrtbuildError, SubtitleError
from srtbuild.names import escape_name
from srtbuild.quality import assess
from srtbuild.rules.base import Context
from srtbuild.rules.fixpoint import settle
from srtbuild.subtitles import compose, encode, read_bytes
from srtbuild.subtitles.source import read_source

SIDECAR_SCHEMA = "srtbuild.sidecar/1"
MAX_ROUNDS = 8  # real files settle in two or three; each round after the first is cheap
MAX_LISTED = 10_000  # warnings and changes kept with their lines in a sidecar


class UnreadableCues(SubtitleError):
    """A file lost more of its cues to the reader than `max_dropped_share` allows: an
    output missing that much is not a corrected file. It carries the count so that the
    failed file's sidecar still says how many cues were lost."""

    def __init__(self, dropped: int, total: int, path: str | None = None, line: int | None = None) -> None:
        SubtitleError.__init__(self, f"{dropped} of {total} cues unreadable", path, line)
        self.args = (dropped, total, path, line)
        self.dropped = dropped
        self.total = total


def sidecar_path_for(output: Path) -> Path:
    """Default sidecar next to an output: `lecture.srt` -> `lecture.srt.json`."""
    return output.with_name(output.name + ".json")


def _base_record(display: str, output: str | None, settings: Settings, size: int, sha: str | None,
                 md5: str | None) -> dict:
    return {
        "schema": SIDECAR_SCHEMA,
        "path": display,
        "output": output,
        "status": "ok",
        "segments": 0,
        "segments_before": 0,
        "cues_dropped": 0,  # cues the reader could not read (not in segments_before)
        "corrections": 0,
        "corrections_by_rule": {},
        "glossary_terms": {},
        "quality_before": None,
        "quality_after": None,
        "checks_before": {},
        "checks_after": {},
        "warnings": [],
        "warnings_total": 0,
        "changes": [],
        "changes_total": 0,
        "error": None,
        "processing_time_s": 0.0,
        "size_bytes": size,
        "source_sha256": sha,
        "source_md5": md5,  # what doit's state keeps of a source: to tell the bytes processed
        "encoding": None,
        "encoding_confidence": None,  # 1 when the bytes or the settings say; less when guessed
        "language": None,  # with `language: auto`, the language guessed from the text
        "settings_digest": settings.digest(),
        "srtbuild_version": __version__,
        "processed_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),  # ISO 8601 UTC
    }


def correct(data: bytes, settings: Settings, display: str) -> tuple[bytes, dict]:
    """Pure core: source bytes -> (output bytes, record fields). Raises SubtitleError."""
    doc = read_bytes(data, display, settings.encoding, settings.language)
    dropped = len(doc.dropped)
    if dropped and dropped / (len(doc.cues) + dropped) > settings.max_dropped_share:
        raise UnreadableCues(dropped, len(doc.cues) + dropped, display, doc.dropped[0])
    before = assess(doc.cues, settings.quality, len(doc.warnings), keep_findings=False, dropped=dropped)
    segments_before = len(doc.cues)
    ctx = Context(language=doc.language or settings.language)  # with `auto`, the reader's guess
    cues = doc.cues
    # Until a round changes nothing: running srtbuild on its output makes no correction.
    cues = settle(cues, settings.pipeline, ctx, MAX_ROUNDS)
    after = assess(cues, settings.quality, 0, dropped=dropped)
    fmt = settings.output_format
    out = encode(compose(cues, crlf=fmt["crlf"]), bom=fmt["bom"])
    warnings = [w.as_dict() for w in doc.warnings] + [f.as_dict() for f in after.findings]
    warnings.sort(key=lambda w: w["line"])
    changes = [{"line": line, "rule": rule, "count": n} for line, rule, n in ctx.changes.at]
    fields = {
        "segments": len(cues),
        "segments_before": segments_before,
        "cues_dropped": dropped,
        "corrections": ctx.changes.total,
        "corrections_by_rule": dict(sorted(ctx.changes.by_rule.items())),
        "glossary_terms": dict(sorted(ctx.changes.terms.items())),
        "quality_before": before.score,
        "quality_after": after.score,
        "checks_before": before.checks,
        "checks_after": after.checks,
        # Listed up to MAX_LISTED each (a 600,000-cue file would make a sidecar of 100+ MB);
        # the totals are always whole.
        "warnings": warnings[:MAX_LISTED],
        "warnings_total": len(warnings),
        "changes": changes[:MAX_LISTED],
        "changes_total": len(changes),
        "encoding": doc.encoding,
        "encoding_confidence": doc.encoding_confidence,
        "language": doc.language,
    }
    return out, fields


class Writer(Protocol):
    """Where a processed file's output and sidecar go: `write(path, data)`, atomic. The
    build passes its output folder (srtbuild.confined.OutputRoot, paths relative to it);
    `srtbuild process` writes the paths the user named."""

    def write(self, path: str, data: bytes) -> None: ...


class _UserPaths:
    def write(self, path: str, data: bytes) -> None:
        write_atomic(path, data)


USER_PATHS: Writer = _UserPaths()


def process_file(
    source: str | Path,
    output: str | Path | None,
    settings: Settings,
    display: str | None = None,
    sidecar: str | Path | None = None,
    writer: Writer = USER_PATHS,
    shown_output: str | None = None,
) -> tuple[dict, bytes | None]:
    """Process one file. Writes `output` (unless None) and `sidecar` (unless None) with
    `writer`. `display` and `shown_output` are the names the record and messages use.

    Returns (record, output bytes or None when failed). The output is written only on
    success: a failed run leaves the previous output as it was. A source with nothing to
    show (0 bytes, only blank lines, or only cues without text) is `empty`: its output is
    empty too, and it is counted apart from the files that succeeded or failed.
    """
    started = time.perf_counter()
    display = display or str(source)
    if shown_output is None:
        shown_output = escape_name(str(output)) if output else None
    data: bytes | None = None
    out: bytes | None = None
    try:
        data = read_source(source, display)
        record = _base_record(display, shown_output, settings, len(data),
                              hashlib.sha256(data).hexdigest(), hashlib.md5(data, usedforsecurity=False).hexdigest())
        out, fields = correct(data, settings, display)
        record.update(fields)
        if not fields["segments"]:  # nothing to show: no cue, or none with text
            record["status"] = "empty"
            record["quality_before"] = record["quality_after"] = None
    except SubtitleError as exc:
        if data is None:
            record = _base_record(display, shown_output, settings, 0, None, None)
        record["status"] = "failed"
        record["error"] = {"message": exc.message, "line": exc.line}
        if isinstance(exc, UnreadableCues):
            record["cues_dropped"] = exc.dropped
    record["processing_time_s"] = round(time.perf_counter() - started, 6)
    if out is not None and output is not None:
        try:
            writer.write(str(output), out)
        except (OSError, SrtbuildError) as exc:
            out = None
            record["status"] = "failed"
            record["error"] = {"message": f"cannot write the output: {_why(exc)}", "line": None}
    if sidecar is not None:
        write_sidecar(sidecar, record, writer)
    return record, out


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f" ({escape_name(str(exc.filename))})" if exc.filename else "")
    return str(exc)


def write_sidecar(path: str | Path, record: dict, writer: Writer = USER_PATHS) -> None:
    # Compact: json's C encoder only runs without `indent`, and is several times faster.
    writer.write(str(path), (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))


def record_failure(
    source: str | Path,
    output: str | Path | None,
    settings: Settings,
    display: str,
    message: str,
    elapsed_s: float = 0.0,
) -> dict:
    """The record of a file whose processing never finished (it hung, its worker died,
    or a rule raised): `failed`, with the message, and no output written. `output` is
    the output as the record shows it."""
    try:
        size = os.path.getsize(source)
    except OSError:
        size = 0
    record = _base_record(display, str(output) if output else None, settings, size, None, None)
    record["status"] = "failed"
    record["error"] = {"message": message, "line": None}
    record["processing_time_s"] = round(elapsed_s, 6)
    return record
