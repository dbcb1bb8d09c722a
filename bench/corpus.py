"""Deterministic lecture-like SRT files for benchmarks: ASR-style text with typical errors."""

from __future__ import annotations

import random
from pathlib import Path

_WORDS = (
    "the of and to in is that we this it for on with as are be so what you can at by an "
    "energy system function value model equation lecture point question idea example case "
    "force mass time space number theory data result problem method student reason world "
    "look think know mean see say take make give find show call move work change start"
).split()
_NOISE = ["um,", "uh", "the the", "i think", "bhagwad gita", "schrodinger", "e.g.", "...", "--"]


def _stamp(ms: int) -> str:
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def lecture(seed: int, cues: int) -> str:
    rng = random.Random(seed)
    parts = []
    t = rng.randint(0, 3000)
    for i in range(1, cues + 1):
        # Typical lecture captions: 5-13 words, two lines when over 42 characters; about
        # one cue in five carries a transcript error.
        words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 13))]
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), rng.choice(_NOISE))
        text = " ".join(words)
        if rng.random() < 0.3:
            text += "."
        if len(text) > 42 and rng.random() < 0.8:
            cut = text.find(" ", len(text) // 2)
            if cut > 0:
                text = text[:cut] + "\n" + text[cut + 1:]
        duration = rng.randint(300, 4500)
        gap = rng.choice((0, 40, 120, 400, -50))
        parts.append(f"{i}\n{_stamp(t)} --> {_stamp(t + duration)}\n{text}\n")
        t = max(0, t + duration + gap)
    return "\n".join(parts)


def make_corpus(folder: Path, files: int, cues: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(files):
        path = folder / f"course{n // 50:02d}" / f"lecture{n:05d}.srt"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(lecture(n, cues), encoding="utf-8")
        paths.append(path)
    return paths
