"""The engine: source -> fences -> chunker -> scheduler -> executor, with events to the views.

Threads. The source runs in a producer thread (``Producer``), which also runs the fence filter, so it
can tell views about every streamed piece at once (``PieceStreamed`` is the one event emitted from the
producer thread: the code keeps visibly streaming while a statement runs). Code pieces go through a
queue to the kernel's main thread, which feeds the chunker, asks the gate, and runs statements: on the
main thread because matplotlib, signals and kernel interrupts need it. The producer runs in a copy of
the main thread's ``contextvars`` context, so what it displays belongs to the running cell.

The loop (``eager`` and ``no-exec`` modes)::

    wait for a piece (blocking only when nothing can run) -> drain every piece that arrived ->
    feed the chunker -> prepare and gate each released statement -> run the next batch -> repeat

so statements released while a batch ran form the next batch (dynamic batching). A blocking
``queue.get`` on the main thread is interrupted by SIGINT within ~10 ms.

Failures: a failing statement stops the source *before* its traceback is rendered (rendering takes
~90 ms, and a model keeps writing meanwhile); everything not run is marked skipped, and the run ends
with ``StatementError`` (one line; the real traceback is already under the statement). With a repair
function (``--fix N``) the engine instead asks for a continuation from the failing statement and goes
on in the same run. An interrupt stops the source and ends the run with ``EagerInterrupt``.

``serial`` mode is the baseline: generate everything (still shown as it streams), then compile and run
the whole program as one batch, exactly as one cell would.
"""

from __future__ import annotations

import bisect
import queue
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..chunker import Chunk, Chunker
from ..errors import EagerInterrupt, GenerationError, StatementError
from ..events import (
    Event,
    GenerationEnded,
    Mode,
    RepairStarted,
    RunEnded,
    RunStarted,
    StatementFailed,
    StatementFinished,
    StatementHeld,
    StatementReleased,
    StatementSkipped,
    StatementStarted,
)
from ..executor import Executor, Prepared, one_line
from ..gate import Gate, is_definition_only
from ..record import RecordBuilder, RunRecord
from ..scheduler import Scheduler
from ..sources.base import Source, SourceError
from ..views.base import NullView, View
from .producer import Ended, Failed, Producer

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

class Engine:
    """One ``%%eager`` run. ``run()`` returns the run record or raises an ``EagerError``."""

    def __init__(
        self,
        shell: Any,
        source: Source,
        *,
        mode: Mode = "eager",
        gate: Gate | None = None,
        view: View | None = None,
        observers: Iterable[Callable[[Event], None]] = (),
        repair: RepairFn | None = None,
        max_repairs: int = 0,
        request: str | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.shell = shell
        self.source = source
        self.mode: Mode = mode
        self.gate = gate
        self.view: View = view or NullView()
        self.repair = repair
        self.max_repairs = max_repairs
        self.request = request
        self._clock0 = clock
        self._t0 = 0.0
        self.builder = RecordBuilder(gate="paper" if gate is not None else "off")
        self._observers: list[Callable[[Event], None]] = [
            self.builder.handle,
            self.view.handle,
            *observers,
        ]
        self.executor = Executor(shell, uuid.uuid4().hex[:8])
        self._prepared: dict[int, Prepared] = {}
        self._chunks: dict[int, Chunk] = {}
        self._batch = 0
        self._last_run: int | None = None

    @property
    def record(self) -> RunRecord:
        return self.builder.record

    def clock(self) -> float:
        return self._clock0() - self._t0

    def emit(self, event: Event) -> None:
        for observer in self._observers:
            observer(event)

    # ---- the run -----------------------------------------------------------------------------
    def run(self) -> RunRecord:
        self._t0 = self._clock0()
        self.record.wall_started = time.time()
        self.emit(
            RunStarted(0.0, self.source.label, self.mode, self.source.model, self.request)
        )
        source: Source | None = self.source
        base_line = 1
        try:
            while source is not None:
                failure = self._round(source, base_line)
                if failure is None:
                    break
                index, error, tb_text = failure
                source = self._repair_source(index, error, tb_text)
                if source is None:
                    self._fail(index, error)
                base_line = self.record.statements[index].start_line
            self._flush_figures()
            self.emit(RunEnded(self.clock(), "ok"))
            return self.record
        except KeyboardInterrupt:
            self._skip_rest("interrupted")
            where = "while waiting for the model" if self._running is None else (
                f"in statement {self._running + 1} (line {self.record.statements[self._running].line})"
            )
            message = f"eager run interrupted {where}; what already ran stays run"
            self.emit(RunEnded(self.clock(), "interrupted", message))
            raise EagerInterrupt(message) from None
        except (StatementError, GenerationError) as error:
            self.emit(RunEnded(self.clock(), "error", str(error)))
            raise
        finally:
            self._stop_producer()
            self.view.close()

    def _repair_source(self, index: int, error: BaseException, tb_text: str) -> Source | None:
        """``--fix``: a continuation from the failing statement, while rounds remain."""
        round_ = self.record.repairs + 1
        if self.repair is None or round_ > self.max_repairs:
            return None
        failed = self.record.statements[index]
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
            self.emit(RepairStarted(self.clock(), round_, index))
        return source

    _running: int | None = None
    _producer: Producer | None = None
    _scheduler: Scheduler | None = None

    def _round(self, source: Source, base_line: int) -> tuple[int, BaseException, str] | None:
        """Stream one source to its end. Returns (index, error, traceback) if a statement failed."""
        producer = self._producer = Producer(source, self.clock, self._emit_threadsafe)
        scheduler = self._scheduler = Scheduler()
        chunker = Chunker()
        arrivals: list[int] = []  # end offset of each code piece, for generated_at
        arrival_times: list[float] = []
        consumed = 0
        gen_done = False
        source_error: BaseException | None = None
        producer.start()
        while True:
            block = not gen_done and not scheduler.ready()
            items = self._take(producer, block)
            for item in items:
                if isinstance(item, Ended):
                    released = chunker.finish()
                    gen_done = True
                elif isinstance(item, Failed):
                    source_error = item.error
                    break
                else:
                    t_piece, text = item
                    consumed += len(text)
                    arrivals.append(consumed)
                    arrival_times.append(t_piece)
                    released = chunker.feed(text)
                t_release = self.clock()
                for chunk in released:
                    if not chunk.code:
                        continue
                    end = chunk.offset + len(chunk.code.rstrip())
                    k = bisect.bisect_left(arrivals, max(end, chunk.offset + 1))
                    generated_at = arrival_times[min(k, len(arrival_times) - 1)] if arrivals else t_release
                    self._release(chunk, base_line, generated_at, t_release, scheduler)
                if isinstance(item, Ended):
                    self.emit(GenerationEnded(item.t, producer.stopped, dict(source.usage)))
                    if self.mode == "no-exec":
                        for stmt in self.record.statements:
                            if stmt.status == "pending":
                                self.emit(StatementSkipped(self.clock(), stmt.index, "--no-exec"))
                    scheduler.end_generation()
            if source_error is not None:
                return self._drain_after_failure(source_error, scheduler)
            if self.mode == "serial" and not gen_done:
                continue
            batch = scheduler.next_batch()
            if batch:
                failure = self._run_batch(batch, serial=self.mode == "serial")
                if failure is not None:
                    return failure
            elif gen_done and scheduler.idle():
                return None

    def _drain_after_failure(
        self, error: BaseException, scheduler: Scheduler
    ) -> tuple[int, BaseException, str] | None:
        """The source failed (dropped stream, max_tokens, an API error): the half-written statement is
        never released; statements already complete and free to run still run, in order, whichever way
        the pieces happened to reach this thread. Held statements wait for a generation that will not
        end, so they are skipped; ``--serial`` runs nothing of a failed generation."""
        self._stop_producer()
        self.emit(GenerationEnded(self.clock(), True, dict(self.source.usage)))
        if self.mode == "eager":
            for index in scheduler.drop_held():
                self.emit(StatementSkipped(self.clock(), index, "generation failed"))
            scheduler.end_generation()
            while batch := scheduler.next_batch():
                failure = self._run_batch(batch, serial=False)
                if failure is not None:
                    return failure
        raise self._source_failed(error)

    def _take(self, producer: Producer, block: bool) -> list[Any]:
        items: list[Any] = []
        if block:
            items.append(producer.queue.get())
        while True:
            try:
                items.append(producer.queue.get_nowait())
            except queue.Empty:
                return items

    def _release(
        self, chunk: Chunk, base_line: int, generated_at: float, t: float, scheduler: Scheduler
    ) -> None:
        index = len(self.record.statements)
        start_line = base_line + chunk.start_line - 1
        self._chunks[index] = chunk
        prepared = None
        syntax_error: str | None = None
        if self.mode == "eager":
            prepared = self._prepared[index] = self.executor.prepare(index, chunk.code, start_line)
            if prepared.error_before_exec is not None:
                syntax_error = one_line(prepared.error_before_exec)
        elif self.mode == "no-exec":
            syntax_error = chunk.syntax_error
        self.emit(StatementReleased(t, index, chunk.code, start_line, generated_at, syntax_error))
        if self.mode == "serial":
            scheduler.add(index)
        if self.mode != "eager":
            return
        assert prepared is not None
        held, merge, reason = False, False, None
        if self.gate is not None and prepared.tree is not None:
            decision = self.gate.check(prepared.transformed, prepared.tree, self.shell.user_ns)
            held, reason = decision.held, decision.reason
            merge = is_definition_only(prepared.tree)
        if scheduler.add(index, held=held, merge=merge):
            self.emit(StatementHeld(self.clock(), index, reason or "after a held statement"))

    def _run_batch(self, batch: list[int], serial: bool) -> tuple[int, BaseException, str] | None:
        self._batch += 1
        if serial:
            for index in batch:
                stmt = self.record.statements[index]
                self._prepared[index] = self.executor.prepare(index, stmt.code, stmt.start_line)
        setup = sum(self._prepared[i].setup_s for i in batch)
        for position, index in enumerate(batch):
            self._running = index
            self.emit(StatementStarted(self.clock(), index, self._batch, setup if position == 0 else 0.0))
            failed_tb = ""
            failed_at = 0.0
            with self.view.statement_output(index):
                result = self.executor.run(self._prepared[index])
                self._last_run = index
                if not result.success:
                    failed_at = self.clock()  # the failure's own time, not its traceback's
                    self._stop_producer()  # before rendering: the model must stop writing now
                    error = result.error
                    assert error is not None
                    if not isinstance(error, KeyboardInterrupt):
                        failed_tb = self._traceback_text(result.exc_info)
                    self.executor.render_error(result)
            self._running = None if result.success else index
            if result.success:
                self.emit(StatementFinished(self.clock(), index, result.duration))
                continue
            error = result.error
            assert error is not None
            self.emit(
                StatementFailed(failed_at, index, result.duration, one_line(error), type(error).__name__)
            )
            if isinstance(error, KeyboardInterrupt):
                self._running = index
                for rest in batch[position + 1 :]:
                    self.emit(StatementSkipped(self.clock(), rest, "interrupted"))
                raise KeyboardInterrupt
            for rest in batch[position + 1 :]:
                self.emit(StatementSkipped(self.clock(), rest, "an earlier statement failed"))
            self._skip_rest("an earlier statement failed")
            self._running = None
            return index, error, failed_tb
        self._running = None
        return None

    # ---- endings -----------------------------------------------------------------------------
    def _fail(self, index: int, error: BaseException) -> None:
        stmt = self.record.statements[index]
        skipped = sum(1 for s in self.record.statements if s.status == "skipped")
        stopped = " generation stopped," if self.record.generation_stopped else ""
        message = (
            f"statement {index + 1} (line {stmt.line}) failed: {one_line(error)};"
            f"{stopped} {skipped} statement{'s' if skipped != 1 else ''} skipped"
        )
        raise StatementError(message, index=index, line=stmt.line, error=error)

    def _source_failed(self, error: BaseException) -> GenerationError:
        self._stop_producer()
        self._skip_rest("generation failed")
        text = str(error) if isinstance(error, SourceError) else one_line(error)
        return GenerationError(f"generation failed: {text}")

    def _skip_rest(self, reason: str) -> None:
        self._stop_producer()
        if self._scheduler is not None:
            for index in self._scheduler.abort():
                self.emit(StatementSkipped(self.clock(), index, reason))
        if self.record.generation_done_at is None:
            self.emit(GenerationEnded(self.clock(), True, dict(self.source.usage)))

    def _stop_producer(self) -> None:
        if self._producer is not None:
            self._producer.stop()
            self._producer.join(1.0)

    def _emit_threadsafe(self, event: Event) -> None:
        try:
            self.emit(event)
        except Exception:
            pass

    def _code_ran(self) -> str:
        return "".join(s.code for s in self.record.statements if s.status == "done")

    def _traceback_text(self, exc_info: Any) -> str:
        if exc_info is None:
            return ""
        etype, value, tb = exc_info
        return "".join(traceback.format_exception(etype, value, tb))

    def _flush_figures(self) -> None:
        """Show figures under the last statement that ran, as the cell's end would (once, complete)."""
        if self._last_run is None:
            return
        backend = sys.modules.get("matplotlib_inline.backend_inline")
        matplotlib = sys.modules.get("matplotlib")
        if backend is None or matplotlib is None or "inline" not in matplotlib.get_backend():
            return
        with self.view.statement_output(self._last_run):
            try:
                backend.flush_figures()
            except Exception:
                self.shell.showtraceback()

    # ---- the value of the program ------------------------------------------------------------
    def take_value(self) -> Any:
        return self.executor.take_value()

    @property
    def has_value(self) -> bool:
        return self.executor.has_value
