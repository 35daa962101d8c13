"""The plain-output view: the run as ordinary cell outputs, which every frontend shows and every saved
notebook keeps (nbconvert HTML included), with no widget and no extension.

What it writes, and the metadata on each output, is ``views.outputs``'s (the one writer of saved
outputs; the widget's hand-over uses it too). This view decides only *when*:

- the header is displayed at the start and updated through its display id at most 10 times a second
  (pieces arrive on the producer thread; a timer delivers the last change, ``throttle``), and a hold
  is shown at once;
- a statement's block is displayed when the statement *starts*, so its outputs land right under it,
  in order, without capturing anything; it is updated again when the statement failed or ran for at
  least ``outputs.SLOW_S`` (to show the time), and once at the end if its saved status would
  otherwise still say running (its metadata must be final in a saved notebook);
- at the end: blocks of the statements that never ran, the code never run, the closing prose and the
  final header (``outputs.write_rest``).

The view keeps no copy of the run: every event comes with the record (``View.handle``). What it keeps
is its own: which blocks it has displayed, and the status each shows.

To validate a change: ``tests/test_plain_view.py`` (synthetic events), ``tests/test_kernel_magic.py``.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator

from ..events import (
    Event,
    RunEnded,
    RunStarted,
    StatementFailed,
    StatementFinished,
    StatementStarted,
    StepEnded,
)
from ..record import RunRecord, StepRecord
from . import outputs
from .capture import output_widget_active
from .outputs import DisplayFn
from .throttle import Throttle

__all__ = ["PlainView"]


class PlainView:
    """Ordinary outputs updated through display ids; see the module docstring."""

    def __init__(
        self,
        display: DisplayFn | None = None,
        *,
        updates_per_second: float = 10.0,
        live: bool = True,
    ) -> None:
        if display is None:
            from IPython.display import display as ipython_display

            display = ipython_display
        self._display: DisplayFn = display
        # live: a frontend that applies display updates (a kernel). Elsewhere (terminal IPython)
        # every update would print again, so only the blocks and the final summary are shown.
        self.live = live
        self._id = uuid.uuid4().hex[:12]
        self._lock = threading.RLock()
        self._throttle = Throttle(self._update_header, updates_per_second, busy=output_widget_active)
        self._record: RunRecord | None = None
        self._shown: dict[int, str] = {}  # statements whose block is displayed -> the status it shows
        self._steps: dict[int, str] = {}  # --agent: step lines displayed, with the words shown
        self._header_shown = False
        self._now = 0.0

    # ---- View protocol ---------------------------------------------------------------------------
    def handle(self, event: Event, record: RunRecord) -> None:
        with self._lock:
            self._record = record
            self._now = max(self._now, event.t)
            match event:
                case RunStarted():
                    if self.live:
                        bundle, meta = outputs.header(record, self._id, self._now)
                        self._display(bundle, raw=True, display_id=self._head_id, metadata=meta)
                        self._header_shown = True
                case StatementStarted():
                    self._show_step(outputs.step_of(record, event.index))
                    self._show_block(record, event.index)
                    self._throttle.poke()
                case StatementFinished() if event.duration >= outputs.SLOW_S:
                    self._update_block(record, event.index)
                case StatementFailed():
                    self._update_block(record, event.index)
                case StepEnded():
                    self._show_step(record.steps[-1] if record.steps else None)
                    self._throttle.poke()
                case RunEnded():
                    self._finish(record)
                case _:
                    self._throttle.poke()

    @contextlib.contextmanager
    def statement_output(self, index: int) -> Iterator[None]:
        yield  # outputs flow into the cell right after the statement's block

    def close(self) -> None:
        self._throttle.close()

    # ---- rendering -------------------------------------------------------------------------------
    @property
    def _head_id(self) -> str:
        return f"eager-{self._id}-head"

    def _block_id(self, index: int) -> str:
        return f"eager-{self._id}-{index}"

    def _show_block(self, record: RunRecord, index: int) -> None:
        if index in self._shown:
            return
        self._shown[index] = record.statements[index].status
        bundle, meta = outputs.statement(record.statements[index], self._id)
        self._display(bundle, raw=True, display_id=self._block_id(index), metadata=meta)

    def _show_step(self, step: StepRecord | None) -> None:
        """An agent step's line, before its first block; updated once its words are complete."""
        if step is None or self._steps.get(step.step) == step.text:
            return
        bundle, meta = outputs.step_line(step, self._id)
        ident = f"eager-{self._id}-step{step.step}"
        update = step.step in self._steps
        if update and not self.live:
            return
        self._steps[step.step] = step.text
        extra = {"update": True} if update else {}
        self._display(bundle, raw=True, display_id=ident, metadata=meta, **extra)

    def _update_block(self, record: RunRecord, index: int) -> None:
        if index not in self._shown or not self.live:
            return
        self._shown[index] = record.statements[index].status
        bundle, meta = outputs.statement(record.statements[index], self._id)
        self._display(bundle, raw=True, display_id=self._block_id(index), update=True, metadata=meta)

    def _update_header(self) -> None:
        with self._lock:
            record = self._record
            if not self._header_shown or record is None or record.ended_at is not None:
                return  # the final header is written once, by _finish, under the same lock
            bundle, meta = outputs.header(record, self._id, self._now)
            self._display(bundle, raw=True, display_id=self._head_id, update=True, metadata=meta)

    def _finish(self, record: RunRecord) -> None:
        self._throttle.close()
        for index, shown in list(self._shown.items()):  # a quick statement's block still says running
            if record.statements[index].status != shown:
                self._update_block(record, index)
        outputs.write_rest(
            self._display, record, self._id, set(self._shown), display_id=self._block_id,
            steps_shown=set(self._steps),
        )
        bundle, meta = outputs.header(record, self._id)
        if self._header_shown:
            self._display(bundle, raw=True, display_id=self._head_id, update=True, metadata=meta)
        else:
            self._display(bundle, raw=True, metadata=meta)
