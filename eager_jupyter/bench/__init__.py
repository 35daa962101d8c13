"""Benchmarks: scripts that print figures (run with `python -m eager_jupyter.bench.<name>`).

The latency benchmark itself is ``main`` here: ``eager-jupyter bench`` (or ``python -m
eager_jupyter.bench``) runs the task corpus (``tasks/``) in fresh kernels in three modes (serial,
eager, eager with the gate off) at several token rates, and writes JSON, a Markdown table and PNG
plots. Its modules: ``corpus`` (the tasks), ``runner`` (one run in one kernel), ``report`` (rows ->
summary, JSON, Markdown), ``plots`` (PNGs), ``cli`` (arguments). ``eager-jupyter bench --revisions``
replays the written revision traces (``revision_traces``) instead, for each revision window and
``on_revision`` policy against serial (``revision_runs``). ``eager-jupyter bench --agent`` replays the
written agent episodes of ``episodes/`` (``agent_runs``: runs, rows, the episode's bound;
``agent_report``: summary, JSON, Markdown, a PNG).
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the latency benchmark; ``argv`` as on the command line after ``bench``."""
    from .cli import main as _main

    return _main(argv)
