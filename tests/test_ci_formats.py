"""`srtbuild batch --format github|gitlab|junit`, the Markdown summary and report.csv:
golden files of a fixed report whose paths and messages hold what each format must
escape, checks of each format by its own rules, and the same from the command line.

Set SRTBUILD_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from buildrepo import BAD, GOOD, batch, make_repo, report
from conftest import ROOT

from srtbuild.reports import ci
from srtbuild.reports.markdown import summary
from srtbuild.reports.report import csv_text
from srtbuild.reports.rows import CSV_FIELDS, pending_row

GOLDEN = ROOT / "tests" / "golden" / "ci"
NASTY = 'we,ird: 100% "quoted" <script>alert(1)</script> | `tick` *star*'


def _row(path: str, **fields) -> dict:
    row = pending_row(path, path)
    row.update(status="ok", segments=3, corrections=2, corrections_by_rule={"timing": 2}, quality_before=40.0,
               quality_after=80.5, checks_before={"reading_speed": 2}, checks_after={"reading_speed": 1},
               warnings=1, findings=[{"line": 5, "source": "reading_speed", "message": "24.5 characters a second (max 20)"}],
               processing_time_s=0.0125, size_bytes=300)
    row.update(fields)
    return row


def _report() -> dict:
    failed = _row(f"odd/{NASTY}.srt", status="failed", quality_before=None, quality_after=None, corrections=0,
                  corrections_by_rule={}, checks_before={}, checks_after={}, warnings=0, findings=[],
                  error={"message": f"timestamp '00:00:0x' {NASTY}\nsecond line", "line": 7})
    return {
        "schema": "srtbuild.report/1",
        "run": {"started": "2026-11-30T06:00:00Z", "finished": "2026-11-30T06:00:02Z", "duration_s": 2.0,
                "srtbuild_version": "0.3.0", "parallel": 2, "input": "/repo/lectures", "output": "/repo/build",
                "config": "/repo/srtbuild.yaml", "settings_digest": "x"},
        "totals": {"files": 4, "succeeded": 2, "failed": 1, "empty": 1, "pending": 0, "processed": 4,
                   "up_to_date": 0, "segments": 6, "corrections": 4, "warnings": 12,
                   "quality_before": 40.0, "quality_after": 80.5},
        "errors": [{"path": failed["path"], "line": 7, "message": failed["error"]["message"]}],
        "files": [
            _row("a.srt", warnings=12, findings=[{"line": n, "source": "too_short", "message": f"cue {n}, too short"}
                                                 for n in range(1, 4)]),
            _row("b/c d.srt"),
            _row("e.srt", status="empty", segments=0, quality_before=None, quality_after=None, warnings=0, findings=[]),
            failed,
        ],
    }


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SRTBUILD_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("fmt, name", [("github", "github.txt"), ("gitlab", "gitlab.json"), ("junit", "junit.xml")])
def test_each_format_matches_its_golden_file(fmt: str, name: str) -> None:
    _golden(name, ci.render(fmt, _report(), "/repo", warnings=True, env={}))


def test_csv_and_html_match_their_golden_files() -> None:
    from srtbuild.reports.html import html_report

    _golden("report.csv", csv_text(_report(), delimiter=";"))
    _golden("report.html", html_report(_report()))


def test_markdown_summary_matches_its_golden_file() -> None:
    old = _report()
    old["files"] = old["files"][:2]
    old["errors"] = []
    old["totals"] = {**old["totals"], "quality_after": 85.0}
    from srtbuild.reports.compare import compare

    _golden("summary.md", summary(_report(), compare(old, _report())))


def test_github_commands_escape_what_github_reads_as_syntax() -> None:
    out = ci.render("github", _report(), "/repo", warnings=False, env={})
    (line,) = [x for x in out.splitlines() if x.startswith("::error")]
    props, _, message = line[len("::error "):].partition("::")
    # Properties are split at `,` and `:`: the path's own are escaped, so exactly 3 remain.
    assert props.count(",") == 2 and ":" not in props
    assert "file=lectures/odd/we%2Cird%3A 100%25" in props and props.endswith(",line=7,title=srtbuild")
    assert "\n" not in message and "%0Asecond line" in message and "100%25" in message
    assert out.count("::warning") == 0  # errors only without --annotate warnings


def test_github_shows_ten_of_a_kind_then_counts_the_rest() -> None:
    rep = _report()
    rep["files"] = [_row(f"f{i:02d}.srt") for i in range(25)]
    out = ci.render("github", rep, "/repo", warnings=True, env={})
    assert out.count("::warning ") == ci.GITHUB_SHOWN
    assert "::notice title=srtbuild::15 more warnings not shown" in out


def test_paths_are_from_the_checkout_and_name_the_file_on_disk() -> None:
    rep = _report()
    rep["run"].update(input="/ws/courses/physics/lectures", config="/ws/courses/physics/srtbuild.yaml")
    rep["files"] = [_row("a%3Db.srt")]  # the report shows `a=b.srt` escaped
    issues = json.loads(ci.render("gitlab", rep, "/elsewhere", warnings=True, env={"CI_PROJECT_DIR": "/ws"}))
    assert "courses/physics/lectures/a=b.srt" in {i["location"]["path"] for i in issues}
    out = ci.render("github", rep, "/elsewhere", warnings=True, env={"GITHUB_WORKSPACE": "/ws"})
    assert "file=courses/physics/lectures/a=b.srt," in out
    # Without a CI checkout: from the folder of srtbuild.yaml.
    assert "file=lectures/a=b.srt," in ci.render("github", rep, "/elsewhere", warnings=True, env={})


def test_junit_is_xml_with_a_case_per_file_and_the_failure_on_its_line() -> None:
    root = ET.fromstring(ci.render("junit", _report(), "/repo", warnings=True, env={}).encode("utf-8"))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 4 and suite.get("failures") == "1" and suite.get("skipped") == "1"
    (failure,) = [c.find("failure") for c in cases if c.find("failure") is not None]
    assert failure.text.startswith(f"lectures/odd/{NASTY}.srt:7: timestamp")
    assert "cue 3, too short" in cases[0].find("system-out").text
    assert "9 more warnings" in cases[0].find("system-out").text


def test_gitlab_issues_follow_the_code_quality_schema() -> None:
    issues = json.loads(ci.render("gitlab", _report(), "/repo", warnings=True, env={}))
    assert issues and all(set(i) == {"description", "check_name", "fingerprint", "severity", "location"}
                          for i in issues)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert {i["severity"] for i in issues} == {"major", "minor"}
    assert all(i["location"]["path"].startswith("lectures/") and i["location"]["lines"]["begin"] >= 1 for i in issues)
    assert json.loads(ci.render("gitlab", _report(), "/repo", warnings=True, env={})) == issues  # stable fingerprints


def test_markdown_keeps_pipes_and_html_as_text() -> None:
    text = summary(_report())
    tables = [block.splitlines() for block in text.split("\n\n") if block.startswith("|")]
    assert len(tables) == 3
    for lines in tables:  # every row has as many cells as the header: no pipe of a path splits one
        assert len({len(re.findall(r"(?<!\\)\|", line)) for line in lines}) == 1, lines
    assert "<script>" not in text and "&lt;script&gt;" in text and "\\|" in text


def test_csv_has_a_column_per_rule_and_check_a_bom_and_the_delimiter_asked_for() -> None:
    text = csv_text(_report(), delimiter=";", bom=True)
    assert text.startswith("\ufeffpath;output;")
    rows = list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))
    assert len(rows) == 4 and list(rows[0]) == list(CSV_FIELDS)
    assert rows[0]["corrections.timing"] == "2" and rows[0]["checks_after.reading_speed"] == "1"
    assert rows[0]["processing_time_s"] == "0.0125"  # a point, whatever the locale
    assert rows[3]["corrections.timing"] == "" and rows[3]["error_line"] == "7"  # a failed file has no counts
    assert not csv_text(_report(), bom=False).startswith("\ufeff")


def test_formats_from_the_command_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"good.srt": GOOD, "sub/bad, one.srt": BAD})
    run = batch(repo, "--format", "github", "--annotate", "warnings")
    assert run.returncode == 1
    assert "::error file=lectures/sub/bad%2C one.srt" in run.stdout  # from the repository root
    run = batch(repo, "--format", "junit", "--format-output", "junit.xml", "--fail-on", "never")
    assert run.returncode == 0 and run.stdout == ""
    assert ET.parse(repo / "junit.xml").getroot().find("testsuite").get("failures") == "1"
    (repo / "lectures/sub/bad, one.srt").unlink()
    assert batch(repo, "--fail-on", "warning").returncode == (1 if report(repo)["totals"]["warnings"] else 0)
    assert batch(repo, "--format", "gitlab", "--format-output", "-", "--export-report", "-").returncode == 2
    assert batch(repo, "--format-output", "x.json").returncode == 2  # no --format to write
    source = (repo / "lectures/good.srt").read_bytes()
    for target in ("lectures/good.srt", "build/junit.xml"):  # a source; the output folder
        run = batch(repo, "--format", "junit", "--format-output", target)
        assert run.returncode == 2 and "will not write the junit output there" in run.stderr
    assert (repo / "lectures/good.srt").read_bytes() == source
    summary_file = tmp_path / "summary.md"
    env_run = batch(repo, "--format", "auto", "-q")  # not under a CI: text, nothing on stdout
    assert env_run.returncode == 0 and env_run.stdout == ""
    assert not summary_file.exists()
