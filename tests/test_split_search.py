"""split finds how few parts a cue needs with one look ahead per part: the same count the
full dynamic programme gives, on any words, breaks that may not be made, glued characters
and words longer than a line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from srtbuild.rules.split import _fewest, _search

_WORD = st.tuples(st.integers(1, 50), st.booleans(), st.sampled_from([0.0, 1.0, 5.0, None]))


@settings(max_examples=500, deadline=None)
@given(st.lists(_WORD, min_size=1, max_size=60), st.integers(5, 50), st.integers(1, 3), st.integers(5, 300))
def test_fewest_parts_is_what_the_full_search_finds(words, max_len, max_lines, max_chars):
    widths = [w for w, _, _ in words]
    sep = [0 if glued else 1 for _, glued, _ in words]
    cut_cost = [0.0] + [c for _, _, c in words[1:]] + [0.0]
    limits = (max_len, max_lines, max_chars)
    assert _fewest(widths, sep, cut_cost, limits) == _search(widths, sep, cut_cost, limits, None, 0)[0]
