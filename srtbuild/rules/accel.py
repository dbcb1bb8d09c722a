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
from typing import Any, Callable


def _load() -> ModuleType | None:
    if os.environ.get("SRTBUILD_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from srtbuild.rules import _dp
    except ImportError:
        return None
    return _dp


dp: ModuleType | None = _load()


def compiled(name: str, twin: Callable[..., Any], *args: Any) -> Any:
    """`dp.<name>(*args)` when the helper is there and the numbers are in its range (it
    raises OverflowError past them), else its Python twin with the same arguments."""
    if dp is not None:
        try:
            return getattr(dp, name)(*args)
        except OverflowError:
            pass
    return twin(*args)
