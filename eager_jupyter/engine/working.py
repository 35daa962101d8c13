"""The engine's own working state of a statement, and what a failed round hands back. Shared by
``engine.py`` and its parts (``endings.py``, ``episodes.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..executor import Prepared

__all__ = ["Failure", "Statement"]


@dataclass
class Statement:
    """The engine's own view of a released statement (the record is its output, not its state)."""

    code: str
    start_line: int
    line: int  # where the statement itself begins (after blank and comment lines)
    prepared: Prepared | None = None
    ran: bool = False


Failure = tuple[int, BaseException, str]  # statement index, its exception, its traceback as text
