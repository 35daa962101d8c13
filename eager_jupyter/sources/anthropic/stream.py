"""What the events of a streaming Messages response mean for us: text, usage, stop reason.

A stream is ``message_start`` (the model, input usage), then per content block ``content_block_start``,
``content_block_delta`` ... and ``content_block_stop``, then ``message_delta`` (stop reason, final
output usage) and ``message_stop``; ``ping`` may come anywhere, and new event or delta types may
appear (the API's versioning policy), so anything unknown is ignored. Only text blocks carry code;
thinking or tool blocks are skipped. An ``error`` event never reaches here: the SDK raises it.

``check_stop`` turns a reply that did not end normally into ``ReplyIncomplete``, so the source fails
and the engine never releases the half-written statement: every stop reason but ``end_turn`` and
``stop_sequence`` (``max_tokens``, ``model_context_window_exceeded``, ``pause_turn``, ``tool_use`` when
no tool was offered, a value the API adds later) and a reply with no stop reason at all, unless the
code was complete anyway (its fenced block closed: what was cut is prose). A ``refusal`` always
fails. The rule is ``trace.stop_problem``, which a replayed trace applies too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...fences import FenceFilter
from ...trace import NORMAL_STOPS, stop_problem
from ..errors import ReplyIncomplete

__all__ = ["ReplyState", "check_stop"]

_USAGE = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


@dataclass
class ReplyState:
    usage: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None
    served_model: str | None = None
    stopped: bool = False  # message_stop arrived

    def feed(self, event: Any) -> str | None:
        """Take one event (an SDK ``RawMessageStreamEvent``); return its text, if any."""
        kind = getattr(event, "type", None)
        if kind == "message_start":
            self.served_model = getattr(event.message, "model", None)
            self._add_usage(event.message.usage)
        elif kind == "content_block_start":
            block = event.content_block
            if getattr(block, "type", None) == "text" and block.text:
                return str(block.text)
        elif kind == "content_block_delta":
            delta = event.delta
            if getattr(delta, "type", None) == "text_delta":
                return str(delta.text)
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason
            self._add_usage(event.usage)
        elif kind == "message_stop":
            self.stopped = True
        return None

    def _add_usage(self, usage: Any) -> None:
        for name in _USAGE:
            value = getattr(usage, name, None)
            if isinstance(value, int):
                self.usage[name] = value


def check_stop(stop_reason: str | None, reply: str, max_tokens: int) -> None:
    """Raise ``ReplyIncomplete`` if the reply stopped where its code must not run as it is."""
    if stop_reason in NORMAL_STOPS:
        return
    fences = FenceFilter()
    fences.feed(reply)
    fences.finish()
    problem = stop_problem(stop_reason, fences.code_ended)
    if problem is None:
        return
    if stop_reason == "max_tokens":
        problem = (
            f"the reply reached --max-tokens {max_tokens} before its code was complete;"
            " the unfinished statement did not run (raise --max-tokens)"
        )
    raise ReplyIncomplete(problem)
