"""Streamed tool input through the real ``anthropic`` SDK, against the loopback fake of the Messages API.

The fake streams a ``tool_use`` block's input as ``input_json_delta`` pieces cut at random (seeded)
places, escapes included; the SDK parses the raw events into its own types (``anthropic.types``), and
the ``partial_json`` pieces fed to ``ToolInputDecoder`` give back exactly the scripted code, each
block on its own. Not pure (sockets, the SDK): ``test_tool_input.py`` holds the pure oracle.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator

import anthropic
import pytest
from anthropic.types import (
    InputJSONDelta,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    TextBlock,
    TextDelta,
    ToolParam,
    ToolUseBlock,
)
from fake_anthropic import FakeAnthropic, Reply, ToolUse

from eager_jupyter.sources.tool_input import ToolInputDecoder, ToolInputError

KEY = "sk-ant-api03-FAKEKEYFORTESTS-" + "t" * 24
TOOL: ToolParam = {
    "name": "python",
    "description": "Run Python code in the user's kernel.",
    "input_schema": {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]},
    "eager_input_streaming": True,
}
CODE = (
    'import re\nprint("tab\\there", \'quote " and \\\\ backslash\')\n'
    "s = 'é 中 😀 𝄞 \\u0041'\r\nx = {\"a\": [1, 2]}\b\f\x00\n"
    "for i in range(3):\n\tprint(i, end='/')\n"
)
ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|.)")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    with FakeAnthropic(deadline=60) as server:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield server


def client(fake: FakeAnthropic) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=KEY, base_url=fake.url, max_retries=0, timeout=10.0)


def create(fake: FakeAnthropic) -> anthropic.Stream[anthropic.types.RawMessageStreamEvent]:
    return client(fake).messages.create(
        model="claude-sonnet-5-5",
        max_tokens=1024,
        messages=[{"role": "user", "content": "compute it"}],
        tools=[TOOL],
        stream=True,
    )


def random_code(rng: random.Random) -> str:
    atoms = [*"abc xyz=()[]:,.'", '"', "\\", "/", "\n", "\t", "\r", "\b", "\x01", "é", "中", "😀", "𝄞",
             "print(x)\n", "    return 1\n", "\\n", "\\u0041"]
    return "".join(rng.choice(atoms) for _ in range(rng.randrange(50, 400)))


def cuts_inside_escapes(tool: ToolUse) -> int:
    """How many piece boundaries fall strictly inside an escape of the JSON text."""
    spans = [(m.start(), m.end()) for m in ESCAPE.finditer(tool.text)]
    bounds, at = set(), 0
    for piece in tool.split():
        at += len(piece)
        bounds.add(at)
    return sum(1 for b in bounds for start, end in spans if start < b < end)


@pytest.mark.parametrize("seed", range(12))
def test_input_json_deltas_decode_to_the_scripted_code(fake: FakeAnthropic, seed: int) -> None:
    rng = random.Random(seed)
    code = CODE + random_code(rng)
    tool = ToolUse({"code": code}, seed=seed, max_piece=rng.choice([1, 3, 8, 20]),
                   ensure_ascii=seed % 2 == 0)
    assert cuts_inside_escapes(tool) > 0
    fake.add(Reply(["Let me run this."], tools=[tool]))

    kinds, decoders, outputs = [], {}, {}
    stop_reason = None
    for event in create(fake):
        kinds.append(event.type)
        if isinstance(event, RawContentBlockStartEvent):
            block = event.content_block
            if isinstance(block, ToolUseBlock):
                assert (block.id, block.name, block.input) == (tool.id, "python", {})
                decoders[event.index], outputs[event.index] = ToolInputDecoder("code"), ""
            else:
                assert isinstance(block, TextBlock) and event.index == 0
        elif isinstance(event, RawContentBlockDeltaEvent) and event.index in decoders:
            assert isinstance(event.delta, InputJSONDelta)
            outputs[event.index] += "".join(decoders[event.index].feed(event.delta.partial_json))
            assert code.startswith(outputs[event.index])
        elif isinstance(event, RawContentBlockDeltaEvent):
            assert isinstance(event.delta, TextDelta)
        elif isinstance(event, RawContentBlockStopEvent) and event.index in decoders:
            assert decoders[event.index].finish() == []
            assert decoders[event.index].value_complete
        elif isinstance(event, RawMessageDeltaEvent):
            stop_reason = event.delta.stop_reason
        else:
            assert isinstance(event, (RawMessageStartEvent, RawMessageStopEvent, RawContentBlockStopEvent)) \
                or event.type == "ping", event

    assert outputs == {1: code}
    assert stop_reason == "tool_use"
    assert kinds.count("content_block_delta") == 1 + len(tool.split())
    assert fake.last.connection.json_pieces_sent == len(tool.split())
    assert fake.last.body["tools"] == [TOOL]  # the SDK sent eager_input_streaming as declared


def test_several_tool_calls_in_one_reply_and_the_sdk_agrees(fake: FakeAnthropic) -> None:
    first, second = "print('one')\n", 'x = "two\\n"\nprint(x, "\U0001d11e")\n'
    tools = [ToolUse({"note": {"a": [1, "\\"]}, "code": first}, seed=1, max_piece=2),
             ToolUse({"code": second, "n": -1.5e3, "ok": True}, seed=2, max_piece=5, ensure_ascii=True)]
    fake.add(Reply([], tools=tools), Reply([], tools=tools))

    decoders: dict[int, ToolInputDecoder] = {}
    outputs: dict[int, str] = {}
    for event in create(fake):
        if isinstance(event, RawContentBlockStartEvent):
            assert isinstance(event.content_block, ToolUseBlock)  # no text block: tool calls only
            decoders[event.index], outputs[event.index] = ToolInputDecoder(), ""
        elif isinstance(event, RawContentBlockDeltaEvent):
            assert isinstance(event.delta, InputJSONDelta)
            outputs[event.index] += "".join(decoders[event.index].feed(event.delta.partial_json))
        elif isinstance(event, RawContentBlockStopEvent):
            decoders[event.index].finish()
    assert outputs == {0: first, 1: second}

    # the SDK's own accumulation of the same stream reads the same inputs
    with client(fake).messages.stream(model="claude-sonnet-5-5", max_tokens=1024, tools=[TOOL],
                                      messages=[{"role": "user", "content": "go"}]) as stream:
        final = stream.get_final_message()
    assert [block.input for block in final.content if isinstance(block, ToolUseBlock)] == [
        json.loads(tool.text) for tool in tools]
    assert final.stop_reason == "tool_use"


def test_a_client_hanging_up_mid_input_is_seen_before_the_rest_is_sent(fake: FakeAnthropic) -> None:
    code = "".join(f"print({i}, 'row\\t{i}')\n" for i in range(200))
    tool = ToolUse({"code": code}, seed=3, max_piece=4)
    fake.add(Reply([], tools=[tool], delay=0.01))
    stream = create(fake)
    decoder, got, deltas = ToolInputDecoder(), "", 0
    for event in stream:
        if isinstance(event, RawContentBlockDeltaEvent) and isinstance(event.delta, InputJSONDelta):
            got += "".join(decoder.feed(event.delta.partial_json))
            deltas += 1
            if deltas == 20:
                break
    stream.close()
    assert fake.last.connection.closed.wait(5)
    assert deltas <= fake.last.connection.json_pieces_sent < len(tool.split())
    assert got and code.startswith(got)  # the code so far, never invented


def test_malformed_input_from_the_api_is_one_clear_error(fake: FakeAnthropic) -> None:
    fake.add(Reply([], tools=[ToolUse('{"code": "ok\\q"}', pieces=['{"co', 'de": "o', "k\\", 'q"}'])]))
    decoder, error = ToolInputDecoder(), None
    for event in create(fake):
        if isinstance(event, RawContentBlockDeltaEvent) and isinstance(event.delta, InputJSONDelta):
            try:
                decoder.feed(event.delta.partial_json)
            except ToolInputError as caught:
                error = caught
                break
    assert str(error) == "tool input: invalid escape '\\q' at offset 13"
