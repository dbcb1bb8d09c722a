"""Real files from ../shared/corpus/real: no crash, agreement with pysrt and srt on the
well-formed ones, and a fixpoint after one run of the default pipeline."""

from __future__ import annotations

import pysrt
import pytest
import srt as srt_lib
from conftest import CORPUS, corpus_files, needs_corpus

from srtbuild.config import Settings
from srtbuild.errors import SubtitleError
from srtbuild.processor import correct, process_file
from srtbuild.subtitles import read_bytes

FILES = corpus_files()
IDS = [str(p.relative_to(CORPUS)) for p in FILES]
# Repairs that do not change what a strict reader sees.
HARMLESS = ("decoded as", "byte-order mark", "no final newline")

pytestmark = needs_corpus


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_real_file_is_processed_or_rejected_with_file_and_line(path, tmp_path):
    record, out = process_file(path, tmp_path / "out.srt", Settings(), display=path.name, sidecar=tmp_path / "s.json")
    assert record["status"] in ("ok", "failed", "empty")
    if record["status"] == "empty":  # nothing to show: an empty output, no score
        assert out == b"" and record["segments"] == 0 and record["quality_after"] is None
    elif record["status"] == "failed":
        assert record["error"]["line"] >= 1 and record["error"]["message"]
        assert not (tmp_path / "out.srt").exists()
    else:
        assert (tmp_path / "out.srt").read_bytes() == out
        assert 0 <= record["quality_after"] <= 100


def _well_formed():
    for path in FILES:
        try:
            doc = read_bytes(path.read_bytes(), str(path))
        except SubtitleError:
            continue
        if doc.cues and all(any(h in w.message for h in HARMLESS) for w in doc.warnings):
            yield path, doc


WELL_FORMED = list(_well_formed()) if FILES else []


def test_enough_well_formed_files_for_a_differential_test():
    assert len(WELL_FORMED) >= 50


@pytest.mark.parametrize("path,doc", WELL_FORMED, ids=[str(p.relative_to(CORPUS)) for p, _ in WELL_FORMED])
def test_reader_agrees_with_pysrt_and_srt(path, doc):
    data = path.read_bytes()
    text = data.decode(doc.encoding)
    if doc.had_bom:
        text = text.lstrip("\ufeff") if text.startswith("\ufeff") else text
    ours = [(c.start, c.end, c.text) for c in doc.cues]

    def rstrip_lines(t: str) -> str:
        # the oracles disagree on trailing spaces and on blank lines at the end of a file
        # (pysrt drops them, srt keeps them); neither is text a viewer sees
        return "\n".join(line.rstrip() for line in t.split("\n")).rstrip("\n")

    theirs = [(s.start.ordinal, s.end.ordinal, rstrip_lines(s.text)) for s in pysrt.from_string(text.lstrip("\ufeff"))]
    assert ours == theirs, "pysrt disagrees"

    strict = [(int(s.start.total_seconds() * 1000 + 0.5), int(s.end.total_seconds() * 1000 + 0.5), rstrip_lines(s.content))
              for s in srt_lib.parse(text.lstrip("\ufeff"))]
    assert ours == strict, "srt disagrees"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_default_pipeline_is_a_fixpoint_on_real_files(path):
    settings = Settings()
    try:
        out, _ = correct(path.read_bytes(), settings, str(path))
    except SubtitleError:
        return
    again, fields = correct(out, settings, str(path))
    assert fields["corrections"] == 0, fields["corrections_by_rule"]
    assert again == out
