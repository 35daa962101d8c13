"""The view protocol: how the engine talks to what the user sees.

The engine folds every event into the run record first (``record.RecordBuilder``), then calls
``handle(event, record)``: the event says what just happened, the record is the run as it stands. A
view keeps no copy of the run; what it keeps is its own (what it has shown, its display ids). The
engine wraps the execution of each statement in ``statement_output(index)``, so the view can route
that statement's outputs (prints, displays, figures, tracebacks): the plain view lets them flow into
the cell after the statement's code block; the widget view captures them (``capture``) and sends them
to its frontend. ``close()`` is called once, after ``RunEnded``, even when the run failed.

Threads: ``handle`` is called on the kernel's main thread, and from the producer thread for
``PieceStreamed``. Views must be quick (a handler runs between two pieces of the stream) and pace
what they send to the frontend themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol

from ..events import Event
from ..record import RunRecord

__all__ = ["NullView", "View"]


class View(Protocol):
    def handle(self, event: Event, record: RunRecord) -> None: ...

    def statement_output(self, index: int) -> contextlib.AbstractContextManager[None]: ...

    def close(self) -> None: ...


class NullView:
    """Shows nothing and routes nothing: outputs go wherever they would go in a normal cell."""

    def handle(self, event: Event, record: RunRecord) -> None:
        pass

    @contextlib.contextmanager
    def statement_output(self, index: int) -> Iterator[None]:
        yield

    def close(self) -> None:
        pass
