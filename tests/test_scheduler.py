from __future__ import annotations

from eager_jupyter.scheduler import Scheduler


def test_everything_released_while_busy_runs_as_one_batch():
    s = Scheduler()
    s.add(0)
    assert s.next_batch() == [0]
    s.add(1)
    s.add(2)
    s.add(3)
    assert s.next_batch() == [1, 2, 3]
    assert s.next_batch() == []
    assert s.idle()


def test_definitions_wait_for_the_next_statement():
    s = Scheduler()
    s.add(0, merge=True)
    assert not s.ready() and s.next_batch() == []
    s.add(1, merge=True)
    assert s.next_batch() == []
    s.add(2)
    assert s.next_batch() == [0, 1, 2]


def test_trailing_definitions_stay_until_generation_ends():
    s = Scheduler()
    s.add(0)
    s.add(1, merge=True)
    assert s.next_batch() == [0]
    assert s.next_batch() == []
    s.end_generation()
    assert s.next_batch() == [1]


def test_held_statements_and_everything_after_wait_for_the_end():
    s = Scheduler()
    s.add(0)
    s.add(1, held=True)
    s.add(2)  # not held by the gate, but after a held one: waits too, order kept
    assert s.next_batch() == [0]
    assert s.next_batch() == [] and s.held == [1, 2]
    s.end_generation()
    assert s.next_batch() == [1, 2]


def test_abort_returns_everything_not_handed_out():
    s = Scheduler()
    s.add(0, merge=True)
    s.add(1, held=True)
    s.add(2)
    assert s.abort() == [0, 1, 2]
    assert s.idle() and s.next_batch() == []


def test_add_says_whether_the_statement_waits():
    s = Scheduler()
    assert s.add(0) == "ready"
    assert s.next_batch() == [0]
    assert s.add(1, held=True) == "held"
    assert s.add(2) == "held"  # after a held statement
    s.end_generation()
    assert s.add(3) == "ready" and s.next_batch() == [1, 2, 3]


def test_drop_held_gives_back_only_the_waiting_statements():
    s = Scheduler()
    s.add(0, merge=True)
    s.add(1, held=True)
    s.add(2)
    assert s.drop_held() == [1, 2]
    s.end_generation()
    assert s.next_batch() == [0] and s.idle()


def test_serial_waits_silently_for_the_end_then_runs_one_batch():
    s = Scheduler("serial")
    assert not s.gated
    assert s.add(0) == "waits" and s.add(1, held=True) == "waits" and s.add(2, merge=True) == "waits"
    assert not s.ready() and s.next_batch() == []
    s.end_generation()
    assert s.next_batch() == [0, 1, 2] and s.idle()


def test_serial_runs_nothing_of_a_failed_generation():
    s = Scheduler("serial")
    s.add(0)
    s.add(1)
    assert s.drop_held() == [0, 1]
    s.end_generation()
    assert s.next_batch() == [] and s.idle()


def test_no_exec_skips_everything():
    s = Scheduler("no-exec")
    assert not s.gated
    assert s.add(0) == "skip" and s.add(1, held=True) == "skip"
    s.end_generation()
    assert s.next_batch() == [] and s.idle()
