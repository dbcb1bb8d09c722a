"""Whether cached report rows may be spliced into report.json as they are.

The sidecar cache keeps each file's report row as JSON text, one row a line, so that a
run reuses it without decoding and encoding it again. The cache is a file in the output
folder, which anyone who can write that folder can change: a row that is not one JSON
object could close the `files` list and forge the totals. So every row is checked when
the cache is read: one JSON object, its values strings, numbers, true, false, null,
objects or lists, nested at most MAX_DEPTH deep (the shape of the rows srtbuild writes). The check runs compiled when
`srtbuild.reports._rows` is built (srtbuild.compiled), and as `rows_ok_py` otherwise.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from srtbuild.compiled import load

_c: ModuleType | None = load("srtbuild.reports._rows")


def split_rows(data: bytes | memoryview) -> list[str] | None:
    """The rows of `data` (UTF-8, one row a line, each line ending in a newline), or None
    when any row is not of the shape above or the bytes are not UTF-8."""
    try:
        text = str(data, "utf-8")  # strictly: report.json could not hold a lone surrogate
    except UnicodeDecodeError:
        return None
    if not (_c.rows_ok(data) if _c is not None else rows_ok_py(text)):
        return None
    return text.split("\n")[:-1]


def rows_ok_py(text: str) -> bool:
    """The reference check, on the decoded text."""
    if not text:
        return True
    if not text.endswith("\n"):
        return False
    try:  # a line at a time: one object a line, as the compiled check holds them
        rows = [strict_loads(line) for line in text[:-1].split("\n")]
    except (ValueError, RecursionError):
        return False
    return all(type(row) is dict and _within(row, 1) for row in rows)


MAX_DEPTH = 3  # a row, its `findings` list, the objects in it
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _within(container: dict | list, depth: int) -> bool:
    """Every value in `container` (itself at `depth`) a scalar, or a container no deeper
    than MAX_DEPTH."""
    for value in container.values() if type(container) is dict else container:
        kind = type(value)
        if kind in _SCALARS:
            continue
        if kind not in (dict, list) or depth >= MAX_DEPTH or not _within(value, depth + 1):
            return False
    return True


def strict_loads(text: str) -> Any:
    """json.loads of JSON itself: NaN and the infinities, which Python also reads, are a
    ValueError (written back out they would not be JSON)."""
    return json.loads(text, parse_constant=_refuse)


def _refuse(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
