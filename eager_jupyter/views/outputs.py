"""The saved outputs of a run: what a notebook keeps, written from the run record in one place.

Both views write them: the plain view as the run goes (a block when a statement starts, the rest at
the end), the widget all at once when it hands over to them (``views.widget``). They read the same
in nbconvert HTML, on GitHub, in VS Code and reopened without a kernel; with the labextension,
JupyterLab draws the header and blocks like the live widget (``RUN_MIME``, ``STATEMENT_MIME``).

Layout of the cell's outputs::

    [header]     source, phase and the run's figures (``summary_line``); the model's words before its
                 code above them; while live, the code still streaming below them
    [block i]    statement i's code (``code_block``), with a note when it is worth a line
      outputs    ...whatever statement i printed or displayed
    [tail]       code generated after the last statement, never run (a cut reply, a stop)
    [prose]      the model's words after its code

An agent run (``--agent``) has steps: each step's blocks follow a step line (``step_line``: "step N"
and the model's words of that step); the final answer is a step line of prose only. The header then
carries no words of the model, and there is no closing prose: the step lines hold it.

Each bundle has ``text/markdown`` (rendered), ``text/html`` (a ``<pre>``: monospace wherever Markdown
fences are drawn in a proportional font, as nbconvert does inside an output) and ``text/plain``. Each
output also says what it is in its metadata, for programs that follow a run's messages or read a saved
notebook (``eager-jupyter replay`` and ``demo`` do), under the key ``eager_jupyter``::

    {"part": "header", "run": id, "state": phase, "started": 3, "held": [[4, reason], ...], "final": false,
     "wall": the request's time.time()}
    {"part": "statement", "run": id, "index": 0, "line": 1, "status": a record.Status,
     "note": text shown under the code or null, "run_s": seconds (once it ran)}
    {"part": "prose", "run": id}
    {"part": "step", "run": id, "step": 2, "statements": [first index, last index + 1]}

``held`` lists every statement the gate held (with why), while live and in the final header.
Notebooks saved before say ``"failed"`` where a status is now ``"error"``; readers accept both.

To validate a change: ``tests/test_plain_view.py``, ``tests/test_plain_persistence.py`` (nbconvert).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from ..record import PHASE_WORDS, STATUS_WORDS, RunRecord, StatementRecord, StepRecord

__all__ = [
    "RUN_MIME",
    "SLOW_S",
    "STATEMENT_MIME",
    "Bundle",
    "code_block",
    "fenced",
    "header",
    "note",
    "prose_text",
    "statement",
    "step_line",
    "step_of",
    "summary_line",
    "to_ms",
    "write_rest",
]

LIVE_MIME = "application/vnd.eager-jupyter.live+json"
RUN_MIME = "application/vnd.eager-jupyter.run+json"
STATEMENT_MIME = "application/vnd.eager-jupyter.statement+json"

#: a statement that ran at least this long says how long under its block
SLOW_S = 0.5

Bundle = dict[str, Any]
Metadata = dict[str, Any]
DisplayFn = Callable[..., Any]


def to_ms(t: float | None) -> int | None:
    """Seconds to whole milliseconds, as the frontend takes times."""
    return None if t is None else round(t * 1000)


def fenced(code: str, lang: str = "python") -> str:
    """A Markdown code block that survives backticks inside the code."""
    longest, run = 0, 0
    for ch in code:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{code.rstrip()}\n{fence}"


def _strip_leading_blank_lines(code: str) -> str:
    lines = code.splitlines(keepends=True)
    while lines and not lines[0].strip():
        lines.pop(0)
    return "".join(lines)


_FENCE_LINE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})[^`\n]*$")


def prose_text(text: str) -> str:
    """The model's prose to show: its text without the fence lines that framed the code."""
    return "\n".join(line for line in text.splitlines() if not _FENCE_LINE.match(line)).strip()


_MONO = "font-family: var(--jp-code-font-family, monospace); white-space: pre"


def code_block(code: str, note: str | None = None, struck: bool = False) -> Bundle:
    """The MIME bundle of one block of code: Markdown, monospace HTML and plain text. ``struck``:
    withdrawn by a revision before it ran (the HTML strikes it out; the note says so everywhere)."""
    code = _strip_leading_blank_lines(code).rstrip()
    markdown = fenced(code)
    escaped = html.escape(code)
    style = _MONO + ("; text-decoration: line-through; opacity: 0.7" if struck else "")
    page = f'<pre class="eager-code" style="{style}"><code class="language-python">{escaped}</code></pre>'
    plain = code
    if note:
        markdown += f"\n\n<sub>{html.escape(note)}</sub>"
        page += f'<div class="eager-note"><sub>{html.escape(note)}</sub></div>'
        plain += f"\n# {note}"
    return {"text/markdown": markdown, "text/html": page, "text/plain": plain}


def note(stmt: StatementRecord) -> str | None:
    """The line under a statement's block: only what is worth a line (a hold, a failure, a skip, a
    slow run)."""
    # the statement the gate held says why; those that only waited behind it do not repeat it
    gated = stmt.held_reason and not stmt.held_reason.startswith("after a held statement")
    held = f"held until generation ended: {stmt.held_reason}" if gated else None
    own: str | None = None
    if stmt.syntax_error:
        own = f"✗ {stmt.syntax_error}"
    elif stmt.status == "error":
        own = f"✗ {stmt.error}" if stmt.error else "✗ failed"
    elif stmt.status == "interrupted":
        own = "✗ interrupted: stopped by you"
    elif stmt.status == "skipped":
        word = STATUS_WORDS["skipped"]
        own = f"{word}: {stmt.skip_reason}" if stmt.skip_reason else word
    elif stmt.status == "done" and stmt.run_s is not None and stmt.run_s >= SLOW_S:
        own = f"✓ done in {stmt.run_s:.2f} s"
    if stmt.status == "skipped" and held:  # never ran: why it did not matters more than the hold
        return own
    revision = None  # issue 18: revisable streams
    if stmt.rerun_of is not None:
        revision = f"re-ran after a revision (statement {stmt.rerun_of + 1})"
    elif stmt.revised and stmt.status != "skipped":
        revision = "revised after it ran"
    return " · ".join(part for part in (own, held, revision) if part) or None


def _meta(run: str, part: str, **fields: Any) -> Metadata:
    return {"eager_jupyter": {"part": part, "run": run, **fields}}


def statement(stmt: StatementRecord, run: str, rich: bool = False) -> tuple[Bundle, Metadata]:
    """A statement's block and its metadata. ``rich`` adds ``STATEMENT_MIME`` (the labextension draws
    the block as the live widget did: status beside highlighted code)."""
    text = note(stmt)
    bundle = code_block(stmt.code, text, struck=stmt.revised and stmt.status == "skipped")
    fields: dict[str, Any] = {
        "index": stmt.index, "line": stmt.start_line, "status": stmt.status, "note": text
    }
    if stmt.run_s is not None:
        fields["run_s"] = round(stmt.run_s, 6)
    if rich:
        bundle[STATEMENT_MIME] = {
            "index": stmt.index,
            "line": stmt.line,
            "status": stmt.status,
            "label": STATUS_WORDS[stmt.status],
            "code": stmt.code,
            "note": text,
            "generated": to_ms(stmt.generated_at),
            "released": to_ms(stmt.released_at),
            "started": to_ms(stmt.started_at),
            "finished": to_ms(stmt.finished_at),
            "batch": stmt.batch,
        }
        if stmt.revised:  # drawn as the live view drew it: the text as it was, struck out if unrun
            bundle[STATEMENT_MIME]["text"] = stmt.code
    return bundle, _meta(run, "statement", **fields)


def step_line(step: StepRecord, run: str) -> tuple[Bundle, Metadata]:
    """An agent step's line: "step N" and the model's words in that step (the final answer: only its
    words)."""
    words = prose_text(step.text)
    answer = not step.statements and step.tool_result is None and step.code == ""
    label = "" if answer and words else f"step {step.step}"
    markdown = "\n\n".join(part for part in (f"**{label}**" if label else "", words) if part)
    plain = "\n".join(part for part in (label, words) if part)
    first = step.statements[0].index if step.statements else None
    span = [first, step.statements[-1].index + 1] if first is not None else None
    meta = _meta(run, "step", step=step.step, statements=span)
    return {"text/markdown": markdown, "text/plain": plain}, meta


def step_of(record: RunRecord, index: int) -> StepRecord | None:
    """The agent step that wrote statement ``index`` (None outside agent runs)."""
    for step in reversed(record.steps):
        if step.statements and step.statements[0].index <= index:
            return step
    return None


def summary_line(record: RunRecord) -> str:
    """One line of figures for the end of a run (the saved header, the CLI's last line)."""
    counts: dict[str, int] = {}
    for stmt in record.statements:
        word = STATUS_WORDS[stmt.status]
        counts[word] = counts.get(word, 0) + 1
    parts = [f"{n} {word}" for word, n in counts.items()] or ["no statements"]
    figures = [", ".join(parts)]
    if record.steps:
        figures.insert(0, f"{len(record.steps)} step{'s' if len(record.steps) != 1 else ''}")
    if record.batches:
        figures.append(f"{len(record.batches)} batch{'es' if len(record.batches) != 1 else ''}")
    if record.generation_done_at is not None:
        figures.append(f"generation {record.generation_done_at:.2f} s")
    e2e = record.end_to_end
    if e2e is not None:
        figures.append(f"end-to-end {e2e:.2f} s")
    if record.non_overlapped is not None and record.mode == "eager":
        figures.append(f"not overlapped {record.non_overlapped:.2f} s")
    saved = record.saved
    if saved is not None and saved >= 0.005:
        figures.append(f"saved {saved:.2f} s vs running after generation")
    if record.unsent_tokens:
        unsent_s = record.unsent_s
        figures.append(
            f"{record.unsent_tokens} token{'s' if record.unsent_tokens != 1 else ''} never generated"
            + (f" (~{unsent_s:.1f} s at the run's rate)" if unsent_s is not None and unsent_s >= 0.05 else "")
        )
    usage = record.usage
    if usage.get("input_tokens"):
        figures.append(f"{usage['input_tokens']} in / {record.tokens} out tokens")
    elif usage.get("output_tokens"):
        figures.append(f"{record.tokens} tokens")
    if record.cost_usd is not None:
        figures.append(f"${record.cost_usd:.4f}")
    return " · ".join(figures)


def held(record: RunRecord) -> list[list[Any]]:
    """Every statement the gate held, with why (``after a held statement`` for those that waited)."""
    return [[s.index, s.held_reason] for s in record.statements if s.held_reason]


def _title(record: RunRecord) -> str:
    mode = "" if record.mode == "eager" else f" ({record.mode})"
    source = record.source + (f" · {record.model}" if record.model else "")
    return f"**eager**{mode} · {source}"


def header(record: RunRecord, run: str, now: float | None = None) -> tuple[Bundle, Metadata]:
    """The header: final once the run has ended, else live (``now``: seconds since the request)."""
    final = record.ended_at is not None
    lines = []
    words = record.prose_before and not record.steps  # an agent run's words are in its step lines
    intro = prose_text(record.prose[: record.prose_before]) if words else ""
    if intro:
        lines.append(intro)
    phase = PHASE_WORDS[record.phase]
    started = sum(1 for s in record.statements if s.started_at is not None)
    if final:
        status = f"{_title(record)} · {phase} · {summary_line(record)}"
    else:
        step = f" · step {len(record.steps)}" if record.steps else ""
        status = f"{_title(record)} · {phase}{step} · {started} started · {(now or 0.0):.1f} s"
    lines.append(status)
    plain = [status.replace("**", "")]
    waiting = [s for s in record.statements if s.status == "held"]
    if waiting and not final:
        listed = ", ".join(f"{s.index + 1} ({s.held_reason})" for s in waiting[:3])
        lines.append(f"held until generation ends: statement {listed}")
        plain.append(lines[-1])
    tail = record.tail()
    if tail.strip() and not final:
        lines.append(fenced(_strip_leading_blank_lines(tail)))
    bundle = {"text/markdown": "\n\n".join(lines), "text/plain": "\n".join(plain)}
    meta = _meta(
        run, "header", state=phase, started=started, held=held(record), final=final,
        wall=round(record.wall_started, 3),
    )
    return bundle, meta


def write_rest(
    display: DisplayFn,
    record: RunRecord,
    run: str,
    shown: set[int],
    *,
    rich: bool = False,
    outputs: Callable[[int], None] | None = None,
    display_id: Callable[[int], str] | None = None,
    steps_shown: set[int] | None = None,
) -> None:
    """The end of a run's outputs: every statement block not ``shown`` yet (each followed by its
    ``outputs``, when the caller kept them), the code never run, and the model's closing words; in an
    agent run, the step lines not in ``steps_shown`` yet, each before its step's blocks."""
    steps_shown = set() if steps_shown is None else steps_shown

    def show_step(step: StepRecord) -> None:
        if step.step not in steps_shown:
            steps_shown.add(step.step)
            bundle, meta = step_line(step, run)
            display(bundle, raw=True, metadata=meta)

    for stmt in record.statements:
        if stmt.index in shown:
            continue
        step = step_of(record, stmt.index)
        if step is not None:
            show_step(step)
        bundle, meta = statement(stmt, run, rich)
        ident = display_id(stmt.index) if display_id else None
        display(bundle, raw=True, metadata=meta, **({"display_id": ident} if ident else {}))
        shown.add(stmt.index)
        if outputs is not None:
            outputs(stmt.index)
    tail = record.tail()
    if any(line.strip() and not line.lstrip().startswith("#") for line in tail.splitlines()):
        text = (
            "not run: stopped by you"
            if record.status == "interrupted"
            else "not run: generated after the last statement"
        )
        bundle = code_block(tail, text)
        if rich:
            bundle[STATEMENT_MIME] = {
                "index": len(record.statements),
                "status": "skipped",
                "label": STATUS_WORDS["skipped"],
                "code": tail,
                "note": text,
            }
        meta = _meta(run, "statement", index=len(record.statements), line=None, status="skipped", note=text)
        display(bundle, raw=True, metadata=meta)
    for step in record.steps:  # the steps that ran nothing: the answer, a reply cut short
        show_step(step)
    outro = "" if record.steps else prose_text(record.prose[record.prose_before :])
    if outro:
        display({"text/markdown": outro, "text/plain": outro}, raw=True, metadata=_meta(run, "prose"))
