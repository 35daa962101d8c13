"""``GrowingText``: the run record's copy of the code and of the prose, appended to piece by piece
on the producer thread, cut by revisions, read on any thread.

Both operations must cost what they touch, not the whole text: an append its piece, a revision
(``truncate``) the withdrawn tail. Validate a change with ``pytest tests/test_record_text.py`` (an
oracle against plain string slicing) and ``python -m eager_jupyter.bench.linear_cost --revisions``
(the per-revision cost should stay flat as the program grows).
"""

from __future__ import annotations

import threading

__all__ = ["GrowingText"]


class GrowingText:
    """Text that grows piece by piece on one thread and is read on others. Appending is O(piece);
    a read joins what came since the last one (a ``str +=`` per piece would copy the text each time:
    quadratic in the program's size). ``truncate`` (a revision) drops parts from the tail: it costs
    the withdrawn text, not the whole (the first part, which a read made the whole text, is cut by
    moving its end, ``_head``, and copied only at the next read)."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._lock = threading.Lock()
        self._length = 0
        self._head: int | None = None  # characters of _parts[0] that count (None: all)

    def append(self, piece: str) -> None:
        with self._lock:
            self._parts.append(piece)
            self._length += len(piece)

    def value(self) -> str:
        with self._lock:
            parts = self._parts
            if self._head is not None:
                parts[0] = parts[0][: self._head]
                self._head = None
            if len(parts) > 1:
                parts[:] = ["".join(parts)]
            return parts[0] if parts else ""

    def __len__(self) -> int:
        return self._length

    def truncate(self, n: int) -> str:
        """Cut the text to its first ``n`` characters; returns what was cut."""
        with self._lock:
            parts = self._parts
            length = self._length
            cut: list[str] = []
            while len(parts) > 1 and length - len(parts[-1]) >= n:
                last = parts.pop()
                length -= len(last)
                cut.append(last)
            if length > n:  # the last part left reaches past n
                last = parts[-1]
                if len(parts) == 1:  # the head, maybe the whole text: only its end moves
                    cut.append(last[n:length])
                    self._head = n
                else:
                    keep = len(last) - (length - n)
                    cut.append(last[keep:])
                    parts[-1] = last[:keep]
                length = n
            self._length = length
            cut.reverse()
            return "".join(cut)
