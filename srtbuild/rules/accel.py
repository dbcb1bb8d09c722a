"""The optional compiled helpers of the rules, and the switch that turns them off.

`srtbuild.rules._dp` (C, built at install when a compiler is there) runs the dynamic
programmes of `split` and `wrap`, the two places where cue shaping loops over pairs of
words. Each has a pure-Python twin that stays the reference: the same results, tested
both ways. Without the module, or with SRTBUILD_PURE_PYTHON set to anything but "" or
"0", the Python twins run.
"""

from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("SRTBUILD_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from srtbuild.rules import _dp
    except ImportError:
        return None
    return _dp


dp: ModuleType | None = _load()
