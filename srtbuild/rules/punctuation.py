"""punctuation: missing spaces after sentence punctuation, doubled and mixed marks."""

from __future__ import annotations

import re

from srtbuild.rules.base import Context, fix_texts
from srtbuild.rules.text import merge_marks
from srtbuild.subtitles.model import Cue

NAME = "punctuation"
DOC = ("A missing space after . ! ? , before a letter added (not in URLs, decimals, abbreviations like e.g.), and after "
       "? ! ... before a number or $ (`?20`, `...$20`; not in URLs, times, versions); ,, to , ; !. and ?. to ! and ?; "
       ".... to ... ; -- to ... .")
OPTIONS = ()

# punctuation glued to the next letter, with a letter or digit before it
_LETTERS = re.compile(r"[^\W\d_]+")
_GLUED = re.compile(r"(?<=[^\W_])(\.\.\.|[.!?,])(?=[^\W\d_])")
_GLUED_QUICK = re.compile(r"[.!?,][^\W\d_]")  # no look-behind: the engine can skip ahead fast


# `?`, `!` or an ellipsis glued to a number or an amount after a word: `really?20`,
# `wait...$20`. Only after a letter: `3.14`, `2019...2020`, `v1...2` and `?!` never match.
_GLUED_NUMBER = re.compile(r"(?<=[^\W\d_])(\?|!|\.\.\.|\u2026)(?=[\d$])")
_GLUED_NUMBER_QUICK = re.compile(r"(?:[?!\u2026]|\.\.\.)[\d$]")
# Inside a token with one of these, `?` and `!` are an address or code: `watch?20`, `a!=2`.
_ADDRESSISH = ("/", "=", "&", "@", ".", ":", "#", "_")
# Chinese and Japanese put no space between sentences: `ですよね?10` stays.
_UNSPACED = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _needs(text: str) -> bool:
    return ("--" in text or ",," in text or "!." in text or "?." in text or "...." in text
            or _GLUED_QUICK.search(text) is not None or _GLUED_NUMBER_QUICK.search(text) is not None)


def _space_before_number(match: re.Match) -> str:
    """`? 20`, `... $20`: the mark ends a sentence and the number starts the next one,
    unless the word before the mark belongs to an address or to code."""
    text = match.string
    pos = match.start(1)
    low = max(0, pos - _TOKEN_REACH)
    start = max(text.rfind(" ", low, pos), text.rfind("\n", low, pos), low - 1) + 1
    if any(ch in text[start:pos] for ch in _ADDRESSISH) or _UNSPACED.match(text, pos - 1):
        return match.group(1)
    return match.group(1) + " "
_URLISH = ("://", "www.", "@")
_NAME_SUFFIXES = frozenset(
    "com org net edu gov io ai co uk de fr es it nl eu us ca au in jp cn ru info biz app dev tv me "
    "py js ts rs go rb sh md txt csv json yaml yml toml html htm css xml pdf png jpg jpeg gif svg mp4 mp3 "
    "wav srt vtt zip gz tar exe dll so ipynb cfg ini log sql db php asp aspx jsp cgi".split()
)


_TOKEN_REACH = 200  # characters looked at each side: a longer run is no word or address


def _token_around(text: str, pos: int) -> str:
    """The run of text without spaces around `pos`, at most _TOKEN_REACH characters each
    side (a cue of a hundred thousand glued characters would otherwise cost a full scan
    for every mark in it)."""
    low, high = max(0, pos - _TOKEN_REACH), min(len(text), pos + _TOKEN_REACH)
    start = max(text.rfind(" ", low, pos), text.rfind("\n", low, pos), low - 1) + 1
    ends = [i for i in (text.find(" ", pos, high), text.find("\n", pos, high)) if i != -1]
    return text[start:min(ends) if ends else high]


def _space(match: re.Match) -> str:
    mark = match.group(1)
    text = match.string
    pos = match.start(1)
    token = _token_around(text, pos)
    if any(u in token for u in _URLISH):
        return mark
    if mark == "." and not _sentence_glue(text, pos, match.end(1), token):
        return mark
    return mark + " "


def _sentence_glue(text: str, dot: int, after: int, token: str) -> bool:
    """Is `word.Word` / `word.word` two sentences run together, rather than a name?

    `X.Y.` is an abbreviation, a lone letter an initial; a lower-case word after the dot
    is taken for a sentence only when nothing says file, domain or code: a known
    extension or top-level domain, a short left part (`np.zeros`), more dots, `_`, `(`.
    """
    # The letters just before the dot, found walking back from it (a search from the
    # cue's start would make a cue of many dots cost the square of its length).
    start = dot
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    before = text[start:dot]
    after_word = _LETTERS.match(text, after)
    if after_word is None or len(before) < 2:
        return False
    if text[after].isupper():
        return True
    word = after_word.group()
    return (
        len(before) >= 3
        and (len(word) >= 2 or word == "i")
        and word.lower() not in _NAME_SUFFIXES
        and token.count(".") == 1
        and not any(ch in token for ch in "_()/=\\")
    )


def _fix(text: str) -> str:
    text = _GLUED.sub(_space, merge_marks(text))
    return _GLUED_NUMBER.sub(_space_before_number, text) if _GLUED_NUMBER_QUICK.search(text) else text


def apply(cues: list[Cue], options: dict, ctx: Context) -> list[Cue]:
    return fix_texts(cues, NAME, ctx, _fix, quick=_needs, options=options)
