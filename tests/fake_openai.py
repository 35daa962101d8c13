"""A loopback stand-in for an OpenAI-compatible chat completions server, for driving the real SDK.

``FakeOpenAI`` listens on 127.0.0.1 (an ephemeral port) in a thread, answers
``POST /v1/chat/completions`` with scripted replies, and stops by itself after ``deadline`` seconds or
when its ``with`` block ends. Point the SDK at it with ``base_url=fake.base_url`` (``.../v1``). It
speaks the streaming protocol as OpenAI, Ollama and vLLM do (``text/event-stream``, chunked, one
``data:`` line per chunk)::

    data: {"id": "chatcmpl-..", "object": "chat.completion.chunk", "model": "..",
           "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]}
    data: {..., "choices": [{"index": 0, "delta": {"content": "import math\\n"}, "finish_reason": null}]}
    data: {..., "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function":
           {"arguments": "{\\"co"}}]}, "finish_reason": null}]}
    data: {..., "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    data: {..., "choices": [], "usage": {"prompt_tokens": 321, "completion_tokens": 6, ...}}
    data: [DONE]
    data: {"error": {"message": "..", "type": "server_error", "code": null}}     (an error chunk)

Scripts, taken in order, one per request (``default`` when the queue is empty):
- ``Reply(pieces, delay=..., ...)``: a streamed reply; tool calls whose arguments are split at random
  places (``tool_calls``); a usage chunk (when the request asked for it, or always with
  ``usage="always"``); it can stall, drop the connection or send an error chunk after a number of
  pieces, end without a finish_reason, or finish with ``length`` / ``content_filter``.
- ``HttpError(status)``: an error answer with OpenAI's JSON error body (``retry-after`` on 429).
- ``Stall(seconds)``: no answer at all for that long (the client's timeout is the test).
- ``Drop()``: read the request, then close the connection without answering.

Every request is recorded (``requests``: path, headers, JSON body) with its connection, and the server
notes when each connection was closed by the client (``Connection.closed_at``, a ``time.perf_counter()``
value). The HTTP plumbing (watching the socket while waiting, chunked writes, hang-ups) is
``fake_anthropic``'s.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fake_anthropic import Connection, Drop, RecordedRequest, Stall
from fake_anthropic import FakeAnthropic as _FakeServer
from fake_anthropic import _Handler as _BaseHandler

__all__ = ["Connection", "Drop", "FakeOpenAI", "HttpError", "RecordedRequest", "Reply", "Stall", "ToolCall"]

ERRORS = {
    400: ("invalid_request_error", None, "Unrecognized request argument supplied: foo"),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-proj-****abcd."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Country not supported."),
    404: ("invalid_request_error", "model_not_found", 'model "{model}" not found, try pulling it first'),
    422: ("invalid_request_error", None, "Unprocessable entity"),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests"),
    500: ("server_error", None, "The server had an error while processing your request."),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


@dataclass
class ToolCall:
    """A tool call streamed as ``arguments`` JSON text split at random places (seeded)."""

    name: str
    arguments: str
    id: str = field(default_factory=lambda: "call_" + uuid.uuid4().hex[:24])
    seed: int = 0
    max_piece: int = 7

    def pieces(self) -> list[str]:
        rng = random.Random(self.seed)
        out, i = [], 0
        while i < len(self.arguments):
            n = rng.randint(1, self.max_piece)
            out.append(self.arguments[i : i + n])
            i += n
        return out


@dataclass
class Reply:
    """A streamed reply: ``pieces`` sent as content deltas, ``delay`` seconds apart."""

    pieces: list[str]
    delay: float = 0.0
    ttft: float = 0.0  # after the role chunk, before the first delta
    tool_calls: list[ToolCall] = field(default_factory=list)  # after the text
    prompt_tokens: int = 321
    completion_tokens: int | None = None  # default: one per piece
    finish_reason: str = "stop"
    usage: str = "asked"  # "asked" (if stream_options.include_usage), "always", "never", "finish"
    model: str | None = None  # default: the requested model
    error_after: int | None = None  # send an error chunk after this many pieces
    error: dict[str, Any] = field(
        default_factory=lambda: {"message": "The server had an error", "type": "server_error", "code": None}
    )
    drop_after: int | None = None  # hang up (no terminating chunk) after this many pieces
    stall_after: int | None = None  # go silent after this many pieces, for ``stall`` seconds
    stall: float = 30.0
    finish: bool = True  # False: end the body cleanly ([DONE]) without a finish_reason
    done: bool = True  # False: no data: [DONE] line


@dataclass
class HttpError:
    status: int
    message: str | None = None
    error_type: str | None = None
    code: str | None = None
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)


Script = Reply | HttpError | Stall | Drop


class _Handler(_BaseHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = RecordedRequest("POST", self.path, headers, body, time.perf_counter(), self.conn_record)
        script = self.fake._next(request)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(
                404, {"error": {"message": f"Not Found: {self.path}", "type": "invalid_request_error"}}
            )
            return
        body = body if isinstance(body, dict) else {}
        if isinstance(script, HttpError):
            self._openai_error(script, str(body.get("model", "")))
        elif isinstance(script, Stall):
            self._wait(script.seconds)
            self.close_connection = True
        elif isinstance(script, Drop):
            self._hang_up()
        else:
            self._reply(script, body)

    def _openai_error(self, script: HttpError, model: str) -> None:
        etype, code, message = ERRORS.get(script.status, ("server_error", None, "Internal error"))
        headers = dict(script.headers)
        if script.retry_after is not None:
            headers["retry-after"] = f"{script.retry_after:g}"
        error = {
            "message": (script.message or message).format(model=model),
            "type": script.error_type or etype,
            "param": None,
            "code": script.code or code,
        }
        self._json(script.status, {"error": error}, headers)

    def _reply(self, script: Reply, body: dict[str, Any]) -> None:
        model = script.model or str(body.get("model", "gpt-test"))
        ident = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        asked = bool((body.get("stream_options") or {}).get("include_usage"))
        send_usage = script.usage == "always" or (script.usage == "asked" and asked)

        def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
            return {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": choices,
                **extra,
            }

        def delta(d: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return chunk([{"index": 0, "delta": d, "logprobs": None, "finish_reason": finish}])

        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-request-id", "req_" + uuid.uuid4().hex[:24])
        self.end_headers()
        if not self._data(delta({"role": "assistant", "content": "", "refusal": None})):
            return
        if script.ttft and not self._wait(script.ttft):
            return
        n = len(script.pieces)
        for i, piece in enumerate(script.pieces):
            if not self._interrupt(script, i):
                return
            if i and script.delay and not self._wait(script.delay):
                return
            if not self._data(delta({"content": piece})):
                return
            self.conn_record.pieces_sent += 1
        if not self._interrupt(script, n):
            return
        for number, call in enumerate(script.tool_calls):
            first = {
                "index": number,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            if not self._data(delta({"tool_calls": [first]})):
                return
            for piece in call.pieces():
                if script.delay and not self._wait(script.delay):
                    return
                if not self._data(
                    delta({"tool_calls": [{"index": number, "function": {"arguments": piece}}]})
                ):
                    return
        output = script.completion_tokens if script.completion_tokens is not None else n
        usage = {
            "prompt_tokens": script.prompt_tokens,
            "completion_tokens": output,
            "total_tokens": script.prompt_tokens + output,
        }
        if script.finish:
            reason = (
                "tool_calls" if script.tool_calls and script.finish_reason == "stop" else script.finish_reason
            )
            last = delta({}, reason)
            if script.usage == "finish":
                last["usage"] = usage
            if not self._data(last):
                return
        if send_usage and not self._data(chunk([], usage=usage)):
            return
        if script.done and not self._raw(b"data: [DONE]\n\n"):
            return
        self._chunk(b"")  # the terminating chunk

    def _interrupt(self, script: Reply, i: int) -> bool:
        """Before piece ``i`` (or the end, ``i == n``): error, drop or stall. False: stop here."""
        n = len(script.pieces)

        def at(k: int | None) -> bool:
            return k is not None and (k == i or (i == n and k >= n))

        if at(script.error_after):
            if self._data({"error": script.error}):
                self._chunk(b"")
            return False
        if at(script.drop_after):
            self._hang_up()
            return False
        return not (at(script.stall_after) and not self._wait(script.stall))

    def _data(self, obj: dict[str, Any]) -> bool:
        return self._raw(f"data: {json.dumps(obj)}\n\n".encode())

    def _raw(self, data: bytes) -> bool:
        if not self._wait(0):
            return False
        return self._chunk(data)


class FakeOpenAI(_FakeServer):
    """The fake server. Use as a context manager; it stops by itself after ``deadline`` seconds."""

    def __init__(self, *scripts: Script, default: Script | None = None, deadline: float = 120.0) -> None:
        super().__init__(*scripts, default=default or Reply(["Hello."]), deadline=deadline)
        self._server.RequestHandlerClass = _Handler  # same server, the chat completions protocol
        self.base_url = self.url + "/v1"

    def __enter__(self) -> FakeOpenAI:
        self.start()
        return self
