"""Agent episodes recorded and replayed: ``EpisodeWriter`` (``--record FILE --agent``, any provider), and
``ReplayStepSource`` (``--replay-trace FILE --agent``), which streams the recorded steps offline.

The format is ``trace.py``'s JSON Lines with ``"kind": "episode"``; what a step's response streamed is
kept as its events, not as text, so a replay goes through the same ``AgentReply`` as a live step
(same parts, same tool calls, same turn sent back). A chat completions episode (OpenAI-compatible) is
written in the same lines (``grew``), from what each chunk added to its blocks::

    {"eager_trace": 1, "kind": "episode", "source": "anthropic", "model": "...", "request": "...",
     "recorded": "2026-12-07T04:00:00Z", "origin": "recorded"}
    {"step": 1}                                         a step's request went out
    {"t": 0.41, "block": "text"}                        a text block starts
    {"t": 0.41, "prose": "Let me look."}                its text
    {"t": 0.52, "block": "tool_use", "id": "toolu_..", "name": "python"}
    {"t": 0.55, "json": "{\\"code\\": \\"import pan"}     the tool input's JSON pieces, as streamed
    {"step_end": 1.9, "stop_reason": "tool_use", "usage": {...}}   only if the response completed
    {"step": 2}
    ...

``t`` is seconds since the step's own request (a replay keeps each step's first-token time and rate,
whatever its statements take live). A step whose stream was closed (a failing statement: early
repair) has no ``step_end``. Tool results are not recorded: a replay runs the code live and computes
its own. A replayed episode cannot react to different outputs: its label says so.

To validate a change: ``tests/test_agent_kernel.py`` (record a live episode, replay it offline).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from ..sources.base import Piece, SourceError, SourceKind
from ..sources.secrets import SecretScanner, secret_env_values
from ..trace import FORMAT_VERSION, TraceError
from .reply import AgentReply, Block

__all__ = ["EpisodeWriter", "ReplayStepSource", "is_episode", "read_episode"]

REPLAY_NOTE = "replayed: cannot react to different outputs"


class EpisodeWriter:
    """Writes an episode as it streams, flushing each line (an interrupted run keeps what it had)."""

    def __init__(self, stream: IO[str], header: dict[str, Any]) -> None:
        self.stream = stream
        self._lock = threading.Lock()
        self._t0 = 0.0
        self._write({"eager_trace": FORMAT_VERSION, **header, "kind": "episode"})

    @classmethod
    def open(cls, path: str | Path, *, source: str, model: str | None, request: str) -> EpisodeWriter:
        try:
            stream = Path(path).open("w", encoding="utf-8")  # noqa: SIM115 (open for the episode)
        except OSError as error:
            raise SourceError(f"cannot write the recording {path}: {error.strerror or error}") from None
        recorded = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        header = {"source": source, "model": model, "request": request, "recorded": recorded,
                  "origin": "recorded"}
        return cls(stream, header)

    def step(self, step: int) -> None:
        self._t0 = time.perf_counter()
        self._write({"step": step})

    def event(self, event: Any) -> None:
        """Note one Messages API stream event of the current step (the ones a replay needs)."""
        t = round(time.perf_counter() - self._t0, 4)
        kind = getattr(event, "type", None)
        if kind == "content_block_start":
            block = event.content_block
            btype = getattr(block, "type", None)
            if btype == "text":
                self._write({"t": t, "block": "text"})
                if getattr(block, "text", ""):
                    self._write({"t": t, "prose": str(block.text)})
            elif btype == "tool_use":
                self._write({"t": t, "block": "tool_use", "id": str(block.id), "name": str(block.name)})
        elif kind == "content_block_delta":
            delta = event.delta
            if getattr(delta, "type", None) == "text_delta":
                self._write({"t": t, "prose": str(delta.text)})
            elif getattr(delta, "type", None) == "input_json_delta":
                self._write({"t": t, "json": str(delta.partial_json)})

    def grew(self, blocks: Sequence[Block], before: Sequence[int]) -> None:
        """Note what one chunk of a chat completion added to the reply's blocks (``before``: each
        block's text, or a tool call's JSON, length before it), as the lines ``event`` writes: an
        OpenAI-compatible episode replays through the same ``AgentReply``."""
        t = round(time.perf_counter() - self._t0, 4)
        for i, block in enumerate(blocks):
            if i >= len(before):
                if block.type == "text":
                    self._write({"t": t, "block": "text"})
                else:
                    self._write({"t": t, "block": "tool_use", "id": block.id, "name": block.name})
            old = before[i] if i < len(before) else 0
            new = block.text[old:] if block.type == "text" else block.raw[old:]
            if new:
                self._write({"t": t, "prose" if block.type == "text" else "json": new})

    def step_end(self, stop_reason: str | None, usage: dict[str, int]) -> None:
        self._write({"step_end": round(time.perf_counter() - self._t0, 4), "stop_reason": stop_reason,
                     "usage": dict(usage)})

    def close(self) -> None:
        with self._lock:
            self.stream.close()

    def _write(self, obj: dict[str, Any]) -> None:
        with self._lock:
            if self.stream.closed:
                return
            self.stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self.stream.flush()


Step = list[dict[str, Any]]


def is_episode(path: str | Path) -> bool:
    """Whether ``path`` starts with an episode header (False for any other file)."""
    try:
        with Path(path).open(encoding="utf-8") as f:
            head = json.loads(f.readline() or "null")
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(head, dict) and head.get("kind") == "episode"


def read_episode(path: str | Path) -> tuple[dict[str, Any], list[Step]]:
    """The header and each step's lines; a ``TraceError`` names the file and line otherwise."""
    name = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise TraceError(f"cannot read trace {name}: {error.strerror or error}") from None
    header: dict[str, Any] | None = None
    steps: list[Step] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise TraceError(f"{name}, line {number}: not JSON") from None
        if not isinstance(obj, dict):
            raise TraceError(f"{name}, line {number}: expected a JSON object")
        if header is None:
            if obj.get("eager_trace") == FORMAT_VERSION and obj.get("kind", "code") in ("code", "markdown"):
                what = "the trace of one run, not an agent episode"
                raise TraceError(f"{name} is {what}: replay it without --agent")
            if obj.get("eager_trace") != FORMAT_VERSION or obj.get("kind") != "episode":
                raise TraceError(f'{name}, line {number}: not an agent episode (no "kind": "episode" header)')
            header = obj
        elif "step" in obj:
            steps.append([])
        elif not steps:
            raise TraceError(f"{name}, line {number}: a line before the first step")
        elif "t" in obj and not isinstance(obj["t"], int | float):
            raise TraceError(f'{name}, line {number}: "t" must be a number')
        else:
            steps[-1].append(obj)
    if header is None:
        raise TraceError(f"{name}: empty trace (no header line)")
    if not steps:
        raise TraceError(f"{name}: the episode has no step")
    return header, steps


class ReplayStepSource:
    """One recorded step, streamed with its timing through a live ``AgentReply``."""

    kind: SourceKind = "parts"

    def __init__(self, header: dict[str, Any], steps: list[Step], step: int = 1) -> None:
        self._header = header
        self._steps = steps
        self.step = step
        self.model: str | None = header.get("model")
        origin = header.get("origin", "recorded")  # "written": made by hand, not by a model
        self.label = f"episode ({origin}) {REPLAY_NOTE}"
        self.request = str(header.get("request", ""))
        self.usage: dict[str, int] = {}
        self.reply = AgentReply()
        self.scanner = SecretScanner(secret_env_values(os.environ))  # tool results stay in the record
        self._closed = threading.Event()

    def follow(self, content: list[dict[str, Any]], results: list[dict[str, Any]]) -> ReplayStepSource | None:
        """The next recorded step (what the model wrote then, whatever ran now), or None."""
        if self.step >= len(self._steps):
            return None
        return ReplayStepSource(self._header, self._steps, self.step + 1)

    def stream(self) -> Iterator[Piece]:
        start = time.perf_counter()
        index = -1
        for line in self._steps[self.step - 1]:
            if "step_end" in line:
                self.reply.stop_reason = line.get("stop_reason")
                usage = line.get("usage")
                if isinstance(usage, dict):
                    self.usage.update({k: v for k, v in usage.items() if isinstance(v, int)})
                continue
            delay = start + float(line.get("t", 0.0)) - time.perf_counter()
            if (delay > 0 and self._closed.wait(delay)) or self._closed.is_set():
                return
            for event in self._events(line, index):
                if event.type == "content_block_start":
                    if index >= 0:
                        yield from self.reply.take(SimpleNamespace(type="content_block_stop", index=index))
                    index += 1
                    event.index = index
                yield from self.reply.take(event)
        if index >= 0 and not self._closed.is_set():
            yield from self.reply.take(SimpleNamespace(type="content_block_stop", index=index))

    def close(self) -> None:
        self._closed.set()

    @staticmethod
    def _events(line: dict[str, Any], index: int) -> list[SimpleNamespace]:
        if line.get("block") == "text":
            block = SimpleNamespace(type="text", text="")
            return [SimpleNamespace(type="content_block_start", index=index, content_block=block)]
        if line.get("block") == "tool_use":
            block = SimpleNamespace(type="tool_use", id=str(line.get("id")), name=str(line.get("name")))
            return [SimpleNamespace(type="content_block_start", index=index, content_block=block)]
        if "prose" in line:
            delta = SimpleNamespace(type="text_delta", text=str(line["prose"]))
            return [SimpleNamespace(type="content_block_delta", index=index, delta=delta)]
        if "json" in line:
            delta = SimpleNamespace(type="input_json_delta", partial_json=str(line["json"]))
            return [SimpleNamespace(type="content_block_delta", index=index, delta=delta)]
        return []
