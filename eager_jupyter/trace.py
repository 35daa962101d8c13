"""The recorded-stream format: pieces of model output with their timestamps (JSON Lines).

A trace replays a real session offline with its real timing (``%%eager --replay-trace FILE``); the
Anthropic source writes one with ``--record FILE``. One JSON object per line::

    {"eager_trace": 1, "kind": "markdown", "source": "anthropic", "model": "...", "request": "...",
     "recorded": "2026-11-22T10:00:00Z", "origin": "recorded"}
    {"t": 0.412, "text": "Here is the code:\\n```python\\n"}
    {"t": 0.431, "text": "import pandas"}
    ...
    {"end": 3.207, "usage": {"input_tokens": 812, "output_tokens": 240}, "stop_reason": "end_turn"}

- The header comes first. ``kind`` is ``"code"`` (the text is Python, as from a file) or
  ``"markdown"`` (a model's reply: the fence filter picks the code out). ``origin`` says honestly where
  the trace comes from: ``"recorded"`` from a model, ``"written"`` by hand. Other keys are free.
- ``t`` is seconds since the request was made; pieces are in order and ``t`` never decreases.
- The ``end`` line is optional (a trace cut short by an error or an interrupt has none).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = ["Trace", "TraceError", "TraceWriter", "read_trace"]

FORMAT_VERSION = 1


class TraceError(ValueError):
    """A trace file is not in the format above; the message names the file and the line."""


@dataclass
class Trace:
    header: dict[str, Any]
    pieces: list[tuple[float, str]]
    end: dict[str, Any] | None = None

    @property
    def kind(self) -> str:
        return str(self.header.get("kind", "code"))

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.pieces)


def read_trace(path: str | Path) -> Trace:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise TraceError(f"cannot read trace {path}: {error.strerror or error}") from None
    return parse_trace(lines, name=str(path))


def parse_trace(lines: Iterable[str], name: str = "<trace>") -> Trace:
    header: dict[str, Any] | None = None
    pieces: list[tuple[float, str]] = []
    end: dict[str, Any] | None = None
    last_t = 0.0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as error:
            raise TraceError(f"{name}, line {number}: not JSON ({error.msg})") from None
        if not isinstance(obj, dict):
            raise TraceError(f"{name}, line {number}: expected a JSON object")
        if header is None:
            if obj.get("eager_trace") != FORMAT_VERSION:
                raise TraceError(
                    f"{name}, line {number}: first line must be a header with "
                    f'"eager_trace": {FORMAT_VERSION}'
                )
            if obj.get("kind", "code") not in ("code", "markdown"):
                raise TraceError(f'{name}, line {number}: "kind" must be "code" or "markdown"')
            header = obj
            continue
        if end is not None:
            raise TraceError(f"{name}, line {number}: nothing may follow the end line")
        if "end" in obj:
            end = obj
            continue
        t, text = obj.get("t"), obj.get("text")
        if not isinstance(t, int | float) or not isinstance(text, str):
            raise TraceError(f'{name}, line {number}: a piece needs a number "t" and a string "text"')
        if t < last_t:
            raise TraceError(f"{name}, line {number}: time goes backwards ({t} < {last_t})")
        last_t = float(t)
        pieces.append((float(t), text))
    if header is None:
        raise TraceError(f"{name}: empty trace (no header line)")
    return Trace(header=header, pieces=pieces, end=end)


@dataclass
class TraceWriter:
    """Writes a trace as it streams, flushing every piece so an interrupted run keeps what it had."""

    stream: IO[str]
    header: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        head = {"eager_trace": FORMAT_VERSION, "kind": "code", **self.header}
        self._write(head)

    @classmethod
    def open(cls, path: str | Path, **header: Any) -> TraceWriter:
        return cls(Path(path).open("w", encoding="utf-8"), header)

    def piece(self, t: float, text: str) -> None:
        self._write({"t": round(t, 4), "text": text})

    def end(self, t: float, **info: Any) -> None:
        self._write({"end": round(t, 4), **info})

    def close(self) -> None:
        self.stream.close()

    def _write(self, obj: dict[str, Any]) -> None:
        self.stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.stream.flush()

