"""Revisable streams on the engine's side (issue 18): what a revision does to released statements,
and the revision window (``hold_tokens``).

The producer turns a source's ``Revision`` into ``Revised(t, code_offset)`` on the main thread's
queue. ``Revisions.revise`` then rewinds the chunker (``Chunker.rewind``: exact, the chunks withdrawn
are always the last ones) and settles each withdrawn chunk:

- still in the revision window (released by the chunker, not yet by the engine): forgotten;
- released, not started (queued or held): withdrawn from the scheduler, ``StatementWithdrawn``
  (the record marks it skipped, "revised"; the views strike it out);
- started (ran, or ran and failed): if its text is intact (only the lookahead that released it was
  withdrawn: ``el`` may still become ``else``) it waits for its re-release: the same text at the same
  place is the same statement, and nothing happens. Otherwise ``on_revision`` decides: ``"stop"``
  stops generation and fails the run with one line naming the statement (what ran stays);
  ``"rerun"`` marks it revised (``StatementWithdrawn``) and its re-released version runs again as a
  new statement with ``rerun_of`` set (so does every statement after it: the revision withdrew them
  all). Side effects of the first run are not undone.

A revision is handled between batches: one that arrives while a statement runs is applied when the
batch is over (the statement finished: it counts as run).

The revision window: with ``hold_tokens = K`` a statement the chunker released waits until K more
code pieces arrived (a piece counts as a token) without a revision touching it, or generation ended;
then the engine releases it. Statements the gate holds wait for the end of generation anyway. K
trades latency for fewer reruns.

The engine calls (the hooks in ``engine.py`` are marked "issue 18"): ``new_round`` at each round,
``release(chunks, item)`` to filter what the chunker released (it maps the chunker's positions to
statement indices), ``rerun_of()`` while building ``StatementReleased``, and ``revise(...)`` for a
``Revised`` item. Validate a change with ``pytest tests/test_revisions_engine.py``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from ..chunker import Chunk, Chunker
from ..errors import EagerError
from ..events import StatementWithdrawn
from ..scheduler import Scheduler
from .producer import Ended, Revised

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["OnRevision", "RevisedAfterRun", "Revisions"]

OnRevision = Literal["stop", "rerun"]


class RevisedAfterRun(EagerError):
    """``on_revision = "stop"``: the model revised a statement that had already run."""


class Revisions:
    def __init__(self, engine: Engine, on_revision: OnRevision = "stop", hold_tokens: int = 0) -> None:
        if on_revision not in ("stop", "rerun"):
            raise ValueError(f'on_revision must be "stop" or "rerun", not {on_revision!r}')
        if hold_tokens < 0:
            raise ValueError(f"hold_tokens must be >= 0, not {hold_tokens}")
        self.engine = engine
        self.on_revision: OnRevision = on_revision
        self.hold_tokens = hold_tokens
        self.reruns = 0  # statements run again after a revision
        self.withdrawn = 0  # statements withdrawn before they ran
        self.new_round()

    def new_round(self) -> None:
        self._index: list[int] = []  # chunker position -> statement index, for released statements
        self._chunks: list[Chunk] = []  # ... and their chunks
        self._window: deque[tuple[Chunk, int]] = deque()  # chunks waiting: (chunk, tokens at release)
        self._tokens = 0
        self._intact: dict[int, tuple[int, Chunk]] = {}  # position -> (index, chunk) that ran, intact
        self._rerun: dict[int, int] = {}  # position -> index of the statement its new version re-runs
        self._current: int | None = None  # rerun_of for the statement being released

    # ---- releases ------------------------------------------------------------------------------
    def release(self, chunks: list[Chunk], item: Any) -> Iterator[Chunk]:
        """The chunks to release now, out of those the chunker just released (after ``item``)."""
        if isinstance(item, tuple):
            self._tokens += 1
        window = self._window
        window.extend((chunk, self._tokens) for chunk in chunks)
        ended = isinstance(item, Ended)
        while window and (ended or self._tokens - window[0][1] >= self.hold_tokens):
            chunk = window.popleft()[0]
            position = len(self._index)
            intact = self._intact.pop(position, None)
            if intact is not None:
                index, old = intact
                if (old.code, old.offset) == (chunk.code, chunk.offset):
                    self._keep(position, index, chunk)  # the same statement: nothing happens
                    continue
                self._revised(index)
                self._rerun[position] = index
            self._current = self._rerun.pop(position, None)
            yield chunk
            self._keep(position, len(self.engine._statements) - 1, chunk)
            self._current = None

    def rerun_of(self) -> int | None:
        """For the statement being released: the index of the statement it runs again, if any."""
        return self._current

    def _keep(self, position: int, index: int, chunk: Chunk) -> None:
        self._index.append(index)
        self._chunks.append(chunk)
        if self.engine.record.statements[index].rerun_of is not None:
            self.reruns += 1

    # ---- a revision ----------------------------------------------------------------------------
    def revise(self, item: Revised, chunker: Chunker, scheduler: Scheduler) -> None:
        gone = chunker.rewind(item.offset)
        if not gone:
            return
        first = gone[0]
        released = len(self._index)
        # the window holds the chunker's last chunks: drop those withdrawn
        keep = max(0, first - released)
        while len(self._window) > keep:
            self._window.pop()
        if first >= released:
            return
        engine = self.engine
        withdrawn = self._index[first:]
        chunks = self._chunks[first:]
        del self._index[first:], self._chunks[first:]
        # not started: out of the scheduler (what it still holds is a suffix of the program)
        held = set(scheduler.held)
        waiting = scheduler.abort()
        for index in waiting:
            if index not in withdrawn:
                scheduler.add(index, held=index in held)
        t = engine.clock()
        for position, index, chunk in zip(range(first, released), withdrawn, chunks, strict=True):
            stmt = engine.record.statements[index]
            if stmt.status in ("queued", "held", "skipped"):  # (skipped: --no-exec)
                self.withdrawn += stmt.status != "skipped"
                engine.emit(StatementWithdrawn(t, index, "revised"))
            elif chunk.offset + len(chunk.code) <= item.offset:
                self._intact[position] = (index, chunk)  # only its lookahead was revised
            else:
                self._revised(index)
                self._rerun[position] = index

    def _revised(self, index: int) -> None:
        """A statement that had run was revised: stop, or mark it for a rerun."""
        engine = self.engine
        if self.on_revision == "rerun":
            engine.emit(StatementWithdrawn(engine.clock(), index, "revised after it ran"))
            return
        stmt = engine._statements[index]
        engine.emit(StatementWithdrawn(engine.clock(), index, "revised after it ran"))
        engine._skip_rest("the model revised a statement that had run")
        raise RevisedAfterRun(
            f"statement {index + 1} (line {stmt.line}) had run when the model revised it; generation "
            'stopped (Eager.on_revision = "stop"); what ran stays'
        )
