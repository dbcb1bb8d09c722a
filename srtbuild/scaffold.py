"""`srtbuild init DIR`: a starter content repo (dodo.py, srtbuild.yaml, glossary)."""

from __future__ import annotations

from pathlib import Path

from srtbuild.errors import UsageError

DODO = '''\
"""Build the subtitles this folder's srtbuild.yaml names: run `doit` here.

`doit list --all --status` shows what is out of date, `doit clean` removes the outputs,
`srtbuild batch` does the same build with a progress display. Written by `srtbuild init`.
"""

from srtbuild.tasks import dodo

dodo(globals())
'''

CONFIG = '''\
# srtbuild settings. Every key is optional; the values shown are the defaults unless
# noted. `doit` (with the dodo.py beside this file) reads `input` and `output`;
# `srtbuild batch INPUT_DIR OUTPUT_DIR` takes the two folders as arguments instead.
input: {input}
output: {output}                  # corrected tree; reports and state go in {output}/.srtbuild/
language: en                   # guides code pages, capitalization, fillers; `auto` guesses per file
# encoding: cp1252             # force a source encoding instead of detecting it
# memory_limit_mb: 2048        # more memory one file may take (default: half the machine / jobs)

# How runs go, for `srtbuild batch` and `doit` alike; flags of `srtbuild batch` win.
# None of these changes an output: editing them rebuilds no file.
batch:
  patterns: ["*.srt"]          # file names (or paths with /) to build
  recursive: true
  exclude: []                  # e.g. ["drafts/**"]
  jobs: null                   # worker processes; null: one per CPU available
  incremental: true            # false: process every file on every run
  stop_on_error: false         # true: start no new file after the first failure
  timeout_s: 300               # a file that takes longer is stopped and recorded as failed
  max_memory_mb: null          # past this (all processes), fewer files run at once; null: 80% of the machine
  progress: auto               # live block on a terminal, plain lines in logs; json: for tools
  progress_interval_s: 0.5     # live display redraw; logs get a line every 20 intervals
  export_report: null          # also write the report here, e.g. report.md
  export_format: null          # json, csv, md or html (default: from export_report's extension)

# Correction rules, run in this order. A name alone uses the rule's defaults.
pipeline:
  - normalize
  - whitespace
  - rollup                     # rolling (YouTube-style) captions to pop-on
  - punctuation
  - tags
  - capitalization
  - fillers                    # e.g. fillers: {{words: [um, uh, erm]}}
  - repeated_words
  - glossary:
      files: [glossary.yaml]
  - remove_empty
  - split                      # over-long cues split into cues that fit
  - timing: {{min_duration_ms: 833, max_duration_ms: 7000, min_gap_ms: 83, max_cps: 20}}
  - merge                      # fragments joined (limits as wrap and timing)
  - wrap: {{max_line_length: 42, max_lines: 2}}

# Quality checks (Netflix English guide values) for the 0-100 score.
quality: {{max_cps: 20, max_line_length: 42, max_lines: 2}}

# Read only by the report: changing these rebuilds no file.
report:
  worst_files: 10          # in summary.txt
  history: 20              # earlier report.json files kept in history/
  csv_bom: true            # report.csv starts with a byte order mark, for spreadsheets
  csv_delimiter: ","       # or ";" (what Excel expects in many locales), tab, "|"
'''

GLOSSARY = '''\
# Domain terms: canonical form -> the wrong forms speech recognition produces.
# Matching is whole-word and case-insensitive. A CSV file (wrong,canonical) works too.
Kubernetes: [cuber netes, kuber nettis]
PostgreSQL: [postgres sequel, post gress]
'''


def init_project(folder: Path, input_dir: str = "subtitles", output_dir: str = "build") -> list[Path]:
    """Write the three starter files (never over existing ones) and the input folder."""
    for name in (input_dir, output_dir):
        if not name or name.startswith("/") or ".." in Path(name).parts:
            raise UsageError(f"{name!r}: give a folder inside DIR")
    files = {
        folder / "dodo.py": DODO,
        folder / "srtbuild.yaml": CONFIG.format(input=input_dir, output=output_dir),
        folder / "glossary.yaml": GLOSSARY,
    }
    existing = [str(p) for p in files if p.exists()]
    if existing:
        raise UsageError(f"{', '.join(existing)}: already there; init writes only into a fresh folder")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / input_dir).mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
