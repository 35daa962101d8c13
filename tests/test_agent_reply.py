"""The agent's pure parts: a streamed reply's events as prose and code, the turn sent back, the tool result.

Events are built as the SDK's objects look to ``AgentReply`` (attributes only), from the same JSON
the loopback fake streams, split at random places, escapes included.
"""

from __future__ import annotations

import json
import random
import re
from types import SimpleNamespace
from typing import Any

import pytest

from eager_jupyter.agent.reply import AgentReply, python_tool
from eager_jupyter.agent.result import CallResult, cut_middle, tool_result_blocks
from eager_jupyter.sources.errors import ReplyIncomplete
from eager_jupyter.sources.secrets import SecretScanner

KEY = "sk-ant-api03-PURETESTKEY-" + "z" * 24


def ev(**fields: Any) -> SimpleNamespace:
    made = {k: SimpleNamespace(**v) if isinstance(v, dict) else v for k, v in fields.items()}
    return SimpleNamespace(**made)


def split(text: str, rng: random.Random, most: int = 7) -> list[str]:
    out, i = [], 0
    while i < len(text):
        n = rng.randint(1, most)
        out.append(text[i : i + n])
        i += n
    return out


def events(blocks: list[tuple[str, Any]], rng: random.Random, stop: str = "tool_use") -> list[Any]:
    """message_start, each block (text, or tool call with its input object), message_delta, stop."""
    out: list[Any] = [ev(type="message_start", message=SimpleNamespace(model="m", usage=SimpleNamespace(
        input_tokens=10, output_tokens=1)))]
    for index, (kind, value) in enumerate(blocks):
        if kind == "text":
            start = {"type": "text", "text": ""}
            out.append(ev(type="content_block_start", index=index, content_block=start))
            for piece in split(value, rng):
                delta = {"type": "text_delta", "text": piece}
                out.append(ev(type="content_block_delta", index=index, delta=delta))
        else:
            name, tool_id, tool_input = value
            start = {"type": "tool_use", "id": tool_id, "name": name, "input": {}}
            out.append(ev(type="content_block_start", index=index, content_block=start))
            text = tool_input if isinstance(tool_input, str) else json.dumps(tool_input)
            for piece in split(text, rng):
                delta = {"type": "input_json_delta", "partial_json": piece}
                out.append(ev(type="content_block_delta", index=index, delta=delta))
        out.append(ev(type="content_block_stop", index=index))
    out.append(ev(type="message_delta", delta={"stop_reason": stop}, usage=SimpleNamespace(output_tokens=42)))
    out.append(ev(type="message_stop"))
    return out


def feed_all(reply: AgentReply, evs: list[Any]) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    for e in evs:
        parts.extend(reply.take(e))
    return parts


CODE_A = 'import math\nprint("a\\tb", \'é 😀\')\nx = math.sqrt(16)\nx'
CODE_B = "y = x + 1\nprint(y)\n"


@pytest.mark.parametrize("seed", range(8))
def test_prose_and_code_of_several_calls(seed: int) -> None:
    rng = random.Random(seed)
    second = {"note": [1, {"x": "}"}], "code": CODE_B}
    blocks = [("text", "Let me look."), ("tool", ("python", "t1", {"code": CODE_A})),
              ("text", "Now the next."), ("tool", ("python", "t2", second))]
    reply = AgentReply()
    parts = feed_all(reply, events(blocks, rng))
    code = "".join(t for k, t in parts if k == "code")
    prose = "".join(t for k, t in parts if k == "prose")
    assert code == CODE_A + "\n" + CODE_B  # a newline between calls, as the first did not end with one
    assert prose == "Let me look.Now the next."
    a, b = reply.tool_calls
    assert code[a.start : a.end] == CODE_A and code[b.start : b.end] == CODE_B
    assert reply.stop_reason == "tool_use" and reply.usage["output_tokens"] == 42
    reply.check_end(4096)
    content = reply.assistant_content()
    assert [c["type"] for c in content] == ["text", "tool_use", "text", "tool_use"]
    assert content[1]["input"] == {"code": CODE_A}
    assert content[3]["input"] == {"note": [1, {"x": "}"}], "code": CODE_B}


def test_the_turn_after_a_failure_ends_with_the_failing_statement() -> None:
    reply = AgentReply()
    blocks = [("text", "Try."), ("tool", ("python", "t1", {"code": CODE_A})),
              ("tool", ("python", "t2", {"code": CODE_B}))]
    feed_all(reply, events(blocks, random.Random(3)))
    a, _ = reply.tool_calls
    failing = 'print("a\\tb", \'é 😀\')'
    cut = a.start + CODE_A.index(failing) + len(failing)
    content = reply.assistant_content(cut)
    assert [c["type"] for c in content] == ["text", "tool_use"]
    assert content[1]["input"]["code"] == CODE_A[: CODE_A.index(failing) + len(failing) + 1]
    assert content[1]["input"]["code"].endswith(failing + "\n")
    # a failure in the second call keeps the first whole
    b_cut = reply.tool_calls[1].start + len("y = x + 1")
    content = reply.assistant_content(b_cut)
    assert [c["input"]["code"] for c in content if c["type"] == "tool_use"] == [CODE_A, "y = x + 1\n"]


def test_a_closed_stream_cut_mid_call_sends_only_what_came() -> None:
    reply = AgentReply()
    evs = events([("tool", ("python", "t1", {"code": CODE_B}))], random.Random(1))
    feed_all(reply, evs[:4])  # message_start, block start, two deltas: the stream was closed
    block = reply.tool_calls[0]
    assert block.end is None and CODE_B.startswith(block.text)
    cut = len("y = x + 1")
    if len(block.text) >= cut:
        assert reply.assistant_content(cut)[0]["input"]["code"] == "y = x + 1\n"[: len(block.text)]


def test_malformed_input_and_max_tokens_are_one_line() -> None:
    reply = AgentReply()
    evs = events([("tool", ("python", "t1", '{"code": "x = 1\\q"}'))], random.Random(0))
    with pytest.raises(ReplyIncomplete, match="not valid tool input"):
        feed_all(reply, evs)
    reply = AgentReply()
    evs = events([("tool", ("python", "t1", '{"code": "x = 1\\ny = '))], random.Random(0), stop="max_tokens")
    parts = feed_all(reply, evs)
    assert "".join(t for _, t in parts) == "x = 1\ny = "
    with pytest.raises(ReplyIncomplete, match=r"max_tokens \(99\)"):
        reply.check_end(99)


def test_another_tool_gives_no_code() -> None:
    reply = AgentReply()
    parts = feed_all(reply, events([("tool", ("shell", "t9", {"code": "rm -rf /"}))], random.Random(0)))
    assert parts == []
    assert reply.assistant_content()[0]["input"] == {"code": "rm -rf /"}


def test_the_tool_declares_streaming() -> None:
    tool = python_tool()
    assert tool["eager_input_streaming"] is True
    assert tool["input_schema"]["required"] == ["code"]


def test_cut_middle_says_how_much() -> None:
    text = "".join(f"line {i}\n" for i in range(2000))
    out = cut_middle(text, 300)
    assert out.startswith("line 0\n") and out.endswith("line 1999\n")
    cut = int(out.split("[... ")[1].split(" characters cut")[0])
    assert len(out) - len(f"\n[... {cut} characters cut ...]\n") + cut == len(text)
    assert len(out) <= 300  # the note included
    assert cut_middle("short", 300) == "short"


def test_tool_result_budget_images_and_redaction() -> None:
    scanner = SecretScanner([KEY])
    outputs = [
        {"kind": "stream", "text": "\x1b[31mred\x1b[0m and the key " + KEY + "\n" + "x" * 20000},
        {"kind": "stream", "text": "progress 10%\rprogress 100%\n"},
        *({"kind": "display", "data": {"image/png": f"PNG{i}", "text/plain": "<Figure>"}} for i in range(6)),
        {"kind": "display", "data": {"text/plain": "   a\n0  1", "text/html": "<table/>"}},
    ]
    blocks, text = tool_result_blocks(
        [CallResult("t1", outputs, traceback="Traceback\n  line 3\nNameError: x")], scanner, max_chars=2000
    )
    (block,) = blocks
    assert block["tool_use_id"] == "t1" and block["is_error"] is True
    body = block["content"][0]["text"]
    assert KEY not in body and KEY not in text and "\x1b" not in body
    assert "characters cut" in body and len(body) < 2300
    assert "NameError: x" in body and "   a\n0  1" in body and "progress 10%" not in body
    images = [c for c in block["content"] if c["type"] == "image"]
    assert [i["source"]["data"] for i in images] == ["PNG0", "PNG1", "PNG2", "PNG3"]
    assert "2 more figures not sent" in body
    empty, _ = tool_result_blocks([CallResult("t2")], scanner)
    assert empty[0]["content"] == [{"type": "text", "text": "(no output)"}] and "is_error" not in empty[0]


def texts_of(blocks: list[dict[str, Any]]) -> list[str]:
    return ["".join(c["text"] for c in b["content"] if c["type"] == "text") for b in blocks]


def call_with(text: str, ident: str = "t") -> CallResult:
    return CallResult(ident, [{"kind": "stream", "text": text}])


@pytest.mark.parametrize("count", [1, 2, 7, 60, 120])
def test_the_budget_holds_for_the_step_whatever_the_number_of_calls(count: int) -> None:
    scanner = SecretScanner([KEY])
    calls = [call_with(f"start {i}\n" + "y" * 290 + f"\nend {i}\n", f"t{i}") for i in range(count)]
    blocks, record = tool_result_blocks(calls, scanner, max_chars=8000)
    texts = texts_of(blocks)
    assert len(texts) == count and sum(map(len, texts)) <= 8000
    for i, text in enumerate(texts):
        assert text.startswith(f"start {i}") and text.endswith(f"end {i}")  # its start and its end
        if count * 310 > 8000:
            assert re.search(r"\[\.\.\. \d+ characters cut \.\.\.\]", text)  # each says it was cut
    assert record == "\n\n".join(texts)


def test_what_a_short_call_leaves_goes_to_the_longer_ones() -> None:
    scanner = SecretScanner([KEY])
    calls = [call_with("small\n", "a"), call_with("z" * 9000, "b"), call_with("w" * 1000, "c")]
    small, big, medium = texts_of(tool_result_blocks(calls, scanner, max_chars=3000)[0])
    assert small == "small" and medium == "w" * 1000  # both fit in their share: whole
    assert "characters cut" in big and len(big) == 3000 - len(small) - len(medium)
    cut = int(re.search(r"(\d+) characters cut", big).group(1))
    assert len(big) - len(f"\n[... {cut} characters cut ...]\n") + cut == 9000


def test_a_huge_output_is_redacted_before_it_is_cut() -> None:
    """Of a very long output only the ends are scanned and kept; a key at the edge of what is kept
    goes whole, no piece of it left next to the note."""
    scanner = SecretScanner([KEY])
    for at in range(0, 700, 9):  # the key across where the head is cut, at offsets all along
        text = "h" * (1333 - at) + KEY + "m" * 300_000 + KEY + "t" * (666 - at)
        (body,) = texts_of(tool_result_blocks([call_with(text)], scanner, max_chars=2000)[0])
        assert len(body) <= 2000
        low = body.lower()
        for i in range(13, len(KEY) - 7):
            assert KEY[i : i + 8].lower() not in low, (at, i)
        cut = int(re.search(r"(\d+) characters cut", body).group(1))
        assert 290_000 < cut < len(text)  # counted in the redacted text


def test_progress_lines_keep_their_last_state() -> None:
    """Against the regex it replaces (``[^\\n]*\\r(?!\\n)`` removed), which takes time quadratic in
    a line's length: a long line goes through at once."""
    oracle = re.compile(r"[^\n]*\r(?!\n)")
    rng = random.Random(16)
    for _ in range(20000):
        text = "".join(rng.choice("ab\r\n") for _ in range(rng.randint(0, 12)))
        (body,) = texts_of(tool_result_blocks([call_with(text)], SecretScanner(), max_chars=100)[0])
        expected = oracle.sub("", text).rstrip("\n")
        assert body == (expected if expected.strip() else "(no output)"), repr(text)
    (body,) = texts_of(tool_result_blocks([call_with("q" * 3_000_000)], SecretScanner(), max_chars=100)[0])
    assert "characters cut" in body
