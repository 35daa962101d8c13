"""The paper's formulas over run records, checked against hand-computed examples."""

from __future__ import annotations

import random
from typing import Any

import pytest

from eager_jupyter.latency import (
    Timing,
    analyse,
    chunks_from_record,
    closed_form,
    critical_path,
    gate_bound,
    generation_end,
    max_useful_chunks,
    recurrence,
    reduction,
    serial_model,
    two_term_bounds,
    upper_bound,
)

# A slow middle chunk: generated at 1, 2 and 3 s, running 0.5, 3 and 0.2 s,
# each detected 0.1 s late and paying 0.01 s of setup.
SLOW_MIDDLE = [
    Timing(generated_at=1.0, run_s=0.5, detection_delay=0.1, setup_s=0.01),
    Timing(generated_at=2.0, run_s=3.0, detection_delay=0.1, setup_s=0.01),
    Timing(generated_at=3.0, run_s=0.2, detection_delay=0.1, setup_s=0.01),
]


def test_closed_form_by_hand() -> None:
    # i=1: 1.1 + 3.73 = 4.83; i=2: 2.1 + 3.22 = 5.32; i=3: 3.1 + 0.21 = 3.31
    assert closed_form(SLOW_MIDDLE) == pytest.approx(5.32)
    # t: 1.1 + 0.51 = 1.61; max(1.61, 2.1) + 3.01 = 5.11; max(5.11, 3.1) + 0.21 = 5.32
    assert recurrence(SLOW_MIDDLE) == pytest.approx(5.32)


def test_critical_path_beats_the_two_term_bound() -> None:
    # t: 1 + 0.5 = 1.5; max(1.5, 2) + 3 = 5; max(5, 3) + 0.2 = 5.2
    assert critical_path(SLOW_MIDDLE) == pytest.approx(5.2)
    bare = [Timing(c.generated_at, c.run_s) for c in SLOW_MIDDLE]
    gen, exe = two_term_bounds(bare)
    assert gen == pytest.approx(3.2)  # last token + last run
    assert exe == pytest.approx(4.7)  # first chunk + all the execution
    assert max(gen, exe) < critical_path(SLOW_MIDDLE)


def test_two_term_bounds_with_overheads() -> None:
    gen, exe = two_term_bounds(SLOW_MIDDLE)
    assert gen == pytest.approx(3.0 + 0.1 + 0.01 + 0.2)
    assert exe == pytest.approx(1.0 + 0.1 + 3 * 0.01 + 3.7)
    assert two_term_bounds([]) == (0.0, 0.0)


def test_upper_bound_and_serial_model() -> None:
    # generation ends at 3.5: 3.5 + max δ 0.1 + 3 * 0.01 + 3.7
    assert upper_bound(SLOW_MIDDLE, 3.5) == pytest.approx(7.33)
    assert serial_model(3.5, 0.05, 3.7) == pytest.approx(7.25)
    assert closed_form(SLOW_MIDDLE) <= upper_bound(SLOW_MIDDLE, 3.5)


def test_closed_form_equals_recurrence_random() -> None:
    rng = random.Random(6)
    for _ in range(500):
        t, chunks = 0.0, []
        for _ in range(rng.randint(0, 12)):
            t += rng.expovariate(2.0)
            chunks.append(Timing(t, rng.expovariate(1.0), rng.random() * 0.05, rng.random() * 0.01))
        assert closed_form(chunks) == pytest.approx(recurrence(chunks))
        lower = critical_path(chunks)
        assert lower <= closed_form(chunks) + 1e-12
        assert max(two_term_bounds([Timing(c.generated_at, c.run_s) for c in chunks])) <= lower + 1e-12


def test_gate_bound_holds_until_generation_ends() -> None:
    chunks = [Timing(1.0, 0.5), Timing(2.0, 1.0, held=True), Timing(3.0, 0.2, held=True)]
    assert critical_path(chunks) == pytest.approx(3.2)  # 1.5; 3.0; 3.2
    # generation ends at 4: the held ones run 4 -> 5 -> 5.2
    assert gate_bound(chunks, 4.0) == pytest.approx(5.2)
    assert gate_bound(chunks[:1], 4.0) == critical_path(chunks[:1])


def test_small_formulas() -> None:
    assert reduction(0.627, 1.0) == pytest.approx(-0.373)
    assert reduction(1.0, 0.0) is None
    assert max_useful_chunks(10.0, 4.0, 0.001) == pytest.approx(6000)
    assert max_useful_chunks(1.0, 4.0, 0.001) == 0.0
    assert max_useful_chunks(1.0, 0.0, 0.0) == float("inf")


def _stmt(index: int, gen: float, rel: float, start: float | None, end: float | None, batch: int | None,
          **extra: Any) -> dict[str, Any]:
    run = None if start is None or end is None else end - start
    return {"index": index, "code": f"s{index}\n", "generated_at": gen, "released_at": rel,
            "started_at": start, "finished_at": end, "batch": batch, "run_s": run,
            "detection_delay": rel - gen, "status": "done" if end is not None else "skipped",
            "held_reason": None, **extra}


def _eager_record() -> dict[str, Any]:
    # Statement 0 runs alone (batch 0, setup 2 ms); statements 1 and 2 were released while it ran and
    # run together in batch 1 (setup 3 ms, charged to statement 1); statement 3 runs alone (batch 2).
    return {
        "mode": "eager",
        "first_token_at": 0.5,
        "generation_done_at": 4.0,
        "end_to_end": 4.5,
        "non_overlapped": 0.5,
        "statements": [
            _stmt(0, 1.0, 1.01, 1.012, 2.512, 0),
            _stmt(1, 1.8, 2.513, 2.516, 2.616, 1),
            _stmt(2, 2.2, 2.513, 2.616, 3.116, 1),
            _stmt(3, 3.9, 3.905, 3.907, 4.5, 2),
        ],
        "batches": [
            {"batch": 0, "handed_at": 1.01, "setup_s": 0.002, "statements": [0]},
            {"batch": 1, "handed_at": 2.513, "setup_s": 0.003, "statements": [1, 2]},
            {"batch": 2, "handed_at": 3.905, "setup_s": 0.002, "statements": [3]},
        ],
    }


def test_chunks_from_eager_record_charge_setup_per_batch() -> None:
    chunks = chunks_from_record(_eager_record())
    assert [c.setup_s for c in chunks] == [0.002, 0.003, 0.0, 0.002]
    assert [round(c.run_s, 6) for c in chunks] == [1.5, 0.1, 0.5, 0.593]
    assert [round(c.detection_delay, 6) for c in chunks] == [0.01, 0.713, 0.313, 0.005]


def test_analyse_eager_record() -> None:
    a = analyse(_eager_record())
    # critical path: 1 + 1.5 = 2.5; max(2.5, 1.8) + 0.1 = 2.6; + 0.5 = 3.1; max(3.1, 3.9) + 0.593 = 4.493
    assert a.lower_bound_s == pytest.approx(4.493)
    # prediction: 1.01 + .002 + 1.5 = 2.512; max(2.512, 2.513) + .003 + .1 = 2.616; max(2.616, 2.513) + .5
    # = 3.116; max(3.116, 3.905) + .002 + .593 = 4.5
    assert a.predicted_s == pytest.approx(4.5)
    assert a.generation_end_s == 4.0 == a.generation_done_s
    assert a.end_to_end_s == 4.5 and a.non_overlapped_s == pytest.approx(0.5)
    assert a.bound_ratio == pytest.approx(4.5 / 4.493)
    assert a.within_goal and a.within_gate_goal and a.gate_bound_s == a.lower_bound_s
    # what the critical path leaves after generation (4.0): the last statement's run, less the 0.1 s
    # the stream took after its last character
    assert a.nel_floor_s == pytest.approx(0.493)
    assert a.first_output_s == pytest.approx(2.512)
    assert a.last_run_s == pytest.approx(0.593)
    assert (a.statements, a.ran, a.held, a.batches) == (4, 4, 0, 3)
    assert a.setup_median_s == pytest.approx(0.002) and a.setup_total_s == pytest.approx(0.007)
    assert a.detection_delay_max_s == pytest.approx(0.713)
    assert a.run_total_s == pytest.approx(2.693)
    assert (a.bound_generation_s, a.bound_execution_s) == pytest.approx((4.493, 3.693))


def test_analyse_held_statement() -> None:
    rec = _eager_record()
    rec["generation_done_at"] = 3.9
    # the gate held statement 2 (and so 3) until generation ended (3.9): 3.9 + 0.5 + 0.593 = 4.993
    rec["statements"][1].update(started_at=2.516, finished_at=2.616)
    rec["statements"][2].update(held_reason="uses os", started_at=3.905, finished_at=4.405, batch=2)
    rec["statements"][3].update(held_reason="after a held statement", started_at=4.405, finished_at=4.998,
                                batch=2)
    rec["batches"][2]["statements"] = [2, 3]
    rec["end_to_end"] = 4.998
    a = analyse(rec)
    assert a.held == 2
    assert a.lower_bound_s == pytest.approx(4.493)
    assert a.gate_bound_s == pytest.approx(4.993)
    assert not a.within_goal  # 4.998 > 1.03 * 4.493 + 0.02: the gate's cost, not the engine's
    assert a.gate_bound_ratio == pytest.approx(4.998 / 4.993)
    # prediction: 2.616 as before; the held ones are handed over at the end of generation (3.9),
    # 3.9 + 0.002 setup + 0.5 + 0.593 = 4.995
    assert a.predicted_s == pytest.approx(4.995)
    assert a.within_gate_goal


def test_analyse_serial_record() -> None:
    # generation ends at 4.0; the cell is handed over (setup 10 ms) and runs 4.01 -> 6.71
    rec = {
        "mode": "serial", "first_token_at": 0.5, "generation_done_at": 4.0, "end_to_end": 6.71,
        "non_overlapped": 2.71,
        "statements": [_stmt(i, g, 4.0, 4.01, 6.71, 0) for i, g in enumerate([1.0, 1.8, 2.2, 3.9])],
        "batches": [{"batch": 0, "handed_at": 4.0, "setup_s": 0.01, "statements": [0, 1, 2, 3]}],
    }
    a = analyse(rec)
    assert a.lower_bound_s == pytest.approx(4.0 + 2.7)
    assert a.predicted_s == pytest.approx(serial_model(4.0, 0.01, 2.7))
    assert a.first_output_s == pytest.approx(4.01)
    assert a.run_total_s == pytest.approx(2.7) and a.ran == 4
    # without a batch the setup is the gap from the end of generation to the start of the cell
    rec["batches"] = []
    for s in rec["statements"]:
        s["batch"] = None
    assert chunks_from_record(rec) == [Timing(4.0, pytest.approx(2.7), 0.0, pytest.approx(0.01))]


def test_generation_end_is_the_records_stamp() -> None:
    rec = _eager_record()
    rec["generation_done_at"] = 6.9  # the producer stamped it: taken as it is
    assert analyse(rec).generation_end_s == 6.9 and generation_end(rec) == 6.9
    rec["generation_done_at"] = None  # a record without it: the caller's default (analyse: the end)
    assert generation_end(rec, 2.0) == 2.0 and analyse(rec).generation_end_s == rec["end_to_end"]


def test_analyse_empty_and_failed_runs() -> None:
    a = analyse({"mode": "eager", "end_to_end": 0.3, "generation_done_at": 0.3, "statements": []})
    assert a.lower_bound_s == 0.0 and a.bound_ratio is None and a.ran == 0 and a.last_run_s is None
    rec = _eager_record()
    # statement 2 failed: it ran (finished_at set), statement 3 was skipped, generation stopped at 3.2
    rec["statements"][2]["status"] = "error"
    rec["statements"][3].update(started_at=None, finished_at=None, run_s=None, status="skipped")
    rec.update(generation_done_at=3.2, end_to_end=3.116, non_overlapped=0.0)
    a = analyse(rec)
    assert a.ran == 3 and a.lower_bound_s == pytest.approx(3.1)
    assert a.within_goal
