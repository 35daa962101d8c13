from __future__ import annotations

import io
import threading
import time
import tracemalloc

import pytest

from eager_jupyter.sources import ReplaySource, TraceSource, split_tokens
from eager_jupyter.sources.replay import ReplayFileError, ReplyCut, iter_tokens
from eager_jupyter.trace import TraceError, TraceWriter, open_trace, parse_trace, read_trace, stop_problem


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
    assert len(got) + source.unsent_tokens() == 800  # what the stop spared


def test_a_stopped_trace_counts_the_pieces_it_never_sent(tmp_path):
    path = tmp_path / "t.jsonl"
    writer = TraceWriter.open(path, kind="code", origin="written")
    for i in range(40):
        writer.piece(0.05 * i, f"x{i} = {i}\n")
        if i == 30:
            writer.revise(0.05 * i, 0)  # a revision line is not a piece
    writer.end(2.0)
    writer.close()
    source = TraceSource(read_trace(path))
    got = []
    for item in source.stream():
        got.append(item)
        if len(got) == 10:
            source.close()
    assert len(got) == 10 and source.unsent_tokens() == 30


@pytest.mark.parametrize(
    ("rate", "ttft"), [(0, 0), (-1, 0), (float("nan"), 0), (float("inf"), 0), (1, -1), (1, float("nan"))]
)
def test_replay_rejects_bad_rates(rate, ttft):
    with pytest.raises(ValueError):
        ReplaySource("x", rate=rate, ttft=ttft)


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
        (['{"eager_trace": 1}', '{"t": "x", "text": "a"}'], 'needs "t"'),
        (['{"eager_trace": 1}', '{"t": NaN, "text": "a"}'], 'needs "t"'),
        (['{"eager_trace": 1}', '{"t": Infinity, "text": "a"}'], 'needs "t"'),
        (['{"eager_trace": 1}', '{"t": true, "text": "a"}'], 'needs "t"'),
        (['{"eager_trace": 1}', '{"t": -1, "text": "a"}'], 'needs "t"'),
        (['{"eager_trace": 1}', '{"end": NaN}'], '"end" must be'),
        (['{"eager_trace": 1}', '{"end": 1, "stop_reason": 3}'], '"stop_reason" must be'),
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


# ---- reading files block by block -------------------------------------------------------------

TOKEN_TEXTS = [
    "import pandas as pd\n",
    "x  =   [1,   2]\r\n\ty = 'aaaaaaaaaaaaaaaaaaa'   \n",
    "     \t  \n\n\r\n" + "w" * 30 + "   " + "9" * 10,
    "déjà_vu = 'naïve'  # ü\n" * 3,
    "a" * 5 + " " * 9,
]


@pytest.mark.parametrize("text", TOKEN_TEXTS)
def test_iter_tokens_equals_split_tokens_however_the_blocks_fall(text):
    whole = split_tokens(text)
    for size in range(1, 12):
        blocks = [text[i : i + size] for i in range(0, len(text), size)]
        assert list(iter_tokens(blocks)) == whole, size
    assert list(iter_tokens(["", text, ""])) == whole


def _peak_while(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_replay_file_is_read_as_it_streams(tmp_path):
    path = tmp_path / "big.py"
    path.write_text("x = 1\n" * 700_000)  # 4.2 MB

    def first_tokens():
        source = ReplaySource.from_file(path, rate=1e9)
        stream = source.stream()
        assert [next(stream) for _ in range(4)] == ["x", " =", " 1", "\n"]
        stream.close()

    assert _peak_while(first_tokens) < 1_000_000  # the old source read it all, then tokenized it all


def test_trace_file_is_read_as_it_streams(tmp_path):
    path = tmp_path / "big.jsonl"
    with path.open("w") as f:
        f.write('{"eager_trace": 1}\n' + '{"t": 0, "text": "x = 1\\n"}\n' * 150_000)

    def first_pieces():
        source = TraceSource.from_file(path, speed=1e9)
        stream = source.stream()
        assert [next(stream) for _ in range(3)] == ["x = 1\n"] * 3
        stream.close()

    assert _peak_while(first_pieces) < 1_000_000


def test_replay_file_encodings_as_python_reads_them(tmp_path):
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfx = 'caf\xc3\xa9'\n")
    assert "".join(ReplaySource.from_file(bom, rate=1e9).stream()) == "x = 'café'\n"
    cookie = tmp_path / "cookie.py"
    cookie.write_bytes(b"# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n")
    assert "".join(ReplaySource.from_file(cookie, rate=1e9).stream()).endswith("x = 'café'\n")
    md = tmp_path / "reply.md"
    md.write_bytes(b"\xef\xbb\xbfHere:\n")
    assert "".join(ReplaySource.from_file(md, rate=1e9).stream()) == "Here:\n"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("latin.py", b"x = 'caf\xe9'\n", "not utf-8 text"),
        ("binary.py", bytes(range(256)) * 4, "not utf-8 text"),
        ("cookie.py", b"# coding: klingon\nx = 1\n", "unknown encoding"),
        ("clash.py", b"\xef\xbb\xbf# coding: latin-1\nx = 1\n", "encoding problem"),
        ("late.py", b"x = 1\n" * 20000 + b"\xff\n", "not utf-8 text"),
    ],
)
def test_unreadable_replay_files_are_one_line(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ReplayFileError, match=message) as info:
        ReplaySource.from_file(path)
    assert "\n" not in str(info.value) and name in str(info.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"eager_trace": 1}\n{"t": 0, "text": "caf\xe9"}\n', "not UTF-8"),
        (bytes(range(256)) * 4, "not UTF-8"),
        (b"\x00\x01\x02\n", "not JSON"),
        (b"", "empty trace"),
    ],
)
def test_unreadable_traces_are_one_line(tmp_path, data, message):
    path = tmp_path / "t.jsonl"
    path.write_bytes(data)
    with pytest.raises(TraceError, match=message) as info:
        TraceSource.from_file(path)
    assert "\n" not in str(info.value)


def test_trace_with_a_bom_reads(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"eager_trace": 1}\n{"t": 0, "text": "x = 1\\n"}\n{"end": 0}\n')
    assert "".join(TraceSource.from_file(path).stream()) == "x = 1\n"


def test_a_bad_line_later_in_a_trace_fails_when_reached(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"eager_trace": 1}\n{"t": 0, "text": "x = 1\\n"}\n{"t": NaN, "text": "y"}\n')
    stream = TraceSource.from_file(path, speed=1e9).stream()
    assert next(stream) == "x = 1\n"
    with pytest.raises(TraceError, match="line 3"):
        next(stream)


# ---- replies cut short ------------------------------------------------------------------------

ABNORMAL = ["max_tokens", "refusal", "pause_turn", "model_context_window_exceeded", "tool_use", None, "x_new"]
CUT_REPLY = ["Sure:\n```python\n", "x = 1\n", "y = [1,\n", "     2"]


def _trace(tmp_path, pieces, end, kind="markdown"):
    path = tmp_path / "cut.jsonl"
    writer = TraceWriter.open(path, kind=kind, origin="recorded")
    for i, text in enumerate(pieces):
        writer.piece(i / 100, text)
    if end is not None:
        writer.end(1.0, **end)
    writer.close()
    return path


@pytest.mark.parametrize("reason", ABNORMAL)
def test_a_trace_of_a_cut_reply_fails_at_its_end(tmp_path, reason):
    path = _trace(tmp_path, CUT_REPLY, {"stop_reason": reason, "usage": {"output_tokens": 9}})
    source = TraceSource.from_file(path, speed=1e9)
    got = []
    with pytest.raises(ReplyCut) as info:
        got.extend(source.stream())
    assert "".join(got) == "".join(CUT_REPLY)  # every piece came, then the failure
    message = str(info.value)
    assert "\n" not in message
    assert ("without a stop reason" if reason is None else reason) in message
    assert source.usage == {"output_tokens": 9}


@pytest.mark.parametrize("kind", ["markdown", "code"])
def test_a_trace_with_no_end_line_is_a_cut_reply(tmp_path, kind):
    source = TraceSource.from_file(_trace(tmp_path, CUT_REPLY[1:], None, kind), speed=1e9)
    with pytest.raises(ReplyCut, match="no end line"):
        list(source.stream())


@pytest.mark.parametrize("end", [{"stop_reason": "end_turn"}, {"stop_reason": "stop_sequence"}, {}])
def test_a_trace_that_ended_normally_does_not_fail(tmp_path, end):
    source = TraceSource.from_file(_trace(tmp_path, CUT_REPLY, end), speed=1e9)
    assert "".join(source.stream()) == "".join(CUT_REPLY)


def test_a_cut_after_the_code_block_closed_is_not_a_failure_but_a_refusal_is(tmp_path):
    done = ["```python\nx = 1\n", "```\nNow the expla"]
    source = TraceSource.from_file(_trace(tmp_path, done, {"stop_reason": "max_tokens"}), speed=1e9)
    assert "".join(source.stream()) == "".join(done)
    source = TraceSource.from_file(_trace(tmp_path, done, None), speed=1e9)
    assert "".join(source.stream()) == "".join(done)
    source = TraceSource.from_file(_trace(tmp_path, done, {"stop_reason": "refusal"}), speed=1e9)
    with pytest.raises(ReplyCut, match="declined"):
        list(source.stream())


def test_stop_problem_rule():
    for reason in ("end_turn", "stop_sequence"):
        assert stop_problem(reason, False) is None
    for reason in ABNORMAL:
        assert stop_problem(reason, False) is not None
        assert (stop_problem(reason, True) is None) == (reason != "refusal")
    assert stop_problem("end_turn", False, missing_end=True) is not None


def test_open_trace_reads_only_the_header(tmp_path):
    path = _trace(tmp_path, ["a", "b"], {"stop_reason": "end_turn"})
    trace = open_trace(path)
    assert trace.header["kind"] == "markdown" and trace.end is None
    assert list(trace.pieces()) == [(0.0, "a"), (0.01, "b")]
    assert trace.end is not None and trace.end["stop_reason"] == "end_turn"


def test_a_huge_first_line_is_not_read_whole_for_its_encoding(tmp_path):
    path = tmp_path / "one_line.py"
    path.write_text("x = ['é', " + "1, " * 1_000_000 + "]\n", encoding="utf-8")  # 3 MB, one line

    def first_tokens():
        stream = ReplaySource.from_file(path, rate=1e9).stream()
        assert [next(stream) for _ in range(3)] == ["x", " =", " ['"]
        stream.close()

    assert _peak_while(first_tokens) < 1_000_000
    # a cut at 4096 bytes inside a 2-byte character is not a decoding error
    path.write_bytes(b"s = '" + "é".encode() * 5000 + b"'\n")
    assert "".join(ReplaySource.from_file(path, rate=1e9).stream()) == "s = '" + "é" * 5000 + "'\n"


def test_a_huge_trace_time_waits_without_overflow(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"eager_trace": 1}\n{"t": 1e300, "text": "x"}\n{"end": 1e300}\n')
    source = TraceSource.from_file(path)
    threading.Timer(0.2, source.close).start()
    assert list(source.stream()) == []  # waited, then closed


def test_iter_tokens_random_texts_and_blocks():
    import random

    rng = random.Random(14)
    alphabet = ["a", "Z", "_", "9", " ", "  ", "\t", "\n", "\r\n", "\r", "(", "==", "é", "'", "#", "x1"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        cuts = sorted(rng.sample(range(len(text) + 1), k=min(len(text) + 1, rng.randint(0, 8))))
        blocks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        assert list(iter_tokens(blocks)) == split_tokens(text), (text, blocks)


# -- revisions (issue 18) -------------------------------------------------------------------------


def test_trace_revision_lines_round_trip_and_replay(tmp_path):
    from eager_jupyter.sources.revisions import Revision

    path = tmp_path / "r.jsonl"
    writer = TraceWriter.open(path, kind="markdown", origin="written")
    writer.piece(0.01, "```python\nr = run(cmd, shell=True)")
    writer.revise(0.02, len("```python\nr = run("))
    writer.piece(0.03, "[cmd])\n```\n")
    writer.end(0.04, stop_reason="end_turn")
    writer.close()
    trace = read_trace(path)
    assert trace.pieces[1] == (0.02, len("```python\nr = run("))
    assert trace.text == "```python\nr = run([cmd])\n```\n"
    items = list(TraceSource(trace, speed=1e9).stream())
    assert items == ["```python\nr = run(cmd, shell=True)", Revision(18), "[cmd])\n```\n"]
    # the replay's own fence filter follows the revision: a reopened block is not a cut reply
    assert list(TraceSource.from_file(path, speed=1e9).stream())[1] == Revision(18)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"t": 0, "text": "ab"}', '{"t": 0.1, "revise": 3}'], "integer offset from 0 to the output"),
        (['{"t": 0, "revise": -1}'], "integer offset"),
        (['{"t": 0, "revise": true}'], "integer offset"),
        (['{"t": 0, "revise": 1.5}'], "integer offset"),
        (['{"revise": 0}'], "a revision needs"),
        (['{"t": 1, "text": "ab"}', '{"t": 0.5, "revise": 1}'], "time goes backwards"),
    ],
)
def test_bad_revision_lines_say_what_and_where(lines, message):
    with pytest.raises(TraceError, match=message):
        parse_trace(['{"eager_trace": 1}', *lines], name="t.jsonl")


def test_revision_offsets_follow_earlier_revisions():
    trace = parse_trace(['{"eager_trace": 1}', '{"t": 0, "text": "abcdef"}', '{"t": 0, "revise": 2}',
                         '{"t": 0, "text": "X"}', '{"t": 0, "revise": 3}', '{"t": 0, "text": "Y"}'])
    assert trace.text == "abXY"
    with pytest.raises(TraceError, match=r"length so far \(3\)"):
        parse_trace(['{"eager_trace": 1}', '{"t": 0, "text": "abcdef"}', '{"t": 0, "revise": 2}',
                     '{"t": 0, "text": "X"}', '{"t": 0, "revise": 4}'])
