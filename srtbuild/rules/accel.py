"""The optional compiled helper of the rules (see srtbuild.compiled).

`srtbuild.rules._dp` runs the dynamic programmes of `split` and `wrap`, the two places
where cue shaping loops over pairs of words; each has a pure-Python twin.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

from srtbuild.compiled import load

dp: ModuleType | None = load("srtbuild.rules._dp")


def compiled(name: str, twin: Callable[..., Any], *args: Any) -> Any:
    """`dp.<name>(*args)` when the helper is there and the numbers are in its range (it
    raises OverflowError past them), else its Python twin with the same arguments."""
    if dp is not None:
        try:
            return getattr(dp, name)(*args)
        except OverflowError:
            pass
    return twin(*args)
