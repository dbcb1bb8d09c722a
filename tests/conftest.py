"""Shared fixtures. The real corpus is read in place from ../shared; tests that need it
skip with a reason where it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "real"


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file())


needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"real corpus not found at {CORPUS} (../shared is absent)"
)


def srt(*cues: tuple[str, str, str]) -> str:
    """Build canonical SRT text from (start, end, text) triples."""
    return "".join(f"{i}\n{a} --> {b}\n{t}\n\n" for i, (a, b, t) in enumerate(cues, 1))


@pytest.fixture()
def user() -> list[str]:
    """A command prefix under which file permissions apply (see buildrepo.unprivileged);
    the test is skipped, saying why, where there is none."""
    from buildrepo import unprivileged

    prefix = unprivileged()
    if prefix is None:
        pytest.skip("permissions cannot be tested here: running as root without setpriv")
    return prefix
