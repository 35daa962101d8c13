"""An agent episode's events through the record and the plain view (no kernel): the steps folded into
``RunRecord.steps``, a step line before each step's blocks, the answer last, the saved outputs when
the widget hands over (``write_rest``), and the episode's figures."""

from __future__ import annotations

from typing import Any

import pytest
from test_widget_state import replay_deltas

from eager_jupyter.events import (
    GenerationEnded,
    PieceStreamed,
    RunEnded,
    RunStarted,
    StatementFailed,
    StatementFinished,
    StatementReleased,
    StatementStarted,
    StepEnded,
    StepStarted,
)
from eager_jupyter.record import RecordBuilder
from eager_jupyter.views import outputs
from eager_jupyter.views.plain import PlainView
from eager_jupyter.views.widget.state import LiveState, op

EPISODE: list[Any] = [
    RunStarted(0.0, "anthropic agent", "eager", "claude"),
    StepStarted(0.0, 1),
    PieceStreamed(0.5, "Let me look.", "prose"),
    PieceStreamed(0.6, "a = 1\n", "code", 0),
    StatementReleased(0.6, 0, "a = 1\n", 1, 0.6, 0),
    StatementStarted(0.61, 0, 1),
    StatementFinished(0.62, 0, 0.01),
    PieceStreamed(0.7, "b = a / 0\nc = 3", "code", 6),
    StatementReleased(0.7, 1, "b = a / 0\n", 2, 0.7, 6),
    StatementStarted(0.71, 1, 2),
    StatementFailed(0.72, 1, 0.01, "ZeroDivisionError: division by zero"),
    GenerationEnded(0.72, True, {"input_tokens": 100, "output_tokens": 9}),
    StepEnded(0.75, 1, "Traceback ...\nZeroDivisionError: division by zero"),
    StepStarted(0.75, 2),
    PieceStreamed(1.2, "Fixing.", "prose"),
    PieceStreamed(1.3, "b = a\n", "code", 0),
    StatementReleased(1.3, 2, "b = a\n", 1, 1.3, 0),
    StatementStarted(1.31, 2, 3),
    StatementFinished(1.32, 2, 0.01),
    GenerationEnded(1.4, False, {"input_tokens": 150, "output_tokens": 5}),
    StepEnded(1.41, 2, "(no output)"),
    StepStarted(1.41, 3),
    PieceStreamed(1.9, "b is 1.", "prose"),
    GenerationEnded(2.0, False, {"input_tokens": 170, "output_tokens": 4}),
    StepEnded(2.0, 3, None),
    RunEnded(2.01, "ok"),
]


class Display:
    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], dict[str, Any]]] = []

    def __call__(self, bundle: dict[str, str], **kw: Any) -> None:
        self.calls.append((bundle, kw))

    def parts(self) -> list[tuple[str, Any]]:
        out = []
        for bundle, kw in self.calls:
            meta = kw.get("metadata", {}).get("eager_jupyter", {})
            if kw.get("update") or meta.get("part") not in ("step", "statement"):
                continue
            out.append((meta["part"], meta.get("step", meta.get("index")), bundle["text/plain"]))
        return out


def test_steps_fold_into_the_record() -> None:
    builder = RecordBuilder()
    for event in EPISODE:
        builder.handle(event)
    rec = builder.record
    assert [s.step for s in rec.steps] == [1, 2, 3]
    one, two, three = rec.steps
    assert (one.text, one.code) == ("Let me look.", "a = 1\nb = a / 0\nc = 3")
    assert [s.index for s in one.statements] == [0, 1]
    assert one.tool_result.endswith("division by zero") and three.tool_result is None
    times = (one.requested_at, one.first_token_at, one.generation_done_at, one.finished_at)
    assert times == (0.0, 0.5, 0.72, 0.75)
    assert (two.code, two.statements[0].offset) == ("b = a\n", len(one.code))  # run-wide offsets
    assert rec.program == "a = 1\nb = a / 0\nb = a\n"
    assert rec.usage == {"input_tokens": 420, "output_tokens": 18}
    assert rec.end_to_end == 2.0  # the answer ends the episode
    assert rec.non_overlapped == 0.0
    assert rec.serial_estimate is not None and abs(rec.serial_estimate - (0.72 + 0.65 + 0.59 + 0.03)) < 1e-9
    assert op(StepStarted(0.75, 2), rec) == ["N", 2, 750, rec.code_length, rec.prose_length]


@pytest.mark.parametrize("every", [1, 4, 100])
def test_the_live_widget_draws_each_steps_words_before_its_statements(every: int) -> None:
    """The frontend's RunState (node) finds each step's start, words and first statement, whether
    each event goes in its own delta or many in one (a step's N op after its own prose and code)."""
    builder, state, deltas = RecordBuilder(), LiveState(), []
    for k, event in enumerate(EPISODE):
        builder.handle(event)
        state.apply(event, builder.record)
        if (k + 1) % every == 0 and state.has_changes():
            deltas.append(state.take_delta())
    if state.has_changes():
        deltas.append(state.take_delta())
    result = replay_deltas(deltas, state.snapshot())
    assert result["live"] == result["snapshot"] == result["saved"]
    steps = [(s["step"], s["first"], s["words"]) for s in result["live"]["steps"]]
    assert steps == [(1, 0, "Let me look."), (2, 2, "Fixing."), (3, 3, "b is 1.")]


@pytest.mark.parametrize("first_count", [9, None])
def test_the_header_counts_the_tokens_of_the_whole_episode(first_count: int | None) -> None:
    """Each step's tokens add to those before it (the header once showed the last step's alone: fewer
    tokens at step 4 than at step 3), a step still generating adds its pieces, and a step whose
    stream was closed early with no count from the model counts the pieces it streamed (3 here)."""
    usage = {"input_tokens": 100, "output_tokens": first_count} if first_count else {}
    episode = [GenerationEnded(0.72, True, usage) if e is EPISODE[11] else e for e in EPISODE]
    builder, state, deltas = RecordBuilder(), LiveState(), []
    for event in episode:
        builder.handle(event)
        state.apply(event, builder.record)
        if state.has_changes():
            deltas.append(state.take_delta())
    first = first_count or 3
    assert builder.record.tokens == first + 5 + 4
    result = replay_deltas(deltas, state.snapshot())
    assert result["tokens"] == sorted(result["tokens"]), result["tokens"]  # never goes down
    assert result["tokens"][-1] == result["live"]["tokens"] == result["saved"]["tokens"] == first + 9
    assert result["snapshot"]["tokens"] == first + 9
    at_step_2 = [t for t, d in zip(result["tokens"], deltas, strict=True) if "Fixing." in d.get("p", "")]
    assert at_step_2 == [first + 1]  # step 1's tokens and step 2's first piece


def test_phase_and_rate_of_an_episode_are_those_of_its_current_step() -> None:
    """Step 2 generating says "generating" (not "running" because step 1's generation ended), and
    tokens/s is over each step's own first to last piece, not the time between steps (the episode's
    whole span gave 5 tok/s here)."""
    builder = RecordBuilder()
    phases = []
    for event in EPISODE:
        builder.handle(event)
        phases.append((type(event).__name__, builder.record.phase))
    assert phases[13:15] == [("StepStarted", "generating"), ("PieceStreamed", "generating")]
    assert phases[11] == ("GenerationEnded", "running")
    # step 1: 9 tokens (the model's count) in pieces from 0.5 s to 0.7 s; step 2: 5 tokens from
    # 1.2 s to 1.3 s; step 3 one piece (no span): 8 + 4 tokens after the first in 0.3 s
    assert builder.record.tokens_per_second == pytest.approx(12 / 0.3)


def test_only_what_runs_while_a_step_is_written_is_overlapped() -> None:
    """The header's "overlapped": a statement that runs on after its step's generation ended, until
    the next request, was hidden behind nothing for that part (it once counted up to the episode's
    last generation end)."""
    events: list[Any] = [
        RunStarted(0.0, "anthropic agent", "eager", "claude"),
        StepStarted(0.0, 1),
        PieceStreamed(0.5, "a = slow()\n", "code", 0),
        StatementReleased(0.55, 0, "a = slow()\n", 1, 0.55, 0),
        StatementStarted(0.6, 0, 1),
        GenerationEnded(0.7, False, {"output_tokens": 4}),
        StatementFinished(1.0, 0, 0.4),
        StepEnded(1.0, 1, "(no output)"),
        StepStarted(1.0, 2),
        PieceStreamed(1.5, "b = 2\n", "code", 0),
        StatementReleased(1.5, 1, "b = 2\n", 1, 1.5, 0),
        StatementStarted(1.5, 1, 2),
        StatementFinished(1.6, 1, 0.1),
        GenerationEnded(2.0, False, {"output_tokens": 3}),
        StepEnded(2.0, 2, None),
        RunEnded(2.0, "ok"),
    ]
    builder, state = RecordBuilder(), LiveState()
    for event in events:
        builder.handle(event)
        state.apply(event, builder.record)
    result = replay_deltas([state.take_delta()], state.snapshot())
    # a: 0.6-0.7 while step 1 was written; b: 1.5-1.6 while step 2 was
    assert result["live"]["overlapped"] == result["saved"]["overlapped"] == pytest.approx(200, abs=2)
    # the timeline's top bar: one per step, request to generation's end (not one bar, 0.5 to 2.0 s)
    assert result["live"]["windows"] == result["saved"]["windows"] == [[0, 700], [1000, 2000]]


def test_the_live_widget_shows_prose_without_the_fence_lines() -> None:
    """A markdown reply's fence lines reach the record as prose; the frontend shows the words only,
    as the saved outputs do (``outputs.prose_text``)."""
    builder, state = RecordBuilder(), LiveState()
    prose = "Here is the code:\n```python\n```\nIt prints 3.\n"
    for event in [RunStarted(0.0, "replay", "eager"), PieceStreamed(0.1, prose, "prose")]:
        builder.handle(event)
        state.apply(event, builder.record)
    result = replay_deltas([state.take_delta()], state.snapshot())
    assert result["live"]["shownProse"] == outputs.prose_text(prose) == "Here is the code:\nIt prints 3."


def test_the_plain_view_shows_a_line_before_each_step() -> None:
    display, builder = Display(), RecordBuilder()
    view = PlainView(display, updates_per_second=1000)
    for event in EPISODE:
        builder.handle(event)
        view.handle(event, builder.record)
    view.close()
    assert display.parts() == [
        ("step", 1, "step 1\nLet me look."),
        ("statement", 0, "a = 1"),
        ("statement", 1, "b = a / 0"),  # shown when it starts; its failure is an update
        ("step", 2, "step 2\nFixing."),
        ("statement", 2, "b = a"),
        ("step", 3, "b is 1."),
    ]
    shown = [b["text/markdown"] for b, kw in display.calls if not kw.get("update")]
    assert "**step 2**\n\nFixing." in shown and "Let me look.Fixing.b is 1." not in "".join(shown)
    final = [b for b, kw in display.calls if kw.get("update") and kw["display_id"].endswith("head")][-1]
    assert "3 steps" in final["text/plain"] and "Let me look." not in final["text/markdown"]


def test_the_hand_over_writes_the_same_order() -> None:
    builder = RecordBuilder()
    for event in EPISODE:
        builder.handle(event)
    display = Display()
    outputs.write_rest(display, builder.record, "run", set())
    assert [(p, n) for p, n, _ in display.parts()] == [
        ("step", 1), ("statement", 0), ("statement", 1), ("step", 2), ("statement", 2), ("step", 3)
    ]
    parts = [kw.get("metadata", {}).get("eager_jupyter", {}).get("part") for _, kw in display.calls]
    assert "prose" not in parts  # the words are in the step lines
