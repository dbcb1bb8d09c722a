"""tags: balance <i> <b> <u> <font>, normalise malformed ones, drop empty pairs; ASS tags kept."""

from __future__ import annotations

import re

from srtbuild.rules.base import Context, fix_texts
from srtbuild.rules.text import tidy
from srtbuild.subtitles.model import Cue

NAME = "tags"
DOC = "Unbalanced or malformed <i> <b> <u> <font> fixed (a missing close added at the cue end, a stray close removed, `< I >` to `<i>`), empty tag pairs removed; ASS tags like {\\an8} and unknown tags kept."
OPTIONS = ()

_KNOWN = ("i", "b", "u", "font")
# Groups: 1 the slash of a closing tag, 2 the name, 3 font attributes. Only <font> takes
# attributes, so `a < b and c > d` is text, not a tag.
FORMAT_TAG = re.compile(r"<[ \t]*(/?)[ \t]*(?:([ibu])[ \t]*|(font)\b([^<>]*))>", re.IGNORECASE)
_EMPTY = re.compile(r"<(i|b|u|font)(?: [^<>]*)?>(\s*)</\1>")


def _open_tag(name: str, attrs: str) -> str:
    if name == "font":
        attrs = " ".join(attrs.split())
        return f"<font {attrs}>" if attrs else "<font>"
    return f"<{name}>"


def _balance(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in FORMAT_TAG.finditer(text):
        out.append(text[pos:m.start()])
        pos = m.end()
        closing, name, attrs = m.group(1), (m.group(2) or m.group(3)).lower(), m.group(4) or ""
        if not closing:
            out.append(_open_tag(name, attrs.strip()))
            stack.append(name)
        elif name in stack:
            # close anything opened inside it first, so tags nest properly
            while stack:
                top = stack.pop()
                out.append(f"</{top}>")
                if top == name:
                    break
        # a closing tag with no opening one is dropped
    out.append(text[pos:])
    while stack:
        out.append(f"</{stack.pop()}>")
    return "".join(out)


def _fix(text: str, language: str) -> str:
    fixed = _EMPTY.sub(r"\2", _balance(text))
    return tidy(fixed, language) if fixed != text else text  # a dropped tag can leave spaces behind


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    return fix_texts(cues, NAME, ctx, lambda t: _fix(t, ctx.language), quick=lambda t: "<" in t, options=options)
