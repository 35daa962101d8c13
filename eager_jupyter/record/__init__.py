"""The run record (``_eager``): ``run.py`` holds its data (``RunRecord`` and what it is made of, the
statuses and the words people read for them), ``builder.py`` the one fold of the engine's events into
it. After every run the magic binds the record to ``_eager``; ``last_run()`` returns the same object."""

from __future__ import annotations

from .builder import RecordBuilder
from .run import (
    FINAL,
    PHASE_WORDS,
    STATUS_WORDS,
    BatchRecord,
    Phase,
    RevisionRecord,
    RunRecord,
    StatementRecord,
    Status,
    StepRecord,
    last_run,
    set_last_run,
)

__all__ = [
    "FINAL",
    "PHASE_WORDS",
    "STATUS_WORDS",
    "BatchRecord",
    "Phase",
    "RecordBuilder",
    "RevisionRecord",
    "RunRecord",
    "StatementRecord",
    "Status",
    "StepRecord",
    "last_run",
    "set_last_run",
]
