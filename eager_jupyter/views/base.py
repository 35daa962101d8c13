"""The view protocol: how the engine talks to what the user sees.

The engine calls ``handle(event)`` for every event, in order, on the kernel's main thread, and wraps
the execution of each statement in ``statement_output(index)``, so the view can route that statement's
outputs (prints, displays, figures, tracebacks) to the right place: the plain view lets them flow into
the cell after the statement's code block; the widget view enters the statement's ``Output`` widget.
``close()`` is called once, after ``RunEnded``, even when the run failed or was interrupted.

Views must be quick (a handler runs between two pieces of the stream) and must throttle what they send
to the frontend themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol

from ..events import Event

__all__ = ["NullView", "View"]


class View(Protocol):
    def handle(self, event: Event) -> None: ...

    def statement_output(self, index: int) -> contextlib.AbstractContextManager[None]: ...

    def close(self) -> None: ...


class NullView:
    """Shows nothing and routes nothing: outputs go wherever they would go in a normal cell."""

    def handle(self, event: Event) -> None:
        pass

    @contextlib.contextmanager
    def statement_output(self, index: int) -> Iterator[None]:
        yield

    def close(self) -> None:
        pass
