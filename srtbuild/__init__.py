"""srtbuild: a Make-style incremental build system for subtitle collections."""

__version__ = "0.2.0"
