"""merge: fragments of speech joined with their neighbours into cues worth reading.

Word-level and fragmentary transcripts show one to three words at a time, each for a
fraction of a second: the eye chases them and never reads a phrase. A cue is a fragment
when it is shorter than `min_duration_ms` or has fewer than `min_chars` visible
characters. A fragment is joined with the cue before or after it when all of these hold:

- the joined cue still fits `max_lines` lines of `max_line_length`, lasts at most
  `max_duration_ms` and reads at no more than `max_cps` characters a second;
- the gap between the two is at most `max_gap_ms` (a longer pause is a new thought);
- the first does not end a sentence while the second starts one (two sentences stay two
  cues); neither is a speaker's turn (a dash, `>>`, `NAME:`, `[Name]`: another speaker
  speaks); both stand at the same place on screen and neither is a styled sign; neither
  is a bilingual cue.

Cues are joined left to right, so a run of fragments becomes one cue as long as the
limits allow. It runs after `timing`, on repaired times. The text is joined on one line
(with a space, or none between Chinese or Japanese characters) and re-broken by `wrap`.
"""

from __future__ import annotations

import re

from srtbuild.rules.base import Context, Option, limit
from srtbuild.rules.layout import DASHES, bilingual, fits, join_lines, position, reading_chars
from srtbuild.rules.phrasing import CLOSERS, OPENERS, SENTENCE_END
from srtbuild.rules.text import visible
from srtbuild.subtitles.model import Cue

NAME = "merge"
DOC = "Fragments (shorter than min_duration_ms or fewer than min_chars characters) joined with a neighbour when the result fits max_lines x max_line_length, max_duration_ms and max_cps, the gap is at most max_gap_ms, and no sentence end, speaker change or long pause lies between."
OPTIONS = (
    limit("min_duration_ms", "a cue shorter than this is a fragment"),
    Option("min_chars", "int", 10, "a cue with fewer visible characters is a fragment", 0, 10_000),
    Option("max_gap_ms", "int", 500, "longest pause a join may bridge", 0, 60_000),
    limit("max_line_length", "characters a line (as wrap)"),
    limit("max_lines", "lines a cue (as wrap)"),
    limit("max_duration_ms", "longest a joined cue may last"),
    limit("max_cps", "fastest reading speed a joined cue may have, characters a second"),
)

# Sentence ends as split and wrap know them, and those of Arabic, Urdu, Devanagari and
# Greek, and a closing music note (the end of a sung line).
_SENTENCE_END = SENTENCE_END + ("\u061f", "\u06d4", "\u0964", "\u0965", "\u037e", "\u266a")
# Speaker dashes as layout knows them, and the figure dash, horizontal bar and minus.
_DASHES = DASHES + ("\u2012", "\u2015", "\u2212")
# Closed captions mark a new speaker with `>>`, a name and a colon, or a name in brackets.
_SPEAKER = re.compile(r"^\s*(?:>>|[A-Z][A-Z .'\-]{1,30}:|\[[^\]]{1,30}\]\s*\S)")


def _ends_sentence(text: str) -> bool:
    return visible(text).rstrip().rstrip(CLOSERS).endswith(_SENTENCE_END)


def _starts_sentence(text: str) -> bool:
    shown = visible(text).lstrip().lstrip(OPENERS)
    return not shown[:1].islower()


def _is_turn(text: str) -> bool:
    """A cue with a speaker dash (at its start or on a later line), a `>>`, or a speaker's
    name (`JOHN:`, `[Mary] ...`) is someone speaking: joining it with another cue would
    hide who speaks."""
    for line in text.split("\n"):
        shown = visible(line).lstrip()
        if shown.startswith(_DASHES) or _SPEAKER.match(shown):
            return True
    return False


def _styled(text: str) -> bool:
    """An override past the position (`{\\fs40}`, `{\\pos(..)}` mid-cue): a sign or a
    title, not speech to join."""
    return "{\\" in text[len(position(text)):]


def _fragment(cue: Cue, min_dur: int, min_chars: int) -> bool:
    return cue.end - cue.start < min_dur or reading_chars(cue.text) < min_chars


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    min_dur = options["min_duration_ms"]
    min_chars = options["min_chars"]
    max_gap = options["max_gap_ms"]
    max_len = options["max_line_length"]
    max_lines = options["max_lines"]
    max_dur = options["max_duration_ms"]
    max_cps = float(options["max_cps"])
    if len(cues) < 2:
        return cues
    out: list[Cue] = [cues[0]]
    changed = False
    for cue in cues[1:]:
        last = out[-1]
        if (
            (_fragment(last, min_dur, min_chars) or _fragment(cue, min_dur, min_chars))
            and last.start <= cue.start <= last.end + max_gap
            and not (_ends_sentence(last.text) and _starts_sentence(cue.text))
            and not _is_turn(last.text) and not _is_turn(cue.text)
            and not bilingual(last.text) and not bilingual(cue.text)
            and position(last.text) == position(cue.text) and not _styled(last.text) and not _styled(cue.text)
        ):
            # One line: `wrap` lays the joined words out afresh.
            text = join_lines(last.text.split("\n") + cue.text.split("\n"))
            end = max(last.end, cue.end)
            span = end - last.start
            chars = reading_chars(text)
            if span <= max_dur and chars * 1000 <= max_cps * span and fits(text, max_len, max_lines):
                out[-1] = Cue(last.start, end, text, last.line)
                ctx.changes.record(NAME, cue.line)
                changed = True
                continue
        out.append(cue)
    return out if changed else cues
