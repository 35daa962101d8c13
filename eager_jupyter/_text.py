"""Small text helpers shared by the terminal runner and the model prompt."""

from __future__ import annotations

import re

__all__ = ["strip_ansi"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour and cursor sequences (IPython's tracebacks carry them)."""
    return _ANSI.sub("", text)
