"""One agent step's request to the Messages API, as a ``"parts"`` source: ``AgentStepSource``.

The request declares one tool, ``python`` (``reply.python_tool``: input ``{"code": string}``, with
``eager_input_streaming: true`` so the API streams the input as it is written). The reply's text
blocks are prose and its tool calls' input becomes code (``reply.AgentReply``); ``stream()`` yields
``(kind, text)`` pairs, so the engine's producer shows the prose and feeds the code to the chunker
without any fence filter (``sources/base.py``: ``kind == "parts"``).

Everything about the network (retries before the first piece, closing every socket at once, the
key kept out of every message) is ``AnthropicSource``'s, reused by subclassing: ``_ToolStream``
changes only the request (the tool, the episode's messages), how events are read, and how a reply
may end short. ``AgentStepSource`` wraps one, because its ``stream()`` yields pairs where the text
sources yield strings. ``next(messages)`` builds the next step's source on the same client settings.

The kernel's ``%%eager`` conversation is not extended step by step: the episode adds one exchange
when it ends (``episode.py``).

To validate a change: ``tests/test_agent_kernel.py`` (the real SDK against the loopback fake).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterator
from typing import Any, cast

from ..sources.anthropic.source import DEFAULT_MODEL, AnthropicSource
from ..sources.base import Piece, SourceKind
from ..sources.openai.errors import who
from ..sources.openai.source import OpenAISource
from ..sources.secrets import SecretScanner
from .chat import ChatAgentReply, chat_tool, chat_turn
from .reply import AgentReply, python_tool
from .trace import EpisodeWriter

__all__ = ["AgentStepSource"]


class _ToolStream(AnthropicSource):
    """``AnthropicSource`` with the Python tool; ``_feed`` queues parts for ``AgentStepSource``."""

    parts: deque[tuple[str, str]]
    episode_messages: list[dict[str, Any]]
    writer: EpisodeWriter | None = None  # --record: the episode's trace

    def _new_run(self) -> None:
        super()._new_run()
        self._reset()

    def _reset(self) -> None:
        self.reply_state = AgentReply()
        self.usage = self.reply_state.usage
        self.parts = deque()

    def _events(self, client: Any) -> Any:
        return client.messages.create(
            model=self.model or DEFAULT_MODEL,
            max_tokens=self.max_tokens,
            system=self.system,
            messages=cast(Any, self.episode_messages),
            tools=cast(Any, [python_tool()]),
            stream=True,
            extra_body=None if self.temperature is None else {"temperature": self.temperature},
        )

    def _feed(self, event: Any) -> str | None:
        if self.writer is not None:
            self.writer.event(event)
        parts = self.reply_state.take(event)
        if not parts:
            return None
        self.parts.extend(parts)
        return "".join(text for _, text in parts)

    @property
    def stop_reason(self) -> str | None:
        return self.reply_state.stop_reason

    @property
    def served_model(self) -> str | None:
        return self.reply_state.served_model

    def _ended(self) -> bool:
        return self.reply_state.stopped

    def _check_end(self) -> None:
        self.reply_state.check_end(self.max_tokens)

    def _cut_message(self) -> str:
        return "the API's reply ended before message_stop"

    def turn(self, content: list[dict[str, Any]], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"role": "assistant", "content": content}, {"role": "user", "content": results}]


class _ChatToolStream(OpenAISource):
    """``OpenAISource`` with the Python tool as a function (any OpenAI-compatible endpoint)."""

    parts: deque[tuple[str, str]]
    episode_messages: list[dict[str, Any]]
    writer: EpisodeWriter | None = None  # --record: the episode's trace, in the Messages API's lines

    def _new_run(self) -> None:
        super()._new_run()
        self._reset()

    def _reset(self) -> None:
        self.reply_state: ChatAgentReply = ChatAgentReply()
        self._state = self.reply_state.chunks
        self.usage = self._state.usage
        self.parts = deque()

    def _events(self, client: Any) -> Any:
        return self._create(client, self.episode_messages, tools=[chat_tool()])

    def _feed(self, event: Any) -> str | None:
        blocks = self.reply_state.blocks
        before = [len(b.text) if b.type == "text" else len(b.raw) for b in blocks] if self.writer else []
        parts = self.reply_state.take_chunk(event)
        if self.writer is not None:
            self.writer.grew(blocks, before)
        if not parts:
            return None
        self.parts.extend(parts)
        return "".join(text for _, text in parts)

    def _ended(self) -> bool:
        return self.reply_state.stopped

    def _check_end(self) -> None:
        self.reply_state.check_chat_end(self.max_tokens, who(self.endpoint, self.base_url))

    def turn(self, content: list[dict[str, Any]], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return chat_turn(content, results)


_Stream = _ToolStream | _ChatToolStream


class AgentStepSource:
    """One step of an episode. See the module docstring."""

    kind: SourceKind = "parts"

    def __init__(self, inner: _Stream, step: int = 1) -> None:
        inner.record_path = None  # an episode records itself (``record()``), not as a text trace
        self._inner = inner
        self.step = step
        self.model: str | None = inner.model
        self.label = f"{inner.provider} agent"

    @classmethod
    def for_notebook(cls, text: str, namespace: Any, *, history: str = "", **options: Any) -> AgentStepSource:
        """The first step of a ``%%eager --agent`` cell: ``AnthropicSource.for_notebook``'s request
        (``{name}`` expanded, the namespace summary), plus ``history`` (the kernel's last cells,
        redacted here) before the request. Raises what ``for_notebook`` raises."""
        chat = options.get("provider") is not None  # an OpenAI-compatible provider (``providers.py``)
        stream: _Stream = (_ChatToolStream if chat else _ToolStream).for_notebook(text, namespace, **options)
        stream._conversation = None  # the episode adds one exchange at its end
        messages: list[dict[str, Any]] = [dict(m) for m in stream.messages]
        if history.strip():
            last = messages[-1]
            past = stream.scanner.redact(history.strip())
            last["content"] = f"<history>\n{past}\n</history>\n\n{last['content']}"
        stream.episode_messages = messages
        return cls(stream)

    def record(self, writer: EpisodeWriter) -> None:
        """Write this step and every next one to ``writer`` (``--record``)."""
        self._inner.writer = writer

    def follow(self, content: list[dict[str, Any]], results: list[dict[str, Any]]) -> AgentStepSource:
        """The next step's source: the same settings, the messages so far, this step's assistant turn
        (``AgentReply.assistant_content``) and its tool results, in the provider's dialect."""
        stream = copy.copy(self._inner)
        stream._new_run()
        stream.episode_messages = [*self._inner.episode_messages, *self._inner.turn(content, results)]
        return AgentStepSource(stream, self.step + 1)

    # ---- the Source protocol ---------------------------------------------------------------------
    @property
    def usage(self) -> dict[str, int]:
        return self._inner.usage

    @usage.setter
    def usage(self, value: dict[str, int]) -> None:
        self._inner.usage = value

    def stream(self) -> Iterator[Piece]:
        inner = self._inner
        writer = inner.writer
        if writer is not None:
            writer.step(self.step)
        for _ in inner.stream():
            parts = inner.parts  # a new deque for each attempt (``_reset``)
            while parts:
                yield parts.popleft()
        state = inner.reply_state
        if writer is not None and inner.closed_at is None and state.stopped:
            writer.step_end(state.stop_reason, inner.usage)

    def close(self) -> None:
        self._inner.close()

    # ---- what the episode reads ------------------------------------------------------------------
    @property
    def reply(self) -> AgentReply:
        return self._inner.reply_state

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self._inner.episode_messages

    @property
    def scanner(self) -> SecretScanner:
        return self._inner.scanner

    @property
    def spec(self) -> str:
        return self._inner.spec

    @property
    def request(self) -> str:
        return self._inner.request
