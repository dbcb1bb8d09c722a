"""The optional C helper of the rules (srtbuild/rules/_dp.c); everything else is in
pyproject.toml. Without a compiler the extension is skipped and srtbuild runs its
pure-Python twins (srtbuild.rules.accel)."""

import sys

from setuptools import Extension, setup

# No fused multiply-add: the C code must round exactly as the Python it mirrors.
flags = [] if sys.platform == "win32" else ["-O2", "-ffp-contract=off"]

setup(ext_modules=[Extension("srtbuild.rules._dp", ["srtbuild/rules/_dp.c"], optional=True, extra_compile_args=flags)])
