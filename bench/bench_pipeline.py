"""Single-process throughput of the reader+writer and the full default pipeline, in cues a
second, against pysrt's own open+save of the same files measured in the same run.

    python bench/bench_pipeline.py [--files 200] [--cues 800]

Prints numbers and ratios; passes or fails nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import make_corpus  # noqa: E402

from srtbuild.config import Settings  # noqa: E402
from srtbuild.processor import correct  # noqa: E402
from srtbuild.subtitles import compose, encode, read_bytes  # noqa: E402


def _timed(fn, paths: list[Path], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(paths)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--cues", type=int, default=800)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import pysrt

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = make_corpus(root / "src", args.files, args.cues)
        out = root / "out.srt"
        data = {p: p.read_bytes() for p in paths}
        total_cues = sum(len(read_bytes(d).cues) for d in data.values())
        settings = Settings()

        def pysrt_open_save(ps):
            for p in ps:
                pysrt.open(str(p), encoding="utf-8").save(str(out), encoding="utf-8")

        def ours_read_write(ps):
            for p in ps:
                out.write_bytes(encode(compose(read_bytes(p.read_bytes(), str(p)).cues)))

        def ours_pipeline(ps):
            for p in ps:
                out.write_bytes(correct(p.read_bytes(), settings, str(p))[0])

        base = _timed(pysrt_open_save, paths, args.repeat)
        rw = _timed(ours_read_write, paths, args.repeat)
        full = _timed(ours_pipeline, paths, args.repeat)
        print(f"corpus: {args.files} files x {args.cues} cues = {total_cues} cues (best of {args.repeat})")
        rows = [("pysrt open+save (baseline)", base), ("srtbuild reader+writer", rw), ("srtbuild full default pipeline", full)]
        for name, secs in rows:
            print(f"{name:34s} {secs:7.2f} s  {total_cues / secs:10,.0f} cues/s  {base / secs:5.2f}x baseline")


if __name__ == "__main__":
    main()
