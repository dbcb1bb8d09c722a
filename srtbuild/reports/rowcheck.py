"""Whether cached report rows may be spliced into report.json as they are.

The sidecar cache keeps each file's report row as JSON text, one row a line, so that a
run reuses it without decoding and encoding it again. The cache is a file in the output
folder, which anyone who can write that folder can change: a row that is not one JSON
object could close the `files` list and forge the totals. So every row is checked when
the cache is read: one JSON object, its values strings, numbers, true, false, null or
objects of those (the shape of the rows srtbuild writes). The check runs compiled when
`srtbuild.reports._rows` is built (srtbuild.compiled), and as `rows_ok_py` otherwise.
"""

from __future__ import annotations

import json
from types import ModuleType

from srtbuild.compiled import load

_c: ModuleType | None = load("srtbuild.reports._rows")


def split_rows(data: bytes) -> list[str] | None:
    """The rows of `data` (UTF-8, one row a line, each line ending in a newline), or None
    when any row is not of the shape above or the bytes are not UTF-8."""
    try:
        text = data.decode("utf-8", "surrogatepass")  # as the cache wrote them
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
    lines = text[:-1].split("\n")
    try:
        rows = json.loads("[" + ",".join(lines) + "]", parse_constant=_refuse)
    except (ValueError, RecursionError):
        return False
    # One object a line: a line holding two would make more rows than lines.
    if len(rows) != len(lines):
        return False
    for row in rows:
        if type(row) is not dict:
            return False
        for value in row.values():
            kind = type(value)
            if kind is dict:
                if not all(type(v) in _SCALARS for v in value.values()):
                    return False
            elif kind not in _SCALARS:
                return False
    return True


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _refuse(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
