"""Correction rules: one module per family, an explicit registry in `registry`."""
