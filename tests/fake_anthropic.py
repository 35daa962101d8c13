"""A loopback stand-in for the Anthropic Messages API, for driving the real SDK in tests.

``FakeAnthropic`` listens on 127.0.0.1 (an ephemeral port) in a thread, answers ``POST /v1/messages``
with scripted replies, and stops by itself after ``deadline`` seconds or when its ``with`` block ends.
Point the SDK at it with ``ANTHROPIC_BASE_URL=fake.url``. It speaks the streaming protocol as the
API does (``text/event-stream``, chunked)::

    event: message_start        {"type": "message_start", "message": {..., "usage": {...}}}
    event: content_block_start  {"type": "content_block_start", "index": 0, "content_block": {...}}
    event: ping                 {"type": "ping"}
    event: content_block_delta  {..., "delta": {"type": "text_delta", "text": "..."}}
    event: content_block_delta  {..., "delta": {"type": "input_json_delta", "partial_json": "..."}}
    event: content_block_stop   {"type": "content_block_stop", "index": 0}
    event: message_delta        {..., "delta": {"stop_reason": "end_turn", ...}, "usage": {...}}
    event: message_stop         {"type": "message_stop"}
    event: error                {"type": "error", "error": {"type": "overloaded_error", ...}}

Scripts, taken in order, one per request (``default`` when the queue is empty):
- ``Reply(pieces, delay=..., ...)``: a streamed reply; it can stall, drop the connection or send an
  SSE ``error`` event after a number of pieces, or end without ``message_stop``.
  ``Reply(pieces, tools=[ToolUse({"code": ...}), ...])`` follows the text block (none when ``pieces``
  is empty) with one ``tool_use`` block per call, as the API streams them with ``eager_input_streaming``:
  ``content_block_start`` with ``{"type": "tool_use", "id", "name", "input": {}}``, the input's JSON
  text as ``input_json_delta`` pieces of random (seeded) sizes that cut anywhere, escapes included,
  ``content_block_stop``; the stop reason is then ``tool_use``. The pieces' indices continue the text
  pieces' for ``error_after``, ``drop_after``, ``stall_after`` and ``delay``.
- ``HttpError(status)``: an error answer with the API's JSON error body (``retry-after`` on 429).
- ``Stall(seconds)``: no answer at all for that long (the client's timeout is the test).
- ``Drop()``: read the request, then close the connection without answering.

Every request is recorded (``requests``: path, headers, JSON body) with its connection, and the server
notes when each connection was closed by the client (``Connection.closed_at``, a
``time.perf_counter()`` value; on Linux that clock is system-wide, so it compares with a kernel's).
While it waits between events it watches the socket, so a client hanging up is seen at once, and it
counts the deltas it wrote on each connection (``Connection.pieces_sent``; ``json_pieces_sent`` for
the ``input_json_delta`` ones).
"""

from __future__ import annotations

import json
import random
import select
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Connection", "Drop", "FakeAnthropic", "HttpError", "RecordedRequest", "Reply", "Stall", "ToolUse"]

ERROR_TYPES = {
    400: ("invalid_request_error", "max_tokens: Field required"),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "model: claude-nonexistent-0"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}


@dataclass
class ToolUse:
    """A ``tool_use`` block whose input streams as ``input_json_delta`` pieces.

    ``input`` is the tool input: an object (written with ``json.dumps``, ``ensure_ascii`` as given) or
    JSON text sent as is (malformed on purpose, if a test wants). ``pieces`` fixes the split; else
    the text is cut into pieces of 1 to ``max_piece`` characters drawn from ``random.Random(seed)``.
    """

    input: dict[str, Any] | str
    name: str = "python"
    id: str = field(default_factory=lambda: "toolu_" + uuid.uuid4().hex[:24])
    seed: int = 0
    max_piece: int = 8
    ensure_ascii: bool = False
    pieces: list[str] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.input, str):
            return self.input
        return json.dumps(self.input, ensure_ascii=self.ensure_ascii)

    def split(self) -> list[str]:
        if self.pieces is not None:
            return list(self.pieces)
        text, rng, out, i = self.text, random.Random(self.seed), [], 0
        while i < len(text):
            size = rng.randint(1, self.max_piece)
            out.append(text[i : i + size])
            i += size
        return out


@dataclass
class Reply:
    """A streamed reply: ``pieces`` sent as text deltas, then ``tools``, ``delay`` seconds apart."""

    pieces: list[str]
    delay: float = 0.0
    ttft: float = 0.0  # after message_start, before the first delta
    input_tokens: int = 321
    output_tokens: int | None = None  # default: one per piece
    stop_reason: str | None = ""  # "": "tool_use" when there are tools, else "end_turn"; None: null
    message_delta: bool = True  # False: no message_delta event (no stop reason at all)
    model: str | None = None  # default: the requested model
    error_after: int | None = None  # send an SSE error event after this many pieces
    error_type: str = "overloaded_error"
    error_message: str = "Overloaded"
    drop_after: int | None = None  # hang up (no terminating chunk) after this many pieces
    stall_after: int | None = None  # go silent after this many pieces, for ``stall`` seconds
    stall: float = 30.0
    message_stop: bool = True  # False: end the body cleanly without message_stop
    tools: list[ToolUse] = field(default_factory=list)  # tool_use blocks after the text

    def blocks(self) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """The content blocks: (the block of content_block_start, its deltas)."""
        blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        if self.pieces or not self.tools:
            text = [{"type": "text_delta", "text": piece} for piece in self.pieces]
            blocks.append(({"type": "text", "text": ""}, text))
        for tool in self.tools:
            start = {"type": "tool_use", "id": tool.id, "name": tool.name, "input": {}}
            blocks.append((start, [{"type": "input_json_delta", "partial_json": p} for p in tool.split()]))
        return blocks


@dataclass
class HttpError:
    status: int
    error_type: str | None = None
    message: str | None = None
    retry_after: float | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stall:
    seconds: float = 30.0


@dataclass
class Drop:
    pass


Script = Reply | HttpError | Stall | Drop


@dataclass
class Connection:
    opened_at: float
    closed_at: float | None = None  # when the client hung up, as seen by the server
    closed: threading.Event = field(default_factory=threading.Event)
    pieces_sent: int = 0  # deltas written before the reply ended or the client hung up
    json_pieces_sent: int = 0  # of which input_json_delta

    def mark_closed(self) -> None:
        if self.closed_at is None:
            self.closed_at = time.perf_counter()
            self.closed.set()


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any
    received_at: float
    connection: Connection


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeAnthropic


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        self.conn_record = Connection(time.perf_counter())
        self.fake = self.server.fake
        self.fake._register(self.connection, self.conn_record)

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:
            pass
        finally:
            self.conn_record.mark_closed()

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
        if self.path.rstrip("/") != "/v1/messages":
            self._json(404, {"type": "error", "error": {"type": "not_found_error", "message": "Not Found"}})
            return
        if isinstance(script, HttpError):
            self._http_error(script)
        elif isinstance(script, Stall):
            self._wait(script.seconds)
            self.close_connection = True
        elif isinstance(script, Drop):
            self._hang_up()
        else:
            self._stream(script, body if isinstance(body, dict) else {})

    # ---- answers -------------------------------------------------------------------------------
    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", _request_id())
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _http_error(self, script: HttpError) -> None:
        etype, message = ERROR_TYPES.get(script.status, ("api_error", "Internal server error"))
        headers = dict(script.headers)
        if script.retry_after is not None:
            headers["retry-after"] = f"{script.retry_after:g}"
        headers.setdefault("x-should-retry", "true" if script.status in (429, 500, 529) else "false")
        body = {
            "type": "error",
            "error": {"type": script.error_type or etype, "message": script.message or message},
            "request_id": _request_id(),
        }
        self._json(script.status, body, headers)

    def _stream(self, script: Reply, body: dict[str, Any]) -> None:
        model = script.model or str(body.get("model", "claude-sonnet-5-5"))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", _request_id())
        self.end_headers()
        usage = {
            "input_tokens": script.input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 1,
        }
        message: dict[str, Any] = {
            "id": "msg_" + uuid.uuid4().hex[:24],
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        if not self._event("message_start", {"type": "message_start", "message": message}):
            return
        blocks = script.blocks()
        start = {"type": "content_block_start", "index": 0, "content_block": blocks[0][0]}
        if not (self._event("content_block_start", start) and self._event("ping", {"type": "ping"})):
            return
        if script.ttft and not self._wait(script.ttft):
            return
        i = 0  # deltas so far, over all blocks
        for index, (content_block, deltas) in enumerate(blocks):
            if index:
                start = {"type": "content_block_start", "index": index, "content_block": content_block}
                stop = {"type": "content_block_stop", "index": index - 1}
                if not self._event("content_block_stop", stop):
                    return
                if not self._event("content_block_start", start):
                    return
            for delta in deltas:
                if script.error_after == i:
                    self._error_event(script)
                    return
                if script.drop_after == i:
                    self._hang_up()
                    return
                if script.stall_after == i and not self._wait(script.stall):
                    return
                if i and script.delay and not self._wait(script.delay):
                    return
                event = {"type": "content_block_delta", "index": index, "delta": delta}
                if not self._event("content_block_delta", event):
                    return
                self.conn_record.pieces_sent += 1
                if delta["type"] == "input_json_delta":
                    self.conn_record.json_pieces_sent += 1
                i += 1
        n = i
        if script.error_after is not None and script.error_after >= n:
            self._error_event(script)
            return
        if script.drop_after is not None and script.drop_after >= n:
            self._hang_up()
            return
        if script.stall_after is not None and script.stall_after >= n and not self._wait(script.stall):
            return
        output = script.output_tokens if script.output_tokens is not None else n
        stop_reason = script.stop_reason
        if stop_reason == "":  # the default: what a real reply of this shape would say
            stop_reason = "tool_use" if script.tools else "end_turn"
        end: list[tuple[str, dict[str, Any]]] = [
            ("content_block_stop", {"type": "content_block_stop", "index": len(blocks) - 1}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": output},
                },
            ),
        ][: 2 if script.message_delta else 1]
        if script.message_stop:
            end.append(("message_stop", {"type": "message_stop"}))
        for name, data in end:
            if not self._event(name, data):
                return
        self._chunk(b"")  # the terminating chunk

    def _error_event(self, script: Reply) -> bool:
        data = {"type": "error", "error": {"type": script.error_type, "message": script.error_message}}
        ok = self._event("error", data)
        if ok:
            self._chunk(b"")
        return ok

    # ---- low level -----------------------------------------------------------------------------
    def _event(self, name: str, data: dict[str, Any]) -> bool:
        if not self._wait(0):
            return False
        return self._chunk(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())

    def _chunk(self, data: bytes) -> bool:
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            return True
        except OSError:
            self.conn_record.mark_closed()
            self.close_connection = True
            return False

    def _wait(self, seconds: float) -> bool:
        """Wait, watching the socket: False (and the close noted) as soon as the client hangs up."""
        deadline = time.perf_counter() + seconds
        sock = self.connection
        while True:
            remaining = deadline - time.perf_counter()
            if self.fake.stopping.is_set():
                self.close_connection = True
                return False
            try:
                readable, _, _ = select.select([sock], [], [], max(0.0, min(remaining, 0.05)))
                if readable:
                    if not sock.recv(1, socket.MSG_PEEK):
                        self.conn_record.mark_closed()
                        self.close_connection = True
                        return False
                    time.sleep(min(max(remaining, 0.0), 0.005))  # a next request is waiting
            except (OSError, ValueError):
                self.conn_record.mark_closed()
                self.close_connection = True
                return False
            if remaining <= 0:
                return True

    def _hang_up(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _request_id() -> str:
    return "req_" + uuid.uuid4().hex[:24]


class FakeAnthropic:
    """The fake API server. Use as a context manager; it stops by itself after ``deadline`` seconds."""

    def __init__(self, *scripts: Script, default: Script | None = None, deadline: float = 120.0) -> None:
        self._scripts: list[Script] = list(scripts)
        self.default: Script = default or Reply(["Hello."])
        self.deadline = deadline
        self.requests: list[RecordedRequest] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-anthropic",
            daemon=True,
        )
        self._timer = threading.Timer(deadline, self.stop)
        self._timer.daemon = True

    def __enter__(self) -> FakeAnthropic:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()
        self._timer.start()

    def stop(self) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        self._timer.cancel()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def add(self, *scripts: Script) -> None:
        with self._lock:
            self._scripts.extend(scripts)

    def clear(self) -> list[Script]:
        """Forget the scripts not used yet (a test that stopped early); returns them."""
        with self._lock:
            left, self._scripts = self._scripts, []
        return left

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]

    def wait_requests(self, n: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.requests) < n:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def _next(self, request: RecordedRequest) -> Script:
        with self._lock:
            self.requests.append(request)
            return self._scripts.pop(0) if self._scripts else self.default

    def _register(self, sock: socket.socket, record: Connection) -> None:
        with self._lock:
            self._sockets.append(sock)
