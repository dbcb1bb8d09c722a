"""The explicit list of rules, and the default pipeline order."""

from __future__ import annotations

from typing import Any, Protocol

from srtbuild.rules import (
    capitalization,
    glossary,
    merge,
    normalize,
    punctuation,
    remove_empty,
    rollup,
    split,
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


# The order here is the default pipeline: text clean-up first (rolling captions undone as
# soon as lines compare equal), then words, then the rules that shape cues: empty ones
# removed, over-long ones split, times repaired, fragments joined (by their repaired
# times), and the line breaks last.
RULES: dict[str, Any] = {
    rule.NAME: rule
    for rule in (
        normalize,
        whitespace,
        rollup,
        punctuation,
        tags,
        capitalization,
        Fillers,  # before repeated_words: "I, um, I think" leaves a stutter to remove
        RepeatedWords,
        glossary,
        remove_empty,
        split,
        timing,
        merge,  # on repaired times: a cue's real duration decides whether it is a fragment
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
