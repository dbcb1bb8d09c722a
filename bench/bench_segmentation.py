"""How `wrap` and `split` scale with the length of a cue's text, and a keynote transcript
with lines of thousands of characters through the whole default pipeline.

    python bench/bench_segmentation.py [--repeat 5]

For each length the best of `repeat` runs, in milliseconds, and the cost per 1,000
characters: a rule that is linear in the text keeps that column flat. The baseline for
the pipeline row is the reader and writer alone on the same file, in the same run.
Prints numbers and ratios; passes or fails nothing.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from srtbuild.config import Settings  # noqa: E402
from srtbuild.processor import correct  # noqa: E402
from srtbuild.rules.base import Context  # noqa: E402
from srtbuild.rules.registry import RULES, defaults  # noqa: E402
from srtbuild.rules.wrap import wrap_text  # noqa: E402
from srtbuild.subtitles import Cue, compose, encode, read_bytes  # noqa: E402

WORDS = ("the model learns a representation of the input and then we look at why it works, "
         "because attention is all you need. so this is the part where it gets interesting").split()


def text_of(chars: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    out, size = [], 0
    while size < chars:
        word = rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:chars].rstrip()


def best_ms(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def split_once(text: str) -> None:
    RULES["split"].apply([Cue(0, 3_600_000, text)], defaults("split"), Context())


def keynote(cues: int = 63, longest: int = 8297) -> bytes:
    """A talk transcribed as a few dozen paragraph-long cues, as some tools export it."""
    rng = random.Random(7)
    out, t = [], 0
    for i in range(cues):
        length = longest if i % 9 == 0 else rng.randint(300, 3000)
        duration = max(2000, length * 60)
        out.append(Cue(t, t + duration, text_of(length, seed=i)))
        t += duration + 200
    return encode(compose(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'characters':>11} {'wrap ms':>9} {'ms/1k chars':>12} {'split ms':>9} {'ms/1k chars':>12}")
    for chars in (100, 1_000, 10_000, 100_000):
        text = text_of(chars)
        w = best_ms(lambda: wrap_text(text, 42, 2), args.repeat)
        s = best_ms(lambda: split_once(text), args.repeat)
        print(f"{chars:>11,} {w:>9.2f} {w * 1000 / chars:>12.3f} {s:>9.2f} {s * 1000 / chars:>12.3f}")

    data = keynote()
    settings = Settings()
    base = best_ms(lambda: encode(compose(read_bytes(data, "keynote.srt").cues)), args.repeat)
    full = best_ms(lambda: correct(data, settings, "keynote.srt"), args.repeat)
    out, fields = correct(data, settings, "keynote.srt")
    print(f"\nkeynote transcript: 63 cues, {len(data):,} bytes, lines up to 8,297 characters")
    print(f"  reader+writer {base:8.1f} ms")
    print(f"  full pipeline {full:8.1f} ms  ({full / base:.1f}x reader+writer), "
          f"{fields['segments_before']} -> {fields['segments']} cues, "
          f"line_length {fields['checks_before']['line_length']} -> {fields['checks_after']['line_length']}, "
          f"too_many_lines {fields['checks_after']['too_many_lines']} after")


if __name__ == "__main__":
    main()
