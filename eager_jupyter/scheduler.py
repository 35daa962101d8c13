"""The scheduler: which released statements run now, together, and which wait.

Pure bookkeeping over statement indices (no I/O, no IPython): the engine tells it what was released
and whether the gate holds it, and asks for the next batch whenever the executor is free.

- **Dynamic batching** (the paper's): everything released while the executor was busy runs as one
  batch when it frees up, so slow execution means fewer, larger batches and less hand-off cost.
- **Merging low-yield statements**: a definition-only statement (def/class) is not run on its own; it
  waits for the next statement and runs in the same batch (or at the end of generation).
- **Held statements** (the gate): a held statement and everything after it wait for the end of
  generation, then run in program order. The order of the program is never changed.
- **Aborting**: after a failure or an interrupt, everything that has not run is handed back to be
  marked skipped.
- **Modes** live here and nowhere else: ``eager`` is the above; ``serial`` (the baseline) holds every
  statement, silently, until generation ends and then hands them out as one batch; ``no-exec`` runs
  nothing (every statement is skipped as it is released). ``gated`` says whether statements are
  checked (prepared and gated) as they are released, which only an eager run does.

Validate a change with ``tests/test_scheduler.py``.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

from .events import Mode

__all__ = ["Admission", "Scheduler"]

#: what ``add`` did with a statement: free to run, held by the gate (or after a held one: the view
#: says so), waiting silently for the end of generation (``serial``), or never to run (``no-exec``)
Admission = Literal["ready", "held", "waits", "skip"]


class Scheduler:
    def __init__(self, mode: Mode = "eager") -> None:
        self.mode: Mode = mode
        self._ready: deque[int] = deque()  # released, free to run, in order
        self._merge: set[int] = set()  # of those, the definition-only ones
        self._held: deque[int] = deque()  # waiting for the end of generation
        self.generation_done = False

    @property
    def gated(self) -> bool:
        """Are statements prepared and gated as they are released (an eager run)?"""
        return self.mode == "eager"

    def add(self, index: int, *, held: bool = False, merge: bool = False) -> Admission:
        """Queue a released statement. A held one, and every one after it, waits for the end of
        generation (the program's order is kept)."""
        if self.mode == "no-exec":
            return "skip"
        if self.mode == "serial" and not self.generation_done:
            self._held.append(index)
            return "waits"
        if (held or self._held) and not self.generation_done:
            self._held.append(index)
            return "held"
        self._ready.append(index)
        if merge:
            self._merge.add(index)
        return "ready"

    def end_generation(self) -> None:
        self.generation_done = True
        self._ready.extend(self._held)
        self._held.clear()

    def ready(self) -> bool:
        """Is there a batch to run right now?"""
        if not self._ready:
            return False
        if self.generation_done:
            return True
        # definitions alone wait to be merged with the statement after them
        return any(i not in self._merge for i in self._ready)

    def next_batch(self) -> list[int]:
        if not self.ready():
            return []
        batch = list(self._ready)
        if not self.generation_done:
            # trailing definitions still wait for the statement that follows them
            while batch and batch[-1] in self._merge:
                batch.pop()
        for _ in batch:
            self._ready.popleft()
        self._merge.difference_update(batch)
        return batch

    def drop_held(self) -> list[int]:
        """Give back the held statements (generation will not end well); the rest stays queued."""
        held = list(self._held)
        self._held.clear()
        return held

    def idle(self) -> bool:
        """Nothing waits: every released statement has been handed out."""
        return not self._ready and not self._held

    def abort(self) -> list[int]:
        """Everything not yet handed out, in order; the scheduler is empty afterwards."""
        rest = [*self._ready, *self._held]
        self._ready.clear()
        self._held.clear()
        self._merge.clear()
        return rest

    @property
    def held(self) -> list[int]:
        return list(self._held)
