"""``%%eager -m openai:...`` and ``-m ollama:...`` in a real kernel, against the loopback chat
completions server (``fake_openai``), through the real ``openai`` SDK.

The kernel gets ``OPENAI_API_KEY`` (made up) and ``OPENAI_BASE_URL`` pointing at the fake; Ollama is
pointed at it through ``%config Eager.providers``. Each test scripts what the "model" answers and checks
what ran, what the fake was sent, the one-line errors, and that the key reaches no output and no record.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai import Drop, FakeOpenAI, HttpError, Reply, Stall
from kernel_harness import Transcript, assert_usable, error_line, loaded_kernel

pytestmark = pytest.mark.kernel

KEY = "sk-proj-KERNELOPENAIKEY-" + "z" * 24
TRANSCRIPT = Transcript()

SETUP = """
import os as _os
import eager_jupyter.sources.openai as _openai_source
_openai_source.DEFAULT_TIMEOUT = 1.0
_openai_source.DEFAULT_BACKOFF = 0.01
"""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(deadline=900) as server:
        yield server


@pytest.fixture(scope="module")
def kernel(fake: FakeOpenAI) -> Iterator[Any]:
    ollama = json.dumps({"ollama": {"base_url": fake.base_url}})
    k = loaded_kernel(
        SETUP,
        f"%config Eager.providers = {ollama}",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        OPENAI_API_KEY=KEY,
        OPENAI_BASE_URL=fake.base_url,
        NO_PROXY="127.0.0.1",
    )
    yield k
    k.shutdown()
    TRANSCRIPT.assert_without(KEY)  # the key never reached a frontend, in any test of this module


def run(kernel: Any, cell: str, timeout: float = 60, **kw: Any) -> Any:
    return TRANSCRIPT.run(kernel, cell, timeout, **kw)




def assert_no_key_in_record(kernel: Any) -> None:
    assert kernel.value("_os.environ['OPENAI_API_KEY'] in repr(vars(_eager))") is False
    assert kernel.value("_os.environ['OPENAI_API_KEY'] in str(_eager.error)") is False


FENCED = ["Here it is:\n```python\n", "import math\n", "root = math.sqrt(n)\n", "root\n", "```\n", "Done."]


def test_openai_model_runs_the_code(kernel: Any, fake: FakeOpenAI) -> None:
    run(kernel, "n = 16\nmy_token = 'do-not-send'")
    fake.add(Reply(FENCED, delay=0.01, prompt_tokens=500, completion_tokens=30))
    r = run(kernel, "%%eager --new -m openai:gpt-5-mini\nsquare root of {n}, please\n")
    assert r.status == "ok", r.reply["content"]
    assert [m["content"]["data"]["text/plain"] for m in r.of_type("execute_result")] == ["4.0"]
    body = fake.last.body
    assert body["model"] == "gpt-5-mini" and body["max_completion_tokens"] == 4096
    assert body["messages"][0]["role"] == "system"
    content = body["messages"][-1]["content"]
    assert content.endswith("square root of 16, please") and "n: int = 16" in content
    assert "my_token" not in json.dumps(body) and KEY not in json.dumps(body)
    assert fake.last.headers["authorization"] == f"Bearer {KEY}"
    assert kernel.value("_eager.source") == "openai"
    assert kernel.value("_eager.usage") == {"input_tokens": 500, "output_tokens": 30}
    assert kernel.value("_eager.status") == "ok"
    assert_no_key_in_record(kernel)


def test_ollama_model_with_a_colon_in_its_id(kernel: Any, fake: FakeOpenAI) -> None:
    fake.add(Reply(["```python\n", "local = 'ran'\n", "```"]))
    r = run(kernel, "%%eager --new -m ollama:qwen3-coder:7b --max-tokens 500\nset local\n")
    assert r.status == "ok", r.reply["content"]
    assert kernel.value("local") == "ran"
    assert fake.last.body["model"] == "qwen3-coder:7b" and fake.last.body["max_tokens"] == 500
    assert KEY not in fake.last.headers.get("authorization", "")  # the OpenAI key is not Ollama's
    assert kernel.value("_eager.source") == "ollama"


def test_default_model_from_config(kernel: Any, fake: FakeOpenAI) -> None:
    fake.add(Reply(["```python\nby_default = 1\n```"]))
    run(kernel, "%config Eager.model = 'ollama:qwen3-coder'")
    try:
        r = run(kernel, "%%eager --new\nanything\n")
    finally:
        run(kernel, "%config Eager.model = 'claude-sonnet-5-5'")
    assert r.status == "ok", r.reply["content"]
    assert fake.last.body["model"] == "qwen3-coder" and kernel.value("by_default") == 1


def test_base_url_option_for_any_compatible_server(kernel: Any, fake: FakeOpenAI) -> None:
    fake.add(Reply(["```python\nvia_url = 2\n```"]))
    r = run(kernel, f"%%eager --new -m openai-compatible:llama-4 --base-url {fake.base_url}\nanything\n")
    assert r.status == "ok", r.reply["content"]
    assert kernel.value("via_url") == 2 and fake.last.body["model"] == "llama-4"
    assert KEY not in fake.last.headers.get("authorization", "")


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("%%eager -m vlm:foo\nx\n", "unknown provider 'vlm' in 'vlm:foo'; known: anthropic, openai, ollama"),
        ("%%eager -m ollama\nx\n", "which model? write ollama:<model>"),
        ("%%eager -m openai-compatible:m\nx\n", "needs a base URL: --base-url"),
        ("%%eager -m openai:m --base-url nope\nx\n", "base URL must start with http:// or https://"),
        ("%%eager -m ollama:m\nuse {no_such_name}\n", "{no_such_name} in the request: no variable"),
    ],
)
def test_bad_input_is_a_usage_error(kernel: Any, fake: FakeOpenAI, cell: str, words: str) -> None:
    before = len(fake.requests)
    r = run(kernel, cell)
    assert r.status == "error" and r.ename == "UsageError"
    assert words in r.reply["content"]["evalue"]
    assert len(fake.requests) == before


def test_bad_provider_config_is_a_usage_error(kernel: Any, fake: FakeOpenAI) -> None:
    run(kernel, "_saved = dict(get_ipython().config.Eager.providers)")
    run(kernel, "%config Eager.providers = {'vllm': {'url': 'http://x'}}")
    try:
        r = run(kernel, "%%eager -m vllm:m\nx\n")
    finally:
        run(kernel, "%config Eager.providers = _saved")
    assert r.status == "error" and r.ename == "UsageError"
    assert "Eager.providers['vllm']: unknown field 'url'" in r.reply["content"]["evalue"]


def test_missing_key_is_a_usage_error(kernel: Any, fake: FakeOpenAI) -> None:
    before = len(fake.requests)
    run(kernel, "_saved_key = _os.environ.pop('OPENAI_API_KEY')")
    try:
        r = run(kernel, "%%eager -m openai:gpt-5-mini\nanything\n")
        ok = run(kernel, "%%eager --new -m ollama:qwen3-coder\nanything\n")  # Ollama needs no key
    finally:
        run(kernel, "_os.environ['OPENAI_API_KEY'] = _saved_key\ndel _saved_key")
    assert r.status == "error" and r.ename == "UsageError"
    assert "OPENAI_API_KEY" in r.reply["content"]["evalue"] and "%env" in r.reply["content"]["evalue"]
    assert ok.status == "ok" and len(fake.requests) == before + 1


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("model", "scripts", "words"),
    [
        ("openai:gpt-5-mini", [HttpError(401)], "the OpenAI API rejected the key (401 invalid_api_key"),
        ("openai:gpt-5-mini", [HttpError(403)], "; check OPENAI_API_KEY"),
        ("ollama:qwen3-coder", [HttpError(404)], "pull it with `ollama pull qwen3-coder`"),
        ("openai:gpt-5-mini", [HttpError(429)] * 3, "rate limited by the OpenAI API (429"),
        ("ollama:qwen3-coder", [HttpError(500)] * 3, "the ollama server failed (500 server_error"),
        ("openai:gpt-5-mini", [HttpError(503)] * 3, "the OpenAI API failed (503"),
        ("ollama:qwen3-coder", [Stall(30)] * 3, "no answer from the ollama server within 1 s (timeout)"),
        ("openai:gpt-5-mini", [Drop()] * 3, "the connection to the OpenAI API dropped"),
    ],
)
def test_failures_before_any_code(
    kernel: Any, fake: FakeOpenAI, model: str, scripts: list[Any], words: str
) -> None:
    fake.add(*scripts)
    r = run(kernel, f"%%eager --new -m {model}\nanything\n")
    assert r.status == "error" and r.ename == "GenerationError"
    line = error_line(r)
    assert words in line and "\n" not in line and KEY not in line
    assert kernel.value("_eager.status") == "error"
    assert_no_key_in_record(kernel)
    assert_usable(kernel)


def test_a_local_server_not_running_says_which_url(kernel: Any, fake: FakeOpenAI) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    r = run(kernel, f"%%eager --new -m ollama:qwen3-coder --base-url {url}\nanything\n")
    assert r.status == "error" and r.ename == "GenerationError"
    line = error_line(r)
    assert f"cannot reach the ollama server at {url.removesuffix('/v1')}: " in line
    assert "Start it with `ollama serve`" in line


@pytest.mark.parametrize(
    ("script", "words"),
    [
        (dict(error_after=3), "the ollama server failed mid-reply (server_error: The server had an error)"),
        (dict(drop_after=3), "the connection to the ollama server dropped mid-reply"),
        (dict(stall_after=3, stall=30), "the reply stalled: nothing for 1 s (timeout)"),
    ],
)
def test_failures_mid_reply_keep_what_ran(
    kernel: Any, fake: FakeOpenAI, script: dict[str, Any], words: str
) -> None:
    run(kernel, "kept = half = None")
    pieces = ["```python\n", "kept = 'ran'\n", "half = 'complete' + ", "'never'\n", "```\n"]
    fake.add(Reply(pieces, delay=0.02, **script))
    r = run(kernel, "%%eager --new -m ollama:qwen3-coder\nanything\n")
    assert r.status == "error" and r.ename == "GenerationError"
    assert words in error_line(r)
    assert kernel.value("kept") == "ran"  # what ran stays
    assert kernel.value("half") is None  # nothing half-generated ran
    assert_usable(kernel)


def test_length_limit_inside_the_code_runs_no_half_statement(kernel: Any, fake: FakeOpenAI) -> None:
    run(kernel, "cut = None")
    fake.add(Reply(["```python\n", "whole = 1\n", "cut = whole + "], finish_reason="length"))
    r = run(kernel, "%%eager --new -m openai:gpt-5-mini --max-tokens 10\nanything\n")
    assert r.status == "error"
    assert "--max-tokens 10 before its code was complete" in error_line(r)
    assert kernel.value("whole") == 1 and kernel.value("cut") is None


def test_early_interruption_closes_the_stream(kernel: Any, fake: FakeOpenAI) -> None:
    pieces = ["```python\n", "before = 1\n", "boom = 1 / 0\n"] + [f"after_{i} = {i}\n" for i in range(200)]
    fake.add(Reply(pieces, delay=0.05))
    r = run(kernel, "%%eager --new -m ollama:qwen3-coder\nanything\n")
    assert r.status == "error" and r.ename == "StatementError"
    connection = fake.last.connection
    assert connection.closed.wait(5), "the server never saw the connection close"
    assert connection.pieces_sent < len(pieces)  # cut, not drained
    assert kernel.value("before") == 1 and kernel.value("'after_150' in globals()") is False
    assert_usable(kernel)


def test_fix_continues_from_the_failing_statement(kernel: Any, fake: FakeOpenAI) -> None:
    first = ["```python\n", "fa = 10\n", "fb = fa / 0\n", "fc = fb + 1\n", "```"]
    repair = ["Fixed:\n```python\n", "fb = fa / 2\n", "fc = fb + 1\n", "fc\n", "```"]
    fake.add(Reply(first, delay=0.02), Reply(repair, delay=0.01))
    before = len(fake.requests)
    r = run(kernel, "%%eager --new --fix 1 -m ollama:qwen3-coder\ncompute fc\n")
    assert r.status == "ok", r.reply["content"]
    assert kernel.value("fc") == 6.0 and len(fake.requests) == before + 2
    messages = fake.last.body["messages"]
    assert messages[2] == {"role": "assistant", "content": "```python\nfa = 10\nfb = fa / 0\n```"}
    assert "ZeroDivisionError" in messages[3]["content"]
    assert kernel.value("_eager.repairs") == 1


def test_record_then_replay_offline(kernel: Any, fake: FakeOpenAI, tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    fake.add(
        Reply(["Sure.\n```python\n", "rec = [i * i for i in range(4)]\n", "sum(rec)\n", "```"], delay=0.02)
    )
    r = run(kernel, f"%%eager --new -m openai:gpt-5-mini --record {path}\nsum of squares\n")
    assert r.status == "ok", r.reply["content"]
    trace = path.read_text()
    assert KEY not in trace
    header = json.loads(trace.splitlines()[0])
    assert header["source"] == "openai" and header["model"] == "gpt-5-mini" and header["origin"] == "recorded"
    run(kernel, "del rec")
    before = len(fake.requests)
    r = run(kernel, f"%%eager --replay-trace {path}\n")
    assert r.status == "ok", r.reply["content"]
    assert kernel.value("rec") == [0, 1, 4, 9] and len(fake.requests) == before
