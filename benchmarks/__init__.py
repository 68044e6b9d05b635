"""Reproducible benchmarks: `make bench` (or `python -m benchmarks`) writes JSON results."""
