"""Whole builds, measured against `make` driving a per-file pysrt script on the same files.

    python bench/bench_build.py [--files 300] [--cues 800] [--sizes 1000 10000]

1. Full build of FILES lecture-like files with `srtbuild batch` at its default `-j` (the
   CPUs available), against `make -j2` running bench/pysrt_one.py (open, strip, save)
   once per file: the ratio make/srtbuild.
2. For each size in SIZES (short files, so building them is quick): the no-op rebuild
   (`srtbuild batch` with nothing changed, best of 3) against make's no-op on the same
   tree, the rebuild after one file changed, and the peak RSS of the srtbuild process.

Everything runs as a subprocess from the command line, as a user would, in one session.
Prints numbers; passes or fails nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import make_corpus  # noqa: E402

from srtbuild.processes import available_cpus  # noqa: E402

MAKEFILE = """\
SRCS := $(shell cd src && find . -name '*.srt' | sed 's|^\\./||')
OUTS := $(addprefix out/,$(SRCS))
all: $(OUTS)
out/%.srt: src/%.srt
\t@mkdir -p $(dir $@)
\t@{python} {script} $< $@
"""


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command run to completion."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err}")
    return wall, usage.ru_maxrss / 1024


def srtbuild(*args: str) -> list[str]:
    return [sys.executable, "-m", "srtbuild", "batch", "src", "out", "-q", *args]


def make_cmd() -> list[str]:
    return ["make", "-s", "-j2", "-f", "Makefile"]


def write_makefile(folder: Path) -> None:
    (folder / "Makefile").write_text(MAKEFILE.format(python=sys.executable, script=HERE / "pysrt_one.py"))


def full_build(root: Path, files: int, cues: int) -> None:
    folder = root / "full"
    make_corpus(folder / "src", files, cues)
    write_makefile(folder)
    print(f"full build: {files} files x {cues} cues, srtbuild at its default -j ({available_cpus()} CPUs)")
    make_s, _ = timed(make_cmd(), folder)
    shutil.rmtree(folder / "out")
    ours_s, ours_mb = timed(srtbuild(), folder)
    print(f"  make -j2 + pysrt per file (baseline) {make_s:8.2f} s  {files / make_s * 60:9.0f} files/min")
    print(f"  srtbuild batch                       {ours_s:8.2f} s  {files / ours_s * 60:9.0f} files/min"
          f"  {make_s / ours_s:5.2f}x make's speed  (peak RSS {ours_mb:.0f} MB)")


def incremental(root: Path, size: int) -> None:
    folder = root / f"n{size}"
    paths = make_corpus(folder / "src", size, 12)
    write_makefile(folder)
    t0 = time.perf_counter()
    timed(srtbuild("-j", "2"), folder)
    first = time.perf_counter() - t0
    # make's outputs for the no-op comparison: copies, newer than their sources.
    for p in paths:
        out = folder / "out_make" / p.relative_to(folder / "src")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, out)
    mk = folder / "Makefile"
    mk.write_text(mk.read_text().replace("out/", "out_make/"))
    make_noop = min(timed(make_cmd(), folder)[0] for _ in range(3))
    noops = [timed(srtbuild(), folder) for _ in range(3)]
    noop = min(s for s, _ in noops)
    noop_mb = max(mb for _, mb in noops)
    victim = paths[len(paths) // 2]
    victim.write_text(victim.read_text() + "\n9999\n09:00:00,000 --> 09:00:02,000\nthe end\n")
    one, one_mb = timed(srtbuild(), folder)
    print(f"{size} files ({first:.1f} s to build first):")
    print(f"  no-op: srtbuild {noop:6.2f} s (peak RSS {noop_mb:.0f} MB); make {make_noop:6.2f} s; "
          f"srtbuild/make {noop / make_noop:5.1f}")
    print(f"  one file changed: srtbuild {one:6.2f} s (peak RSS {one_mb:.0f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--cues", type=int, default=800)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--keep", help="build in this folder and keep it (default: a temporary one)")
    args = ap.parse_args()
    if not shutil.which("make"):
        raise SystemExit("make is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        root.mkdir(parents=True, exist_ok=True)
        if args.files:
            full_build(root, args.files, args.cues)
        for size in args.sizes:
            incremental(root, size)


if __name__ == "__main__":
    main()
