"""`srtbuild process` end to end: files written, stdout/stderr, exit codes, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from srtbuild.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").rglob("*.srt"))
GOLDEN = ROOT / "tests" / "golden"


def test_process_writes_output_and_sidecar(tmp_path, capsys):
    out = tmp_path / "out" / "gita.srt"
    code = main(["process", str(ROOT / "examples/philosophy/gita-01.srt"), "-o", str(out), "--config", str(ROOT / "srtbuild.yaml")])
    assert code == 0
    assert out.read_text(encoding="utf-8").startswith("1\n00:00:01,000 --> ")
    record = json.loads((tmp_path / "out" / "gita.srt.json").read_text(encoding="utf-8"))
    assert record["status"] == "ok" and record["corrections"] > 0
    assert record["corrections_by_rule"]["glossary"] >= 2 and record["glossary_terms"]["Bhagavad Gita"] == 2
    assert record["quality_after"] > record["quality_before"]
    assert len(record["source_sha256"]) == 64 and len(record["settings_digest"]) == 64
    assert all({"line", "source", "message"} <= set(w) for w in record["warnings"])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "gita-01.srt" in captured.err and "corrections" in captured.err
    assert not list(out.parent.glob(".*.tmp"))  # atomic writes leave no temporary file


def test_process_json_to_stdout(tmp_path, capsys):
    code = main(["process", str(ROOT / "examples/physics/mechanics-02.srt"), "-o", str(tmp_path / "m.srt"), "--json"])
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    assert record["path"].endswith("mechanics-02.srt") and record["segments"] == 7  # the 82-character cue is split in two


def test_process_to_stdout_by_default(capsys):
    assert main(["process", str(ROOT / "examples/physics/mechanics-02.srt")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1\n") and out.endswith("\n") and "Schrödinger" in out


def test_unreadable_file_is_exit_1_with_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.srt"
    bad.write_text("no cues here\nat all\n", encoding="utf-8")
    assert main(["process", str(bad), "-o", str(tmp_path / "o.srt")]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:1: error: no subtitle cue found" in err and "Traceback" not in err
    record = json.loads((tmp_path / "o.srt.json").read_text())
    assert record["status"] == "failed" and record["error"]["line"] == 1
    assert not (tmp_path / "o.srt").exists()


@pytest.mark.parametrize("argv,fragment", [
    (["process", "missing.srt"], "missing.srt: no such file"),
    (["process"], "the following arguments are required"),
    (["nope"], "invalid choice"),
])
def test_usage_errors_are_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    assert fragment in capsys.readouterr().err


def test_config_error_is_exit_2_with_position(tmp_path, capsys):
    cfg = tmp_path / "srtbuild.yaml"
    cfg.write_text("pipeline:\n  - wrap: {max_lines: two}\n", encoding="utf-8")
    src = tmp_path / "a.srt"
    src.write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n", encoding="utf-8")
    assert main(["process", str(src)]) == 2
    assert f"{cfg}:2:23: pipeline[0].wrap.max_lines: expected a whole number" in capsys.readouterr().err


def test_python_m_and_version():
    run = subprocess.run([sys.executable, "-m", "srtbuild", "--version"], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.startswith("srtbuild ") and "doit" in run.stdout and "Python" in run.stdout


@pytest.mark.parametrize("source", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_match_golden_outputs(source, tmp_path):
    """The bundled examples with the project's srtbuild.yaml: reviewed outputs, byte for byte."""
    out = tmp_path / source.name
    assert main(["process", str(source), "-o", str(out), "--config", str(ROOT / "srtbuild.yaml")]) == 0
    assert out.read_bytes() == (GOLDEN / source.name).read_bytes()
