"""The run record: what happened in one ``%%eager`` run, built from the engine's events.

After every run the magic binds it to ``_eager`` in the user namespace; ``eager_jupyter.last_run()``
returns the same object. All times are seconds since the request was made (see ``events``).

- ``generated_at``: when the statement's last character arrived (its last non-blank character: the
  blank and comment lines that follow a statement are not part of generating it).
- ``released_at``: when the chunker released it (``released_at - generated_at`` is the detection
  delay δ of the paper).
- ``started_at`` / ``finished_at``: when its own code started and ended in the kernel; ``None`` if it
  never ran. In ``--serial`` mode the program runs as one cell, so every statement that ran carries
  the whole cell's start and end.
- ``batch``: statements run together after one hand-off share a batch number; ``setup_s`` of a batch is
  the cost of handing it to the executor (transform, compile), the paper's T_setup.

``end_to_end`` is request to last statement finished (or to the end of the run when nothing ran);
``non_overlapped`` is end of generation to last statement finished (never negative).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .events import (
    Event,
    GenerationEnded,
    PieceStreamed,
    RepairStarted,
    RunEnded,
    RunStarted,
    StatementFailed,
    StatementFinished,
    StatementHeld,
    StatementReleased,
    StatementSkipped,
    StatementStarted,
)

__all__ = ["BatchRecord", "RecordBuilder", "RunRecord", "StatementRecord", "last_run", "set_last_run"]

_last: RunRecord | None = None


def last_run() -> RunRecord | None:
    """The record of the most recent ``%%eager`` run in this process (None before the first)."""
    return _last


def set_last_run(record: RunRecord) -> None:
    global _last
    _last = record


@dataclass
class StatementRecord:
    index: int
    code: str
    start_line: int
    generated_at: float
    released_at: float
    status: str = "pending"  # pending | held | running | done | error | skipped
    started_at: float | None = None
    finished_at: float | None = None
    batch: int | None = None
    held_reason: str | None = None
    error: str | None = None
    syntax_error: str | None = None
    round: int = 0
    superseded: bool = False  # a repair round (--fix) rewrote the program from here on

    @property
    def line(self) -> int:
        """The line where the statement itself begins (after the blank and comment lines before it)."""
        for offset, text in enumerate(self.code.splitlines()):
            stripped = text.strip()
            if stripped and not stripped.startswith("#"):
                return self.start_line + offset
        return self.start_line

    @property
    def run_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def detection_delay(self) -> float:
        return max(0.0, self.released_at - self.generated_at)


@dataclass
class BatchRecord:
    batch: int
    handed_at: float
    setup_s: float = 0.0
    statements: list[int] = field(default_factory=list)


@dataclass
class RunRecord:
    source: str = ""
    mode: str = "eager"
    model: str | None = None
    request: str | None = None
    gate: str = "paper"
    status: str = "running"  # running | ok | error | interrupted
    error: str | None = None
    code: str = ""
    prose: str = ""
    statements: list[StatementRecord] = field(default_factory=list)
    batches: list[BatchRecord] = field(default_factory=list)
    first_token_at: float | None = None
    generation_done_at: float | None = None
    generation_stopped: bool = False
    ended_at: float | None = None
    pieces: int = 0
    usage: dict[str, int] = field(default_factory=dict)
    repairs: int = 0
    wall_started: float = 0.0  # time.time() at the request, for humans

    @property
    def end_to_end(self) -> float | None:
        finished = [s.finished_at for s in self.statements if s.finished_at is not None]
        if finished:
            return max(finished)
        return self.ended_at

    @property
    def non_overlapped(self) -> float | None:
        end, gen = self.end_to_end, self.generation_done_at
        if end is None or gen is None:
            return None
        return max(0.0, end - gen)

    @property
    def program(self) -> str:
        """The program as it stands: what repair rounds replaced is left out (``.code`` keeps all)."""
        return "".join(s.code for s in self.statements if not s.superseded)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy, with the derived figures included."""
        data = asdict(self)
        data["end_to_end"] = self.end_to_end
        data["non_overlapped"] = self.non_overlapped
        data["program"] = self.program
        for stmt, out in zip(self.statements, data["statements"], strict=True):
            out["run_s"] = stmt.run_s
            out["detection_delay"] = stmt.detection_delay
        return data

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for s in self.statements:
            counts[s.status] = counts.get(s.status, 0) + 1
        parts = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no statements"
        e2e = f"{self.end_to_end:.3f} s" if self.end_to_end is not None else "-"
        return f"<eager run {self.status}: {parts}; end-to-end {e2e}; source {self.source}>"


class RecordBuilder:
    """An observer that keeps a :class:`RunRecord` up to date from events."""

    def __init__(self, gate: str = "paper") -> None:
        self.record = RunRecord(gate=gate)

    def handle(self, event: Event) -> None:
        rec = self.record
        match event:
            case RunStarted():
                rec.source, rec.mode = event.source, event.mode
                rec.model, rec.request = event.model, event.request
            case PieceStreamed():
                rec.pieces += 1
                if rec.first_token_at is None:
                    rec.first_token_at = event.t
                if event.kind == "code":
                    rec.code += event.text
                else:
                    rec.prose += event.text
            case StatementReleased():
                rec.statements.append(
                    StatementRecord(
                        index=event.index,
                        code=event.code,
                        start_line=event.start_line,
                        generated_at=event.generated_at,
                        released_at=event.t,
                        syntax_error=event.syntax_error,
                        round=rec.repairs,
                    )
                )
            case StatementHeld():
                stmt = self._get(event.index)
                stmt.status, stmt.held_reason = "held", event.reason
            case StatementStarted():
                stmt = self._get(event.index)
                stmt.status, stmt.started_at, stmt.batch = "running", event.t, event.batch
                if not rec.batches or rec.batches[-1].batch != event.batch:
                    rec.batches.append(
                        BatchRecord(
                            batch=event.batch,
                            handed_at=event.t - event.setup_s,
                            setup_s=event.setup_s,
                        )
                    )
                rec.batches[-1].statements.append(event.index)
            case StatementFinished():
                stmt = self._get(event.index)
                stmt.status, stmt.finished_at = "done", event.t
            case StatementFailed():
                stmt = self._get(event.index)
                stmt.status, stmt.error = "error", event.error
                stmt.finished_at = event.t if stmt.started_at is not None else None
            case StatementSkipped():
                self._get(event.index).status = "skipped"
            case GenerationEnded():
                rec.generation_done_at = event.t
                rec.generation_stopped = event.stopped
                for key, value in event.usage.items():
                    rec.usage[key] = rec.usage.get(key, 0) + value
            case RepairStarted():
                rec.repairs = event.round
                for stmt in rec.statements[event.failed_index :]:
                    stmt.superseded = True
            case RunEnded():
                rec.status, rec.ended_at = event.status, event.t
                if event.error and rec.error is None:
                    rec.error = event.error

    def _get(self, index: int) -> StatementRecord:
        stmt = self.record.statements[index]
        assert stmt.index == index
        return stmt
