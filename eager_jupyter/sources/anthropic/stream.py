"""What the events of a streaming Messages response mean for us: text, usage, stop reason.

A stream is ``message_start`` (the model, input usage), then per content block ``content_block_start``,
``content_block_delta`` ... and ``content_block_stop``, then ``message_delta`` (stop reason, final
output usage) and ``message_stop``; ``ping`` may come anywhere, and new event or delta types may
appear (the API's versioning policy), so anything unknown is ignored. Only text blocks carry code;
thinking or tool blocks are skipped. An ``error`` event never reaches here: the SDK raises it.

``check_stop`` turns the reasons a reply may stop early into ``ReplyIncomplete`` when running what
came would be wrong: ``refusal``, or ``max_tokens`` cutting the code (not the prose after it) short.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ReplyIncomplete, check_cut

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
    if stop_reason == "refusal":
        raise ReplyIncomplete("the model declined this request (stop reason: refusal)")
    if stop_reason == "max_tokens":
        check_cut(reply, max_tokens)
