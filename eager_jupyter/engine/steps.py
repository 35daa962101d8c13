"""The engine's seam for multi-step runs (``%%eager --agent``): a ``Stepper`` decides what comes next.

An agent episode is a run of rounds, one per model response: the engine streams a round's source
through the chunker, scheduler and executor exactly as for one request, and when the round is over
(its generation ended and every statement it released has a final status, or a statement failed and
the stream was closed at once) it hands a ``StepOutcome`` to the stepper, which answers with a
``StepEnd``: the text sent back to the model (for the record), the next round's source (None: the
episode is over) or a one-line error that ends the run (the step limit, say).

While a statement runs, the engine also enters ``stepper.tap(index)`` inside the view's own
``statement_output(index)``, so the stepper sees what the statement printed and displayed without
taking it from the view. At the end of a step the engine shows the step's last value and flushes its
figures under the step's last statement, inside the same tap, so they reach both the user and the
model.

The ``--fix`` repair rounds are the same mechanism with another policy (``RepairFn``); the two are
not combined in one run.

To validate a change: ``tests/test_agent_kernel.py``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol

from ..sources.base import Source

__all__ = ["StepEnd", "StepOutcome", "Stepper"]


@dataclass(frozen=True)
class StepOutcome:
    """How a step ended. Statements ``first`` to ``end - 1`` are the step's (indices of the run)."""

    step: int  # 1-based
    first: int
    end: int
    failed: int | None = None  # the statement that failed (its step's stream was closed at once)
    error: BaseException | None = None
    traceback: str = ""  # plain text, the program's own frames and line numbers
    stopped: bool = False  # the step's generation was closed before it ended


@dataclass(frozen=True)
class StepEnd:
    tool_result: str | None = None  # what was sent back (None when nothing was)
    next: Source | None = None  # the next step's source; None ends the episode
    error: str | None = None  # one line: the run ends with it (an ``EagerError``)


class Stepper(Protocol):
    def tap(self, index: int) -> contextlib.AbstractContextManager[None]:
        """Observe statement ``index``'s outputs while it runs (without taking them from the view)."""
        ...

    def call_at(self, offset: int) -> tuple[int, int]:
        """The tool call (1-based) whose code holds ``offset`` of the step's code, and the step's line
        where that call's code starts: each call runs as a cell of its own, its lines from 1."""
        ...

    def finish_step(self, outcome: StepOutcome) -> StepEnd:
        """The step is over: what was sent back, and what comes next."""
        ...
