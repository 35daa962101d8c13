"""``%%eager`` with the Anthropic source, in a real kernel, against the loopback fake of the API.

The kernel gets ``ANTHROPIC_BASE_URL`` pointing at the fake and a made-up key; each test scripts what
the "model" answers and checks what a frontend receives, what ran, and what the fake was sent.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_anthropic import Drop, FakeAnthropic, HttpError, Reply, Stall
from kernel_harness import Transcript, assert_usable, error_line, loaded_kernel

pytestmark = pytest.mark.kernel

KEY = "sk-ant-api03-KERNELTESTKEY-" + "q" * 24
TRANSCRIPT = Transcript()

# In the kernel: short timeouts and retry waits, and a note of when each source was closed
# (time.perf_counter(): CLOCK_MONOTONIC on Linux, the same clock as the fake's in this process).
SETUP = """
import os as _os
import time as _time
import eager_jupyter.sources.anthropic as _anthropic_source  # its package holds the settings
_anthropic_source.DEFAULT_TIMEOUT = 1.0
_anthropic_source.DEFAULT_BACKOFF = 0.01
_closes = []
_close = _anthropic_source.AnthropicSource.close
def _noting_close(self, _close=_close):
    _closes.append(_time.perf_counter())
    _close(self)
_anthropic_source.AnthropicSource.close = _noting_close
"""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(deadline=900) as server:
        yield server


@pytest.fixture(scope="module")
def kernel(fake: FakeAnthropic) -> Iterator[Any]:
    k = loaded_kernel(
        SETUP,
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        ANTHROPIC_API_KEY=KEY,
        ANTHROPIC_BASE_URL=fake.url,
        NO_PROXY="127.0.0.1",
    )
    yield k
    k.shutdown()
    TRANSCRIPT.assert_without(KEY)  # the key never reached a frontend, in any test of this module


def run(kernel: Any, cell: str, timeout: float = 60, **kw: Any) -> Any:
    return TRANSCRIPT.run(kernel, cell, timeout, **kw)




FENCED = [
    "Here is the code:\n```python\n",
    "import math\n",
    "root = math.sqrt(n)\n",
    "root\n",
    "```\n",
    "Done.",
]


def test_normal_path_prose_context_and_names(kernel: Any, fake: FakeAnthropic) -> None:
    run(kernel, "n = 16\nmy_token = 'do-not-send'\nimport pandas as pd\ndf = pd.DataFrame({'a': [1, 2, 3]})")
    fake.add(Reply(FENCED, delay=0.01, input_tokens=500, output_tokens=30))
    r = run(kernel, "%%eager --new\nsquare root of {n}, please\n")
    assert r.status == "ok", r.reply["content"]
    assert [m["content"]["data"]["text/plain"] for m in r.of_type("execute_result")] == ["4.0"]
    assert kernel.value("root") == 4.0
    body = fake.last.body
    content = body["messages"][-1]["content"]
    assert content.endswith("square root of 16, please")
    assert "df: pandas.DataFrame, 3 rows x 1 columns: a (int64)" in content
    assert "n: int = 16" in content and "modules: " in content and "pandas as pd" in content
    for hidden in ("my_token", "do-not-send", "_i1", "In:", "Out:", "get_ipython", KEY):
        assert hidden not in json.dumps(body)
    assert body["model"] == "claude-sonnet-5-5" and body["max_tokens"] == 4096
    assert kernel.value("_eager.usage['input_tokens']") == 500
    assert kernel.value("_eager.usage['output_tokens']") == 30
    assert kernel.value("_eager.status") == "ok"
    assert kernel.value("_eager.source") == "anthropic"


def test_options_reach_the_request(kernel: Any, fake: FakeAnthropic) -> None:
    fake.add(Reply(["```python\nx_opt = 1\n```"]))
    r = run(kernel, "%%eager --new -m claude-custom-1 --max-tokens 777 --temperature 0.3\nset x_opt\n")
    assert r.status == "ok", r.reply["content"]
    body = fake.last.body
    assert body["model"] == "claude-custom-1" and body["max_tokens"] == 777 and body["temperature"] == 0.3


def test_only_the_python_block_runs(kernel: Any, fake: FakeAnthropic) -> None:
    reply = [
        "First install it:\n```bash\n",
        "raise SystemExit('bash block ran')\n",
        "```\nThen:\n```python\n",
        "ran_python = True\n",
        "```\n",
        "And never this:\n```python\nran_second = True\n```\n",
    ]
    fake.add(Reply(reply, delay=0.005))
    r = run(kernel, "%%eager --new\ndo it\n")
    assert r.status == "ok", r.reply["content"]
    assert kernel.value("ran_python") is True
    assert kernel.value("'ran_second' in globals()") is False


def test_a_prose_only_reply_runs_nothing(kernel: Any, fake: FakeAnthropic) -> None:
    fake.add(Reply(["I need the file name ", "before I can load it."]))
    r = run(kernel, "%%eager --new\nload the data\n")
    assert r.status == "ok", r.reply["content"]
    assert kernel.value("len(_eager.statements)") == 0


def test_conversation_carries_over_and_new_clears_it(kernel: Any, fake: FakeAnthropic) -> None:
    fake.add(
        Reply(["```python\nconv_a = 1\n```"]), Reply(["```python\nconv_b = conv_a + 1\n```"]), Reply(["ok"])
    )
    run(kernel, "%%eager --new\nmake conv_a\n")
    run(kernel, "%%eager\nnow conv_b\n")
    messages = fake.last.body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[0]["content"] == "make conv_a"
    assert messages[1]["content"] == "```python\nconv_a = 1\n```"
    assert kernel.value("conv_b") == 2
    run(kernel, "%%eager --new\nagain\n")
    assert len(fake.last.body["messages"]) == 1


def test_unknown_name_is_a_usage_error(kernel: Any, fake: FakeAnthropic) -> None:
    before = len(fake.requests)
    r = run(kernel, "%%eager\nplot {no_such_variable}\n")
    assert r.status == "error" and r.ename == "UsageError"
    assert "{no_such_variable} in the request: no variable 'no_such_variable'" in r.reply["content"]["evalue"]
    assert len(fake.requests) == before
    assert_usable(kernel)


def test_missing_key_is_a_usage_error(kernel: Any, fake: FakeAnthropic) -> None:
    before = len(fake.requests)
    run(kernel, "_saved_key = _os.environ.pop('ANTHROPIC_API_KEY')")
    try:
        r = run(kernel, "%%eager\nanything\n")
    finally:
        run(kernel, "_os.environ['ANTHROPIC_API_KEY'] = _saved_key\ndel _saved_key")
    assert r.status == "error" and r.ename == "UsageError"
    message = r.reply["content"]["evalue"]
    assert "ANTHROPIC_API_KEY" in message and "%env" in message and "--replay" in message
    assert len(fake.requests) == before


@pytest.mark.parametrize(
    ("scripts", "words"),
    [
        ([HttpError(401)], "rejected the key (401 authentication_error"),
        ([HttpError(403)], "(403 permission_error"),
        ([HttpError(404)], "model 'claude-sonnet-5-5' not found (404"),
        ([HttpError(429), HttpError(429), HttpError(429)], "rate limited by the API (429"),
        ([HttpError(529), HttpError(529), HttpError(529)], "overloaded (529 overloaded_error"),
        ([HttpError(500), HttpError(500), HttpError(500)], "the API failed (500 api_error"),
        ([Stall(30), Stall(30), Stall(30)], "no answer from the API within 1 s (timeout)"),
        ([Drop(), Drop(), Drop()], "the connection to the API dropped"),
    ],
)
def test_failures_before_any_code(kernel: Any, fake: FakeAnthropic, scripts: list[Any], words: str) -> None:
    fake.add(*scripts)
    r = run(kernel, "%%eager --new\nanything\n")
    assert r.status == "error" and r.ename == "GenerationError"
    line = error_line(r)
    assert words in line and "\n" not in line and KEY not in line
    assert kernel.value("_eager.status") == "error"
    assert_usable(kernel)


@pytest.mark.parametrize(
    ("script", "words"),
    [
        (dict(error_after=3), "overloaded mid-reply (overloaded_error: Overloaded)"),
        (dict(drop_after=3), "the connection to the API dropped mid-reply"),
        (dict(stall_after=3, stall=30), "the reply stalled: nothing for 1 s (timeout)"),
    ],
)
def test_failures_mid_reply_keep_what_ran(
    kernel: Any, fake: FakeAnthropic, script: dict[str, Any], words: str
) -> None:
    run(kernel, "kept = half = None")
    pieces = ["```python\n", "kept = 'ran'\n", "half = 'complete' + ", "'never'\n", "```\n"]
    fake.add(Reply(pieces, delay=0.02, **script))
    r = run(kernel, "%%eager --new\nanything\n")
    assert r.status == "error" and r.ename == "GenerationError"
    assert words in error_line(r)
    assert kernel.value("kept") == "ran"  # what ran stays
    assert kernel.value("half") is None  # nothing half-generated ran
    assert len([q for q in fake.requests if q.body and "anything" in json.dumps(q.body)]) >= 1
    assert_usable(kernel)


def test_max_tokens_inside_the_code_runs_no_half_statement(kernel: Any, fake: FakeAnthropic) -> None:
    run(kernel, "cut = None")
    fake.add(Reply(["```python\n", "whole = 1\n", "cut = whole + "], stop_reason="max_tokens"))
    r = run(kernel, "%%eager --new --max-tokens 10\nanything\n")
    assert r.status == "error"
    assert "--max-tokens 10 before its code was complete" in error_line(r)
    assert kernel.value("whole") == 1 and kernel.value("cut") is None


def close_latency(kernel: Any, fake: FakeAnthropic) -> float:
    """Server-side close time minus the kernel's close() time, for the last request."""
    connection = fake.last.connection
    assert connection.closed.wait(5), "the server never saw the connection close"
    closed_in_kernel = kernel.value("_closes[-1]")
    assert connection.closed_at is not None
    return float(connection.closed_at - closed_in_kernel)


def test_early_interruption_closes_the_stream_at_once(kernel: Any, fake: FakeAnthropic) -> None:
    pieces = ["```python\n", "before = 1\n", "boom = 1 / 0\n"] + [f"after_{i} = {i}\n" for i in range(200)]
    fake.add(Reply(pieces, delay=0.05))
    r = run(kernel, "%%eager --new\nanything\n")
    assert r.status == "error" and r.ename == "StatementError"
    latency = close_latency(kernel, fake)
    print(f"\nearly interruption: close() -> server saw the connection close: {latency * 1000:.2f} ms")
    # the stream was cut, not drained (the figures: tests/bench_stream_close.py)
    assert fake.last.connection.pieces_sent < len(pieces)
    assert kernel.value("before") == 1 and kernel.value("'after_150' in globals()") is False
    assert_usable(kernel)


def test_kernel_interrupt_closes_the_stream_at_once(kernel: Any, fake: FakeAnthropic) -> None:
    fake.add(Reply(["```python\n", "waiting = 1\n", "more = 2\n"], stall_after=2, stall=60))
    run(kernel, "_anthropic_source.DEFAULT_TIMEOUT = 60.0")
    try:
        r = run(kernel, "%%eager --new\nanything\n", interrupt_after=1.5)
    finally:
        run(kernel, "_anthropic_source.DEFAULT_TIMEOUT = 1.0")
    assert r.status == "error" and r.ename == "KeyboardInterrupt"
    latency = close_latency(kernel, fake)
    print(f"\nkernel interrupt: close() -> server saw the connection close: {latency * 1000:.2f} ms")
    assert fake.last.connection.pieces_sent == 2  # closed while the reply stalled
    assert kernel.value("waiting") == 1
    assert_usable(kernel)


def test_fix_continues_from_the_failing_statement(kernel: Any, fake: FakeAnthropic) -> None:
    first = ["```python\n", "fa = 10\n", "fb = fa / 0\n", "fc = fb + 1\n", "```"]
    repair = ["Fixed:\n```python\n", "fb = fa / 2\n", "fc = fb + 1\n", "fc\n", "```"]
    fake.add(Reply(first, delay=0.02), Reply(repair, delay=0.01))
    before = len(fake.requests)
    r = run(kernel, "%%eager --new --fix 1\ncompute fc\n")
    assert r.status == "ok", r.reply["content"]
    assert kernel.value("fc") == 6.0
    assert [m["content"]["data"]["text/plain"] for m in r.of_type("execute_result")] == ["6.0"]
    assert len(fake.requests) == before + 2
    messages = fake.last.body["messages"]
    assert messages[0]["content"].endswith("compute fc")
    assert messages[1] == {"role": "assistant", "content": "```python\nfa = 10\nfb = fa / 0\n```"}
    ask = messages[2]["content"]
    assert "ZeroDivisionError" in ask and "fa: int = 10" in ask and "\x1b" not in ask
    assert kernel.value("_eager.repairs") == 1


def test_fix_gives_up_after_n_rounds(kernel: Any, fake: FakeAnthropic) -> None:
    bad = ["```python\n", "gx = 1\n", "gy = gx / 0\n", "```"]
    fake.add(Reply(bad), Reply(["```python\ngy = gx / 0\n```"]))
    r = run(kernel, "%%eager --new --fix 1\nanything\n")
    assert r.status == "error" and r.ename == "StatementError"
    assert kernel.value("gx") == 1
    assert_usable(kernel)


def test_record_then_replay_offline(kernel: Any, fake: FakeAnthropic, tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    fake.add(
        Reply(
            ["Sure.\n```python\n", "rec = [i * i for i in range(4)]\n", "sum(rec)\n", "```\nDone."],
            delay=0.02,
        )
    )
    r = run(kernel, f"%%eager --new --record {path}\nsum of squares\n")
    assert r.status == "ok", r.reply["content"]
    trace = path.read_text()
    assert KEY not in trace
    header = json.loads(trace.splitlines()[0])
    assert header["origin"] == "recorded" and header["kind"] == "markdown"
    assert header["request"] == "sum of squares"
    run(kernel, "del rec")
    before = len(fake.requests)
    r = run(kernel, f"%%eager --replay-trace {path}\n")
    assert r.status == "ok", r.reply["content"]
    assert [m["content"]["data"]["text/plain"] for m in r.of_type("execute_result")] == ["14"]
    assert kernel.value("rec") == [0, 1, 4, 9]
    assert len(fake.requests) == before  # offline


def test_record_into_a_missing_directory_is_a_usage_error(kernel: Any) -> None:
    r = run(kernel, "%%eager --record /no/such/dir/t.jsonl\nanything\n")
    assert r.status == "error" and r.ename == "UsageError"


def test_the_key_is_not_in_the_run_record(kernel: Any, fake: FakeAnthropic) -> None:
    fake.add(HttpError(401))
    run(kernel, "%%eager --new\nanything\n")
    assert kernel.value("_os.environ['ANTHROPIC_API_KEY'] in repr(vars(_eager))") is False
    assert kernel.value("_os.environ['ANTHROPIC_API_KEY'] in str(_eager.error)") is False
    # (and the module fixture checks every output of every test at the end)


# ---- secrets: ANTHROPIC_LOG=debug and --fix in a kernel of their own ------------------------------

_RNG = random.Random(31337)
# shaped like a real key and random, made here; never a real one
_B62 = string.ascii_letters + string.digits
DEBUG_KEY = "sk-ant-api03-" + "".join(_RNG.choice(_B62) for _ in range(86)) + "AA"


def key_pieces(text: str) -> list[str]:
    low = text.lower()
    return [
        variant[i : i + 8]
        for variant in (DEBUG_KEY.lower(), DEBUG_KEY[::-1].lower())
        for i in range(13, len(variant) - 7)
        if variant[i : i + 8] in low
    ]


def stderr_of(r: Any) -> str:
    return "".join(m["content"]["text"] for m in r.of_type("stream") if m["content"]["name"] == "stderr")


def test_sdk_debug_log_stays_out_of_the_notebook(fake: FakeAnthropic) -> None:
    from kernel_harness import Kernel

    k = Kernel(
        ANTHROPIC_API_KEY=DEBUG_KEY, ANTHROPIC_BASE_URL=fake.url, ANTHROPIC_LOG="debug", NO_PROXY="127.0.0.1"
    )
    try:
        r = k.execute("%load_ext eager_jupyter\nimport anthropic")
        assert r.status == "ok", r.reply["content"]
        # the control: the SDK on its own writes the request body into the cell
        fake.add(Reply(["ok"]))
        control = k.execute(
            "anthropic.Anthropic(max_retries=0).messages.create(model='m', max_tokens=5,"
            " messages=[{'role': 'user', 'content': 'CONTROL-BODY'}]);"
        )
        assert "Request options" in stderr_of(control) and "CONTROL-BODY" in stderr_of(control)
        # %%eager: the same SDK, the same logging, nothing of it in the cell
        k.execute("rows = 12\nsales_pwd = 'hunter2'")
        fake.add(Reply(["```python\n", "answer = rows * 3\n", "answer\n", "```"], delay=0.01))
        r = k.execute("%%eager --new\nmultiply {rows} by three\n")
        assert r.status == "ok", r.reply["content"]
        assert "rows: int = 12" in json.dumps(fake.last.body)  # the body was sent...
        shown = json.dumps(r.outputs, default=str)
        for text in ("Request options", "json_data", "HTTP Request", "You write Python", "rows: int = 12"):
            assert text not in shown, text  # ...and never logged into the cell
        assert key_pieces(shown) == [] and "hunter2" not in json.dumps(fake.last.body)
        # --fix: a traceback that prints the key goes to the model redacted
        k.execute("import os as _os\nheld = _os.environ['ANTHROPIC_API_KEY']")
        fake.add(
            Reply(["```python\n", "ok_first = 1\n", "raise ValueError(held)\n", "```"]),
            Reply(["```python\n", "ok_second = 2\n", "```"]),
        )
        r = k.execute("%%eager --new --fix 1\nraise it\n")
        assert r.status == "ok", r.reply["content"]
        repair = fake.last.body
        assert "ValueError: [redacted]" in repair["messages"][-1]["content"]
        assert key_pieces(json.dumps(repair)) == []
        assert "Request options" not in json.dumps(r.outputs, default=str)
    finally:
        k.shutdown()
