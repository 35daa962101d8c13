"""What the live widget's frontend is told: the run's status ops, its outputs, and the figures, as
deltas (custom widget messages) and as a snapshot (the widget's synced state, for a view that joins
late and for the saved notebook's run bundle). Pure: no IPython, no threads (``WidgetView`` locks).

This is not a second fold of the run: the record (``record.RunRecord``) is the run's state. Here each
event is written down as the op the frontend applies (``op``), and what has been sent is remembered.

A delta (the ``content`` of a custom message; every key optional)::

    {"c": "...",            code appended           "p": "...",    prose appended
     "n": 512,              pieces streamed so far  "s": [op...],  status ops, in order
     "x": [out op...],      output ops, in order    "f": {...},    the header's figures that changed
     "w": {status: word}}   the words people read for each status (``record.STATUS_WORDS``; first delta)

Status ops (JSON arrays; times are integer ms since the request; the snapshot's ``"s"`` holds them all,
and notebooks saved before read the same)::

    ["B", source, model, mode]            the run began (at 0)
    ["T", t]                              the first piece arrived
    ["R", gap, length, gen, delay, null, null, null, null, line]
                                          the next statement (index = statements so far) was released:
                                          its code starts ``gap`` characters after the previous one's
                                          end, was generated at ``gen``, released ``delay`` ms later, and
                                          begins at ``line`` of the program (notebooks saved before may
                                          omit it: the frontend then counts the code's own lines); an
                                          11th item ``k`` when it re-runs statement k after a revision
    ["H", i, reason]                      held by the gate
    ["S", i, t, batch]                    started
    ["D", i, run]                         finished, ``run`` ms after it started
    ["F", i, run, error, interrupted]     failed (``run`` is null if it never started; ``interrupted``
                                          1 when the kernel was interrupted, omitted otherwise)
    ["X", i, reason]                      skipped
    ["W", i, reason, text, skipped]       withdrawn by a revision: the frontend draws ``text`` (the
                                          statement as it was; the code is revised past it) and the
                                          reason; ``skipped`` 1 when it had not run (it never will)
    ["P", round, failed_index]            a repair round started
    ["N", step, t, code, prose]           --agent: step ``step``'s request went out, when the code and
                                          prose so far were ``code`` and ``prose`` characters long (the
                                          step's own begin there; statements keep run-wide indices)
    ["G", t, stopped, tokens, pieces]     generation ended (of the run, one step or one repair round):
                                          ``tokens`` the tokens of every generation that ended (the
                                          model's count, else the pieces: ``RunRecord.tokens_ended``),
                                          ``pieces`` the pieces they streamed; the header counts
                                          ``tokens`` plus the pieces since (the step generating)
    ["E", t, status, error]               the run ended

Output ops: ``["a", i, output]`` appends an nbformat output to statement i, ``["s", i, name, text]``
appends stream text (merged into the last output when it is the same stream), ``["u", i, k, output]``
replaces statement i's output k (a display update), ``["c", i, wait]`` clears statement i's outputs.

Figures (``"f"``), computed here from the record so the frontend computes none: ``phase`` (generating,
running, done, failed, stopped), ``tps`` (tokens/s over the generation only), ``saved`` and ``serial``
(seconds, once measured: ``RunRecord.saved`` and ``serial_estimate``), ``summary`` (the saved header's
line), ``cost`` (USD, where the model's price is known, once the run ends), ``unsent`` and ``unsent_s``
(tokens a stopped replay never generated, and their time at the run's rate). The frontend only advances
its clocks between deltas.

To validate a change: ``tests/test_widget_state.py`` replays deltas and snapshots through the
labextension's own ``RunState`` in node and checks both give the same state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

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
    StatementWithdrawn,
    StepStarted,
    TextRevised,
)
from ...record import PHASE_WORDS, STATUS_WORDS, RunRecord
from ..capture import Output
from ..outputs import summary_line, to_ms

__all__ = ["Delta", "LiveState", "Op", "Snapshot", "figures", "op"]

Op = list[Any]


class Delta(TypedDict):
    k: NotRequired[list[int]]  # a revision: cut code and prose to these lengths before appending c, p
    c: NotRequired[str]
    p: NotRequired[str]
    n: NotRequired[int]
    s: NotRequired[list[Op]]
    x: NotRequired[list[Op]]
    f: NotRequired[dict[str, Any]]
    w: NotRequired[dict[str, str]]


class Snapshot(TypedDict):
    """Everything a frontend needs to draw the run from scratch (the widget's synced state)."""

    c: str
    p: str
    n: int
    s: list[Op]
    x: dict[str, list[Output]]
    f: dict[str, Any]
    w: dict[str, str]


def op(event: Event, record: RunRecord) -> Op | None:
    """The status op that tells the frontend about ``event`` (None: the event has no op)."""
    match event:
        case RunStarted():
            return ["B", event.source, event.model, event.mode]
        case PieceStreamed():
            return ["T", to_ms(event.t)] if record.pieces == 1 else None
        case StatementReleased():
            stmt = record.statements[event.index]
            previous = record.statements[event.index - 1].end if event.index else 0
            gen, rel = to_ms(stmt.generated_at) or 0, to_ms(stmt.released_at) or 0
            released: Op = ["R", stmt.offset - previous, len(stmt.code), gen, rel - gen, None, None, None,
                            None, stmt.start_line]
            return released if stmt.rerun_of is None else [*released, stmt.rerun_of]
        case StatementHeld():
            return ["H", event.index, event.reason]
        case StatementStarted():
            return ["S", event.index, to_ms(event.t), event.batch]
        case StatementFinished():
            return ["D", event.index, _run_ms(record, event.index)]
        case StatementFailed():
            failed: Op = ["F", event.index, _run_ms(record, event.index), event.error]
            return [*failed, 1] if event.interrupted else failed
        case StatementSkipped():
            return ["X", event.index, event.reason]
        case StatementWithdrawn():  # before it ran: skipped, "revised"; after: a note, its status stays
            stmt = record.statements[event.index]
            return ["W", event.index, event.reason, stmt.code, int(stmt.status == "skipped")]
        case RepairStarted():
            return ["P", event.round, event.failed_index]
        case StepStarted():
            return ["N", event.step, to_ms(event.t), record.code_length, record.prose_length]
        case GenerationEnded():
            return ["G", to_ms(event.t), event.stopped, record.tokens_ended, record.pieces_ended]
        case RunEnded():
            return ["E", to_ms(event.t), event.status, event.error]
    return None


def _run_ms(record: RunRecord, index: int) -> int | None:
    stmt = record.statements[index]
    if stmt.started_at is None or stmt.finished_at is None:
        return None
    return max(0, (to_ms(stmt.finished_at) or 0) - (to_ms(stmt.started_at) or 0))


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def figures(record: RunRecord) -> dict[str, Any]:
    """The header's figures, from the record (see the module docstring)."""
    return {
        "phase": PHASE_WORDS[record.phase],
        "tps": _round(record.tokens_per_second, 0),
        "saved": _round(record.saved, 3),
        "serial": _round(record.serial_estimate, 3),
        "summary": summary_line(record) if record.ended_at is not None else None,
        "cost": _round(record.cost_usd, 6),
        "unsent": record.unsent_tokens,
        "unsent_s": _round(record.unsent_s, 2),
    }


@dataclass
class _Outputs:
    """One statement's outputs, as the frontend has them."""

    items: list[Output] = field(default_factory=list)
    display_ids: dict[str, int] = field(default_factory=dict)  # display id -> position
    clear_pending: bool = False  # clear_output(wait=True) waits for the next output


class LiveState:
    """The op log, the outputs, and what of them has been sent; see the module docstring."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.outputs: dict[int, _Outputs] = {}
        self._record = RunRecord()
        self._sent_code = 0
        self._sent_prose = 0
        self._sent_pieces = 0
        self._sent_ops = 0
        self._sent_figures: dict[str, Any] | None = None
        self._outs: list[Op] = []  # output ops not sent yet
        self._cut: list[int] | None = None  # a revision since the last delta: [code, prose] lengths

    # ---- events --------------------------------------------------------------------------------
    def apply(self, event: Event, record: RunRecord) -> None:
        self._record = record
        if isinstance(event, TextRevised):  # the record has cut its text: so must the frontend
            revision = record.revisions[-1]
            cut = [revision.offset, revision.prose_offset]
            self._cut = cut if self._cut is None else [min(a, b) for a, b in zip(self._cut, cut, strict=True)]
        written = op(event, record)
        if written is not None:
            self.ops.append(written)

    # ---- outputs (from the capture, on whichever thread wrote them) ------------------------------
    def _of(self, index: int) -> _Outputs:
        return self.outputs.setdefault(index, _Outputs())

    def _clear_if_pending(self, index: int, outs: _Outputs) -> None:
        if outs.clear_pending:
            outs.clear_pending = False
            outs.items.clear()
            outs.display_ids.clear()
            self._outs.append(["c", index, False])

    def output_stream(self, index: int, name: str, text: str) -> None:
        if not text:
            return
        outs = self._of(index)
        self._clear_if_pending(index, outs)
        last = outs.items[-1] if outs.items else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            outs.items.append({"output_type": "stream", "name": name, "text": text})
        if self._outs and self._outs[-1][0] == "s" and self._outs[-1][1:3] == [index, name]:
            self._outs[-1][3] += text
        else:
            self._outs.append(["s", index, name, text])

    def output_add(self, index: int, output: Output, display_id: str | None = None) -> None:
        outs = self._of(index)
        self._clear_if_pending(index, outs)
        if display_id is not None:
            outs.display_ids[display_id] = len(outs.items)
        outs.items.append(output)
        self._outs.append(["a", index, output])

    def output_update(self, display_id: str, output: Output) -> bool:
        """Replace every output shown with ``display_id``; False if this run shows none."""
        found = False
        for index, outs in self.outputs.items():
            k = outs.display_ids.get(display_id)
            if k is not None:
                outs.items[k] = output
                self._outs.append(["u", index, k, output])
                found = True
        return found

    def output_clear(self, index: int, wait: bool) -> None:
        outs = self._of(index)
        if wait:
            outs.clear_pending = True
            return
        outs.clear_pending = False
        outs.items.clear()
        outs.display_ids.clear()
        self._outs.append(["c", index, False])

    # ---- deltas ----------------------------------------------------------------------------------
    def has_changes(self) -> bool:
        record = self._record
        return (
            self._sent_code < record.code_length
            or self._sent_prose < record.prose_length
            or self._sent_ops < len(self.ops)
            or bool(self._outs)
            or self._cut is not None
        )

    def take_delta(self) -> Delta:
        """Everything not sent yet, marked sent."""
        record = self._record
        delta: Delta = {}
        code, prose = record.code, record.prose
        if self._cut is not None:
            delta["k"] = self._cut
            self._sent_code = min(self._sent_code, self._cut[0])
            self._sent_prose = min(self._sent_prose, self._cut[1])
            self._cut = None
        if self._sent_code < len(code):
            delta["c"] = code[self._sent_code :]
            self._sent_code = len(code)
        if self._sent_prose < len(prose):
            delta["p"] = prose[self._sent_prose :]
            self._sent_prose = len(prose)
        if record.pieces != self._sent_pieces:
            delta["n"] = self._sent_pieces = record.pieces
        if self._sent_ops < len(self.ops):
            delta["s"] = self.ops[self._sent_ops :]
            self._sent_ops = len(self.ops)
        if self._outs:
            delta["x"], self._outs = self._outs, []
        current = figures(record)
        if self._sent_figures is None:
            delta["f"], delta["w"] = current, dict(STATUS_WORDS)
        else:
            changed = {k: v for k, v in current.items() if self._sent_figures.get(k) != v}
            if changed:
                delta["f"] = changed
        self._sent_figures = current
        return delta

    def snapshot(self) -> Snapshot:
        record = self._record
        return {
            "c": record.code,
            "p": record.prose,
            "n": record.pieces,
            "s": list(self.ops),
            "x": {str(i): list(o.items) for i, o in self.outputs.items() if o.items},
            "f": figures(record),
            "w": dict(STATUS_WORDS),
        }
