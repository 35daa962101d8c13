"""The agent over OpenAI-compatible chat completions: ``ChatAgentReply`` and the turns in that dialect.

A streamed chat completion gives ``content`` deltas (prose) and ``tool_calls`` pieces: the first piece of
a call carries its ``index``, ``id`` and ``function.name``, the next ones ``function.arguments``, JSON
text split anywhere. ``ChatAgentReply`` maps them onto ``AgentReply``'s blocks (a text block, one
``tool_use`` block per call, the arguments through the same ``ToolInputDecoder``), so the episode,
the cut after a failure and the tool results are the same for both providers. A call ends when the
next one starts or the reply finishes; ``finish_reason`` maps to the Messages API's stop reasons
(``tool_calls`` -> ``tool_use``, ``stop`` -> ``end_turn``, ``length`` -> ``max_tokens``).

``chat_turn(content, results)`` writes the assistant turn and the tool results in this dialect: one
assistant message with ``tool_calls`` (``arguments`` as JSON text), one ``role: tool`` message per
call, and, since a tool message holds text only, the step's figures in one user message after them
(``image_url`` data URLs).

Pure: no I/O. To validate a change: ``tests/test_agent_reply.py``, ``tests/test_agent_kernel.py``.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from ..sources.errors import ReplyIncomplete
from ..sources.openai.stream import ChunkState, check_finish
from .reply import AgentReply, Block, python_tool

__all__ = ["ChatAgentReply", "chat_tool", "chat_turn"]

_REASONS = {"tool_calls": "tool_use", "function_call": "tool_use", "stop": "end_turn", "length": "max_tokens"}


def chat_tool() -> dict[str, Any]:
    """``python_tool`` as a chat completions function."""
    tool = python_tool()
    function = {"name": tool["name"], "description": tool["description"], "parameters": tool["input_schema"]}
    return {"type": "function", "function": function}


class ChatAgentReply(AgentReply):
    """The chunks of one streamed chat completion; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks = ChunkState()
        self.usage = self.chunks.usage
        self._calls: dict[int, Block] = {}
        self._open: Block | None = None
        self._count = 0  # blocks started (their index for ``_start``)

    def take_chunk(self, chunk: Any) -> list[tuple[str, str]]:
        parts: list[tuple[str, str]] = []
        text = self.chunks.feed(chunk)
        self.served_model = self.chunks.served_model
        if text:
            parts += self._prose(text)
        for choice in getattr(chunk, "choices", None) or []:
            if getattr(choice, "index", 0) != 0:
                continue
            for piece in getattr(getattr(choice, "delta", None), "tool_calls", None) or []:
                parts += self._tool(piece)
        reason = self.chunks.finish_reason
        if reason is not None and not self.stopped:
            self.stopped = True
            self.stop_reason = _REASONS.get(reason, reason)
            if self._open is not None:
                parts += self._stop(self._open)
                self._open = None
        return parts

    def _prose(self, text: str) -> list[tuple[str, str]]:
        if not self.blocks or self.blocks[-1].type != "text":
            self._start(self._count, SimpleNamespace(type="text", text=""))
            self._count += 1
        self.blocks[-1].text += text
        return [("prose", text)]

    def _tool(self, piece: Any) -> list[tuple[str, str]]:
        parts: list[tuple[str, str]] = []
        index = getattr(piece, "index", 0)
        function = getattr(piece, "function", None)
        block = self._calls.get(index)
        if block is None:
            if self._open is not None:
                parts += self._stop(self._open)
            call = SimpleNamespace(
                type="tool_use",
                id=getattr(piece, "id", None) or f"call_{index}",
                name=getattr(function, "name", None) or "",
            )
            parts += self._start(self._count, call)
            self._count += 1
            block = self._open = self._calls[index] = self.blocks[-1]
        arguments = getattr(function, "arguments", None)
        if isinstance(arguments, str) and arguments and block is self._open:
            parts += self._json(block, arguments)
        return parts

    def check_chat_end(self, max_tokens: int, who: str) -> None:
        if self.chunks.finish_reason != "length":
            check_finish(self.chunks, "", max_tokens, who)  # refusal, content filter, an upstream error
        self.check_end(max_tokens)
        if self.chunks.refusal.strip():
            raise ReplyIncomplete("the model declined this request")


def chat_turn(content: list[dict[str, Any]], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The assistant turn (``AgentReply.assistant_content``) and the tool results
    (``result.tool_result_blocks``) as chat completions messages."""
    text = "".join(c["text"] for c in content if c["type"] == "text")
    calls = [
        {"id": c["id"], "type": "function",
         "function": {"name": c["name"], "arguments": json.dumps(c["input"], ensure_ascii=False)}}
        for c in content if c["type"] == "tool_use"
    ]
    messages: list[dict[str, Any]] = [{"role": "assistant", "content": text or None, "tool_calls": calls}]
    images: list[dict[str, Any]] = []
    for result in results:
        parts = result["content"]
        words = "".join(p["text"] for p in parts if p["type"] == "text")
        for p in parts:
            if p["type"] == "image":
                url = f"data:{p['source']['media_type']};base64,{p['source']['data']}"
                images.append({"type": "image_url", "image_url": {"url": url}})
        if result.get("is_error"):
            words = "Error:\n" + words
        messages.append({"role": "tool", "tool_call_id": result["tool_use_id"], "content": words})
    if images:
        note = {"type": "text", "text": f"The figure{'s' if len(images) > 1 else ''} the code above drew:"}
        messages.append({"role": "user", "content": [note, *images]})
    return messages
