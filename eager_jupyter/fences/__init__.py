"""The fence / prose filter for model output (feed/finish, pure): which text of a Markdown reply is
the Python block to run and which is prose to show. ``filter.py`` is the filter (its docstring says
the rules), ``lines.py`` what each line of a reply is."""

from __future__ import annotations

from .filter import FenceFilter, split_reply
from .lines import PYTHON_LANGUAGES, Segment, SegmentKind, Withdrawal, looks_like_python

__all__ = [
    "PYTHON_LANGUAGES",
    "FenceFilter",
    "Segment",
    "SegmentKind",
    "Withdrawal",
    "looks_like_python",
    "split_reply",
]
