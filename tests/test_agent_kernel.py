"""``%%eager --agent`` in a real kernel, against the loopback fake of the Messages API.

Each test scripts the model's responses (text and ``tool_use`` blocks whose input streams as
``input_json_delta`` pieces) and checks what ran, what the view showed, the run record's steps, and
what each following request carried back: the tool results, the assistant turn as it ran.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import nbformat
import pytest
from fake_anthropic import FakeAnthropic, HttpError, Reply, ToolUse
from kernel_harness import Kernel, Transcript, error_line, loaded_kernel

pytestmark = pytest.mark.kernel

KEY = "sk-ant-api03-AGENTTESTKEY-" + "w" * 24
TRANSCRIPT = Transcript()
run = TRANSCRIPT.run

SETUP = """
import os as _os
import eager_jupyter.sources.anthropic.source as _anthropic_source
_anthropic_source.DEFAULT_TIMEOUT = 2.0
_anthropic_source.DEFAULT_BACKOFF = 0.01
"""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(deadline=900) as server:
        yield server


@pytest.fixture(scope="module")
def kernel(fake: FakeAnthropic) -> Iterator[Kernel]:
    k = loaded_kernel(
        SETUP,
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        ANTHROPIC_API_KEY=KEY,
        ANTHROPIC_BASE_URL=fake.url,
        NO_PROXY="127.0.0.1",
    )
    yield k
    k.shutdown()
    # the key never reached a frontend or a request body, in any test of this module
    TRANSCRIPT.assert_without(KEY)
    assert KEY not in json.dumps([r.body for r in fake.requests], default=str)


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    last = body["messages"][-1]
    assert last["role"] == "user"
    return [c for c in last["content"] if c["type"] == "tool_result"]


def result_text(result: dict[str, Any]) -> str:
    return "".join(c["text"] for c in result["content"] if c["type"] == "text")


def check_turns(body: dict[str, Any]) -> None:
    """Every tool_use of an assistant turn is answered, in order, by the next user turn's results."""
    messages = body["messages"]
    assert [m["role"] for m in messages[::2]] == ["user"] * len(messages[::2])
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        uses = [c["id"] for c in message["content"] if c["type"] == "tool_use"]
        answers = [c["tool_use_id"] for c in messages[i + 1]["content"] if c["type"] == "tool_result"]
        assert uses and uses == answers
        for c in message["content"]:
            assert c["type"] != "text" or c["text"].strip()


def test_statements_run_while_the_step_streams_and_results_go_back(kernel: Any, fake: FakeAnthropic) -> None:
    code1 = "import time\nag_x = 21\nprint('ag_x is', ag_x)\n" + "".join(
        f"ag_v{i} = {i}\n" for i in range(40)
    ) + "ag_y = ag_x * 2\nag_y\n"
    fake.add(
        Reply(["Let me compute it."], tools=[ToolUse({"code": code1}, seed=1, max_piece=6)], delay=0.01),
        Reply(["It is 42."]),
    )
    run(kernel, "ag_seed = 5\nag_seed * 2")
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --view plain\nWhat is 21*2?\n")
    assert r.status == "ok", r.reply["content"]
    assert len(fake.requests) == before + 2
    steps = kernel.value(
        "[dict(text=s.text, code=s.code, n=len(s.statements), result=s.tool_result, req=s.requested_at,"
        " first=s.first_token_at, gen=s.generation_done_at, fin=s.finished_at,"
        " first_done=s.statements[0].finished_at if s.statements else None) for s in _eager.steps]"
    )
    one, two = steps
    assert one["text"] == "Let me compute it." and one["code"] == code1 and one["n"] == 45
    # the step's first statements finished before its tool input had finished streaming
    assert one["first_done"] < one["gen"]
    assert one["req"] <= one["first"] <= one["gen"] <= one["fin"] <= two["req"]
    assert two["text"] == "It is 42." and two["n"] == 0 and two["result"] is None
    assert one["result"] == "ag_x is 21\n42"
    # the next request carries the assistant turn as it streamed, and the step's output
    body = fake.requests[before + 1].body
    check_turns(body)
    assistant = body["messages"][-2]
    assert assistant["content"][0] == {"type": "text", "text": "Let me compute it."}
    assert assistant["content"][1]["input"] == {"code": code1}
    (result,) = tool_results(body)
    assert result_text(result) == "ag_x is 21\n42" and "is_error" not in result
    first = fake.requests[before].body
    assert first["tools"][0]["name"] == "python" and first["tools"][0]["eager_input_streaming"] is True
    request = first["messages"][-1]["content"]
    assert "<notebook>" in request and "ag_seed: int = 5" in request
    assert "ag_seed = 5\nag_seed * 2\nOut[" in request and "]:\n10\n</history>" in request
    assert "load_ext" not in request and request.endswith("What is 21*2?")
    assert kernel.value("len(_eager.statements)") == 45
    assert kernel.value("_eager.status") == "ok"
    assert "It is 42." in json.dumps(r.outputs, default=str)


def test_a_failure_closes_the_step_and_goes_back_at_once(kernel: Any, fake: FakeAnthropic) -> None:
    code1 = (
        "import matplotlib.pyplot as plt\n"
        "print('loading')\n"
        "plt.plot([1, 2, 3], [1, 4, 9])\n"
        "plt.show()\n"
        "ag_total = ag_missing + 1\n"
        + "".join(f"ag_after{i} = {i}\n" for i in range(60))
    )
    tool = ToolUse({"code": code1}, seed=4, max_piece=4)
    fake.add(
        Reply([], tools=[tool], delay=0.03),
        Reply(["Fixing."], tools=[ToolUse({"code": "ag_total = 1\nprint('fixed', ag_total)\n"})]),
        Reply(["Done: ag_total is 1."]),
    )
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --view plain\nplot and add\n", timeout=90)
    assert r.status == "ok", r.reply["content"]
    failed_conn = fake.requests[before].connection
    # the server saw the hang-up before it had sent the rest of the tool input
    assert failed_conn.closed_at is not None
    assert failed_conn.json_pieces_sent < len(tool.split())
    body = fake.requests[before + 1].body
    check_turns(body)
    assistant = body["messages"][-2]["content"]
    (use,) = [c for c in assistant if c["type"] == "tool_use"]
    # the tool input holds the code up to and including the failing statement, nothing invented
    failing = "ag_total = ag_missing + 1\n"
    assert use["input"]["code"] == code1[: code1.index(failing) + len(failing)]
    (result,) = tool_results(body)
    text = result_text(result)
    assert result["is_error"] is True
    assert "loading" in text
    assert "NameError: name 'ag_missing' is not defined" in text and "Cell In[" in text and "line 5" in text
    assert any(c["type"] == "image" and c["source"]["media_type"] == "image/png" for c in result["content"])
    assert kernel.value("'ag_after0' in globals()") is False
    assert kernel.value("ag_total") == 1
    statuses = kernel.value("[[s.status for s in step.statements] for step in _eager.steps]")
    assert statuses[0][:5] == ["done", "done", "done", "done", "error"]
    assert statuses[1] == ["done", "done"] and statuses[2] == []
    assert kernel.value("_eager.steps[0].tool_result").count("[image]") == 1
    # the plain view: a step line before each step's blocks, the answer last, the header counts steps
    parts = [
        (meta["part"], meta.get("step", meta.get("index")))
        for m in r.of_type("display_data")
        if (meta := m["content"]["metadata"].get("eager_jupyter"))
    ]
    steps = [p for p in parts if p[0] in ("step", "statement")]
    assert steps[0] == ("step", 1) and steps[1] == ("statement", 0)
    assert steps.index(("step", 2)) == steps.index(("statement", 4)) + 1
    assert steps[-1] == ("step", 3) and steps[-3:-1] == [("statement", 5), ("statement", 6)]
    lines = [m["content"]["data"]["text/plain"] for m in r.of_type("display_data")
             if m["content"]["metadata"].get("eager_jupyter", {}).get("part") == "step"]
    assert lines == ["step 1", "step 2\nFixing.", "Done: ag_total is 1."]
    final = r.of_type("update_display_data")[-1]["content"]["data"]["text/plain"]
    assert "3 steps" in final and "done" in final


def test_several_tool_calls_in_one_reply_run_in_order(kernel: Any, fake: FakeAnthropic) -> None:
    fake.add(
        Reply(
            ["Two steps."],
            tools=[ToolUse({"code": "ag_order = ['a']\nprint('first')"}, seed=5),
                   ToolUse({"code": "ag_order.append('b')\nprint('second')\n"}, seed=6)],
        ),
        Reply(["Both ran."]),
    )
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --view plain\ntwo calls\n")
    assert r.status == "ok", r.reply["content"]
    assert kernel.value("ag_order") == ["a", "b"]
    body = fake.requests[before + 1].body
    check_turns(body)
    assert [result_text(t) for t in tool_results(body)] == ["first", "second"]


def test_the_step_limit_ends_the_episode_with_one_line(kernel: Any, fake: FakeAnthropic) -> None:
    fake.add(*(Reply([], tools=[ToolUse({"code": f"ag_step = {i}\n"})]) for i in range(3)))
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --steps 2 --view plain\nloop forever\n")
    assert r.status == "error"
    assert "step limit (2 steps)" in error_line(r) and "--steps" in error_line(r)
    assert len(fake.requests) == before + 2
    assert kernel.value("ag_step") == 1
    assert kernel.value("[s.tool_result for s in _eager.steps]") == ["(no output)", "(no output)"]
    assert len(fake.clear()) == 1  # the third step was never asked for


def test_an_interrupt_mid_step_stops_the_episode(kernel: Any, fake: FakeAnthropic) -> None:
    code = "ag_before_sleep = True\nimport time\ntime.sleep(20)\nag_after_sleep = True\n"
    fake.add(Reply([], tools=[ToolUse({"code": code})]), Reply(["never asked"]))
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --view plain\nsleep\n", interrupt_after=2.5)
    assert r.status == "error" and r.ename == "KeyboardInterrupt"
    assert kernel.value("ag_before_sleep") is True
    assert kernel.value("'ag_after_sleep' in globals()") is False
    assert len(fake.requests) == before + 1
    assert kernel.value("_eager.status") == "interrupted"
    assert len(fake.clear()) == 1


@pytest.mark.parametrize("kind", ["529", "drop"])
def test_an_api_failure_mid_episode_keeps_what_ran(kernel: Any, fake: FakeAnthropic, kind: str) -> None:
    var = f"ag_kept_{kind}"
    first = Reply([], tools=[ToolUse({"code": f"{var} = 1\n"})])
    if kind == "529":
        fake.add(first, HttpError(529), HttpError(529), HttpError(529))
        words = "overloaded (529"
    else:
        code = f"{var}_second = 2\n" + "".join(f"ag_pad{i} = {i}\n" for i in range(30))
        # dropped mid-reply: never retried (statements may have run on what came)
        fake.add(first, Reply([], tools=[ToolUse({"code": code}, max_piece=3)], drop_after=20, delay=0.01))
        words = "dropped"
    r = run(kernel, f"%%eager --agent --new --view plain\nfail {kind}\n")
    assert r.status == "error"
    line = error_line(r)
    assert "GenerationError" in line and words in line, line
    assert kernel.value(var) == 1
    if kind == "drop":
        assert kernel.value(f"{var}_second") == 2
    assert kernel.value("_eager.status") == "error"
    assert kernel.value("len(_eager.steps)") == 2
    assert fake.clear() == []


def test_serial_agent_runs_each_step_after_it_is_written(kernel: Any, fake: FakeAnthropic) -> None:
    code = "".join(f"ag_s{i} = {i}\n" for i in range(10)) + "print(ag_s9)\n"
    fake.add(Reply([], tools=[ToolUse({"code": code}, max_piece=4)], delay=0.005), Reply(["ok"]))
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --serial --new --view plain\nserial\n")
    assert r.status == "ok", r.reply["content"]
    starts = kernel.value("[s.started_at for s in _eager.steps[0].statements]")
    gen = kernel.value("_eager.steps[0].generation_done_at")
    assert len(starts) == 11 and min(starts) >= gen
    assert result_text(tool_results(fake.requests[before + 1].body)[0]) == "9"


def saved_notebook(cell: str, r: Any, path: Any) -> str:
    """The cell saved as a frontend saves it (its outputs, displays updated in place); the file's text."""
    outputs: list[Any] = []
    by_id: dict[str, list[int]] = {}
    for msg in r.outputs:
        kind, content = msg["msg_type"], msg["content"]
        display_id = content.get("transient", {}).get("display_id")
        if kind == "update_display_data":
            for i in by_id.get(display_id, []):
                shown = {"data": content["data"], "metadata": content["metadata"]}
                outputs[i] = nbformat.v4.new_output("display_data", **shown)
        elif kind in ("stream", "display_data", "execute_result", "error"):
            if display_id:
                by_id.setdefault(display_id, []).append(len(outputs))
            outputs.append(nbformat.v4.output_from_msg(msg))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell, outputs=outputs)])
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    return str(path.read_text(encoding="utf-8"))


def test_the_key_never_leaves_the_kernel(kernel: Any, fake: FakeAnthropic, tmp_path: Any) -> None:
    """A step that prints the API key: not in the tool result sent back, the record, ``_eager``, the
    cell's outputs or the saved notebook."""
    code = (
        "import os, sys\n"
        "print('key:', os.environ['ANTHROPIC_API_KEY'])\n"
        "print('err:', os.environ['ANTHROPIC_API_KEY'], file=sys.stderr)\n"
        "display('shown: ' + os.environ['ANTHROPIC_API_KEY'])\n"
        "os.environ['ANTHROPIC_API_KEY']\n"
    )
    fake.add(Reply(["Printing it."], tools=[ToolUse({"code": code}, max_piece=5)]), Reply(["done"]))
    before = len(fake.requests)
    path = tmp_path / "key.jsonl"
    cell = f"%%eager --agent --new --view plain --record {path}\nshow the key\n"
    r = run(kernel, cell)
    assert r.status == "ok", r.reply["content"]
    body = json.dumps(fake.requests[before + 1].body)
    sent = result_text(tool_results(fake.requests[before + 1].body)[0])
    assert "key:" in sent and "err:" in sent and "shown:" in sent  # the result was sent, without the key
    assert KEY not in body
    recorded = path.read_text(encoding="utf-8")
    assert "show the key" in recorded and KEY not in recorded
    record = kernel.execute("import json as _j; print(_j.dumps(_eager.to_dict(), default=str))").stdout
    assert "key:" in record and KEY not in record
    shown = json.dumps(r.outputs, default=str)
    assert "key:" in shown and "err:" in shown and "shown:" in shown and KEY not in shown
    assert "key: [redacted]" in r.stdout  # the notebook shows the output, the key redacted
    saved = saved_notebook(cell, r, tmp_path / "key.ipynb")
    assert "key:" in saved and KEY not in saved


def test_agent_options_are_checked(kernel: Any, fake: FakeAnthropic) -> None:
    before = len(fake.requests)
    for line, words in (
        ("--agent --replay", "--agent and --replay"),
        ("--agent --no-exec", "--agent and --no-exec"),
        ("--agent -m openai:gpt-5", "OPENAI_API_KEY"),
        ("--agent --steps 0", "--steps must be an integer >= 1"),
        ("--agent --fix 1", "--agent and --fix"),
        ("--agent --insert", "--agent and --insert"),
    ):
        r = run(kernel, f"%%eager {line}\nx = 1\n")
        assert r.status == "error" and r.ename == "UsageError", line
        assert words in r.reply["content"]["evalue"]
    assert len(fake.requests) == before
    fake.add(Reply([], tools=[ToolUse({"code": "ag_cfg = 1\n"})]), Reply(["configured"]))
    run(kernel, "%config Eager.agent = True")
    try:
        # the setting chose the agent: the same checks, the same one line, nothing sent
        for option in ("--fix 1", "--insert", "--fix-replay /dev/null"):
            r = run(kernel, f"%%eager {option} --new --view plain\nuse the default\n")
            assert r.status == "error" and r.ename == "UsageError", option
            line = r.reply["content"]["evalue"]
            assert f"Eager.agent = True and {option.split()[0]} cannot be combined" in line, line
            assert "\n" not in line.strip()
        assert len(fake.requests) == before
        r = run(kernel, "%%eager --new --view plain\nuse the default\n")
    finally:
        run(kernel, "%config Eager.agent = False")
    assert r.status == "ok" and kernel.value("ag_cfg") == 1
    assert len(fake.requests) == before + 2


def test_values_tables_and_the_budget_go_back(kernel: Any, fake: FakeAnthropic) -> None:
    code = (
        "import pandas as pd\n"
        "ag_df = pd.DataFrame({'region': ['north', 'south'], 'growth': [0.12, 0.34]})\n"
        "display(ag_df)\n"
        "print('\\x1b[31m' + 'x' * 5000 + '\\x1b[0m')\n"
        "float(ag_df['growth'].max())\n"
    )
    fake.add(Reply([], tools=[ToolUse({"code": code})]), Reply(["south grows fastest"]))
    before = len(fake.requests)
    run(kernel, "%config Eager.agent_result_chars = 1000")
    try:
        r = run(kernel, "%%eager --agent --new --view plain\nwhich region grows fastest?\n")
    finally:
        run(kernel, "%config Eager.agent_result_chars = 8000")
    assert r.status == "ok", r.reply["content"]
    text = result_text(tool_results(fake.requests[before + 1].body)[0])
    assert "  region  growth\n0  north    0.12\n1  south    0.34" in text  # the DataFrame's text/plain
    assert "characters cut ...]" in text and len(text) < 1200 and "\x1b" not in text
    assert text.endswith("0.34")  # the last expression's value, shown after the step as Out would be
    assert "0.34" in r.texts()  # and the user sees it under the step


def one_step(kernel: Any, fake: FakeAnthropic, code: str) -> tuple[Any, str]:
    """An episode of one tool call running ``code``, then an answer: the cell, and the text of the
    tool result the second request carried back."""
    fake.add(Reply([], tools=[ToolUse({"code": code})]), Reply(["seen"]))
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --view plain\nrun it\n")
    assert r.status == "ok", r.reply["content"]
    (result,) = tool_results(fake.requests[before + 1].body)
    return r, result_text(result)


def test_a_library_failure_goes_back_with_its_frames_folded(kernel: Any, fake: FakeAnthropic) -> None:
    code = "import pandas as pd\nag_kf = pd.DataFrame({'a': [1]})\nag_kf['nope'].sum()\n"
    r, text = one_step(kernel, fake, code)
    assert "ag_kf['nope'].sum()" in text and "line 3" in text  # the program's line, by its number
    assert "frames in pandas]" in text and "KeyError: 'nope'" in text
    assert "_libs" not in text and "frame.py" not in text  # pandas' inner frames are folded
    shown = json.dumps([m["content"]["traceback"] for m in r.of_type("error")])
    assert "frame.py" in shown  # the user's traceback, under the statement, is whole


def test_max_tokens_inside_a_tool_call_runs_what_was_complete(kernel: Any, fake: FakeAnthropic) -> None:
    cut = '{"code": "ag_m1 = 1\\nag_m2 = 2\\nag_m3 = [1, 2'
    fake.add(Reply([], tools=[ToolUse(cut, max_piece=5)], stop_reason="max_tokens"))
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --view plain --max-tokens 50\ncut short\n")
    assert r.status == "error"
    line = error_line(r)
    assert "max_tokens (50)" in line and "GenerationError" in line, line
    assert kernel.value("[ag_m1, ag_m2]") == [1, 2]
    assert kernel.value("'ag_m3' in globals()") is False
    assert len(fake.requests) == before + 1 and fake.clear() == []


def test_an_episode_is_recorded_and_replayed_offline(kernel: Any, fake: FakeAnthropic, tmp_path: Any) -> None:
    code1 = "ag_r = [1, 2]\nprint('len', len(ag_r))\nag_r.append(ag_nope)\n" + "ag_r_after = 1\n" * 30
    fake.add(
        Reply(["Start."], tools=[ToolUse({"code": code1}, max_piece=3)], delay=0.02),
        Reply(["Fix."], tools=[ToolUse({"code": "ag_r.append(3)\nag_r\n"})]),
        Reply(["ag_r is [1, 2, 3]."]),
    )
    path = tmp_path / "episode.jsonl"
    r = run(kernel, f"%%eager --agent --new --view plain --record {path}\nbuild ag_r\n")
    assert r.status == "ok", r.reply["content"]
    live = kernel.value("[[s.text, s.code, s.tool_result] for s in _eager.steps]")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["kind"] == "episode" and lines[0]["origin"] == "recorded"
    assert lines[0]["request"].endswith("build ag_r")
    assert [line["step"] for line in lines if "step" in line] == [1, 2, 3]
    assert sum(1 for line in lines if "step_end" in line) == 2  # the first step's stream was closed
    assert KEY not in path.read_text()
    run(kernel, "del ag_r")
    before = len(fake.requests)
    r = run(kernel, f"%%eager --replay-trace {path} --view plain\n")
    assert r.status == "ok", r.reply["content"]
    assert len(fake.requests) == before  # offline
    assert kernel.value("ag_r") == [1, 2, 3]
    replayed = kernel.value("[[s.text, s.code, s.tool_result] for s in _eager.steps]")
    cell = re.compile(r"Cell In\[\d+\]")
    assert "Cell In[" in live[0][2]
    assert cell.sub("CELL", json.dumps(replayed)) == cell.sub("CELL", json.dumps(live))
    assert "cannot react to different outputs" in kernel.value("_eager.source")


def test_the_history_leaves_secrets_out(kernel: Any, fake: FakeAnthropic) -> None:
    run(kernel, "ag_api_key = 'hunter2-not-sent'\nag_plain = 'kept'")
    run(kernel, "%env AG_SERVICE_TOKEN=zz-not-sent-either")
    run(kernel, "_os.environ['AG_OTHER'] = 'also-not-sent'\nag_plain")
    fake.add(Reply(["Nothing to run."]))
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --view plain\nlook at the history\n")
    assert r.status == "ok", r.reply["content"]
    request = fake.requests[before].body["messages"][-1]["content"]
    assert "ag_plain = 'kept'" in request and "(a line that sets a secret: not sent)" in request
    for secret in ("hunter2-not-sent", "zz-not-sent-either", "also-not-sent"):
        assert secret not in request


def test_the_gate_holds_until_the_step_is_written(kernel: Any, fake: FakeAnthropic) -> None:
    code = (
        "ag_g1 = 1\nimport subprocess\nag_out = subprocess.run(['true']).returncode\n"
        + "".join(f"ag_g{i} = {i}\n" for i in range(2, 30))
    )
    fake.add(Reply([], tools=[ToolUse({"code": code}, max_piece=4)], delay=0.01), Reply(["held ok"]))
    r = run(kernel, "%%eager --agent --new --view plain\nrun a process\n")
    assert r.status == "ok", r.reply["content"]
    step = kernel.value(
        "dict(gen=_eager.steps[0].generation_done_at, fin=_eager.steps[0].finished_at,"
        " held=[(s.index, s.held_reason is not None, s.started_at) for s in _eager.steps[0].statements],"
        " next=_eager.steps[1].requested_at)"
    )
    held = [s for s in step["held"] if s[1]]
    assert held and held[0][0] == 2  # the subprocess call, and what came after it
    assert all(started >= step["gen"] for _, _, started in held)
    assert step["held"][0][2] < step["gen"]  # ag_g1 ran while the step was being written
    assert step["fin"] <= step["next"]
    assert kernel.value("ag_out") == 0


def test_an_interrupt_while_waiting_for_the_next_step(kernel: Any, fake: FakeAnthropic) -> None:
    fake.add(Reply([], tools=[ToolUse({"code": "ag_w1 = 1\n"})]), Reply(["late"], ttft=20))
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --view plain\nwait\n", interrupt_after=2.0)
    assert r.status == "error" and r.ename == "KeyboardInterrupt"
    assert "while waiting for the model" in error_line(r)
    assert kernel.value("ag_w1") == 1
    assert len(fake.requests) == before + 2
    assert fake.requests[before + 1].connection.closed.wait(5)  # the stream was closed at once
    assert kernel.value("[s.step for s in _eager.steps]") == [1, 2]


def test_the_repair_is_asked_before_the_traceback_is_drawn(kernel: Any, fake: FakeAnthropic) -> None:
    """IPython's first traceback in a kernel takes a few hundred ms to draw; the model needs only its
    text, so the next step starts (its request goes out) first, and the traceback is drawn under its
    statement after, before the next step shows anything."""
    run(kernel, """
        import eager_jupyter.engine.engine as _ag_engine, eager_jupyter.executor.core as _ag_core
        _ag_log, _ag_emit, _ag_draw = [], _ag_engine.Engine.emit, _ag_core.Executor.render_error
        def _ag_logged_emit(self, event):
            _ag_log.append(type(event).__name__)
            return _ag_emit(self, event)
        def _ag_logged_draw(self, result):
            _ag_log.append("drawn")
            return _ag_draw(self, result)
        _ag_engine.Engine.emit, _ag_core.Executor.render_error = _ag_logged_emit, _ag_logged_draw
    """)
    fake.add(
        Reply([], tools=[ToolUse({"code": "ag_d1 = 1\nag_d2 = ag_nope_d\nag_d3 = 3\n"})]),
        Reply(["Fixing."], tools=[ToolUse({"code": "ag_d2 = 2\n"})]),
        Reply(["Done."]),
    )
    try:
        r = run(kernel, "%%eager --agent --new --view plain\ndraw late\n")
    finally:
        run(kernel, "_ag_engine.Engine.emit, _ag_core.Executor.render_error = _ag_emit, _ag_draw")
    assert r.status == "ok", r.reply["content"]
    log = [e for e in kernel.value("_ag_log") if e in ("StatementFailed", "StepStarted", "drawn")]
    assert log == ["StepStarted", "StatementFailed", "StepStarted", "drawn", "StepStarted"]
    kinds = [(m["msg_type"], json.dumps(m["content"])) for m in r.outputs]
    (drawn,) = [i for i, (kind, text) in enumerate(kinds) if kind == "error"]
    assert "ag_nope_d" in kinds[drawn][1]
    assert drawn < min(i for i, (k, text) in enumerate(kinds) if k == "display_data" and "Fixing." in text)
    assert kernel.value("[ag_d1, ag_d2]") == [1, 2]


@pytest.mark.parametrize("mode", ["eager", "serial"])
def test_each_tool_call_counts_its_own_lines(kernel: Any, fake: FakeAnthropic, mode: str) -> None:
    """A second tool call in one reply is a cell of its own: its traceback and its statements' lines
    count from its own first line, and an earlier step's source stays readable (getsource)."""
    fake.add(
        Reply(["Two calls."], tools=[
            ToolUse({"code": "def ag_f(x):\n    return x + 1\nag_l1 = ag_f(1)\n"}, seed=7),
            ToolUse({"code": "ag_l2 = 2\nag_l3 = ag_f(ag_nope_l)\nag_l4 = 4\n"}, seed=8),
        ]),
        Reply(["Fixing."], tools=[ToolUse({"code": "ag_l3 = ag_f(2)\n"})]),
        Reply(["Done."]),
    )
    before = len(fake.requests)
    flag = "--serial" if mode == "serial" else ""
    r = run(kernel, f"%%eager --agent --new --view plain {flag}\ntwo calls, one fails\n")
    assert r.status == "ok", r.reply["content"]
    _, second = tool_results(fake.requests[before + 1].body)
    assert "ag_nope_l" in result_text(second) and second["is_error"] is True
    assert re.search(r"Cell In\[\d+\], line 2\b", result_text(second)), result_text(second)
    assert "line 5" not in result_text(second)
    assert kernel.value("[s.line for s in _eager.steps[0].statements][:4]") == [1, 3, 1, 2]
    assert kernel.value("[s.line for s in _eager.steps[1].statements]") == [1]
    assert "return x + 1" in kernel.value("__import__('inspect').getsource(ag_f)")
    assert kernel.value("[ag_l1, ag_l2, ag_l3]") == [2, 2, 3]


@pytest.mark.parametrize("mode", ["eager", "serial"])
def test_each_tool_call_shows_its_last_value(kernel: Any, fake: FakeAnthropic, mode: str) -> None:
    """Each call ends as a cell ends: its last expression's value is shown and goes back with it."""
    fake.add(
        Reply([], tools=[ToolUse({"code": "ag_v1 = 20\nag_v1 * 2\n"}, seed=9),
                         ToolUse({"code": "ag_v2 = 3\nag_v2 + 1\n"}, seed=10)]),
        Reply(["40 and 4."]),
    )
    before = len(fake.requests)
    flag = "--serial" if mode == "serial" else ""
    r = run(kernel, f"%%eager --agent --new --view plain {flag}\ntwo values\n")
    assert r.status == "ok", r.reply["content"]
    assert [result_text(t) for t in tool_results(fake.requests[before + 1].body)] == ["40", "4"]
    shown = r.texts()
    assert "40" in shown and "4" in shown


def test_an_interrupt_while_the_tool_input_streams(kernel: Any, fake: FakeAnthropic) -> None:
    code = "".join(f"ag_is{i} = {i}\n" for i in range(300))
    tool = ToolUse({"code": code}, seed=11, max_piece=3)
    fake.add(Reply([], tools=[tool], delay=0.02), Reply(["never asked"]))
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --view plain\nstream slowly\n", interrupt_after=2.0)
    assert r.status == "error" and r.ename == "KeyboardInterrupt"
    conn = fake.requests[before].connection
    assert conn.closed.wait(5) and conn.json_pieces_sent < len(tool.split())  # hung up mid-input
    ran = kernel.value("sorted(int(n[5:]) for n in globals() if n.startswith('ag_is'))")
    assert ran and ran == list(range(len(ran))) and len(ran) < 300  # the statements so far ran
    assert kernel.value("_eager.status") == "interrupted"
    assert len(fake.requests) == before + 1 and len(fake.clear()) == 1


def test_the_max_steps_setting_ends_the_episode(kernel: Any, fake: FakeAnthropic) -> None:
    fake.add(*(Reply([], tools=[ToolUse({"code": f"ag_ms = {i}\n"})]) for i in range(3)))
    before = len(fake.requests)
    run(kernel, "%config Eager.max_steps = 2")
    try:
        r = run(kernel, "%%eager --agent --new --view plain\nloop forever\n")
    finally:
        run(kernel, "%config Eager.max_steps = 8")
    assert r.status == "error"
    assert "step limit (2 steps)" in error_line(r) and "Eager.max_steps" in error_line(r)
    assert len(fake.requests) == before + 2 and kernel.value("ag_ms") == 1
    assert len(fake.clear()) == 1


def test_replay_trace_with_the_agent_flag(kernel: Any, fake: FakeAnthropic, tmp_path: Any) -> None:
    fake.add(
        Reply(["Counting."], tools=[ToolUse({"code": "ag_rt = 40\nprint('ag_rt', ag_rt)\n"})]),
        Reply(["Done."], tools=[ToolUse({"code": "ag_rt += 2\n"})]),
        Reply(["ag_rt is 42."]),
    )
    path = tmp_path / "flag.jsonl"
    r = run(kernel, f"%%eager --agent --new --view plain --record {path}\ncount\n")
    assert r.status == "ok", r.reply["content"]
    run(kernel, "del ag_rt")
    before = len(fake.requests)
    r = run(kernel, f"%%eager --replay-trace {path} --agent --view plain\n")
    assert r.status == "ok", r.reply["content"]
    assert len(fake.requests) == before and kernel.value("ag_rt") == 42
    assert kernel.value("[s.tool_result for s in _eager.steps]") == ["ag_rt 40", "(no output)", None]
    # a trace of one run is not an episode: one line saying so, nothing run
    plain = tmp_path / "plain.jsonl"
    plain.write_text('{"eager_trace": 1, "kind": "code"}\n{"t": 0.1, "text": "ag_rt = 0\\n"}\n')
    r = run(kernel, f"%%eager --replay-trace {plain} --agent --view plain\n")
    assert r.status == "error" and r.ename == "UsageError"
    line = r.reply["content"]["evalue"]
    assert "not an agent episode" in line and "without --agent" in line and "\n" not in line.strip()
    assert kernel.value("ag_rt") == 42 and len(fake.requests) == before


def test_stderr_goes_back_with_stdout(kernel: Any, fake: FakeAnthropic) -> None:
    code = "import sys\nprint('to out')\nprint('to err', file=sys.stderr)\nsys.stderr.write('more err\\n')\n"
    _, text = one_step(kernel, fake, code)
    assert text.startswith("to out\nto err\nmore err")


def test_max_tokens_in_a_later_step(kernel: Any, fake: FakeAnthropic) -> None:
    cut = '{"code": "ag_lt2 = 2\\nag_lt3 = 3\\nag_lt4 = [1, 2'
    fake.add(
        Reply([], tools=[ToolUse({"code": "ag_lt1 = 1\n"})]),
        Reply(["More."], tools=[ToolUse(cut, max_piece=5)], stop_reason="max_tokens"),
    )
    before = len(fake.requests)
    r = run(kernel, "%%eager --agent --new --view plain --max-tokens 60\ntwo steps\n")
    assert r.status == "error"
    line = error_line(r)
    assert "max_tokens (60)" in line and "GenerationError" in line, line
    assert kernel.value("[ag_lt1, ag_lt2, ag_lt3]") == [1, 2, 3]
    assert kernel.value("'ag_lt4' in globals()") is False
    assert kernel.value("len(_eager.steps)") == 2
    assert len(fake.requests) == before + 2 and fake.clear() == []
