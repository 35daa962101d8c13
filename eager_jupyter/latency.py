"""The paper's latency model, evaluated over a measured run record (``_eager.to_dict()``).

Pure functions, no I/O. Notation as in the paper ("Executing as You Generate", arXiv 2604.00491): chunk ``i``
finished generating at ``t_g,i``, was detected ``δ_i`` later, paid a hand-off cost ``T_setup`` and ran
for ``T_exe,i``. The executor runs chunks in order, so chunk ``i`` ends at::

    t_e,i = max(t_g,i + δ_i, t_e,i-1) + T_setup,i + T_exe,i
    T_par = t_e,N = max over i of [ t_g,i + δ_i + Σ_{j=i..N} (T_setup,j + T_exe,j) ]     (closed form)

Two figures per run come out of it:

- the **prediction**: the closed form with every term measured (``predicted``);
- the **lower bound**: the closed form with ``δ = T_setup = 0``, i.e. the critical path
  ``t = max(t, t_g,i) + T_exe,i``. Given when each statement finished generating and how long each
  ran, no implementation can finish earlier (``critical_path``).

How a measured run maps onto per-chunk terms (``chunks_from_record``):

- A chunk is a statement that started running; chunks are taken in execution order.
- ``t_g,i`` is the statement's ``generated_at``, ``δ_i`` its ``detection_delay``, ``T_exe,i`` its ``run_s``.
- The engine batches: statements released while the executor was busy run together after one hand-off.
  A batch's ``setup_s`` is charged to its first statement and the others get ``T_setup = 0``. The
  recurrence then reproduces batching exactly: the batch's later statements were released before the
  hand-off, so ``max(...)`` picks ``t_e,i-1`` for them, as it happened.
- A ``--serial`` run is one chunk (the whole program): generated when generation ended, ``T_setup``
  the batch's setup cost (or the gap from the end of generation to the start of the cell when the
  record has no batch), ``T_exe`` the cell's run time. The closed form is then the paper's serial model
  ``T_serial = T_FT + L/v_gen + T_setup,full + Σ T_exe`` and the lower bound drops the setup.
- The gate holds some statements until generation ends: a policy, not an overhead. ``gate_bound``
  is the critical path in which held statements become available only at the end of generation;
  with nothing held it equals the lower bound. The prediction hands a held statement over when the
  engine noticed the end (``generation_done_at``).

The end of generation (``T_FT + L/v_gen``, the start of NEL) is the record's ``generation_done_at``:
the producer thread stamps it when the stream ends (or is stopped), not the kernel's main thread when
it next looks, so a long statement running at that moment does not delay it. Every mode is measured
the same way (``generation_end``).

Whatever the executor does between two statements that is neither detection nor setup (event
handlers, view updates) is in no term: it shows up as ``end_to_end - predicted``.

To validate a change: ``tests/test_latency.py`` checks the closed form against the recurrence on random
chunk lists and every figure against hand-computed examples.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

__all__ = [
    "RunAnalysis",
    "Timing",
    "analyse",
    "chunks_from_record",
    "closed_form",
    "critical_path",
    "gate_bound",
    "generation_end",
    "max_useful_chunks",
    "recurrence",
    "reduction",
    "serial_model",
    "two_term_bounds",
    "upper_bound",
]


@dataclass(frozen=True)
class Timing:
    """One executable chunk: when it was generated and what it cost. Times in seconds."""

    generated_at: float
    run_s: float
    detection_delay: float = 0.0
    setup_s: float = 0.0
    held: bool = False


def closed_form(chunks: Sequence[Timing]) -> float:
    """``max_i [ t_g,i + δ_i + Σ_{j>=i} (T_setup,j + T_exe,j) ]``; 0 for no chunks."""
    best, tail = 0.0, 0.0
    for c in reversed(chunks):
        tail += c.setup_s + c.run_s
        best = max(best, c.generated_at + c.detection_delay + tail)
    return best


def recurrence(chunks: Sequence[Timing]) -> float:
    """``t_e,i = max(t_g,i + δ_i, t_e,i-1) + T_setup,i + T_exe,i``; equal to :func:`closed_form`."""
    t = 0.0
    for c in chunks:
        t = max(t, c.generated_at + c.detection_delay) + c.setup_s + c.run_s
    return t


def critical_path(chunks: Sequence[Timing]) -> float:
    """The lower bound: the closed form with no detection delay and no setup cost."""
    return closed_form([Timing(c.generated_at, c.run_s) for c in chunks])


def gate_bound(chunks: Sequence[Timing], generation_done: float) -> float:
    """The critical path when held chunks may not start before generation has ended."""
    return critical_path(
        [replace(c, generated_at=max(c.generated_at, generation_done)) if c.held else c for c in chunks]
    )


def two_term_bounds(chunks: Sequence[Timing]) -> tuple[float, float]:
    """The paper's two lower bounds: (generation-bound ``i = N``, execution-bound ``i = 1``).

    Generation-bound: ``t_g,N + δ_N + T_setup,N + T_exe,N``; execution-bound:
    ``t_g,1 + δ_1 + Σ (T_setup,j + T_exe,j)``. Both are terms of the closed form, so the closed form
    is at least their maximum; pass chunks with ``δ = T_setup = 0`` to bound the critical path.
    """
    if not chunks:
        return 0.0, 0.0
    first, last = chunks[0], chunks[-1]
    gen = last.generated_at + last.detection_delay + last.setup_s + last.run_s
    exe = first.generated_at + first.detection_delay + sum(c.setup_s + c.run_s for c in chunks)
    return gen, exe


def upper_bound(chunks: Sequence[Timing], generation_done: float) -> float:
    """No overlap at all: ``T_FT + L/v_gen + max δ + Σ (T_setup,j + T_exe,j)``."""
    if not chunks:
        return generation_done
    return (
        generation_done
        + max(c.detection_delay for c in chunks)
        + sum(c.setup_s + c.run_s for c in chunks)
    )


def serial_model(generation_done: float, setup_full: float, run_total: float) -> float:
    """``T_serial = T_FT + L/v_gen + T_setup,full + Σ T_exe`` (``generation_done = T_FT + L/v_gen``)."""
    return generation_done + setup_full + run_total


def max_useful_chunks(generation_s: float, run_total: float, setup_s: float) -> float:
    """``N* = (L/v_gen - Σ T_exe) / T_setup``: past this many chunks, setup cost dominates."""
    if setup_s <= 0:
        return float("inf")
    return max(0.0, (generation_s - run_total) / setup_s)


def reduction(new: float, old: float) -> float | None:
    """Relative change ``(new - old) / old`` as the paper reports it (-0.373 is "-37.3 %")."""
    if old <= 0:
        return None
    return (new - old) / old


def _f(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) else default


def _with_holds(chunks: Sequence[Timing], noticed: float) -> list[Timing]:
    """For the prediction: a held chunk is handed over no earlier than the engine noticed the end."""
    return [
        replace(c, detection_delay=max(c.detection_delay, noticed - c.generated_at)) if c.held else c
        for c in chunks
    ]


def generation_end(record: Mapping[str, Any], default: float = 0.0) -> float:
    """When generation ended (or was stopped): the record's ``generation_done_at``, else ``default``."""
    return _f(record.get("generation_done_at"), default)


def chunks_from_record(record: Mapping[str, Any]) -> list[Timing]:
    """The executed chunks of a run record (``RunRecord.to_dict()``), mapped as the module says."""
    ran = [
        s
        for s in record.get("statements", [])
        if s.get("started_at") is not None and s.get("finished_at") is not None
    ]
    setups = {b["batch"]: _f(b.get("setup_s")) for b in record.get("batches", [])}
    if record.get("mode") == "serial":
        if not ran:
            return []
        start = min(_f(s["started_at"]) for s in ran)
        end = max(_f(s["finished_at"]) for s in ran)
        done = _f(record.get("generation_done_at"), start)
        batch = ran[0].get("batch")
        setup = setups.get(batch, max(0.0, start - done)) if batch is not None else max(0.0, start - done)
        delay = max(0.0, start - setup - done)
        return [Timing(generated_at=done, run_s=end - start, detection_delay=delay, setup_s=setup)]
    ran.sort(key=lambda s: (_f(s["started_at"]), s.get("index", 0)))
    chunks, seen = [], set()
    for s in ran:
        batch = s.get("batch")
        setup = 0.0
        if batch not in seen:
            seen.add(batch)
            setup = setups.get(batch, 0.0)
        run_s = s.get("run_s")
        chunks.append(
            Timing(
                generated_at=_f(s.get("generated_at")),
                run_s=_f(run_s) if run_s is not None else _f(s["finished_at"]) - _f(s["started_at"]),
                detection_delay=_f(s.get("detection_delay")),
                setup_s=setup,
                held=s.get("held_reason") is not None,
            )
        )
    return chunks


@dataclass(frozen=True)
class RunAnalysis:
    """Every figure the benchmark reports for one run (seconds unless named otherwise)."""

    end_to_end_s: float
    non_overlapped_s: float
    lower_bound_s: float
    predicted_s: float
    gate_bound_s: float
    bound_ratio: float | None  # measured / lower bound
    gate_bound_ratio: float | None  # measured / gate bound
    within_goal: bool  # end_to_end <= 1.03 * lower bound + 20 ms
    within_gate_goal: bool  # the same against the gate bound
    nel_floor_s: float  # what the critical path leaves after generation ends
    first_token_s: float | None
    generation_done_s: float | None  # as the record has it
    generation_end_s: float  # as used here (see the module docstring)
    first_output_s: float | None
    bound_generation_s: float
    bound_execution_s: float
    upper_bound_s: float
    statements: int
    ran: int
    held: int
    batches: int
    setup_median_s: float | None
    setup_total_s: float
    detection_delay_median_s: float | None
    detection_delay_max_s: float | None
    run_total_s: float
    last_run_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


GOAL_FACTOR, GOAL_SLACK_S = 1.03, 0.020


def _median(values: Iterable[float]) -> float | None:
    items = list(values)
    return statistics.median(items) if items else None


def analyse(record: Mapping[str, Any]) -> RunAnalysis:
    """Measure and model one run record: E2EL, NEL, the prediction, the bounds and the costs."""
    chunks = chunks_from_record(record)
    e2e = _f(record.get("end_to_end"))
    gen_done = record.get("generation_done_at")
    done = generation_end(record, e2e)
    lower = critical_path(chunks)
    gated = gate_bound(chunks, done)
    bare = [Timing(c.generated_at, c.run_s) for c in chunks]
    b_gen, b_exe = two_term_bounds(bare)
    ran = [s for s in record.get("statements", []) if s.get("started_at") is not None]
    finished = [_f(s["finished_at"]) for s in ran if s.get("finished_at") is not None]
    if record.get("mode") == "serial":
        # statements' own finish times are unknown: the earliest any output can appear is the cell start
        first_output = min((_f(s["started_at"]) for s in ran), default=None)
    else:
        first_output = min(finished, default=None)
    setups = [_f(b.get("setup_s")) for b in record.get("batches", [])]
    delays = [c.detection_delay for c in chunks] if record.get("mode") != "serial" else []
    return RunAnalysis(
        end_to_end_s=e2e,
        non_overlapped_s=max(0.0, e2e - done),
        lower_bound_s=lower,
        predicted_s=closed_form(_with_holds(chunks, _f(gen_done, done))),
        gate_bound_s=gated,
        bound_ratio=e2e / lower if lower > 0 else None,
        gate_bound_ratio=e2e / gated if gated > 0 else None,
        within_goal=e2e <= GOAL_FACTOR * lower + GOAL_SLACK_S,
        within_gate_goal=e2e <= GOAL_FACTOR * gated + GOAL_SLACK_S,
        nel_floor_s=max(0.0, lower - done),
        first_token_s=record.get("first_token_at"),
        generation_done_s=gen_done,
        generation_end_s=done,
        first_output_s=first_output,
        bound_generation_s=b_gen,
        bound_execution_s=b_exe,
        upper_bound_s=upper_bound(chunks, done),
        statements=len(record.get("statements", [])),
        ran=len(ran),
        held=sum(1 for c in chunks if c.held),
        batches=len(record.get("batches", [])),
        setup_median_s=_median(setups),
        setup_total_s=sum(setups),
        detection_delay_median_s=_median(delays),
        detection_delay_max_s=max(delays, default=None),
        run_total_s=sum(c.run_s for c in chunks),
        last_run_s=chunks[-1].run_s if chunks else None,
    )
