"""Offline sources: a text streamed at a token rate, and a recorded trace with its real timing.

How a text is cut into tokens (``split_tokens``): roughly as a BPE tokenizer would, so that rates in
tokens/s compare with a model's. Spaces and tabs attach to the token after them; a word is cut every
8 characters, a number every 3 digits, punctuation every 2 characters, and a newline is its own token.
Python source averages about 3.5 characters a token this way (measured on the standard library),
close to what Claude's tokenizer gives for code.

Pacing: token ``i`` is released at ``ttft + i / rate`` seconds after ``stream()`` starts, against the
clock, not by sleeping a fixed step, so a slow consumer does not stretch the timeline. ``close()`` wakes
a sleeping replay at once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ..trace import Trace, read_trace
from .base import SourceKind

__all__ = ["ReplaySource", "TraceSource", "split_tokens"]

_TOKEN = re.compile(r"[ \t]*(?:[^\W\d_]\w{0,7}|\d{1,3}|[^\w\s]{1,2}|\r?\n|\w)|\s")


def split_tokens(text: str) -> list[str]:
    """Cut ``text`` into model-like tokens; ``"".join(split_tokens(t)) == t`` always."""
    tokens = _TOKEN.findall(text)
    assert "".join(tokens) == text
    return tokens


class _Pacer:
    """Sleeps until a deadline unless closed; shared by both replay sources."""

    def __init__(self) -> None:
        self._closed = threading.Event()
        self._start = 0.0

    def begin(self) -> None:
        self._start = time.perf_counter()

    def wait_until(self, offset: float) -> bool:
        """Sleep until ``offset`` seconds after ``begin``; False if closed meanwhile."""
        delay = self._start + offset - time.perf_counter()
        if delay > 0:
            return not self._closed.wait(delay)
        return not self._closed.is_set()

    def close(self) -> None:
        self._closed.set()


class ReplaySource:
    """Streams a text (a file, or a cell's own body) as if a model were writing it."""

    kind: SourceKind

    def __init__(
        self,
        text: str,
        rate: float = 60.0,
        ttft: float = 0.0,
        *,
        name: str | None = None,
        kind: SourceKind = "code",
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive (tokens per second), not {rate}")
        if ttft < 0:
            raise ValueError(f"ttft must not be negative, not {ttft}")
        self.text = text
        self.rate = rate
        self.ttft = ttft
        self.kind = kind
        self.model: str | None = None
        self.usage: dict[str, int] = {}
        self.label = f"replay {name + ' ' if name else ''}at {rate:g} tok/s"
        self._pacer = _Pacer()

    @classmethod
    def from_file(cls, path: str | Path, rate: float = 60.0, ttft: float = 0.0) -> ReplaySource:
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        kind: SourceKind = "markdown" if path.suffix.lower() in (".md", ".markdown") else "code"
        return cls(text, rate, ttft, name=path.name, kind=kind)

    def stream(self) -> Iterator[str]:
        tokens = split_tokens(self.text)
        self._pacer.begin()
        for i, token in enumerate(tokens):
            if not self._pacer.wait_until(self.ttft + i / self.rate):
                return
            yield token
        self.usage = {"output_tokens": len(tokens)}

    def close(self) -> None:
        self._pacer.close()


class TraceSource:
    """Replays a recorded trace (see ``eager_jupyter.trace``) with its real timing.

    ``speed`` scales time (2.0 replays twice as fast).
    """

    kind: SourceKind

    def __init__(self, trace: Trace, *, name: str | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, not {speed}")
        self.trace = trace
        self.speed = speed
        self.kind = "markdown" if trace.kind == "markdown" else "code"
        model = trace.header.get("model")
        self.model = str(model) if model else None
        self.usage: dict[str, int] = {}
        origin = trace.header.get("origin", "recorded")
        self.label = f"trace {name or ''} ({origin})".replace("  ", " ")
        self._pacer = _Pacer()

    @classmethod
    def from_file(cls, path: str | Path, speed: float = 1.0) -> TraceSource:
        return cls(read_trace(path), name=Path(path).name, speed=speed)

    def stream(self) -> Iterator[str]:
        self._pacer.begin()
        for t, text in self.trace.pieces:
            if not self._pacer.wait_until(t / self.speed):
                return
            yield text
        if self.trace.end:
            usage = self.trace.end.get("usage")
            if isinstance(usage, dict):
                self.usage = {str(k): int(v) for k, v in usage.items() if isinstance(v, int)}

    def close(self) -> None:
        self._pacer.close()
