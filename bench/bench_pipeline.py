"""Single-process throughput of the reader+writer and the full default pipeline, in cues a
second, against pysrt's own open+save of the same files measured in the same run.

    python bench/bench_pipeline.py [--files 200] [--cues 800] [--corpus DIR ...]
                                   [--scaling] [--glossary] [--repeat 3]

1. The generated corpus (FILES lecture-like files of CUES cues each).
2. Each `--corpus DIR`: the real files under it (recursively) that pysrt can also open,
   so that both sides do the same files.
3. `--scaling`: the full pipeline's cost per cue for files of 100 to 100,000 cues, and
   per character for cues whose text is 40 to 40,000 characters long. A row more than 2x
   the smallest size's is marked: some rule, check or reader path grows faster than the
   input.
4. `--glossary`: the cost of a glossary of 0, 100, 1,000 and 10,000 terms.

Prints numbers and ratios; passes or fails nothing.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import lecture, make_corpus  # noqa: E402

from srtbuild.config import Settings  # noqa: E402
from srtbuild.processor import correct  # noqa: E402
from srtbuild.rules.registry import defaults  # noqa: E402
from srtbuild.subtitles import compose, encode, read_bytes  # noqa: E402


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _measure(title: str, files: list[tuple[Path, bytes, str]], out: Path, repeat: int) -> None:
    """The three measurements on `files` ((path, bytes, encoding)), printed as a table."""
    import pysrt

    settings = Settings()
    total_cues = sum(len(read_bytes(data, str(p)).cues) for p, data, _ in files)

    def pysrt_open_save():
        for p, _, enc in files:
            pysrt.open(str(p), encoding=enc).save(str(out), encoding="utf-8")

    def ours_read_write():
        for p, _, _ in files:
            out.write_bytes(encode(compose(read_bytes(p.read_bytes(), str(p)).cues)))

    def ours_pipeline():
        for p, _, _ in files:
            out.write_bytes(correct(p.read_bytes(), settings, str(p))[0])

    base = _best(pysrt_open_save, repeat)
    rows = [("pysrt open+save (baseline)", base), ("srtbuild reader+writer", _best(ours_read_write, repeat)),
            ("srtbuild full default pipeline", _best(ours_pipeline, repeat))]
    print(f"\n{title}: {len(files)} files, {total_cues:,} cues (best of {repeat})")
    for name, secs in rows:
        print(f"  {name:32s} {secs:7.3f} s  {total_cues / secs:10,.0f} cues/s  {base / secs:5.2f}x baseline")


def _real_files(folder: Path) -> list[tuple[Path, bytes, str]]:
    """The subtitle files under `folder` that both pysrt and srtbuild read (pysrt gets the
    encoding our reader found: it has no detection of its own)."""
    import pysrt

    found = []
    for p in sorted(folder.rglob("*.srt")):
        data = p.read_bytes()
        try:
            doc = read_bytes(data, str(p))
            pysrt.open(str(p), encoding=doc.encoding, error_handling=pysrt.ERROR_RAISE)
        except Exception:  # noqa: BLE001 - a file either side refuses is left out of both
            continue
        if doc.cues:
            found.append((p, data, doc.encoding))
    return found


def _time_pipeline(data: bytes, settings: Settings, repeat: int) -> float:
    return _best(lambda: correct(data, settings, "bench.srt"), repeat)


def _scaling(repeat: int) -> None:
    settings = Settings()
    print("\nscaling, full default pipeline (a row over 2x the first is marked !)")
    print(f"  {'cues':>8s} {'seconds':>9s} {'us/cue':>8s}")
    first = None
    for cues in (100, 1_000, 10_000, 100_000):
        data = lecture(7, cues).encode("utf-8")
        secs = _time_pipeline(data, settings, repeat if cues < 100_000 else 1)
        per = secs / cues * 1e6
        first = first or per
        print(f"  {cues:8,d} {secs:9.3f} {per:8.1f}{'  !' if per > 2 * first else ''}")
    print(f"  {'line chars':>10s} {'cues':>6s} {'seconds':>9s} {'us/char':>8s}")
    first = None
    words = lecture(3, 4_000).split()
    words = [w for w in words if w[0].isalpha()]
    total = 400_000  # characters in each file: the cue length changes, the text does not
    for length in (40, 400, 4_000, 40_000):
        rng = random.Random(length)
        parts, t = [], 0
        for i in range(total // length):
            text, k = "", rng.randrange(len(words))
            while len(text) < length:
                text += words[k % len(words)] + " "
                k += 1
            # Read at 15 characters a second: a long text is long in time as well.
            dur = max(1000, length * 1000 // 15)
            parts.append(f"{i + 1}\n{_stamp(t)} --> {_stamp(t + dur)}\n{text[:length].strip()}\n")
            t += dur + 200
        data = "\n".join(parts).encode("utf-8")
        secs = _time_pipeline(data, settings, repeat)
        per = secs / total * 1e6
        first = first or per
        print(f"  {length:10,d} {total // length:6,d} {secs:9.3f} {per:8.2f}{'  !' if per > 2 * first else ''}")


def _stamp(ms: int) -> str:
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def _glossary(repeat: int) -> None:
    """Cost of a glossary of N terms on the same files (the terms are made-up phrases of
    one to three words, and a few real ones the text contains)."""
    data = [lecture(n, 800).encode("utf-8") for n in range(5)]
    rng = random.Random(1)
    letters = "abcdefghijklmnopqrstuvwxyz"
    print("\nglossary size against no glossary (5 files x 800 cues)")
    base = None
    for size in (0, 100, 1_000, 10_000):
        settings = Settings()
        terms: dict[str, list[str]] = {"Bhagavad Gita": ["bhagwad gita"], "Schrödinger": ["schrodinger"]}
        while len(terms) < size:
            phrase = " ".join("".join(rng.choice(letters) for _ in range(rng.randint(3, 9)))
                              for _ in range(rng.randint(1, 3)))
            terms[phrase.title()] = [phrase]
        if size:
            options = defaults("glossary")
            options["terms"] = terms
            settings.pipeline = [(n, options if n == "glossary" else o) for n, o in settings.pipeline]
        secs = _best(lambda: [correct(d, settings, "bench.srt") for d in data], repeat)
        base = base or secs
        print(f"  {size:6,d} terms {secs:7.3f} s  {secs / base:5.2f}x no glossary")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=200, help="generated files (default 200; 0: none)")
    ap.add_argument("--cues", type=int, default=800, help="cues in each generated file (default 800)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best is kept (default 3)")
    ap.add_argument("--corpus", type=Path, action="append", default=[], metavar="DIR",
                    help="a folder of real subtitle files to measure as well (repeatable)")
    ap.add_argument("--scaling", action="store_true", help="print the scaling tables")
    ap.add_argument("--glossary", action="store_true", help="print the glossary-size table")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = root / "out.srt"
        if args.files:
            paths = make_corpus(root / "src", args.files, args.cues)
            _measure(f"generated corpus ({args.files} x {args.cues} cues)",
                     [(p, p.read_bytes(), "utf-8") for p in paths], out, args.repeat)
        for folder in args.corpus:
            files = _real_files(folder)
            left_out = sum(1 for _ in folder.rglob("*.srt")) - len(files)
            _measure(f"real files under {folder}" + (f" ({left_out} left out: pysrt or srtbuild cannot read them)"
                                                     if left_out else ""), files, out, args.repeat)
    if args.scaling:
        _scaling(args.repeat)
    if args.glossary:
        _glossary(args.repeat)


if __name__ == "__main__":
    main()
