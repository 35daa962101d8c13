"""The recorded-stream format: pieces of model output with their timestamps (JSON Lines).

A trace replays a real session offline with its real timing (``%%eager --replay-trace FILE``); the
Anthropic source writes one with ``--record FILE``. One JSON object per line::

    {"eager_trace": 1, "kind": "markdown", "source": "anthropic", "model": "...", "request": "...",
     "recorded": "2026-11-22T10:00:00Z", "origin": "recorded"}
    {"t": 0.412, "text": "Here is the code:\\n```python\\n"}
    {"t": 0.431, "text": "import pandas"}
    {"t": 0.502, "revise": 40}
    ...
    {"end": 3.207, "stop_reason": "end_turn", "usage": {"input_tokens": 812, "output_tokens": 240}}

- The header comes first. ``kind`` is ``"code"`` (the text is Python, as from a file) or
  ``"markdown"`` (a model's reply: the fence filter picks the code out). ``origin`` says honestly where
  the trace comes from: ``"recorded"`` from a model, ``"written"`` by hand. Other keys are free.
- ``t`` is seconds since the request was made: a finite number >= 0 (not ``true``, not NaN); pieces
  are in order and ``t`` never decreases.
- A revision line (issue 18: revisable streams) ``{"t": ..., "revise": k}`` withdraws the output
  from character ``k`` on (``k`` an integer from 0 to the length of the output so far, revisions
  applied); the pieces after it are appended at ``k``. Read, it is the item ``(t, k)`` (an ``int``
  where a piece has its ``str``); ``TraceSource`` yields it as a ``sources.revisions.Revision``.
  ``Trace.text`` is the final text, revisions applied. A model source's recording has its revision
  markers decoded already (the text pieces hold none); its header's ``revision_markers`` names the
  pattern that was in force ("" for none) and tells a replay not to decode again.
- The ``end`` line says how the reply ended. ``stop_reason`` is the API's: ``end_turn`` and
  ``stop_sequence`` are normal ends; anything else (``max_tokens``, ``refusal``, ``pause_turn``,
  ``model_context_window_exceeded``, ``tool_use``, ``null``, a value not known yet) is a reply cut
  short. An end line without the key is a normal end (hand-written traces). A trace with no end
  line at all is a reply cut short (a recording stopped by an error or an interrupt).

A cut reply must not run its unfinished statement, live or replayed: ``stop_problem`` is the one rule
both the Anthropic source (``check_stop``) and the trace replay (``TraceSource``) apply. It is the
reason to fail unless the code was complete anyway (a fenced block closed before the cut: what was
cut is prose). A refusal always fails.

Reading. ``read_trace`` reads a whole trace into memory (small traces, tests). ``open_trace`` is what
a replay uses: it checks that the file decodes as UTF-8 (in blocks, holding none of it) and
reads the header, then ``TraceFile.pieces()`` parses the lines as they are replayed, so memory stays
bounded by one line whatever the trace's size; a malformed line later in the file is reported when
the replay reaches it, as a ``TraceError`` naming the file and the line. A UTF-8 BOM is skipped.
Validate a change with ``pytest tests/test_replay_and_trace.py``.
"""

from __future__ import annotations

import codecs
import io
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = [
    "NORMAL_STOPS",
    "Trace",
    "TraceError",
    "TraceFile",
    "TraceWriter",
    "final_text",
    "open_trace",
    "parse_trace",
    "read_trace",
    "stop_problem",
]

FORMAT_VERSION = 1

#: stop reasons of a reply that ended as the model meant it to
NORMAL_STOPS = frozenset({"end_turn", "stop_sequence"})

_CUT = {
    "max_tokens": "the reply reached its token limit before its code was complete",
    "model_context_window_exceeded": (
        "the reply filled the model's context window before its code was complete"
    ),
    "pause_turn": "the model paused its turn before its code was complete",
    "tool_use": "the model stopped to call a tool, and this request offers none",
}


def stop_problem(stop_reason: str | None, code_ended: bool, *, missing_end: bool = False) -> str | None:
    """None if a reply that stopped with ``stop_reason`` may run as it came; else one line saying why
    not. ``code_ended``: the reply's code was complete before the stop (its fenced block closed).
    ``missing_end``: a trace with no end line (the stop reason is unknown)."""
    if not missing_end and stop_reason in NORMAL_STOPS:
        return None
    if stop_reason == "refusal":
        return "the model declined this request (stop reason: refusal)"
    if code_ended:
        return None
    if missing_end:
        why = "the recorded reply has no end line (it was cut short)"
    elif stop_reason is None:
        why = "the reply ended without a stop reason"
    else:
        why = f"{_CUT.get(stop_reason, 'the reply stopped early')} (stop reason: {stop_reason})"
    return f"{why}; the unfinished statement did not run"


class TraceError(ValueError):
    """A trace file is not in the format above; the message names the file and the line."""


@dataclass
class Trace:
    """A trace held in memory."""

    header: dict[str, Any]
    pieces: list[tuple[float, str | int]]  # a text piece, or a revision's offset
    end: dict[str, Any] | None = None

    @property
    def kind(self) -> str:
        return str(self.header.get("kind", "code"))

    @property
    def text(self) -> str:
        """The final text: the pieces with the revisions applied."""
        return final_text(item for _, item in self.pieces)

    def iter_pieces(self) -> Iterator[tuple[float, str | int]]:
        return iter(self.pieces)


def final_text(items: Iterable[str | int]) -> str:
    """Text pieces and revision offsets (``int``) applied in order."""
    parts: list[str] = []
    length = 0
    for item in items:
        if isinstance(item, str):
            parts.append(item)
            length += len(item)
        elif item < length:
            text = "".join(parts)[:item]
            parts, length = [text], item
    return "".join(parts)


class _Lines:
    """Checks a trace line by line: the header, then pieces, then at most one end line."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.header: dict[str, Any] | None = None
        self.end: dict[str, Any] | None = None
        self._last_t = 0.0
        self._length = 0  # characters of output so far, revisions applied

    def take(self, number: int, line: str) -> tuple[float, str | int] | None:
        """One line of the file; the piece it holds, if any."""
        if not line.strip():
            return None
        where = f"{self.name}, line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as error:
            raise TraceError(f"{where}: not JSON ({error.msg})") from None
        except RecursionError:
            raise TraceError(f"{where}: nested too deeply") from None
        if not isinstance(obj, dict):
            raise TraceError(f"{where}: expected a JSON object")
        if self.header is None:
            if obj.get("eager_trace") != FORMAT_VERSION:
                raise TraceError(f'{where}: first line must be a header with "eager_trace": {FORMAT_VERSION}')
            if obj.get("kind", "code") not in ("code", "markdown"):
                raise TraceError(f'{where}: "kind" must be "code" or "markdown"')
            self.header = obj
            return None
        if self.end is not None:
            raise TraceError(f"{where}: nothing may follow the end line")
        if "end" in obj:
            if not _time(obj["end"]):
                raise TraceError(f'{where}: "end" must be a finite number of seconds >= 0')
            reason = obj.get("stop_reason")
            if reason is not None and not isinstance(reason, str):
                raise TraceError(f'{where}: "stop_reason" must be a string or null')
            self.end = obj
            return None
        t, text = obj.get("t"), obj.get("text")
        if "revise" in obj and text is None:
            k = obj["revise"]
            if not _time(t) or not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= self._length:
                raise TraceError(
                    f'{where}: a revision needs "t" (a finite number of seconds >= 0) and "revise", an '
                    f"integer offset from 0 to the output's length so far ({self._length})"
                )
            self._check_time(where, float(t))  # type: ignore[arg-type]
            self._length = k
            return self._last_t, k
        if not _time(t) or not isinstance(text, str):  # so t is a number below
            raise TraceError(
                f'{where}: a piece needs "t" (a finite number of seconds >= 0) and a string "text"'
            )
        self._check_time(where, float(t))  # type: ignore[arg-type]
        self._length += len(text)
        return self._last_t, text

    def _check_time(self, where: str, t: float) -> None:
        if t < self._last_t:
            raise TraceError(f"{where}: time goes backwards ({t:g} < {self._last_t:g})")
        self._last_t = t

    def header_or_fail(self) -> dict[str, Any]:
        if self.header is None:
            raise TraceError(f"{self.name}: empty trace (no header line)")
        return self.header


def _time(value: Any) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    )


def parse_trace(lines: Iterable[str], name: str = "<trace>") -> Trace:
    check = _Lines(name)
    pieces = [p for number, line in enumerate(lines, start=1) if (p := check.take(number, line))]
    return Trace(header=check.header_or_fail(), pieces=pieces, end=check.end)


def read_trace(path: str | Path) -> Trace:
    """A whole trace, in memory."""
    trace = open_trace(path)
    return Trace(header=trace.header, pieces=list(trace.pieces()), end=trace.end)


def _open(path: Path) -> io.TextIOWrapper:
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise TraceError(f"cannot read trace {path}: {error.strerror or error}") from None


class TraceFile:
    """A trace on disk, read as it is replayed (see the module docstring). ``end`` is known once
    ``pieces()`` has run to the end of the file."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        self.header = header
        self.end: dict[str, Any] | None = None

    @property
    def kind(self) -> str:
        return str(self.header.get("kind", "code"))

    def pieces(self) -> Iterator[tuple[float, str | int]]:
        check = _Lines(str(self.path))
        with _open(self.path) as stream:
            try:
                for number, line in enumerate(stream, start=1):
                    piece = check.take(number, line)
                    if piece is not None:
                        yield piece
            except UnicodeDecodeError:
                raise TraceError(f"{self.path}: not UTF-8 text") from None
            except OSError as error:
                raise TraceError(f"cannot read trace {self.path}: {error.strerror or error}") from None
        check.header_or_fail()
        self.end = check.end

    iter_pieces = pieces


def open_trace(path: str | Path) -> TraceFile:
    """Check that ``path`` is UTF-8 text and read its header; the pieces are read later."""
    path = Path(path)
    check = _Lines(str(path))
    with _open(path) as stream:
        try:
            with path.open("rb") as binary:
                _check_utf8(binary)
            for number, line in enumerate(stream, start=1):
                check.take(number, line)
                if check.header is not None:
                    break
        except UnicodeDecodeError:
            raise TraceError(f"{path}: not UTF-8 text (a trace is JSON Lines)") from None
        except OSError as error:
            raise TraceError(f"cannot read trace {path}: {error.strerror or error}") from None
    return TraceFile(path, check.header_or_fail())


def _check_utf8(binary: IO[bytes], block: int = 1 << 18) -> None:
    """Raise ``UnicodeDecodeError`` unless the rest of ``binary`` is UTF-8 (read in blocks)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    while chunk := binary.read(block):
        decoder.decode(chunk)
    decoder.decode(b"", final=True)


@dataclass
class TraceWriter:
    """Writes a trace as it streams, flushing every piece so an interrupted run keeps what it had.

    ``end(t, stop_reason=..., usage=...)`` writes the end line; a reply cut short should still get
    one, with its stop reason, so a replay knows why it stopped (without it, the replay treats the
    reply as cut with an unknown reason)."""

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

    def revise(self, t: float, offset: int) -> None:
        """A revision: the output from character ``offset`` on is withdrawn."""
        self._write({"t": round(t, 4), "revise": offset})

    def end(self, t: float, **info: Any) -> None:
        self._write({"end": round(t, 4), **info})

    def close(self) -> None:
        self.stream.close()

    def _write(self, obj: dict[str, Any]) -> None:
        self.stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.stream.flush()
