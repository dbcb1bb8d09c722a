"""The GitHub Actions recipe in the README, run here: its `run:` commands, in order, in a
content repo, twice (the second time with the build folder the cache would restore),
as GitHub runs them (bash -e, GITHUB_ACTIONS and GITHUB_STEP_SUMMARY set)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import yaml
from buildrepo import ENV, lecture
from conftest import ROOT, srt


def _recipe() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# \.github/workflows/subtitles\.yml\n.*?)```", text, re.S)
    assert block, "the README's CI recipe is gone"
    steps = yaml.safe_load(block.group(1))["jobs"]["build"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert any("srtbuild batch" in r for r in runs) and any("srtbuild compare" in r for r in runs)
    return [r for r in runs if not r.startswith("pip install")]  # srtbuild is installed here


def _job(repo: Path, runs: list[str], summary: Path) -> list[subprocess.CompletedProcess]:
    """The steps until one fails, as a job does."""
    bin_dir = repo.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, command in (("srtbuild", f"{sys.executable} -m srtbuild"), ("python", sys.executable)):
        shim = bin_dir / name
        shim.write_text(f"#!/bin/sh\nexec {command} \"$@\"\n")
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {**ENV, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GITHUB_ACTIONS": "true",
           "GITHUB_STEP_SUMMARY": str(summary)}
    done = []
    for command in runs:
        run = subprocess.run(["bash", "-e", "-c", command], cwd=repo, env=env, capture_output=True, text=True,
                             timeout=300)
        done.append(run)
        if run.returncode:
            break
    return done


def test_the_readme_recipe_builds_annotates_and_fails_when_quality_drops(tmp_path: Path) -> None:
    runs = _recipe()
    repo = tmp_path / "repo"
    (repo / "subtitles" / "course").mkdir(parents=True)
    (repo / "srtbuild.yaml").write_text("input: subtitles\noutput: build\n", encoding="utf-8")
    for i in range(4):
        (repo / "subtitles" / "course" / f"lecture{i}.srt").write_text(lecture(i, 30), encoding="utf-8")
    summary = tmp_path / "summary.md"

    first = _job(repo, runs, summary)
    assert [r.returncode for r in first] == [0] * len(runs), [r.stderr for r in first]
    batch = next(r for r, c in zip(first, runs) if "srtbuild batch" in c)
    assert "::warning file=subtitles/course/lecture" in batch.stdout  # from the repository root
    assert (repo / "build/.srtbuild/report.html").is_file()  # what the artifact step uploads
    assert "## srtbuild: 4 files, none failed" in summary.read_text(encoding="utf-8")

    # A push that makes one lecture unreadable at speed: the cache brings `build` back,
    # only that lecture is rebuilt, and the job fails at the comparison.
    fast = srt(*((f"00:00:{s:02d},000", f"00:00:{s:02d},700",
                  "and so this cue says far more than anyone could possibly read in the time it has")
                 for s in range(1, 40)))
    (repo / "subtitles/course/lecture2.srt").write_text(fast, encoding="utf-8")
    second = _job(repo, runs, summary)
    batch = next(r for r, c in zip(second, runs) if "srtbuild batch" in c)
    assert batch.returncode == 0 and "1 processed, 3 up to date" in batch.stderr, batch.stderr
    assert second[-1].returncode == 1 and "quality regressed" in second[-1].stderr  # the comparison fails
    assert "--fail-on-regression" in runs[len(second) - 1]
    again = _job(repo, runs, summary)  # run again: the baseline did not move, so it fails again
    assert len(again) == len(second) and again[-1].returncode == 1

    # A push that breaks a lecture: the build goes on (its cache is saved), the gate fails.
    (repo / "subtitles/course/lecture3.srt").write_text("not a subtitle\n", encoding="utf-8")
    third = _job(repo, runs, summary)
    batch = next(r for r, c in zip(third, runs) if "srtbuild batch" in c)
    assert batch.returncode == 0 and "::error file=subtitles/course/lecture3.srt" in batch.stdout
    assert third[-1].returncode == 1 and "['failed'] > 0" in runs[len(third) - 1]  # the gate on failures
    assert "Since the previous report" in summary.read_text(encoding="utf-8")
