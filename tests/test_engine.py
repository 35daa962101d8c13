"""The engine with a real in-process IPython shell: events, batching, gating, failures."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest

from eager_jupyter.engine import Engine
from eager_jupyter.errors import GenerationError, StatementError
from eager_jupyter.events import (
    Event,
    PieceStreamed,
    RunEnded,
    RunStarted,
    StatementFinished,
    StatementHeld,
    StatementReleased,
    StatementStarted,
)
from eager_jupyter.gate import Gate
from eager_jupyter.record import RunRecord
from eager_jupyter.sources import ReplaySource
from eager_jupyter.sources.base import SourceError
from eager_jupyter.sources.replay import iter_tokens
from eager_jupyter.views.outputs import summary_line
from eager_jupyter.views.widget.state import figures


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.inside: list[int] = []
        self.closed = False

    def handle(self, event: Event, record: RunRecord) -> None:
        self.events.append(event)

    @contextlib.contextmanager
    def statement_output(self, index: int) -> Iterator[None]:
        self.inside.append(index)
        yield

    def close(self) -> None:
        self.closed = True

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def run(ip, code: str, rate: float = 2000.0, **kw) -> tuple[Engine, Recorder]:
    view = Recorder()
    engine = Engine(ip, ReplaySource(code, rate), view=view, **kw)
    engine.run()
    return engine, view


def test_events_in_order_and_record(ip):
    engine, view = run(ip, "a = 1\nb = a + 1\nb\n", gate=Gate())
    assert isinstance(view.events[0], RunStarted) and isinstance(view.events[-1], RunEnded)
    assert view.closed
    assert [e.index for e in view.of(StatementStarted)] == [0, 1, 2]
    assert view.inside[:3] == [0, 1, 2]
    rec = engine.record
    assert rec.status == "ok" and rec.code == "a = 1\nb = a + 1\nb\n"
    for s in rec.statements:
        assert s.generated_at <= s.released_at <= s.started_at <= s.finished_at
    assert engine.take_value() == 2
    code_pieces = [e for e in view.of(PieceStreamed) if e.kind == "code"]
    assert "".join(e.text for e in code_pieces) == rec.code
    assert [e.offset for e in code_pieces] == sorted(e.offset for e in code_pieces)


def test_definitions_run_with_the_next_statement(ip):
    engine, _ = run(ip, "def f():\n    return 3\n\nclass A:\n    pass\n\nv = f()\n", rate=300, gate=Gate())
    batches = {s.index: s.batch for s in engine.record.statements}
    assert batches[0] == batches[1] == batches[2]


def test_without_the_gate_definitions_run_alone(ip):
    engine, _ = run(ip, "def f():\n    return 3\n\nv = f()\n", rate=300, gate=None)
    first, second = engine.record.statements
    assert first.batch != second.batch


def test_held_statement_waits_and_says_why(ip):
    engine, view = run(ip, "import os\nx = 1\ncwd = os.getpid()\ny = 2\n", rate=300, gate=Gate())
    held = view.of(StatementHeld)
    assert [e.index for e in held] == [2, 3]
    assert "os.getpid" in held[0].reason
    rec = engine.record
    assert rec.statements[2].started_at >= rec.generation_done_at
    assert rec.statements[1].finished_at < rec.generation_done_at


def test_generation_ends_while_a_statement_still_runs(ip):
    """The last token arrives while a statement runs: generation's end is said then (the header's
    phase turns to "running"), not once the statement ends and the main thread looks again."""
    seen: list[tuple[str, float, str]] = []

    class Phases(Recorder):
        def handle(self, event: Event, record: RunRecord) -> None:
            super().handle(event, record)
            seen.append((type(event).__name__, time.perf_counter(), record.phase))

    view = Phases()
    engine = Engine(ip, ReplaySource("import time\ntime.sleep(0.8)\nx = 1\n", 400.0), view=view)
    rec = engine.run()
    names = [name for name, _, _ in seen]
    ended = names.index("GenerationEnded")
    slept = next(k for k, e in enumerate(view.events) if isinstance(e, StatementFinished) and e.index == 1)
    assert ended < slept, names  # said while time.sleep ran
    assert seen[ended][2] == "running"
    assert rec.generation_done_at is not None and rec.generation_done_at < rec.statements[1].finished_at - 0.5
    assert names.count("GenerationEnded") == 1 and rec.status == "ok" and ip.user_ns["x"] == 1


def test_failure_stops_and_skips(ip):
    code = "ok = 1\nboom = 1 / 0\n" + "".join(f"n{i} = {i}\n" for i in range(300))
    view = Recorder()
    engine = Engine(ip, ReplaySource(code, 500.0), view=view)
    with pytest.raises(StatementError) as info:
        engine.run()
    assert info.value.index == 1 and info.value.line == 2
    assert isinstance(info.value.error, ZeroDivisionError)
    rec = engine.record
    assert rec.status == "error" and rec.generation_stopped
    assert len(rec.code) < len(code) / 2
    assert "n299" not in ip.user_ns
    assert all(s.status == "skipped" for s in rec.statements[2:])
    assert view.closed
    # what the failure spared: the rest of the reply, counted by the replay and in the figures
    total = sum(1 for _ in iter_tokens([code]))
    assert rec.unsent_tokens is not None and rec.pieces + rec.unsent_tokens == total
    rate = rec.tokens_per_second  # None when the pieces came within 50 ms
    assert rec.unsent_s == (None if rate is None else pytest.approx(rec.unsent_tokens / rate))
    assert f"{rec.unsent_tokens} tokens never generated" in summary_line(rec)
    assert figures(rec)["unsent"] == rec.unsent_tokens


def test_a_live_models_unsent_tokens_are_unknown(ip):
    class Live(ReplaySource):  # a source that cannot say what it would have written
        unsent_tokens = None

    engine = Engine(ip, Live("ok = 1\nboom = 1 / 0\n" + "x = 1\n" * 200, 500.0))
    with pytest.raises(StatementError):
        engine.run()
    assert engine.record.unsent_tokens is None and "never generated" not in summary_line(engine.record)


def test_syntax_error_is_reported_when_the_statement_is_complete(ip):
    code = "a = 1\nb = 1 +\nc = 2\n" + "".join(f"m{i} = {i}\n" for i in range(300))
    engine = Engine(ip, ReplaySource(code, 500.0))
    with pytest.raises(StatementError) as info:
        engine.run()
    assert isinstance(info.value.error, SyntaxError)
    assert engine.record.generation_stopped  # reported early, not at the end of the stream


def test_an_unclosed_bracket_fails_at_the_next_line_not_at_the_end(ip):
    # a model that forgot a closing parenthesis: the next line (a name after an operand) proves it
    code = 'rows = load("a.csv"\nprint(rows)\n' + "".join(f"k{i} = {i}\n" for i in range(300))
    engine = Engine(ip, ReplaySource(code, 500.0))
    with pytest.raises(StatementError, match="'\\(' was never closed") as info:
        engine.run()
    assert info.value.index == 0 and isinstance(info.value.error, SyntaxError)
    assert engine.record.generation_stopped and len(engine.record.code) < len(code) / 2
    assert "k299" not in ip.user_ns


class FailingSource:
    label, model, kind = "failing", None, "code"

    def __init__(self) -> None:
        self.usage: dict[str, int] = {}

    def stream(self) -> Iterator[str]:
        yield "first = 1\n"
        time.sleep(0.3)  # the first statement runs meanwhile
        yield "half = ("
        raise SourceError("connection dropped (test)")

    def close(self) -> None:
        pass


def test_source_failure_keeps_what_ran_and_runs_nothing_half_generated(ip):
    engine = Engine(ip, FailingSource())
    with pytest.raises(GenerationError, match="connection dropped"):
        engine.run()
    assert ip.user_ns["first"] == 1
    assert engine.record.status == "error"
    assert [s.status for s in engine.record.statements] == ["done"]
    assert "half" not in ip.user_ns


class BurstSource:
    """Every piece and the failure reach the engine in one take: it is busy with a statement."""

    label, model, kind = "burst", None, "code"

    def __init__(self, *pieces: str) -> None:
        self.pieces = pieces
        self.usage: dict[str, int] = {}

    def stream(self) -> Iterator[str]:
        yield "busy = sum(range(3_000_000))\n"
        yield from self.pieces
        raise SourceError("stopped at max_tokens (test)")

    def close(self) -> None:
        pass


@pytest.mark.parametrize("gate", [None, Gate()])
def test_complete_statements_before_a_source_failure_run_however_they_arrive(ip, gate):
    ip.user_ns.pop("whole", None)
    ip.user_ns["cut"] = None
    engine = Engine(ip, BurstSource("whole = 1\n", "def f():\n    return 2\n", "cut = whole + "), gate=gate)
    with pytest.raises(GenerationError, match="max_tokens"):
        engine.run()
    assert ip.user_ns["whole"] == 1 and ip.user_ns["f"]() == 2
    assert ip.user_ns["cut"] is None  # the half-written statement never ran
    assert [s.status for s in engine.record.statements] == ["done", "done", "done"]
    assert engine.record.status == "error"


def test_held_statements_are_skipped_when_generation_fails(ip):
    ip.user_ns.pop("after_held", None)
    source = BurstSource("import time\n", "time.sleep(5)\n", "after_held = 1\n", "half = (")
    engine = Engine(ip, source, gate=Gate())
    with pytest.raises(GenerationError):
        engine.run()
    assert "after_held" not in ip.user_ns
    statuses = [s.status for s in engine.record.statements]
    assert statuses == ["done", "done", "skipped", "skipped"]


def test_serial_runs_nothing_of_a_failed_generation(ip):
    ip.user_ns.pop("busy", None)
    engine = Engine(ip, BurstSource("whole_serial = 1\n", "half = ("), mode="serial")
    with pytest.raises(GenerationError):
        engine.run()
    assert "busy" not in ip.user_ns and "whole_serial" not in ip.user_ns


def test_markdown_source_runs_only_the_fenced_code(ip):
    reply = "Sure, here it is:\n\n```python\nmd = 40\nmd + 2\n```\n\nThat prints 42.\n"
    view = Recorder()
    engine = Engine(ip, ReplaySource(reply, 2000.0, kind="markdown"), view=view)
    engine.run()
    assert engine.record.code == "md = 40\nmd + 2\n"
    assert "Sure, here it is" in engine.record.prose and "That prints 42" in engine.record.prose
    assert engine.take_value() == 42


def test_serial_runs_once_generation_is_done(ip):
    engine, view = run(ip, "s = 1\nt = s + 1\n", rate=300, mode="serial")
    rec = engine.record
    assert all(s.started_at >= rec.generation_done_at for s in rec.statements)
    assert len(rec.batches) == 1
    assert len(view.of(StatementFinished)) == 2


def test_no_exec_releases_but_runs_nothing(ip):
    engine, view = run(ip, "never_run = 1\n", mode="no-exec")
    assert "never_run" not in ip.user_ns
    assert len(view.of(StatementReleased)) == 1 and not view.of(StatementStarted)
    assert [s.status for s in engine.record.statements] == ["skipped"]


def test_generation_end_is_when_the_source_ended_not_when_noticed(ip):
    code = "t = 0\nfor i in range(2_000_000):\n    t += i\nz = 1\n"
    engine, _ = run(ip, code, rate=1000.0)
    loop = engine.record.statements[1]
    assert engine.record.generation_done_at < loop.finished_at
    assert engine.record.non_overlapped > 0
