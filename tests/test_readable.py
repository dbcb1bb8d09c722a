"""Every real file comes out as subtitles a viewer can read, and no guideline is traded
for a worse one: stated per output cue against the source cues it was made from."""

from __future__ import annotations

import heapq
import re
from collections import Counter

import pytest
from conftest import CORPUS, corpus_files, needs_corpus

from srtbuild.config import Settings
from srtbuild.errors import SubtitleError
from srtbuild.processor import correct
from srtbuild.rules.base import Context
from srtbuild.rules.layout import bilingual, reading_chars, tokenize
from srtbuild.rules.registry import RULES, defaults, run_pipeline
from srtbuild.rules.text import visible
from srtbuild.subtitles import read_bytes

pytestmark = needs_corpus

FILES = corpus_files()
IDS = [str(p.relative_to(CORPUS)) for p in FILES]
MAX_CPS, MAX_LEN, MAX_LINES, MIN_DUR, MAX_DUR = 20, 42, 2, 833, 7000
FILLERS = {"um", "uh", "erm", "uhm"}
# Chinese and Japanese are compared a character at a time: they have no spaces, and a
# line break may fall between any two characters.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def _cps(cue) -> float:
    duration = cue.end - cue.start
    return reading_chars(cue.text) * 1000 / duration if duration > 0 else float("inf")


def _words(cues) -> list[str]:
    return [w for c in cues for w in _WORD.findall(visible(c.text).casefold())]


def _shown_with(source, out) -> list[list]:
    """For each output cue (in start order), the source cues on screen at the same time.
    A source cue with no duration of its own takes its time from the cue that starts with
    it: it counts as shown for the minimum duration. One sweep, not a pair of loops."""
    by_start = sorted(source, key=lambda s: s.start)
    active: list = []  # (shown until, index, cue)
    found, k = [], 0
    for cue in out:
        while k < len(by_start) and by_start[k].start < cue.end:
            s = by_start[k]
            heapq.heappush(active, (max(s.end, s.start + MIN_DUR), k, s))
            k += 1
        while active and active[0][0] < cue.start:
            heapq.heappop(active)
        found.append([s for _, _, s in active])
    return found


def _shown(text: str) -> str:
    return " ".join(visible(text).split()).casefold()


def _room_short(source_cue, out) -> bool:
    """The output cues shown over this source cue's time need more than it had."""
    parts = [c for c in out if c.start < source_cue.end and c.end > source_cue.start]
    need = sum(max(MIN_DUR, reading_chars(c.text) * 1000 // MAX_CPS) for c in parts) + 83 * (len(parts) - 1)
    return need > source_cue.end - source_cue.start


_RESULTS: dict = {}


def build(path):
    """(source cues after normalize, output cues, sidecar fields); skips a file the reader
    refuses (tests/test_corpus.py checks those fail with a file and a line)."""
    if path not in _RESULTS:
        data = path.read_bytes()
        try:
            out, fields = correct(data, Settings(), str(path))
        except SubtitleError:
            _RESULTS[path] = None
            pytest.skip("the reader refuses this file")
        doc = read_bytes(data, str(path))
        # Compare words as the viewer sees them after Unicode clean-up (mojibake repaired).
        source = run_pipeline([c.copy() for c in doc.cues], [("normalize", defaults("normalize"))], Context())
        _RESULTS[path] = (source, read_bytes(out, "out.srt").cues, fields)
    if _RESULTS[path] is None:
        pytest.skip("the reader refuses this file")
    return _RESULTS[path]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_cue_fits_the_screen_and_the_clock(path):
    built = build(path)
    _, out, fields = built
    for cue in out:
        if bilingual(cue.text):
            continue  # a line per language, as the author set them
        lines = visible(cue.text).split("\n")
        assert len(lines) <= MAX_LINES, (cue.line, cue.text)
        for line in lines:
            assert len(line) <= MAX_LEN or len(tokenize(line)[0]) == 1, (cue.line, line)
        assert cue.end - cue.start <= MAX_DUR, (cue.line, cue.text)
    assert fields["checks_after"]["too_long"] == 0
    if fields["quality_before"] is not None:
        assert fields["quality_after"] >= fields["quality_before"]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_no_cue_is_made_faster_or_shorter_than_its_source(path):
    built = build(path)
    source, out, _ = built
    # Source cues whose times overlap another's have no time of their own: timing shares
    # it out (its own tests state how); they are left out of this comparison.
    disputed = set()
    ordered = sorted(range(len(source)), key=lambda k: source[k].start)
    reach, holder = -1, None
    for k in ordered:
        if source[k].start < reach:
            disputed.update((k, holder))
        if source[k].end > reach:
            reach, holder = source[k].end, k
    disputed_ids = {id(source[k]) for k in disputed if k is not None}
    for cue, shown_with in zip(out, _shown_with(source, out)):
        if not shown_with or any(id(s) in disputed_ids for s in shown_with):
            continue  # untimed or overlapping sources: no time of their own to compare with
        limit = max([MAX_CPS] + [_cps(s) for s in shown_with if s.end > s.start])
        if any(s.end <= s.start for s in shown_with):
            limit = float("inf")
        # A split shares its time by characters, less the gaps between parts: a few %
        # (more where a source shows text at twice the reading speed or more: no time).
        if limit <= 2 * MAX_CPS:
            assert _cps(cue) <= limit * 1.06 + 0.5, (cue.line, cue.text, _cps(cue), limit)
        if cue.end - cue.start < MIN_DUR:
            # Only where the source gave no time: a short or too-fast cue at this place,
            # or one too short for all the parts it had to be split into.
            assert any(s.end - s.start < MIN_DUR or _cps(s) > MAX_CPS or _room_short(s, out)
                       for s in shown_with), (cue.line, cue.text)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_words_are_kept_except_fillers_and_stutters(path):
    built = build(path)
    source, out, _ = built
    # A cue written twice at the same time is one subtitle to the viewer.
    once = [c for i, c in enumerate(source)
            if not (i and _shown(source[i - 1].text) == _shown(c.text) and c.start <= source[i - 1].end + 40
                    and c.end >= source[i - 1].start)]
    before, after = _words(once), _words(out)
    added = Counter(after) - Counter(before)
    assert not added, added.most_common(5)
    removed = Counter(before) - Counter(after)
    # Stutters: a phrase of up to four words said twice in a row, once the fillers
    # between are gone ("it's, uh, it's a" -> "it's a").
    spoken = [w for w in before if w not in FILLERS]
    repeated: Counter = Counter()
    for n in range(1, 5):
        for i in range(len(spoken) - 2 * n + 1):
            if spoken[i:i + n] == spoken[i + n:i + 2 * n]:
                repeated.update(spoken[i:i + n])
    for word, n in removed.items():
        assert word in FILLERS or n <= repeated[word], (word, n)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_cue_is_shown_when_its_words_were(path):
    built = build(path)
    source, out, fields = built
    if all(s.end <= s.start for s in source):
        pytest.skip("an untimed file (every cue ends where it starts): timing lays it out from scratch")
    holders: dict[str, list] = {}
    for s in source:
        for word in set(_words([s])):
            holders.setdefault(word, []).append(s)
    for cue in out:
        first = _words([cue])[:1]
        if not first:
            continue
        # A source cue that ends before it starts has no span: timing gives it one from its
        # start, up to the longest a cue may last.
        assert any(s.start < cue.end and (s.end if s.end > s.start else s.start + MAX_DUR) > cue.start
                   for s in holders.get(first[0], ())), (cue.line, cue.text)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_rollup_leaves_files_without_rolling_captions_alone(path):
    try:
        doc = read_bytes(path.read_bytes(), str(path))
    except SubtitleError:
        pytest.skip("the reader refuses this file")
    ctx = Context()
    out = RULES["rollup"].apply([c.copy() for c in doc.cues], defaults("rollup"), ctx)
    assert out == doc.cues and not ctx.changes.total
