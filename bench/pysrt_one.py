"""The make baseline's per-file step: what a hand-rolled pipeline does with pysrt.

    python bench/pysrt_one.py SOURCE OUTPUT

Reads the file with pysrt, strips each cue's text, drops empty cues, renumbers and saves.
"""

import sys

import pysrt

subs = pysrt.open(sys.argv[1], encoding="utf-8")
kept = pysrt.SubRipFile([s for s in subs if s.text.strip()])
for i, item in enumerate(kept, 1):
    item.index = i
    item.text = item.text.strip()
kept.save(sys.argv[2], encoding="utf-8")
