"""The `batch:` section of srtbuild.yaml: read by `srtbuild batch` and by plain `doit`,
overridden by flags, validated like the rest, and never a reason to rebuild."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from buildrepo import BAD, GOOD, batch, doit, lecture, make_repo, processed, report

from srtbuild.config import parse_config
from srtbuild.errors import ConfigError

BASE = "input: lectures\noutput: build\n"


def repo_with(tmp_path: Path, batch_yaml: str, files: dict[str, str] | None = None) -> Path:
    files = files or {"a.srt": GOOD, "b.srt": GOOD}
    return make_repo(tmp_path / "repo", files, BASE + batch_yaml)


def set_batch(repo: Path, batch_yaml: str) -> None:
    (repo / "srtbuild.yaml").write_text(BASE + batch_yaml, encoding="utf-8")


def both(repo: Path, *flags: str) -> tuple:
    """The same build through `srtbuild batch` and through plain doit, each from scratch."""
    shutil.rmtree(repo / "build", ignore_errors=True)
    one = batch(repo, *flags)
    first = report(repo)
    shutil.rmtree(repo / "build", ignore_errors=True)
    two = doit(cwd=repo)
    found = repo / "build/.srtbuild/report.json"
    return one, first, two, json.loads(found.read_text(encoding="utf-8")) if found.exists() else None


def two_at_once(run: subprocess.CompletedProcess) -> bool:
    """Two files were in progress at the same moment (JSON progress: a second `start`
    before the first `file`)."""
    running = widest = 0
    for line in run.stderr.splitlines():
        event = json.loads(line)["event"]
        running += {"start": 1, "file": -1}.get(event, 0)
        widest = max(widest, running)
    return widest >= 2


def test_jobs(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "batch: {jobs: 2, progress: json}\n", {f"l{i}.srt": lecture(i, 1000) for i in range(6)})
    one, by_batch, two, by_doit = both(repo)
    assert by_batch["run"]["parallel"] == 2 and by_doit["run"]["parallel"] == 2
    assert two_at_once(one) and two_at_once(two), (one.stderr, two.stderr)
    flagged = batch(repo, "--force", "-j", "1")
    assert report(repo)["run"]["parallel"] == 1 and not two_at_once(flagged)  # the flag wins
    set_batch(repo, "batch: {jobs: 1, progress: json}\n")
    assert not two_at_once(doit("--always-execute", cwd=repo))
    flagged = batch(repo, "--force", "-j", "2")
    assert two_at_once(flagged) and not two_at_once(batch(repo, "--force"))


def test_progress(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "batch: {progress: json}\n")
    for run in (batch(repo), doit("--always-execute", cwd=repo)):
        assert all(json.loads(line)["event"] for line in run.stderr.splitlines()), run.stderr
    flagged = batch(repo, "--force", "--progress", "plain")
    assert "{" not in flagged.stderr and "srtbuild: 2 processed" in flagged.stderr  # the flag wins


def test_jobs_default_to_the_cpus_available(tmp_path: Path) -> None:
    from srtbuild.processes import available_cpus

    repo = repo_with(tmp_path, "", {f"l{i}.srt": lecture(i, 30) for i in range(4)})
    _, by_batch, _, by_doit = both(repo)
    assert by_batch["run"]["parallel"] == available_cpus() == by_doit["run"]["parallel"]


def test_stop_on_error(tmp_path: Path) -> None:
    files = {"a-broken.srt": BAD, "b.srt": GOOD, "c.srt": GOOD}
    repo = repo_with(tmp_path, "batch: {stop_on_error: true, jobs: 1}\n", files)
    one, by_batch, two, _ = both(repo)
    assert one.returncode == 1 and by_batch["totals"]["pending"] == 2
    # doit stops at the failed task, before its report: the next run writes it.
    assert two.returncode != 0 and "a-broken.srt:1: error:" in two.stderr
    assert not (repo / "build/b.srt").exists() and not (repo / "build/c.srt").exists()
    flagged = batch(repo, "--no-stop-on-error")
    assert flagged.returncode == 1 and report(repo)["totals"]["succeeded"] == 2  # the flag wins


def test_incremental(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "batch: {incremental: false}\n")
    assert batch(repo).returncode == 0 and batch(repo).returncode == 0
    assert processed(repo) == 2  # everything again
    assert doit(cwd=repo).returncode == 0 and processed(repo) == 2
    assert batch(repo, "--incremental").returncode == 0 and processed(repo) == 0  # the flag wins


def test_patterns_recursive_and_exclude(tmp_path: Path) -> None:
    files = {"a.srt": GOOD, "b.txt": GOOD, "sub/c.srt": GOOD, "drafts/d.srt": GOOD}
    repo = repo_with(tmp_path, 'batch: {patterns: ["*.srt", "*.txt"], exclude: [drafts]}\n', files)
    _, by_batch, _, by_doit = both(repo)
    names = {"a.srt", "b.txt", "sub/c.srt"}
    assert {f["path"] for f in by_batch["files"]} == names == {f["path"] for f in by_doit["files"]}
    set_batch(repo, "batch: {recursive: false}\n")
    _, by_batch, _, by_doit = both(repo)
    assert {f["path"] for f in by_batch["files"]} == {"a.srt"} == {f["path"] for f in by_doit["files"]}
    batch(repo, "--recursive", "--exclude", "sub")  # the flags win
    assert {f["path"] for f in report(repo)["files"]} == {"a.srt", "drafts/d.srt"}


def test_the_top_level_keys_still_work_and_a_key_set_twice_is_an_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "sub/c.srt": GOOD}, BASE + "recursive: false\n")
    assert batch(repo).returncode == 0 and {f["path"] for f in report(repo)["files"]} == {"a.srt"}
    (repo / "srtbuild.yaml").write_text(BASE + "recursive: false\nbatch:\n  recursive: true\n", encoding="utf-8")
    run = batch(repo)
    assert run.returncode == 2
    assert "srtbuild.yaml:5:3: batch.recursive: set both here and at the top level" in run.stderr, run.stderr


def test_export_report_and_format(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "batch: {export_report: out/summary.md, export_format: md}\n")
    (repo / "out").mkdir()
    batch(repo)
    assert "| a.srt " in (repo / "out/summary.md").read_text(encoding="utf-8")
    (repo / "out/summary.md").unlink()
    assert doit(cwd=repo).returncode == 0
    assert (repo / "out/summary.md").is_file()
    batch(repo, "--export-report", str(tmp_path / "flag.json"), "--export-format", "json")
    assert json.loads((tmp_path / "flag.json").read_text(encoding="utf-8"))["schema"] == "srtbuild.report/1"


def test_progress_interval(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "batch: {progress_interval_s: 0.05}\n", {"long.srt": lecture(1, 12000)})
    often = batch(repo, "--progress", "json")
    ticks = [json.loads(x) for x in often.stderr.splitlines() if '"progress"' in x]
    set_batch(repo, "batch: {progress_interval_s: 3600}\n")
    rare = batch(repo, "--progress", "json", "--force")
    assert len(ticks) >= 5 and '"progress"' not in rare.stderr
    flagged = batch(repo, "--progress", "json", "--force", "--progress-interval", "0.05")
    assert flagged.stderr.count('"progress"') >= 5  # the flag wins
    set_batch(repo, "batch: {progress_interval_s: 0.05, progress: json}\n")
    assert doit("--always-execute", cwd=repo).stderr.count('"progress"') >= 5


def test_max_memory(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "batch: {max_memory_mb: 1, progress_interval_s: 0.1}\n",
                     {f"l{i}.srt": lecture(i, 2000) for i in range(3)})
    one, _, two, _ = both(repo)
    assert "is above max_memory_mb (1 MB)" in one.stderr and "is above max_memory_mb (1 MB)" in two.stderr
    flagged = batch(repo, "--force", "--max-memory", "1000000")
    assert "max_memory_mb" not in flagged.stderr  # the flag wins


def test_timeout(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "batch: {timeout_s: 0.001}\n", {"long.srt": lecture(1, 3000)})
    one, by_batch, two, by_doit = both(repo)
    for run, rep in ((one, by_batch), (two, by_doit)):
        assert rep["totals"]["failed"] == 1 and "took longer than timeout_s=0.001 s" in run.stderr, run.stderr
    assert batch(repo, "--timeout", "300").returncode == 0  # the flag wins
    assert report(repo)["totals"]["succeeded"] == 1


def test_editing_the_batch_settings_rebuilds_nothing(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "", {f"l{i}.srt": lecture(i, 30) for i in range(3)})
    assert batch(repo).returncode == 0 and processed(repo) == 3
    set_batch(repo, "timeout_s: 100\nbatch:\n  jobs: 1\n  stop_on_error: true\n  export_report: r.csv\n"
                    "  export_format: csv\n  progress_interval_s: 2\n  max_memory_mb: 4000\n")
    assert batch(repo).returncode == 0 and processed(repo) == 0
    assert doit(cwd=repo).returncode == 0 and processed(repo) == 0
    set_batch(repo, "batch: {timeout_s: 100, incremental: true}\n")
    assert batch(repo).returncode == 0 and processed(repo) == 0


@pytest.mark.parametrize("text, where", [
    ("batch: {jobs: 0}\n", "1:15: batch.jobs: expected 1 to 1,024 worker processes"),
    ("batch: {job: 2}\n", "1:9: batch.job: unknown key"),
    ("batch: {stop_on_error: maybe}\n", "1:24: batch.stop_on_error: expected true or false"),
    ("batch: {progress_interval_s: 0}\n", "1:30: batch.progress_interval_s: expected 0.05 to 3,600 seconds"),
    ("batch: {progress: fancy}\n", "1:19: batch.progress: expected one of auto, live, plain, json"),
    ("batch: {export_format: xml}\n", "1:24: batch.export_format: expected one of json, csv, md, html"),
    ("batch: {max_memory_mb: 0}\n", "1:24: batch.max_memory_mb: expected 1 to 16,777,216"),
    ("batch: {timeout_s: -1}\n", "1:20: batch.timeout_s: expected a positive number of seconds"),
    ("batch: [jobs]\n", "1:8: batch: expected a mapping"),
    ("patterns: ['*.srt']\nbatch: {patterns: ['*.txt']}\n", "2:9: batch.patterns: set both here and at the top"),
])
def test_bad_batch_settings_say_where(text: str, where: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "srtbuild.yaml", Path("."))
    assert str(err.value).startswith("srtbuild.yaml:" + where), str(err.value)


def test_batch_settings_are_not_in_the_digest() -> None:
    plain = parse_config("language: en\n", "srtbuild.yaml", Path("."))
    tuned = parse_config("language: en\ntimeout_s: 5\nbatch: {jobs: 3, stop_on_error: true, incremental: false, "
                         "max_memory_mb: 100, progress_interval_s: 1, export_report: x.json, patterns: ['*.srt'], "
                         "recursive: false, exclude: [a]}\n", "srtbuild.yaml", Path("."))
    assert plain.digest() == tuned.digest()
    assert tuned.batch["jobs"] == 3 and tuned.recursive is False and tuned.exclude == ["a"] and tuned.timeout_s == 5


@pytest.mark.parametrize("target, why", [
    ("lectures/a.srt", "it is a source, or would be taken for one"),
    ("lectures/new.srt", "it is a source, or would be taken for one"),
    ("srtbuild.yaml", "it is a settings file this build reads"),
    ("build/.srtbuild/state.sqlite", "it is inside the output folder"),
    ("build/a.srt", "it is inside the output folder"),
    ("dodo.py", "it is Python code"),
    ("lectures", "it is a folder"),
])
def test_the_export_never_overwrites_what_the_build_reads_or_writes(tmp_path: Path, target: str, why: str) -> None:
    repo = repo_with(tmp_path, "")
    assert batch(repo).returncode == 0
    before = {p: p.read_bytes() for p in (repo / "lectures/a.srt", repo / "srtbuild.yaml", repo / "build/a.srt")}
    flagged = batch(repo, "--export-report", target)
    assert flagged.returncode == 2 and f"{target}: will not write the report there: {why}" in flagged.stderr
    set_batch(repo, f"batch: {{export_report: {target}}}\n")
    for run in (batch(repo), doit(cwd=repo)):
        assert run.returncode == 2 and "will not write the report there" in run.stderr, run.stderr
    (repo / "srtbuild.yaml").write_text(BASE, encoding="utf-8")
    assert all(p.read_bytes() == data for p, data in before.items())
    assert not (repo / "lectures/new.srt").exists()


def test_doit_n_is_the_number_of_workers_reported(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, "", {f"l{i}.srt": lecture(i, 30) for i in range(3)})
    assert doit("-n", "1", cwd=repo).returncode == 0
    assert report(repo)["run"]["parallel"] == 1
    assert doit("--always-execute", "-n", "3", cwd=repo).returncode == 0
    assert report(repo)["run"]["parallel"] == 3
