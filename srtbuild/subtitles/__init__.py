"""Reading and writing SRT: the cue model, the tolerant reader, the canonical writer."""

from srtbuild.subtitles.model import Cue, Document, Finding
from srtbuild.subtitles.reader import parse_text, read_bytes, read_file
from srtbuild.subtitles.writer import compose, encode

__all__ = ["Cue", "Document", "Finding", "compose", "encode", "parse_text", "read_bytes", "read_file"]
