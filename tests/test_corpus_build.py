"""The whole real corpus, built the way users build it: `srtbuild batch` over the folder,
and `doit` in a content repo made by `srtbuild init` that points at it. Read in place."""

from __future__ import annotations

from pathlib import Path

from buildrepo import build_cmd, doit_cmd, report, run_alone
from conftest import CORPUS, corpus_files, needs_corpus

from srtbuild.config import Settings
from srtbuild.names import escape_name
from srtbuild.processor import process_file

pytestmark = needs_corpus


def _expected() -> tuple[set[str], set[str]]:
    """(sources that must build, sources that must fail) by what one-file processing says."""
    ok, failed = set(), set()
    for path in corpus_files():
        if path.suffix != ".srt":
            continue
        record, _ = process_file(path, None, Settings(), display=str(path))
        name = escape_name(str(path.relative_to(CORPUS)))
        (failed if record["status"] == "failed" else ok).add(name)
    return ok, failed


def test_batch_builds_the_whole_real_corpus(tmp_path: Path) -> None:
    ok, failed = _expected()
    assert len(ok) > 140 and 0 < len(failed) < 10
    run = run_alone(build_cmd("batch", str(CORPUS), str(tmp_path / "out"), "-j", "2"), cwd=tmp_path, timeout=300)
    assert run.returncode == 1, run.stderr  # some real files hold no subtitle at all: they fail, alone
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    for name in failed:
        assert f"{CORPUS}/{name}:" in run.stderr  # file and line
    rep = report(tmp_path, "out")
    rows = {r["path"]: r for r in rep["files"]}
    assert {p for p, r in rows.items() if r["status"] == "failed"} == failed
    assert {p for p, r in rows.items() if r["status"] in ("ok", "empty")} == ok
    assert all(e["line"] for e in rep["errors"])
    for name in ok:
        assert (tmp_path / "out" / name.replace("%3D", "=")).is_file()
    again = run_alone(build_cmd("batch", str(CORPUS), str(tmp_path / "out")), cwd=tmp_path)
    assert again.returncode == 1 and report(tmp_path, "out")["totals"]["processed"] == len(failed)


def test_doit_in_an_init_repo_builds_the_whole_real_corpus(tmp_path: Path) -> None:
    repo = tmp_path / "course"
    init = run_alone(build_cmd("init", str(repo), "--input", "subtitles"), cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    config = (repo / "srtbuild.yaml").read_text(encoding="utf-8")
    (repo / "srtbuild.yaml").write_text(config.replace("input: subtitles", f"input: {CORPUS}"), encoding="utf-8")
    run = run_alone(doit_cmd("-n", "2"), cwd=repo, timeout=300)
    assert run.returncode == 1, run.stderr  # the report task fails: some files failed
    assert "Traceback" not in run.stderr + run.stdout
    _, failed = _expected()
    rep = report(repo)
    assert rep["totals"]["failed"] == len(failed) and rep["totals"]["succeeded"] + rep["totals"]["empty"] > 140
    status = run_alone(doit_cmd("list", "--all", "--status"), cwd=repo)
    assert status.returncode == 0 and "process:hf-course/en/37_datasets-+-dataframes-%3D-" in status.stdout
