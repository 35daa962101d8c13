"""How a run ends: the end of generation (with ``Eager.approve``'s decision), a source that failed,
a statement that failed, and the final record whatever happened. Part of ``Engine`` (a mixin: the
methods use the engine's working state, declared below for the type checker).

Every way out leaves a final record: each statement done, error, skipped or interrupted, the end of
generation stamped (when the source ended, or when it was stopped: a failure stops it with its own
time, before its traceback renders), then one ``RunEnded``.

To validate a change: ``tests/test_final_records.py``, ``tests/test_approval.py``,
``tests/test_engine.py``.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from ..errors import GenerationError, NotApproved, StatementError
from ..events import GenerationEnded, RunEnded, StatementFailed, StatementSkipped
from ..executor import one_line
from ..sources.base import SourceError

if TYPE_CHECKING:
    from ..scheduler import Scheduler
    from .working import Failure

from .working import EngineParts

__all__ = ["Endings"]


class Endings(EngineParts):
    def _end(self, status: Any, error: str | None = None) -> None:
        """``RunEnded`` once, after every statement has a final status (the record is final before
        the view is told, so a view failing here still leaves a final record)."""
        if self.record.ended_at is not None:
            return
        cost = self.price(self.record.usage) if self.price is not None else None
        self.emit(RunEnded(self.clock(), status, error, cost))

    def _end_generation(self, scheduler: Scheduler) -> Failure | None:
        """Generation has ended: the held statements (the gate's, and those after them) would be
        released now. With ``approve`` (``Eager.approve`` ask or deny; None is auto, the paper's
        policy) its decision comes first (``approval.Decision``): ``run`` releases them; ``skip``
        marks them skipped with the decision's reason; ``stop`` also skips everything else not yet
        run and ends the run with the decision's line. A skip with a line (deny, or ask with no
        frontend to answer) runs what is free to run, then ends the run with that line, so the cell
        fails. ``approve`` was fixed when the engine was made: code that ran cannot change it.
        (``_drain_after_failure`` needs no decision: held statements are skipped there anyway.)"""
        decision = None
        if self.approve is not None and scheduler.gated and scheduler.held:
            self._asking = True
            decision = self.approve([self.record.statements[i] for i in scheduler.held])
            self._asking = False
        if decision is None or decision.choice == "run":
            scheduler.end_generation()
            return None
        for index in scheduler.drop_held():
            self.emit(StatementSkipped(self.clock(), index, decision.reason))
        if decision.choice == "stop":
            self._skip_rest("the run stopped")
            self._flush_figures()
            raise NotApproved(decision.error or "held statements were not approved; the run stopped")
        scheduler.end_generation()
        if decision.error is None:
            return None
        while batch := scheduler.next_batch():
            failure = self._run_batch(batch)
            if failure is not None:
                return failure
        self._flush_figures()
        raise NotApproved(decision.error)

    def _drain_after_failure(self, error: BaseException, scheduler: Scheduler) -> Failure | None:
        """The source failed (dropped stream, max_tokens, an API error): the half-written statement is
        never released; statements already complete and free to run still run, in order, whichever way
        the pieces happened to reach this thread. Held statements wait for a generation that will not
        end well, so they are skipped (in ``serial``, that is every statement)."""
        self._stop_producer()
        self._end_generation_once(self.clock(), True)
        for index in scheduler.drop_held():
            self.emit(StatementSkipped(self.clock(), index, "generation failed"))
        scheduler.end_generation()
        while batch := scheduler.next_batch():
            failure = self._run_batch(batch)
            if failure is not None:
                return failure
        raise self._source_failed(error)

    def _fail(self, index: int, error: BaseException) -> None:
        stmt = self._statements[index]
        skipped = sum(1 for s in self.record.statements if s.status == "skipped")
        stopped = " generation stopped," if self.record.generation_stopped else ""
        message = (
            f"statement {index + 1} (line {stmt.line}) failed: {one_line(error)};"
            f"{stopped} {skipped} statement{'s' if skipped != 1 else ''} skipped"
        )
        raise StatementError(message, index=index, line=stmt.line, error=error)

    def _source_failed(self, error: BaseException) -> GenerationError:
        self._skip_rest("generation failed")
        text = str(error) if isinstance(error, SourceError) else one_line(error)
        return GenerationError(f"generation failed: {text}")

    def _skip_rest(self, reason: str) -> None:
        """Stop the source; every statement without a final status gets one (skipped, or interrupted
        for one that was running), and generation gets its end: when the source ended if it had, else
        when it was stopped (a failure stops it before its traceback renders)."""
        self._stop_producer()
        if self._scheduler is not None:
            for index in self._scheduler.abort():
                self.emit(StatementSkipped(self.clock(), index, reason))
        for stmt in self.record.statements:
            if stmt.status == "running":
                self.emit(StatementFailed(self.clock(), stmt.index, 0.0, "KeyboardInterrupt", True))
            elif stmt.status in ("queued", "held"):
                self.emit(StatementSkipped(self.clock(), stmt.index, reason))
        if not self._gen_ended:
            producer = self._producer
            ended = producer.ended_at if producer is not None else None
            stopped = producer.stopped_at if producer is not None else None
            t = ended if ended is not None else stopped if stopped is not None else self.clock()
            self._end_generation_once(t, ended is None)

    def _source_ended(self, t: float) -> None:
        """The producer thread: the source ended of itself at ``t``. Said at once, so the header
        turns from generating to running while a statement still runs on the main thread."""
        self._end_generation_once(t, False)

    def _end_generation_once(self, t: float, stopped: bool) -> None:
        """Emit this round's ``GenerationEnded`` unless it was (the producer thread and the main
        thread may both come to it)."""
        with self._gen_lock:
            if not self._gen_ended:
                self.emit(self._generation_ended(t, stopped))

    def _generation_ended(self, t: float, stopped: bool) -> GenerationEnded:
        """The event, with the tokens a stopped replay never sent (None for a live model: unknown)."""
        unsent = None
        count = getattr(self._current, "unsent_tokens", None)
        if stopped and callable(count):
            with contextlib.suppress(Exception):  # a trace line unreadable further on: unknown
                unsent = int(count())
        return GenerationEnded(t, stopped, dict(self._current.usage), unsent)

    def _stop_producer(self, at: float | None = None) -> None:
        if self._producer is not None:
            self._producer.stop(at)
            self._producer.join(1.0)
