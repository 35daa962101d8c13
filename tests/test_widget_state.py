"""The widget's state and deltas, without IPython: a simulated run on a simulated clock.

The simulation streams a real program through the real chunker at a token rate, runs each released
statement for a given time on a one-at-a-time executor, folds the events into a record (the real
``RecordBuilder``) and takes a delta of everything pending every ``tick`` (the sender's 10 a second).
Checks: the labextension's own ``RunState`` (run in node) ends in the same state from the deltas as
from the snapshot, and in the state the events describe; every status reaches a delta at the next
tick; the header's figures come from the record.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from eager_jupyter.chunker import Chunker
from eager_jupyter.events import (
    Event,
    GenerationEnded,
    PieceStreamed,
    RunEnded,
    RunStarted,
    StatementFailed,
    StatementFinished,
    StatementHeld,
    StatementReleased,
    StatementSkipped,
    StatementStarted,
)
from eager_jupyter.record import STATUS_WORDS, RecordBuilder
from eager_jupyter.sources import split_tokens
from eager_jupyter.views.widget.state import Delta, LiveState

ROOT = Path(__file__).resolve().parent.parent
STATE_JS = ROOT / "labextension" / "lib" / "state.js"
REPLAY_JS = ROOT / "tests" / "browser" / "replay_state.mjs"


@dataclass
class Sim:
    state: LiveState
    builder: RecordBuilder = field(default_factory=RecordBuilder)
    deltas: list[tuple[float, Delta]] = field(default_factory=list)

    def apply(self, event: Event) -> None:
        self.builder.handle(event)
        self.state.apply(event, self.builder.record)


def simulate(
    program: str,
    rate: float = 60.0,
    run_s: Callable[[int, str], float] = lambda i, code: 0.002,
    fail: str | None = None,
    held: str | None = None,
    prints: bool = True,
    tick: float = 0.1,
) -> Sim:
    """Events of an eager run of ``program`` on a simulated clock, fed to a LiveState as they happen."""
    events: list[tuple[float, int, Any]] = []  # (t, order, event or output callback)
    order = 0

    def at(t: float, item: Any) -> None:
        nonlocal order
        events.append((t, order, item))
        order += 1

    at(0.0, RunStarted(0.0, f"replay at {rate:g} tok/s", "eager"))
    chunker = Chunker()
    offset, t, free_at = 0, 0.0, 0.0
    failed = False
    holding = False  # the gate holds this statement and every one after it
    released: list[tuple[int, str, float]] = []
    index = 0
    for k, token in enumerate([*split_tokens(program), None]):
        t = k / rate
        if token is None:
            chunks = chunker.finish()
        else:
            at(t, PieceStreamed(t, token, "code", offset))
            offset += len(token)
            chunks = chunker.feed(token)
        for chunk in chunks:
            if not chunk.code.strip():
                continue
            at(t, StatementReleased(t, index, chunk.code, chunk.start_line, t, chunk.offset))
            if held is not None and held in chunk.code:
                holding = True
            if holding:
                at(t, StatementHeld(t, index, "starts processes"))
            released.append((index, chunk.code, t))
            index += 1
    gen_end = t
    at(gen_end, GenerationEnded(gen_end, False, {"output_tokens": len(split_tokens(program))}))
    hold_from = next((i for i, c, _ in released if held is not None and held in c), len(released))
    for i, code, t_rel in released:
        if failed:
            skip = max(free_at, t_rel)
            at(skip, StatementSkipped(skip, i, "an earlier statement failed"))
            continue
        start = max(free_at, t_rel, gen_end if i >= hold_from else 0.0)
        end = start + run_s(i, code)
        at(start, StatementStarted(start, i, i + 1))
        if prints and code.lstrip().startswith("print("):
            at(end, ("stream", i, f"output of statement {i}\n"))
        if fail is not None and fail in code:
            at(end, ("error", i))
            at(end, StatementFailed(end, i, end - start, "NameError: name 'x' is not defined"))
            failed = True
        else:
            at(end, StatementFinished(end, i, end - start))
        free_at = end
    at(max(free_at, gen_end), RunEnded(max(free_at, gen_end), "error" if failed else "ok"))
    events.sort(key=lambda e: (e[0], e[1]))

    sim = Sim(LiveState())
    state = sim.state
    now, k = 0.0, 0
    end_time = events[-1][0]
    while now <= end_time + tick:
        while k < len(events) and events[k][0] <= now:
            item = events[k][2]
            if isinstance(item, tuple) and item[0] == "stream":
                state.output_stream(item[1], "stdout", item[2])
            elif isinstance(item, tuple) and item[0] == "error":
                state.output_add(item[1], {"output_type": "error", "ename": "NameError", "evalue": "x",
                                           "traceback": ["NameError: x"]})
            else:
                sim.apply(item)
            k += 1
        if state.has_changes():
            sim.deltas.append((now, state.take_delta()))
            assert not state.has_changes()  # everything pending went: nothing waits for a later tick
        now = round(now + tick, 6)
    return sim


def _replay_in_node(sim: Sim) -> dict[str, Any]:
    return replay_deltas([d for _, d in sim.deltas], sim.state.snapshot())


def replay_deltas(deltas: list[Any], snapshot: Any) -> dict[str, Any]:
    """The frontend's state from the deltas, from the kernel's snapshot and from its own snapshot."""
    if shutil.which("node") is None or not STATE_JS.exists():
        pytest.skip("needs node and the built labextension (labextension/lib/state.js)")
    payload = json.dumps({"deltas": deltas, "snapshot": snapshot})
    done = subprocess.run(
        ["node", str(REPLAY_JS), str(STATE_JS)], input=payload, capture_output=True, text=True,
        check=True, timeout=60,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


PROGRAM = '''import math
values = [1, 2, 3, 4]
# a comment between statements

def mean(xs):
    return sum(xs) / len(xs)

print(mean(values))
import subprocess
subprocess.run(["true"])
total = missing + 1
print("never")
'''


def test_deltas_and_snapshot_give_the_same_state_in_the_frontend() -> None:
    sim = simulate(PROGRAM, rate=40, run_s=lambda i, c: 0.3, fail="missing", held="subprocess.run")
    result = _replay_in_node(sim)
    assert result["live"] == result["snapshot"] == result["saved"]
    live = result["live"]
    assert live["code"] == PROGRAM
    assert live["ended"]["status"] == "error"
    statuses = {s["index"]: s["status"] for s in live["statements"]}
    codes = {s["index"]: PROGRAM[s["start"] : s["start"] + s["length"]] for s in live["statements"]}
    by_code = {codes[i].strip().splitlines()[0]: statuses[i] for i in statuses}
    assert by_code["import math"] == "done"
    assert by_code['subprocess.run(["true"])'] == "done"
    assert by_code["total = missing + 1"] == "error"
    assert by_code['print("never")'] == "skipped"
    outputs = {s["index"]: s["outputs"] for s in live["statements"]}
    printed = next(i for i in codes if codes[i].lstrip().startswith("print(mean"))
    text = f"output of statement {printed}\n"
    assert outputs[printed] == [{"output_type": "stream", "name": "stdout", "text": text}]
    # the frontend's line numbers and block texts come from the code and the release ops
    lines = [s.start_line for s in sim.builder.record.statements]
    assert [s["line"] for s in live["statements"]] == lines
    assert live["blocks"][2].startswith("# a comment between statements\n\ndef mean(xs):")


def test_every_change_goes_at_the_next_tick_and_holds_show_while_live() -> None:
    # at 20 tokens/s the gate holds the subprocess call while the model still writes: the hold and
    # its reason are in the delta of the tick it happened in, long before generation ends
    sim = simulate(PROGRAM, rate=20, run_s=lambda i, c: 0.05, held="subprocess.run")
    record = sim.builder.record
    held_op = next((t, op) for t, d in sim.deltas for op in d.get("s", []) if op[0] == "H")
    t_held = next(e for e in [record.statements[held_op[1][1]]]).released_at
    assert held_op[0] - t_held < 0.1 + 1e-9 and held_op[1][2] == "starts processes"
    assert record.generation_done_at is not None and held_op[0] < record.generation_done_at
    phases = [d["f"]["phase"] for _, d in sim.deltas if "phase" in d.get("f", {})]
    assert phases[0] == "generating" and phases[-1] == "done" and "running" in phases
    assert next(d for _, d in sim.deltas if "f" in d)["w"] == STATUS_WORDS


def test_figures_come_from_the_record() -> None:
    sim = simulate(PROGRAM.replace("total = missing + 1\n", ""), rate=100, run_s=lambda i, c: 0.3)
    record = sim.builder.record
    last: dict[str, Any] = {}
    for _, d in sim.deltas:
        last.update(d.get("f", {}))  # each delta carries the figures that changed
    assert last["phase"] == "done" and last["saved"] == round(record.saved, 3) and last["saved"] > 0
    assert last["serial"] == round(record.serial_estimate, 3)
    assert last["tps"] == round(record.tokens_per_second)
    assert last["summary"] and "saved" in last["summary"]
    failed = simulate(PROGRAM, rate=100, fail="missing")
    last = {}
    for _, d in failed.deltas:
        last.update(d.get("f", {}))
    assert last["phase"] == "failed" and last["saved"] is None  # nothing is claimed for a failed run


def test_many_tiny_statements_replay_the_same() -> None:
    program = "".join(f"x{i} = {i}\n" for i in range(200))
    sim = simulate(program, rate=60)
    result = _replay_in_node(sim)
    assert result["live"] == result["snapshot"] == result["saved"]
    assert len(result["live"]["statements"]) == 200


def test_an_interrupted_statement_reads_interrupted() -> None:
    sim = Sim(LiveState())
    sim.apply(RunStarted(0.0, "replay", "eager"))
    sim.apply(PieceStreamed(0.01, "import time\ntime.sleep(60)\n", "code", 0))
    sim.apply(StatementReleased(0.02, 0, "import time\n", 1, 0.01, 0))
    sim.apply(StatementReleased(0.02, 1, "time.sleep(60)\n", 2, 0.01, 12))
    sim.apply(StatementStarted(0.03, 0, 1))
    sim.apply(StatementFinished(0.04, 0, 0.01))
    sim.apply(StatementStarted(0.05, 1, 2))
    sim.apply(StatementFailed(2.0, 1, 1.95, "KeyboardInterrupt", True))
    sim.apply(GenerationEnded(0.02))
    sim.apply(RunEnded(2.1, "interrupted", "eager run interrupted"))
    sim.deltas.append((2.1, sim.state.take_delta()))
    assert sim.builder.record.statements[1].status == "interrupted"
    result = _replay_in_node(sim)
    assert result["live"] == result["snapshot"] == result["saved"]
    assert [s["status"] for s in result["live"]["statements"]] == ["done", "interrupted"]


def test_output_ops_merge_streams_and_clear_on_wait() -> None:
    sim = Sim(LiveState())
    sim.apply(PieceStreamed(0.0, "f()\n", "code", 0))
    sim.apply(StatementReleased(0.0, 0, "f()\n", 1, 0.0, 0))
    state = sim.state
    state.output_stream(0, "stdout", "a")
    state.output_stream(0, "stdout", "b")
    state.output_clear(0, wait=True)
    assert state.outputs[0].items == [{"output_type": "stream", "name": "stdout", "text": "ab"}]
    state.output_add(0, {"output_type": "display_data", "data": {"text/plain": "1"}, "metadata": {}}, "d1")
    state.output_update("d1", {"output_type": "display_data", "data": {"text/plain": "2"}, "metadata": {}})
    assert state.outputs[0].items == [
        {"output_type": "display_data", "data": {"text/plain": "2"}, "metadata": {}}
    ]
    assert not state.output_update("unknown", {"output_type": "display_data", "data": {}, "metadata": {}})
    ops = state.take_delta()["x"]
    assert [op[0] for op in ops] == ["s", "c", "a", "u"]


def test_events_are_all_handled() -> None:
    # every event type of the engine has an op (a new event type needs one)
    sim = Sim(LiveState())
    sample: list[Event] = [
        RunStarted(0.0, "s", "eager"),
        PieceStreamed(0.1, "x = 1\n", "code", 0),
        StatementReleased(0.2, 0, "x = 1\n", 1, 0.1, 0),
        StatementHeld(0.2, 0, "why"),
        StatementStarted(0.3, 0, 1),
        StatementFinished(0.4, 0, 0.1),
        GenerationEnded(0.5),
        RunEnded(0.6, "ok"),
    ]
    for event in sample:
        sim.apply(event)
    assert [op[0] for op in sim.state.ops] == ["B", "T", "R", "H", "S", "D", "G", "E"]


def test_a_hold_then_a_start_in_one_delta_keep_their_order() -> None:
    # the last statement is held, generation ends, and it runs and finishes before the next message
    code = "import subprocess\nsubprocess.run(['true'])\n"
    sim = Sim(LiveState())
    sim.apply(RunStarted(0.0, "replay", "eager"))
    sim.apply(PieceStreamed(0.01, code, "code", 0))
    sim.deltas.append((0.0, sim.state.take_delta()))
    sim.apply(StatementReleased(0.02, 0, "import subprocess\n", 1, 0.01, 0))
    sim.apply(StatementStarted(0.02, 0, 1, 0.0))
    sim.apply(StatementFinished(0.021, 0, 0.001))
    sim.apply(StatementReleased(0.03, 1, "subprocess.run(['true'])\n", 2, 0.01, 18))
    sim.apply(StatementHeld(0.03, 1, "starts processes"))
    sim.apply(GenerationEnded(0.04))
    sim.apply(StatementStarted(0.05, 1, 2, 0.0))
    sim.apply(StatementFinished(0.06, 1, 0.01))
    sim.apply(RunEnded(0.07, "ok"))
    second = sim.state.take_delta()
    of_held = [op[0] for op in second["s"] if op[0] in "HSD" and op[1] == 1]
    assert of_held == ["H", "S", "D"], second["s"]  # the frontend applies them in this order
    sim.deltas.append((0.07, second))
    result = _replay_in_node(sim)
    assert result["live"] == result["snapshot"] == result["saved"]
    assert [s["status"] for s in result["live"]["statements"]] == ["done", "done"]
