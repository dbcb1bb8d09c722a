"""The optional compiled helpers, and the one switch that turns them all off.

Each helper (`srtbuild.rules._dp`, `srtbuild.reports._rows`) is C built at install when a
compiler is there, and each has a pure-Python twin that stays the reference: the same
results, tested both ways. Without the module, or with SRTBUILD_PURE_PYTHON set to
anything but "" or "0", the twins run.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def load(name: str) -> ModuleType | None:
    """The compiled module `name`, or None when it is not built or is switched off."""
    if os.environ.get("SRTBUILD_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
