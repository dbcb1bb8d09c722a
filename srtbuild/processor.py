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
from pathlib import Path

from srtbuild import __version__
from srtbuild.atomic import write_atomic
from srtbuild.config import Settings
from srtbuild.errors import SubtitleError
from srtbuild.quality import assess
from srtbuild.rules.base import Context
from srtbuild.rules.registry import run_pipeline
from srtbuild.subtitles import compose, encode, read_bytes
from srtbuild.subtitles.reader import MAX_BYTES

SIDECAR_SCHEMA = "srtbuild.sidecar/1"
MAX_ROUNDS = 4


def sidecar_path_for(output: Path) -> Path:
    """Default sidecar next to an output: `lecture.srt` -> `lecture.srt.json`."""
    return output.with_name(output.name + ".json")


def _base_record(display: str, output: str | None, settings: Settings, size: int, sha: str | None) -> dict:
    return {
        "schema": SIDECAR_SCHEMA,
        "path": display,
        "output": output,
        "status": "ok",
        "segments": 0,
        "segments_before": 0,
        "corrections": 0,
        "corrections_by_rule": {},
        "glossary_terms": {},
        "quality_before": None,
        "quality_after": None,
        "checks_before": {},
        "checks_after": {},
        "warnings": [],
        "changes": [],
        "error": None,
        "processing_time_s": 0.0,
        "size_bytes": size,
        "source_sha256": sha,
        "encoding": None,
        "settings_digest": settings.digest(),
        "srtbuild_version": __version__,
        "processed_at": round(time.time(), 6),
    }


def correct(data: bytes, settings: Settings, display: str) -> tuple[bytes, dict]:
    """Pure core: source bytes -> (output bytes, record fields). Raises SubtitleError."""
    doc = read_bytes(data, display, settings.encoding, settings.language)
    before = assess(doc.cues, settings.quality, len(doc.warnings), keep_findings=False)
    segments_before = len(doc.cues)
    ctx = Context(language=settings.language)
    cues = doc.cues
    # Rules are each idempotent, but one rule's change can give an earlier rule new work
    # (a filler removed from between two words leaves a stutter or a sentence start). The
    # pipeline is run until a round changes nothing, so the output is a fixpoint: running
    # srtbuild on its own output makes no correction. Real files settle in two rounds.
    for _ in range(MAX_ROUNDS):
        made = ctx.changes.total
        cues = run_pipeline(cues, settings.pipeline, ctx)
        if ctx.changes.total == made:
            break
    after = assess(cues, settings.quality, 0)
    fmt = settings.output_format
    out = encode(compose(cues, crlf=fmt["crlf"]), bom=fmt["bom"])
    warnings = [w.as_dict() for w in doc.warnings] + [f.as_dict() for f in after.findings]
    warnings.sort(key=lambda w: w["line"])
    fields = {
        "segments": len(cues),
        "segments_before": segments_before,
        "corrections": ctx.changes.total,
        "corrections_by_rule": dict(sorted(ctx.changes.by_rule.items())),
        "glossary_terms": dict(sorted(ctx.changes.terms.items())),
        "quality_before": before.score,
        "quality_after": after.score,
        "checks_before": before.checks,
        "checks_after": after.checks,
        "warnings": warnings,
        "changes": [{"line": line, "rule": rule, "count": n} for line, rule, n in ctx.changes.at],
        "encoding": doc.encoding,
    }
    return out, fields


def process_file(
    source: str | Path,
    output: str | Path | None,
    settings: Settings,
    display: str | None = None,
    sidecar: str | Path | None = None,
) -> tuple[dict, bytes | None]:
    """Process one file. Writes `output` (unless None) and `sidecar` (unless None).

    Returns (record, output bytes or None when failed). The output is written only on
    success: a failed run leaves the previous output as it was.
    """
    started = time.perf_counter()
    source = Path(source)
    display = display or str(source)
    try:
        with open(source, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        data = None
        error = SubtitleError(f"cannot read: {exc.strerror or exc}", display)
    record = _base_record(display, str(output) if output else None, settings,
                          len(data) if data is not None else 0,
                          hashlib.sha256(data).hexdigest() if data is not None else None)
    out: bytes | None = None
    try:
        if data is None:
            raise error
        if len(data) > MAX_BYTES:
            raise SubtitleError("larger than 200 MiB; not a subtitle file", display)
        out, fields = correct(data, settings, display)
        record.update(fields)
    except SubtitleError as exc:
        record["status"] = "failed"
        record["error"] = {"message": exc.message, "line": exc.line}
    record["processing_time_s"] = round(time.perf_counter() - started, 6)
    if out is not None and output is not None:
        write_atomic(output, out)
    if sidecar is not None:
        write_sidecar(sidecar, record)
    return record, out


def write_sidecar(path: str | Path, record: dict) -> None:
    # Compact: json's C encoder only runs without `indent`, and is several times faster.
    write_atomic(path, (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))


def record_failure(
    source: str | Path,
    output: str | Path | None,
    settings: Settings,
    display: str,
    message: str,
    elapsed_s: float = 0.0,
) -> dict:
    """The record of a file whose processing never finished (it hung, its worker died,
    or a rule raised): `failed`, with the message, and no output written."""
    try:
        size = os.path.getsize(source)
    except OSError:
        size = 0
    record = _base_record(display, str(output) if output else None, settings, size, None)
    record["status"] = "failed"
    record["error"] = {"message": message, "line": None}
    record["processing_time_s"] = round(elapsed_s, 6)
    return record
