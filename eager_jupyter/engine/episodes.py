"""``--agent``: an episode is one round per model response; the stepper (``steps.py``) says what goes
back to the model and what comes next. Part of ``Engine`` (a mixin: the methods use the engine's
working state, declared below for the type checker).

To validate a change: ``tests/test_agent_kernel.py``, ``tests/test_agent_view.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import EagerError
from ..events import StepEnded, StepStarted
from ..executor import flush_figures
from .steps import StepOutcome

if TYPE_CHECKING:
    from ..chunker import Chunk
    from ..sources.base import Source
    from .steps import Stepper

from .working import EngineParts

__all__ = ["Episodes"]


class Episodes(EngineParts):
    def _episode(self, stepper: Stepper) -> Source | None:
        """Every step of an agent episode; the stepper says what goes back and what comes next.
        Returns None (no round is left for ``run``'s loop)."""
        source: Source | None = self.source
        step = 0
        while source is not None:
            step += 1
            self._step = step
            first = self._step_first = len(self._statements)
            self.emit(StepStarted(self.clock(), step))
            failure = self._round(source, 1)
            self._end_of_step(stepper, first, failure is not None)
            index, error, tb_text = failure if failure is not None else (None, None, "")
            producer = self._producer
            outcome = StepOutcome(
                step, first, len(self._statements), index, error, tb_text,
                producer is not None and producer.stopped,
            )
            end = stepper.finish_step(outcome)
            self.emit(StepEnded(self.clock(), step, end.tool_result))
            if end.error is not None:
                raise EagerError(end.error)
            source = end.next
        return None

    def _cell_of(self, chunk: Chunk, start_line: int) -> tuple[str | None, int]:
        """``--agent``: a statement's cell file (its step's tool call) and its line in that call."""
        if self.stepper is None:
            return None, start_line
        at = chunk.offset + len(chunk.code) - len(chunk.code.lstrip())  # the statement, not blank lines
        call, first_line = self.stepper.call_at(at)
        return f"step {self._step} call {call}", start_line - first_line + 1

    def _show_failure(self) -> None:
        """Render the traceback of a step's failing statement under it. Early repair asks the model
        first: IPython's first traceback in a kernel takes a few hundred ms to render, and the model
        needs only the plain text (``StepOutcome.traceback``). The engine calls this once the next
        step's request is out, and at the end of the run."""
        pending, self._unshown = self._unshown, None
        if pending is not None:
            index, result = pending
            with self.view.statement_output(index):
                self.executor.render_error(result)

    def _tap(self, index: int) -> contextlib.AbstractContextManager[None]:
        return self.stepper.tap(index) if self.stepper is not None else contextlib.nullcontext()

    @contextlib.contextmanager
    def _step_output(self, index: int) -> Iterator[None]:
        with self.view.statement_output(index), self._tap(index):
            yield

    def _end_of_call(self, index: int) -> None:
        """Statement ``index`` is about to run: if it starts another tool call of the step, the call
        before it ends as a cell ends (``_end_of_step``), so its last value reaches the model too."""
        last = self._last_run
        if self.stepper is None or last is None or last < self._step_first:
            return
        if self._statements[last].file != self._statements[index].file:
            self._end_of_step(self.stepper, self._step_first, False)

    def _end_of_step(self, stepper: Stepper, first: int, failed: bool) -> None:
        """What a cell shows at its end, under the step's (or tool call's) last statement that ran:
        the last expression's value (not after a failure, as a cell), then the figures (inside the
        tap, so the model gets them too)."""
        last = self._last_run
        if last is None or last < first:
            return
        if self.executor.has_value:
            value = self.executor.take_value()  # taken in any case: the next step starts afresh
            if failed:
                value = None
        else:
            value = None
        if value is not None:
            with self._step_output(last):
                from IPython.display import display

                show: Any = display
                show(value)
        flush_figures(self.shell, self._step_output(last))
