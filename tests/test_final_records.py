"""Every run ends with a final record, whatever raises: a view, a source, a repair, the program's own
exception whose message cannot be shown, or an interrupt at any moment (issue: robust to the end).

A final record: every statement done, error, skipped or interrupted; the run's status set; the
generation's end stamped; and one line for the cell."""

from __future__ import annotations

import contextlib
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eager_jupyter.engine import Engine, RepairContext
from eager_jupyter.errors import EagerError, EagerInterrupt, GenerationError, StatementError
from eager_jupyter.events import Event, StatementStarted
from eager_jupyter.record import FINAL, RunRecord
from eager_jupyter.sources import ReplaySource

ROOT = Path(__file__).resolve().parent.parent


def final(record: RunRecord) -> bool:
    return (
        record.status in ("ok", "error", "interrupted")
        and record.generation_done_at is not None
        and all(s.status in FINAL for s in record.statements)
    )


class BrokenView:
    """A view with a bug: it raises on the first statement that starts."""

    def __init__(self) -> None:
        self.ended = False

    def handle(self, event: Event, record: RunRecord) -> None:
        if isinstance(event, StatementStarted):
            raise RuntimeError("a bug in the view\nwith a second line")
        self.ended = self.ended or record.ended_at is not None

    @contextlib.contextmanager
    def statement_output(self, index: int) -> Iterator[None]:
        yield

    def close(self) -> None:
        pass


def test_a_view_that_raises_leaves_a_final_record(ip: Any) -> None:
    engine = Engine(ip, ReplaySource("a = 1\nb = 2\nc = 3\n", 2000.0), view=BrokenView())
    with pytest.raises(EagerError) as info:
        engine.run()
    assert str(info.value) == "eager run stopped by an internal error: RuntimeError: a bug in the view"
    assert final(engine.record) and engine.record.status == "error"


class ExplodingSource(ReplaySource):
    """A source that fails with something that is not a SourceError, mid-stream."""

    def stream(self) -> Iterator[str]:
        yield "x_before = 1\n"
        yield "y = "
        raise ValueError("the source broke")


def test_a_source_that_raises_leaves_a_final_record(ip: Any) -> None:
    engine = Engine(ip, ExplodingSource("", 1000.0))
    with pytest.raises(GenerationError) as info:
        engine.run()
    assert "ValueError: the source broke" in str(info.value)
    assert final(engine.record)
    assert [s.status for s in engine.record.statements] == ["done"]  # the half-written one never ran
    assert ip.user_ns["x_before"] == 1


def test_a_repair_that_raises_leaves_a_final_record(ip: Any) -> None:
    def repair(context: RepairContext) -> ReplaySource:
        raise OSError("cannot read the repair file")

    engine = Engine(ip, ReplaySource("a = 1\nb = 1 / 0\nc = 3\n", 2000.0), repair=repair, max_repairs=1)
    with pytest.raises(EagerError) as info:
        engine.run()
    assert "OSError: cannot read the repair file" in str(info.value)
    assert final(engine.record)
    assert [s.status for s in engine.record.statements][:2] == ["done", "error"]


def test_an_exception_whose_message_cannot_be_shown(ip: Any) -> None:
    program = (
        "class Odd(Exception):\n"
        "    def __str__(self):\n"
        "        raise ValueError('no message')\n"
        "raise Odd()\n"
    )
    engine = Engine(ip, ReplaySource(program, 2000.0))
    with pytest.raises(StatementError) as info:
        engine.run()
    assert "Odd: (its message could not be shown)" in str(info.value)
    assert final(engine.record) and engine.record.statements[-1].status == "error"


@pytest.mark.kernel
@pytest.mark.slow
def test_thirty_interrupts_at_random_moments_leave_final_records() -> None:
    """A long run of quick statements, interrupted at a random moment, 30 times: each record is final,
    and what it says ran is exactly what the namespace holds."""
    sys.path.insert(0, str(ROOT / "tests"))
    from kernel_harness import Kernel

    program = "".join(f"v{i} = {i}\n" for i in range(400))
    rng = random.Random(7)
    kernel = Kernel()
    try:
        assert kernel.execute("%load_ext eager_jupyter").status == "ok"
        for _ in range(30):
            kernel.execute("for _n in [n for n in globals() if n.startswith('v')]: del globals()[_n]")
            body = f"%%eager --replay --rate 2000 --view plain\n{program}"
            run = kernel.execute(body, timeout=120, interrupt_after=rng.uniform(0.05, 0.6))
            check = (
                "[_eager.status, _eager.generation_done_at is not None,"
                " [s.status for s in _eager.statements],"
                " sorted(int(n[1:]) for n in globals() if n.startswith('v') and n[1:].isdigit())]"
            )
            status, stamped, statuses, present = kernel.value(check)
            assert run.status in ("ok", "error")
            assert status in ("ok", "interrupted") and stamped
            assert all(s in ("done", "error", "skipped", "interrupted") for s in statuses), statuses
            done = [i for i, s in enumerate(statuses) if s == "done"]
            # each statement is one assignment: done ones are bound; one interrupted mid-statement
            # may or may not have bound its name before the interrupt landed
            interrupted = [i for i, s in enumerate(statuses) if s == "interrupted"]
            assert set(done) <= set(present) <= set(done) | set(interrupted), (statuses, present)
            assert kernel.execute("1 + 1").status == "ok"  # the kernel stays usable
    finally:
        kernel.shutdown()


def test_a_failed_runs_generation_ends_when_the_statement_failed(ip: Any) -> None:
    """The stop is stamped at the failure, not after the traceback rendered: generation never ends
    after end-to-end, and nothing is claimed as saved for a failed run."""
    rest = "".join(f"after_{i} = {i}\n" for i in range(200))
    engine = Engine(ip, ReplaySource(f"a = 1\nb = 1 / 0\n{rest}", 400.0))
    with pytest.raises(StatementError):
        engine.run()
    record = engine.record
    failed = record.statements[1]
    assert record.generation_stopped and failed.finished_at is not None
    assert record.generation_done_at == failed.finished_at
    assert record.end_to_end is not None and record.generation_done_at <= record.end_to_end
    assert record.saved is None


def test_a_late_header_update_cannot_overwrite_the_final_summary() -> None:
    """The plain view's throttle may fire after the run ended; the final header stays the last word."""
    from eager_jupyter.events import RunEnded, RunStarted, StatementReleased
    from eager_jupyter.record import RecordBuilder
    from eager_jupyter.views.plain import PlainView

    calls: list[dict[str, Any]] = []
    builder = RecordBuilder()
    view = PlainView(lambda bundle, **kw: calls.append(kw), updates_per_second=1000)
    for event in (
        RunStarted(0.0, "s", "eager"),
        StatementReleased(0.1, 0, "x = 1\n", 1, 0.1, 0),
        RunEnded(0.2, "ok"),
    ):
        builder.handle(event)
        view.handle(event, builder.record)
    final = len(calls)
    view._update_header()  # what a timer that fired late would do
    assert len(calls) == final and calls[-1]["metadata"]["eager_jupyter"]["final"]


def test_an_interrupt_after_generation_ended_keeps_when_it_ended(ip: Any) -> None:
    """Every token had arrived when the kernel was interrupted in a long statement: the record says
    generation ended when it did, of itself (it once said: at the interrupt, stopped)."""
    program = "import time\ntime.sleep(0.4)\nraise KeyboardInterrupt\nnever = 1\n"
    engine = Engine(ip, ReplaySource(program, 2000.0))
    with pytest.raises(EagerInterrupt):
        engine.run()
    record = engine.record
    assert final(record) and record.status == "interrupted"
    assert record.generation_stopped is False
    interrupted = next(s for s in record.statements if s.status == "interrupted")
    assert record.generation_done_at is not None
    assert record.generation_done_at < interrupted.started_at < record.ended_at
    assert "never" not in ip.user_ns
