"""End to end: `srtbuild batch` and `doit` in temporary content repos.

What a run did is read two ways: the report's `processed` count, and the mtimes of the
output subtitles (a rewritten output is a processed file).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from buildrepo import (
    BAD,
    GOOD,
    batch,
    doit,
    lectures,
    make_repo,
    processed,
    report,
    srtbuild,
    stamps,
    tree,
)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", lectures(6))


def test_first_run_builds_everything_and_mirrors_the_tree(repo: Path) -> None:
    run = batch(repo)
    assert run.returncode == 0, run.stderr
    outs = sorted(str(p.relative_to(repo / "build")) for p in (repo / "build").rglob("*.srt")
                  if ".srtbuild" not in p.parts)
    srcs = sorted(str(p.relative_to(repo / "lectures")) for p in (repo / "lectures").rglob("*.srt"))
    assert outs == srcs
    rep = report(repo)
    assert rep["schema"] == "srtbuild.report/1"
    assert rep["totals"]["files"] == 6 and rep["totals"]["processed"] == 6 and rep["totals"]["succeeded"] == 6
    for name in ("report.json", "report.csv", "summary.txt", "report.html", "state.sqlite"):
        assert (repo / "build" / ".srtbuild" / name).is_file()
    sidecar = json.loads((repo / "build/.srtbuild/metrics/course0/lecture000.srt.json").read_text())
    assert sidecar["path"] == "course0/lecture000.srt" and sidecar["status"] == "ok"
    assert run.stdout == ""  # diagnostics and progress go to stderr


def test_second_run_processes_nothing(repo: Path) -> None:
    assert batch(repo).returncode == 0
    before = stamps(repo / "build")
    run = batch(repo)
    assert run.returncode == 0
    assert processed(repo) == 0 and report(repo)["totals"]["up_to_date"] == 6
    assert stamps(repo / "build") == before


def test_touching_every_source_processes_nothing_and_stores_the_new_mtimes(repo: Path) -> None:
    assert batch(repo).returncode == 0
    before = stamps(repo / "build")
    later = time.time() + 100
    for src in (repo / "lectures").rglob("*.srt"):
        os.utime(src, (later, later))
    assert batch(repo).returncode == 0
    assert processed(repo) == 0 and stamps(repo / "build") == before
    # The new mtimes are stored, so the next run compares stats and hashes nothing.
    conn = sqlite3.connect(repo / "build/.srtbuild/state.sqlite")
    data = json.loads(conn.execute("select task_data from doit where task_id='process:course1/lecture001.srt'").fetchone()[0])
    conn.close()
    assert data["lectures/course1/lecture001.srt"][0] == pytest.approx(later)


def test_editing_one_source_processes_only_it(repo: Path) -> None:
    assert batch(repo).returncode == 0
    before = stamps(repo / "build")
    src = repo / "lectures/course2/lecture002.srt"
    src.write_text(src.read_text() + "\n99\n01:00:00,000 --> 01:00:02,000\nthe end\n", encoding="utf-8")
    assert batch(repo).returncode == 0
    assert processed(repo) == 1
    after = stamps(repo / "build")
    assert [k for k in after if after[k] != before[k]] == ["course2/lecture002.srt"]


def test_report_only_setting_rebuilds_nothing_but_a_rule_option_rebuilds_all(repo: Path) -> None:
    assert batch(repo).returncode == 0
    cfg = repo / "srtbuild.yaml"
    cfg.write_text(cfg.read_text() + "report: {worst_files: 3}\ntimeout_s: 60\n", encoding="utf-8")
    assert batch(repo).returncode == 0
    assert processed(repo) == 0
    cfg.write_text(cfg.read_text() + "quality: {max_cps: 17}\n", encoding="utf-8")
    assert batch(repo).returncode == 0
    assert processed(repo) == 6


def test_a_corrupt_file_fails_alone_is_reported_and_retried_alone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "b/broken.srt": BAD, "c.srt": GOOD})
    run = batch(repo)
    assert run.returncode == 1
    assert "lectures/b/broken.srt:1: error:" in run.stderr
    rep = report(repo)
    assert (rep["totals"]["succeeded"], rep["totals"]["failed"]) == (2, 1)
    assert rep["errors"] == [{"path": "b/broken.srt", "line": 1, "message": rep["errors"][0]["message"]}]
    sidecar = json.loads((repo / "build/.srtbuild/metrics/b/broken.srt.json").read_text())
    assert sidecar["status"] == "failed" and sidecar["error"]["line"] == 1
    assert not (repo / "build/b/broken.srt").exists()
    assert "b/broken.srt:1:" in (repo / "build/.srtbuild/summary.txt").read_text()
    # Nothing changed, yet the failed file runs again, and only it.
    again = batch(repo)
    assert again.returncode == 1 and processed(repo) == 1
    (repo / "lectures/b/broken.srt").write_text(GOOD, encoding="utf-8")
    fixed = batch(repo)
    assert fixed.returncode == 0 and processed(repo) == 1 and report(repo)["totals"]["failed"] == 0


def test_stop_on_error_starts_no_new_file_and_still_writes_the_report(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a-broken.srt": BAD, "b.srt": GOOD, "c.srt": GOOD})
    run = batch(repo, "--stop-on-error", "-j", "1")  # one at a time: no other file is in flight
    assert run.returncode == 1
    rep = report(repo)
    assert rep["totals"]["failed"] == 1 and rep["totals"]["succeeded"] == 0 and rep["totals"]["pending"] == 2
    assert not (repo / "build/b.srt").exists()
    assert batch(repo).returncode == 1 and report(repo)["totals"]["succeeded"] == 2


def test_parallel_output_equals_sequential(tmp_path: Path) -> None:
    files = lectures(8, cues=40)
    one = make_repo(tmp_path / "one", files)
    two = make_repo(tmp_path / "two", files)
    assert batch(one, "-j", "1").returncode == 0
    assert batch(two, "-j", "2").returncode == 0
    a = {k: v[1] for k, v in tree(one / "build").items() if ".srtbuild" not in k}
    b = {k: v[1] for k, v in tree(two / "build").items() if ".srtbuild" not in k}
    assert a == b and len(a) == 8
    volatile = {"processing_time_s", "processed_at"}
    for rel in files:
        x = json.loads((one / "build/.srtbuild/metrics" / (rel + ".json")).read_text())
        y = json.loads((two / "build/.srtbuild/metrics" / (rel + ".json")).read_text())
        assert {k: v for k, v in x.items() if k not in volatile} == {k: v for k, v in y.items() if k not in volatile}
    assert report(two)["run"]["parallel"] == 2


def test_dry_run_changes_nothing_and_says_why(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "b.srt": GOOD, "c.srt": GOOD, "d.srt": GOOD, "e.srt": BAD})
    first = batch(repo, "--dry-run")
    assert first.returncode == 0 and not (repo / "build").exists()
    assert first.stdout.count(": new") == 5
    assert batch(repo).returncode == 1
    (repo / "lectures/a.srt").write_text(GOOD + "\n", encoding="utf-8")
    (repo / "build/b.srt").unlink()
    (repo / "lectures/f.srt").write_text(GOOD, encoding="utf-8")
    before = tree(repo)
    run = batch(repo, "--dry-run")
    assert run.returncode == 0
    assert tree(repo) == before
    lines = set(run.stdout.splitlines())
    assert {"would process a.srt: source changed", "would process b.srt: output missing",
            "would process e.srt: failed last time", "would process f.srt: new"} <= lines
    assert "4 to process, 2 up to date (6 sources in lectures)" in lines
    cfg = repo / "srtbuild.yaml"
    cfg.write_text(cfg.read_text() + "quality: {max_lines: 3}\n", encoding="utf-8")
    assert "would process c.srt: settings changed" in batch(repo, "--dry-run").stdout


def test_force_processes_everything(repo: Path) -> None:
    assert batch(repo).returncode == 0
    assert batch(repo, "--force").returncode == 0 and processed(repo) == 6
    assert batch(repo, "--incremental").returncode == 0 and processed(repo) == 0


def test_patterns_recursion_and_excludes(tmp_path: Path) -> None:
    files = {"lecture_1.srt": GOOD, "notes.srt": GOOD, "sub/lecture_2.srt": GOOD, "drafts/lecture_3.srt": GOOD}
    repo = make_repo(tmp_path / "repo", files, config="input: lectures\noutput: build\nexclude: ['drafts/**']\n")
    assert batch(repo, "--pattern", "lecture_*.srt").returncode == 0
    assert [f["path"] for f in report(repo)["files"]] == ["lecture_1.srt", "sub/lecture_2.srt"]
    assert batch(repo, "--pattern", "lecture_*.srt", "--pattern", "notes.srt", "--no-recursive").returncode == 0
    rep = report(repo)
    assert [f["path"] for f in rep["files"]] == ["lecture_1.srt", "notes.srt"]
    # The file no longer built is stale: its sidecar and output are gone and listed.
    assert rep["removed"] == ["sub/lecture_2.srt"] and not (repo / "build/sub/lecture_2.srt").exists()


def test_deleted_source_drops_out_of_the_report(repo: Path) -> None:
    assert batch(repo).returncode == 0
    (repo / "lectures/course0/lecture003.srt").unlink()
    assert batch(repo).returncode == 0
    rep = report(repo)
    assert rep["totals"]["files"] == 5 and "course0/lecture003.srt" in rep["removed"]
    assert not (repo / "build/course0/lecture003.srt").exists()
    assert not (repo / "build/.srtbuild/metrics/course0/lecture003.srt.json").exists()


@pytest.mark.parametrize("args, message", [
    (["missing", "out"], "missing: input folder not found"),
    (["lectures", "build", "--pattern", "../*.srt"], "'..' would leave the input folder"),
    (["lectures", "build", "--pattern", "[abc.srt"], "without a closing ']'"),
    (["lectures", "build", "-j", "0"], "expected 1 to 1,024 processes"),
    (["lectures", "build", "--export-format", "xml"], "invalid choice"),
])
def test_usage_errors_exit_2_with_one_line(repo: Path, args: list[str], message: str) -> None:
    run = srtbuild("batch", *args, cwd=repo)
    assert run.returncode == 2, run.stderr
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("output", ["lectures", "."])
def test_an_output_folder_that_would_overwrite_the_sources_is_refused(repo: Path, output: str) -> None:
    before = tree(repo / "lectures")
    run = srtbuild("batch", "lectures", output, cwd=repo)
    assert run.returncode == 2 and "must not be (or contain) the input folder" in run.stderr
    assert tree(repo / "lectures") == before


def test_an_explicit_config_is_used(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.yaml"
    other.write_text("pipeline: [whitespace]\n", encoding="utf-8")
    assert batch(repo, "--config", str(other)).returncode == 0
    assert set(report(repo)["totals"]["corrections_by_rule"]) <= {"whitespace"}
    missing = batch(repo, "--config", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr


def test_bad_config_exits_2_naming_file_line_and_column(repo: Path) -> None:
    (repo / "srtbuild.yaml").write_text("input: lectures\nquality: {max_cps: fast}\n", encoding="utf-8")
    run = batch(repo)
    assert run.returncode == 2
    assert "srtbuild.yaml:2:" in run.stderr and "max_cps" in run.stderr


def test_symlink_out_of_the_output_folder_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"course/a.srt": GOOD})
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "build").mkdir()
    (repo / "build/course").symlink_to(outside, target_is_directory=True)
    run = batch(repo)
    assert run.returncode == 2 and "build/course: is a symbolic link; srtbuild writes nothing through it" in run.stderr
    assert list(outside.iterdir()) == []


def test_export_report_to_file_and_stdout(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "exported.csv"
    assert batch(repo, "--export-report", str(out), "--export-format", "csv").returncode == 0
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("\ufeffpath,output,status,segments,corrections")
    page = tmp_path / "r.html"
    assert batch(repo, "--export-report", str(page), "--export-format", "html").returncode == 0
    html = page.read_text()
    assert html.startswith("<!doctype html>") and html.count("<svg") == 5 and 'id="files"' in html
    run = batch(repo, "--export-report", "-", "-q")
    assert run.returncode == 0 and json.loads(run.stdout)["totals"]["files"] == 6
    assert run.stderr == ""


def test_verbose_lists_files_and_quiet_prints_nothing(repo: Path) -> None:
    verbose = batch(repo, "-v")
    assert "lectures/course0/lecture000.srt: 20 cues" in verbose.stderr
    quiet = batch(repo, "-q", "--force")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_timeout_records_the_file_as_failed_and_the_run_completes(tmp_path: Path) -> None:
    files = {"big.srt": lectures(1, cues=20000)["course0/lecture000.srt"], "small.srt": GOOD}
    repo = make_repo(tmp_path / "repo", files, config="input: lectures\noutput: build\ntimeout_s: 0.05\n")
    run = batch(repo)
    assert run.returncode == 1
    rep = report(repo)
    errors = {e["path"]: e["message"] for e in rep["errors"]}
    assert "timeout_s" in errors["big.srt"] and rep["totals"]["succeeded"] == 1


def test_doit_and_batch_share_tasks_and_state(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "sub/b.srt": GOOD})
    first = doit(cwd=repo)
    assert first.returncode == 0, first.stderr + first.stdout
    assert processed(repo) == 2
    assert batch(repo).returncode == 0 and processed(repo) == 0
    listing = doit("list", "--all", "--status", cwd=repo).stdout
    assert "U process:a.srt" in listing and "U process:sub/b.srt" in listing and "R report" in listing
    (repo / "lectures/a.srt").write_text(GOOD + "\n", encoding="utf-8")
    assert "R process:a.srt" in doit("list", "--all", "--status", cwd=repo).stdout
    info = doit("info", "process:a.srt", cwd=repo).stdout
    assert "lectures/a.srt" in info and "build/a.srt" in info
    assert doit("process:a.srt", cwd=repo).returncode == 0
    assert batch(repo).returncode == 0 and processed(repo) == 0
    assert doit("forget", "process:sub/b.srt", cwd=repo).returncode == 0
    assert batch(repo).returncode == 0 and processed(repo) == 1
    assert doit("clean", cwd=repo).returncode == 0
    assert not (repo / "build/a.srt").exists() and not (repo / "build/.srtbuild/report.json").exists()


def test_doit_exits_1_when_a_file_failed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "bad.srt": BAD})
    run = doit(cwd=repo)
    assert run.returncode == 1
    assert "lectures/bad.srt:1: error:" in run.stderr
    assert report(repo)["totals"]["failed"] == 1


def test_moved_or_freshly_cloned_repo_rebuilds_nothing(repo: Path, tmp_path: Path) -> None:
    assert batch(repo).returncode == 0
    moved = tmp_path / "elsewhere" / "repo"
    shutil.copytree(repo, moved, symlinks=True)  # copy2 keeps mtimes: a move
    assert batch(moved).returncode == 0 and processed(moved) == 0
    # A clone: every mtime new, same bytes; state and outputs restored from a cache.
    clone = tmp_path / "clone"
    shutil.copytree(repo, clone, copy_function=shutil.copy)
    assert batch(clone).returncode == 0 and processed(clone) == 0
    assert doit(cwd=clone).returncode == 0 and processed(clone) == 0


def test_init_writes_a_working_content_repo(tmp_path: Path) -> None:
    target = tmp_path / "course"
    run = srtbuild("init", str(target), cwd=tmp_path)
    assert run.returncode == 0
    assert {p.name for p in target.iterdir()} == {"dodo.py", "srtbuild.yaml", "glossary.yaml", "subtitles"}
    (target / "subtitles/intro.srt").write_text(GOOD, encoding="utf-8")
    built = doit(cwd=target)
    assert built.returncode == 0, built.stderr
    assert (target / "build/intro.srt").is_file() and report(target)["totals"]["succeeded"] == 1
    again = srtbuild("init", str(target), cwd=tmp_path)
    assert again.returncode == 2 and "already there" in again.stderr


def test_root_dodo_builds_the_bundled_examples(tmp_path: Path) -> None:
    from conftest import ROOT

    repo = tmp_path / "project"
    shutil.copytree(ROOT / "examples", repo / "examples")
    for name in ("dodo.py", "srtbuild.yaml", "glossary.yaml"):
        shutil.copy(ROOT / name, repo / name)
    run = doit(cwd=repo)
    assert run.returncode == 0, run.stderr
    assert report(repo)["totals"]["succeeded"] == len(list((ROOT / "examples").rglob("*.srt")))


def test_compare_two_reports_and_fail_on_regression(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "b.srt": GOOD, "c.srt": GOOD})
    assert batch(repo).returncode == 0
    old = tmp_path / "old.json"
    shutil.copy(repo / "build/.srtbuild/report.json", old)
    (repo / "lectures/b.srt").write_text(BAD, encoding="utf-8")
    (repo / "lectures/c.srt").unlink()
    (repo / "lectures/d.srt").write_text(GOOD, encoding="utf-8")
    assert batch(repo).returncode == 1
    new = repo / "build/.srtbuild/report.json"
    run = srtbuild("compare", str(old), str(new), "--json", cwd=repo)
    assert run.returncode == 0
    diff = json.loads(run.stdout)
    assert (diff["added"], diff["removed"], diff["newly_failed"]) == (["d.srt"], ["c.srt"], ["b.srt"])
    assert diff["totals"]["failed"] == {"old": 0, "new": 1, "change": 1}
    gate = srtbuild("compare", str(old), str(new), "--fail-on-regression", cwd=repo)
    assert gate.returncode == 1 and "newly failed (1):\n  b.srt" in gate.stdout
    same = srtbuild("compare", str(new), str(new), "--fail-on-regression", cwd=repo)
    assert same.returncode == 0
    bad = srtbuild("compare", str(old), str(repo / "srtbuild.yaml"), cwd=repo)
    assert bad.returncode == 2 and "not a readable report.json" in bad.stderr


def test_doit_with_a_bad_config_says_so_in_one_line(repo: Path) -> None:
    (repo / "srtbuild.yaml").write_text("input: lectures\nquality: {max_cps: fast}\n", encoding="utf-8")
    run = doit(cwd=repo)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "srtbuild.yaml:2:" in run.stderr and "Traceback" not in run.stderr
