"""The producer: iterates a source in its own thread, filters fences, queues code for the main thread.

It runs in a copy of the main thread's ``contextvars`` context, so what views display from it
belongs to the running cell. ``PieceStreamed`` events go to ``on_piece`` from this thread, at once, so
the code keeps visibly streaming while a statement runs on the main thread; code pieces go through a
queue as ``(t, text)`` (a ``"parts"`` source says itself which pieces are code: no fence filter
runs); the thread ends by queueing ``Ended(t)``, after a ``Failed`` if the source
raised. A source that ended of itself is told to ``on_end(t)`` from this thread before ``Ended``
is queued: the engine says generation ended at once (the header's phase), not when the statement
running on the main thread ends. ``stop()`` (any thread) stops queueing at once and closes the
source (its network stream).

The main thread drains the queue with ``take()``, which also keeps the arrival bookkeeping: when the
piece holding a given character of the code arrived (``arrived_at``), from which the engine stamps
each statement's ``generated_at``. Statements end at increasing offsets, so the lookup walks forward
and forgets what is behind it: linear in the pieces, memory bounded by the pieces not yet passed.

Revisions (issue 18): a ``Revision(k)`` from the source goes through the fence filter's ``rewind``
(markdown) to a code offset; the producer tells the view and record at once (``TextRevised``, from
this thread, between the pieces; for every revision, even one that withdraws nothing) and queues
``Revised(t, code_offset)`` for the main thread, which rewinds the chunker. ``take`` forgets the
arrival times of the withdrawn code.

To validate a change: ``tests/test_engine.py``, ``tests/test_revisions_engine.py``.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..events import Event, PieceStreamed, TextRevised
from ..sources.base import Source
from ..sources.revisions import Revision, RevisionError

__all__ = ["Ended", "Failed", "Producer", "Revised"]

@dataclass(frozen=True)
class Ended:
    """The source has no more to give; ``t`` is when it ended (not when the main thread noticed)."""

    t: float


@dataclass(frozen=True)
class Failed:
    error: BaseException


@dataclass(frozen=True)
class Revised:
    """The source revised its output: the code from ``offset`` on is withdrawn."""

    t: float
    offset: int


class Producer:
    """Iterates a source in a thread; code pieces go to ``queue``, every piece to ``on_piece``."""

    def __init__(
        self,
        source: Source,
        clock: Callable[[], float],
        on_piece: Callable[[Event], None],
        on_end: Callable[[float], None] | None = None,
    ):
        self.source = source
        self._on_end = on_end
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.ended_at: float | None = None  # when the source ended of itself (not stopped)
        self.stopped_at: float | None = None  # when ``stop()`` was called
        self._clock = clock
        self._on_piece = on_piece
        self._stopped = threading.Event()
        self._offset = 0
        self._prose = 0  # characters of prose emitted
        self._thread: threading.Thread | None = None
        self._arrivals: deque[tuple[int, float]] = deque()  # (end offset, time) of pieces taken
        self._taken = 0  # characters of code taken by the main thread

    # ---- the main thread's side ----------------------------------------------------------------
    def take(self, block: bool) -> list[Any]:
        """Everything queued (waiting for the first item if ``block``): ``(t, text)`` code pieces,
        then ``Failed``/``Ended``. Keeps the arrival times of the code pieces for ``arrived_at``."""
        items: list[Any] = []
        if block:
            items.append(self.queue.get())
        while True:
            try:
                items.append(self.queue.get_nowait())
            except queue.Empty:
                break
        for item in items:
            if isinstance(item, tuple):
                self._taken += len(item[1])
                self._arrivals.append((self._taken, item[0]))
            elif isinstance(item, Revised):
                self._forget(item.offset)
        return items

    def _forget(self, offset: int) -> None:
        """Code from ``offset`` on was withdrawn: so are its arrival times (a piece cut by the
        revision keeps its time for the part before it)."""
        arrivals = self._arrivals
        cut = None
        while arrivals and arrivals[-1][0] > offset:
            cut = arrivals.pop()[1]
        if cut is not None and offset and (not arrivals or arrivals[-1][0] < offset):
            arrivals.append((offset, cut))
        self._taken = offset

    def arrived_at(self, end: int, default: float) -> float:
        """When the piece holding character ``end - 1`` arrived (``default`` if no piece did). Calls
        must not go backwards: what lies before ``end`` is forgotten."""
        arrivals = self._arrivals
        while len(arrivals) > 1 and arrivals[0][0] < end:
            arrivals.popleft()
        return arrivals[0][1] if arrivals else default

    def start(self) -> None:
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._loop,), name="eager-producer", daemon=True
        )
        self._thread.start()

    def stop(self, at: float | None = None) -> None:
        """Stop at once: no more pieces are queued, and the source closes (its network stream).
        ``at``: the time that caused the stop (a statement's failure), when it is not now."""
        if not self._stopped.is_set():
            self.stopped_at = self._clock() if at is None else at
            self._stopped.set()
            try:
                self.source.close()
            except Exception:
                pass

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def join(self, timeout: float = 2.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        fences = None
        if self.source.kind == "markdown":
            from ..fences import FenceFilter

            fences = FenceFilter()
        try:
            for text in self.source.stream():
                if self._stopped.is_set():
                    break
                t = self._clock()
                if isinstance(text, tuple):  # a "parts" source: (kind, text), no filter
                    self._emit(t, text[0], text[1])
                    continue
                if isinstance(text, Revision):
                    self._revise(t, text.offset, fences)
                    continue
                for kind, segment in fences.feed(text) if fences else [("code", text)]:
                    self._emit(t, kind, segment)
            else:
                if fences is not None and not self._stopped.is_set():
                    t = self._clock()
                    for kind, segment in fences.finish():
                        self._emit(t, kind, segment)
        except BaseException as error:
            failed = True
            if not self._stopped.is_set():
                self.queue.put(Failed(error))
        else:
            failed = False
        finally:
            t = self._clock()
            try:
                if not self._stopped.is_set():
                    self.ended_at = t
                    if not failed and self._on_end is not None:
                        self._on_end(t)  # generation ended: say so now, not once a statement ends
            except BaseException as error:  # a view that raises: the run ends with one line
                self.queue.put(Failed(error))
            finally:
                self.queue.put(Ended(t))

    def _revise(self, t: float, k: int, fences: Any) -> None:
        if fences is not None:
            code, prose, segments = fences.rewind(k)
        elif k > self._offset:
            raise RevisionError(
                f"a revision goes back to character {k}, but the output has only {self._offset}"
            )
        else:
            code, prose, segments = k, self._prose, []
        if self._stopped.is_set():
            return
        self._on_piece(TextRevised(t, code, prose, k))  # every revision, for the record
        if code < self._offset:
            self._offset = code
            self.queue.put(Revised(t, code))
        self._prose = prose
        for kind, segment in segments:
            self._emit(t, kind, segment)

    def _emit(self, t: float, kind: str, text: str) -> None:
        if not text or self._stopped.is_set():
            return
        if kind == "code":
            # views first: a statement is never released before a view has its last piece
            self._on_piece(PieceStreamed(t, text, "code", self._offset))
            self._offset += len(text)
            self.queue.put((t, text))
        else:
            self._on_piece(PieceStreamed(t, text, "prose", self._prose))
            self._prose += len(text)
