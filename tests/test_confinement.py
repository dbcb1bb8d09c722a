"""The output folder is data: nothing is written, truncated or deleted outside it through
a link planted in it, nothing read from it is executed, and a folder that cannot be
written gives one line. End to end, in temporary trees."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from buildrepo import (
    GOOD,
    batch,
    build_cmd,
    doit,
    doit_cmd,
    make_repo,
    processed,
    report,
    run_alone,
    srtbuild,
    tree,
    unprivileged,
)

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux file system semantics")
EDIT = GOOD + "\n3\n00:00:07,000 --> 00:00:09,000\nan edit, so the next run has work to do\n"


@pytest.fixture()
def built(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "b.srt": GOOD, "sub/c.srt": GOOD})
    assert batch(repo).returncode == 0
    (repo / "lectures/b.srt").write_text(EDIT, encoding="utf-8")
    return repo


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    """What must not change: a folder beside the repo with a file in it."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "precious.txt").write_text("do not touch", encoding="utf-8")
    (folder / "report-00000000T000000000000Z.json").write_text("{}", encoding="utf-8")
    for name in ("a.srt", "c.srt", "b.srt", "b.srt.json"):
        (folder / name).write_text("do not touch", encoding="utf-8")
    return folder


def _plant(repo: Path, rel: str, target: Path) -> None:
    path = repo / "build" / rel
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target, target_is_directory=target.is_dir())


@linux
@pytest.mark.parametrize("rel, to_folder", [
    (".srtbuild", True),
    (".srtbuild/state.sqlite.lock", False),
    (".srtbuild/state.sqlite", False),
    (".srtbuild/state.sqlite-wal", False),
    (".srtbuild/history", True),
    (".srtbuild/metrics", True),
    ("sub", True),
])
def test_a_link_on_the_way_is_refused_before_any_work(built: Path, outside: Path, rel: str, to_folder: bool) -> None:
    before = tree(outside)
    _plant(built, rel, outside if to_folder else outside / "precious.txt")
    for cmd in (build_cmd("batch", "lectures", "build"), doit_cmd()):
        run = run_alone(cmd, cwd=built)
        assert run.returncode == 2, run.stderr + run.stdout
        assert "is a symbolic link; srtbuild writes nothing through it" in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
        assert tree(outside) == before


@linux
@pytest.mark.parametrize("rel", ["b.srt", ".srtbuild/metrics/b.srt.json", ".srtbuild/report.json"])
def test_a_link_in_place_of_a_file_is_replaced_not_followed(built: Path, outside: Path, rel: str) -> None:
    before = tree(outside)
    _plant(built, rel, outside / Path(rel).name if (outside / Path(rel).name).exists() else outside / "precious.txt")
    run = run_alone(build_cmd("batch", "lectures", "build"), cwd=built)
    assert run.returncode == 0, run.stderr
    assert tree(outside) == before
    assert not (built / "build" / rel).is_symlink() and (built / "build" / rel).is_file()


@linux
def test_removing_a_gone_source_deletes_nothing_through_a_link(built: Path, outside: Path) -> None:
    before = tree(outside)
    shutil.rmtree(built / "lectures/sub")  # its output and sidecar are now stale
    _plant(built, "sub", outside)  # ... and its output folder leads out
    run = run_alone(build_cmd("batch", "lectures", "build"), cwd=built)
    assert run.returncode == 0, run.stderr
    assert "sub/c.srt: output not removed" in run.stderr
    assert tree(outside) == before
    assert report(built)["removed"] == ["sub/c.srt"]


@linux
def test_doit_clean_deletes_nothing_through_a_link(built: Path, outside: Path) -> None:
    assert batch(built).returncode == 0
    before = tree(outside)
    (built / "build/sub/c.srt").unlink()
    (built / "build/sub").rmdir()
    (built / "build/sub").symlink_to(outside, target_is_directory=True)
    run = run_alone(doit_cmd("clean"), cwd=built)
    assert tree(outside) == before, run.stderr


def test_doit_clean_removes_everything_srtbuild_wrote_but_the_state(built: Path) -> None:
    assert batch(built).returncode == 0 and batch(built, "--force").returncode == 0  # history too
    assert (built / "build/.srtbuild/history").is_dir()
    run = doit("clean", cwd=built)
    assert run.returncode == 0, run.stderr
    left = sorted(str(p.relative_to(built / "build")) for p in (built / "build").rglob("*"))
    assert left == [".srtbuild", ".srtbuild/state.sqlite", ".srtbuild/state.sqlite.lock"]
    assert doit(cwd=built).returncode == 0 and (built / "build/sub/c.srt").is_file()  # and it all comes back


def test_a_pickled_cache_is_never_loaded(built: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    cache = built / "build/.srtbuild/sidecars.cache"
    assert cache.is_file()
    cache.write_bytes(pickle.dumps(Exploit()))
    run = batch(built)
    assert run.returncode == 0, run.stderr
    assert not marker.exists()
    assert "sidecars.cache: damaged cache ignored" in run.stderr
    assert report(built)["totals"]["files"] == 3
    assert batch(built).stderr.count("damaged") == 0  # rebuilt, as JSON


@pytest.mark.parametrize("damage", [
    b'{"schema":"srtbuild.sidecars/3","keep":10,"folders":{"":{"subdirs":"x"}}}',
    b'{"schema":"srtbuild.sidecars/3","keep":10,"folders":{"":{"subdirs":[],"files":{"a.srt.json":[1,2,"]}{","x\\n"]},"tally":{}}}}',
    b"\x00\x01 not json",
])
def test_a_damaged_cache_is_ignored_with_a_warning(built: Path, damage: bytes) -> None:
    assert batch(built).returncode == 0 and batch(built).returncode == 0
    good = report(built)
    (built / "build/.srtbuild/sidecars.cache").write_bytes(damage)
    run = batch(built)
    assert run.returncode == 0 and "damaged cache ignored" in run.stderr
    again = report(built)
    assert again["totals"] == {**good["totals"], **{k: again["totals"][k] for k in ("files_per_minute", "segments_per_second")}}
    assert [r["path"] for r in again["files"]] == [r["path"] for r in good["files"]]


def test_a_tampered_sidecar_is_an_unreadable_one_not_a_crash(built: Path) -> None:
    assert batch(built).returncode == 0
    fake = built / "build/.srtbuild/metrics/fake.tmp"  # replaced whole, as tools write files
    fake.write_text('{"status": "ok", "segments": "many"}', encoding="utf-8")
    fake.replace(built / "build/.srtbuild/metrics/a.srt.json")
    run = batch(built)
    assert "Traceback" not in run.stderr
    rows = {r["path"]: r for r in report(built)["files"]}
    assert rows["a.srt"]["status"] == "failed" and "unreadable sidecar" in rows["a.srt"]["error"]["message"]


def test_an_output_folder_inside_the_input_that_holds_sources_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "ch1/b.srt": GOOD})
    run = srtbuild("batch", "lectures", "lectures/ch1", cwd=repo)
    assert run.returncode == 2
    assert "the output folder lies inside the input folder and holds sources (b.srt)" in run.stderr
    assert not (repo / "lectures/ch1/.srtbuild").exists() and (repo / "lectures/ch1/b.srt").read_text() == GOOD
    # An output folder srtbuild made (it holds .srtbuild/) may lie inside the input.
    inside = srtbuild("batch", "lectures", "lectures/out", cwd=repo)
    assert inside.returncode == 0, inside.stderr
    assert srtbuild("batch", "lectures", "lectures/out", cwd=repo).returncode == 0 and processed(repo, "lectures/out") == 0


@linux
def test_a_read_only_output_folder_is_one_line_without_advice_to_delete_the_state(built: Path) -> None:
    user = unprivileged()
    if user is None:
        pytest.skip("permissions cannot be tested here: running as root without setpriv")
    for folder in (built / "build", built / "build/.srtbuild"):
        folder.chmod(0o555)
    try:
        for cmd in (build_cmd("batch", "lectures", "build"), doit_cmd()):
            run = run_alone(cmd, cwd=built, user=user)
            assert run.returncode == 2, run.stderr
            lines = run.stderr.strip().splitlines()
            assert len(lines) == 1 and "cannot write the output folder" in lines[0], run.stderr
            assert "delete" not in lines[0]
    finally:
        for folder in (built / "build", built / "build/.srtbuild"):
            folder.chmod(0o755)


@linux
def test_a_full_disk_stops_the_run_with_one_line(tmp_path: Path) -> None:
    from bench.corpus import lecture

    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    repo = make_repo(tmp_path / "repo", {f"l{i:02d}.srt": lecture(i, 600) for i in range(30)})
    (repo / "build").mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(repo / "build")]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        run = run_alone(build_cmd("batch", "lectures", "build"), cwd=repo)
        assert run.returncode in (1, 2), run.stderr
        assert "Traceback" not in run.stderr and "internal error" not in run.stderr
        assert "No space left on device" in run.stderr and "the run stops" in run.stderr
        errors = [line for line in run.stderr.splitlines() if ": error: " in line]
        assert len(errors) <= 2, run.stderr  # not one line per remaining file
    finally:
        subprocess.run(["umount", "-l", str(repo / "build")])
    # With room again, the next run builds the rest.
    again = batch(repo)
    assert again.returncode == 0, again.stderr
    assert report(repo)["totals"]["succeeded"] == 30
