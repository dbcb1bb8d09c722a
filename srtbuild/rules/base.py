"""What every correction rule declares, and the record of what the rules changed.

A rule is a module with `NAME`, `DOC`, `OPTIONS` (typed, with defaults), one function
`apply(cues, options, ctx) -> cues`, and optionally `check(options)` naming an option that
contradicts another. Config validation is derived from `OPTIONS`, so a
rule's declaration is the only place its settings are described.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from itertools import accumulate
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from srtbuild.subtitles.model import Cue


@dataclass(frozen=True)
class Option:
    """One rule option. `kind` is one of int, number, bool, str, str_list, term_map."""

    name: str
    kind: str
    default: Any
    doc: str
    minimum: float | None = None
    maximum: float | None = None  # past it a setting is a mistake (a day of milliseconds...)


# Limits several rules apply (wrap and split the layout, timing, split and merge the
# times): one type, default and range each, declared once. A rule takes one with its own
# doc; config.SHARED_LIMITS makes a value set on the owning rule the others' default.
_LIMITS = {
    "max_line_length": Option("max_line_length", "int", 42, "characters a line", 1, 10_000),
    "max_lines": Option("max_lines", "int", 2, "lines a cue", 1, 1000),
    "min_duration_ms": Option("min_duration_ms", "int", 833, "shortest time on screen", 0, 3_600_000),
    "max_duration_ms": Option("max_duration_ms", "int", 7000, "longest time on screen", 1, 3_600_000),
    "min_gap_ms": Option("min_gap_ms", "int", 83, "smallest gap between two cues", 0, 60_000),
    "max_cps": Option("max_cps", "number", 20, "reading speed, characters a second", 1, 1000),
}


def limit(name: str, doc: str) -> Option:
    """A shared limit, described for the rule that declares it."""
    return replace(_LIMITS[name], doc=doc)


@dataclass
class Changes:
    """Corrections made by the rules: per rule, per cue line, and per glossary term."""

    by_rule: Counter = field(default_factory=Counter)
    at: list[tuple[int, str, int]] = field(default_factory=list)  # (line, rule, count)
    terms: Counter = field(default_factory=Counter)

    def record(self, rule: str, line: int, count: int = 1) -> None:
        if count:
            self.by_rule[rule] += count
            self.at.append((line, rule, count))

    @property
    def total(self) -> int:
        return sum(self.by_rule.values())


@dataclass
class Context:
    """What a rule may know besides its options: the language and the change record."""

    language: str = "en"
    changes: Changes = field(default_factory=Changes)
    # Per rule (and its options): results already known. The processor runs the pipeline
    # until nothing changes; on the second round almost every cue is as a rule left it,
    # and a lookup here replaces the rule's work.
    memo: dict = field(default_factory=dict)
    # The cues are a window of the file (srtbuild.rules.fixpoint): cues come before them
    # (the first is no sentence start, and what is true of the whole file was decided on
    # the whole file), or after them (the last may not take the time that follows).
    cut_before: bool = False
    cut_after: bool = False
    # Set by a rule whose decision rests on the whole file (a share of its cues): the
    # rounds after the first then run on the whole file, never in windows.
    whole_file: bool = False

    def known(self, rule: str, options: object, kind: type = set) -> Any:
        key = (rule, id(options))
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = kind()
        return found


TextFix = Callable[[str], str]


def fix_texts(
    cues: list[Cue],
    rule: str,
    ctx: Context,
    fix: TextFix,
    quick: Callable[[str], bool] | None = None,
    options: object = None,
    scan: re.Pattern | Callable[[list[Cue]], list[Cue]] | None = None,
    touched: list[tuple[Cue, str]] | None = None,
) -> list[Cue]:
    """Apply a per-cue text fix, to its fixpoint, and count changed cues.

    Running the fix until the text stops changing makes every text rule idempotent on its
    own, whatever its regexes create. `quick` is a cheap test that lets the many cues
    needing no fix skip the real work. The fix must depend on the text and `options` only:
    texts known to be fixpoints are remembered (in `ctx`) and skipped next time.

    `scan`, a regex that finds something in every text `quick` accepts (it may find more),
    is run once over the whole file's text: only the cues it finds are looked at, and the
    others cost nothing in Python. (It may also be a function from the cues to those it
    finds, with the same promise.) `touched` collects (cue, text before) of changed cues.
    """
    clean: set[str] = ctx.known(rule, options)
    if scan is None:
        for cue in cues:
            text = cue.text
            if text and text not in clean:
                _fix_cue(cue, text, rule, ctx, fix, quick, clean, touched)
        return cues
    # Only the texts not known to be clean are scanned: on the later rounds of the
    # pipeline, the few a later rule changed. The scan's misses are clean by definition
    # (it finds every text `quick` accepts); so are the texts `quick` then turns down.
    pending = [cue for cue in cues if cue.text and cue.text not in clean]
    if not pending:
        return cues
    texts = [cue.text for cue in pending]
    fixed: list[str] = []
    for cue in candidates(pending, scan) if isinstance(scan, re.Pattern) else scan(pending):
        text = cue.text
        if text not in clean and _fix_cue(cue, text, rule, ctx, fix, quick, clean, touched):
            fixed.append(text)
    clean.update(texts)
    clean.difference_update(fixed)
    return cues


def _fix_cue(cue: Cue, text: str, rule: str, ctx: Context, fix: TextFix, quick: Callable[[str], bool] | None,
             clean: set[str], touched: list[tuple[Cue, str]] | None) -> bool:
    """One cue of fix_texts: True when its text changed."""
    if quick is not None and not quick(text):
        clean.add(text)
        return False
    new = fix(text)
    rounds = 0
    settled = False
    while rounds < 4:
        again = fix(new)
        if again == new:
            settled = True
            break
        new = again
        rounds += 1
    if settled:
        clean.add(new)
    if new == text:
        return False
    cue.text = new
    ctx.changes.record(rule, cue.line)
    if touched is not None:
        touched.append((cue, text))
    return True


SEPARATOR = "\x00"  # between the cues' texts in a whole-file scan (see `candidates`)


def candidates(cues: list[Cue], scan: re.Pattern) -> list[Cue]:
    """The cues in whose text `scan` finds something, found with one search over all the
    texts joined (each text between two SEPARATORs, so a pattern can test a text's first
    or last character). A match that spans the separator names the cues on both sides."""
    texts = [c.text for c in cues]
    joined = SEPARATOR + SEPARATOR.join(texts) + SEPARATOR
    search = scan.search
    m = search(joined)
    if m is None:
        return []
    # starts[k]: where cue k's text begins in `joined`
    starts = list(accumulate((len(t) + 1 for t in texts), initial=1))
    found: list[Cue] = []
    last = len(cues) - 1
    while m is not None:
        first = bisect_right(starts, m.start()) - 1
        end = min(bisect_right(starts, max(m.end() - 1, m.start())) - 1, last)
        first = min(max(first, 0), last)
        found.extend(cues[first:end + 1])
        if end >= last:
            break
        m = search(joined, starts[end + 1] - 1)  # on from the separator before the next text
    return found
