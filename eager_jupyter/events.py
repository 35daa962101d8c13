"""What happens during one ``%%eager`` run, as frozen dataclasses.

The engine emits these, in order, to the run-record builder (``record.RecordBuilder``, the one place
they are folded into the run's state) and then to the view, which reads the record. Observers must be
quick: a handler runs between two statements or two pieces of the stream.

Times ``t`` are seconds since the request was made (the engine's clock, ``time.perf_counter`` based),
so a run record, a benchmark and a trace all speak the same time axis.

Statement ``index`` is the 0-based position of the statement in the generated program; it is stable
for the whole run and is the key every view uses.

Lifecycle of a statement (its ``record.Status`` in brackets)::

    released (queued) ─┬─> started (running) ─┬─> finished (done)
                       │                      ├─> failed (error)
                       │                      └─> failed by an interrupt (interrupted)
                       ├─> held (held) ──> started ...   (gate: runs once generation has ended)
                       ├─> skipped (skipped)             (an earlier statement failed, or the run stopped)
                       └─> withdrawn (skipped, "revised") (a revision of the source took it back)

An agent run (``--agent``) is a series of steps, one per model response: ``StepStarted`` opens each
(its request went out), the step's pieces, statements and ``GenerationEnded`` follow, and ``StepEnded``
closes it with what was sent back to the model. Statement indices stay run-wide.

Threads: the engine emits every event on the kernel's main thread, except ``PieceStreamed``, which
the producer thread emits as the piece arrives (so code keeps streaming while a statement runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Event",
    "GenerationEnded",
    "PieceStreamed",
    "RepairStarted",
    "RunEnded",
    "RunStarted",
    "StatementFailed",
    "StatementFinished",
    "StatementHeld",
    "StatementReleased",
    "StatementSkipped",
    "StatementStarted",
    "StatementWithdrawn",
    "StepEnded",
    "StepStarted",
    "TextRevised",
]

Mode = Literal["eager", "serial", "no-exec"]
TextKind = Literal["code", "prose"]
RunStatus = Literal["ok", "error", "interrupted"]


@dataclass(frozen=True)
class RunStarted:
    """The request was made. ``source`` is a short human label ("replay 60 tok/s", "anthropic")."""

    t: float
    source: str
    mode: Mode
    model: str | None = None
    request: str | None = None


@dataclass(frozen=True)
class PieceStreamed:
    """A piece of model output arrived. ``kind`` says whether it is code (fed to the chunker) or prose.

    ``offset`` is where ``text`` starts in the code generated so far (for code pieces), so a view can
    apply pieces as appends and check it missed none.
    """

    t: float
    text: str
    kind: TextKind = "code"
    offset: int = 0


@dataclass(frozen=True)
class TextRevised:
    """The source revised its output (issue 18): its own output from ``source_offset`` on, so the
    code from ``code_offset`` on and the prose from ``prose_offset`` on (offsets within this round's
    code, and the run's prose) are withdrawn; what streams next is appended there. Emitted by the
    producer thread, like ``PieceStreamed``, for every revision (one that withdraws nothing, or only
    text the fence filter still held, too)."""

    t: float
    code_offset: int
    prose_offset: int
    source_offset: int


@dataclass(frozen=True)
class StatementWithdrawn:
    """A revision withdrew this released statement before it ran (or, with ``Eager.on_revision =
    "rerun"``, after: it runs again as a new statement once its revised text is released).
    ``reason`` is shown ("revised")."""

    t: float
    index: int
    reason: str = "revised"


@dataclass(frozen=True)
class StatementReleased:
    """The chunker released a finished top-level statement: an exact slice of this round's code,
    starting at ``offset`` (a ``--fix`` round's code starts again at 0). ``generated_at`` is when its
    last non-blank character arrived (the producer's stamp)."""

    t: float
    index: int
    code: str
    start_line: int
    generated_at: float
    offset: int
    syntax_error: str | None = None
    rerun_of: int | None = None  # a revision changed statement ``rerun_of`` after it ran: this re-runs it


@dataclass(frozen=True)
class StatementHeld:
    """The gate holds this statement until generation ends; ``reason`` is shown to the user."""

    t: float
    index: int
    reason: str


@dataclass(frozen=True)
class StatementStarted:
    """The executor started this statement. Statements run together in one batch share ``batch``.

    ``setup_s`` is the hand-off cost the batch paid before its first statement started (transform,
    compile): set on the batch's first statement, 0 on the others.
    """

    t: float
    index: int
    batch: int
    setup_s: float = 0.0


@dataclass(frozen=True)
class StatementFinished:
    t: float
    index: int
    duration: float


@dataclass(frozen=True)
class StatementFailed:
    """The statement raised (or did not compile), or was interrupted. ``error`` is one line:
    ``"NameError: name 'x' ..."``."""

    t: float
    index: int
    duration: float
    error: str
    interrupted: bool = False  # a KeyboardInterrupt (the kernel's stop), not the program's own error


@dataclass(frozen=True)
class StatementSkipped:
    t: float
    index: int
    reason: str


@dataclass(frozen=True)
class GenerationEnded:
    """The source produced its last piece, or was stopped (``stopped`` is then True). ``unsent``: the
    tokens a stopped replay or trace had and never sent (None where unknown: a live model)."""

    t: float
    stopped: bool = False
    usage: dict[str, int] = field(default_factory=dict)
    unsent: int | None = None


@dataclass(frozen=True)
class RepairStarted:
    """``--fix``: a new round of generation continues the program after a failed statement."""

    t: float
    round: int
    failed_index: int


@dataclass(frozen=True)
class StepStarted:
    """``--agent``: the request for step ``step`` (1-based) went out; what follows until the next
    ``StepStarted`` is that step's response and the statements it wrote."""

    t: float
    step: int


@dataclass(frozen=True)
class StepEnded:
    """``--agent``: the step's statements are over; ``tool_result`` is what was sent back to the model
    (None when nothing was: the model answered, or the episode stopped)."""

    t: float
    step: int
    tool_result: str | None = None


@dataclass(frozen=True)
class RunEnded:
    """The run is over; ``cost_usd`` is what its tokens cost where the model's price is known."""

    t: float
    status: RunStatus
    error: str | None = None
    cost_usd: float | None = None


Event = (
    RunStarted
    | PieceStreamed
    | StatementReleased
    | StatementHeld
    | StatementStarted
    | StatementFinished
    | StatementFailed
    | StatementSkipped
    | StatementWithdrawn
    | TextRevised
    | GenerationEnded
    | RepairStarted
    | StepStarted
    | StepEnded
    | RunEnded
)
