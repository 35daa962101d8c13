"""AnthropicSource through the real ``anthropic`` SDK, against the loopback fake of the Messages API."""

from __future__ import annotations

import json
import logging
import os
import random
import string
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_anthropic import Drop, FakeAnthropic, HttpError, Reply, Stall

from eager_jupyter.sources.anthropic import (
    AnthropicSource,
    ApiError,
    ApiTimeout,
    BadRequest,
    ConnectionLost,
    KeyRejected,
    MissingApiKey,
    ModelNotFound,
    Overloaded,
    RateLimited,
    RecordError,
    ReplyIncomplete,
    RequestError,
    ServerError,
    check_api_key,
)
from eager_jupyter.sources.anthropic import sockets as _sockets
from eager_jupyter.sources.base import Source, SourceError
from eager_jupyter.sources.prompt import Conversation, clean_traceback, expand_request, user_message
from eager_jupyter.sources.replay import TraceSource
from eager_jupyter.trace import read_trace

KEY = "sk-ant-api03-FAKEKEYFORTESTS-" + "k" * 24
REPLY = ["Here is the code:\n```python\n", "import math\n", "x = math.sqrt(16)\n", "x\n", "```\n", "Done."]

@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    with FakeAnthropic(deadline=60) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield server


def source(request: str = "compute a square root", **options: Any) -> AnthropicSource:
    options.setdefault("retries", 0)
    options.setdefault("backoff", 0.0)
    return AnthropicSource(request, **options)


def drain(src: AnthropicSource) -> tuple[list[str], SourceError | None]:
    pieces: list[str] = []
    try:
        for piece in src.stream():
            pieces.append(piece)
    except SourceError as error:
        return pieces, error
    return pieces, None


# ---- the normal path ---------------------------------------------------------------------------


def test_is_a_markdown_source(fake: FakeAnthropic) -> None:
    src = source()
    assert isinstance(src, Source)
    assert src.kind == "markdown" and src.model == "claude-sonnet-5-5" and src.label == "anthropic"


def test_streams_the_reply_with_usage(fake: FakeAnthropic) -> None:
    fake.add(Reply(REPLY, delay=0.005, input_tokens=812, output_tokens=40))
    src = source()
    pieces, error = drain(src)
    assert error is None
    assert pieces == REPLY
    assert src.reply == "".join(REPLY)
    assert src.usage["input_tokens"] == 812 and src.usage["output_tokens"] == 40
    assert src.stop_reason == "end_turn" and src.served_model == "claude-sonnet-5-5"
    assert src.attempts == 1


def test_request_shape_headers_and_base_url(fake: FakeAnthropic) -> None:
    fake.add(Reply(["ok"]))
    src = source("plot it", context="df: pandas.DataFrame, 3 rows x 1 columns: a (int64)", max_tokens=321)
    drain(src)
    request = fake.last
    assert request.path == "/v1/messages"
    assert request.headers.get("x-api-key") == KEY or request.headers.get("authorization") == f"Bearer {KEY}"
    assert request.headers["anthropic-version"]
    body = request.body
    assert body["model"] == "claude-sonnet-5-5" and body["max_tokens"] == 321 and body["stream"] is True
    assert "```python" in body["system"] and "top-level statement" in body["system"]
    assert "temperature" not in body
    assert body["messages"] == [
        {
            "role": "user",
            "content": "<notebook>\ndf: pandas.DataFrame, 3 rows x 1 columns: a (int64)\n</notebook>"
            "\n\nplot it",
        }
    ]


def test_model_and_temperature_are_passed_through(fake: FakeAnthropic) -> None:
    fake.add(Reply(["ok"]))
    drain(source(model="claude-someday-9-9", temperature=0.2))
    assert fake.last.body["model"] == "claude-someday-9-9"  # never checked against a list
    assert fake.last.body["temperature"] == 0.2


def test_a_refused_temperature_says_what_to_do(fake: FakeAnthropic) -> None:
    fake.add(HttpError(400, message="temperature: Extra inputs are not permitted"))
    _, error = drain(source(temperature=0.5))
    assert isinstance(error, BadRequest)
    assert "leave --temperature unset" in str(error)


def test_for_notebook_expands_names_and_attaches_the_namespace(fake: FakeAnthropic) -> None:
    pd = pytest.importorskip("pandas")
    fake.add(Reply(["ok"]))
    namespace = {
        "sales": pd.DataFrame({"region": ["n", "s"], "revenue": [1.0, 2.5]}),
        "n": 3,
        "config_value": KEY,  # a value that is the key: never sent
        "api_key": "whatever",  # a secret-looking name: never sent
    }
    src = AnthropicSource.for_notebook("show the top {n} regions of {{sales}}", namespace, retries=0)
    assert src.request == "show the top 3 regions of {sales}"
    drain(src)
    content = fake.last.body["messages"][-1]["content"]
    assert content.endswith("show the top 3 regions of {sales}")
    assert "sales: pandas.DataFrame, 2 rows x 2 columns: region" in content and "revenue (float64)" in content
    assert "n: int = 3" in content
    sent = json.dumps(fake.last.body)
    assert KEY not in sent and "api_key" not in sent and "config_value" not in sent


def test_request_errors_are_clear(fake: FakeAnthropic) -> None:
    with pytest.raises(RequestError, match=r"\{missing\} in the request: no variable 'missing'"):
        AnthropicSource.for_notebook("use {missing}", {})
    with pytest.raises(RequestError, match="looks like a secret"):
        AnthropicSource.for_notebook("send {my_token}", {"my_token": "abc"})
    with pytest.raises(RequestError, match="contains the API key"):
        AnthropicSource.for_notebook("send {v}", {"v": f"key={KEY}"})
    assert expand_request('a {{b}} {"c": 1} {x}', {"x": [1]}) == 'a {b} {"c": 1} [1]'
    assert fake.requests == []


def test_missing_key_says_how_to_set_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(MissingApiKey) as info:
        check_api_key()
    message = str(info.value)
    assert "\n" not in message
    assert "ANTHROPIC_API_KEY" in message and "%env" in message and "--replay" in message
    with pytest.raises(MissingApiKey):
        AnthropicSource("x")
    with pytest.raises(MissingApiKey):
        AnthropicSource.for_notebook("x", {})
    monkeypatch.setenv("ANTHROPIC_API_KEY", "   ")
    with pytest.raises(MissingApiKey):
        check_api_key()


def test_conversation_history_is_sent_and_new_starts_afresh(fake: FakeAnthropic) -> None:
    conversation = Conversation()
    fake.add(Reply(["```python\na = 1\n```"]), Reply(["```python\nb = a + 1\n```"]), Reply(["ok"]))
    drain(source("make a", conversation=conversation, context="(empty)"))
    drain(source("now b", conversation=conversation, context="a: int = 1"))
    assert fake.last.body["messages"] == [
        {"role": "user", "content": "make a"},
        {"role": "assistant", "content": "```python\na = 1\n```"},
        {"role": "user", "content": "<notebook>\na: int = 1\n</notebook>\n\nnow b"},
    ]
    assert len(conversation) == 2
    conversation.clear()  # --new
    drain(source("again", conversation=conversation))
    assert fake.last.body["messages"] == [{"role": "user", "content": "again"}]


def test_conversation_budget_keeps_the_most_recent_whole_exchanges() -> None:
    conversation = Conversation(max_chars=25)
    conversation.add("first", "1234567890")
    conversation.add("second", "1234567890")
    conversation.add("", "ignored")  # the API refuses empty turns
    conversation.add("third", "")
    assert [m["content"] for m in conversation.messages()] == ["second", "1234567890"]
    assert len(conversation) == 2


# ---- failures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls", "words"),
    [
        (400, BadRequest, "refused the request (400 invalid_request_error"),
        (
            401,
            KeyRejected,
            "rejected the key (401 authentication_error: invalid x-api-key); check ANTHROPIC_API_KEY",
        ),
        (403, KeyRejected, "(403 permission_error"),
        (404, ModelNotFound, "model 'claude-sonnet-5-5' not found (404 not_found_error"),
        (413, BadRequest, "(413 request_too_large"),
        (429, RateLimited, "rate limited by the API (429 rate_limit_error"),
        (500, ServerError, "the API failed (500 api_error"),
        (503, ServerError, "(503 api_error"),
        (529, Overloaded, "overloaded (529 overloaded_error: Overloaded)"),
    ],
)
def test_http_errors_become_one_clear_line(
    fake: FakeAnthropic, status: int, cls: type[ApiError], words: str
) -> None:
    fake.add(HttpError(status))
    pieces, error = drain(source())
    assert pieces == []
    assert type(error) is cls, error
    assert words in str(error)
    assert "\n" not in str(error) and KEY not in str(error) and KEY not in repr(error)
    assert error.status == status and not error.during_reply
    assert error.__cause__ is None and error.__context__ is None  # no SDK object (with the key) attached
    assert len(fake.requests) == 1


def test_retries_before_the_first_text(fake: FakeAnthropic) -> None:
    fake.add(HttpError(529), HttpError(429, retry_after=0), Reply(["ok"]))
    src = source(retries=2)
    pieces, error = drain(src)
    assert error is None and pieces == ["ok"]
    assert len(fake.requests) == 3 and src.attempts == 3


def test_retries_exhausted_say_so(fake: FakeAnthropic) -> None:
    fake.add(HttpError(529), HttpError(529), HttpError(529))
    _, error = drain(source(retries=2))
    assert isinstance(error, Overloaded) and str(error).endswith("(3 attempts)")
    assert len(fake.requests) == 3


def test_a_long_retry_after_fails_at_once(fake: FakeAnthropic) -> None:
    fake.add(HttpError(429, retry_after=60))
    _, error = drain(source(retries=2, max_retry_wait=20))
    assert isinstance(error, RateLimited) and "retry after 60 s" in str(error)
    assert error.retry_after == 60 and len(fake.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_not_retried(fake: FakeAnthropic, status: int) -> None:
    fake.add(HttpError(status), Reply(["never"]))
    _, error = drain(source(retries=2))
    assert isinstance(error, ApiError) and len(fake.requests) == 1


def test_an_error_event_before_any_text_is_retried(fake: FakeAnthropic) -> None:
    fake.add(Reply(["a"], error_after=0), Reply(["ok"]))
    pieces, error = drain(source(retries=1))
    assert error is None and pieces == ["ok"] and len(fake.requests) == 2


def test_an_error_event_mid_reply_ends_the_stream_and_is_not_retried(fake: FakeAnthropic) -> None:
    fake.add(Reply(["a", "b", "c"], error_after=2), Reply(["never"]))
    pieces, error = drain(source(retries=2))
    assert pieces == ["a", "b"]
    assert isinstance(error, Overloaded) and error.during_reply
    assert (
        str(error) == "the API is overloaded mid-reply (overloaded_error: Overloaded); try again in a moment"
    )
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("etype", "cls"),
    [("api_error", ServerError), ("rate_limit_error", RateLimited), ("invalid_request_error", BadRequest)],
)
def test_error_events_map_by_type(fake: FakeAnthropic, etype: str, cls: type[ApiError]) -> None:
    fake.add(Reply(["a", "b"], error_after=1, error_type=etype, error_message="boom"))
    _, error = drain(source())
    assert type(error) is cls and error.during_reply and "boom" in str(error)


def test_a_dropped_connection_mid_reply(fake: FakeAnthropic) -> None:
    fake.add(Reply(["a", "b", "c"], drop_after=2), Reply(["never"]))
    pieces, error = drain(source(retries=2))
    assert pieces == ["a", "b"]
    assert isinstance(error, ConnectionLost) and error.during_reply
    assert str(error) == "the connection to the API dropped mid-reply"
    assert len(fake.requests) == 1


def test_a_dropped_connection_before_the_reply(fake: FakeAnthropic) -> None:
    fake.add(Drop())
    _, error = drain(source())
    assert isinstance(error, ConnectionLost) and not error.during_reply
    assert "\n" not in str(error)


def test_a_reply_without_message_stop(fake: FakeAnthropic) -> None:
    fake.add(Reply(["a"], message_stop=False))
    pieces, error = drain(source())
    assert pieces == ["a"] and isinstance(error, ConnectionLost) and "before message_stop" in str(error)


def test_cannot_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    _, error = drain(source(base_url=f"http://user:pw@127.0.0.1:{port}"))
    assert isinstance(error, ConnectionLost)
    assert str(error).startswith(f"cannot reach the API at http://127.0.0.1:{port}: ")
    assert "pw" not in str(error)


def test_timeout_before_the_reply(fake: FakeAnthropic) -> None:
    fake.add(Stall(10))
    _, error = drain(source(timeout=0.3))
    assert isinstance(error, ApiTimeout) and str(error) == "no answer from the API within 0.3 s (timeout)"


def test_timeout_mid_reply(fake: FakeAnthropic) -> None:
    fake.add(Reply(["a", "b"], stall_after=1, stall=10))
    pieces, error = drain(source(timeout=0.3))
    assert pieces == ["a"]
    assert isinstance(error, ApiTimeout) and error.during_reply
    assert str(error) == "the reply stalled: nothing for 0.3 s (timeout)"


def test_max_tokens_with_unfinished_code_is_an_error(fake: FakeAnthropic) -> None:
    fake.add(Reply(["```python\n", "x = 1\n", "y = compute_"], stop_reason="max_tokens"))
    pieces, error = drain(source(max_tokens=12))
    assert len(pieces) == 3
    assert isinstance(error, ReplyIncomplete) and "--max-tokens 12" in str(error)


def test_max_tokens_after_the_code_block_is_fine(fake: FakeAnthropic) -> None:
    fake.add(Reply(["```python\nx = 1\n```\n", "This sets x and then expl"], stop_reason="max_tokens"))
    _, error = drain(source())
    assert error is None


def test_refusal_is_an_error(fake: FakeAnthropic) -> None:
    fake.add(Reply(["I can't help with that."], stop_reason="refusal"))
    _, error = drain(source())
    assert isinstance(error, ReplyIncomplete) and "refusal" in str(error)


# ---- closing from another thread ---------------------------------------------------------------


def close_while_streaming(fake: FakeAnthropic, src: AnthropicSource, after_pieces: int) -> float:
    """Start streaming in a thread, close from this one; return the server-side close latency (s)."""
    got: list[str] = []
    started = threading.Event()
    errors: list[BaseException] = []
    requests = len(fake.requests)  # the fake may be shared (tests/bench_stream_close.py)

    def consume() -> None:
        try:
            for piece in src.stream():
                got.append(piece)
                if len(got) >= after_pieces:
                    started.set()
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            started.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    if after_pieces:
        assert started.wait(10)
    else:
        assert fake.wait_requests(requests + 1)
    time.sleep(0.1)  # let it block where it blocks
    src.close()
    thread.join(5)
    assert not thread.is_alive(), "stream() did not end after close()"
    assert errors == [], errors  # closing is not an error
    connection = fake.last.connection
    assert connection.closed.wait(5), "the server never saw the connection close"
    assert connection.closed_at is not None and src.closed_at is not None
    return connection.closed_at - src.closed_at


@pytest.mark.parametrize(
    ("phase", "script", "after"),
    [
        ("stalled mid-reply", Reply(["a", "b"], stall_after=1, stall=30), 1),
        ("streaming", Reply(["x"] * 2000, delay=0.01), 3),
        ("waiting for headers", Stall(30), 0),
    ],
)
def test_close_hangs_up_at_once(fake: FakeAnthropic, phase: str, script: Any, after: int) -> None:
    fake.add(script)
    latency = close_while_streaming(fake, source(), after)
    print(f"\nclose() -> server saw the connection close ({phase}): {latency * 1000:.2f} ms")
    if isinstance(script, Reply):  # hung up, not drained (the server would go on for 20-30 s)
        assert fake.last.connection.pieces_sent < len(script.pieces)


def test_close_during_a_retry_wait(fake: FakeAnthropic) -> None:
    fake.add(HttpError(529, retry_after=15), Reply(["never"]))
    src = source(retries=2)
    thread = threading.Thread(target=lambda: drain(src), daemon=True)
    thread.start()
    assert fake.wait_requests(1)
    time.sleep(0.1)
    t0 = time.perf_counter()
    src.close()
    thread.join(5)
    print(f"\nclose() during a retry wait: stream ended after {(time.perf_counter() - t0) * 1000:.2f} ms")
    assert not thread.is_alive() and len(fake.requests) == 1


def test_close_without_the_backend_hook_uses_the_response_socket(
    fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If httpx2's internals change, the fallback (the response's network_stream) still hangs up."""
    original = _sockets.closable_http_client

    def unhooked(connections: _sockets.Connections, timeout: Any) -> Any:
        client = original(connections, timeout)
        for transport in [client._transport, *client._mounts.values()]:
            pool = getattr(transport, "_pool", None)
            if pool is not None and isinstance(pool._network_backend, _sockets._TrackingBackend):
                pool._network_backend = pool._network_backend._inner
        connections.installed = False
        return client

    monkeypatch.setattr(_sockets, "closable_http_client", unhooked)
    fake.add(Reply(["a", "b"], stall_after=1, stall=30))
    latency = close_while_streaming(fake, source(), 1)
    print(f"\nclose() via the response's socket: {latency * 1000:.2f} ms")
    assert fake.last.connection.pieces_sent == 1  # hung up during the stall


def test_close_before_streaming_sends_nothing(fake: FakeAnthropic) -> None:
    src = source()
    src.close()
    assert list(src.stream()) == []
    assert fake.requests == []


# ---- recording ---------------------------------------------------------------------------------


def test_record_then_replay(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.add(Reply(REPLY, delay=0.01, input_tokens=100, output_tokens=20))
    path = tmp_path / "session.jsonl"
    src = source("square root of 16", record=path, model="claude-test-1")
    pieces, error = drain(src)
    assert error is None
    trace = read_trace(path)
    assert trace.header["kind"] == "markdown" and trace.header["origin"] == "recorded"
    assert trace.header["model"] == "claude-test-1" and trace.header["request"] == "square root of 16"
    assert trace.header["source"] == "anthropic"
    assert [text for _, text in trace.pieces] == pieces
    times = [t for t, _ in trace.pieces]
    assert times == sorted(times) and times[-1] > times[0]
    assert trace.end is not None and trace.end["usage"]["output_tokens"] == 20
    assert trace.end["stop_reason"] == "end_turn"
    assert KEY not in path.read_text()
    replay = TraceSource(trace, speed=50)
    assert replay.kind == "markdown" and "".join(replay.stream()) == "".join(REPLY)


def test_a_recording_cut_short_has_no_end_line(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.add(Reply(["a", "b", "c"], drop_after=2))
    path = tmp_path / "cut.jsonl"
    _, error = drain(source(record=path))
    assert isinstance(error, ConnectionLost)
    trace = read_trace(path)
    assert trace.text == "ab" and trace.end is None


def test_an_unwritable_recording_is_a_clear_error(fake: FakeAnthropic, tmp_path: Path) -> None:
    _, error = drain(source(record=tmp_path / "no" / "such" / "dir.jsonl"))
    assert isinstance(error, RecordError) and "cannot write the recording" in str(error)
    assert fake.requests == []


# ---- --fix -------------------------------------------------------------------------------------


def test_continuation_request(fake: FakeAnthropic, tmp_path: Path) -> None:
    conversation = Conversation()
    conversation.add("earlier", "```python\nold = 1\n```")
    fake.add(
        Reply(["```python\n", "a = 1\n", "b = a / 0\n", "c = 2\n```"]), Reply(["```python\nb = a / 1\n```"])
    )
    first = source("divide", conversation=conversation, context="old: int = 1", record=tmp_path / "t.jsonl")
    drain(first)
    tb = (
        'Traceback (most recent call last):\n  \x1b[31mFile "<eager>", line 2\x1b[0m\n'
        "ZeroDivisionError: division by zero"
    )
    fix = first.continuation("a = 1\n", "b = a / 0\n", tb, namespace={"a": 1, "old": 1})
    assert fix.request == "divide" and fix.label == "anthropic (fix 1)" and fix.model == first.model
    assert fix.record_path == tmp_path / "t.fix1.jsonl"
    pieces, error = drain(fix)
    assert error is None and "".join(pieces) == "```python\nb = a / 1\n```"
    messages = fake.last.body["messages"]
    assert messages[:2] == [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "```python\nold = 1\n```"},
    ]
    assert messages[2] == {"role": "user", "content": user_message("divide", "old: int = 1")}
    assert messages[3] == {"role": "assistant", "content": "```python\na = 1\nb = a / 0\n```"}
    ask = messages[4]["content"]
    assert ask.startswith("<notebook>\nold: int = 1\na: int = 1\n</notebook>")
    assert "```python\nb = a / 0\n```" in ask and "ZeroDivisionError: division by zero" in ask
    assert "\x1b" not in ask and "starts with a corrected version of the failing statement" in ask
    assert len(messages) == 5
    # the conversation now holds both exchanges, so the next cell knows what happened
    assert [e.request for e in conversation.exchanges][1:] == ["divide", fix._exchange_request]
    assert read_trace(tmp_path / "t.fix1.jsonl").text == "```python\nb = a / 1\n```"


def test_clean_traceback_strips_colours_and_keeps_the_end() -> None:
    assert clean_traceback("\x1b[0;31mValueError\x1b[0m: bad") == "ValueError: bad"
    long = "x" * 10_000 + "END"
    assert clean_traceback(long, limit=100).endswith("END") and len(clean_traceback(long, limit=100)) < 110


# ---- the key never leaks -----------------------------------------------------------------------


def test_the_key_is_never_logged_or_shown(
    fake: FakeAnthropic, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    fake.add(Reply(["ok"]), HttpError(401), Reply(["a", "b"], error_after=1))
    caplog.set_level(logging.DEBUG)
    names = ("anthropic", "httpx2", "httpcore2", "httpx", "httpcore")
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    texts: list[str] = []
    for _ in range(3):
        src = source(record=tmp_path / "k.jsonl")
        _, error = drain(src)
        texts += [repr(src), str(src), repr(error), str(error), repr(vars(src))]
    # while a request runs, no SDK record reaches a handler outside the SDK's loggers (in a kernel,
    # ANTHROPIC_LOG's root handler writes to the cell); afterwards the SDK's logging is as it was
    assert not [r for r in caplog.records if r.name.split(".")[0] in names], caplog.text
    assert [logging.getLogger(name).level for name in names] == [logging.DEBUG] * len(names)
    logging.getLogger("anthropic._base_client").debug("after the request")
    assert [r.getMessage() for r in caplog.records] == ["after the request"]
    for text in texts:
        assert KEY not in text
    assert KEY not in (tmp_path / "k.jsonl").read_text()


# ---- secrets stay secret: what the loopback server receives --------------------------------------

_RNG = random.Random(4242)
_B62 = string.ascii_letters + string.digits
# shaped like a real key and random (so its slices are recognisable), made here, never a real one
REAL_LOOKING_KEY = "sk-ant-api03-" + "".join(_RNG.choice(_B62 + "-_") for _ in range(86)) + "AA"
GHP = "ghp_" + "".join(_RNG.choice(_B62) for _ in range(36))
AKIA = "AKIA" + "".join(_RNG.choice(string.ascii_uppercase + string.digits) for _ in range(16))
OTHER_SECRETS = ("hunter2", "open sesame", "sessionid=", GHP, AKIA)


def leaks(text: str) -> list[str]:
    """Pieces of the key (8 characters of it or of its reversal, any case) and other secrets in ``text``."""
    low = text.lower()
    pieces = [
        variant[i : i + 8]
        for variant in (REAL_LOOKING_KEY.lower(), REAL_LOOKING_KEY[::-1].lower())
        for i in range(13, len(variant) - 7)
        if variant[i : i + 8] in low
    ]
    return pieces + [secret for secret in OTHER_SECRETS if secret.lower() in low]


def secret_namespace() -> dict[str, Any]:
    pd = pytest.importorskip("pandas")
    key = REAL_LOOKING_KEY

    def call(prompt, api_key=key):  # type: ignore[no-untyped-def]
        pass

    return {
        "n": 3,
        "call": call,
        "by_label": pd.Series([1.0], name=key),
        "frame": pd.DataFrame({key: [1], "revenue": [2.0]}),
        "header": f"Bearer {key}",
        "rev": key[::-1],
        "part": key[30:60],
        "shout": key.upper(),
        "pwd": "hunter2",
        "passphrase": "open sesame",
        "cookie": "sessionid=abc123",
        "db": "postgresql://me:hunter2@db/sales",
        "gh": GHP,
        "aws": AKIA,
    }


@pytest.fixture
def keyed(fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> FakeAnthropic:
    monkeypatch.setenv("ANTHROPIC_API_KEY", REAL_LOOKING_KEY)
    return fake


def test_the_namespace_summary_sends_no_secret(keyed: FakeAnthropic) -> None:
    keyed.add(Reply(["ok"]))
    drain(AnthropicSource.for_notebook("show the top {n} rows", secret_namespace(), retries=0))
    body = json.dumps(keyed.last.body)
    assert leaks(body) == []
    content = keyed.last.body["messages"][-1]["content"]
    assert "n: int = 3" in content and "show the top 3 rows" in content
    assert "frame: pandas.DataFrame, 1 rows x 2 columns: [redacted] (int64), revenue (float64)" in content


def test_fix_sends_no_secret_now_or_later(keyed: FakeAnthropic) -> None:
    conversation = Conversation()
    keyed.add(
        Reply(["```python\n", "a = 1\n", "print(key)\n", "```"]),
        Reply(["```python\nprint('fixed')\n```"]),
        Reply(["ok"]),
    )
    first = AnthropicSource.for_notebook("use the api", {"n": 1}, conversation=conversation, retries=0)
    drain(first)
    key = REAL_LOOKING_KEY
    traceback = (
        "Traceback (most recent call last):\n"
        f'  File "<eager>", line 2, in <module>\n    client = Client(api_key="{key}")\n'
        f"AuthenticationError: invalid x-api-key {key[:50]} (token {GHP}; reversed {key[::-1][:30]})"
    )
    fix = first.continuation("a = 1\n", "print(key)\n", traceback, namespace={"a": 1, "k": key})
    drain(fix)
    # a later cell resends the conversation, which holds the repair exchange
    drain(AnthropicSource.for_notebook("next", {}, conversation=conversation, retries=0))
    assert len(keyed.requests) == 3
    for request in keyed.requests:
        assert leaks(json.dumps(request.body)) == [], request.body
    ask = keyed.requests[1].body["messages"][-1]["content"]
    assert "AuthenticationError: invalid x-api-key [redacted]" in ask and "a: int = 1" in ask
    assert any("AuthenticationError" in m["content"] for m in keyed.last.body["messages"])
    for exchange in conversation.exchanges:
        assert leaks(exchange.request + exchange.reply) == []


def test_expanded_values_and_the_conversation_keep_no_secret() -> None:
    from eager_jupyter.sources.secrets import SecretScanner

    scanner = SecretScanner([REAL_LOOKING_KEY])
    # a piece of the key in a {name} value: not sent at all; another token: sent redacted
    with pytest.raises(RequestError, match="contains the API key"):
        expand_request("send {v}", {"v": REAL_LOOKING_KEY[::-1][10:40]}, scanner=scanner)
    assert expand_request("send {v}", {"v": f"token {GHP}"}, scanner=scanner) == "send token [redacted]"
    # whatever a caller hands the conversation is kept redacted, with or without a scanner
    conversation = Conversation()
    conversation.add(f"use {GHP}", f"```python\nkey = '{AKIA}'\n```")
    conversation.add(f"again {REAL_LOOKING_KEY[20:50]}", "ok", scanner)
    kept = json.dumps(conversation.messages())
    assert leaks(kept) == [] and kept.count("[redacted]") == 3


def test_a_tool_result_can_be_redacted_with_the_sources_scanner() -> None:
    from eager_jupyter.sources.secrets import redact_for_model

    src = AnthropicSource("x", api_key=REAL_LOOKING_KEY)
    output = f"stdout: {REAL_LOOKING_KEY[20:44].lower()} and {GHP}\nresult: 42"
    assert redact_for_model(output, src.scanner) == "stdout: [redacted] and [redacted]\nresult: 42"


SDK_DEBUG = """
import json, os, sys
import anthropic  # with ANTHROPIC_LOG=debug: basicConfig on stderr, the SDK's loggers at DEBUG
from eager_jupyter.sources.anthropic import AnthropicSource
if sys.argv[1] == "sdk":  # the SDK on its own: the body goes to stderr
    anthropic.Anthropic(max_retries=0).messages.create(
        model="m", max_tokens=5, messages=[{"role": "user", "content": "MARKER-BODY " + sys.argv[2]}]
    )
else:
    src = AnthropicSource.for_notebook("MARKER-BODY {v}", {"v": 1}, retries=0)
    print("".join(src.stream()))
"""


def test_the_sdks_debug_log_writes_no_body_during_a_request(keyed: FakeAnthropic) -> None:
    import subprocess
    import sys

    env = {**os.environ, "ANTHROPIC_LOG": "debug", "NO_PROXY": "127.0.0.1"}
    env.pop("PYTEST_CURRENT_TEST", None)
    # the control: the SDK on its own writes the request body (and so the summary) to stderr
    keyed.add(Reply(["ok"]), Reply(["```python\nx = 1\n```"]))
    control = subprocess.run(
        [sys.executable, "-c", SDK_DEBUG, "sdk", "hello"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "Request options" in control.stderr and "MARKER-BODY hello" in control.stderr
    ours = subprocess.run(
        [sys.executable, "-c", SDK_DEBUG, "source"], env=env, capture_output=True, text=True, timeout=60
    )
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.strip() == "```python\nx = 1\n```"
    assert "MARKER-BODY" in json.dumps(keyed.last.body)  # it was sent, and not logged
    assert ours.stderr == ""
