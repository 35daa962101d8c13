"""One agent response from the Messages API's stream events: prose and code parts, the turn sent back.

``AgentReply`` reads what the text-only ``ReplyState`` reads (usage, stop reason, the model) and the tool
calls. ``take(event)``
returns ``(kind, text)`` parts: a text block's deltas are ``"prose"``; a ``tool_use`` block of the
Python tool streams its input as ``input_json_delta`` pieces of JSON text, which ``ToolInputDecoder``
turns into ``"code"`` pieces as soon as each character is certain. Several tool calls in one reply
make one step's code: their code is joined, with a newline between two calls when the first does not
end with one, and each call remembers where its code lies in the step's code (``Block.start``/``end``,
and ``first_line``, the step's line where it starts), so statements map back to calls. The engine runs
each call as a cell of its own: line numbers (in tracebacks, in the record) count from 1 in each call.

``assistant_content(cut)`` is the assistant turn sent back with the tool results. After a failure the
step's stream was closed in the middle; the turn then holds the blocks up to the failing call, whose
input is the code up to and including the failing statement (``cut``: where the statement's last
non-blank character ends, an offset in the step's code; its newline is kept):
the text that was cut is never invented, and nothing after it is sent.

A tool input that is not valid JSON is a ``ReplyIncomplete`` at once (nothing more of it runs); one
left unfinished by ``max_tokens`` is reported by ``check_end`` with the stop reason. Pure: no I/O.

To validate a change: ``tests/test_agent_reply.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..sources.errors import ReplyIncomplete
from ..sources.tool_input import ToolInputDecoder, ToolInputError

__all__ = ["TOOL_NAME", "AgentReply", "Block", "python_tool"]

TOOL_NAME = "python"


def python_tool(name: str = TOOL_NAME) -> dict[str, Any]:
    """The one tool an agent request declares, its input streamed as it is written."""
    return {
        "name": name,
        "description": (
            "Run Python code in the user's live Jupyter kernel (IPython). Each top-level statement runs "
            "as soon as it is written; variables persist between calls. Returns what the code printed "
            "and displayed, the value of its last expression, figures as images, and any traceback."
        ),
        "input_schema": {
            "type": "object",
            "properties": {"code": {"type": "string", "description": "Python code to run."}},
            "required": ["code"],
        },
        "eager_input_streaming": True,
    }


@dataclass
class Block:
    """A content block of the reply: its prose, or a tool call's decoded code so far."""

    type: str  # "text" | "tool_use"
    text: str = ""  # a text block's text, or a tool call's code
    id: str = ""
    name: str = ""
    raw: str = ""  # the tool input's JSON text so far
    start: int = 0  # where the call's code starts in the step's code
    first_line: int = 1  # the line of the step's code where it starts
    end: int | None = None  # where it ends, once the block stopped
    complete: bool = False  # a tool input that decoded to its end
    decoder: ToolInputDecoder | None = field(default=None, repr=False)
    error: str | None = None


_USAGE = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


class AgentReply:
    """The events of one streamed agent response; see the module docstring."""

    def __init__(self, tool_name: str = TOOL_NAME) -> None:
        self.usage: dict[str, int] = {}
        self.stop_reason: str | None = None
        self.served_model: str | None = None
        self.stopped = False  # message_stop arrived
        self.tool_name = tool_name
        self.blocks: list[Block] = []
        self._by_index: dict[int, Block] = {}
        self.code_len = 0  # characters of code given out
        self.code_lines = 0  # newlines given out

    @property
    def tool_calls(self) -> list[Block]:
        return [b for b in self.blocks if b.type == "tool_use"]

    def take(self, event: Any) -> list[tuple[str, str]]:
        """One event's parts, in order."""
        kind = getattr(event, "type", None)
        if kind == "content_block_start":
            return self._start(getattr(event, "index", len(self.blocks)), event.content_block)
        if kind == "content_block_delta":
            block = self._by_index.get(getattr(event, "index", -1))
            delta = event.delta
            dtype = getattr(delta, "type", None)
            if dtype == "text_delta":
                if block is not None:
                    block.text += str(delta.text)
                return [("prose", str(delta.text))] if delta.text else []
            if dtype == "input_json_delta" and block is not None and block.type == "tool_use":
                return self._json(block, str(delta.partial_json))
            return []
        if kind == "content_block_stop":
            block = self._by_index.get(getattr(event, "index", -1))
            if block is not None and block.type == "tool_use":
                return self._stop(block)
            return []
        if kind == "message_start":
            self.served_model = getattr(event.message, "model", None)
            self._add_usage(event.message.usage)
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason
            self._add_usage(getattr(event, "usage", None))
        elif kind == "message_stop":
            self.stopped = True
        return []

    def _add_usage(self, usage: Any) -> None:
        for name in _USAGE:
            value = getattr(usage, name, None)
            if isinstance(value, int):
                self.usage[name] = value

    def _start(self, index: int, content: Any) -> list[tuple[str, str]]:
        btype = getattr(content, "type", None)
        if btype == "text":
            block = Block("text", str(getattr(content, "text", "") or ""))
            self._add(index, block)
            return [("prose", block.text)] if block.text else []
        if btype != "tool_use":
            return []  # thinking and blocks we do not know: not shown, not sent back
        block = Block("tool_use", id=str(content.id), name=str(content.name))
        self._add(index, block)
        parts: list[tuple[str, str]] = []
        if block.name == self.tool_name:
            block.decoder = ToolInputDecoder("code")
            if self.code_len and not self._ends_with_newline():
                parts.append(("code", "\n"))
                self.code_len += 1
                self.code_lines += 1
        block.start = self.code_len
        block.first_line = self.code_lines + 1
        return parts

    def _add(self, index: int, block: Block) -> None:
        self.blocks.append(block)
        self._by_index[index] = block

    def _ends_with_newline(self) -> bool:
        for block in reversed(self.tool_calls):
            if block.decoder is not None and block.text:
                return block.text.endswith("\n")
        return True

    def _json(self, block: Block, piece: str) -> list[tuple[str, str]]:
        block.raw += piece
        if block.decoder is None:
            return []
        try:
            return self._code(block, block.decoder.feed(piece))
        except ToolInputError as error:
            block.error = str(error)
            raise ReplyIncomplete(f"the model's code is not valid tool input ({error})") from None

    def _stop(self, block: Block) -> list[tuple[str, str]]:
        parts: list[tuple[str, str]] = []
        if block.decoder is not None:
            try:
                parts = self._code(block, block.decoder.finish())
                block.complete = block.decoder.value_complete
            except ToolInputError as error:  # cut short (max_tokens): check_end says which
                block.error = str(error)
        block.end = self.code_len
        return parts

    def _code(self, block: Block, pieces: list[str]) -> list[tuple[str, str]]:
        text = "".join(pieces)
        if not text:
            return []
        block.text += text
        self.code_len += len(text)
        self.code_lines += text.count("\n")
        return [("code", text)]

    def check_end(self, max_tokens: int) -> None:
        """Raise ``ReplyIncomplete`` if the reply stopped where its last code must not run."""
        if self.stop_reason == "refusal":
            raise ReplyIncomplete("the model declined this request (stop reason: refusal)")
        if self.stop_reason == "max_tokens":
            raise ReplyIncomplete(
                f"the model's reply reached max_tokens ({max_tokens}); raise --max-tokens"
            )
        for block in self.tool_calls:
            if block.error is not None:
                raise ReplyIncomplete(f"the model's code is not valid tool input ({block.error})")

    def assistant_content(self, cut: int | None = None) -> list[dict[str, Any]]:
        """The assistant turn to send back; with ``cut``, up to the failing statement (see above)."""
        content: list[dict[str, Any]] = []
        for block in self.blocks:
            if block.type == "text":
                if block.text.strip():
                    content.append({"type": "text", "text": block.text})
                continue
            end = block.end if block.end is not None else block.start + len(block.text)
            if cut is not None and cut <= end and block.decoder is not None:
                at = max(0, cut - block.start)
                code = block.text[:at] + ("\n" if block.text[at : at + 1] == "\n" else "")
                content.append(_tool_use(block, {"code": code}))
                break
            if block.decoder is None:
                tool_input = _loads(block.raw)
            else:
                tool_input = _loads(block.raw) if block.complete else {}
                tool_input["code"] = block.text
            content.append(_tool_use(block, tool_input))
        return content


def _tool_use(block: Block, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": block.id, "name": block.name, "input": tool_input}


def _loads(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
