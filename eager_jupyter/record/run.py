"""The run record's data: what happened in one ``%%eager`` run (``builder.py`` folds the events in).

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
``non_overlapped`` is end of generation to last statement finished (never negative);
``serial_estimate`` is what running the same statements after generation would have taken (end of
generation plus every run time: the critical path of running after generation), and ``saved`` is that
minus ``end_to_end`` when the run ended well. In an agent episode (``steps``: one ``StepRecord`` per
model response, folded from ``StepStarted``/``StepEnded``) ``end_to_end`` also reaches the end of the
last response (the answer), and ``non_overlapped`` and ``serial_estimate`` are summed step by step.

``builder.RecordBuilder`` is the one place where events are folded into a run's state: the engine
emits, the builder folds, and the views read the record (``View.handle(event, record)``). A statement's status
is a ``Status``; ``STATUS_WORDS`` are the words people read for each, used by every view (the
labextension receives them with the run, it does not define its own).

To validate a change: ``tests/test_engine.py`` (records of real runs) and ``tests/test_plain_view.py``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from .text import GrowingText as _Text

__all__ = [
    "FINAL",
    "PHASE_WORDS",
    "STATUS_WORDS",
    "BatchRecord",
    "Phase",
    "RevisionRecord",
    "RunRecord",
    "StatementRecord",
    "Status",
    "StepRecord",
    "last_run",
    "set_last_run",
]

Status = Literal["queued", "held", "running", "done", "error", "skipped", "interrupted"]

#: what people read for each status, in every view
STATUS_WORDS: dict[str, str] = {
    "queued": "queued",
    "held": "held",
    "running": "running",
    "done": "done",
    "error": "failed",
    "skipped": "not run",
    "interrupted": "interrupted",
}

Phase = Literal["generating", "running", "done", "failed", "stopped"]

#: the header's word for the run's phase
PHASE_WORDS: dict[str, str] = {
    "generating": "generating",
    "running": "running",
    "done": "done",
    "failed": "failed",
    "stopped": "stopped",
}

#: statuses that are final: nothing more happens to the statement
FINAL: frozenset[str] = frozenset({"done", "error", "skipped", "interrupted"})

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
    offset: int = 0  # where ``code`` starts in the run's ``code`` (all rounds)
    status: Status = "queued"
    started_at: float | None = None
    finished_at: float | None = None
    batch: int | None = None
    held_reason: str | None = None  # kept after the statement ran: it was held, and why
    error: str | None = None
    skip_reason: str | None = None
    syntax_error: str | None = None
    round: int = 0
    superseded: bool = False  # a repair round (--fix) rewrote the program from here on
    revised: bool = False  # a revision of the source withdrew it (before it ran, or after: see rerun_of)
    rerun_of: int | None = None  # it re-runs statement `rerun_of`, which ran and was then revised

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

    @property
    def end(self) -> int:
        """Where the statement's code ends in the run's ``code``."""
        return self.offset + len(self.code)


@dataclass
class StepRecord:
    """``--agent``: one model response of the episode and what its code did.

    ``text`` is the response's prose, ``code`` its tool calls' code (several calls joined by a newline),
    ``statements`` the statements it released (the same objects as in ``RunRecord.statements``),
    ``tool_result`` the text sent back (None for the final answer). Times as everywhere: seconds since
    the episode's first request; ``requested_at`` is when this step's request went out."""

    step: int
    requested_at: float
    text: str = ""
    code: str = ""
    statements: list[StatementRecord] = field(default_factory=list)
    tool_result: str | None = None
    first_token_at: float | None = None
    generation_done_at: float | None = None
    finished_at: float | None = None
    usage: dict[str, int] = field(default_factory=dict)
    pieces: int = 0
    last_piece_at: float | None = None


@dataclass
class RevisionRecord:
    """One revision of the source's output (every one the source made, even one that withdrew
    nothing): at ``t`` the source went back to character ``source_offset`` of its own output; so the
    code from ``offset`` on (in the run's ``code``) was withdrawn (``withdrawn``) and ``new`` streamed
    in its place (up to the next revision or the end); ``prose_offset``, ``prose_withdrawn`` and
    ``new_prose`` likewise for the prose. Text the fence filter still held (a partial fence) is in
    neither: it was never code or prose."""

    t: float
    offset: int
    withdrawn: str
    new: str = ""
    prose_offset: int = 0
    prose_withdrawn: str = ""
    source_offset: int = 0
    new_prose: str = ""


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
    status: str = "running"  # running | ok | error | interrupted (the run's, not a statement's)
    error: str | None = None
    prose_before: int = 0  # characters of ``prose`` that came before any code (the rest came after)
    statements: list[StatementRecord] = field(default_factory=list)
    batches: list[BatchRecord] = field(default_factory=list)
    revisions: list[RevisionRecord] = field(default_factory=list)
    first_token_at: float | None = None
    generation_done_at: float | None = None
    generation_stopped: bool = False
    # tokens the source had and never sent because the run stopped generation (a failure, Stop):
    # known for a replay or trace, None for a live model (its rest was never written)
    unsent_tokens: int | None = None
    ended_at: float | None = None
    pieces: int = 0
    last_piece_at: float | None = None
    usage: dict[str, int] = field(default_factory=dict)
    # the tokens of every generation that ended (each run, repair round or step): the model's count
    # where it gave one, else the pieces it streamed (a stream closed early reports none), and the
    # pieces those generations streamed; ``tokens`` adds the pieces of the one going on
    tokens_ended: int = 0
    pieces_ended: int = 0
    cost_usd: float | None = None  # where a price is known for the model (``sources.providers``)
    repairs: int = 0
    steps: list[StepRecord] = field(default_factory=list)  # --agent: one per model response
    wall_started: float = 0.0  # time.time() at the request, for humans
    _code: _Text = field(default_factory=_Text, repr=False, compare=False)
    _prose: _Text = field(default_factory=_Text, repr=False, compare=False)

    @property
    def code(self) -> str:
        """Everything generated as code (every round), revisions applied: the final text."""
        return self._code.value()

    @property
    def prose(self) -> str:
        """The model's words around its code."""
        return self._prose.value()

    @property
    def code_length(self) -> int:
        """``len(code)``, without joining its pieces."""
        return len(self._code)

    @property
    def prose_length(self) -> int:
        return len(self._prose)

    @property
    def end_to_end(self) -> float | None:
        finished = [s.finished_at for s in self.statements if s.finished_at is not None]
        if self.steps and self.generation_done_at is not None:  # an episode ends with its answer
            finished.append(self.generation_done_at)
        if finished:
            return max(finished)
        return self.ended_at

    @property
    def non_overlapped(self) -> float | None:
        if self.steps:  # each step's statements that ran after its own generation ended
            spans = [_step_non_overlapped(step) for step in self.steps]
            known = [s for s in spans if s is not None]
            return sum(known) if known else None
        end, gen = self.end_to_end, self.generation_done_at
        if end is None or gen is None:
            return None
        return max(0.0, end - gen)

    @property
    def serial_estimate(self) -> float | None:
        """Running the statements that ran after generation instead: end of generation + their runs.
        For an agent episode: each step's generation, then its runs, step after step (tokens that an
        early repair saved are not counted: the estimate is low for episodes with a failure)."""
        runs = [s.run_s for s in self.statements if s.run_s is not None]
        if self.steps:
            gens = [s.generation_done_at - s.requested_at for s in self.steps if s.generation_done_at]
            return sum(gens) + sum(runs) if gens else None
        gen = self.generation_done_at
        if gen is None or not runs:
            return None
        return gen + sum(runs)

    @property
    def saved(self) -> float | None:
        """Seconds saved against ``serial_estimate``, for an eager run that ended well; else None."""
        serial, end = self.serial_estimate, self.end_to_end
        if self.mode != "eager" or self.status != "ok" or serial is None or end is None:
            return None
        return serial - end

    @property
    def unsent_s(self) -> float | None:
        """What generating ``unsent_tokens`` would have taken at the run's own rate."""
        rate = self.tokens_per_second
        if not self.unsent_tokens or rate is None:
            return None
        return self.unsent_tokens / rate

    @property
    def phase(self) -> Phase:
        """The header's word: generating, running (generation over, statements still to run), done,
        failed or stopped."""
        if self.status == "ok":
            return "done"
        if self.status == "error":
            return "failed"
        if self.status == "interrupted":
            return "stopped"
        done = self.steps[-1].generation_done_at if self.steps else self.generation_done_at
        return "generating" if done is None else "running"

    @property
    def tokens(self) -> int:
        """Tokens generated so far, over every round and step (see ``tokens_ended``)."""
        return self.tokens_ended + self.pieces - self.pieces_ended

    @property
    def tokens_per_second(self) -> float | None:
        """Tokens (``tokens``: the model's count where it gave one, pieces meanwhile) over the
        generation only, from the first piece to the last (never the time since). In an episode,
        over each step's own first to last piece: the time between steps (running, the next
        request's wait for its first token) is not generation."""
        if self.steps:
            spans = [
                ((s.usage.get("output_tokens") or s.pieces) - 1, s.last_piece_at - s.first_token_at)
                for s in self.steps
                if s.first_token_at is not None and s.last_piece_at is not None and s.pieces >= 2
            ]
            tokens, seconds = sum(n for n, _ in spans), sum(t for _, t in spans)
            return tokens / seconds if tokens > 0 and seconds >= 0.05 else None
        first, last = self.first_token_at, self.last_piece_at
        if first is None or last is None or self.pieces < 2 or last - first < 0.05:
            return None
        return (self.tokens - 1) / (last - first)

    def tail(self) -> str:
        """Code generated after the last released statement: still streaming, or never run."""
        return self.code[self.statements[-1].end :] if self.statements else self.code

    @property
    def program(self) -> str:
        """The program as it stands: what repair rounds replaced is left out (``.code`` keeps all)."""
        return "".join(s.code for s in self.statements if not s.superseded)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy, with the derived figures included."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        data["statements"] = [asdict(s) for s in self.statements]
        data["batches"] = [asdict(b) for b in self.batches]
        data["revisions"] = [asdict(r) for r in self.revisions]
        data["steps"] = [  # a step's statements by index (they are in ``statements``)
            {**{f.name: getattr(step, f.name) for f in fields(step) if f.name != "statements"},
             "usage": dict(step.usage), "statements": [s.index for s in step.statements]}
            for step in self.steps
        ]
        data["usage"] = dict(self.usage)
        data["code"], data["prose"] = self.code, self.prose
        data["end_to_end"] = self.end_to_end
        data["non_overlapped"] = self.non_overlapped
        data["program"] = self.program
        data["serial_estimate"] = self.serial_estimate
        data["saved"] = self.saved
        data["unsent_s"] = self.unsent_s
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


def _step_non_overlapped(step: StepRecord) -> float | None:
    gen = step.generation_done_at
    finished = [s.finished_at for s in step.statements if s.finished_at is not None]
    if gen is None:
        return None
    return max(0.0, max(finished) - gen) if finished else 0.0
