"""Every report of a large collection, timed: the report step and each export and CI format.

    python bench/bench_reports.py [--files 10000] [--keep DIR]

Builds FILES short lecture-like files with `srtbuild batch` (once; `--keep DIR` keeps
the build for the next call), then times, in this process:

1. the report step as a run that changed nothing does it (every sidecar cached), and
   as the first run after the cache was lost (every sidecar read, once): report.json,
   report.csv, summary.txt, report.html and the cache;
2. the exports (`--export-format` json, csv, md, html) and the CI formats (github with
   `--annotate warnings`, gitlab, junit), each made from the written report.

Also prints how often a sidecar was read by the cold report step (at most once each),
and the size of each file written. Prints numbers; passes or fails nothing.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import make_corpus  # noqa: E402

from srtbuild.confined import OutputRoot  # noqa: E402
from srtbuild.engine.batch import BatchOptions, make_build  # noqa: E402
from srtbuild.names import STATE_DIR  # noqa: E402
from srtbuild.reports import ci  # noqa: E402
from srtbuild.reports.export import export_text  # noqa: E402
from srtbuild.reports.report import CACHE_NAME, REPORT_FILES, write_reports  # noqa: E402


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--keep", help="build in this folder and keep it (default: a temporary one)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        src, out = root / "src", root / "out"
        make_corpus(src, args.files, 12)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "srtbuild", "batch", str(src), str(out), "-q"], check=False)
        print(f"{args.files:,} files built or brought up to date in {time.perf_counter() - t:.1f} s")
        build = make_build(BatchOptions(input=str(src), output=str(out)))
        run = build.run()
        state = OutputRoot(out)

        reads: collections.Counter[str] = collections.Counter()
        original = OutputRoot.read

        def counting(self, rel, *rest):  # noqa: ANN001 - a wrapper of OutputRoot.read
            if rel.startswith(f"{STATE_DIR}/metrics/"):
                reads[rel] += 1
            return original(self, rel, *rest)

        state.unlink(f"{STATE_DIR}/{CACHE_NAME}")
        OutputRoot.read = counting  # type: ignore[method-assign]
        try:
            cold = _timed(lambda: write_reports(run, lambda w: None))
        finally:
            OutputRoot.read = original  # type: ignore[method-assign]
        warm = min(_timed(lambda: write_reports(run, lambda w: None)) for _ in range(3))
        print(f"\nreport step, {args.files:,} files (all four reports and the cache):")
        print(f"  every sidecar cached (a run that changed nothing) {warm:7.3f} s")
        print(f"  no cache (every sidecar read)                     {cold:7.3f} s  "
              f"({len(reads):,} sidecars read, at most {max(reads.values(), default=0)} time(s) each)")
        for name in (*REPORT_FILES, CACHE_NAME):
            st = state.stat(f"{STATE_DIR}/{name}")
            print(f"    {name:16s} {st.st_size / 1e6 if st else 0:7.2f} MB")

        print("\nfrom the written report:")
        for fmt in ("json", "csv", "md", "html"):
            size = [0]
            secs = _timed(lambda: size.__setitem__(0, len(export_text(out, fmt, build.settings.report).encode())))
            print(f"  --export-format {fmt:6s}          {secs:7.3f} s  {size[0] / 1e6:7.2f} MB")
        import json

        for fmt in ("github", "gitlab", "junit"):
            size = [0]

            def made() -> None:
                report = json.loads(state.read(f"{STATE_DIR}/report.json"))
                size[0] = len(ci.render(fmt, report, os.getcwd(), warnings=True).encode())

            secs = _timed(made)
            print(f"  --format {fmt:6s} --annotate warnings {secs:7.3f} s  {size[0] / 1e6:7.2f} MB")


if __name__ == "__main__":
    main()
