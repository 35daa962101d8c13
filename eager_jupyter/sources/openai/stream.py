"""What the chunks of a streaming chat completion mean for us: text, tool-call pieces, usage, finish.

A stream is a series of ``chat.completion.chunk`` objects (SSE ``data:`` lines, then ``data: [DONE]``,
which the SDK consumes). Each chunk has ``choices[0].delta`` with some ``content`` (the text),
``tool_calls`` pieces (``index``, an ``id`` and ``function.name`` in the first piece of a call, then
``function.arguments`` as JSON text split anywhere), or ``refusal`` text; a ``finish_reason`` in the
last chunk with choices (``stop``, ``length``, ``tool_calls``, ``content_filter``); and, when usage was
asked for (``stream_options.include_usage``), a last chunk with no choices and ``usage``. Servers
differ (Ollama and vLLM put usage on the finishing chunk, some send none, reasoning servers add
``reasoning`` or ``reasoning_content`` deltas), so anything unknown is ignored, like the Anthropic
source's thinking blocks. Only choice 0 is read (we ask for one).

``tool_calls`` keeps each call's argument pieces as they came, for the agent loop (it decodes them
incrementally); this source itself streams text only.

``check_finish`` turns the ways a reply may stop short into ``ReplyIncomplete`` when running what came
would be wrong: ``length`` inside the code (the shared rule, ``errors.check_cut``), ``content_filter``,
or a refusal; and OpenRouter's ``error`` finish (an upstream failure) into a ``ServerError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ReplyIncomplete, ServerError, check_cut, shorten

__all__ = ["ChunkState", "ToolCall", "check_finish"]


@dataclass
class ToolCall:
    index: int
    id: str | None = None
    name: str | None = None
    pieces: list[str] = field(default_factory=list)  # the arguments' JSON text, as it was split

    @property
    def arguments(self) -> str:
        return "".join(self.pieces)


@dataclass
class ChunkState:
    usage: dict[str, int] = field(default_factory=dict)
    finish_reason: str | None = None
    served_model: str | None = None
    refusal: str = ""
    tool_calls: dict[int, ToolCall] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        """A ``finish_reason`` arrived: the reply is complete (usage may still follow)."""
        return self.finish_reason is not None

    def feed(self, chunk: Any) -> str | None:
        """Take one chunk (an SDK ``ChatCompletionChunk``); return its text, if any."""
        model = getattr(chunk, "model", None)
        if isinstance(model, str) and model:
            self.served_model = model
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            for ours, theirs in (("input_tokens", "prompt_tokens"), ("output_tokens", "completion_tokens")):
                value = getattr(usage, theirs, None)
                if isinstance(value, int):
                    self.usage[ours] = value
        text: str | None = None
        for choice in getattr(chunk, "choices", None) or []:
            if getattr(choice, "index", 0) != 0:
                continue
            delta = getattr(choice, "delta", None)
            content = getattr(delta, "content", None)
            if isinstance(content, str) and content:
                text = content
            refusal = getattr(delta, "refusal", None)
            if isinstance(refusal, str):
                self.refusal += refusal
            for piece in getattr(delta, "tool_calls", None) or []:
                self._tool_piece(piece)
            reason = getattr(choice, "finish_reason", None)
            if isinstance(reason, str) and reason:
                self.finish_reason = reason
        return text

    def _tool_piece(self, piece: Any) -> None:
        index = getattr(piece, "index", 0)
        call = self.tool_calls.setdefault(index, ToolCall(index))
        call.id = getattr(piece, "id", None) or call.id
        function = getattr(piece, "function", None)
        call.name = getattr(function, "name", None) or call.name
        arguments = getattr(function, "arguments", None)
        if isinstance(arguments, str) and arguments:
            call.pieces.append(arguments)


def check_finish(state: ChunkState, reply: str, max_tokens: int, who: str) -> None:
    """Raise ``ReplyIncomplete`` if the reply stopped where its code must not run as it is."""
    if state.refusal.strip():
        raise ReplyIncomplete(f"the model declined this request (refusal: {shorten(state.refusal, 120)})")
    if state.finish_reason == "content_filter":
        raise ReplyIncomplete(
            f"{who}'s content filter stopped the reply (finish_reason: content_filter);"
            " rephrase the request or choose another model"
        )
    if state.finish_reason == "length":
        check_cut(reply, max_tokens)
    if state.finish_reason == "error":  # OpenRouter: the upstream model failed mid-generation
        raise ServerError(
            f"{who} ended the reply with an error (finish_reason: error); try again", during_reply=bool(reply)
        )
