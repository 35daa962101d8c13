"""The producer: iterates a source in its own thread, filters fences, queues code for the main thread.

It runs in a copy of the main thread's ``contextvars`` context, so what views display from it
belongs to the running cell. ``PieceStreamed`` events go to ``on_piece`` from this thread, at once, so
the code keeps visibly streaming while a statement runs on the main thread; code pieces go through
``queue`` as ``(t, text)``; the thread ends by queueing ``Ended(t)``, after a ``Failed`` if the source
raised. ``stop()`` (any thread) stops queueing at once and closes the source (its network stream).
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..events import Event, PieceStreamed
from ..sources.base import Source

__all__ = ["Ended", "Failed", "Producer"]

@dataclass(frozen=True)
class Ended:
    """The source has no more to give; ``t`` is when it ended (not when the main thread noticed)."""

    t: float


@dataclass(frozen=True)
class Failed:
    error: BaseException


class Producer:
    """Iterates a source in a thread; code pieces go to ``queue``, every piece to ``on_piece``."""

    def __init__(self, source: Source, clock: Callable[[], float], on_piece: Callable[[Event], None]):
        self.source = source
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._clock = clock
        self._on_piece = on_piece
        self._stopped = threading.Event()
        self._offset = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._loop,), name="eager-producer", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop at once: no more pieces are queued, and the source closes (its network stream)."""
        if not self._stopped.is_set():
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
                for kind, segment in fences.feed(text) if fences else [("code", text)]:
                    self._emit(t, kind, segment)
            else:
                if fences is not None and not self._stopped.is_set():
                    t = self._clock()
                    for kind, segment in fences.finish():
                        self._emit(t, kind, segment)
        except BaseException as error:
            if not self._stopped.is_set():
                self.queue.put(Failed(error))
        finally:
            self.queue.put(Ended(self._clock()))

    def _emit(self, t: float, kind: str, text: str) -> None:
        if not text or self._stopped.is_set():
            return
        if kind == "code":
            # views first: a statement is never released before a view has its last piece
            self._on_piece(PieceStreamed(t, text, "code", self._offset))
            self._offset += len(text)
            self.queue.put((t, text))
        else:
            self._on_piece(PieceStreamed(t, text, "prose", 0))
