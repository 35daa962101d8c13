"""``%%eager --agent -m openai:...`` in a real kernel, against the loopback chat completions server.

The same episode as with the Messages API, in the chat dialect: the function's ``arguments`` stream
as JSON text split anywhere, the assistant turn goes back with ``tool_calls``, each result as a
``role: tool`` message, and figures in a user message after them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fake_openai import FakeOpenAI, Reply, ToolCall
from kernel_harness import Kernel, Transcript, loaded_kernel

pytestmark = pytest.mark.kernel

KEY = "sk-proj-AGENTOPENAIKEY-" + "y" * 24
TRANSCRIPT = Transcript()
run = TRANSCRIPT.run


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(deadline=600) as server:
        yield server


@pytest.fixture(scope="module")
def kernel(fake: FakeOpenAI) -> Iterator[Kernel]:
    k = loaded_kernel(
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        OPENAI_API_KEY=KEY,
        OPENAI_BASE_URL=fake.base_url,
        NO_PROXY="127.0.0.1",
    )
    yield k
    k.shutdown()
    # the key never reached a frontend or a request body, in any test of this module
    TRANSCRIPT.assert_without(KEY)
    assert KEY not in json.dumps([r.body for r in fake.requests], default=str)


def test_an_episode_over_chat_completions(kernel: Any, fake: FakeOpenAI) -> None:
    code1 = (
        "import matplotlib.pyplot as plt\n"
        "print('start')\n"
        "plt.plot([1, 2], [3, 4])\n"
        "plt.show()\n"
        "oa_v = oa_missing * 2\n"
        + "oa_never = 1\n" * 40
    )
    fake.add(
        Reply(["Let me try."], delay=0.02,
              tool_calls=[ToolCall("python", json.dumps({"code": code1}), seed=2, max_piece=3)]),
        Reply([], tool_calls=[ToolCall("python", json.dumps({"code": "oa_v = 2\nprint('oa_v', oa_v)"})),
                              ToolCall("python", json.dumps({"code": "oa_w = oa_v + 1\noa_w\n"}))]),
        Reply(["oa_w is 3."]),
    )
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --view plain -m openai:gpt-test\ncompute oa_w\n")
    assert r.status == "ok", r.reply["content"]
    assert len(fake.requests) == before + 3
    first = fake.requests[before].body
    assert first["tools"][0]["function"]["name"] == "python"
    assert first["messages"][0]["role"] == "system"
    second = fake.requests[before + 1].body["messages"]
    assistant, tool, figures = second[-3:]
    assert assistant["role"] == "assistant" and assistant["content"] == "Let me try."
    (call,) = assistant["tool_calls"]
    failing = "oa_v = oa_missing * 2\n"
    assert json.loads(call["function"]["arguments"]) == {"code": code1[: code1.index(failing) + len(failing)]}
    assert tool["role"] == "tool" and tool["tool_call_id"] == call["id"]
    assert "start" in tool["content"] and "NameError: name 'oa_missing' is not defined" in tool["content"]
    assert figures["role"] == "user"
    assert figures["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    # the server saw the hang-up before it had sent every argument piece
    conn = fake.requests[before].connection
    assert conn.closed_at is not None
    third = fake.requests[before + 2].body["messages"]
    assert [m["role"] for m in third[-3:]] == ["assistant", "tool", "tool"]
    assert [m["content"] for m in third[-2:]] == ["oa_v 2", "3"]
    assert kernel.value("oa_w") == 3
    assert kernel.value("'oa_never' in globals()") is False
    assert kernel.value("[s.text for s in _eager.steps]") == ["Let me try.", "", "oa_w is 3."]
    # chat completions report usage at the end: the step closed early never got its own
    assert kernel.value("_eager.usage['input_tokens']") == 2 * 321


def test_an_openai_episode_is_recorded_and_replayed(kernel: Any, fake: FakeOpenAI, tmp_path: Any) -> None:
    code1 = "oa_r = [1, 2]\nprint('len', len(oa_r))\noa_r.append(oa_nope)\n" + "oa_r_after = 1\n" * 30
    fake.add(
        Reply(["Start."], delay=0.02,
              tool_calls=[ToolCall("python", json.dumps({"code": code1}), seed=3, max_piece=3)]),
        Reply(["Fix."], tool_calls=[ToolCall("python", json.dumps({"code": "oa_r.append(3)"})),
                                    ToolCall("python", json.dumps({"code": "oa_r\n"}))]),
        Reply(["oa_r is [1, 2, 3]."]),
    )
    path = tmp_path / "episode.jsonl"
    r = run(kernel, f"%%eager --agent --new --view plain -m openai:gpt-test --record {path}\nbuild oa_r\n")
    assert r.status == "ok", r.reply["content"]
    live = kernel.value("[[s.text, s.code, s.tool_result] for s in _eager.steps]")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["kind"] == "episode" and lines[0]["origin"] == "recorded"
    assert lines[0]["source"] == "openai" and lines[0]["model"] == "gpt-test"
    assert [line["step"] for line in lines if "step" in line] == [1, 2, 3]
    ends = [line for line in lines if "step_end" in line]
    assert [e["stop_reason"] for e in ends] == ["tool_use", "end_turn"]  # the first step was closed
    assert sum(1 for line in lines if line.get("block") == "tool_use") == 3
    assert KEY not in path.read_text()
    run(kernel, "del oa_r")
    before = len(fake.requests)
    r = run(kernel, f"%%eager --replay-trace {path} --view plain\n")
    assert r.status == "ok", r.reply["content"]
    assert len(fake.requests) == before  # offline
    assert kernel.value("oa_r") == [1, 2, 3]
    replayed = kernel.value("[[s.text, s.code, s.tool_result] for s in _eager.steps]")
    cell = re.compile(r"Cell In\[\d+\]")
    assert "oa_nope" in live[0][2]
    assert cell.sub("CELL", json.dumps(replayed)) == cell.sub("CELL", json.dumps(live))
    assert "(recorded) replayed: cannot react to different outputs" in kernel.value("_eager.source")
