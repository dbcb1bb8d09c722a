"""The names srtbuild gives to things on disk, and how it shows a file name: as it is,
except what cannot be shown safely.

A path in a user's tree may hold any character but `/` and NUL. doit refuses some in a
task name, a terminal or a log line is misled by others, and JSON cannot hold bytes that
are not UTF-8. Every name srtbuild prints or stores (task names, report paths, messages)
goes through `escape_name`; the file itself is always opened by its real name.
"""

from __future__ import annotations

import hashlib
import os
import re

# Everything srtbuild writes besides the corrected subtitles lives in OUTPUT/.srtbuild/.
STATE_DIR = ".srtbuild"

# Characters a task name cannot carry, or that would mislead a terminal or a log: doit
# refuses `=`; control characters (C0, C1, line and paragraph separators) break lines;
# bidirectional overrides reorder what a reader sees; lone surrogates are bytes of a file
# name that are not UTF-8 and cannot be written to JSON at all. A `%` is escaped only
# where it would read as an escape (before two hex digits), so the encoding is reversible.
_ESCAPE = re.compile(
    "[\x00-\x1f\x7f-\x9f=\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\udc80-\udcff]"
    "|%(?=[0-9A-Fa-f]{2})"
)
_UNESCAPE = re.compile("(?:%[0-9A-Fa-f]{2})+")


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    if "\udc80" <= c <= "\udcff":  # an undecodable byte, kept by Python as a surrogate
        return f"%{ord(c) - 0xDC00:02X}"
    return "".join(f"%{b:02X}" for b in c.encode("utf-8"))


def escape_name(rel: str) -> str:
    """The name doit, the reports and every message use for a path `rel`: `rel` itself
    for every ordinary name (spaces, quotes, `:`, emoji and all), with `=`,
    control and direction-changing characters, bytes that are not UTF-8, and a `%` before
    two hex digits written as %XX. Stable across runs and platforms, and reversible."""
    return _ESCAPE.sub(_escape, rel) if _ESCAPE.search(rel) else rel


def unescape_name(name: str) -> str:
    """The inverse of escape_name (surrogates for bytes that are not UTF-8)."""
    return _UNESCAPE.sub(lambda m: bytes.fromhex(m.group().replace("%", "")).decode("utf-8", "surrogateescape"), name)


_NAME_MAX = 255  # bytes in one file name on every file system srtbuild runs on
SIDECAR_SUFFIX = ".json"
_SURELY_FITS = (_NAME_MAX - len(SIDECAR_SUFFIX)) // 4


def sidecar_name(name: str) -> str:
    """The metrics file name of the source file `name`: `NAME.json`, or, where that would
    be longer than a file name may be, NAME cut short plus a hash of the whole name."""
    if len(name) <= _SURELY_FITS:  # no character takes more than 4 bytes: no need to encode
        return name + SIDECAR_SUFFIX
    raw = os.fsencode(name)
    if len(raw) + len(SIDECAR_SUFFIX) <= _NAME_MAX:
        return name + SIDECAR_SUFFIX
    tag = "~" + hashlib.sha256(raw).hexdigest()[:16] + SIDECAR_SUFFIX
    return os.fsdecode(raw[: _NAME_MAX - len(tag)]) + tag


def _metrics_part(name: str) -> str:
    # A folder whose name ends like a sidecar (`x.srt.json/`) would collide with the
    # sidecar of a file beside it (`x.srt`): such names, and names already ending in `~`,
    # get one more `~`. Reversible, and no sidecar name ends in `~`. Where that `~` would
    # make the name too long, it is cut short with a hash, as sidecar names are, and
    # ends `<hash>~`: unlike any other (source_folder cannot reverse it; the sidecars in
    # it say whose they are).
    if not name.endswith((SIDECAR_SUFFIX, "~")):
        return name
    if len(name) < _SURELY_FITS:
        return name + "~"
    raw = os.fsencode(name)
    if len(raw) < _NAME_MAX:
        return name + "~"
    tag = "~" + hashlib.sha256(raw).hexdigest()[:16] + "~"
    return os.fsdecode(raw[: _NAME_MAX - len(tag)]) + tag


def metrics_folder(folder: str) -> str:
    """Where the sidecars of the sources in `folder` (relative to the input root, `/`
    between names) live, relative to the metrics root."""
    if not folder:
        return folder
    return "/".join(_metrics_part(part) for part in folder.split("/"))


def source_folder(metrics: str) -> str | None:
    """The inverse of metrics_folder; None where a name was cut short (see _metrics_part)."""
    if not metrics:
        return metrics
    parts = []
    for part in metrics.split("/"):
        if part.endswith("~"):
            part = part[:-1]
            if not part.endswith((SIDECAR_SUFFIX, "~")):
                return None
        parts.append(part)
    return "/".join(parts)


def within(path: str, folder: str) -> bool:
    """`path` is `folder` or lies below it (also when `folder` is the root, `/`)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
