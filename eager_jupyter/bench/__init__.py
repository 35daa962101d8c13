"""Benchmarks: scripts that print figures (run with `python -m eager_jupyter.bench.<name>`)."""
