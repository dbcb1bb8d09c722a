"""Runs that are killed, interrupted, overlapped, or lose a worker: state stays true and
nothing is left running. These start real builds and signal them (Linux)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from buildrepo import (
    ENV,
    assert_nothing_left,
    batch,
    children,
    lectures,
    make_repo,
    processed,
    report,
    tree,
    wait_for,
)

from srtbuild.engine.isolation import Helper
from srtbuild.engine.state import read_values

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and /proc: Linux")

FILES = 24
CUES = 3000  # about a fifth of a second per file: a run lasts seconds, long enough to hit


def start(repo: Path, *extra: str) -> subprocess.Popen:
    # Own session, so that every process the run starts can be found (and none forgotten).
    return subprocess.Popen([sys.executable, "-m", "srtbuild", "batch", "lectures", "build", *extra],
                            cwd=repo, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def sidecars(repo: Path) -> int:
    return len(list((repo / "build/.srtbuild/metrics").rglob("*.json")))


def committed(repo: Path) -> int:
    rows = read_values(str(repo / "build/.srtbuild/state.sqlite"))
    return sum(1 for k, v in rows.items() if k.startswith("process:") and v.get("_values_:"))


def outputs(repo: Path) -> dict:
    volatile = {"processing_time_s", "processed_at"}
    found = {}
    for key, (_, data) in tree(repo / "build").items():
        if key.endswith(".srt"):
            found[key] = data
        elif "/metrics/" in key:
            found[key] = {k: v for k, v in json.loads(data).items() if k not in volatile}
    return found


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """What a clean, uninterrupted build of the test lectures produces."""
    repo = make_repo(tmp_path_factory.mktemp("ref") / "repo", lectures(FILES, CUES))
    assert batch(repo).returncode == 0
    return outputs(repo)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_kill_9_mid_run_then_resume_redoes_only_unfinished_files(tmp_path: Path, reference: dict, jobs: str) -> None:
    repo = make_repo(tmp_path / "repo", lectures(FILES, CUES))
    run = start(repo, "-j", jobs)
    wait_for(lambda: sidecars(repo) >= 6)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert_nothing_left(run.pid)  # workers and per-file children died with the main process
    done = committed(repo)
    assert 6 - int(jobs) <= done < FILES
    again = batch(repo)
    assert again.returncode == 0, again.stderr
    assert processed(repo) == FILES - done  # the finished files are not redone
    assert outputs(repo) == reference
    assert not list((repo / "build").rglob("*.tmp"))  # temporary files of killed writes are swept


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_gracefully_and_the_next_run_resumes(tmp_path: Path, reference: dict, jobs: str) -> None:
    repo = make_repo(tmp_path / "repo", lectures(FILES, CUES))
    run = start(repo, "-j", jobs)
    wait_for(lambda: sidecars(repo) >= 4)
    os.killpg(run.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: the whole group
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert_nothing_left(run.pid)
    done = committed(repo)
    assert 0 < done < FILES
    assert report(repo)["totals"]["failed"] == 0  # an interrupted file is not a failed one
    assert batch(repo).returncode == 0
    assert processed(repo) == FILES - done
    assert outputs(repo) == reference


def test_sigterm_stops_gracefully(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", lectures(FILES, CUES))
    run = start(repo, "-j", "2")
    wait_for(lambda: sidecars(repo) >= 3)
    os.kill(run.pid, signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode in (130, 143), err
    assert_nothing_left(run.pid)
    done = committed(repo)
    assert batch(repo).returncode == 0 and processed(repo) == FILES - done


def test_a_second_run_on_the_same_output_is_refused_at_once(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", lectures(FILES, CUES))  # seconds of work: time to collide
    first = start(repo)
    wait_for(lambda: sidecars(repo) >= 1)
    began = time.monotonic()
    second = batch(repo)
    assert second.returncode == 2
    assert "another srtbuild or doit run" in second.stderr and len(second.stderr.strip().splitlines()) == 1
    assert time.monotonic() - began < 10
    doit_run = subprocess.run([sys.executable, "-m", "doit"], cwd=repo, env=ENV, capture_output=True, text=True)
    assert doit_run.returncode == 2 and "another srtbuild or doit run" in doit_run.stderr
    assert len(doit_run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in doit_run.stdout + doit_run.stderr
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert report(repo)["totals"]["processed"] == FILES


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_killed_mid_file_fails_that_file_and_the_run_completes(tmp_path: Path) -> None:
    files = {"a-long.srt": lectures(1, 15000)["course0/lecture000.srt"], **lectures(5, 50)}
    repo = make_repo(tmp_path / "repo", files)
    run = start(repo, "-j", "1")  # one worker, the main process: its child is the helper
    # The long file is first in order and takes seconds: its worker is the one alive now.
    wait_for(lambda: any(_alive(c) for c in children(run.pid)))
    victim = next(c for c in children(run.pid) if _alive(c))
    os.kill(victim, signal.SIGKILL)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 1, err
    rep = report(repo)
    assert rep["totals"]["failed"] == 1 and rep["totals"]["succeeded"] == 5
    assert rep["errors"][0]["path"] == "a-long.srt"
    assert "worker process was killed by SIGKILL" in rep["errors"][0]["message"]
    assert "a-long.srt: error: worker process was killed" in err
    assert batch(repo).returncode == 0 and processed(repo) == 1  # retried, and only it


def _die(payload: object, context: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _hang(payload: object, context: object) -> None:
    time.sleep(60)


def _boom(payload: object, context: object) -> None:
    raise RuntimeError("a bug")


def _add(payload: int, context: list) -> int:
    context.append(payload)  # the child's copy: calls share one child while it lives
    return sum(context)


def test_helper_reports_death_timeout_errors_and_results_and_recovers() -> None:
    helper = Helper()
    ctx: list = [100]
    try:
        assert helper.call(_add, 1, ctx, 10).value == 101
        assert helper.call(_add, 2, ctx, 10).value == 103  # same child, inherited context
        assert ctx == [100]  # the parent's context is never touched
        died = helper.call(_die, None, ctx, 10)
        assert died.kind == "died" and "SIGKILL" in died.message
        assert helper.call(_add, 5, ctx, 10).value == 105  # a fresh child
        began = time.monotonic()
        hung = helper.call(_hang, None, ctx, 0.3)
        assert hung.kind == "timeout" and time.monotonic() - began < 5
        failed = helper.call(_boom, None, ctx, 10)
        assert failed.kind == "error" and "RuntimeError: a bug" in failed.message
        assert helper.call(_add, 7, ctx, 10).value == 107  # an exception does not end the child
        os.kill(helper.pid, signal.SIGKILL)  # dies while idle: the next call gets a new child
        time.sleep(0.1)
        assert helper.call(_add, 9, ctx, 10).value == 109
    finally:
        helper.stop()
    assert helper.pid is None


def test_a_killed_doit_worker_does_not_hang_the_run(tmp_path: Path, reference: dict) -> None:
    repo = make_repo(tmp_path / "repo", lectures(FILES, CUES))
    run = start(repo, "-j", "2")
    wait_for(lambda: sidecars(repo) >= 3 and len(children(run.pid)) >= 2)
    os.kill(children(run.pid)[0], signal.SIGKILL)  # one of doit's two workers
    _, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "was killed by SIGKILL; starting the files not finished again" in err
    assert_nothing_left(run.pid)
    rep = report(repo)
    assert rep["totals"]["succeeded"] == FILES and rep["totals"]["failed"] == 0
    assert outputs(repo) == reference


def test_plain_doit_stops_in_one_line_when_a_worker_is_killed_or_on_ctrl_c(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", lectures(FILES, CUES))
    for stop in ("worker", "ctrl-c"):
        run = subprocess.Popen([sys.executable, "-m", "doit", "-n", "2"], cwd=repo, env=ENV, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        wait_for(lambda: sidecars(repo) >= 2 and len(children(run.pid)) >= 2)
        if stop == "worker":
            os.kill(children(run.pid)[0], signal.SIGKILL)
        else:
            os.killpg(run.pid, signal.SIGINT)
        _, err = run.communicate(timeout=60)  # doit alone would wait for a killed worker forever
        assert run.returncode == 130, err
        assert "Traceback" not in err
        assert ("was killed by SIGKILL; doit cannot go on without it" if stop == "worker" else "interrupted") in err
        assert_nothing_left(run.pid)
    done = subprocess.run([sys.executable, "-m", "doit"], cwd=repo, env=ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert report(repo)["totals"]["succeeded"] == FILES


def _events_until(proc: subprocess.Popen, kind: str) -> list[dict]:
    """JSON progress events read from the run's stderr up to the first of `kind`."""
    events = []
    assert proc.stderr is not None
    for line in proc.stderr:
        events.append(json.loads(line))
        if events[-1]["event"] == kind:
            return events
    raise AssertionError(f"no {kind} event: {events}")


def _json_run(tmp_path: Path, n: int, cues: int, command: str = "batch") -> tuple[Path, subprocess.Popen]:
    """A repo of `n` lectures built by 2 workers with JSON progress, started in a session
    of its own (signals go to the whole group, as a terminal's Ctrl-C does)."""
    files = {f"l{i:02d}.srt": text for i, text in enumerate(lectures(n, cues).values())}
    repo = make_repo(tmp_path / "repo", files, "input: lectures\noutput: build\nbatch: {jobs: 2, progress: json}\n")
    args = ["-m", "srtbuild", "batch", "lectures", "build"] if command == "batch" else ["-m", "doit"]
    run = subprocess.Popen([sys.executable, *args], cwd=repo, env=ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    return repo, run


@pytest.mark.parametrize("command", ["batch", "doit"])
def test_a_first_ctrl_c_lets_the_files_in_progress_finish_and_starts_no_new_one(tmp_path: Path, command: str) -> None:
    repo, run = _json_run(tmp_path, 12, 6000, command)
    seen = _events_until(run, "file")  # one finished: the next ones are in progress
    os.killpg(run.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    rest = [json.loads(line) for line in run.stderr]  # type: ignore[union-attr]
    assert run.wait(timeout=120) == 130
    events = seen + rest
    stop = next(i for i, e in enumerate(events) if e["event"] == "stopping")
    started = {e["file"] for e in events[:stop] if e["event"] == "start"}
    finished = {e["file"] for e in events if e["event"] == "file" and e["status"] == "ok"}
    assert 2 <= len(started) <= 4 and finished == started, (started, finished)  # in flight: finished
    assert not [e for e in events[stop:] if e["event"] == "start"]
    assert events[-1]["event"] == "interrupted"
    assert events[stop]["message"].startswith("stopping after the ")
    for name in finished:
        assert (repo / "build" / name.removeprefix("lectures/")).is_file()
    again = batch(repo)  # the rest, and only the rest
    assert again.returncode == 0 and processed(repo) == 12 - len(finished)
    assert_nothing_left(run.pid)


def test_a_second_ctrl_c_stops_at_once(tmp_path: Path) -> None:
    repo, run = _json_run(tmp_path, 6, 15000)
    _events_until(run, "start")
    time.sleep(0.3)
    os.killpg(run.pid, signal.SIGINT)
    _events_until(run, "stopping")
    t0 = time.monotonic()
    os.killpg(run.pid, signal.SIGINT)
    assert run.wait(timeout=60) == 130
    assert time.monotonic() - t0 < 1.5  # a 15,000-cue file takes seconds: it was not waited for
    assert processed(repo) == 0
    assert_nothing_left(run.pid)


@pytest.mark.parametrize("command", ["batch", "doit"])
def test_a_ctrl_c_during_the_last_files_still_exits_130(tmp_path: Path, command: str) -> None:
    # Both files are in progress when Ctrl-C comes: they finish, nothing is left to start,
    # and the run must still say it was interrupted (a CI job would deploy on exit 0).
    _, run = _json_run(tmp_path, 2, 12000, command)
    seen = _events_until(run, "start")
    if sum(e["event"] == "start" for e in seen) < 2:
        _events_until(run, "start")
    os.killpg(run.pid, signal.SIGINT)
    rest = [json.loads(line) for line in run.stderr]  # type: ignore[union-attr]
    assert run.wait(timeout=120) == 130
    assert sum(e["event"] == "file" and e["status"] == "ok" for e in rest) == 2
    assert rest[-1]["event"] == "interrupted"
    assert_nothing_left(run.pid)
