"""A fast, tolerant SRT reader that says what it repaired and where.

It reads in one pass over the lines. Canonical timing lines are recognised by one exact
regex; anything else that looks like a timing line goes through the lenient grammar in
`timestamps`. Every repair becomes a `Finding` with its 1-based source line. The reader
fails (SubtitleError) only when nothing sensible can be read: binary data, undecodable
bytes, or a non-empty file without a single cue.

A cue whose text cannot be kept is never lost quietly: its line goes into
`Document.dropped`, so the processor can count it, score it and fail a file that lost too
many. That is an unreadable timing line (the cue and its text are dropped), and a numbered
block with text but no timing line where its text cannot join a cue before it.

What makes a line a timing line is unchanged from the strict and lenient grammars: such a
line starts a cue wherever it stands. A line that only the wide grammar reads (an arrow
such as ` - > ` or `→`) starts a cue only where a cue can start: at the top of the file,
after a blank line, or after an index; and anywhere once the file has used that arrow at
such a place. So a cue's text line that happens to hold two times in a
well-formed file stays text.
"""

from __future__ import annotations

from pathlib import Path

from srtbuild.errors import SubtitleError
from srtbuild.languages import AUTO, guess_language
from srtbuild.subtitles.encoding import decode
from srtbuild.subtitles.model import Cue, Document, Finding
from srtbuild.subtitles.source import read_source
from srtbuild.subtitles.timestamps import BROKEN, STRICT, format_ms, parse_lenient, parse_wide

# No subtitle cue holds this much text (it would stay on screen for over an hour at 20
# characters a second): a file that does is not a subtitle file, or is damaged beyond
# what correcting it cue by cue can mend. Refused before any rule sees it.
MAX_CUE_CHARS = 100_000


def _split_lines(text: str, warnings: list[Finding]) -> tuple[list[str], str]:
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    if not cr:
        lines = text.split("\n")
        if crlf:
            lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
        lf = text.count("\n") - crlf
        if crlf and lf:
            warnings.append(Finding(1, "reader", f"mixed line endings ({crlf} CRLF, {lf} LF)"))
        return lines, "\r\n" if crlf > lf else "\n"
    lf = text.count("\n") - crlf
    kinds = sum(1 for k in (crlf, cr, lf) if k)
    if kinds > 1:
        warnings.append(Finding(1, "reader", f"mixed line endings ({crlf} CRLF, {lf} LF, {cr} CR)"))
    else:
        warnings.append(Finding(1, "reader", "old Mac (CR-only) line endings"))
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), "\r"


def _is_index(s: str) -> bool:
    s = s.strip()
    return s.isdigit() and s.isascii()


class _Builder:
    """Collects cues; holds the state the per-line loop needs between timing lines."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.cues: list[Cue] = []
        self.warnings: list[Finding] = []
        self.last_index: int | None = None
        self.dropping = False  # after an unreadable timing line, its text is dropped
        self.dropped: list[int] = []  # source lines of the cues that could not be read
        self.arrows: set[str] = set()  # wide arrows this file used where a cue starts

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Finding(line, "reader", message))

    def close(self, pending: list[str], first_line: int, next_is_cue: bool) -> None:
        """Give the lines seen since the last timing line to the cue before them.

        If another cue follows, its index line (an integer directly before the timing
        line, or one standing alone between blank lines) is taken off the end first.
        """
        end = len(pending)
        while end and not pending[end - 1].strip():
            end -= 1
        trailing_blanks = len(pending) - end
        index: int | None = None
        index_line = first_line + end - 1
        if next_is_cue and end and _is_index(pending[end - 1]):
            alone = end == 1 and not self.cues and not self.dropping
            if not trailing_blanks or alone or (end >= 2 and not pending[end - 2].strip()):
                index = int(pending[end - 1])
                end -= 1
                if end and pending[end - 1].strip() and (self.cues or self.dropping):
                    self.warn(index_line, "no blank line before this cue")
                if trailing_blanks:
                    self.warn(index_line + 1, "blank line between the index and the timing line")
                before = end
                while end and not pending[end - 1].strip():
                    end -= 1
                trailing_blanks = before - end
        body = pending[:end]
        had_cues = bool(self.cues)
        self._attach(body, first_line, index if next_is_cue else None)
        if next_is_cue:
            self._check_index(index, index_line, first_line + len(pending))
            if not had_cues and not body and trailing_blanks:
                self.warn(first_line, f"{trailing_blanks} blank line(s) before the first cue")
            elif had_cues and trailing_blanks > 1:
                self.warn(first_line + end, f"{trailing_blanks} blank lines between cues")

    def _attach(self, body: list[str], first_line: int, next_index: int | None) -> None:
        if self.dropping:
            if any(s.strip() for s in body):
                self.warn(first_line, f"{len(body)} text line(s) of the unreadable cue dropped")
            self._lost_blocks(body, first_line, False)
            self.dropping = False
            return
        if not self.cues:
            stray = [i for i, s in enumerate(body) if s.strip()]
            if stray:
                self.warn(first_line + stray[0], f"{len(stray)} line(s) before the first cue ignored")
                self._lost_blocks(body, first_line, True)
            elif body:
                self.warn(first_line, f"{len(body)} blank line(s) before the first cue")
            return
        # Leading spaces are kept (trimming is the whitespace rule's job, and pysrt and srt
        # keep them too); trailing spaces mean nothing to anyone.
        lines = [s.rstrip() for s in body]
        if "" in lines:
            expected = None if self.last_index is None else self.last_index + 1
            kept = []
            orphan = -1
            for i, s in enumerate(lines):
                if i == orphan:
                    continue
                if s:
                    kept.append(s)
                    continue
                self.warn(first_line + i, "blank line inside the cue text removed")
                # `N` alone after a blank line, then text: a cue that lost its timing line
                if i + 2 < len(lines) and _is_index(lines[i + 1]) and lines[i + 2]:
                    orphan = i + 1
                    number = int(lines[i + 1])
                    # Its text is kept, so no word is lost; it counts as an unreadable cue
                    # when the numbering says a cue is missing here (the number comes next
                    # and the cue after does not carry it): otherwise it may be a number
                    # in the text of a cue with a blank line in it.
                    if expected is not None and number == expected and number != next_index:
                        self.dropped.append(first_line + i + 1)
                        self.warn(first_line + i + 1, "cue without a timing line, unreadable: its text was kept "
                                                      "in the cue before it")
                        expected += 1
                    else:
                        self.warn(first_line + i + 1, "cue without a timing line: its text was kept in the cue "
                                                      "before it")
            lines = kept
        text = "\n".join(lines)
        if len(text) > MAX_CUE_CHARS:
            raise SubtitleError(f"cue with {len(text):,} characters of text (more than {MAX_CUE_CHARS:,}); "
                                "not subtitle text", self.path, self.cues[-1].line)
        self.cues[-1].text = text

    def _lost_blocks(self, body: list[str], first_line: int, top: bool) -> None:
        """Count the numbered blocks among lines being dropped: an index alone at the top
        of a block (the first line when `top`, or after a blank line) with text under it
        is a cue whose timing line is missing, and its text goes with the dropped lines."""
        for i in range(len(body) - 1):
            if (_is_index(body[i]) and body[i + 1].strip() and not _is_index(body[i + 1])
                    and (not body[i - 1].strip() if i else top)):
                self.dropped.append(first_line + i)
                self.warn(first_line + i, "cue without a timing line, unreadable: dropped")

    def can_start(self, pending: list[str]) -> bool:
        """Whether a cue can start on the line after `pending` (the lines since the last
        timing line): at the top of the file, after a blank line, or after an index (where
        a line shaped like a timing line was always taken for one, readable or not)."""
        if not pending:
            return not self.cues and not self.dropping
        return not pending[-1].strip() or _is_index(pending[-1])

    def _check_index(self, index: int | None, index_line: int, timing_line: int) -> None:
        expected = 1 if self.last_index is None else self.last_index + 1
        if index is None:
            self.warn(timing_line, "cue without an index number")
            self.last_index = expected
            return
        if index != expected:
            what = "duplicate index" if index == self.last_index else "index out of sequence"
            self.warn(index_line, f"{what}: {index} (expected {expected})")
        self.last_index = index

    def add(self, start: int, end: int, line: int) -> None:
        if end < start:
            self.warn(line, f"end {format_ms(end)} before start {format_ms(start)}")
        if self.cues and start < self.cues[-1].start:
            self.warn(line, "cue starts before the previous cue (out of order)")
        self.cues.append(Cue(start, end, "", line))


def parse_text(text: str, path: str = "<text>") -> tuple[list[Cue], list[Finding], str]:
    """Parse decoded SRT text into cues; return (cues, warnings, newline style)."""
    b, newline = _parse(text, path)
    return b.cues, b.warnings, newline


def _parse(text: str, path: str) -> tuple[_Builder, str]:
    b = _Builder(path)
    lines, newline = _split_lines(text, b.warnings)
    pending: list[str] = []
    first_line = 1
    strict = STRICT.match
    for number, line in enumerate(lines, 1):
        m = strict(line) if "-->" in line else None
        if m is not None:
            g = m.groups()
            b.close(pending, first_line, True)
            start = int(g[0]) * 3600000 + int(g[1]) * 60000 + int(g[2]) * 1000 + int(g[3])
            end = int(g[4]) * 3600000 + int(g[5]) * 60000 + int(g[6]) * 1000 + int(g[7])
            b.add(start, end, number)
            pending = []
            first_line = number + 1
            continue
        if ":" in line:
            parsed = parse_lenient(line)
            if parsed is not None and "-->" not in line:
                # Two times with ` - `, `->` or `,` between them inside a cue's text are
                # text ("09:00:00 - 17:00:00 on weekdays"), unless the file has used that
                # form where a cue starts.
                wide = parse_wide(line)
                form = wide[3] if wide is not None else "lenient"
                if form in b.arrows or b.can_start(pending):
                    b.arrows.add(form)
                else:
                    parsed = None
            elif parsed is None:
                wide = parse_wide(line)
                if wide is not None and (wide[3] in b.arrows or b.can_start(pending)):
                    b.arrows.add(wide[3])
                    parsed = wide[:3]
            if parsed is not None:
                start, end, notes = parsed
                b.close(pending, first_line, True)
                if notes:
                    b.warn(number, f"timing line {line.strip()[:60]!r} repaired: " + "; ".join(notes))
                b.add(start, end, number)
                pending = []
                first_line = number + 1
                continue
            if "-->" in line or (
                BROKEN.match(line) and pending and _is_index(pending[-1])
            ):
                b.close(pending, first_line, True)
                b.warn(number, f"unreadable timing line {line.strip()[:60]!r}: cue dropped")
                b.dropped.append(number)
                b.dropping = True
                pending = []
                first_line = number + 1
                continue
        pending.append(line)
    b.close(pending, first_line, False)
    if lines and lines[-1] != "" and b.cues:
        b.warn(len(lines), "no final newline")
    return b, newline


def read_bytes(data: bytes, path: str = "<bytes>", encoding: str | None = None, language: str | None = None) -> Document:
    """Decode and parse; raise SubtitleError when there is nothing sensible to read.

    `language` guides the guess of a legacy encoding when the bytes are not UTF-8; with
    `auto` the language is guessed from the text too, for the rules (`Document.language`).
    """
    decoded = decode(data, path, encoding, language)
    text, used, had_bom, warnings = decoded[:4]
    if text.startswith("\ufeff"):  # a second BOM, e.g. a UTF-8 BOM inside UTF-16
        text = text[1:]
        warnings.append(Finding(1, "reader", "extra byte-order mark removed"))
    b, newline = _parse(text, path)
    cues = b.cues
    warnings.extend(b.warnings)
    if not cues and b.dropped:
        n = len(b.dropped)
        raise SubtitleError(f"no subtitle cue found: {n} of {n} cues unreadable", path, b.dropped[0])
    if not cues and text.strip():
        line = next((i for i, s in enumerate(text.splitlines(), 1) if s.strip()), 1)
        raise SubtitleError("no subtitle cue found (no readable timing line)", path, line)
    if not cues:
        warnings.append(Finding(1, "reader", "file has no cues (empty)"))
    guessed = guess_language(text, decoded.language) if language == AUTO else None
    return Document(cues, used, warnings, had_bom, newline, dropped=b.dropped,
                    encoding_confidence=decoded.confidence, language=guessed)


def read_file(path: str | Path, encoding: str | None = None, display: str | None = None,
              language: str | None = None) -> Document:
    """Read a subtitle file; `display` is the name used in messages (e.g. a relative path)."""
    name = display or str(path)
    return read_bytes(read_source(path, name), name, encoding, language)
