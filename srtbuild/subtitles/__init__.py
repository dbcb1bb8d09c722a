"""Reading and writing SRT: the cue model, the tolerant reader, the canonical writer.

The reader and the writer are imported when first asked for: the rules and the settings
import the cue model from here, and a run with nothing to build never reads a subtitle
(the reader's code-page tables take longer to import than the rest of the package).
"""

from typing import Any

from srtbuild.subtitles.model import Cue, Document, Finding

__all__ = ["Cue", "Document", "Finding", "compose", "encode", "parse_text", "read_bytes", "read_file"]
_LAZY = {"parse_text": "reader", "read_bytes": "reader", "read_file": "reader", "compose": "writer", "encode": "writer"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"srtbuild.subtitles.{module}"), name)
    globals()[name] = value
    return value
