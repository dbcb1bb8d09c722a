"""The progress display of real runs: under a pseudo-terminal, through a pipe, as JSON."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from buildrepo import ENV, batch, lecture, make_repo, report
from conftest import ROOT

from srtbuild.reports.display import cell_width

ESC = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ERASE = re.compile(r"\r(?:\x1b\[\d+A)?\x1b\[J")
N = 24  # files of the long build: about 6 s at 2 workers, the ETA known after 3
CUES = 6000  # in each: enough that the build outlasts the ETA's first 3 s with room to spare
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminals as on Linux")


@pytest.fixture(scope="module")
def long_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of a few seconds (more than the 3 the ETA waits for): many frames at a
    0.1 s redraw interval."""
    files = {f"course/lecture_{i:02d}.srt": lecture(i, CUES) for i in range(N - 1)}
    files["講義/第二章_量子力学入門.srt"] = lecture(99, CUES)
    return make_repo(tmp_path_factory.mktemp("long") / "repo", files)


def run_in_pty(args: list[str], cwd: Path, columns: int = 80, env: dict | None = None) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal of `columns` x 24; what it drew there."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    environment = {**ENV, "TERM": "xterm", **(env or {})}
    environment.pop("COLUMNS", None)
    environment.pop("LINES", None)
    proc = subprocess.Popen(args, cwd=cwd, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the other end closed
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    code = proc.wait(timeout=60)
    os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def frames(text: str) -> list[list[str]]:
    return [[ESC.sub("", line) for line in f.split("\n")] for f in ERASE.split(text) if f.strip()]


def live_block(frame: list[str]) -> list[str]:
    """The block of a frame, without the messages printed above it."""
    start = next(i for i, line in enumerate(frame) if re.match(r"(srtbuild  )?\d+/\d+ files", line))
    return frame[start:]


def batch_cmd(*extra: str) -> list[str]:
    return [sys.executable, "-m", "srtbuild", "batch", "lectures", "build", "--force", *extra]


@linux
def test_a_terminal_shows_a_live_block_naming_the_files_in_progress(long_repo: Path) -> None:
    code, text = run_in_pty(batch_cmd("-j", "2", "--progress-interval", "0.1"), long_repo)
    assert code == 0, text
    drawn = frames(text)
    blocks = [live_block(f) for f in drawn if any(line.startswith("  now:") for line in f)]
    assert len(blocks) >= 3, text
    for f in blocks:
        assert all(cell_width(line) <= 79 for line in f), f
    joined = "\n".join("\n".join(f) for f in blocks)
    assert re.search(r"  now:   (course/lecture_\d\d\.srt|講義/\S+) \(6,00\d cues\)", joined), joined
    assert " | " in joined.split("now:")[-1].split("\n")[0] or "|" in joined  # two workers, two names
    for figure in ("% ", "files/min", "segments/s", "memory", "processes)", "ETA:", "done:",
                   "Ctrl+C stops after the files in progress; the next run resumes."):
        assert figure in joined, figure
    assert re.search(r"ETA:   (\d+s|\d+m \d\ds)", joined), "the ETA was never estimated"
    last = drawn[-1]
    assert last[0].startswith(f"srtbuild: {N} processed, 0 up to date, 0 failed;")
    assert last[1].startswith("srtbuild: reports in build/.srtbuild/")
    assert "\x1b[32m" in text  # colour on a terminal


@linux
def test_no_colour_with_no_color_and_a_narrow_terminal_gets_a_narrow_block(long_repo: Path) -> None:
    code, text = run_in_pty(batch_cmd("-j", "2", "--progress-interval", "0.1"), long_repo, columns=40,
                            env={"NO_COLOR": "1"})
    assert code == 0
    assert not re.search(r"\x1b\[[0-9;]*m", text)
    blocks = [live_block(f) for f in frames(text) if any(line.startswith("  now:") for line in f)]
    assert blocks and all(cell_width(line) <= 39 for f in blocks for line in f)


@linux
def test_a_dumb_terminal_gets_plain_lines(long_repo: Path) -> None:
    code, text = run_in_pty(batch_cmd("-j", "2"), long_repo, env={"TERM": "dumb"})
    assert code == 0 and "\x1b" not in text and "\r" not in text
    assert re.search(rf"srtbuild: \d+/{N} files", text)


def test_a_pipe_gets_plain_lines_without_escapes(long_repo: Path) -> None:
    run = subprocess.run(batch_cmd("-j", "2"), cwd=long_repo, env=ENV, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stderr and "\x1b" not in run.stderr
    lines = run.stderr.splitlines()
    assert lines[0].startswith(f"srtbuild: {N} files to process (") and "up to date; about" in lines[0]
    marks = [line for line in lines if re.match(rf"srtbuild: \d+/{N} files \(", line)]
    assert len(marks) >= 5 and all("files/min" in m and "segments/s" in m and "ETA" in m for m in marks)
    assert lines[-2].startswith(f"srtbuild: {N} processed, 0 up to date, 0 failed")
    quiet = subprocess.run(batch_cmd("-q"), cwd=long_repo, env=ENV, capture_output=True, text=True, timeout=180)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_json_progress_lines_parse(long_repo: Path) -> None:
    run = subprocess.run(batch_cmd("-j", "2", "--progress", "json", "--progress-interval", "0.2"), cwd=long_repo,
                         env=ENV, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stderr.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "plan" and kinds[-1] == "end"
    assert kinds.count("start") == N and kinds.count("file") == N and "progress" in kinds
    assert events[0]["files"] == N and events[0]["cues"] >= N * CUES
    assert {e["file"] for e in events if e["event"] == "file"} == {
        f"lectures/course/lecture_{i:02d}.srt" for i in range(N - 1)} | {"lectures/講義/第二章_量子力学入門.srt"}
    assert events[-1]["done"] == N and events[-1]["peak_memory_mb"] > 0


def test_the_preflight_warns_of_sure_failures_and_still_runs_them(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": lecture(1, 5), "b.srt": lecture(2, 5)})
    (repo / "lectures/binary.srt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 4)
    (repo / "lectures/empty.srt").write_bytes(b"")
    (repo / "lectures/hole.srt").write_bytes(b"\0" * 5000)  # as `truncate -s` leaves one
    (repo / "lectures/locked.srt").write_text(lecture(3, 5), encoding="utf-8")
    (repo / "lectures/locked.srt").chmod(0)
    try:
        run = batch(repo)
        dry = batch(repo, "--dry-run", "--force")
    finally:
        (repo / "lectures/locked.srt").chmod(0o644)
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    first_file = next(i for i, line in enumerate(lines) if re.match(r"lectures/\S+: error:", line))
    before = lines[:first_file]
    assert any(re.match(r"lectures/binary.srt:\d+: warning: will fail: binary data", line) for line in before), lines
    assert "lectures/empty.srt: warning: empty file (no cue to show); its output will be empty too" in before
    assert "lectures/hole.srt:1: warning: will fail: binary data (only NUL bytes), not a subtitle file" in before
    if os.geteuid() != 0:  # root reads anything
        assert any(line.startswith("lectures/locked.srt: warning: will fail: cannot read") for line in before)
    rep = report(repo)
    assert rep["totals"]["failed"] >= 1 and rep["totals"]["succeeded"] >= 2 and rep["totals"]["empty"] == 1
    assert dry.returncode == 0 and "warning: will fail: binary data" in dry.stderr
    estimate = dry.stdout.splitlines()[-1]
    assert re.match(r"estimate: [\d.]+ [kM]B and \d+ cues to process; about (<1s|\d+s) at (a typical speed|the "
                    r"last run's speed) with \d+ workers?; outputs, sidecars and reports need about [\d.]+ [kM]B "
                    r"\([\d,.]+ [GM]B free\)", estimate), estimate


def test_the_first_estimate_uses_a_typical_speed_and_later_ones_the_last_run(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {f"l{i}.srt": lecture(i, 400) for i in range(6)})
    first = batch(repo, "--dry-run")
    assert "at a typical speed" in first.stdout
    assert batch(repo).returncode == 0
    again = batch(repo, "--dry-run", "--force")
    assert "at the last run's speed" in again.stdout, again.stdout
    assert report(repo)["totals"]["processed_bytes"] > 100_000


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="process memory is read from Linux /proc")
def test_over_max_memory_the_run_warns_once_and_lowers_its_parallelism(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {f"l{i:02d}.srt": lecture(i, 1500) for i in range(8)})
    run = batch(repo, "-j", "2", "--max-memory", "1", "--progress-interval", "0.1")
    assert run.returncode == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if "max_memory_mb" in line]
    assert len(warnings) == 1, run.stderr
    assert re.search(r"srtbuild: warning: memory [\d,]+ MB \(all processes\) is above max_memory_mb \(1 MB\); "
                     r"processing 1 file at once instead of 2", warnings[0]), warnings[0]
    assert report(repo)["totals"]["succeeded"] == 8


def test_the_display_is_the_same_under_plain_doit(long_repo: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "doit", "--always-execute"], cwd=long_repo, env=ENV,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert lines[0].startswith(f"srtbuild: {N} files to process (") and "up to date" in lines[0]
    assert any(re.match(rf"srtbuild: \d+/{N} files \(", line) for line in lines)
    assert any(line.startswith(f"srtbuild: {N} processed, 0 up to date, 0 failed") for line in lines)
    assert ROOT  # the dodo.py is the project's own


def test_up_to_date_files_are_counted_once_under_doit_and_batch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {f"l{i}.srt": lecture(i, 20) for i in range(3)})
    first = subprocess.run([sys.executable, "-m", "doit"], cwd=repo, env=ENV, capture_output=True, text=True)
    assert "srtbuild: 3 processed, 0 up to date, 0 failed" in first.stderr, first.stderr
    (repo / "lectures/l0.srt").write_text(lecture(7, 20), encoding="utf-8")
    again = subprocess.run([sys.executable, "-m", "doit"], cwd=repo, env=ENV, capture_output=True, text=True)
    assert again.stderr.startswith("srtbuild: 1 file to process (")
    assert "srtbuild: 1 processed, 2 up to date, 0 failed" in again.stderr, again.stderr
    (repo / "lectures/l1.srt").write_text(lecture(8, 20), encoding="utf-8")
    os.utime(repo / "lectures/l2.srt", (1, 1))  # a new mtime, the same bytes: doit stores it, runs nothing
    run = batch(repo)
    assert "srtbuild: 1 processed, 2 up to date, 0 failed" in run.stderr, run.stderr
