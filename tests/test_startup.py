"""Start-up imports only what a command needs: `--version` no settings, rules or reader;
a build with nothing to do no reader, no doit and no process pool."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _imported(args: list[str], cwd: Path) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "srtbuild", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_version_imports_no_settings_rules_or_reader(tmp_path):
    names = _imported(["--version"], tmp_path)
    assert "srtbuild.cli" in names  # the listing is real
    for heavy in ("srtbuild.config", "srtbuild.rules.registry", "srtbuild.subtitles.reader", "yaml", "doit", "tabulate"):
        assert heavy not in names, heavy


def test_a_build_with_nothing_to_do_reads_no_subtitle_code(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.srt").write_text("1\n00:00:01,000 --> 00:00:02,500\nHello there.\n", encoding="utf-8")
    first = subprocess.run([sys.executable, "-m", "srtbuild", "batch", "src", "out", "-q"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    names = _imported(["batch", "src", "out", "-q"], tmp_path)
    assert "srtbuild.engine.batch" in names
    for heavy in ("srtbuild.subtitles.reader", "srtbuild.subtitles.codepages", "doit", "multiprocessing"):
        assert heavy not in names, heavy
