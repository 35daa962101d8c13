"""Approval of held statements (``Eager.approve``) with a real in-process shell: the decision function
(prompt, answers, no frontend), the engine's handling of each choice, and the magic's setting, which
generated code cannot change during a run. A real kernel's stdin channel: ``test_approval_kernel.py``."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import StdinNotImplementedError

from eager_jupyter.approval import TRIES, Decision, approver, parse, prompt
from eager_jupyter.engine import Engine
from eager_jupyter.errors import EagerError, NotApproved, StatementError
from eager_jupyter.gate import Gate
from eager_jupyter.record import StatementRecord
from eager_jupyter.sources import ReplaySource


class Answers:
    """An ``ask`` function: answers in turn, with every prompt kept."""

    def __init__(self, *answers: str | BaseException) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, text: str) -> str:
        self.prompts.append(text)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


class Paused:
    """A source that streams ``first``, then waits until the program calls ``hook()``; ``hook``
    returns only once the source has ended, so the rest is released together with the end of
    generation: statements free to run are still queued when the approval is asked for."""

    label, model, kind = "paused", None, "code"

    def __init__(self, first: str, rest: str) -> None:
        self.first, self.rest = first, rest
        self.go = threading.Event()
        self.usage: dict[str, int] = {}

    def stream(self) -> Iterator[str]:
        yield self.first
        self.go.wait(10)
        yield self.rest

    def close(self) -> None:
        self.go.set()


FIRST = "a = 1\nhook()\n"
FREE = {"a": "done", "hook": "done"}  # statements that ran while generating
REST = "c = 5\np.write_text('written')\nd = 6\n"


def run_paused(ip: Any, tmp_path: Path, approve: Any) -> tuple[Engine, Path]:
    source = Paused(FIRST, REST)
    target = tmp_path / "out.txt"
    engine = Engine(ip, source, gate=Gate(), approve=approve)

    def hook() -> None:
        source.go.set()
        assert engine._producer is not None
        engine._producer.join(10)  # the source has ended: its Ended is queued

    ip.user_ns.update(hook=hook, p=target)
    return engine, target


def statuses(engine: Engine) -> dict[str, str]:
    return {s.code.split("(")[0].split(" ")[0].strip(): s.status for s in engine.record.statements}


# ---- the decision function -------------------------------------------------------------------------
def held_records() -> list[StatementRecord]:
    first = StatementRecord(2, "# write it\np.write_text('x')\n", 4, 0.0, 0.0)
    first.held_reason = "writes or deletes files: p.write_text (pathlib.Path.write_text)"
    second = StatementRecord(3, "for i in range(3):\n    print(i)\n", 6, 0.0, 0.0)
    second.held_reason = "after a held statement (writes or deletes files: p.write_text)"
    return [first, second]


def test_prompt_lists_each_held_statement_with_its_line_and_reason():
    text = prompt(held_records(), "Eager.approve = 'ask'")
    lines = text.splitlines()
    assert lines[0] == "2 statements held until you approve (Eager.approve = 'ask'):"
    assert "3. line 5: p.write_text('x')" in lines[1]
    assert lines[2].strip() == "held: writes or deletes files: p.write_text (pathlib.Path.write_text)"
    assert "4. line 6: for i in range(3): …" in lines[3]
    assert "after a held statement" in lines[4]
    assert lines[-1] == "Run them? r = run all, s = skip held, x = stop the run: "


def test_answers():
    assert [parse(a) for a in ["r", " R ", "run all", "s", "Skip", "x", "stop", "", "y", "rx"]] == [
        "run", "run", "run", "skip", "skip", "stop", "stop", None, None, None
    ]


def test_auto_has_no_function_and_a_bad_policy_is_refused():
    assert approver("auto") is None
    with pytest.raises(ValueError):
        approver("sometimes")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("r", Decision("run")),
        ("s", Decision("skip", "not approved")),
        ("x", Decision("stop", "not approved", "2 held statements were not approved; the run stopped")),
    ],
)
def test_each_answer(answer, expected):
    ask = Answers(answer)
    approve = approver("ask", ask)
    assert approve is not None
    assert approve(held_records()) == expected
    assert len(ask.prompts) == 1 and "p.write_text('x')" in ask.prompts[0]


def test_an_unknown_answer_is_asked_again_a_bounded_number_of_times():
    ask = Answers("maybe", "s")
    approve = approver("ask", ask)
    assert approve is not None
    assert approve(held_records()).choice == "skip"
    assert ask.prompts[1].startswith("'maybe' is not one of r, s, x")
    ask = Answers(*["?"] * TRIES)
    approve = approver("ask", ask)
    assert approve is not None
    assert approve(held_records()).choice == "stop"
    assert len(ask.prompts) == TRIES and not ask.answers


def test_end_of_input_stops():
    approve = approver("ask", Answers(EOFError()))
    assert approve is not None and approve(held_records()).choice == "stop"


@pytest.mark.parametrize("ask", [None, Answers(StdinNotImplementedError("no stdin"))])
def test_ask_without_a_frontend_acts_as_deny_and_says_so(ask):
    approve = approver("ask", ask)
    assert approve is not None
    decision = approve(held_records())
    assert decision.choice == "skip"
    why = "no frontend can answer, so Eager.approve = 'ask' acts as 'deny'"
    assert decision.reason == f"held statements are not run: {why}"
    assert decision.error == f"2 held statements not run: {why}"


def test_deny_names_where_the_policy_came_from():
    approve = approver("deny", setting="--approve deny")
    assert approve is not None
    decision = approve(held_records())
    assert decision == Decision(
        "skip", "held statements are not run: --approve deny", "2 held statements not run: --approve deny"
    )


# ---- the engine, for each choice -------------------------------------------------------------------
def test_run_all_runs_the_held_statements(ip, tmp_path):
    ask = Answers("r")
    engine, target = run_paused(ip, tmp_path, approver("ask", ask))
    record = engine.run()
    assert record.status == "ok"
    assert set(statuses(engine).values()) == {"done"}
    assert target.read_text() == "written" and ip.user_ns["d"] == 6
    assert len(ask.prompts) == 1
    assert "3. line 3: c = 5" not in ask.prompts[0]  # free to run: not asked about
    assert "4. line 4: p.write_text('written')" in ask.prompts[0]
    assert "5. line 5: d = 6" in ask.prompts[0]


def test_skip_held_runs_the_rest_and_the_cell_ends_well(ip, tmp_path):
    engine, target = run_paused(ip, tmp_path, approver("ask", Answers("s")))
    record = engine.run()
    assert record.status == "ok" and record.error is None
    assert statuses(engine) == {**FREE, "c": "done", "p.write_text": "skipped", "d": "skipped"}
    assert {s.skip_reason for s in record.statements if s.status == "skipped"} == {"not approved"}
    assert not target.exists() and "d" not in ip.user_ns


def test_stop_ends_the_run_with_one_line_and_a_final_record(ip, tmp_path):
    engine, target = run_paused(ip, tmp_path, approver("ask", Answers("x")))
    with pytest.raises(NotApproved) as info:
        engine.run()
    assert str(info.value) == "2 held statements were not approved; the run stopped"
    record = engine.record
    assert record.status == "error" and record.error == str(info.value) and record.ended_at is not None
    # c was free to run but had not run yet: stop means nothing more runs
    assert statuses(engine) == {**FREE, "c": "skipped", "p.write_text": "skipped", "d": "skipped"}
    reasons = {s.code.split()[0]: s.skip_reason for s in record.statements if s.status == "skipped"}
    assert reasons == {"c": "the run stopped", "p.write_text('written')": "not approved", "d": "not approved"}
    assert not target.exists() and "c" not in ip.user_ns


def test_deny_runs_what_is_free_then_fails_the_cell(ip, tmp_path):
    engine, target = run_paused(ip, tmp_path, approver("deny"))
    with pytest.raises(NotApproved) as info:
        engine.run()
    assert str(info.value) == "2 held statements not run: Eager.approve = 'deny'"
    record = engine.record
    assert record.status == "error" and record.ended_at is not None
    assert statuses(engine) == {**FREE, "c": "done", "p.write_text": "skipped", "d": "skipped"}
    assert {s.skip_reason for s in record.statements if s.status == "skipped"} == {
        "held statements are not run: Eager.approve = 'deny'"
    }
    assert not target.exists() and ip.user_ns["c"] == 5


def test_a_failure_among_the_free_statements_still_wins_under_deny(ip, tmp_path):
    source = ReplaySource("x = 1\nhook()\ny = 1 / 0\nopen(p, 'w')\n", 2000)
    engine = Engine(ip, source, gate=Gate(), approve=approver("deny"))
    ip.user_ns.update(hook=lambda: engine._producer.join(10), p=tmp_path / "f")
    with pytest.raises(StatementError) as info:
        engine.run()
    assert "ZeroDivisionError" in str(info.value)
    assert engine.record.statements[-1].status == "skipped"


def test_nothing_held_asks_nothing(ip):
    ask = Answers()
    engine = Engine(ip, ReplaySource("a = 1\nb = a + 1\n", 2000), gate=Gate(), approve=approver("ask", ask))
    assert engine.run().status == "ok" and ask.prompts == []


# ---- the setting: read once, and held ----------------------------------------------------------------
@pytest.fixture
def typed(monkeypatch) -> Answers:
    """What the user types at ``input()`` (the in-process shell has no kernel: the magic asks there)."""
    answers = Answers()
    monkeypatch.setattr(builtins, "input", answers)
    return answers


def settings(ip: Any) -> Any:
    from eager_jupyter.magic import Eager

    return next(c for c in ip.configurables if isinstance(c, Eager))


def test_generated_code_cannot_switch_deny_off(ip, tmp_path):
    ip.user_ns["p"] = tmp_path / "out.txt"
    ip.run_line_magic("config", "Eager.approve = 'deny'")
    try:
        body = (
            "a = 1\n"
            "%config Eager.approve = 'auto'\n"
            "get_ipython().config.Eager.approve = 'auto'\n"
            "p.write_text('written')\n"
        )
        result = ip.run_cell(f"%%eager --replay --rate 2000 --view plain\n{body}")
        assert isinstance(result.error_in_exec, EagerError)
        assert str(result.error_in_exec) == "3 held statements not run: Eager.approve = 'deny'"
        record = ip.user_ns["_eager"]
        held = {s.code.strip(): s.held_reason for s in record.statements if s.status == "skipped"}
        assert "changes this extension's settings" in held["%config Eager.approve = 'auto'"]
        assert "changes this extension's settings" in held["get_ipython().config.Eager.approve = 'auto'"]
        assert settings(ip).approve == "deny" and not (tmp_path / "out.txt").exists()
    finally:
        ip.run_line_magic("config", "Eager.approve = 'auto'")


def test_an_approved_change_of_the_setting_does_not_change_the_run_under_way(ip, tmp_path, typed):
    """Round 1 switches to auto (approved), then fails; the repair round's held statement is still
    asked about: the run's policy was read when the cell started."""
    fix = tmp_path / "fix.py"
    fix.write_text("y = 2\nq.write_text('fixed')\n")
    ip.user_ns["q"] = tmp_path / "fixed.txt"
    typed.answers = ["r", "s"]
    try:
        body = "x = 1\n%config Eager.approve = 'auto'\nz = 1 / 0\n"
        options = f"--replay --rate 2000 --view plain --approve ask --fix 1 --fix-replay {fix}"
        result = ip.run_cell(f"%%eager {options}\n{body}")
        assert result.error_in_exec is None, result.error_in_exec
        assert len(typed.prompts) == 2
        assert "%config Eager.approve = 'auto'" in typed.prompts[0]
        assert "(--approve ask)" in typed.prompts[1] and "q.write_text('fixed')" in typed.prompts[1]
        assert settings(ip).approve == "auto"  # approved: it holds for later cells
        assert not (tmp_path / "fixed.txt").exists()
    finally:
        ip.run_line_magic("config", "Eager.approve = 'auto'")


def test_ask_in_a_shell_that_cannot_read_input_acts_as_deny(ip, monkeypatch, tmp_path):
    def no_input(text: str) -> str:
        raise OSError("reading from stdin while output is captured")

    monkeypatch.setattr(builtins, "input", no_input)
    ip.user_ns["p"] = tmp_path / "out.txt"
    cell = "%%eager --replay --rate 2000 --view plain --approve ask\na = 1\np.write_text('w')\n"
    result = ip.run_cell(cell)
    assert str(result.error_in_exec) == (
        "1 held statement not run: no frontend can answer, so --approve ask acts as 'deny'"
    )
    assert [s.status for s in ip.user_ns["_eager"].statements] == ["done", "skipped"]
