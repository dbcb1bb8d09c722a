"""One time format everywhere, exit codes in every command's help, and a report step that
reads each sidecar at most once."""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path

import pytest
from buildrepo import BAD, GOOD, batch, lectures, make_repo, report, srtbuild

from srtbuild.confined import OutputRoot
from srtbuild.engine.batch import BatchOptions, make_build
from srtbuild.reports.report import CACHE_NAME, write_reports

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z\Z")


def test_every_time_in_reports_and_sidecars_is_iso_8601_utc(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD, "b.srt": BAD})
    assert batch(repo).returncode == 1
    rep = report(repo)
    assert ISO.match(rep["run"]["started"]) and ISO.match(rep["run"]["finished"])
    assert all(ISO.match(row["processed_at"]) for row in rep["files"])
    sidecar = json.loads((repo / "build/.srtbuild/metrics/a.srt.json").read_text(encoding="utf-8"))
    assert ISO.match(sidecar["processed_at"])
    assert rep["totals"]["processed"] == 2  # the ISO times still say which files this run made
    assert batch(repo).returncode == 1 and report(repo)["totals"]["processed"] == 1  # the failed one again


def test_a_sidecar_of_an_older_srtbuild_with_an_epoch_time_still_reads(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.srt": GOOD})
    assert batch(repo).returncode == 0
    side = repo / "build/.srtbuild/metrics/a.srt.json"
    data = json.loads(side.read_text(encoding="utf-8"))
    data["processed_at"] = 1796000000.5
    side.write_text(json.dumps(data), encoding="utf-8")
    run = batch(repo)
    assert run.returncode == 0 and "unreadable" not in run.stderr and report(repo)["files"][0]["status"] == "ok"


@pytest.mark.parametrize("command", ["process", "batch", "compare", "init", None])
def test_help_lists_the_exit_codes(command: str | None, tmp_path: Path) -> None:
    run = srtbuild(*([command] if command else []), "--help", cwd=tmp_path)
    assert run.returncode == 0
    codes = run.stdout.split("exit codes:")[1]
    assert [line.split()[0] for line in codes.splitlines() if line.startswith("  ") and line.split()[0].isdigit()] \
        == ["0", "1", "2", "3", "130"]


def test_the_report_step_reads_each_sidecar_at_most_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo", lectures(12, cues=8))
    assert batch(repo).returncode == 0
    run = make_build(BatchOptions(input=str(repo / "lectures"), output=str(repo / "build"))).run()
    reads: collections.Counter[str] = collections.Counter()
    original = OutputRoot.read

    def counting(self: OutputRoot, rel: str, *rest: object) -> bytes:
        if "/metrics/" in rel:
            reads[rel] += 1
        return original(self, rel, *rest)

    monkeypatch.setattr(OutputRoot, "read", counting)
    OutputRoot(repo / "build").unlink(f".srtbuild/{CACHE_NAME}")
    write_reports(run, lambda w: None)  # no cache: every sidecar read, once
    assert len(reads) == 12 and set(reads.values()) == {1}
    reads.clear()
    write_reports(run, lambda w: None)  # cached: none read
    assert not reads


def test_report_html_is_made_when_the_collection_changes_and_kept_when_not(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", lectures(3, cues=8))
    assert batch(repo).returncode == 0
    page = repo / "build/.srtbuild/report.html"
    first = page.read_text(encoding="utf-8")
    assert first.count("<svg") == 5 and "No earlier report to compare with" in first
    stamp = page.stat().st_mtime_ns
    assert batch(repo).returncode == 0 and page.stat().st_mtime_ns == stamp  # nothing changed: kept
    (repo / "lectures/course0/lecture000.srt").write_text(GOOD, encoding="utf-8")
    assert batch(repo).returncode == 0
    again = page.read_text(encoding="utf-8")
    assert again != first and "No earlier report to compare with" not in again  # against the report before
    page.unlink()
    assert batch(repo).returncode == 0 and page.is_file()  # a page deleted by hand comes back
    (repo / "lectures/course0/lecture000.srt").write_text(BAD, encoding="utf-8")
    assert batch(repo).returncode == 1
    told = page.read_text(encoding="utf-8")
    assert "newly failing (1)" in told
    stamp = page.stat().st_mtime_ns
    assert batch(repo).returncode == 1 and page.stat().st_mtime_ns == stamp  # retried, failed the same way: kept
    (repo / "lectures/course1/lecture001.srt").unlink()
    assert batch(repo).returncode == 1 and "removed (1)" in page.read_text(encoding="utf-8")
    stamp = page.stat().st_mtime_ns
    assert batch(repo).returncode == 1 and page.stat().st_mtime_ns == stamp  # the removal is not news twice
    run = batch(repo, "--export-report", "r.html")
    assert run.returncode == 1 and (repo / "r.html").read_text(encoding="utf-8").count("<svg") == 5
