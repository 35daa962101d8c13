"""OpenAISource through the real ``openai`` SDK against the loopback chat completions server, and a
provider table: every failure, for the Anthropic source (``fake_anthropic``) and the OpenAI-compatible
one (as ``openai`` and as ``ollama``), ends with one line that says what to do."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fake_anthropic as fa
import fake_openai as fo
import pytest
from test_anthropic_source import close_while_streaming

from eager_jupyter.sources import sockets as _sockets
from eager_jupyter.sources.anthropic import AnthropicSource
from eager_jupyter.sources.base import Source, SourceError
from eager_jupyter.sources.errors import (
    ApiError,
    ApiTimeout,
    ConnectionLost,
    KeyRejected,
    MissingApiKey,
    MissingSdk,
    ModelNotFound,
    Overloaded,
    RateLimited,
    ReplyIncomplete,
    ServerError,
)
from eager_jupyter.sources.models import make_model_source
from eager_jupyter.sources.openai import OpenAISource
from eager_jupyter.sources.prompt import Conversation, user_message
from eager_jupyter.sources.providers import BUILTIN, ProviderError, cost_usd
from eager_jupyter.sources.replay import TraceSource
from eager_jupyter.trace import read_trace

KEY = "sk-proj-FAKEOPENAIKEYFORTESTS-" + "o" * 24
ANTHROPIC_KEY = "sk-ant-api03-FAKEKEYFORTESTS-" + "k" * 24
REPLY = ["Here is the code:\n```python\n", "import math\n", "x = math.sqrt(16)\n", "x\n", "```\n", "Done."]


@dataclass
class Fakes:
    anthropic: fa.FakeAnthropic
    openai: fo.FakeOpenAI


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fakes]:
    with fa.FakeAnthropic(deadline=60) as anthropic, fo.FakeOpenAI(deadline=60) as openai:
        monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic.url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", openai.base_url)
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield Fakes(anthropic, openai)


@pytest.fixture
def fake(fakes: Fakes) -> fo.FakeOpenAI:
    return fakes.openai


def source(request: str = "compute a square root", provider: str = "openai", **options: Any) -> OpenAISource:
    options.setdefault("retries", 0)
    options.setdefault("backoff", 0.0)
    options.setdefault("model", "qwen3-coder" if provider == "ollama" else "gpt-test")
    return OpenAISource(request, provider=provider, **options)


def ollama(fake: fo.FakeOpenAI, request: str = "compute a square root", **options: Any) -> OpenAISource:
    return source(request, provider="ollama", base_url=fake.base_url, **options)


def drain(src: Any) -> tuple[list[str], SourceError | None]:
    pieces: list[str] = []
    try:
        for piece in src.stream():
            pieces.append(piece)
    except SourceError as error:
        return pieces, error
    return pieces, None


# ---- the normal path ---------------------------------------------------------------------------


def test_is_a_markdown_source(fake: fo.FakeOpenAI) -> None:
    src = source()
    assert isinstance(src, Source)
    assert src.kind == "markdown" and src.model == "gpt-test" and src.label == "openai"
    assert src.spec == "openai:gpt-test" and ollama(fake).spec == "ollama:qwen3-coder"


def test_streams_the_reply_with_usage(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.Reply(REPLY, delay=0.005, prompt_tokens=812, completion_tokens=40))
    src = source()
    pieces, error = drain(src)
    assert error is None and pieces == REPLY and src.reply == "".join(REPLY)
    assert src.usage == {"input_tokens": 812, "output_tokens": 40}
    assert src.finish_reason == "stop" and src.served_model == "gpt-test" and src.attempts == 1


@pytest.mark.parametrize("where", ["finish", "always"])
def test_usage_wherever_the_server_puts_it(fake: fo.FakeOpenAI, where: str) -> None:
    fake.add(fo.Reply(["ok"], prompt_tokens=7, completion_tokens=1, usage=where))
    src = ollama(fake)
    assert drain(src)[1] is None and src.usage == {"input_tokens": 7, "output_tokens": 1}


def test_openai_request_shape_and_key(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.Reply(["ok"]))
    context = "df: pandas.DataFrame, 3 rows x 1 columns: a (int64)"
    drain(source("plot it", context=context, max_tokens=321, temperature=0.2))
    request = fake.last
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = request.body
    assert body["model"] == "gpt-test" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_completion_tokens"] == 321 and "max_tokens" not in body  # OpenAI's current field
    assert body["temperature"] == 0.2
    system, user = body["messages"]
    assert system["role"] == "system" and "```python" in system["content"]
    assert user == {"role": "user", "content": f"<notebook>\n{context}\n</notebook>\n\nplot it"}


def test_ollama_request_shape_sends_no_openai_key(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.Reply(["ok"]))
    drain(ollama(fake, max_tokens=99))
    body = fake.last.body
    assert body["model"] == "qwen3-coder" and body["max_tokens"] == 99 and "temperature" not in body
    assert KEY not in fake.last.headers.get("authorization", "")  # OPENAI_API_KEY is OpenAI's only


def test_a_provider_that_refuses_stream_usage(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.HttpError(400, message="Unrecognized request argument supplied: stream_options"))
    _, error = drain(ollama(fake))
    assert isinstance(error, ApiError) and '"stream_usage": False for ollama' in str(error)
    quiet = BUILTIN["ollama"].__class__(**{**vars(BUILTIN["ollama"]), "stream_usage": False})
    fake.add(fo.Reply(["ok"]))
    drain(source(provider=quiet, base_url=fake.base_url))  # type: ignore[arg-type]
    assert "stream_options" not in fake.last.body


def test_tool_call_arguments_split_anywhere(fake: fo.FakeOpenAI) -> None:
    code = 'print("a\\tb")\nx = {"k": [1, 2]}\n'
    arguments = json.dumps({"code": code})
    fake.add(
        fo.Reply(["Let me run it."], tool_calls=[fo.ToolCall("run_python", arguments, seed=3, max_piece=4)])
    )
    src = source()
    pieces, error = drain(src)
    assert error is None and pieces == ["Let me run it."] and src.finish_reason == "tool_calls"
    (call,) = src.tool_calls
    assert call.name == "run_python" and call.id and call.id.startswith("call_")
    assert len(call.pieces) > 5 and call.arguments == arguments
    assert json.loads(call.arguments)["code"] == code


def test_for_notebook_expands_names_and_attaches_the_namespace(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.Reply(["ok"]))
    namespace = {"n": 3, "config_value": KEY, "api_key": "whatever"}
    src = make_model_source("openai:gpt-test", "top {n} of {{sales}}", namespace, retries=0)
    assert isinstance(src, OpenAISource) and src.request == "top 3 of {sales}"
    drain(src)
    content = fake.last.body["messages"][-1]["content"]
    assert content.endswith("top 3 of {sales}") and "n: int = 3" in content
    sent = json.dumps(fake.last.body)
    assert KEY not in sent and "api_key" not in sent and "config_value" not in sent


def test_make_model_source_picks_the_provider(fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(make_model_source("claude-x", "hi", {}), AnthropicSource)
    src = make_model_source("ollama:qwen3-coder:7b", "hi", {})
    assert isinstance(src, OpenAISource) and src.model == "qwen3-coder:7b"
    assert src.base_url == "http://localhost:11434/v1"
    config = {"vllm": {"base_url": fakes.openai.base_url, "api_key_env": "VLLM_API_KEY"}}
    with pytest.raises(MissingApiKey, match="set the VLLM_API_KEY environment variable"):
        make_model_source("vllm:qwen", "hi", {}, providers=config)
    monkeypatch.setenv("VLLM_API_KEY", "vllm-secret-value")
    vllm = make_model_source("vllm:qwen", "hi", {}, providers=config, retries=0)
    fakes.openai.add(fo.Reply(["ok"]))
    assert drain(vllm)[1] is None and fakes.openai.last.headers["authorization"] == "Bearer vllm-secret-value"
    with pytest.raises(ProviderError, match="needs a base URL"):
        make_model_source("openai-compatible:m", "hi", {})
    compatible = make_model_source("openai-compatible:m", "hi", {}, compatible_base_url="http://h:9/v1")
    assert compatible.base_url == "http://h:9/v1"
    assert (
        make_model_source("openai-compatible:m", "hi", {}, base_url="http://c/v1").base_url == "http://c/v1"
    )


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingApiKey) as info:
        make_model_source("openai:gpt-5-mini", "x", {})
    message = str(info.value)
    assert "\n" not in message and "OPENAI_API_KEY" in message and "%env" in message
    with pytest.raises(MissingApiKey):
        OpenAISource("x", model="m")
    assert make_model_source("ollama:qwen3-coder", "x", {}).model == "qwen3-coder"  # Ollama needs none


def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "openai" else real(name, *a)
    )
    with pytest.raises(MissingSdk) as info:
        make_model_source("ollama:qwen3-coder", "x", {})
    assert str(info.value).startswith("the ollama provider needs the openai package")
    assert "pip install 'eager-jupyter[openai]'" in str(info.value)


def test_conversation_and_continuation(fake: fo.FakeOpenAI, tmp_path: Path) -> None:
    conversation = Conversation()
    conversation.add("earlier", "```python\nold = 1\n```")
    fake.add(
        fo.Reply(["```python\n", "a = 1\n", "b = a / 0\n", "c = 2\n```"]),
        fo.Reply(["```python\nb = a / 1\n```"]),
    )
    first = ollama(
        fake, "divide", conversation=conversation, context="old: int = 1", record=tmp_path / "t.jsonl"
    )
    drain(first)
    tb = "Traceback (most recent call last):\n\x1b[31mZeroDivisionError\x1b[0m: division by zero"
    fix = first.continuation("a = 1\n", "b = a / 0\n", tb, namespace={"a": 1})
    assert fix.label == "ollama (fix 1)" and fix.record_path == tmp_path / "t.fix1.jsonl"
    pieces, error = drain(fix)
    assert error is None and "".join(pieces) == "```python\nb = a / 1\n```"
    messages = fake.last.body["messages"]
    assert messages[0]["role"] == "system"
    assert messages[1:3] == [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "```python\nold = 1\n```"},
    ]
    assert messages[3] == {"role": "user", "content": user_message("divide", "old: int = 1")}
    assert messages[4] == {"role": "assistant", "content": "```python\na = 1\nb = a / 0\n```"}
    assert (
        "ZeroDivisionError: division by zero" in messages[5]["content"]
        and "\x1b" not in messages[5]["content"]
    )
    assert len(conversation) == 3


def test_record_then_replay(fake: fo.FakeOpenAI, tmp_path: Path) -> None:
    fake.add(fo.Reply(REPLY, delay=0.01, prompt_tokens=100, completion_tokens=20))
    path = tmp_path / "session.jsonl"
    pieces, error = drain(source("square root of 16", record=path))
    assert error is None
    trace = read_trace(path)
    assert trace.header["source"] == "openai" and trace.header["model"] == "gpt-test"
    assert trace.header["kind"] == "markdown" and trace.header["origin"] == "recorded"
    assert [text for _, text in trace.pieces] == pieces
    assert trace.end is not None and trace.end["usage"] == {"input_tokens": 100, "output_tokens": 20}
    assert trace.end["stop_reason"] == "stop"
    assert KEY not in path.read_text()
    assert "".join(TraceSource(trace, speed=50).stream()) == "".join(REPLY)


def test_cost_of_a_run(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.Reply(["ok"], prompt_tokens=1_000_000, completion_tokens=1_000_000))
    src = source(model="gpt-5-mini")
    drain(src)
    assert cost_usd(src.spec, src.usage) == pytest.approx(0.25 + 2.0)


# ---- retries -----------------------------------------------------------------------------------


def test_retries_before_the_first_text(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.HttpError(503), fo.HttpError(429, retry_after=0), fo.Reply(["ok"]))
    src = source(retries=2)
    pieces, error = drain(src)
    assert error is None and pieces == ["ok"] and len(fake.requests) == 3 and src.attempts == 3


def test_retries_exhausted_say_so(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.HttpError(500), fo.HttpError(500))
    _, error = drain(source(retries=1))
    assert isinstance(error, ServerError) and str(error).endswith("(2 attempts)")


def test_an_error_chunk_before_any_text_is_retried(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.Reply(["a"], error_after=0), fo.Reply(["ok"]))
    pieces, error = drain(source(retries=1))
    assert error is None and pieces == ["ok"] and len(fake.requests) == 2


@pytest.mark.parametrize("script", [dict(error_after=2), dict(drop_after=2)])
def test_never_retried_after_text(fake: fo.FakeOpenAI, script: dict[str, Any]) -> None:
    fake.add(fo.Reply(["a", "b", "c"], **script), fo.Reply(["never"]))
    pieces, error = drain(source(retries=2))
    assert pieces == ["a", "b"] and isinstance(error, ApiError) and error.during_reply
    assert len(fake.requests) == 1


def test_openrouter_style_errors(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.Reply(["a", "b"], error_after=1, error={"code": 429, "message": "Rate limit exceeded"}))
    pieces, error = drain(source())
    assert pieces == ["a"] and isinstance(error, RateLimited) and error.during_reply
    assert "Rate limit exceeded" in str(error)
    fake.add(fo.Reply(["```python\n", "x = 1\n"], finish_reason="error"))
    _, error = drain(source())
    assert isinstance(error, ServerError) and "ended the reply with an error (finish_reason: error)" in str(
        error
    )


def test_a_404_names_the_base_url_without_credentials(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.HttpError(404))
    url = fake.base_url.replace("http://", "http://user:hunter2@")
    _, error = drain(source(provider="openai-compatible", base_url=url))
    assert isinstance(error, ModelNotFound) and f"check the base URL {fake.base_url}" in str(error)
    assert "hunter2" not in str(error)


def test_bad_prices_fail_before_the_request(fake: fo.FakeOpenAI) -> None:
    with pytest.raises(ProviderError, match=r"Eager\.prices\['openai:x'\] must be \[input, output\]"):
        make_model_source("openai:gpt-test", "x", {}, prices={"openai:x": 3})
    assert fake.requests == []


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_not_retried(fake: fo.FakeOpenAI, status: int) -> None:
    fake.add(fo.HttpError(status), fo.Reply(["never"]))
    _, error = drain(source(retries=2))
    assert isinstance(error, ApiError) and len(fake.requests) == 1


# ---- the provider table: every failure, one line, for each provider -----------------------------

PROVIDERS = ["anthropic", "openai", "ollama"]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def case(failure: str, provider: str) -> tuple[list[Any], dict[str, Any], type[SourceError], str] | None:
    """(scripts, source options, error class, words) for one failure and provider; None: n/a."""
    a = provider == "anthropic"
    server = "the API" if a else "the OpenAI API" if provider == "openai" else "the ollama server"
    key_env = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}.get(provider)
    http = (
        (lambda status, **kw: fa.HttpError(status, **kw))
        if a
        else (lambda status, **kw: fo.HttpError(status, **kw))
    )
    reply = fa.Reply if a else fo.Reply
    model = "claude-sonnet-5-5" if a else "qwen3-coder" if provider == "ollama" else "gpt-test"
    code = ["```python\n", "x = 1\n", "y = compute_"]
    if failure == "401":
        words = f"check {key_env}" if key_env else "this server wants a key: %config Eager.providers"
        return [http(401)], {}, KeyRejected, f"{server} rejected the key (401 |" + words
    if failure == "403":
        return [http(403)], {}, KeyRejected, f"{server} rejected the key (403 "
    if failure == "404":
        hint = "`ollama pull qwen3-coder`" if provider == "ollama" else "choose another with -m/--model"
        return [http(404)], {}, ModelNotFound, f"model '{model}' not found (404 " + "|" + hint
    if failure == "429":
        return [http(429, retry_after=7)], {}, RateLimited, f"rate limited by {server} (429 |retry after 7 s"
    if failure == "500":
        return [http(500)], {}, ServerError, f"{server} failed (500 |; try again"
    if failure == "503":
        return [http(503)], {}, ServerError, f"{server} failed (503 "
    if failure == "timeout":
        return [fa.Stall(10)], {"timeout": 0.3}, ApiTimeout, f"no answer from {server} within 0.3 s (timeout)"
    if failure == "stalled":
        script = reply(["a", "b"], stall_after=1, stall=10)
        return [script], {"timeout": 0.3}, ApiTimeout, "the reply stalled: nothing for 0.3 s (timeout)"
    if failure == "refused":
        port = closed_port()
        url = f"http://127.0.0.1:{port}" + ("" if a else "/v1")
        words = f"cannot reach {server} at http://127.0.0.1:{port}: "
        if provider == "ollama":
            words += "|is the server running? Start it with `ollama serve`"
        return [], {"base_url": url}, ConnectionLost, words
    if failure == "dropped":
        return (
            [reply(["a", "b", "c"], drop_after=2)],
            {},
            ConnectionLost,
            f"the connection to {server} dropped mid-reply",
        )
    if failure == "dropped before":
        return [fa.Drop()], {}, ConnectionLost, f"the connection to {server} dropped"
    if failure == "error chunk":
        if a:
            return (
                [fa.Reply(["a", "b", "c"], error_after=2)],
                {},
                Overloaded,
                "the API is overloaded mid-reply",
            )
        script = fo.Reply(["a", "b", "c"], error_after=2)
        return [script], {}, ServerError, f"{server} failed mid-reply (server_error: The server had an error)"
    if failure == "length":
        stop = {"stop_reason": "max_tokens"} if a else {"finish_reason": "length"}
        return (
            [reply(code, **stop)],
            {"max_tokens": 12},
            ReplyIncomplete,
            "--max-tokens 12 before its code was complete",
        )
    if failure == "unfinished":
        end = {"message_stop": False} if a else {"finish": False}
        return [reply(["a"], **end)], {}, ConnectionLost, "reply ended before"
    if failure == "content filter":
        if a:
            return [fa.Reply(["I can't."], stop_reason="refusal")], {}, ReplyIncomplete, "declined"
        script = fo.Reply(code[:2], finish_reason="content_filter")
        return [script], {}, ReplyIncomplete, f"{server}'s content filter stopped the reply"
    raise AssertionError(failure)


FAILURES = [
    "401",
    "403",
    "404",
    "429",
    "500",
    "503",
    "timeout",
    "stalled",
    "refused",
    "dropped",
    "dropped before",
    "error chunk",
    "length",
    "unfinished",
    "content filter",
]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("failure", FAILURES)
def test_every_failure_is_one_line(fakes: Fakes, provider: str, failure: str) -> None:
    got = case(failure, provider)
    assert got is not None
    scripts, options, cls, words = got
    options = {"retries": 0, "backoff": 0.0, **options}
    if provider == "anthropic":
        fakes.anthropic.add(*scripts)
        src: Any = AnthropicSource("anything", **options)
    elif provider == "openai":
        fakes.openai.add(*scripts)
        src = OpenAISource("anything", provider="openai", model="gpt-test", **options)
    else:
        fakes.openai.add(*scripts)
        options.setdefault("base_url", fakes.openai.base_url)
        src = OpenAISource("anything", provider="ollama", model="qwen3-coder", **options)
    _, error = drain(src)
    assert type(error) is cls, error
    message = str(error)
    for part in words.split("|"):
        assert part in message, (part, message)
    assert "\n" not in message and len(message) < 400
    for key in (KEY, ANTHROPIC_KEY):
        assert key not in message and key not in repr(error) and key not in repr(vars(src))
    assert error.__cause__ is None and error.__context__ is None  # no SDK object (with the key) attached


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_no_key_is_one_line(monkeypatch: pytest.MonkeyPatch, provider: str) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    spec = "claude-sonnet-5-5" if provider == "anthropic" else "openai:gpt-5-mini"
    with pytest.raises(MissingApiKey) as info:
        make_model_source(spec, "x", {})
    assert f"{provider.upper()}_API_KEY" in str(info.value) and "\n" not in str(info.value)


# ---- closing from another thread ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "script", "after"),
    [
        ("stalled mid-reply", fo.Reply(["a", "b"], stall_after=1, stall=30), 1),
        ("streaming", fo.Reply(["x"] * 2000, delay=0.01), 3),
        ("waiting for headers", fo.Stall(30), 0),
    ],
)
def test_close_hangs_up_at_once(fake: fo.FakeOpenAI, phase: str, script: Any, after: int) -> None:
    fake.add(script)
    latency = close_while_streaming(fake, ollama(fake), after)  # type: ignore[arg-type]
    print(f"\nclose() -> server saw the connection close ({phase}): {latency * 1000:.2f} ms")
    if isinstance(script, fo.Reply):  # hung up, not drained
        assert fake.last.connection.pieces_sent < len(script.pieces)


def test_close_without_the_backend_hook_uses_the_response_socket(
    fake: fo.FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _sockets.hook_client

    def unhooked(client: Any, connections: _sockets.Connections) -> Any:
        connections.installed = False
        return client

    monkeypatch.setattr(_sockets, "hook_client", unhooked)
    fake.add(fo.Reply(["a", "b"], stall_after=1, stall=30))
    latency = close_while_streaming(fake, ollama(fake), 1)  # type: ignore[arg-type]
    print(f"\nclose() via the response's socket: {latency * 1000:.2f} ms")
    assert fake.last.connection.pieces_sent == 1 and real is not unhooked


def test_close_during_a_retry_wait(fake: fo.FakeOpenAI) -> None:
    fake.add(fo.HttpError(503, retry_after=15), fo.Reply(["never"]))
    src = source(retries=2)
    thread = threading.Thread(target=lambda: drain(src), daemon=True)
    thread.start()
    assert fake.wait_requests(1)
    time.sleep(0.1)
    src.close()
    thread.join(5)
    assert not thread.is_alive() and len(fake.requests) == 1


def test_close_before_streaming_sends_nothing(fake: fo.FakeOpenAI) -> None:
    src = source()
    src.close()
    assert list(src.stream()) == [] and fake.requests == []


# ---- the key never leaks -----------------------------------------------------------------------


def test_the_key_is_never_logged_or_shown(
    fake: fo.FakeOpenAI, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    fake.add(fo.Reply(["ok"]), fo.HttpError(401), fo.Reply(["a", "b"], error_after=1))
    caplog.set_level(logging.DEBUG)
    names = ("openai", "httpx2", "httpcore2", "httpx", "httpcore")
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    texts: list[str] = []
    for _ in range(3):
        src = source(record=tmp_path / "k.jsonl")
        _, error = drain(src)
        texts += [repr(src), str(src), repr(error), str(error), repr(vars(src))]
    # while a request runs, no SDK record reaches a handler outside the SDK's loggers (in a kernel,
    # a debug handler on the root logger writes to the cell); afterwards the SDK's logging is as it was
    assert not [r for r in caplog.records if r.name.split(".")[0] in names], caplog.text
    assert [logging.getLogger(name).level for name in names] == [logging.DEBUG] * len(names)
    logging.getLogger("openai._base_client").debug("after the request")
    assert [r.getMessage() for r in caplog.records] == ["after the request"]
    assert KEY not in caplog.text
    for text in texts:
        assert KEY not in text
    assert KEY not in (tmp_path / "k.jsonl").read_text()


def test_the_ssl_context_is_built_once_and_verifies() -> None:
    import ssl

    context = _sockets.ssl_context()
    assert context is _sockets.ssl_context()  # not rebuilt per request (loading the CA bundle is slow)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
