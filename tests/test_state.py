"""The state backend (per-task commits, lock), the out-of-date check that `srtbuild batch`
runs before doit, and the report's sidecar cache."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from buildrepo import GOOD, batch, lectures, make_repo, report
from doit.dependency import JSONCodec
from doit.exceptions import InvalidDodoFile

from srtbuild.config import load_settings
from srtbuild.engine.project import plan
from srtbuild.engine.state import (
    StateCorrupt,
    StateDB,
    lock_for,
    read_briefs,
    read_values,
)
from srtbuild.engine.uptodate import REFRESH, outdated


def _rows(path: Path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {k: json.loads(v) for k, v in conn.execute("select task_id, task_data from doit")}
    finally:
        conn.close()


def test_a_task_is_committed_when_doit_finishes_recording_it(tmp_path: Path) -> None:
    db = StateDB(str(tmp_path / "s" / "state.sqlite"), JSONCodec())
    try:
        db.set("t1", "_values_:", {"status": "ok"})
        db.set("t1", "a.srt", [1.0, 2, "md5"])
        assert _rows(tmp_path / "s/state.sqlite") == {}  # half-recorded: not yet
        db.set("t1", "deps:", ["a.srt"])
        assert _rows(tmp_path / "s/state.sqlite")["t1"] == {"_values_:": {"status": "ok"}, "a.srt": [1.0, 2, "md5"], "deps:": ["a.srt"]}
        db.set("t2", "_values_:", {"status": "ok"})  # interrupted while being recorded
        db.set("t1", "result:", {"ignored": True})
        assert db.get("t1", "result:") is None
    finally:
        db.dump()
    rows = _rows(tmp_path / "s/state.sqlite")
    assert set(rows) == {"t1"}  # the half-recorded t2 runs again next time
    again = StateDB(str(tmp_path / "s" / "state.sqlite"), JSONCodec())
    try:
        assert again.get("t1", "a.srt") == [1.0, 2, "md5"] and again.in_("t1") and not again.in_("t2")
        again.remove("t1")
        assert not again.in_("t1")
    finally:
        again.dump()
    assert _rows(tmp_path / "s/state.sqlite") == {}


def test_the_state_is_locked_while_open_and_reentrant_within_a_process(tmp_path: Path) -> None:
    path = str(tmp_path / "state.sqlite")
    db = StateDB(path, JSONCodec())
    try:
        lock = lock_for(path)
        lock.acquire()  # same process: fine
        lock.release()
        code = "import sys; from srtbuild.engine.state import lock_for\ntry:\n lock_for(sys.argv[1]).acquire()\nexcept Exception as e:\n print(e); sys.exit(3)"
        other = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True)
        assert other.returncode == 3 and "another srtbuild or doit run" in other.stdout
    finally:
        db.dump()
    free = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True)
    assert free.returncode == 0


def test_a_damaged_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    # Raised as doit's InvalidDodoFile, which doit prints as one line.
    with pytest.raises(InvalidDodoFile, match="delete it to rebuild everything"):
        StateDB(str(path), JSONCodec())
    with pytest.raises(InvalidDodoFile, match="unreadable"):  # not "busy": the lock was released
        StateDB(str(path), JSONCodec())
    with pytest.raises(StateCorrupt, match="unreadable"):  # what srtbuild batch meets first
        read_briefs(str(path), "process:", "", [])


def test_briefs_pick_the_fields_the_check_needs(tmp_path: Path) -> None:
    path = str(tmp_path / "state.sqlite")
    db = StateDB(path, JSONCodec())
    for name in ("a.srt", 'say "hi".srt'):
        db.set(f"process:{name}", "_values_:", {"build": "k", "status": "ok"})
        db.set(f"process:{name}", f"in/{name}", [1.5, 10, "m"])
        db.set(f"process:{name}", "g.yaml", [2.5, 3, "g"])
        db.set(f"process:{name}", "deps:", [f"in/{name}", "g.yaml"])
    db.set("report", "_values_:", {})
    db.set("report", "deps:", [])
    db.dump()
    briefs = read_briefs(path, "process:", "in/", ["g.yaml"])
    assert set(briefs) == {"a.srt", 'say "hi".srt'}
    a = briefs["a.srt"]
    assert (a.build, a.status, json.loads(a.deps), json.loads(a.own), a.shared) == ("k", "ok", ["in/a.srt", "g.yaml"], [1.5, 10, "m"], ('[2.5,3,"g"]',))
    assert briefs['say "hi".srt'].own is None  # unreadable by path: the caller reads the row whole
    assert read_values(path, ['process:say "hi".srt'])['process:say "hi".srt']["deps:"] == ['in/say "hi".srt', "g.yaml"]


def _plan(repo: Path):
    os.chdir(repo)
    return plan(load_settings(repo / "srtbuild.yaml"), base=repo)


def test_the_out_of_date_check_agrees_with_doit_and_stores_touched_mtimes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    files = {"a.srt": GOOD, "b.srt": GOOD, 'q "x".srt': GOOD}
    repo = make_repo(tmp_path / "repo", files, config="input: lectures\noutput: build\npipeline: [whitespace, {glossary: {files: [g.yaml]}}]\n")
    (repo / "g.yaml").write_text("Sartre: [sartra]\n", encoding="utf-8")
    assert [r for _, r in outdated(_plan(repo))] == ["new"] * 3
    assert batch(repo).returncode == 0
    assert outdated(_plan(repo)) == []
    later = time.time() + 50
    for name in files:
        os.utime(repo / "lectures" / name, (later, later))
    assert {r for _, r in outdated(_plan(repo))} == {REFRESH}
    assert batch(repo).returncode == 0 and report(repo)["totals"]["processed"] == 0
    assert outdated(_plan(repo)) == []  # the new mtimes were stored: no hashing any more
    os.utime(repo / "g.yaml", (later, later))
    assert {r for _, r in outdated(_plan(repo))} == {REFRESH}
    (repo / "g.yaml").write_text("Sartre: [sartra, satre]\n", encoding="utf-8")
    assert {r for _, r in outdated(_plan(repo))} == {"settings changed"}  # glossary content is in the digest
    assert batch(repo).returncode == 0 and report(repo)["totals"]["processed"] == 3
    (repo / "build" / "b.srt").unlink()
    (repo / "lectures" / "a.srt").write_text(GOOD + "\n", encoding="utf-8")
    assert sorted((s.rel, r) for s, r in outdated(_plan(repo))) == [("a.srt", "source changed"), ("b.srt", "output missing")]
    assert batch(repo).returncode == 0 and report(repo)["totals"]["processed"] == 2


def test_the_report_follows_sidecar_changes_in_cached_folders(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", lectures(6, cues=10))
    assert batch(repo).returncode == 0
    first = report(repo)
    # An edited sidecar (as a rebuild elsewhere would leave it) is read again.
    side = repo / "build/.srtbuild/metrics/course1/lecture001.srt.json"
    data = json.loads(side.read_text())
    data["quality_after"] = 1.5
    tmp = side.with_name("x.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, side)
    assert batch(repo).returncode == 0
    second = report(repo)
    row = next(r for r in second["files"] if r["path"] == "course1/lecture001.srt")
    assert row["quality_after"] == 1.5
    assert second["totals"]["quality_after"] != first["totals"]["quality_after"]
    assert "course1/lecture001.srt" in (repo / "build/.srtbuild/summary.txt").read_text().split("worst files")[1]
    # The report without a cache is the same report.
    (repo / "build/.srtbuild/sidecars.cache").unlink()
    assert batch(repo).returncode == 0
    third = report(repo)
    assert third["files"] == second["files"] and third["totals"] == second["totals"] | {"processed": 0, "up_to_date": 6}
    lines = (repo / "build/.srtbuild/report.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 7 and lines[0].startswith("path,output,status")


def test_history_keeps_earlier_reports_of_runs_that_changed_something(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD}, config="input: lectures\noutput: build\nreport: {history: 2}\n")
    history = repo / "build/.srtbuild/history"
    assert batch(repo).returncode == 0 and not history.exists()
    assert batch(repo).returncode == 0 and not history.exists()  # a no-op run keeps no copy
    for n in range(3):
        (repo / "lectures/a.srt").write_text(GOOD + "\n" * (n + 1), encoding="utf-8")
        assert batch(repo).returncode == 0
    assert len(list(history.iterdir())) == 2


def test_upgrading_srtbuild_rebuilds_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "b.srt": GOOD})
    assert batch(repo).returncode == 0
    assert outdated(_plan(repo)) == []
    import srtbuild.engine.project
    import srtbuild.engine.uptodate

    monkeypatch.setattr(srtbuild.engine.project, "__version__", "99.0.0")
    monkeypatch.setattr(srtbuild.engine.uptodate, "__version__", "99.0.0")
    assert {r for _, r in outdated(_plan(repo))} == {"srtbuild upgraded (now 99.0.0)"}


def test_leftover_temporary_files_of_a_killed_run_are_swept(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"sub/a.srt": GOOD, "sub/b.srt": GOOD})
    assert batch(repo).returncode == 0
    old = time.time() - 3600
    leftovers = [repo / "build/sub/.a.srt.k3j4h5.tmp", repo / "build/.srtbuild/metrics/sub/.a.srt.json.x7y8.tmp"]
    for path in leftovers:
        path.write_text("half")
        os.utime(path, (old, old))
    (repo / "lectures/sub/a.srt").write_text(GOOD + "\n", encoding="utf-8")  # rerun, as after a kill
    assert batch(repo).returncode == 0
    assert not any(p.exists() for p in leftovers)
    assert (repo / "build/sub/a.srt").is_file() and (repo / "build/sub/b.srt").is_file()
