"""Revisions in the views (issue 18): the widget state cuts its text at a revision (delta ``k``), a
statement withdrawn before it ran reads "not run: revised", and the saved outputs' notes say when a
statement was revised after it ran and when one re-ran after a revision."""

from __future__ import annotations

from test_widget_state import Sim, _replay_in_node

from eager_jupyter.events import (
    PieceStreamed,
    RunStarted,
    StatementFinished,
    StatementHeld,
    StatementReleased,
    StatementStarted,
    StatementWithdrawn,
    TextRevised,
)
from eager_jupyter.record import RecordBuilder
from eager_jupyter.views.outputs import STATEMENT_MIME, note, statement
from eager_jupyter.views.widget.state import LiveState


def revised_run() -> Sim:
    sim = Sim(LiveState())
    for event in [
        RunStarted(0.0, "s", "eager"),
        PieceStreamed(0.1, "x = 1\n", "code", 0),
        StatementReleased(0.1, 0, "x = 1\n", 1, 0.1, 0),
        StatementStarted(0.1, 0, 1),
        StatementFinished(0.2, 0, 0.1),
        PieceStreamed(0.2, "y = f(", "code", 6),
    ]:
        sim.apply(event)
    sim.deltas.append((0.2, sim.state.take_delta()))
    for event in [
        TextRevised(0.3, 4, 0, 4),
        StatementWithdrawn(0.3, 0, "revised after it ran"),
        PieceStreamed(0.3, "2\ny = 3\n", "code", 4),
        StatementReleased(0.3, 1, "x = 2\n", 1, 0.3, 0, rerun_of=0),
        StatementReleased(0.3, 2, "y = 3\n", 2, 0.3, 6),
    ]:
        sim.apply(event)
    sim.deltas.append((0.3, sim.state.take_delta()))
    return sim


def test_the_widget_state_cuts_its_text_at_a_revision() -> None:
    sim = revised_run()
    first, second = (d for _, d in sim.deltas)
    assert first["c"] == "x = 1\ny = f("
    assert second["k"] == [4, 0] and second["c"] == "2\ny = 3\n"
    code = ""
    for _, delta in sim.deltas:  # what the frontend does
        code = code[: delta.get("k", [len(code)])[0]] + delta.get("c", "")
    assert code == sim.state.snapshot()["c"] == "x = 2\ny = 3\n"
    rec = sim.builder.record
    (revision,) = rec.revisions
    assert (revision.offset, revision.withdrawn, revision.new) == (4, "1\ny = f(", "2\ny = 3\n")


def test_the_frontend_applies_the_cut_like_the_snapshot() -> None:
    result = _replay_in_node(revised_run())
    assert result["live"]["code"] == result["snapshot"]["code"] == "x = 2\ny = 3\n"
    assert result["live"]["statements"] == result["snapshot"]["statements"]
    # the revised statement is drawn as it ran, not from the revised text; the rerun from the new
    assert result["live"]["blocks"] == result["snapshot"]["blocks"] == ["x = 1", "x = 2", "y = 3"]
    first = result["live"]["statements"][0]
    assert (first["text"], first["note"], first["status"]) == ("x = 1\n", "revised after it ran", "done")
    # the live widget says a rerun is one, as the saved outputs do (outputs.note)
    rerun, after = result["live"]["statements"][1:]
    assert rerun["note"] == "re-ran after a revision (statement 1)" and after["note"] is None
    for other in ("snapshot", "saved"):
        assert result[other]["statements"][1]["note"] == rerun["note"]


def test_a_statement_withdrawn_before_it_ran_is_drawn_as_it_was_struck_out() -> None:
    sim = Sim(LiveState())
    for event in [
        RunStarted(0.0, "s", "eager"),
        PieceStreamed(0.1, "import subprocess\nsubprocess.run(cmd, shell=True)\n", "code", 0),
        StatementReleased(0.1, 0, "import subprocess\n", 1, 0.1, 0),
        StatementReleased(0.1, 1, "subprocess.run(cmd, shell=True)\n", 2, 0.1, 18),
        StatementHeld(0.1, 1, "runs a process or shell command: subprocess.run"),
    ]:
        sim.apply(event)
    sim.deltas.append((0.1, sim.state.take_delta()))
    sim.apply(TextRevised(0.2, 33, 0, 33))  # the cut goes in one delta, the withdrawal in the next
    sim.apply(PieceStreamed(0.2, "[\"ls\"])\n", "code", 33))
    sim.deltas.append((0.2, sim.state.take_delta()))
    sim.apply(StatementWithdrawn(0.25, 1))
    sim.apply(StatementReleased(0.3, 2, "subprocess.run([\"ls\"])\n", 2, 0.3, 18))
    sim.deltas.append((0.3, sim.state.take_delta()))
    result = _replay_in_node(sim)
    assert result["live"] == result["snapshot"] == result["saved"]
    blocks = result["live"]["blocks"]
    assert blocks == ["import subprocess", "subprocess.run(cmd, shell=True)", 'subprocess.run(["ls"])']
    withdrawn = result["live"]["statements"][1]
    assert withdrawn["status"] == "skipped" and withdrawn["note"] == "revised"


def test_notes_for_revised_statements() -> None:
    builder = RecordBuilder()
    for event in [
        StatementReleased(0.1, 0, "x = 1\n", 1, 0.1, 0),
        StatementFinished(0.2, 0, 0.1),
        StatementWithdrawn(0.3, 0, "revised after it ran"),
        StatementReleased(0.3, 1, "x = 2\n", 1, 0.3, 0, rerun_of=0),
        StatementReleased(0.3, 2, "y = 3\n", 2, 0.3, 6),
        StatementWithdrawn(0.4, 2),
    ]:
        builder.handle(event)
    first, rerun, withdrawn = builder.record.statements
    assert note(first) == "revised after it ran"
    assert note(rerun) == "re-ran after a revision (statement 1)"
    assert note(withdrawn) == "not run: revised"
    assert (withdrawn.status, withdrawn.revised) == ("skipped", True)
    # the saved blocks carry a revised statement's text, which the labextension draws as the live view
    saved = [statement(s, "run", rich=True)[0][STATEMENT_MIME] for s in builder.record.statements]
    assert [b.get("text") for b in saved] == ["x = 1\n", None, "y = 3\n"]
    # and the HTML strikes out the one withdrawn before it ran (a frontend without the extension)
    pages = [statement(s, "run")[0]["text/html"] for s in builder.record.statements]
    assert ["line-through" in p for p in pages] == [False, False, True]
