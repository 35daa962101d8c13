"""The statistics and number formats the benchmark reports share (``report``, ``agent_report``).

Every figure may be missing (a run that failed, a pair without a serial run): the statistics skip
``None`` and say ``None`` when nothing is left; the formats print ``-`` for it.

To validate a change: ``pytest tests/test_bench.py tests/test_bench_agent.py``.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable

__all__ = ["largest", "median", "ms", "pct", "reduction", "secs", "smallest"]


def reduction(new: float, old: float) -> float | None:
    """``(new - old) / old``: negative when ``new`` is smaller (a latency reduction)."""
    return (new - old) / old if old > 0 else None


def median(values: Iterable[float | None]) -> float | None:
    items = [v for v in values if v is not None]
    return statistics.median(items) if items else None


def smallest(values: Iterable[float | None]) -> float | None:
    return min((v for v in values if v is not None), default=None)


def largest(values: Iterable[float | None]) -> float | None:
    return max((v for v in values if v is not None), default=None)


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:+.1f} %"


def secs(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def ms(x: float | None) -> str:
    return "-" if x is None else f"{1000 * x:.2f} ms"
