"""What the progress display looks like: a live block for a terminal, a plain line for a
log, a JSON object for tools, and the text-width arithmetic they need.

Everything here is a pure function of a Snapshot and a width, so every frame can be
tested at 40, 80 or 200 columns. Widths are terminal cells: an East Asian wide character
takes two, a combining mark none, and no line is ever wider than the terminal (a wrapped
line could not be redrawn in place).
"""

from __future__ import annotations

import json
import os
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping, TextIO

from srtbuild.reports.tracker import Snapshot

HINT = "Ctrl+C stops after the files in progress; the next run resumes."
HINT_SHORT = "Ctrl+C stops; the next run resumes."
STOPPING = "Stopping after the files in progress; Ctrl+C again stops at once."
STOPPING_SHORT = "Stopping; Ctrl+C again: at once."
_ELLIPSIS = "…"
_MB = 1024 * 1024
_BAR_MAX = 30
_LABEL = 9  # "  speed: " and the indent of continuation lines
_GROUP = "|"


# widths ------------------------------------------------------------------------------
def cell_width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(_char_width(ch) for ch in text)


def _char_width(ch: str) -> int:
    if ch == "\u00ad":  # a soft hyphen: terminals draw it
        return 1
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _cut(text: str, width: int, from_end: bool = False) -> str:
    """The longest start (or end) of `text` that fits in `width` cells."""
    chars = reversed(text) if from_end else iter(text)
    kept: list[str] = []
    used = 0
    for ch in chars:
        w = _char_width(ch)
        if used + w > width:
            break
        kept.append(ch)
        used += w
    return "".join(reversed(kept) if from_end else kept)


def shorten(text: str, width: int) -> str:
    """`text` in at most `width` cells, shortened in the middle: the end of a file name
    (its number, its extension) says as much as its start."""
    if cell_width(text) <= width:
        return text
    if width <= 1:
        return _cut(text, width)
    head = (width - 1) * 2 // 5  # the end gets more: it tells lecture_07 from lecture_08
    tail = width - 1 - head
    return _cut(text, head) + _ELLIPSIS + (_cut(text, tail, from_end=True) if tail > 0 else "")


def fit(text: str, width: int) -> str:
    """`text` cut at the end to at most `width` cells."""
    if cell_width(text) <= width:
        return text
    return _cut(text, max(width - 1, 0)) + _ELLIPSIS if width > 0 else ""


# numbers -----------------------------------------------------------------------------
def duration(seconds: float) -> str:
    if 0 < seconds < 0.5:
        return "<1s"
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def size_text(n: int) -> str:
    """Bytes for people: kB under a megabyte, MB, then GB."""
    if n >= 10 * 1024 ** 3:
        return f"{n / 1024 ** 3:,.0f} GB"
    if n >= 1024 ** 3:
        return f"{n / 1024 ** 3:.1f} GB"
    if n >= 1024 ** 2:
        return f"{n / 1024 ** 2:,.1f} MB"
    return f"{max(n, 0) / 1024:,.0f} kB"


def _processes(n: int) -> str:
    return f"{n} process" if n == 1 else f"{n} processes"


def _rate(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


# colour ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Palette:
    """ANSI styles, or none at all."""

    on: bool

    def __call__(self, text: str, style: str) -> str:
        if not self.on or not text or not style:
            return text
        code = {"ok": "32", "bad": "31;1", "warn": "33", "dim": "2", "bold": "1"}[style]
        return f"\x1b[{code}m{text}\x1b[0m"


def color_allowed(mode: str, stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """--color always/never, else colour on a terminal unless NO_COLOR is set (to
    anything, https://no-color.org) or TERM is dumb."""
    env = os.environ if env is None else env
    if mode in ("always", "never"):
        return mode == "always"
    return is_terminal(stream) and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


def is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def diagnostic(line: str, paint: Palette) -> str:
    """`PATH:LINE: error: ...` with its severity word coloured."""
    for word, style in ((": error: ", "bad"), (": warning: ", "warn")):
        at = line.find(word)
        if at != -1:
            return line[:at + 2] + paint(word[2:-2], style) + line[at + len(word) - 2:]
    return line


# the live block ------------------------------------------------------------------------
def _pack(label: str, chunks: list[tuple[str, str]], width: int, paint: Palette, sep: str = "  ",
          max_lines: int = 3) -> list[str]:
    """Chunks laid out after `label`, wrapping to indented lines where the next does not
    fit (at most `max_lines`, then "+N more"); a chunk too wide for a line of its own is
    shortened in the middle."""
    room = max(width - _LABEL, 4)
    lines: list[list[tuple[str, str]]] = [[]]  # (text, style) per line
    for i, (text, style) in enumerate(chunks):
        text = shorten(text, room)
        if lines[-1] and _used(lines[-1] + [(text, style)], sep) > room:
            if len(lines) == max_lines:
                _more(lines[-1], len(chunks) - i, sep, room)
                break
            lines.append([])
        lines[-1].append((text, style))
    first = f"  {label}".ljust(_LABEL) if width > _LABEL + 4 else ""
    return [(first if i == 0 else " " * len(first)) + _join(parts, sep, paint) for i, parts in enumerate(lines)]


def _join(parts: list[tuple[str, str]], sep: str, paint: Palette) -> str:
    """A chunk whose style starts with "|" opens a new group: " | " before it, and no bar
    at the start of a line."""
    out = []
    for i, (text, style) in enumerate(parts):
        group = style.startswith(_GROUP)
        if i:
            out.append(" | " if group else sep)
        out.append(paint(text, style.removeprefix(_GROUP)))
    return "".join(out)


def _used(parts: list[tuple[str, str]], sep: str) -> int:
    return cell_width(_join(parts, sep, Palette(False)))


def _more(parts: list[tuple[str, str]], rest: int, sep: str, room: int) -> None:
    """End a full line with "+N more", dropping its last chunks until that fits."""
    while parts and _used(parts + [(f"+{rest} more", "")], sep) > room:
        parts.pop()
        rest += 1
    parts.append((f"+{rest} more", "dim"))


def _now(snap: Snapshot, width: int, paint: Palette) -> list[str]:
    if not snap.active:
        return _pack("now:", [("starting" if snap.done < snap.total else "finishing", "dim")], width, paint)
    room = max(width - _LABEL, 4)
    ready = len(snap.active) - snap.waiting
    labels = [" (waiting)" if i >= ready else f" ({cues:,} cue{'s' if cues != 1 else ''})" if cues else ""
              for i, (_, cues) in enumerate(snap.active)]
    styles = ["dim" if i >= ready else "" for i in range(len(snap.active))]
    whole = [(name + label, style) for (name, _), label, style in zip(snap.active, labels, styles)]
    widths = [cell_width(t) for t, _ in whole]
    if max(widths) <= room and sum(widths) + 3 * (len(whole) - 1) <= 2 * room - 3:
        lines = _pack("now:", whole, width, paint, sep=" | ", max_lines=2)
        if not any("more" in line for line in lines):
            return lines
    # As many names to a line as get 24 cells each; a name keeps its whole width before
    # its cue count does, and is shortened in the middle only past that.
    across = max(1, min(len(snap.active), room // 24))
    share = max(8, (room - 3 * (across - 1)) // across)
    chunks = []
    for i, (name, _) in enumerate(snap.active):
        label = labels[i]
        if cell_width(name) + cell_width(label) > share and i < ready:
            label = ""
        chunks.append((shorten(name, max(share - cell_width(label), 8)) + label, styles[i]))
    return _pack("now:", chunks, width, paint, sep=" | ", max_lines=2)


def block(snap: Snapshot, width: int, height: int = 24, paint: Palette = Palette(False),
          hint: bool = True, stopping: bool = False) -> list[str]:
    """The live frame: a line per topic, none wider than `width - 1` cells, at most
    `height - 1` lines (the cursor must be able to go back to its first line)."""
    pct = f"{100 * snap.fraction:.1f}%"
    if width - 1 < 20:  # a sliver of a terminal: the count, cut to fit
        return [fit(f"{snap.done:,}/{snap.total:,} {pct}", max(width - 1, 1))]
    width -= 1
    head = f"srtbuild  {snap.done:,}/{snap.total:,} files  {pct}"
    if width - cell_width(head) - 4 < 10:  # narrow: room for the bar before the words
        head = f"{snap.done:,}/{snap.total:,} files  {pct}"
    bar_room = min(_BAR_MAX, width - cell_width(head) - 4)
    if bar_room >= 8:
        filled = int(bar_room * snap.fraction)
        head += "  [" + paint("#" * filled, "ok") + "-" * (bar_room - filled) + "]"
    elif cell_width(head) > width:
        head = fit(f"{snap.done:,}/{snap.total:,} {pct}", width)
    done = [(f"{snap.ok:,} ok", "ok" if snap.ok else ""), (f"{snap.failed:,} failed", "bad" if snap.failed else "")]
    if snap.empty:
        done.append((f"{snap.empty:,} empty", "warn"))
    done += [(f"{snap.up_to_date:,} up to date", ""), (plural(snap.corrections, 'correction'), _GROUP)]
    speed = [(f"{_rate(snap.files_per_min)} files/min", ""), (f"{_rate(snap.segments_per_s)} segments/s", ""),
             (f"memory {snap.memory_bytes / _MB:,.0f} MB ({_processes(snap.processes)})", _GROUP)]
    eta = "estimating" if snap.eta_s is None else duration(snap.eta_s)
    lines = [head]
    lines += _now(snap, width, paint)
    lines += _pack("done:", done, width, paint)
    lines += _pack("speed:", speed, width, paint)
    lines += _pack("ETA:", [(eta, "bold"), (f"(elapsed {duration(snap.elapsed_s)})", "dim")], width, paint)
    if hint:
        long, short = (STOPPING, STOPPING_SHORT) if stopping else (HINT, HINT_SHORT)
        lines.append(paint(fit(long if cell_width(long) <= width else short, width), "warn" if stopping else "dim"))
    room = max(height - 1, 1)
    if len(lines) > room and hint:
        lines.pop()
    return lines[:room]


# a log -------------------------------------------------------------------------------
def plain_line(snap: Snapshot) -> str:
    """The live block's figures on one line, for logs (no width limit, no escapes)."""
    eta = "estimating" if snap.eta_s is None else duration(snap.eta_s)
    empty = f"{snap.empty:,} empty, " if snap.empty else ""
    text = (f"srtbuild: {snap.done:,}/{snap.total:,} files ({100 * snap.fraction:.1f}%) | {snap.ok:,} ok, "
            f"{snap.failed:,} failed, {empty}{snap.up_to_date:,} up to date | "
            f"{plural(snap.corrections, 'correction')} | "
            f"{_rate(snap.files_per_min)} files/min, {_rate(snap.segments_per_s)} segments/s | "
            f"memory {snap.memory_bytes / _MB:,.0f} MB ({_processes(snap.processes)}) | ETA {eta}")
    if snap.active:
        ready = len(snap.active) - snap.waiting
        names = [name + (" (waiting)" if i >= ready else "") for i, (name, _) in enumerate(snap.active[:4])]
        more = len(snap.active) - len(names)
        text += " | now: " + ", ".join(names) + (f" and {more} more" if more else "")
    return text


# tools -------------------------------------------------------------------------------
def snapshot_fields(snap: Snapshot) -> dict[str, Any]:
    return {
        "done": snap.done, "total": snap.total, "ok": snap.ok, "failed": snap.failed, "empty": snap.empty,
        "up_to_date": snap.up_to_date, "corrections": snap.corrections, "segments": snap.segments,
        "files_per_min": round(snap.files_per_min, 2), "segments_per_s": round(snap.segments_per_s, 1),
        "eta_s": None if snap.eta_s is None else round(snap.eta_s, 1),
        "memory_mb": round(snap.memory_bytes / _MB, 1), "processes": snap.processes,
        "active": [name for name, _ in snap.active],
        "waiting": snap.waiting,
    }


def json_line(event: str, elapsed_s: float, **fields: Any) -> str:
    """One event for a dashboard: a JSON object on one line."""
    return json.dumps({"event": event, "elapsed_s": round(elapsed_s, 3), **fields}, ensure_ascii=False,
                      separators=(",", ":"))
