"""The live widget's state and the deltas that keep a frontend in step with it. Pure: no IPython.

``LiveState`` is fed the engine's events (``apply``) and each statement's captured outputs
(``output_*``). It keeps everything a view needs to draw the run (the code, every statement's place in
it, status and times, the outputs) and, separately, what has changed since the last message:
``take_delta()`` returns that change as one small JSON object; ``widget_pacing`` decides when.

The wire format (the deltas' keys, the status and output ops, and their short form) is described
in ``widget_wire``, with the functions that merge and write a delta's ops.

How fast and how much is sent is ``widget_pacing``'s business (the byte budget).

A frontend that joins late rebuilds from ``snapshot()``: the code, the prose and the whole op log
(replaying the ops gives the same state as having received every delta).

To validate a change: ``tests/test_widget_state.py`` streams programs through a simulated run and
checks, with the labextension's own ``RunState`` (in node), that applying every delta gives the same
state as the snapshot and as the events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

from ...events import (
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
from ...record import RecordBuilder, RunRecord
from ..capture import Output
from .wire import Op, coalesce, encode

__all__ = ["Delta", "LiveState", "Output", "Snapshot", "StatementState", "to_ms"]

Status = Literal["queued", "held", "running", "done", "error", "skipped"]


class Delta(TypedDict):
    c: NotRequired[str]
    p: NotRequired[str]
    n: NotRequired[int]
    s: NotRequired[list[Any]]  # short strings and arrays (``widget_wire.encode``)
    x: NotRequired[list[Op]]


class Snapshot(TypedDict):
    """Everything a frontend needs to draw the run from scratch (the widget's synced state)."""

    c: str
    p: str
    n: int
    s: list[Op]
    x: dict[str, list[Output]]


def to_ms(t: float | None) -> int | None:
    """Seconds to whole milliseconds, as the frontend takes times."""
    return None if t is None else round(t * 1000)


@dataclass
class StatementState:
    index: int
    code: str
    start: int  # offset of the statement's code in the generated code
    line: int
    generated: int = 0  # ms since the request
    released: int = 0
    status: Status = "queued"
    note: str | None = None  # held reason, error line or skip reason
    outputs: list[Output] = field(default_factory=list)
    display_ids: dict[str, int] = field(default_factory=dict)  # display id -> output position
    clear_pending: bool = False  # clear_output(wait=True) waits for the next output


class LiveState:
    """What the live widget shows, kept from events; see the module docstring for the deltas."""

    def __init__(self) -> None:
        self.builder = RecordBuilder()
        self.code = ""
        self.prose = ""
        self.prose_before = ""  # the model's words before any code (the rest came after)
        self.pieces = 0
        self.generating = False  # the model is writing (from the run's start or a repair round to its end)
        self.generated_bytes = 0  # code and prose, UTF-8: what the byte budget is relative to
        self.now = 0.0
        self.statements: dict[int, StatementState] = {}
        self.ops: list[Op] = []  # every status op so far (the snapshot replays them)
        self.seq = 0
        self._search_from = 0
        self._round_base = 0  # a repair round's piece offsets start again at 0
        self._unresolved: list[tuple[StatementState, Op]] = []
        self._started: dict[int, int] = {}  # index -> ms it started
        self._sent_code = 0
        self._sent_prose = 0
        self._sent_pieces = 0
        self._ops_sent = 0
        self._steps_sent = 0  # weight (``_steps``) of the status ops sent
        self._generations = 0  # generation ends to come: one per round
        self._outs: list[Op] = []
        self._known = 0  # statements whose release the frontend has been sent (they go in index order)

    @property
    def record(self) -> RunRecord:
        return self.builder.record

    # ---- events --------------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        self.builder.handle(event)
        self.now = max(self.now, event.t)
        match event:
            case RunStarted():
                self.generating = True
                self._generations = 1
                self._op("B", event.source, event.model, event.mode)
            case PieceStreamed():
                if self.pieces == 0:
                    self._op("T", to_ms(event.t))
                self.pieces += 1
                self.generated_bytes += len(event.text.encode("utf-8", "surrogateescape"))
                if event.kind == "code":
                    offset = self._round_base + event.offset
                    if offset != len(self.code):  # a missed or repeated piece: trust offsets
                        self.code = self.code[:offset].ljust(offset)
                    self.code += event.text
                else:
                    if not self.code:
                        self.prose_before += event.text
                    self.prose += event.text
                if self._unresolved:
                    self._resolve()
            case StatementReleased():
                gen, rel = to_ms(event.generated_at) or 0, to_ms(event.t) or 0
                stmt = StatementState(event.index, event.code, -1, event.start_line, gen, rel)
                self.statements[event.index] = stmt
                op: Op = ["R", None, len(event.code), gen, rel - gen]
                self.ops.append(op)
                self._unresolved.append((stmt, op))
                self._resolve()
            case StatementHeld():
                self._set(event.index, "held", event.reason)
                self._op("H", event.index, event.reason)
            case StatementStarted():
                self._set(event.index, "running")
                self._started[event.index] = to_ms(event.t) or 0
                self._op("S", event.index, self._started[event.index], event.batch)
            case StatementFinished():
                self._set(event.index, "done")
                self._op("D", event.index, self._run_ms(event.index, event.t))
            case StatementFailed():
                self._set(event.index, "error", event.error)
                self._op("F", event.index, self._run_ms(event.index, event.t), event.error)
            case StatementSkipped():
                self._set(event.index, "skipped", event.reason)
                self._op("X", event.index, event.reason)
            case RepairStarted():
                self.generating = True
                self._generations += 1
                self._round_base = len(self.code)
                self._op("P", event.round, event.failed_index)
            case GenerationEnded():
                self.generating = False
                self._op("G", to_ms(event.t), event.stopped, event.usage.get("output_tokens"))
            case RunEnded():
                self.generating = False
                self._resolve(force=True)
                self._op("E", to_ms(event.t), event.status, event.error)

    def _resolve(self, force: bool = False) -> None:
        """Place released statements in the code. The engine emits pieces from the producer thread, so a
        statement can be released a moment before the view has seen its last piece: until it is placed,
        nothing is sent (``has_changes`` is False), and its op gets its offset when the text arrives."""
        while self._unresolved:
            stmt, op = self._unresolved[0]
            start = self.code.find(stmt.code, self._search_from)
            if start < 0:
                if not force and len(self.code) < self._search_from + len(stmt.code):
                    return
                start = self._search_from
            stmt.start = start
            op[1] = start - self._search_from
            if self.code.count("\n", 0, start) + 1 != stmt.line:  # else the frontend counts it
                op += [None, None, None, None, stmt.line]
            self._search_from = start + len(stmt.code)
            self._unresolved.pop(0)

    def _run_ms(self, index: int, t: float) -> int | None:
        started = self._started.get(index)
        return None if started is None else max(0, (to_ms(t) or 0) - started)

    def _set(self, index: int, status: Status, note: str | None = None) -> None:
        stmt = self.statements.get(index)
        if stmt is not None:
            stmt.status = status
            if note is not None:
                stmt.note = note

    def _op(self, *op: Any) -> None:
        self.ops.append(list(op))

    # ---- outputs (from the capture, on whichever thread wrote them) ------------------------------
    def _stmt(self, index: int) -> StatementState:
        stmt = self.statements.get(index)
        if stmt is None:  # outputs before a release cannot happen in the engine; keep them anyway
            stmt = self.statements[index] = StatementState(index, "", len(self.code), 0, status="running")
        return stmt

    def _clear_if_pending(self, stmt: StatementState) -> None:
        if stmt.clear_pending:
            stmt.clear_pending = False
            stmt.outputs.clear()
            stmt.display_ids.clear()
            self._outs.append(["c", stmt.index, False])

    def output_stream(self, index: int, name: str, text: str) -> None:
        if not text:
            return
        stmt = self._stmt(index)
        self._clear_if_pending(stmt)
        last = stmt.outputs[-1] if stmt.outputs else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            stmt.outputs.append({"output_type": "stream", "name": name, "text": text})
        if self._outs and self._outs[-1][0] == "s" and self._outs[-1][1:3] == [index, name]:
            self._outs[-1][3] += text
        else:
            self._outs.append(["s", index, name, text])

    def output_add(self, index: int, output: Output, display_id: str | None = None) -> None:
        stmt = self._stmt(index)
        self._clear_if_pending(stmt)
        if display_id is not None:
            stmt.display_ids[display_id] = len(stmt.outputs)
        stmt.outputs.append(output)
        self._outs.append(["a", index, output])

    def output_update(self, display_id: str, output: Output) -> bool:
        """Replace every output shown with ``display_id``; False if this run shows none."""
        found = False
        for stmt in self.statements.values():
            k = stmt.display_ids.get(display_id)
            if k is not None:
                stmt.outputs[k] = output
                self._outs.append(["u", stmt.index, k, output])
                found = True
        return found

    def output_clear(self, index: int, wait: bool) -> None:
        stmt = self._stmt(index)
        if wait:
            stmt.clear_pending = True
            return
        stmt.clear_pending = False
        stmt.outputs.clear()
        stmt.display_ids.clear()
        self._outs.append(["c", index, False])

    # ---- deltas ----------------------------------------------------------------------------------
    def _pending_ops(self) -> list[Op]:
        """Status ops not sent yet, up to the first release not yet placed in the code."""
        end = len(self.ops)
        if self._unresolved:
            first = self._unresolved[0][1]
            end = next(k for k in range(self._ops_sent, len(self.ops)) if self.ops[k] is first)
        return self.ops[self._ops_sent : end]

    def has_changes(self) -> bool:
        return (
            self._sent_code < len(self.code)
            or self._sent_prose < len(self.prose)
            or bool(self._pending_ops())
            or any(op[1] < self._known for op in self._outs)
        )

    def peek_delta(self, statuses: bool = True) -> Delta:
        """What ``take_delta`` would return, without marking anything sent. Without ``statuses``: only
        the code, prose and piece count (and outputs of statements the frontend knows)."""
        delta: Delta = {}
        if self._sent_code < len(self.code):
            delta["c"] = self.code[self._sent_code :]
        if self._sent_prose < len(self.prose):
            delta["p"] = self.prose[self._sent_prose :]
        if self.pieces != self._sent_pieces:
            delta["n"] = self.pieces
        known = self._known
        if statuses:
            pending = self._pending_ops()
            if pending:
                delta["s"] = encode(coalesce(pending, self._known), self._known, self._gen, self._rel)
                known += sum(1 for op in pending if op[0] == "R")
        outputs = [op for op in self._outs if op[1] < known]
        if outputs:
            delta["x"] = outputs
        return delta

    def _gen(self, index: int) -> int:
        stmt = self.statements.get(index)
        return 0 if stmt is None else stmt.generated

    def _rel(self, index: int) -> int:
        stmt = self.statements.get(index)
        return 0 if stmt is None else stmt.released

    def take_delta(self, statuses: bool = True) -> Delta:
        delta = self.peek_delta(statuses)
        self.seq += 1
        self._sent_code = len(self.code)
        self._sent_prose = len(self.prose)
        self._sent_pieces = self.pieces
        if statuses:
            pending = self._pending_ops()
            self._known += sum(1 for op in pending if op[0] == "R")
            self._ops_sent += len(pending)
            self._steps_sent += _steps(pending)
        if "x" in delta:
            self._outs = [op for op in self._outs if op[1] >= self._known]
        return delta

    def steps_left(self) -> int:
        """Status steps the frontend has still to be told: a start and an end for every statement
        released, each generation's end and the run's end (what the byte budget must still pay for)."""
        return 2 * len(self.statements) + self._generations + 1 - self._steps_sent

    def unfinished(self) -> int:
        """Statements released and not ended (queued, held or running)."""
        return sum(1 for s in self.statements.values() if s.status in ("queued", "held", "running"))

    def statuses_pending(self) -> bool:
        return bool(self._pending_ops())

    def pending_steps(self) -> int:
        """Of ``steps_left``, how many the pending delta carries."""
        return _steps(self._pending_ops())

    def take_outputs(self) -> Delta | None:
        """Only the pending outputs of statements the frontend knows, or None. Outputs are not the live
        view's bytes: they go even when the budget holds the rest back."""
        ready = [op for op in self._outs if op[1] < self._known]
        if not ready:
            return None
        self._outs = [op for op in self._outs if op[1] >= self._known]
        self.seq += 1
        return {"x": ready}

    def snapshot(self) -> Snapshot:
        return {
            "c": self.code,
            "p": self.prose,
            "n": self.pieces,
            "s": list(self.ops),
            "x": {str(i): list(s.outputs) for i, s in self.statements.items() if s.outputs},
        }

    def tail(self) -> str:
        """Generated code after the last released statement (what is still streaming, or was never run)."""
        return self.code[self._search_from :]


def _steps(ops: list[Op]) -> int:
    """How many of a statement's two steps (started, ended) and the run's ends ``ops`` report."""
    steps = 0
    for op in ops:
        kind = op[0]
        if kind in ("S", "D", "G", "E"):
            steps += 1
        elif kind == "X" or (kind == "F" and op[2] is None):  # ended without a start
            steps += 2
        elif kind == "F":
            steps += 1
    return steps
