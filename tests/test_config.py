"""srtbuild.yaml: validation from declarations, errors at file:line:col, glossary files."""

from __future__ import annotations

from pathlib import Path

import pytest

from srtbuild.config import Settings, load_settings
from srtbuild.errors import ConfigError


def write(tmp_path: Path, text: str, name: str = "srtbuild.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert info.value.exit_code == 2
    return str(info.value)


def test_defaults_without_any_config(tmp_path):
    settings = load_settings(start=tmp_path)
    names = [name for name, _ in settings.pipeline]
    assert names[0] == "normalize" and names[-1] == "wrap" and len(names) == 14
    assert names.index("split") < names.index("timing") < names.index("merge") < names.index("wrap")
    assert settings.quality["max_line_length"] == 42


def test_nearest_config_upward_is_used(tmp_path):
    write(tmp_path, "language: fr\n")
    deeper = tmp_path / "a" / "b"
    deeper.mkdir(parents=True)
    assert load_settings(start=deeper).language == "fr"


@pytest.mark.parametrize("text,expected", [
    ("langauge: en\n", "srtbuild.yaml:1:1: langauge: unknown key"),
    ("pipeline:\n  - normalize\n  - timing: {max_cps: fast}\n", "srtbuild.yaml:3:23: pipeline[1].timing.max_cps: expected a number, got 'fast'"),
    ("pipeline:\n  - wrapp\n", "srtbuild.yaml:2:5: pipeline[0]: unknown rule 'wrapp'"),
    ("pipeline:\n  - wrap: {max_chars: 3}\n", "srtbuild.yaml:2:12: pipeline[0].wrap.max_chars: unknown key"),
    ("pipeline:\n  - wrap: {max_lines: 0}\n", "expected at least 1"),
    ("quality: {max_cps: -1}\n", "srtbuild.yaml:1:20: quality.max_cps: expected a positive number"),
    ("recursive: yes please\n", "srtbuild.yaml:1:12: recursive: expected true or false"),
    ("encoding: klingon-8\n", "srtbuild.yaml:1:11: encoding: unknown encoding 'klingon-8'"),
    ("pipeline: [wrap\n", "srtbuild.yaml:2:1: invalid YAML"),
    ("a: &x [1]\nb: *x\n", "srtbuild.yaml:2:4: YAML aliases (*name) are not allowed"),
    ("- just a list\n", "expected a mapping"),
    ("timeout_s: 1" + "0" * 5000 + "\n", "srtbuild.yaml:1:12: number 10000000000000000000... is too long"),
    ("timeout_s: 1e10\n", "timeout_s: expected a positive number of seconds, at most a week"),
    ("memory_limit_mb: 9000000000000\n", "memory_limit_mb: expected 64 to 16,777,216 (MB)"),
    ("pipeline: [timing: {min_duration_ms: 100000000000}]\n", "timing.min_duration_ms: expected at most 3,600,000"),
    ("quality: {max_lines: 5000}\n", "quality.max_lines: expected at most 1,000"),
    ("encoding: undefined\n", "encoding: 'undefined' cannot decode text files"),
    ("quality: {max_cps: .inf}\n", "quality.max_cps: expected a finite number, got inf"),
    ("language: klingon\n", "language: unknown language code 'klingon'"),
    ("pipeline: [{fillers: {words: [\"\"]}}]\n", "pipeline[0].fillers.words: expected no empty string in the list"),
])
def test_errors_name_file_line_column_and_key(tmp_path, text, expected):
    message = error_of(tmp_path, text)
    assert expected in message
    assert message.startswith(str(tmp_path / "srtbuild.yaml"))


def test_alias_bomb_is_refused_quickly(tmp_path):
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    assert "aliases" in error_of(tmp_path, bomb)


def test_rule_options_and_glossary_files(tmp_path):
    (tmp_path / "terms.yaml").write_text("Kierkegaard: [kierkegard]\nSartre: sartra\n", encoding="utf-8")
    (tmp_path / "more.csv").write_text("wrong,canonical\nhydegger,Heidegger\n", encoding="utf-8")
    path = write(tmp_path, "pipeline:\n  - glossary:\n      terms: {Gita: [geeta]}\n      files: [terms.yaml, more.csv]\n  - wrap: {max_line_length: 30}\n")
    settings = load_settings(path)
    (name, gloss), (_, wrap) = settings.pipeline
    assert gloss["terms"] == {"Gita": ["geeta"], "Kierkegaard": ["kierkegard"], "Sartre": ["sartra"], "Heidegger": ["hydegger"]}
    assert wrap == {"max_line_length": 30, "max_lines": 2}
    assert sorted(Path(f).name for f in settings.glossary_files) == ["more.csv", "terms.yaml"]


def test_glossary_errors_point_into_the_glossary(tmp_path):
    (tmp_path / "bad.csv").write_text("a,b\nonly-one-column\n", encoding="utf-8")
    message = error_of(tmp_path, "pipeline:\n  - glossary: {files: [bad.csv]}\n")
    assert message.startswith("bad.csv:2: expected two columns")
    message = error_of(tmp_path, "pipeline:\n  - glossary: {files: [missing.yaml]}\n")
    assert "glossary file 'missing.yaml' not found" in message


def test_digest_tracks_processing_settings_only(tmp_path):
    base = Settings()
    other = Settings(output="elsewhere", input="src", patterns=["lecture_*.srt"])
    assert base.digest() == other.digest()
    changed = load_settings(write(tmp_path, "pipeline:\n  - wrap: {max_line_length: 37}\n"))
    assert changed.digest() != base.digest()
    (tmp_path / "g.yaml").write_text("A: [b]\n", encoding="utf-8")
    one = load_settings(write(tmp_path, "pipeline:\n  - glossary: {files: [g.yaml]}\n")).digest()
    (tmp_path / "g.yaml").write_text("A: [c]\n", encoding="utf-8")
    assert load_settings(tmp_path / "srtbuild.yaml").digest() != one
