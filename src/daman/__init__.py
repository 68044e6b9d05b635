"""Daman: open software for running a national mandatory health insurance fund."""

__version__ = "0.1.0"
