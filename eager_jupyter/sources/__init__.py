"""Where model output comes from. Every source implements :class:`Source`; see ``base``."""

from __future__ import annotations

from .base import Source, SourceError
from .replay import ReplaySource, TraceSource, split_tokens

__all__ = ["ReplaySource", "Source", "SourceError", "TraceSource", "split_tokens"]
