"""The explicit list of rules, and the default pipeline order."""

from __future__ import annotations

from typing import Any, Protocol

from srtbuild.rules import (
    capitalization,
    glossary,
    normalize,
    punctuation,
    remove_empty,
    tags,
    timing,
    whitespace,
    wrap,
)
from srtbuild.rules.base import Context, Option
from srtbuild.rules.words import Fillers, RepeatedWords
from srtbuild.subtitles.model import Cue


class Rule(Protocol):
    NAME: str
    DOC: str
    OPTIONS: tuple[Option, ...]

    def apply(self, cues: list[Cue], options: dict, ctx: Context) -> list[Cue]: ...


# The order here is the default pipeline: text clean-up first, then words, then the
# rules that look at the whole text (empty cues, timing that depends on its length, wrap).
RULES: dict[str, Any] = {
    rule.NAME: rule
    for rule in (
        normalize,
        whitespace,
        punctuation,
        tags,
        capitalization,
        Fillers,  # before repeated_words: "I, um, I think" leaves a stutter to remove
        RepeatedWords,
        glossary,
        remove_empty,
        timing,
        wrap,
    )
}

DEFAULT_PIPELINE: tuple[str, ...] = tuple(RULES)


def defaults(name: str) -> dict:
    """A rule's options with every default filled in (lists copied, never shared)."""
    return {opt.name: (list(opt.default) if isinstance(opt.default, list) else
                       dict(opt.default) if isinstance(opt.default, dict) else opt.default)
            for opt in RULES[name].OPTIONS}


def run_pipeline(cues: list[Cue], pipeline: list[tuple[str, dict]], ctx: Context) -> list[Cue]:
    for name, options in pipeline:
        cues = RULES[name].apply(cues, options, ctx)
    return cues
