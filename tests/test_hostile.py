"""One bad entry never sinks the build: any file name, sources that cannot be read or
that change during the run, files too big for a cue, empty files; and every run leaves
no process behind. End to end, `srtbuild batch` and `doit` in temporary trees."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from buildrepo import (
    ENV,
    GOOD,
    batch,
    build_cmd,
    children,
    doit_cmd,
    make_repo,
    processed,
    report,
    run_alone,
    session_members,
    srtbuild,
    wait_for,
)
from conftest import srt

import srtbuild.processor as processor
from srtbuild.cli import main
from srtbuild.names import escape_name, sidecar_name

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFOs, /proc and setpriv: Linux")

ODD_NAMES = [
    "a=b.srt",                  # doit refuses '=' in a task name
    "a%3Db.srt",                # what a=b.srt is escaped to: must stay a different task
    "with space.srt",
    "quote'\"s.srt",
    "50% off.srt",
    "colon:name.srt",
    "new\nline.srt",
    "tab\there.srt",
    "-leading dash.srt",
    "\u2764\ufe0f emoji.srt",
    "bidi\u202eover.srt",
    "x" * 246 + ".srt",         # 250 bytes: its sidecar name would be too long
]


def _write_named(folder: Path, name: str | bytes, text: str) -> None:
    path = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else os.fsencode(name))
    with open(path, "wb") as fh:
        fh.write(text.encode("utf-8"))


def _outputs(root: Path) -> dict[bytes, bytes]:
    """Every output subtitle by its raw name (bytes: names need not be UTF-8)."""
    found = {}
    for top, dirs, files in os.walk(os.fsencode(root)):
        dirs[:] = [d for d in dirs if d != b".srtbuild"]
        for name in files:
            path = os.path.join(top, name)
            found[os.path.relpath(path, os.fsencode(root))] = open(path, "rb").read()
    return found


@linux
def test_any_file_name_is_a_source_like_any_other(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"plain.srt": GOOD})
    for name in ODD_NAMES:
        _write_named(repo / "lectures", name, GOOD)
    _write_named(repo / "lectures", b"latin1-caf\xe9.srt", GOOD)  # not UTF-8
    run = run_alone(build_cmd("batch", "lectures", "build", "-j", "2"), cwd=repo)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    outs = _outputs(repo / "build")
    expected = outs[b"plain.srt"]
    names = [os.fsencode(n) for n in ODD_NAMES] + [b"latin1-caf\xe9.srt", b"plain.srt"]
    assert sorted(outs) == sorted(names)  # the tree is mirrored name for name
    assert all(data == expected for data in outs.values())
    rows = report(repo)["files"]
    assert [r["status"] for r in rows] == ["ok"] * len(names)
    shown = sorted(r["path"] for r in rows)
    assert "a%3Db.srt" in shown and "a%253Db.srt" in shown and "new%0Aline.srt" in shown
    assert "latin1-caf%E9.srt" in shown and "bidi%E2%80%AEover.srt" in shown and "50% off.srt" in shown
    assert len(set(shown)) == len(names)
    long_sidecar = repo / "build/.srtbuild/metrics" / sidecar_name("x" * 246 + ".srt")
    assert long_sidecar.is_file() and len(long_sidecar.name.encode()) <= 255
    # Stable: the next run, from another folder, finds all of them up to date.
    again = run_alone(build_cmd("batch", str(repo / "lectures"), str(repo / "build")), cwd=tmp_path)
    assert again.returncode == 0 and processed(repo) == 0, again.stderr
    # The same names serve plain doit: listed, up to date, one of them run by name.
    listing = run_alone(doit_cmd("list", "--all", "--status"), cwd=repo)
    assert listing.returncode == 0, listing.stderr
    assert "U process:a%3Db.srt" in listing.stdout and "U process:with space.srt" in listing.stdout
    assert listing.stdout.count("\n") == len(names) + 2  # one line each, the group and the report
    assert run_alone(doit_cmd("forget", "process:with space.srt"), cwd=repo).returncode == 0
    one = run_alone(doit_cmd("process:with space.srt"), cwd=repo)
    assert one.returncode == 0, one.stderr + one.stdout
    assert (repo / "build/with space.srt").read_bytes() == expected


def test_escaped_names_round_trip() -> None:
    from srtbuild.names import unescape_name

    for name in [*ODD_NAMES, "plain.srt", "%%41", "%A\n", "a%", "\udcff\udcc3.srt", "caf\u00e9.srt"]:
        shown = escape_name(name)
        assert unescape_name(shown) == name
        assert "=" not in shown and "\n" not in shown and "\u202e" not in shown
    assert escape_name("ordinary name (1).srt") == "ordinary name (1).srt"


def _hostile_tree(root: Path) -> None:
    """Good files sorted before, between and after every kind of entry that cannot be
    read; `sub/` is a folder that cannot be listed."""
    (root / "lectures/m").mkdir(parents=True)
    (root / "lectures/sub").mkdir()
    for name in ("a.srt", "m/ok.srt", "zz.srt", "sub/inside.srt"):
        (root / "lectures" / name).write_text(GOOD, encoding="utf-8")
    locked = root / "lectures/locked.srt"
    locked.write_text(GOOD, encoding="utf-8")
    os.mkfifo(root / "lectures/fifo.srt")
    (root / "lectures/dangling.srt").symlink_to(root / "nowhere.srt")
    (root / "lectures/loop.srt").symlink_to("loop.srt")
    (root / "lectures/folder.srt").symlink_to(root / "lectures/m", target_is_directory=True)
    (root / "srtbuild.yaml").write_text("input: lectures\noutput: build\n", encoding="utf-8")
    locked.chmod(0)


EXPECTED_ERRORS = {
    "lectures/dangling.srt: error: cannot read: a symbolic link to a missing file",
    "lectures/fifo.srt: error: not a regular file (a FIFO)",
    "lectures/folder.srt: error: not a regular file (a folder)",
    "lectures/locked.srt: error: cannot read: Permission denied",
    "lectures/loop.srt: error: cannot read: a symbolic link that loops",
    "lectures/sub/: error: cannot list folder: Permission denied",
}


@linux
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sources_that_cannot_be_read_fail_alone(tmp_path: Path, jobs: str, user: list[str]) -> None:
    root = tmp_path / "repo"
    try:
        _hostile_tree(root)
        (root / "lectures/sub").chmod(0)
        for attempt in range(3):  # it once hung in a quarter of the runs at -j 2
            run = run_alone(build_cmd("batch", "lectures", "build", "-j", jobs), cwd=root, user=user, timeout=120)
            assert run.returncode == 1, run.stderr
            assert "Traceback" not in run.stderr and "internal error" not in run.stderr
            for expected in EXPECTED_ERRORS:
                assert expected in run.stderr, run.stderr
            for name in ("a.srt", "m/ok.srt", "zz.srt"):
                assert (root / "build" / name).is_file()
            rep = report(root)
            assert rep["totals"]["succeeded"] == 3 and rep["totals"]["failed"] == 5
            assert rep["totals"]["unlisted_folders"] == 1
            assert processed(root) == (8 if attempt == 0 else 5)  # failed ones are retried, alone
    finally:
        for path in (root / "lectures/sub", root / "lectures/locked.srt"):
            path.chmod(0o755)


@linux
def test_an_unlistable_folder_keeps_its_outputs(tmp_path: Path, user: list[str]) -> None:
    root = make_repo(tmp_path / "repo", {"a.srt": GOOD, "sub/kept.srt": GOOD})
    assert run_alone(build_cmd("batch", "lectures", "build"), cwd=root, user=user).returncode == 0
    (root / "lectures/sub").chmod(0)
    try:
        run = run_alone(build_cmd("batch", "lectures", "build"), cwd=root, user=user)
        assert run.returncode == 1 and "lectures/sub/: error: cannot list folder" in run.stderr
        # Its sources are unknown this run, not gone: their outputs stay.
        assert (root / "build/sub/kept.srt").is_file()
        assert report(root)["totals"]["removed"] == 0
    finally:
        (root / "lectures/sub").chmod(0o755)


@linux
def test_a_source_deleted_during_the_run_fails_alone(tmp_path: Path) -> None:
    from bench.corpus import lecture

    files = {f"l{i:02d}.srt": lecture(i, 1500) for i in range(16)}
    repo = make_repo(tmp_path / "repo", files)
    run = subprocess.Popen(build_cmd("batch", "lectures", "build"), cwd=repo, env=ENV, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    wait_for(lambda: len(list((repo / "build/.srtbuild/metrics").glob("*.json"))) >= 2)
    for name in ("l13.srt", "l14.srt", "l15.srt"):
        (repo / "lectures" / name).unlink()
    _, err = run.communicate(timeout=120)
    assert run.returncode == 1, err
    assert "lectures/l15.srt: error: cannot read: the file is gone (deleted or renamed)" in err
    for i in range(13):
        assert (repo / f"build/l{i:02d}.srt").is_file()
    # The next run sees them gone: dropped from the report, nothing fails.
    again = batch(repo)
    assert again.returncode == 0, again.stderr
    assert report(repo)["totals"]["files"] == 13 and processed(repo) == 0


def test_a_source_edited_while_processed_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "b.srt": GOOD})
    newer = GOOD + "\n3\n00:00:07,000 --> 00:00:09,000\nsaved while it was processed\n"
    real = processor.correct

    def correct_then_save(data: bytes, settings, display: str):
        result = real(data, settings, display)
        if display == "a.srt":  # the user saves a new version while this one is processed
            (repo / "lectures/a.srt").write_text(newer, encoding="utf-8")
        return result

    monkeypatch.setattr(processor, "correct", correct_then_save)
    monkeypatch.chdir(repo)
    assert main(["batch", "lectures", "build", "-q"]) == 0
    monkeypatch.undo()
    assert "saved while" not in (repo / "build/a.srt").read_text(encoding="utf-8")
    dry = srtbuild("batch", "lectures", "build", "--dry-run", cwd=repo)
    assert "would process a.srt: source changed while it was processed" in dry.stdout
    status = subprocess.run(doit_cmd("list", "--all", "--status"), cwd=repo, env=ENV, capture_output=True, text=True)
    assert "R process:a.srt" in status.stdout and "U process:b.srt" in status.stdout
    assert batch(repo).returncode == 0 and processed(repo) == 1
    assert "Saved while it was processed" in (repo / "build/a.srt").read_text(encoding="utf-8")


def test_a_file_over_the_memory_ceiling_fails_alone(tmp_path: Path) -> None:
    from bench.corpus import lecture

    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "huge.srt": lecture(1, 200_000), "z.srt": GOOD},
                     config="input: lectures\noutput: build\nmemory_limit_mb: 64\n")
    run = run_alone(build_cmd("batch", "lectures", "build"), cwd=repo)
    assert run.returncode == 1, run.stderr
    assert "lectures/huge.srt: error: needed more than 64 MB of memory (memory_limit_mb)" in run.stderr
    assert (repo / "build/a.srt").is_file() and (repo / "build/z.srt").is_file()
    assert not (repo / "build/huge.srt").exists()


def test_absurd_cues_are_refused_and_long_ones_are_built(tmp_path: Path) -> None:
    words = ("so we see that the energy is conserved, and the momentum too. " * 2000)
    repo = make_repo(tmp_path / "repo", {
        "absurd.srt": srt(("00:00:01,000", "00:00:05,000", (words * 2)[:150_000])),
        "long.srt": srt(("00:00:01,000", "00:00:05,000", words[:10_000]), ("00:00:06,000", "00:00:08,000", "end")),
    })
    run = run_alone(build_cmd("batch", "lectures", "build"), cwd=repo, timeout=60)
    assert run.returncode == 1, run.stderr
    assert "lectures/absurd.srt:2: error: cue with 150,000 characters of text (more than 100,000)" in run.stderr
    text = (repo / "build/long.srt").read_text(encoding="utf-8")
    body = text.split("\n\n")[0].split("\n")[2:]
    assert all(len(line) <= 42 for line in body) and " ".join(body).replace("  ", " ").startswith("So we see")


def test_utf16_without_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {})
    (repo / "lectures").mkdir(exist_ok=True)
    (repo / "lectures/le.srt").write_bytes(GOOD.replace("\n", "\r\n").encode("utf-16-le"))
    (repo / "lectures/be.srt").write_bytes(GOOD.encode("utf-16-be"))
    (repo / "lectures/ref.srt").write_text(GOOD, encoding="utf-8")
    assert batch(repo).returncode == 0
    ref = (repo / "build/ref.srt").read_bytes()
    assert (repo / "build/le.srt").read_bytes() == ref and (repo / "build/be.srt").read_bytes() == ref
    rows = {r["path"]: r for r in report(repo)["files"]}
    assert rows["le.srt"]["encoding"] == "utf-16-le" and rows["be.srt"]["encoding"] == "utf-16-be"


def test_empty_sources_are_reported_as_empty(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"zero.srt": "", "blank.srt": "\n \r\n\t\n", "good.srt": GOOD})
    run = batch(repo)
    assert run.returncode == 0, run.stderr
    assert "lectures/zero.srt: warning: empty file (no cue to show)" in run.stderr
    rep = report(repo)
    t = rep["totals"]
    assert (t["empty"], t["succeeded"], t["failed"]) == (2, 1, 0)
    rows = {r["path"]: r for r in rep["files"]}
    assert rows["zero.srt"]["status"] == "empty" and rows["zero.srt"]["quality_after"] is None
    good = rows["good.srt"]
    assert (t["quality_before"], t["quality_after"]) == (good["quality_before"], good["quality_after"])
    summary = (repo / "build/.srtbuild/summary.txt").read_text(encoding="utf-8")
    worst = summary.split("worst files")[1].split("\n\n")[0]
    assert "zero.srt" not in worst and "blank.srt" not in worst
    assert (repo / "build/zero.srt").read_bytes() == b""
    assert batch(repo).returncode == 0 and processed(repo) == 0  # empty is done, not retried


def test_bad_settings_stop_before_any_work(tmp_path: Path) -> None:
    for config, fragment in [
        ("quality: {max_cps: .nan}\n", "srtbuild.yaml:3:20: quality.max_cps: expected a finite number, got nan"),
        ("pipeline: [timing: {min_duration_ms: 9000}]\n", "pipeline[0].timing.min_duration_ms: 9000 is more than"),
        ("language: english\n", "srtbuild.yaml:3:11: language: unknown language code 'english'"),
        ("pipeline: [glossary: {files: [/etc/hostname]}]\n", "is outside the folder of srtbuild.yaml"),
    ]:
        repo = make_repo(tmp_path / f"r{len(config)}", {"a.srt": GOOD}, config="input: lectures\noutput: build\n" + config)
        run = batch(repo)
        assert run.returncode == 2 and fragment in run.stderr, (config, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1 and not (repo / "build").exists()
    repo = make_repo(tmp_path / "ok", {"a.srt": GOOD}, config="input: lectures\noutput: build\nquality: {max_cps: 2e1}\n")
    assert batch(repo).returncode == 0


def test_settings_are_found_from_the_input_folder_wherever_the_command_runs(tmp_path: Path) -> None:
    course = make_repo(tmp_path / "course", {"a.srt": GOOD + "\n3\n00:00:07,000 --> 00:00:09,000\n" + "word " * 12 + "\n"},
                       config="pipeline:\n  - wrap: {max_line_length: 20}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = run_alone(build_cmd("batch", str(course / "lectures"), str(course / "build")), cwd=elsewhere)
    assert first.returncode == 0, first.stderr
    lines = (course / "build/a.srt").read_text(encoding="utf-8").splitlines()
    assert max(len(line) for line in lines if line and not line[0].isdigit()) <= 20  # the course's settings
    again = run_alone(build_cmd("batch", "lectures", "build"), cwd=course)
    assert again.returncode == 0 and processed(course) == 0, again.stderr


@linux
def test_nothing_is_left_running_after_an_interrupted_parallel_run(tmp_path: Path) -> None:
    from bench.corpus import lecture

    # Long enough (some 3 s at two workers) that the Ctrl-C a second in lands mid-run, not
    # as the run ends: 1,500 cues a file were done in under a second once correction sped up.
    repo = make_repo(tmp_path / "repo", {f"l{i:02d}.srt": lecture(i, 6000) for i in range(12)})
    os.mkfifo(repo / "lectures/fifo.srt")
    for _ in range(2):
        run = subprocess.Popen(build_cmd("batch", "lectures", "build", "-j", "2", "--force"), cwd=repo, env=ENV,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        time.sleep(1.0)
        os.killpg(run.pid, signal.SIGINT)
        run.communicate(timeout=60)
        assert run.returncode in (1, 130)
        assert session_members(run.pid) == []


@linux
def test_special_and_huge_sources_fail_alone_without_blocking(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "z.srt": GOOD})
    (repo / "lectures/kmsg.srt").symlink_to("/proc/kmsg")  # a regular file that blocks
    (repo / "lectures/zero.srt").symlink_to("/dev/zero")  # endless
    with open(repo / "lectures/sparse.srt", "wb") as fh:  # 30 GB of nothing, instantly
        fh.truncate(30 * 1024 ** 3)
    (repo / "lectures/odd16.srt").write_bytes(GOOD.encode("utf-16-le") + b"\n")  # one byte short of UTF-16
    run = run_alone(build_cmd("batch", "lectures", "build", "-j", "2"), cwd=repo, timeout=60)
    assert run.returncode == 1, run.stderr
    assert "lectures/kmsg.srt: error: cannot read" in run.stderr
    assert "lectures/zero.srt: error: not a regular file (a character device)" in run.stderr
    assert "lectures/sparse.srt: error: larger than 200 MiB" in run.stderr
    rows = {r["path"]: r for r in report(repo)["files"]}
    assert rows["odd16.srt"]["status"] == "ok" and rows["a.srt"]["status"] == rows["z.srt"]["status"] == "ok"


@linux
def test_a_worker_sent_sigterm_is_replaced_and_the_run_goes_on(tmp_path: Path) -> None:
    from bench.corpus import lecture

    repo = make_repo(tmp_path / "repo", {f"l{i:02d}.srt": lecture(i, 1500) for i in range(16)})
    run = subprocess.Popen(build_cmd("batch", "lectures", "build", "-j", "2"), cwd=repo, env=ENV, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    wait_for(lambda: len(list((repo / "build/.srtbuild/metrics").glob("*.json"))) >= 2 and len(children(run.pid)) >= 2)
    os.kill(children(run.pid)[0], signal.SIGTERM)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "was killed by SIGTERM; starting the files not finished again" in err and "Traceback" not in err
    assert report(repo)["totals"]["succeeded"] == 16
    assert session_members(run.pid) == []


def test_a_folder_name_that_is_not_utf8_between_config_and_input(tmp_path: Path) -> None:
    course = tmp_path / "course"
    course.mkdir()
    (course / "srtbuild.yaml").write_text("language: en\n", encoding="utf-8")
    odd = os.path.join(os.fsencode(course), b"l\xffx")
    os.mkdir(odd)
    with open(os.path.join(odd, b"a.srt"), "wb") as fh:
        fh.write(GOOD.encode())
    for _ in range(2):
        run = subprocess.run([*build_cmd("batch", os.fsdecode(odd), "out")], cwd=tmp_path, env=ENV,
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    assert report(tmp_path, "out")["totals"]["processed"] == 0


def test_exports_go_where_asked_or_fail_in_one_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD})
    assert batch(repo, "--export-report", "r.csv").returncode == 0
    assert (repo / "r.csv").read_text(encoding="utf-8").startswith("\ufeffpath,output,status")  # by its extension
    assert batch(repo, "--export-report", "r.md").returncode == 0 and "|" in (repo / "r.md").read_text()
    for target in ("lectures", "/proc/self/nope/x.json"):
        run = batch(repo, "--export-report", target)
        assert run.returncode == 2 and ("cannot write the report there" in run.stderr
                                        or "will not write the report there: it is a folder" in run.stderr), run.stderr
        assert "Traceback" not in run.stderr
    if os.path.exists("/dev/full"):
        run = batch(repo, "--export-report", "/dev/full")
        assert run.returncode == 2 and "No space left on device" in run.stderr
        assert not os.path.isfile("/dev/full")  # written to, never replaced


@linux
def test_the_summary_counts_the_memory_of_the_helper_too(tmp_path: Path) -> None:
    import re

    from bench.corpus import lecture

    repo = make_repo(tmp_path / "repo", {"big.srt": lecture(3, 100_000)})
    run = run_alone(build_cmd("batch", "lectures", "build"), cwd=repo)
    assert run.returncode == 0, run.stderr
    peak = int(re.search(r"peak memory (\d+) MB, all processes", run.stderr).group(1))
    assert peak >= 100  # the main process alone holds about 30 MB; the helper reading 100,000 cues, far more


@linux
def test_a_proc_file_that_never_ends_fails_alone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD})
    (repo / "lectures/pagemap.srt").symlink_to("/proc/self/pagemap")  # size 0, endless
    run = run_alone(build_cmd("batch", "lectures", "build"), cwd=repo, timeout=60)
    assert run.returncode == 1 and "lectures/pagemap.srt: error:" in run.stderr, run.stderr
    assert (repo / "build/a.srt").is_file()


def test_pathological_patterns_are_refused_or_fast(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "b.srt": GOOD})
    run = run_alone(build_cmd("batch", "lectures", "build", "--pattern", "*" * 24 + "a.srt"), cwd=repo, timeout=30)
    assert run.returncode == 0 and report(repo)["totals"]["files"] == 1
    run = srtbuild("batch", "lectures", "build", "--pattern", "*a" * 9, cwd=repo)
    assert run.returncode == 2 and "more than 8 wildcards" in run.stderr


def test_long_folder_names_that_end_like_sidecars(tmp_path: Path) -> None:
    for name in ("D" * 250 + ".json", "T" * 254 + "~"):
        repo = make_repo(tmp_path / name[0], {f"{name}/b.srt": GOOD, "a.srt": GOOD})
        for _ in range(2):
            run = batch(repo)
            assert run.returncode == 0, run.stderr
            assert report(repo)["totals"]["succeeded"] == 2
        assert srtbuild("batch", "lectures", "build", "--dry-run", cwd=repo).returncode == 0


@linux
def test_an_unreadable_metrics_folder_is_one_line_not_a_crash(tmp_path: Path, user: list[str]) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "sub/b.srt": GOOD})
    assert batch(repo).returncode == 0
    (repo / "build/.srtbuild/metrics/sub").chmod(0)
    try:
        run = run_alone(build_cmd("batch", "lectures", "build"), cwd=repo, user=user)
        assert run.returncode in (1, 2) and "Traceback" not in run.stderr and "internal error" not in run.stderr
        assert "metrics/sub" in run.stderr, run.stderr
    finally:
        (repo / "build/.srtbuild/metrics/sub").chmod(0o755)


@linux
def test_exports_never_wait_for_a_reader_and_a_closed_stdout_is_one_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD})
    os.mkfifo(repo / "fifo")
    run = run_alone(build_cmd("batch", "lectures", "build", "--export-report", "fifo"), cwd=repo, timeout=30)
    assert run.returncode == 2 and "fifo: cannot write the report there: nothing is reading from it" in run.stderr
    assert srtbuild("batch", "lectures", "build", "--export-report", "", cwd=repo).returncode == 2
    closed = subprocess.run(build_cmd("batch", "lectures", "build", "--dry-run"), cwd=repo, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, close_fds=True,
                            preexec_fn=lambda: os.close(1))
    # The listing asked for cannot be written: said, not lost in silence.
    assert closed.returncode == 2 and "Traceback" not in closed.stderr, closed.stderr
    assert closed.stderr == "srtbuild: error: cannot write to stdout: it is closed\n"
    quiet = subprocess.run(build_cmd("batch", "lectures", "build", "-q"), cwd=repo, env=ENV,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, close_fds=True,
                           preexec_fn=lambda: os.close(1))
    assert quiet.returncode == 0 and quiet.stderr == ""  # a build writes no data to stdout
    full = subprocess.run(build_cmd("batch", "lectures", "build", "--dry-run", "--force"), cwd=repo, env=ENV,
                          stdout=open("/dev/full", "w"), stderr=subprocess.PIPE, text=True)
    assert full.returncode == 2 and full.stderr.endswith("cannot write to stdout: No space left on device\n")
