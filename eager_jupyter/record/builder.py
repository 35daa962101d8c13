"""``RecordBuilder``: the one fold of a run's events into its ``RunRecord`` (``run.py``). The engine
emits each event to it first, then to the view with the record. Nothing else changes a record.

To validate a change: ``tests/test_engine.py`` (records of real runs), ``tests/test_widget_state.py``
(the widget's ops against the record), ``tests/test_final_records.py``.
"""

from __future__ import annotations

from ..events import (
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
    StatementWithdrawn,
    StepEnded,
    StepStarted,
    TextRevised,
)
from .run import BatchRecord, RevisionRecord, RunRecord, StatementRecord, StepRecord

__all__ = ["RecordBuilder"]


class RecordBuilder:
    """An observer that keeps a :class:`RunRecord` up to date from events."""

    def __init__(self, gate: str = "paper") -> None:
        self.record = RunRecord(gate=gate)
        self._round_base = 0  # where this round's code starts in ``record.code``
        self._revising = False  # this round was revised: pieces extend the last revision's new text

    def handle(self, event: Event) -> None:
        rec = self.record
        match event:
            case RunStarted():
                rec.source, rec.mode = event.source, event.mode
                rec.model, rec.request = event.model, event.request
            case PieceStreamed():
                rec.pieces += 1
                rec.last_piece_at = event.t
                if rec.first_token_at is None:
                    rec.first_token_at = event.t
                step = rec.steps[-1] if rec.steps else None
                if step is not None:
                    if step.first_token_at is None:
                        step.first_token_at = event.t
                    step.pieces += 1
                    step.last_piece_at = event.t
                    if event.kind == "code":
                        step.code += event.text
                    else:
                        step.text += event.text
                if event.kind == "code":
                    rec._code.append(event.text)
                    if rec.revisions and self._revising:
                        rec.revisions[-1].new += event.text
                else:
                    rec._prose.append(event.text)
                    if rec.revisions and self._revising:
                        rec.revisions[-1].new_prose += event.text
                    if not len(rec._code):
                        rec.prose_before = len(rec._prose)
            case StatementReleased():
                rec.statements.append(
                    StatementRecord(
                        index=event.index,
                        code=event.code,
                        start_line=event.start_line,
                        generated_at=event.generated_at,
                        released_at=event.t,
                        offset=self._round_base + event.offset,
                        syntax_error=event.syntax_error,
                        round=rec.repairs,
                        rerun_of=event.rerun_of,
                    )
                )
                if rec.steps:
                    rec.steps[-1].statements.append(rec.statements[-1])
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
                stmt.status = "interrupted" if event.interrupted else "error"
                stmt.error = event.error
                stmt.finished_at = event.t if stmt.started_at is not None else None
            case StatementSkipped():
                stmt = self._get(event.index)
                stmt.status, stmt.skip_reason = "skipped", event.reason
            case TextRevised():
                offset = self._round_base + event.code_offset
                withdrawn = rec._code.truncate(offset)
                prose = rec._prose.truncate(event.prose_offset)
                rec.revisions.append(
                    RevisionRecord(
                        event.t, offset, withdrawn, "", event.prose_offset, prose, event.source_offset
                    )
                )
                self._revising = True
            case StatementWithdrawn():
                stmt = self._get(event.index)
                stmt.revised = True
                if stmt.status in ("queued", "held"):
                    stmt.status, stmt.skip_reason = "skipped", event.reason
            case GenerationEnded():
                rec.generation_done_at = event.t
                rec.generation_stopped = event.stopped
                for key, value in event.usage.items():
                    rec.usage[key] = rec.usage.get(key, 0) + value
                counted = event.usage.get("output_tokens")
                rec.tokens_ended += counted if counted else rec.pieces - rec.pieces_ended
                rec.pieces_ended = rec.pieces
                if event.unsent is not None:
                    rec.unsent_tokens = (rec.unsent_tokens or 0) + event.unsent
                if rec.steps and rec.steps[-1].generation_done_at is None:
                    rec.steps[-1].generation_done_at = event.t
                    rec.steps[-1].usage = dict(event.usage)
            case RepairStarted():
                rec.repairs = event.round
                self._round_base = len(rec._code)
                self._revising = False
                for stmt in rec.statements[event.failed_index :]:
                    stmt.superseded = True
            case StepStarted():
                rec.steps.append(StepRecord(step=event.step, requested_at=event.t))
                self._round_base = len(rec._code)
                self._revising = False
            case StepEnded():
                if rec.steps:
                    rec.steps[-1].finished_at, rec.steps[-1].tool_result = event.t, event.tool_result
            case RunEnded():
                if rec.steps and rec.steps[-1].finished_at is None:
                    rec.steps[-1].finished_at = event.t
                rec.status, rec.ended_at = event.status, event.t
                rec.cost_usd = event.cost_usd
                if event.error and rec.error is None:
                    rec.error = event.error

    def _get(self, index: int) -> StatementRecord:
        stmt = self.record.statements[index]
        assert stmt.index == index
        return stmt
