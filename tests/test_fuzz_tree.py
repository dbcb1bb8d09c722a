"""Random hostile trees through `srtbuild batch`: whatever the names and bytes, links in
and out, empty and unreadable entries, the build ends 0 or 1, builds every readable
subtitle, writes nothing outside OUTPUT, leaves no process, and a second run redoes only
the failures."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

import pytest
from buildrepo import GOOD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srtbuild.cli import main
from srtbuild.processes import descendants

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFOs and /proc: Linux")

_name_chars = st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",))
NAMES = st.one_of(
    st.text(_name_chars, min_size=1, max_size=12).map(lambda s: s + ".srt"),
    st.text(_name_chars, min_size=1, max_size=12),
    st.binary(min_size=1, max_size=8).filter(lambda b: b"/" not in b and b"\x00" not in b).map(lambda b: b + b".srt"),
)
KINDS = st.sampled_from(["good", "good", "good", "utf16", "junk", "empty", "blank", "link_in", "link_out",
                         "dangling", "loop", "fifo", "unreadable", "dir"])
ENTRIES = st.lists(st.tuples(st.sampled_from(["", "sub/", "sub/deeper/", "other/"]), NAMES, KINDS, st.binary(max_size=200)),
                   min_size=1, max_size=10)


def _snapshot(root: bytes, skip: bytes) -> dict[bytes, tuple]:
    found = {}
    for top, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if os.path.join(top, d) != skip]
        for name in dirs + files:
            path = os.path.join(top, name)
            if path == skip:
                continue
            st_ = os.lstat(path)
            found[path] = (st_.st_mode, st_.st_size, st_.st_mtime_ns)
    return found


def _make(tree: bytes, outside: bytes, entries: list) -> set[bytes]:
    """Create the entries; return the relative paths that must be built."""
    must: set[bytes] = set()
    for folder, name, kind, junk in entries:
        raw = os.fsencode(name)
        if raw in (b".", b"..") or len(raw) > 200:
            continue
        rel = os.fsencode(folder) + raw
        path = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            continue
        try:
            if kind in ("good", "utf16", "junk", "empty", "blank", "unreadable"):
                data = {"good": GOOD.encode(), "utf16": GOOD.encode("utf-16"), "junk": b"\x00\xff" + junk,
                        "empty": b"", "blank": b"\n \n", "unreadable": GOOD.encode()}[kind]
                with open(path, "wb") as fh:
                    fh.write(data)
                if kind == "unreadable":
                    os.chmod(path, 0)
            elif kind == "link_in":
                target = os.path.join(tree, b"target-in.txt")
                with open(target, "wb") as fh:
                    fh.write(GOOD.encode())
                os.symlink(target, path)
            elif kind == "link_out":
                os.symlink(os.path.join(outside, b"outside.srt"), path)
            elif kind == "dangling":
                os.symlink(os.path.join(tree, b"no-such-file"), path)
            elif kind == "loop":
                os.symlink(os.path.basename(path), path)
            elif kind == "fifo":
                os.mkfifo(path)
            elif kind == "dir":
                os.mkdir(path)
        except OSError:
            continue
        visible = not any(part.startswith(b".") for part in rel.split(b"/"))
        if kind in ("good", "utf16", "link_in", "link_out") and raw.endswith(b".srt") and visible:
            must.add(rel)
    return must


def _outputs(out: bytes) -> dict[bytes, int]:
    found = {}
    for top, dirs, files in os.walk(out):
        dirs[:] = [d for d in dirs if d != b".srtbuild"]
        for name in files:
            found[os.path.relpath(os.path.join(top, name), out)] = os.stat(os.path.join(top, name)).st_mtime_ns
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=ENTRIES, jobs=st.sampled_from(["1", "2"]))
def test_random_hostile_trees(entries: list, jobs: str) -> None:
    base = tempfile.mkdtemp(prefix="srtbuild-fuzz-")
    root = os.fsencode(base)
    try:
        tree, outside, out = (os.path.join(root, n) for n in (b"in", b"outside", b"out"))
        os.makedirs(tree)
        os.makedirs(outside)
        with open(os.path.join(outside, b"outside.srt"), "wb") as fh:
            fh.write(GOOD.encode())
        must = _make(tree, outside, entries)
        before = _snapshot(root, out)
        code = main(["batch", base + "/in", base + "/out", "-q", "-j", jobs])
        assert code in (0, 1)
        assert descendants() == []  # no process left behind
        assert _snapshot(root, out) == before  # nothing written (or read-touched) outside OUTPUT
        built = _outputs(out)
        for rel in must:
            assert rel in built, rel
        code2 = main(["batch", base + "/in", base + "/out", "-q"])
        assert code2 == code
        assert _outputs(out) == built  # the second run rewrites nothing
    finally:
        for top, dirs, files in os.walk(root):
            for name in dirs + files:
                path = os.path.join(top, name)
                if not os.path.islink(path):
                    os.chmod(path, stat.S_IRWXU)
        shutil.rmtree(root)


def test_the_fuzz_tree_helpers_see_what_they_should(tmp_path: Path) -> None:
    tree, outside = os.fsencode(tmp_path / "in"), os.fsencode(tmp_path / "out")
    os.makedirs(tree)
    os.makedirs(outside)
    must = _make(tree, outside, [("", "a.srt", "good", b""), ("", "b.srt", "fifo", b""), (".h/", "c.srt", "good", b"")])
    assert must == {b"a.srt"}
