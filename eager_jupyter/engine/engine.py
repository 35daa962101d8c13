"""The engine: source -> fences -> chunker -> scheduler -> executor, with events to the record and view.

Threads. The source runs in a producer thread (``Producer``), which also runs the fence filter, so it
can tell the view about every streamed piece at once (``PieceStreamed`` is the one event emitted from
the producer thread: the code keeps visibly streaming while a statement runs). Code pieces go through
a queue to the kernel's main thread, which feeds the chunker, asks the gate, and runs statements: on
the main thread because matplotlib, signals and kernel interrupts need it. The producer runs in a copy
of the main thread's ``contextvars`` context, so what it displays belongs to the running cell.

Events go first to the ``RecordBuilder`` (the one fold of the run's state), then to the view with the
record: ``view.handle(event, record)``. The engine keeps its own working state (what each statement
is, what is prepared, what runs) and treats the record as its output only.

The loop, in every mode (the scheduler owns the modes: ``serial`` waits for the end of generation and
runs everything as one batch, ``no-exec`` skips everything)::

    wait for a piece (blocking only when nothing can run) -> drain every piece that arrived ->
    feed the chunker -> check (prepare and gate) each released statement -> run the next batch -> repeat

so statements released while a batch ran form the next batch (dynamic batching). A blocking
``queue.get`` on the main thread is interrupted by SIGINT at once.

Failures: a failing statement stops the source *before* its traceback is rendered (a model keeps
writing meanwhile); everything not run is marked skipped, and the run ends with ``StatementError`` (one
line; the real traceback is already under the statement). With a repair function (``--fix N``) the
engine instead asks for a continuation from the failing statement and goes on in the same run. An
interrupt stops the source and ends the run with ``EagerInterrupt``. Whatever else raises (a view, a
source, a repair), the run still ends with a final record: every statement done, failed, interrupted
or skipped, a ``RunEnded``, and one line.

Agent episodes (``--agent``): with a ``stepper`` (``steps.py``) every model response is a round of its
own, between ``StepStarted`` and ``StepEnded``; each statement runs inside ``stepper.tap(index)`` too,
and at the end of a step its last value and figures are shown under its last statement (as a cell's
end would) before the stepper says what goes back and what comes next. A failing statement closes the
step's stream at once as in any run, and the stepper sends the failure back instead of ending the run;
its traceback is rendered under it once the next step's request is out (``_show_failure``).

Parts: ``endings.py`` (how a run ends, approval included), ``episodes.py`` (``--agent``: one round per
model response), ``producer.py``, ``working.py`` (the engine's own state of a statement).

To validate a change: ``tests/test_engine.py`` (in-process shell), ``tests/test_kernel_magic.py``,
``tests/test_agent_kernel.py``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..approval import ApproveFn
from ..chunker import Chunk, Chunker
from ..errors import EagerError, EagerInterrupt
from ..events import (
    Event,
    GenerationEnded,
    Mode,
    RepairStarted,
    RunStarted,
    StatementFailed,
    StatementFinished,
    StatementHeld,
    StatementReleased,
    StatementSkipped,
    StatementStarted,
)
from ..executor import Executor, Prepared, brief_traceback, flush_figures, one_line
from ..gate import Gate, is_definition_only
from ..record import RecordBuilder, RunRecord
from ..scheduler import Scheduler
from ..sources.base import Source
from ..views.base import NullView, View
from .endings import Endings
from .episodes import Episodes
from .producer import Ended, Failed, Producer, Revised
from .revisions import Revisions
from .steps import Stepper
from .working import Failure, Statement

__all__ = ["Engine", "RepairContext", "RepairFn"]


@dataclass(frozen=True)
class RepairContext:
    """What a repair function gets after a failure (``--fix``)."""

    round: int
    code_ran: str  # the statements that ran, in order
    failed_code: str
    failed_line: int
    error: str  # one line
    traceback: str  # plain text, the program's own line numbers


RepairFn = Callable[[RepairContext], Source | None]


class Engine(Endings, Episodes):
    """One ``%%eager`` run. ``run()`` returns the run record or raises an ``EagerError``. How it ends
    is in ``endings.py``; an agent's episode in ``episodes.py``."""

    def __init__(
        self,
        shell: Any,
        source: Source,
        *,
        mode: Mode = "eager",
        gate: Gate | None = None,
        view: View | None = None,
        repair: RepairFn | None = None,
        max_repairs: int = 0,
        approve: ApproveFn | None = None,
        request: str | None = None,
        price: Callable[[Mapping[str, int]], float | None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        stepper: Stepper | None = None,
    ) -> None:
        self.shell = shell
        self.source = source
        self.mode: Mode = mode
        self.gate = gate
        self.view: View = view or NullView()
        self.repair = repair
        self.max_repairs = max_repairs
        self.approve = approve  # Eager.approve, fixed for the run (None: auto); see _end_generation
        self.request = request
        self.price = price  # what the run's tokens cost in USD, where known
        self.executor = Executor(shell, uuid.uuid4().hex[:8])
        self._clock0 = clock
        self._t0 = 0.0
        self._builder = RecordBuilder(gate="paper" if gate is not None else "off")
        self._statements: list[Statement] = []
        self._batch = 0
        self._rounds = 0
        self._running: int | None = None
        self._last_run: int | None = None
        self._producer: Producer | None = None
        self._scheduler: Scheduler | None = None
        self._quiet = False  # after an internal error: the record is finished whatever the view does
        self._asking = False  # the approval question is open
        self.stepper = stepper  # --agent: one round per model response (engine/steps.py)
        self._current: Source = source  # the round's source (its usage goes with its GenerationEnded)
        self._gen_ended = False  # this round's GenerationEnded was emitted (under _gen_lock)
        self._gen_lock = threading.Lock()  # the producer thread may emit it (endings.py)
        self._unshown: tuple[int, Any] | None = None  # --agent: a failure shown once the repair is asked
        self._step = self._step_first = 0  # --agent: the step being streamed, its first statement
        self.revisions = Revisions(self)  # revisable streams (engine/revisions.py)

    @property
    def record(self) -> RunRecord:
        return self._builder.record

    def clock(self) -> float:
        return self._clock0() - self._t0

    def emit(self, event: Event) -> None:
        """Fold the event into the record, then show it. A view that raises is a bug of ours: it is
        let through, and the run ends with one line and a final record, told to the view only if it
        can still take it (``_quiet``)."""
        self._builder.handle(event)
        if isinstance(event, GenerationEnded):
            self._gen_ended = True
        if not self._quiet:
            self.view.handle(event, self._builder.record)
            return
        try:
            self.view.handle(event, self._builder.record)
        except Exception:
            pass

    # ---- the run -----------------------------------------------------------------------------
    def run(self) -> RunRecord:
        self._t0 = self._clock0()
        self.record.wall_started = time.time()
        try:
            self.emit(RunStarted(0.0, self.source.label, self.mode, self.source.model, self.request))
            source: Source | None = self.source
            base_line = 1
            if self.stepper is not None:
                source = self._episode(self.stepper)  # every round, then None
            while source is not None:
                failure = self._round(source, base_line)
                if failure is None:
                    break
                index, error, tb_text = failure
                source = self._repair_source(index, error, tb_text)
                if source is None:
                    self._fail(index, error)
                base_line = self._statements[index].start_line
            self._flush_figures()
            self._end("ok")
            return self.record
        except KeyboardInterrupt:
            self._skip_rest("stopped by you")
            waiting = "for your approval" if self._asking else "for the model"
            where = f"while waiting {waiting}" if self._running is None else (
                f"in statement {self._running + 1} (line {self._statements[self._running].line})"
            )
            message = f"eager run interrupted {where}; what already ran stays run"
            self._end("interrupted", message)
            raise EagerInterrupt(message) from None
        except EagerError as error:
            self._end("error", str(error))
            raise
        except Exception as error:  # a bug of ours (a view, a repair): one line, a final record
            self._quiet = True
            message = f"eager run stopped by an internal error: {one_line(error)}"
            self._skip_rest("the run stopped")
            self._end("error", message)
            raise EagerError(message) from error
        finally:
            self._stop_producer()
            self._show_failure()
            self.view.close()

    def _repair_source(self, index: int, error: BaseException, tb_text: str) -> Source | None:
        """``--fix``: a continuation from the failing statement, while rounds remain."""
        round_ = self._rounds + 1
        if self.repair is None or round_ > self.max_repairs:
            return None
        failed = self._statements[index]
        context = RepairContext(
            round=round_,
            code_ran=self._code_ran(),
            failed_code=failed.code,
            failed_line=failed.start_line,
            error=one_line(error),
            traceback=tb_text,
        )
        source = self.repair(context)
        if source is not None:
            self._rounds = round_
            self.emit(RepairStarted(self.clock(), round_, index))
        return source

    def _round(self, source: Source, base_line: int) -> Failure | None:
        """Stream one source to its end. Returns (index, error, traceback) if a statement failed."""
        self._current, self._gen_ended = source, False
        producer = self._producer = Producer(source, self.clock, self.emit, self._source_ended)
        scheduler = self._scheduler = Scheduler(self.mode)
        if self.gate is not None:
            self.gate.new_round()
        chunker = Chunker()
        self.revisions.new_round()  # issue 18
        gen_done = False
        producer.start()
        self._show_failure()  # --agent: the previous step's traceback, now that the request is out
        while True:
            for item in producer.take(block=not gen_done and not scheduler.ready()):
                if isinstance(item, Failed):
                    return self._drain_after_failure(item.error, scheduler)
                if isinstance(item, Ended):  # a stopped source's last statement is half-written
                    released = [] if producer.stopped else chunker.finish()
                elif isinstance(item, Revised):  # issue 18: the source revised its output
                    self.revisions.revise(item, chunker, scheduler)
                    released = []
                else:
                    released = chunker.feed(item[1])
                t_release = self.clock()
                for chunk in self.revisions.release(released, item):  # issue 18: revision window
                    if chunk.code:
                        self._release(chunk, base_line, t_release, producer, scheduler)
                if isinstance(item, Ended):
                    gen_done = True
                    self._end_generation_once(item.t, producer.stopped)
                    failure = self._end_generation(scheduler)
                    if failure is not None:
                        return failure
            batch = scheduler.next_batch()
            if batch:
                failure = self._run_batch(batch)
                if failure is not None:
                    return failure
            elif gen_done and scheduler.idle():
                return None

    def _release(
        self, chunk: Chunk, base_line: int, t: float, producer: Producer, scheduler: Scheduler
    ) -> None:
        index = len(self._statements)
        file, start_line = self._cell_of(chunk, base_line + chunk.start_line - 1)  # --agent: per call
        end = chunk.offset + len(chunk.code.rstrip())
        generated_at = producer.arrived_at(max(end, chunk.offset + 1), t)
        stmt = Statement(chunk.code, start_line, start_line + _leading_lines(chunk.code), file=file)
        self._statements.append(stmt)
        syntax_error = chunk.syntax_error
        held, merge, reason = False, False, None
        if scheduler.gated:
            self.executor.use_file(stmt.file)
            prepared = stmt.prepared = self.executor.prepare(index, chunk.code, start_line)
            syntax_error = None
            if prepared.error_before_exec is not None:
                syntax_error = one_line(prepared.error_before_exec)
            if self.gate is not None and prepared.tree is not None:
                decision = self.gate.check(prepared.transformed, prepared.tree, self.shell.user_ns)
                held, reason = decision.held, decision.reason
                merge = is_definition_only(prepared.tree)
        self.emit(
            StatementReleased(t, index, chunk.code, start_line, generated_at, chunk.offset, syntax_error,
                              self.revisions.rerun_of())  # issue 18
        )
        admission = scheduler.add(index, held=held, merge=merge)
        if admission == "held":
            self.emit(StatementHeld(self.clock(), index, reason or "after a held statement"))
        elif admission == "skip":
            self.emit(StatementSkipped(self.clock(), index, "--no-exec"))

    def _run_batch(self, batch: list[int]) -> Failure | None:
        self._batch += 1
        for index in batch:  # a serial run compiles nothing before generation has ended
            stmt = self._statements[index]
            if stmt.prepared is None:
                self.executor.use_file(stmt.file)
                stmt.prepared = self.executor.prepare(index, stmt.code, stmt.start_line)
        setup = sum(self._prepared(i).setup_s for i in batch)
        for position, index in enumerate(batch):
            self._end_of_call(index)  # --agent: another tool call starts: the one before ends as a cell
            self._running = index
            self.emit(StatementStarted(self.clock(), index, self._batch, setup if position == 0 else 0.0))
            failed_tb = ""
            failed_at = 0.0
            with self.view.statement_output(index), self._tap(index):
                result = self.executor.run(self._prepared(index))
                self._statements[index].ran = result.success
                self._last_run = index
                if not result.success:
                    failed_at = self.clock()  # the failure's own time, not its traceback's
                    self._stop_producer(failed_at)  # before rendering: the model must stop writing now
                    error = result.error
                    assert error is not None
                    if not isinstance(error, KeyboardInterrupt):
                        failed_tb = brief_traceback(result.exc_info)  # what the model reads
                    if self.stepper is not None and not isinstance(error, KeyboardInterrupt):
                        self._unshown = (index, result)  # early repair: ask first (rendering is slow)
                    else:
                        self.executor.render_error(result)
            if result.success:
                self.emit(StatementFinished(self.clock(), index, result.duration))
                continue
            error = result.error
            assert error is not None
            interrupted = isinstance(error, KeyboardInterrupt)
            self.emit(StatementFailed(failed_at, index, result.duration, one_line(error), interrupted))
            reason = "stopped by you" if interrupted else "an earlier statement failed"
            for rest in batch[position + 1 :]:
                self.emit(StatementSkipped(self.clock(), rest, reason))
            if interrupted:
                raise KeyboardInterrupt
            self._skip_rest(reason)
            self._running = None
            return index, error, failed_tb
        self._running = None
        return None

    def _prepared(self, index: int) -> Prepared:
        prepared = self._statements[index].prepared
        assert prepared is not None
        return prepared

    # ---- what ran ------------------------------------------------------------------------------
    def _code_ran(self) -> str:
        return "".join(s.code for s in self._statements if s.ran)

    def _flush_figures(self) -> None:
        """Show figures under the last statement that ran, as the cell's end would (once, complete)."""
        if self._last_run is None:
            return
        flush_figures(self.shell, self.view.statement_output(self._last_run))

    # ---- the value of the program ------------------------------------------------------------
    def take_value(self) -> Any:
        return self.executor.take_value()

    @property
    def has_value(self) -> bool:
        return self.executor.has_value


def _leading_lines(code: str) -> int:
    """Blank and comment lines before the statement itself."""
    for offset, text in enumerate(code.splitlines()):
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            return offset
    return 0
