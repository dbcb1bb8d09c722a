"""The output folder is data: nothing is written, truncated or deleted outside it through
a link planted in it, nothing read from it is executed, and a folder that cannot be
written gives one line. End to end, in temporary trees."""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from srtbuild.reports.cache import CACHE_SCHEMA
from srtbuild.reports.rows import CSV_FIELDS, Tally
from buildrepo import (
    ENV,
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


def _cache(rows: bytes, subdirs: str = "[]", briefs: bytes | None = None) -> bytes:
    """A cache for one sidecar, sound but for what is given: its `subdirs` (JSON text),
    its rows section and its briefs (one "null" a row by default)."""
    head = ('{"schema":"' + CACHE_SCHEMA + f'","keep":10,"rows_bytes":{len(rows)},"folders":{{"":{{"subdirs":{subdirs},'
            '"files":[["a.srt.json",1,2,' + json.dumps("," * (len(CSV_FIELDS) - 1) + "\n") + ']],'
            '"tally":' + json.dumps(Tally().dump()) + '}}}\n')
    return head.encode() + rows + (b"null\n" * rows.count(b"\n") if briefs is None else briefs)


def test_a_sound_cache_of_that_shape_is_read_without_a_word(built: Path) -> None:
    # The damaged caches below differ from this one only where they are damaged.
    assert batch(built).returncode == 0
    (built / "build/.srtbuild/sidecars.cache").write_bytes(_cache(b'{"path":"a"}\n'))
    run = batch(built)
    assert run.returncode == 0 and "cache" not in run.stderr, run.stderr
    assert report(built)["totals"]["files"] == 3


@pytest.mark.parametrize("damage", [
    _cache(b'{"path":"a"}\n', subdirs='"x"'),
    _cache(b'{"path":"a"}]}{\n'),  # a row that would close the list
    _cache(b'{"path":"a"}\n{"path":"b"}\n'),  # more rows than files
    _cache(b'{"path":"a"}', briefs=b"null\n"),  # cut short
    _cache(b'{"path":"a"}\n', briefs=b""),  # a brief short
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
def test_a_read_only_output_folder_is_one_line_without_advice_to_delete_the_state(built: Path, user: list[str]) -> None:
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


def _small_disk(folder: Path, options: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a tmpfs here")


@linux
def test_a_disk_too_small_for_the_run_is_refused_before_any_file_starts(tmp_path: Path) -> None:
    from bench.corpus import lecture

    repo = make_repo(tmp_path / "repo", {f"l{i:02d}.srt": lecture(i, 600) for i in range(30)})
    _small_disk(repo / "build", "size=600k")
    try:
        for command in (build_cmd("batch", "lectures", "build"), [sys.executable, "-m", "doit"]):
            run = run_alone(command, cwd=repo)
            assert run.returncode == 2, run.stderr
            assert run.stderr.count("\n") == 1 and "not enough free space to start" in run.stderr, run.stderr
            assert "30 files need about" in run.stderr and re.search(r"[kM]B free", run.stderr)
            assert not list((repo / "build").glob("*.srt"))  # nothing was started
        dry = run_alone(build_cmd("batch", "lectures", "build", "--dry-run"), cwd=repo)
        assert dry.returncode == 0 and "not enough free space" in dry.stderr and "estimate:" in dry.stdout
    finally:
        subprocess.run(["umount", "-l", str(repo / "build")])
    again = batch(repo)  # with room again, it runs
    assert again.returncode == 0, again.stderr
    assert report(repo)["totals"]["succeeded"] == 30


def _repaired_everywhere(seed: int, cues: int = 2000) -> str:
    """A lecture whose every cue needs repairs: its sidecar, a warning a repair, is
    several times the size of the source, more than the pre-flight's estimate."""
    return "\n".join(f"{i}\n00:{(seed + 2 * i) // 60 % 60:02d}:{(seed + 2 * i) % 60:02d}.5 --> "
                     f"00:{(seed + 2 * i + 1) // 60 % 60:02d}:{(seed + 2 * i + 1) % 60:02d}.9\nso um the the lecture\n"
                     for i in range(1, cues + 1))


@linux
def test_a_disk_that_fills_up_during_the_run_stops_it_with_one_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {f"l{i:02d}.srt": _repaired_everywhere(i) for i in range(12)})
    # Room for what the pre-flight foresees (about 4 MB), not for these sidecars (10 MB).
    _small_disk(repo / "build", "size=5m")
    try:
        run = run_alone(build_cmd("batch", "lectures", "build"), cwd=repo)
        assert "not enough free space to start" not in run.stderr, run.stderr
        assert run.returncode in (1, 2), run.stderr
        assert "Traceback" not in run.stderr and "internal error" not in run.stderr
        assert "No space left on device" in run.stderr or "disk is full" in run.stderr, run.stderr
        assert "the run stops" in run.stderr or "free space" in run.stderr, run.stderr
        errors = [line for line in run.stderr.splitlines() if ": error: " in line]
        assert len(errors) <= 3, run.stderr  # not one line per remaining file
    finally:
        subprocess.run(["umount", "-l", str(repo / "build")])
    # With room again, the next run builds the rest.
    again = batch(repo)
    assert again.returncode == 0, again.stderr
    assert report(repo)["totals"]["succeeded"] == 12


@linux
def test_a_file_system_without_free_inodes_is_refused_before_any_file_starts(tmp_path: Path) -> None:
    from bench.corpus import lecture

    repo = make_repo(tmp_path / "repo", {f"l{i:02d}.srt": lecture(i, 20) for i in range(30)})
    _small_disk(repo / "build", "size=20m,nr_inodes=40")
    try:
        run = run_alone(build_cmd("batch", "lectures", "build"), cwd=repo)
        assert run.returncode == 2 and "not enough free inodes to start" in run.stderr, run.stderr
    finally:
        subprocess.run(["umount", "-l", str(repo / "build")])


@linux
def test_hard_links_among_the_state_files_are_refused(built: Path, outside: Path) -> None:
    before = (built / "lectures/a.srt").read_bytes()
    lock = built / "build/.srtbuild/state.sqlite.lock"
    lock.unlink()
    os.link(built / "lectures/a.srt", lock)  # as a tar of a cache could restore it
    run = run_alone(build_cmd("batch", "lectures", "build"), cwd=built)
    assert run.returncode == 2 and "state.sqlite.lock: is a hard link" in run.stderr, run.stderr
    assert (built / "lectures/a.srt").read_bytes() == before
    lock.unlink()
    os.link(outside / "precious.txt", built / "build/.srtbuild/state.sqlite-shm")
    snapshot = tree(outside)
    run = run_alone(doit_cmd(), cwd=built)
    assert run.returncode == 2 and "state.sqlite-shm: is a hard link" in run.stderr, run.stderr
    assert tree(outside) == snapshot


def test_a_planted_state_database_is_refused_quickly(built: Path) -> None:
    import sqlite3

    state = built / "build/.srtbuild/state.sqlite"
    state.unlink()
    conn = sqlite3.connect(state)
    conn.execute("create view doit as with recursive c(x) as (select 1 union all select x + 1 from c) "
                 "select 'process:' || x as task_id, '{}' as task_data from c")
    conn.commit()
    conn.close()
    for args in (("batch", "lectures", "build"), ("batch", "lectures", "build", "--dry-run"),
                 ("batch", "lectures", "build", "--force")):
        run = run_alone(build_cmd(*args), cwd=built, timeout=60)
        assert run.returncode == 2 and "not a srtbuild build state (it holds view 'doit')" in run.stderr, run.stderr


def test_an_output_folder_that_contains_the_input_is_refused_even_at_the_root(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD})
    for out in ("/", str(tmp_path), "."):
        run = srtbuild("batch", "lectures", out, cwd=repo)
        assert run.returncode == 2 and "must not be (or contain) the input folder" in run.stderr, (out, run.stderr)
    for empty in (("", "build"), ("lectures", " ")):
        run = srtbuild("batch", *empty, cwd=repo)
        assert run.returncode == 2 and "is empty" in run.stderr


def test_output_folders_with_uri_characters_keep_their_own_state(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "b.srt": GOOD})
    for out in ("o%41", "oA", "o#1", "o?x"):
        assert srtbuild("batch", "lectures", out, cwd=repo).returncode == 0
    (repo / "lectures/a.srt").write_text(EDIT, encoding="utf-8")
    assert srtbuild("batch", "lectures", "oA", cwd=repo).returncode == 0
    for out in ("o%41", "o#1", "o?x"):
        run = srtbuild("batch", "lectures", out, cwd=repo)
        assert run.returncode == 0, run.stderr
        assert processed(repo, out) == 1 and "An edit" in (repo / out / "a.srt").read_text(encoding="utf-8")


def test_an_output_changed_after_it_was_written_is_built_again(built: Path) -> None:
    assert batch(built).returncode == 0
    good = (built / "build/a.srt").read_bytes()
    # What a run killed after writing a newer output, before saving its state, leaves
    # behind (or a hand edit): the output no longer is what the state says was built.
    (built / "build/a.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nsomething else\n", encoding="utf-8")
    dry = srtbuild("batch", "lectures", "build", "--dry-run", cwd=built)
    assert "would process a.srt: output changed since it was written" in dry.stdout
    status = doit("list", "--all", "--status", cwd=built)
    assert "R process:a.srt" in status.stdout and "U process:b.srt" in status.stdout
    assert batch(built).returncode == 0 and processed(built) == 1
    assert (built / "build/a.srt").read_bytes() == good
    # The same bytes with a new time (a copy, a restored cache) are not a change.
    os.utime(built / "build/a.srt", (1, 1))
    assert batch(built).returncode == 0 and processed(built) == 0
    assert doit(cwd=built).returncode == 0 and "R process:" not in doit("list", "--all", "--status", cwd=built).stdout


def test_a_damaged_sidecar_is_removed_and_its_source_rebuilt(built: Path) -> None:
    assert batch(built).returncode == 0
    sidecar = built / "build/.srtbuild/metrics/a.srt.json"
    size = sidecar.stat().st_size
    with open(sidecar, "r+b") as fh:  # edited in place, same size: only its mtime tells
        fh.write(b"#" * 10)
    assert sidecar.stat().st_size == size
    run = batch(built)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    rows = {r["path"]: r for r in report(built)["files"]}
    assert "unreadable sidecar" in rows["a.srt"]["error"]["message"] and not sidecar.exists()
    again = batch(built)
    assert again.returncode == 0 and processed(built) == 1 and sidecar.is_file()


def test_folder_names_that_look_like_sidecars_do_not_collide(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"x.srt": GOOD, "x.srt.json/y.srt": GOOD, "b~/c.srt": GOOD})
    for _ in range(2):
        run = batch(repo)
        assert run.returncode == 0, run.stderr
        assert report(repo)["totals"]["succeeded"] == 3
    shutil.rmtree(repo / "lectures/x.srt.json")
    assert batch(repo).returncode == 0
    assert report(repo)["removed"] == ["x.srt.json/y.srt"] and not (repo / "build/x.srt.json").exists()


def test_doit_clean_also_removes_outputs_of_sources_deleted_since(built: Path) -> None:
    assert doit(cwd=built).returncode == 0
    (built / "lectures/a.srt").unlink()
    assert doit("clean", cwd=built).returncode == 0
    left = sorted(str(p.relative_to(built / "build")) for p in (built / "build").rglob("*"))
    assert left == [".srtbuild", ".srtbuild/state.sqlite", ".srtbuild/state.sqlite.lock"]


@pytest.mark.parametrize("damage", [
    "[1]",
    '{"_values_:": [1], "deps:": 7}',
    '{"_values_:": {"status": "ok", "build": 5}, "deps:": [[1]], "lectures/a.srt": 5}',
    "[" * 100_000 + "]" * 100_000,
    "not json at all",
])
def test_damaged_state_rows_make_their_files_run_again(built: Path, damage: str) -> None:
    import sqlite3

    assert batch(built).returncode == 0
    conn = sqlite3.connect(built / "build/.srtbuild/state.sqlite")
    conn.execute("update doit set task_data=? where task_id='process:a.srt'", (damage,))
    conn.commit()
    conn.close()
    for args in (("--dry-run",), ("--force",), ()):
        run = batch(built, *args)
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    status = doit("list", "--all", "--status", cwd=built)
    assert status.returncode == 0 and "Traceback" not in status.stderr


def test_a_forged_cache_row_cannot_break_or_forge_the_report(built: Path) -> None:
    assert batch(built).returncode == 0 and batch(built).returncode == 0
    cache = built / "build/.srtbuild/sidecars.cache"
    head, *rows = cache.read_text().split("\n")
    assert json.loads(head)["schema"] == CACHE_SCHEMA and json.loads(rows[0])["path"]
    rows[0] = '{"path":"X"}],"totals":{"files":999},"x":[{"a":1}'
    cache.write_text("\n".join([head, *rows]))
    run = batch(built, "--export-report", "r.md")
    assert run.returncode == 0 and "damaged cache ignored" in run.stderr, run.stderr
    assert report(built)["totals"]["files"] == 3


@linux
def test_a_link_or_folder_at_a_sidecars_name_is_repaired(built: Path, outside: Path) -> None:
    assert batch(built).returncode == 0
    sidecar = built / "build/.srtbuild/metrics/a.srt.json"
    sidecar.unlink()
    sidecar.symlink_to(outside / "precious.txt")
    output = built / "build/b.srt"
    output.unlink()
    output.symlink_to(outside / "b.srt")
    before = tree(outside)
    run = batch(built)
    assert run.returncode == 0, run.stderr
    assert processed(built) == 2 and sidecar.is_file() and not sidecar.is_symlink() and not output.is_symlink()
    assert tree(outside) == before
    assert batch(built).returncode == 0 and processed(built) == 0


def test_long_names_are_removed_with_their_outputs(tmp_path: Path) -> None:
    long_file = "F" * 250 + ".srt"
    long_folder = "D" * 250 + ".json"
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, long_file: GOOD, f"{long_folder}/b.srt": GOOD})
    for _ in range(2):
        run = batch(repo)
        assert run.returncode == 0, run.stderr
    assert report(repo)["totals"]["succeeded"] == 3
    (repo / "lectures" / long_file).unlink()
    shutil.rmtree(repo / "lectures" / long_folder)
    run = batch(repo)
    assert run.returncode == 0, run.stderr
    assert sorted(report(repo)["removed"]) == sorted([long_file, f"{long_folder}/b.srt"])
    assert sorted(p.name for p in (repo / "build").iterdir()) == [".srtbuild", "a.srt"]
    assert [p.name for p in (repo / "build/.srtbuild/metrics").iterdir()] == ["a.srt.json"]


@linux
def test_an_output_folder_bound_onto_the_input_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("bind mounts need root and unshare")
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD})
    (repo / "bind").mkdir()
    script = f"mount --bind {repo / 'lectures'} {repo / 'bind'} && {sys.executable} -m srtbuild batch lectures bind"
    run = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=repo, env=ENV, capture_output=True, text=True)
    if "mount:" in run.stderr:
        pytest.skip(f"cannot bind-mount here: {run.stderr.strip()}")
    assert run.returncode == 2 and "must not be (or contain) the input folder" in run.stderr, run.stderr
    assert (repo / "lectures/a.srt").read_text() == GOOD


def _strict(path: Path) -> dict:
    """report.json as a strict JSON reader takes it (no NaN, no Infinity)."""
    return json.loads(path.read_text(encoding="utf-8"), parse_constant=lambda c: 1 / 0)


def _cache_lines(repo: Path) -> tuple[Path, list[bytes]]:
    cache = repo / "build/.srtbuild/sidecars.cache"
    return cache, cache.read_bytes().split(b"\n")


def _healed(repo: Path) -> None:
    """The run after a tampering: one warning, exit 0, strict JSON, the clean totals."""
    clean = report(repo)["totals"]
    run = batch(repo)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    rep = _strict(repo / "build/.srtbuild/report.json")
    assert {k: rep["totals"][k] for k in ("files", "succeeded", "segments", "quality_after")} == \
        {k: clean[k] for k in ("files", "succeeded", "segments", "quality_after")}
    assert batch(repo).stderr.count("cache") == 0  # and the next run is quiet


def test_a_cached_row_with_a_lone_surrogate_is_a_damaged_cache(built: Path) -> None:
    assert batch(built).returncode == 0
    cache, lines = _cache_lines(built)
    lines[1] = lines[1].replace(b'"encoding":"', b'"encoding":"\xed\xa0\x80')  # UTF-8 of U+D800
    cache.write_bytes(b"\n".join(lines))
    run = batch(built)
    assert run.returncode == 0 and "damaged cache ignored" in run.stderr, run.stderr
    _healed(built)


def test_cached_rows_out_of_order_or_not_rows_are_never_reported(built: Path) -> None:
    assert batch(built).returncode == 0
    good = report(built)
    cache, lines = _cache_lines(built)
    lines[1], lines[2] = lines[2], lines[1]  # a.srt's row where b.srt's is, and back
    cache.write_bytes(b"\n".join(lines))
    assert batch(built).returncode == 0
    assert [r["path"] for r in report(built)["files"]] == [r["path"] for r in good["files"]]
    cache, lines = _cache_lines(built)
    lines[1] = b'{"path":"a.srt","a":1}'  # its path, but not a row
    cache.write_bytes(b"\n".join(lines))
    (built / "lectures/b.srt").write_text(GOOD + "\n", encoding="utf-8")  # its folder is read again
    run = batch(built)
    assert run.returncode == 0 and "Traceback" not in run.stderr
    rows = {r["path"]: r for r in _strict(built / "build/.srtbuild/report.json")["files"]}
    assert rows["a.srt"]["status"] == "ok" and rows["a.srt"]["segments"] == good["files"][0]["segments"]
    for fmt in ("csv", "md", "html"):
        assert batch(built, "--export-report", f"r.{fmt}").returncode == 0


def test_a_cached_csv_row_that_is_not_one_record_is_a_damaged_cache(built: Path) -> None:
    assert batch(built).returncode == 0
    cache, lines = _cache_lines(built)
    head = json.loads(lines[0])
    head["folders"][""]["files"][0][3] = "a,b\nforged,row\n"
    lines[0] = json.dumps(head).encode()
    cache.write_bytes(b"\n".join(lines))
    run = batch(built)
    assert run.returncode == 0 and "damaged cache ignored" in run.stderr
    assert "forged" not in (built / "build/.srtbuild/report.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("field, value", [("quality_after", 1.7e308), ("segments", 10**400), ("encoding", "utf-8\ud800"),
                                          ("processing_time_s", 1e300)])
def test_a_sidecar_with_figures_past_any_real_one_is_unreadable_not_a_crash(built: Path, field: str, value: object) -> None:
    assert batch(built).returncode == 0
    for name in ("a.srt.json", "sub/c.srt.json"):  # two: their sum would overflow
        side = built / "build/.srtbuild/metrics" / name
        data = json.loads(side.read_text(encoding="utf-8"))
        data[field] = value
        side.write_text(json.dumps(data), encoding="utf-8")
    run = batch(built)
    assert run.returncode == 1 and "unreadable sidecar" in (built / "build/.srtbuild/summary.txt").read_text()
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    _strict(built / "build/.srtbuild/report.json")
    again = batch(built)  # removed, so both files are built again
    assert again.returncode == 0 and report(built)["totals"]["succeeded"] == 3
