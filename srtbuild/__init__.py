"""srtbuild: a Make-style incremental build system for subtitle collections."""

__version__ = "0.3.0"
