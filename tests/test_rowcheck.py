"""The check of cached report rows (srtbuild.reports.rowcheck): what it lets through can
be spliced into report.json, and its compiled form judges every input as the Python one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srtbuild.reports import rowcheck
from srtbuild.reports.rows import make_entry, pending_row

needs_c = pytest.mark.skipif(rowcheck._c is None, reason="the C helper is not built here (no compiler at install, "
                                                         "or SRTBUILD_PURE_PYTHON is set): only the Python check runs")

_PIECES = ['{', '}', '"', ':', ',', '\\', '\\"', '\\\\', '\\u00e9', '\\uD800', '\\x', 'a', '1', '-', '0', '.5', 'e3',
           'E-2', 'true', 'false', 'null', 'NaN', 'Infinity', ' ', '\t', '\r', '\n', '[', ']', 'é', '\x01', '\x7f',
           '{"a":', '"k":', '{"a":{"b":1}}', '{"a":{"b":{"c":1}}}', '[1,{"b":[]}]', '[[', ']]', '{"a":"b"}\n', '01', '1.', '/', '\u2028', '9' * 5000]


def _agree(text: str) -> bool:
    data = text.encode("utf-8", "surrogatepass")
    py = rowcheck.rows_ok_py(text)
    assert rowcheck._c.rows_ok(data) == py, repr(text)
    return py


@needs_c
@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14), st.booleans(), st.booleans())
def test_compiled_check_is_the_python_check(pieces, opened, ended):
    _agree(('{"a":' if opened else "") + "".join(pieces) + ("\n" if ended else ""))


@needs_c
@settings(max_examples=500, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=8), st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8),
    st.dictionaries(st.text(max_size=4), st.integers(0, 10**6), max_size=3),
    st.lists(st.fixed_dictionaries({"line": st.integers(1, 10**6), "message": st.text(max_size=6)}), max_size=3)),
    max_size=6), max_size=5),
    st.booleans())
def test_rows_as_json_writes_them_pass_both_ways(rows, ascii_only):
    text = "".join(json.dumps(r, ensure_ascii=ascii_only, separators=(",", ":")) + "\n" for r in rows)
    assert _agree(text)


def test_report_rows_pass_and_break_outs_do_not():
    row = make_entry({**pending_row("dir/\u00e9t\u00e9 \"1\".srt", "out/x.srt"), "error": {"message": "a\\b", "line": 3}})
    assert row.json.count("[") >= 1  # its findings: a list in the row
    good = row.json + "\n" + row.json + "\n"
    assert rowcheck.split_rows(good.encode()) == [row.json, row.json]
    assert rowcheck.rows_ok_py(good)
    for bad in ['{"path":"X"}],"totals":{"files":999},"x":[{"a":1}\n',  # closes the list
                '{"a":1}{"b":2}\n', '{"a":1},{"b":2}\n',  # two objects on a line
                '{"a":{"b":{"c":{"d":1}}}}\n', '{"a":[[[1]]]}\n',  # deeper than a row
                '{"a":NaN}\n', '{"a":Infinity}\n', '{"a":1}', '{"a":"\n"}\n', '\n', '[]\n', '"x"\n',
                # two objects on one line and one object over two: as many rows as lines
                '{"p":"F1"},{"p":"F2"}\n{"p":"x","n":{"a":1\n"b":2}}\n']:
        assert rowcheck.split_rows(bad.encode()) is None, bad
        assert not rowcheck.rows_ok_py(bad), bad
    assert rowcheck.split_rows(b'{"a":"\xff"}\n') is None  # not UTF-8
    assert rowcheck.split_rows(b'{"a":"\xed\xa0\x80"}\n') is None  # a lone surrogate: no UTF-8 either


def test_pure_python_switch_turns_the_check_off():
    code = "from srtbuild.reports import rowcheck; print(rowcheck._c is None)"
    env = {**os.environ, "SRTBUILD_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
