"""The agent's chat-completions dialect without a server: chunks to parts, and the turns sent back."""

from __future__ import annotations

import json
import random
from types import SimpleNamespace
from typing import Any

import pytest

from eager_jupyter.agent.chat import ChatAgentReply, chat_tool, chat_turn
from eager_jupyter.sources.errors import ReplyIncomplete

CODE_A = 'print("a\\tb é")\nx = 1'
CODE_B = "y = x + 1\n"


def chunk(content: str | None = None, calls: list[dict[str, Any]] | None = None,
          finish: str | None = None, usage: dict[str, int] | None = None) -> SimpleNamespace:
    tool_calls = [
        SimpleNamespace(index=c["index"], id=c.get("id"),
                        function=SimpleNamespace(name=c.get("name"), arguments=c.get("arguments")))
        for c in calls or []
    ]
    delta = SimpleNamespace(content=content, refusal=None, tool_calls=tool_calls or None)
    choices = [SimpleNamespace(index=0, delta=delta, finish_reason=finish)]
    return SimpleNamespace(model="gpt-test", choices=choices,
                           usage=SimpleNamespace(**usage) if usage else None)


def chunks(seed: int, finish: str = "tool_calls") -> list[SimpleNamespace]:
    rng = random.Random(seed)
    out = [chunk("Let me "), chunk("run it.")]
    for index, (call_id, code) in enumerate((("call_a", CODE_A), ("call_b", CODE_B))):
        out.append(chunk(calls=[{"index": index, "id": call_id, "name": "python", "arguments": ""}]))
        text, i = json.dumps({"code": code}), 0
        while i < len(text):
            n = rng.randint(1, 5)
            out.append(chunk(calls=[{"index": index, "arguments": text[i : i + n]}]))
            i += n
    out.append(chunk(finish=finish))
    out.append(SimpleNamespace(model="gpt-test", choices=[],
                               usage=SimpleNamespace(prompt_tokens=11, completion_tokens=22)))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_chunks_become_prose_and_code(seed: int) -> None:
    reply = ChatAgentReply()
    parts = [p for c in chunks(seed) for p in reply.take_chunk(c)]
    assert "".join(t for k, t in parts if k == "prose") == "Let me run it."
    assert "".join(t for k, t in parts if k == "code") == CODE_A + "\n" + CODE_B
    assert reply.stop_reason == "tool_use" and reply.stopped
    assert reply.usage == {"input_tokens": 11, "output_tokens": 22}
    reply.check_chat_end(100, "the server")
    a, b = reply.tool_calls
    assert (a.id, b.id) == ("call_a", "call_b") and a.complete and b.complete


def test_the_turn_in_the_chat_dialect() -> None:
    reply = ChatAgentReply()
    for c in chunks(1):
        reply.take_chunk(c)
    cut = reply.tool_calls[0].start + CODE_A.index("\n")  # the first statement failed
    content = reply.assistant_content(cut)
    png = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "QUJD"}}
    results = [{"type": "tool_result", "tool_use_id": "call_a", "is_error": True,
                "content": [{"type": "text", "text": "Traceback: boom"}, png]}]
    assistant, tool, figures = chat_turn(content, results)
    assert assistant["content"] == "Let me run it."
    assert [json.loads(c["function"]["arguments"]) for c in assistant["tool_calls"]] == [
        {"code": 'print("a\\tb é")\n'}
    ]
    assert tool == {"role": "tool", "tool_call_id": "call_a", "content": "Error:\nTraceback: boom"}
    assert figures["content"][1]["image_url"]["url"] == "data:image/png;base64,QUJD"
    assert chat_tool()["function"]["parameters"]["required"] == ["code"]


def test_length_is_max_tokens() -> None:
    reply = ChatAgentReply()
    for c in chunks(2, finish="length"):
        reply.take_chunk(c)
    with pytest.raises(ReplyIncomplete, match=r"max_tokens \(64\)"):
        reply.check_chat_end(64, "the server")
