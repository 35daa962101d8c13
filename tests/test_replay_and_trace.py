from __future__ import annotations

import io
import threading
import time

import pytest

from eager_jupyter.sources import ReplaySource, TraceSource, split_tokens
from eager_jupyter.trace import TraceError, TraceWriter, parse_trace, read_trace


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x = 1\n",
        "  \t\r\n\f",
        "déjà_vu = 'naïve'  # ü\n",
        "a=[1,2,3]**2//4\n\n\n",
        "_private__x = 1_000_000",
    ],
)
def test_tokens_round_trip(text):
    assert "".join(split_tokens(text)) == text


def test_tokens_look_like_model_tokens():
    assert split_tokens("import pandas as pd\n") == ["import", " pandas", " as", " pd", "\n"]


def test_replay_paces_against_the_clock_and_stops_on_close():
    source = ReplaySource("a = 1\n" * 200, rate=200.0)
    got: list[str] = []

    def consume() -> None:
        got.extend(source.stream())

    thread = threading.Thread(target=consume)
    thread.start()
    time.sleep(0.2)
    source.close()
    thread.join(2)
    assert not thread.is_alive()
    assert 0 < len(got) < 800  # stopped part-way


def test_replay_rejects_bad_rates():
    with pytest.raises(ValueError):
        ReplaySource("x", rate=0)
    with pytest.raises(ValueError):
        ReplaySource("x", ttft=-1)


def test_trace_write_then_read(tmp_path):
    path = tmp_path / "t.jsonl"
    writer = TraceWriter.open(path, kind="markdown", origin="written", model="m")
    writer.piece(0.1, "Here:\n```python\n")
    writer.piece(0.2, "x = 1\n```\n")
    writer.end(0.3, usage={"output_tokens": 9})
    writer.close()
    trace = read_trace(path)
    assert trace.kind == "markdown" and trace.header["origin"] == "written"
    assert trace.text == "Here:\n```python\nx = 1\n```\n"
    assert trace.end == {"end": 0.3, "usage": {"output_tokens": 9}}
    source = TraceSource(trace, speed=100.0)
    assert "".join(source.stream()) == trace.text
    assert source.usage == {"output_tokens": 9} and source.model == "m"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "empty trace"),
        (['{"t": 0, "text": "x"}'], "first line must be a header"),
        (['{"eager_trace": 1}', "not json"], "line 2: not JSON"),
        (['{"eager_trace": 1}', '{"t": 1, "text": "a"}', '{"t": 0.5, "text": "b"}'], "time goes backwards"),
        (['{"eager_trace": 1}', '{"t": "x", "text": "a"}'], 'needs a number "t"'),
        (['{"eager_trace": 1}', '{"end": 1}', '{"t": 2, "text": "a"}'], "nothing may follow"),
        (['{"eager_trace": 1, "kind": "html"}'], '"kind" must be'),
    ],
)
def test_bad_traces_say_what_and_where(lines, message):
    with pytest.raises(TraceError, match=message):
        parse_trace(lines, name="t.jsonl")


def test_trace_writer_flushes_each_piece():
    buffer = io.StringIO()
    writer = TraceWriter(buffer, {"kind": "code"})
    writer.piece(0.0, "a")
    assert buffer.getvalue().count("\n") == 2
