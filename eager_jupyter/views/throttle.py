"""``Throttle``: at most so many calls a second, the last change always delivered (the plain header)."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable

__all__ = ["Throttle"]


class Throttle:
    """Calls ``flush`` at most ``per_second`` times a second; a timer delivers the last change.

    Thread-safe. The timer thread runs in the context captured at construction (the running cell's),
    so what it displays is routed to that cell. While ``busy()`` is true the flush waits (the timer
    tries again an interval later): the view passes "generated code is inside an ipywidgets Output",
    because the frontend hands every message of the cell to that Output meanwhile, and it drops a
    display update it has no display for.
    """

    def __init__(
        self, flush: Callable[[], None], per_second: float, busy: Callable[[], bool] = lambda: False
    ) -> None:
        self._flush = flush
        self._busy = busy
        self._interval = 1.0 / per_second
        self._last = 0.0
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._context = contextvars.copy_context()
        self._closed = False

    def poke(self) -> None:
        # decide under the lock, flush outside it: the flush takes the view's lock, and the view
        # calls poke() while holding it
        with self._lock:
            if self._closed:
                return
            now = time.monotonic()
            wait = self._last + self._interval - now
            if wait <= 0 and not self._busy():
                self._last = now
            else:
                self._arm(wait if wait > 0 else self._interval)
                return
        self._flush_now()

    def _arm(self, wait: float) -> None:
        if self._timer is None:
            self._timer = threading.Timer(wait, self._context.copy().run, args=(self._on_timer,))
            self._timer.daemon = True
            self._timer.start()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
            if self._closed:
                return
            if self._busy():
                self._arm(self._interval)
                return
            self._last = time.monotonic()
        self._flush_now()

    def _flush_now(self) -> None:
        try:
            self._flush()
        except Exception:
            pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
