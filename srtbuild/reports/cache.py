"""The cache of report rows (OUTPUT/.srtbuild/sidecars.cache): each metrics folder's rows
and totals, keyed by the name, mtime and size of every sidecar in it.

Inert text, checked field by field when read. Anyone who can write the output folder can
write it, so it must never be able to do more than make a report wrong (which editing a
sidecar could do too): no pickle, nothing executed. Its first line is JSON: the folders,
each with its subfolders, totals, and files (name, mtime, size, CSV row). Then come the
files' JSON rows, one a line in the same order, as report.json takes them: kept out of
the JSON so that they are neither escaped when written nor decoded when read, only
checked (srtbuild.reports.rowcheck).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

from srtbuild.confined import OutputRoot
from srtbuild.errors import SrtbuildError
from srtbuild.reports.rowcheck import split_rows
from srtbuild.reports.rows import CSV_FIELDS, ROW_FIELDS, Entry, Tally, need

# The cache holds rows made with these fields and columns: a change of them (a rule added,
# say) is a cache of another schema, rebuilt without a word.
CACHE_SCHEMA = "srtbuild.sidecars/7:" + hashlib.sha256("\0".join(ROW_FIELDS + CSV_FIELDS).encode()).hexdigest()[:12]
MAX_CACHE_BYTES = 256 * 1024 * 1024  # about 250,000 files; a larger one was not made by srtbuild


@dataclass
class Folder:
    """A metrics folder as cached: its entries by sidecar name, its subfolders, its totals."""

    files: dict[str, Entry]
    subdirs: list[str]
    tally: Tally


def dump_cache(folders: dict[str, Folder], keep: int) -> bytes:
    head = {
        "schema": CACHE_SCHEMA,
        "keep": keep,
        "folders": {
            name: {
                "subdirs": f.subdirs,
                "files": [[n, e.mtime_ns, e.size, e.csv] for n, e in f.files.items()],
                "tally": f.tally.dump(),
            }
            for name, f in folders.items()
        },
    }
    rows = "".join(e.json + "\n" for f in folders.values() for e in f.files.values()).encode("utf-8")
    briefs = "".join(e.brief + "\n" for f in folders.values() for e in f.files.values()).encode("utf-8")
    head["rows_bytes"] = len(rows)
    # ASCII: folder names may hold bytes that are not UTF-8 (kept by Python as surrogates).
    return b"".join((json.dumps(head, separators=(",", ":")).encode("ascii"), b"\n", rows, briefs))


def load_cache(root: OutputRoot, cache: str, warnings: list[str]) -> tuple[dict[str, Folder], int]:
    try:
        blob = root.read(cache, MAX_CACHE_BYTES + 1)
    except FileNotFoundError:
        return {}, 0
    except (OSError, SrtbuildError) as exc:
        warnings.append(f"{root.shown(cache)}: cannot read the cache ({short(exc)}); rebuilding it")
        return {}, 0
    try:
        need(len(blob) <= MAX_CACHE_BYTES)
        cut = blob.find(b"\n")
        first, rest = (blob, b"") if cut < 0 else (blob[:cut], memoryview(blob)[cut + 1:])  # no copy of the rows
        data = json.loads(first)
        if not isinstance(data, dict) or data.get("schema") != CACHE_SCHEMA:
            return {}, 0  # an older srtbuild's cache: rebuilt without a word
        keep = data["keep"]
        need(isinstance(keep, int) and keep > 0)
        size = data["rows_bytes"]
        need(type(size) is int and 0 <= size <= len(rest))
        rows = split_rows(rest[:size])
        need(rows is not None)
        # The briefs of report.html: decoded and checked when a page is made (rows.parse_briefs).
        briefs = str(rest[size:], "utf-8").split("\n")
        need(len(briefs) == len(rows) + 1 and briefs[-1] == "")
        folders = {}
        taken = 0
        for name, f in _items(data["folders"]):
            need(isinstance(f, dict))
            subdirs = f["subdirs"]
            need(isinstance(subdirs, list) and all(isinstance(d, str) for d in subdirs))
            files = _entries(f["files"], rows, briefs, taken)
            taken += len(files)
            folders[name] = Folder(files, subdirs, Tally.load(f["tally"]))
        need(taken == len(rows))
        return folders, keep
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        warnings.append(f"{root.shown(cache)}: damaged cache ignored ({short(exc)}); rebuilding it")
        return {}, 0


def _items(value: Any) -> list[tuple[str, Any]]:
    need(isinstance(value, dict))
    return list(value.items())


def _entries(value: Any, rows: list[str], briefs: list[str], first: int) -> dict[str, Entry]:
    """A folder's cached entries, checked, with their JSON rows from `rows[first:]`. The
    CSV rows are spliced into report.csv as they are: each must be one record. (One loop
    without calls: a no-op run of 10,000 files reads 10,000 of these.)"""
    need(type(value) is list and first + len(value) <= len(rows))
    out = {}
    for k, e in enumerate(value, first):
        if not (type(e) is list and len(e) == 4):
            raise ValueError("unexpected content")
        name, mtime, size, cs = e
        if not (type(name) is str and type(mtime) is int and type(size) is int and type(cs) is str
                and name not in out and _one_record(cs)):
            raise ValueError("unexpected content")
        out[name] = Entry(mtime, size, rows[k], cs, briefs[k])
    return out


def _one_record(text: str) -> bool:
    """One CSV record of report.csv's columns, ending in a line break: a cached row that
    is anything else would add or swallow rows of report.csv."""
    if '"' not in text:  # nothing quoted (most rows): commas and line breaks are separators
        return text.count(",") == len(CSV_FIELDS) - 1 and text.count("\n") == 1 and text[-1:] == "\n"
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return False
    return len(records) == 1 and len(records[0]) == len(CSV_FIELDS) and text[-1:] == "\n"


def short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."
