"""The optional C helpers (srtbuild/rules/_dp.c, srtbuild/reports/_rows.c); everything
else is in pyproject.toml. Without a compiler the extensions are skipped and srtbuild
runs their pure-Python twins (srtbuild.compiled)."""

import sys

from setuptools import Extension, setup

# No fused multiply-add: the C code must round exactly as the Python it mirrors.
flags = [] if sys.platform == "win32" else ["-O2", "-ffp-contract=off"]

setup(ext_modules=[
    Extension("srtbuild.rules._dp", ["srtbuild/rules/_dp.c"], optional=True, extra_compile_args=flags),
    Extension("srtbuild.reports._rows", ["srtbuild/reports/_rows.c"], optional=True, extra_compile_args=flags),
])
