"""tags: balance <i> <b> <u> <font>, normalise malformed ones, drop empty pairs; ASS tags kept.

A tag that lacks its partner is repaired the way the author most likely meant it, not
deleted: a `</i>` that ends a line with no `<i>` before it closes italics that opened at
the start of the cue (or, in a dialog, of the speaker's line), an `<i>` that is never
closed runs to the end of the cue. Italics that close at a line's end and open again at
the next line's start are one span (`<i>one</i>\\n<i>two</i>` is `<i>one\\ntwo</i>`), as
subtitle editors write them. The quality check `unbalanced_tags` reads tags with the same
pattern (FORMAT_TAG), so what this rule leaves is what that check calls balanced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from srtbuild.rules.base import Context, fix_texts
from srtbuild.rules.text import tidy
from srtbuild.rules.whitespace import is_dialog
from srtbuild.subtitles.model import Cue

NAME = "tags"
DOC = ("Unbalanced or malformed <i> <b> <u> <font> fixed (a missing close added at the cue end; a stray close at a "
       "line's end gets its opening at the start of the cue, or of the line in a dialog; another stray close removed; "
       "`< I >` to `<i>`), italics closed and reopened across a line break joined into one span, empty tag pairs "
       "removed; ASS tags like {\\an8} and unknown tags kept.")
OPTIONS = ()

_KNOWN = ("i", "b", "u", "font")
# Groups: 1 the slash of a closing tag, 2 the name, 3 font attributes. Only <font> takes
# attributes, so `a < b and c > d` is text, not a tag.
FORMAT_TAG = re.compile(r"<[ \t]*(/?)[ \t]*(?:([ibu])[ \t]*|(font)\b([^<>]*))>", re.IGNORECASE)
_EMPTY = re.compile(r"<(i|b|u|font)(?: [^<>]*)?>(\s*)</\1>")
_ASS = re.compile(r"(?:\{\\[^{}\n]*\})+")


def _open_tag(name: str, attrs: str) -> str:
    if name == "font":
        attrs = " ".join(attrs.split())
        return f"<font {attrs}>" if attrs else "<font>"
    return f"<{name}>"


@dataclass
class _Token:
    kind: str  # "text", "open" or "close"
    text: str
    opening: str = ""  # a tag: the opening tag of its pair (a `<font>` with its attributes); "ass" an override


def _text_tokens(chunk: str, at_line_start: bool) -> list[_Token]:
    """Text split at line breaks, each break a token of its own, and an ASS override that
    opens a line (`{\\an8}`) a token of its own: a tag can then be placed at a line's
    start, after its override, and a break between two tags can be found."""
    out = []
    for k, part in enumerate(chunk.split("\n")):
        if k:
            out.append(_Token("text", "\n"))
        if (k or at_line_start) and part.startswith("{"):
            m = _ASS.match(part)
            if m:
                out.append(_Token("text", m.group(), "ass"))
                part = part[m.end():]
        if part:
            out.append(_Token("text", part))
    return out


def _balance(text: str) -> list[_Token]:
    out: list[_Token] = []
    # Openings put back before out[k] for a close that had lost its own (kept aside so
    # that no index into `out` ever moves).
    inserted: dict[int, list[_Token]] = {}
    stack: list[tuple[str, str, int]] = []  # (name, opening tag, index of its token in out)
    opened: dict[str, int] = {}  # how many of each name the stack holds
    redundant: dict[str, int] = {}  # `<i>` inside `<i>`: dropped, with the close that pairs with it
    last_close: dict[str, int] = {}  # name -> index of the token just after its last close
    line_start = 0
    dialog: bool | None = None
    tail = (-1, 0)  # (end of the current line, where its closing run starts)

    def line_tail(at: int) -> int:
        """Where the spaces and closing tags that end the line holding `at` start."""
        nonlocal tail
        if at > tail[0]:
            end = text.find("\n", at)
            end = len(text) if end == -1 else end
            tail = (end, _closing_run_start(text, text.rfind("\n", 0, at) + 1, end))
        return tail[1]

    pos = 0
    for m in FORMAT_TAG.finditer(text):
        for token in _text_tokens(text[pos:m.start()], pos == 0 or text[pos - 1] == "\n"):
            out.append(token)
            if token.text == "\n":
                line_start = len(out)
        pos = m.end()
        closing, name, attrs = m.group(1), (m.group(2) or m.group(3)).lower(), m.group(4) or ""
        if not closing:
            tag = _open_tag(name, attrs.strip())
            if name != "font" and opened.get(name):
                redundant[name] = redundant.get(name, 0) + 1
                continue
            stack.append((name, tag, len(out)))
            opened[name] = opened.get(name, 0) + 1
            out.append(_Token("open", tag, tag))
        elif redundant.get(name):
            redundant[name] -= 1
        elif opened.get(name):
            # close anything opened inside it first, so tags nest properly
            while stack:
                top, tag, _ = stack.pop()
                opened[top] -= 1
                out.append(_Token("close", f"</{top}>", tag))
                last_close[top] = len(out)
                if top == name:
                    break
        elif m.start() >= line_tail(m.start()):
            # A close that ends a line with nothing to close: its opening went missing.
            if dialog is None:
                dialog = is_dialog(text)
            at = max(
                stack[-1][2] + 1 if stack else 0,  # inside whatever is still open
                last_close.get(name, 0),  # after the span of the same tag that was closed
                line_start if dialog else 0,  # in a dialog, the speaker's own line
            )
            at = _nested_from(out, inserted, at)
            tag = _open_tag(name, "")
            inserted.setdefault(at, []).append(_Token("open", tag, tag))
            out.append(_Token("close", f"</{name}>", tag))
            last_close[name] = len(out)
        # any other closing tag with no opening one is dropped
    out.extend(_text_tokens(text[pos:], pos == 0 or text[pos - 1] == "\n"))
    while stack:
        top, tag, _ = stack.pop()
        out.append(_Token("close", f"</{top}>", tag))
    if not inserted:
        return out
    flat: list[_Token] = []
    for k, token in enumerate(out):
        flat.extend(inserted.get(k, ()))
        flat.append(token)
    return flat


def _closing_run_start(text: str, start: int, end: int) -> int:
    """Where the run of spaces and closing tags that ends text[start:end] starts: a close
    in that run ends its line (read backwards, one tag at a time, so a line of thousands
    of tags costs its length, not its square)."""
    while end > start:
        if text[end - 1] in " \t":
            end -= 1
            continue
        if text[end - 1] == ">":
            lt = text.rfind("<", start, end)
            m = FORMAT_TAG.fullmatch(text, lt, end) if lt >= 0 else None
            if m is not None and m.group(1):
                end = lt
                continue
        break
    return end


def _nested_from(out: list[_Token], inserted: dict[int, list[_Token]], at: int) -> int:
    """The first place at or after `at` from which the tokens up to the end hold no close
    of a tag opened before it: an opening put there nests properly (`<i><b>x</i></b>` must
    not become `<i><b>x</b><b></i></b>`). Line breaks and line-opening ASS overrides are
    skipped: a span starts on the line its text is on, after `{\\an8}`."""
    while True:
        while at < len(out) and (out[at].text == "\n" or out[at].opening == "ass"):
            at += 1
        start, depth = at, 0
        for k in range(start, len(out)):
            if k > start:  # openings put back at `start` itself come before the new one
                depth += len(inserted.get(k, ()))
            kind = out[k].kind
            if kind == "open":
                depth += 1
            elif kind == "close":
                if depth:
                    depth -= 1
                else:
                    at = k + 1
        if at == start:
            return at


def _join_across_lines(out: list[_Token]) -> list[_Token]:
    """`</i>` at a line's end and `<i>` at the next one's start: the span goes on, and the
    pair is removed (outermost first: `</i></b>\\n<b><i>` loses both pairs)."""
    drop: set[int] = set()
    for k, token in enumerate(out):
        if token.text != "\n" or token.kind != "text":
            continue
        j = k - 1
        while j >= 0 and out[j].kind == "text" and not out[j].text.strip(" \t"):
            j -= 1
        n = k + 1
        while n < len(out) and out[n].kind == "text" and not out[n].text.strip(" \t"):
            n += 1
        while (j >= 0 and n < len(out) and out[j].kind == "close" and out[n].kind == "open"
               and out[j].opening == out[n].opening and j not in drop):
            drop.update((j, n))
            j -= 1
            n += 1
    return [t for k, t in enumerate(out) if k not in drop] if drop else out


def _drop_empty(tokens: list[_Token]) -> list[_Token]:
    """Pairs with nothing visible between them removed (the spaces between are kept), so
    that `</i><b></b>\n<i>` is seen as a line's end and start by _join_across_lines."""
    out: list[_Token] = []
    for token in tokens:
        if token.kind == "close":
            j = len(out) - 1
            while j >= 0 and out[j].kind == "text" and not out[j].text.strip():
                j -= 1
            if j >= 0 and out[j].kind == "open" and out[j].opening == token.opening:
                del out[j]
                continue
        out.append(token)
    return out


def _fix(text: str, language: str) -> str:
    tokens = _join_across_lines(_drop_empty(_balance(text)))
    fixed = _EMPTY.sub(r"\2", "".join(t.text for t in tokens))
    return tidy(fixed, language) if fixed != text else text  # a dropped tag can leave spaces behind


_OPENING_BRACKET = re.compile("<")


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    return fix_texts(cues, NAME, ctx, lambda t: _fix(t, ctx.language), quick=lambda t: "<" in t, options=options,
                     scan=_OPENING_BRACKET)
