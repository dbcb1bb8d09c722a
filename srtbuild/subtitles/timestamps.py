"""Timing lines: a fast exact match for canonical SRT and a lenient one for everything else.

The lenient grammar accepts what real files contain: `.`, `:` or `;` before the
milliseconds, 1-2 digit or missing milliseconds (read as an integer number of
milliseconds, as ffmpeg's and VLC's SRT readers do), short fields (`0:0:4,8`), MM:SS
times, spaces after the colons, float junk after the milliseconds (`04,560.0000000009`),
`->`, `-->` and ` - ` arrows with or without spaces, negative times, and coordinates or
other junk after the end time.

Past that grammar, `parse_wide` reads any line that holds two readable timestamps,
whatever short run of symbols or spaces stands between them (` - > `, `==>`, `→`, `>`,
`-- >`, `- &gt;`...): machine translation and hand editing mangle the arrow of hundreds
of cues a file. Such an arrow is one the old grammar never accepted, so the reader only
takes it where a timing line can stand (see srtbuild.subtitles.reader): a file that
parsed before parses the same.
"""

from __future__ import annotations

import re

STRICT = re.compile(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)[ \t]*$")

_TS = (
    r"(-?)[ \t]*(\d{1,3})[ \t]*:[ \t]*(\d{1,2})(?:[ \t]*:[ \t]*(\d{1,2}))?"
    r"(?:[ \t]*([,.:;])[ \t]*(\d+)((?:\.\d+)?))?"
)
# Arrows seen in the wild: `-->`, `->`, dashes, ` - `, an HTML-escaped `- &gt;` left by
# machine translation, and the `,` between the two times of YouTube's SBV format.
_ARROW = r"[ \t]*(-{1,2}>|[\u2013\u2014]>|=>|[ \t]-[ \t]|-{1,2}[ \t]*&[ \t]*gt;|,)[ \t]*"
LENIENT = re.compile(r"[ \t]*" + _TS + _ARROW + _TS + r"(.*)$")

# Any arrow: a run of up to 8 symbols (not a letter, digit, space, or a timestamp's own
# `,.:;`) with a few spaces among them, an HTML-escaped `&gt;` after at most three of
# them, or spaces alone. Timestamp punctuation is left out so that a run cannot eat a
# field: with `:` in it, `00:00:000:00:12,500` would read as two times, a guess and not a
# repair. The runs of spaces are bounded: unbounded, they make a line of 20,000 spaces
# take seconds (the regex tries every way to share them out).
_SYMBOL = r"[^\w\s,.:;]"
_WIDE_ARROW = (r"(?:[ \t]{0,8}(" + _SYMBOL + r"(?:[ \t]{0,2}" + _SYMBOL + r"){0,7}"
               r"|(?:" + _SYMBOL + r"[ \t]{0,2}){0,3}&[ \t]{0,2}gt;)[ \t]{0,8}|([ \t]{1,16}))")
WIDE = re.compile(r"[ \t]*" + _TS + _WIDE_ARROW + _TS + r"(.*)$")

# A line that has a timing line's shape but cannot be read (e.g. `00:00:000:00:12,500`):
# digits and anything but letters, with a colon in it.
BROKEN = re.compile(r"[ \t]*-?\d(?=[^:]*:)[\d\W]{7,}$")


def _one(groups: tuple, raw_parts: list[str]) -> tuple[int, bool]:
    """One lenient timestamp -> (milliseconds, was negative). Notes go into raw_parts."""
    sign, a, b, c, sep, frac, junk = groups
    if c is None:  # MM:SS[,mmm]
        hours, minutes, seconds = 0, int(a), int(b)
        raw_parts.append("no hours field")
    else:
        hours, minutes, seconds = int(a), int(b), int(c)
        if len(a) < 2 or len(b) < 2 or len(c) < 2:
            raw_parts.append("short fields")
    if frac is None:
        millis = 0
        raw_parts.append("no milliseconds")
    else:
        if sep != ",":
            raw_parts.append(f"{sep!r} before the milliseconds")
        if len(frac) < 3:
            raw_parts.append(f"{len(frac)}-digit milliseconds read as {int(frac)} ms (as ffmpeg and VLC do)")
        elif len(frac) > 3:
            raw_parts.append("more than three millisecond digits (extra ignored)")
        millis = int(frac[:3])
        if junk:
            raw_parts.append("fraction junk after the milliseconds ignored")
    if minutes > 59 or seconds > 59:
        raw_parts.append("minutes or seconds above 59")
    total = ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis
    return total, sign == "-"


def parse_lenient(line: str) -> tuple[int, int, list[str]] | None:
    """Return (start, end, notes) for a timing line in any shape we accept, else None.

    A match must carry milliseconds or full H:M:S fields on both sides: that keeps text
    such as "from 10:30 - 11:00" from being taken for a timing line.
    """
    m = LENIENT.match(line)
    if m is None:
        return None
    g = m.groups()
    return _timing(line, g[0:7], g[8:15], g[7].strip(), g[15])


def parse_wide(line: str) -> tuple[int, int, list[str], str] | None:
    """Like `parse_lenient`, with any arrow: (start, end, notes, arrow) or None, where
    `arrow` is the arrow without its spaces ('' when only spaces stand between the times).

    Only for lines `parse_lenient` refuses: it reads what the old grammar read the same.
    """
    m = WIDE.match(line)
    if m is None:
        return None
    g = m.groups()
    found = _timing(line, g[0:7], g[9:16], (g[7] or "").strip(), g[16])
    return None if found is None else (*found, "".join((g[7] or "").split()))


def _timing(line: str, first: tuple, second: tuple, arrow: str, rest: str) -> tuple[int, int, list[str]] | None:
    for ts in (first, second):
        if ts[3] is None and ts[5] is None:
            return None
    notes: list[str] = []
    start, neg_start = _one(first, notes)
    end, neg_end = _one(second, notes)
    if neg_start or neg_end:
        notes.append("negative time set to 0")
        start = 0 if neg_start else start
        end = 0 if neg_end else end
    if not arrow:
        notes.append("no arrow between the times (standard: ' --> ')")
    elif arrow != "-->" or " --> " not in line:
        notes.append(f"arrow {arrow!r} without the standard ' --> '")
    if " :" in line or ": " in line:
        notes.append("spaces inside the timestamps")
    rest = rest.strip()
    if rest:
        if rest.upper().startswith("X1:"):
            notes.append("position coordinates after the end time dropped")
        else:
            notes.append(f"text after the end time ignored: {rest[:40]!r}")
    # de-duplicate, keep order: both timestamps often share the same defect
    return start, end, list(dict.fromkeys(notes))


def format_ms(ms: int) -> str:
    """Milliseconds -> `HH:MM:SS,mmm` (hours widen past 99 rather than wrap)."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},{millis:03d}"
