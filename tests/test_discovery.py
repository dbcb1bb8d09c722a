"""Finding sources: patterns, recursion, excludes, order, mirrored and confined paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from srtbuild.engine.discovery import (
    check_confined,
    check_pattern,
    discover,
    glob_regex,
    layout,
)
from srtbuild.errors import UsageError


@pytest.mark.parametrize("pattern, path, hit", [
    ("*.srt", "a.srt", True),
    ("*.srt", "a.SRT", True),  # either case, as on Windows and macOS
    ("Lecture_*.srt", "lecture_01.Srt", True),
    ("*.srt", "dir/a.srt", False),  # one folder level; discovery matches names for patterns without /
    ("lecture_*.srt", "lecture_01.srt", True),
    ("lecture_*.srt", "intro.srt", False),
    ("lecture_?.srt", "lecture_1.srt", True),
    ("lecture_[0-9].srt", "lecture_7.srt", True),
    ("lecture_[!0-9].srt", "lecture_7.srt", False),
    ("drafts/**", "drafts/a/b.srt", True),
    ("**/x.srt", "x.srt", True),
    ("**/x.srt", "a/b/x.srt", True),
    ("a/*/c.srt", "a/b/c.srt", True),
    ("a/*/c.srt", "a/b/d/c.srt", False),
    ("a+b(1).srt", "a+b(1).srt", True),  # regex characters are literal
])
def test_glob_semantics(pattern: str, path: str, hit: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is hit


@pytest.mark.parametrize("pattern", ["", " *.srt", "../x.srt", "a/../../x", "/abs/*.srt", "C:x.srt", "a\\b.srt", "[ab.srt"])
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(UsageError):
        check_pattern(pattern)


def _tree(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")


def test_discovery_is_sorted_recursive_and_skips_hidden_and_output(tmp_path: Path) -> None:
    _tree(tmp_path / "in", ["b.srt", "a.srt", "sub/z.srt", "sub/deeper/y.srt", ".hidden/h.srt", ".x.srt",
                            "notes.txt", "out/old.srt"])
    where = layout(tmp_path, "in", "in/out")
    found = discover(where, ["*.srt"]).sources
    assert [s.rel for s in found] == ["a.srt", "b.srt", "sub/deeper/y.srt", "sub/z.srt"]
    src = found[2]
    assert src.source == os.path.join("in", "sub", "deeper", "y.srt")
    assert src.output == os.path.join("in", "out", "sub", "deeper", "y.srt")
    assert src.sidecar == os.path.join("in", "out", ".srtbuild", "metrics", "sub", "deeper", "y.srt.json")
    assert [s.rel for s in discover(where, ["*.srt"], recursive=False).sources] == ["a.srt", "b.srt"]


def test_excludes_by_glob_and_by_folder(tmp_path: Path) -> None:
    _tree(tmp_path / "in", ["keep.srt", "drafts/a.srt", "drafts/deep/b.srt", "old/c.srt", "x/old/d.srt"])
    where = layout(tmp_path, "in", "out")
    assert [s.rel for s in discover(where, ["*.srt"], exclude=["drafts/**"]).sources] == ["keep.srt", "old/c.srt", "x/old/d.srt"]
    # Without a `/`, an exclude names a file or folder at any depth (as in .gitignore).
    assert [s.rel for s in discover(where, ["*.srt"], exclude=["old"]).sources] == ["drafts/a.srt", "drafts/deep/b.srt", "keep.srt"]
    assert [s.rel for s in discover(where, ["*.srt"], exclude=["x/old"]).sources] == [
        "drafts/a.srt", "drafts/deep/b.srt", "keep.srt", "old/c.srt"]
    assert [s.rel for s in discover(where, ["*.srt"], exclude=["**/old/**"]).sources] == [
        "drafts/a.srt", "drafts/deep/b.srt", "keep.srt"]


def test_symlinked_folders_are_not_followed(tmp_path: Path) -> None:
    _tree(tmp_path / "in", ["a.srt"])
    _tree(tmp_path / "elsewhere", ["b.srt"])
    (tmp_path / "in" / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "in" / "loop").symlink_to(tmp_path / "in", target_is_directory=True)
    assert [s.rel for s in discover(layout(tmp_path, "in", "out"), ["*.srt"]).sources] == ["a.srt"]


def test_missing_input_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="input folder not found"):
        discover(layout(tmp_path, "nope", "out"), ["*.srt"])


def test_paths_are_relative_to_the_base_so_the_repo_can_move(tmp_path: Path) -> None:
    where = layout(tmp_path, tmp_path / "in", tmp_path / "build")
    assert (where.input, where.output) == ("in", "build")
    assert where.state_file == os.path.join("build", ".srtbuild", "state.sqlite")


def test_confinement_refuses_a_symlink_out_of_the_output_folder(tmp_path: Path) -> None:
    _tree(tmp_path / "in", ["course/a.srt", "b.srt"])
    where = layout(tmp_path, "in", "out")
    sources = discover(where, ["*.srt"]).sources
    check_confined(where, sources)  # nothing exists yet: fine
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out" / "course").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(UsageError, match="course: is a symbolic link; srtbuild writes nothing through it"):
        check_confined(where, sources)
    # A link that stays inside the output folder is refused too: writes never follow links.
    (tmp_path / "out" / "course").unlink()
    (tmp_path / "out" / "real").mkdir()
    (tmp_path / "out" / "course").symlink_to(tmp_path / "out" / "real", target_is_directory=True)
    with pytest.raises(UsageError, match="is a symbolic link"):
        check_confined(where, sources)
    # The output root itself may be a link: the user chose where it points.
    (tmp_path / "out" / "course").unlink()
    (tmp_path / "out2").symlink_to(tmp_path / "out", target_is_directory=True)
    check_confined(layout(tmp_path, "in", "out2"), sources)
