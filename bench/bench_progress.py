"""What the progress display costs: the same full build with and without it, in one run.

    python bench/bench_progress.py [--files 120] [--cues 800] [--runs 5] [--interval 0.5]

Each round builds the same generated corpus from scratch (`srtbuild batch --force`) four
ways, in turn so that a slow moment of the machine hits them alike:
  quiet  `-q`: errors only, no display (the baseline);
  live   the live block, redrawn every INTERVAL s, on a pseudo-terminal (what a person sees);
  plain  the log lines, through a pipe (what CI sees);
  json   `--progress json`, through a pipe.
Prints the median and the spread of wall and CPU time (the process and its children) of
each, and each display's cost against the baseline. Passes or fails nothing.
"""

from __future__ import annotations

import argparse
import os
import pty
import resource
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import make_corpus  # noqa: E402

MODES = {
    "quiet": ["-q"],
    "live": ["--progress", "live"],
    "plain": ["--progress", "plain"],
    "json": ["--progress", "json"],
}


def run(mode: str, cwd: Path, jobs: int, interval: float) -> tuple[float, float, int]:
    """Wall and CPU seconds of one build, and how many bytes it wrote to stderr."""
    cmd = [sys.executable, "-m", "srtbuild", "batch", "src", "out", "--force", "-j", str(jobs),
           "--progress-interval", str(interval), *MODES[mode]]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    if mode == "live":
        master, slave = pty.openpty()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=slave, env={**os.environ,
                                "TERM": "xterm"})
        os.close(slave)
        seen = 0
        while True:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 1 << 16)
                except OSError:
                    break
                if not data:
                    break
                seen += len(data)
            elif proc.poll() is not None:
                break
        proc.wait()
        os.close(master)
    else:
        done = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen = len(done.stderr)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=120)
    parser.add_argument("--cues", type=int, default=800)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--interval", type=float, default=0.5, help="redraw interval of the live block")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_corpus(root / "src", args.files, args.cues)
        run("quiet", root, args.jobs, args.interval)  # warm the page cache and the state
        times: dict[str, list[tuple[float, float, int]]] = {m: [] for m in MODES}
        for _ in range(args.runs):
            for mode in MODES:
                times[mode].append(run(mode, root, args.jobs, args.interval))
    base_wall = statistics.median(w for w, _, _ in times["quiet"])
    base_cpu = statistics.median(c for _, c, _ in times["quiet"])
    print(f"{args.files} files x {args.cues} cues, -j {args.jobs}, redraw every {args.interval} s, "
          f"{args.runs} runs each (median, min-max)")
    print(f"{'mode':6} {'wall s':>20} {'cpu s':>20} {'stderr':>9} {'wall cost':>10} {'cpu cost':>9}")
    for mode, runs in times.items():
        walls = [w for w, _, _ in runs]
        cpus = [c for _, c, _ in runs]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(f"{mode:6} {wall:8.2f} ({min(walls):.2f}-{max(walls):.2f}) {cpu:8.2f} ({min(cpus):.2f}-{max(cpus):.2f}) "
              f"{statistics.median(s for _, _, s in runs):9,.0f} {100 * (wall / base_wall - 1):+9.1f}% "
              f"{100 * (cpu / base_cpu - 1):+8.1f}%")


if __name__ == "__main__":
    main()
