"""The engine's own working state of a statement, and what a failed round hands back. Shared by
``engine.py`` and its parts (``endings.py``, ``episodes.py``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..executor import Prepared

if TYPE_CHECKING:
    from ..approval import ApproveFn
    from ..events import Event
    from ..executor import Executor
    from ..record import RunRecord
    from ..scheduler import Scheduler
    from ..sources.base import Source
    from ..views.base import View
    from .producer import Producer
    from .steps import Stepper

__all__ = ["EngineParts", "Failure", "Statement"]


@dataclass
class Statement:
    """The engine's own view of a released statement (the record is its output, not its state)."""

    code: str
    start_line: int
    line: int  # where the statement itself begins (after blank and comment lines)
    prepared: Prepared | None = None
    ran: bool = False
    file: str | None = None  # --agent: the tool call's own cell file (``Executor.use_file``)


Failure = tuple[int, BaseException, str]  # statement index, its exception, its traceback as text


class EngineParts:
    """The base of ``Engine``'s parts (``endings.py``, ``episodes.py``): what they use of the engine,
    declared for the type checker; ``Engine`` provides it."""

    if TYPE_CHECKING:  # what Engine provides (engine.py)
        shell: Any
        source: Source
        view: View
        approve: ApproveFn | None
        price: Callable[[Mapping[str, int]], float | None] | None
        stepper: Stepper | None
        executor: Executor
        _statements: list[Statement]
        _producer: Producer | None
        _scheduler: Scheduler | None
        _current: Source
        _gen_ended: bool
        _gen_lock: threading.Lock
        _asking: bool
        _last_run: int | None
        _unshown: tuple[int, Any] | None
        _step: int
        _step_first: int

        @property
        def record(self) -> RunRecord: ...
        def clock(self) -> float: ...
        def emit(self, event: Event) -> None: ...
        def _round(self, source: Source, base_line: int) -> Failure | None: ...
        def _run_batch(self, batch: list[int]) -> Failure | None: ...
        def _flush_figures(self) -> None: ...
        def _skip_rest(self, reason: str) -> None: ...
