"""The cue model shared by the reader, the rules, the quality checks and the writer."""

from __future__ import annotations

from dataclasses import dataclass, field


class Cue:
    """One subtitle: times in integer milliseconds, text with `\\n` between lines.

    `line` is the 1-based source line of the cue's timing line, so every finding about the
    cue can point the user at the place to look. A plain slotted class keeps tens of
    thousands of cues cheap to create and copy.
    """

    __slots__ = ("start", "end", "text", "line")

    def __init__(self, start: int, end: int, text: str, line: int = 0) -> None:
        self.start = start
        self.end = end
        self.text = text
        self.line = line

    def copy(self) -> "Cue":
        return Cue(self.start, self.end, self.text, self.line)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Cue):
            return NotImplemented
        return (self.start, self.end, self.text) == (other.start, other.end, other.text)

    def __repr__(self) -> str:
        return f"Cue({self.start}, {self.end}, {self.text!r}, line={self.line})"


@dataclass(frozen=True)
class Finding:
    """Something noticed about a file at a line: a reader repair, a check, a rule's note."""

    line: int
    source: str  # "reader", a rule name or a check name
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "source": self.source, "message": self.message}


@dataclass
class Document:
    """What the reader returns: the cues plus everything it had to repair to get them."""

    cues: list[Cue]
    encoding: str
    warnings: list[Finding]
    had_bom: bool = False
    newline: str = "\n"
    # Source lines of the cues the reader could not read (their text is not in `cues`):
    # counted, scored and, past `max_dropped_share`, a failure, never lost quietly.
    dropped: list[int] = field(default_factory=list)
    # How sure the reader is of `encoding` (0..1): 1 for a BOM, UTF-8 or the configured
    # encoding, less for a guessed legacy code page. The sidecar reports it.
    encoding_confidence: float = 1.0
    # With `language: auto`, the language guessed from the text: what the rules get
    # (never `auto` itself). None when the language was configured.
    language: str | None = None
