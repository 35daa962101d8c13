"""The plain-output view: the run as ordinary cell outputs, which every frontend shows and every saved
notebook keeps (nbconvert HTML included), with no widget and no extension.

Layout of the cell's outputs::

    [header]     live while generating: source, progress, the code still streaming;
                 at the end: the run's summary (statements, end-to-end, time saved)
    [prose]      the model's text before its code, if any
    [block 1]    statement 1's code (a Markdown code block), shown when it starts running
      outputs    ...whatever statement 1 printed or displayed, flowing normally after its block
    [block 2]    ...
    [skipped]    statements that never ran (after an error, an interrupt, or with --no-exec)
    [prose]      the model's text after its code, if any

Blocks are displayed when a statement *starts*, so its outputs land right under it, in order, without
capturing anything. The header is one display updated through its display id at most 10 times a second
(pieces arrive on the producer thread; a timer flushes the last one). A block is updated again only
when its statement failed or ran for at least ``slow_s`` seconds (to show the time), which keeps a
fast statement's cost to one display message.

Bundles are raw MIME bundles with ``text/markdown`` (rendered) and ``text/plain`` (the code itself),
never ``Markdown(...)`` objects, whose text/plain is useless in a terminal or a diff.

Every output of ours also says what it is in its metadata, for programs that follow a run through the
kernel's messages or read a saved notebook (``eager-jupyter replay`` and ``demo`` do), so that nobody
has to parse the text meant for people. Under the key ``eager_jupyter``::

    {"part": "header", "run": id, "state": "generating", "started": 3, "held": [[4, reason], ...],
     "final": false}
    {"part": "statement", "run": id, "index": 0, "line": 1, "status": "running" | "done" | "failed"
     | "skipped", "note": text shown under the code or null, "run_s": seconds (done, failed)}
    {"part": "prose", "run": id}

``index`` counts from 0; ``state`` is the header's (``done``, ``failed`` or ``interrupted`` once the
run is over, ``final`` true).
"""

from __future__ import annotations

import contextlib
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ..events import (
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
)
from ..record import RunRecord
from .capture import output_widget_active
from .throttle import Throttle

__all__ = ["PlainView", "code_block_bundle", "fenced", "prose_text", "summary_line"]

DisplayFn = Callable[..., Any]


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


def prose_text(pieces: list[str]) -> str:
    """The model's prose to show: its text without the fence lines that framed the code."""
    lines = "".join(pieces).splitlines()
    return "\n".join(line for line in lines if not _FENCE_LINE.match(line)).strip()


def code_block_bundle(code: str, status: str | None = None) -> dict[str, str]:
    """The MIME bundle of one statement's block (Markdown rendered, plain text for terminals)."""
    code = _strip_leading_blank_lines(code)
    markdown = fenced(code)
    plain = code.rstrip()
    if status:
        markdown += f"\n\n<sub>{status}</sub>"
        plain += f"\n# {status}"
    return {"text/markdown": markdown, "text/plain": plain}


def summary_line(record: RunRecord) -> str:
    """One line of figures for the end of a run (also the widget's header, the CLI's last line)."""
    counts: dict[str, int] = {}
    for stmt in record.statements:
        counts[stmt.status] = counts.get(stmt.status, 0) + 1
    parts = [f"{n} {status}" for status, n in counts.items()] or ["no statements"]
    figures = [", ".join(parts)]
    if record.batches:
        figures.append(f"{len(record.batches)} batch{'es' if len(record.batches) != 1 else ''}")
    if record.generation_done_at is not None:
        figures.append(f"generation {record.generation_done_at:.2f} s")
    e2e = record.end_to_end
    if e2e is not None:
        figures.append(f"end-to-end {e2e:.2f} s")
    if record.non_overlapped is not None and record.mode == "eager":
        figures.append(f"not overlapped {record.non_overlapped:.2f} s")
    saved = time_saved(record)
    if saved is not None and record.mode == "eager":
        figures.append(f"saved {saved:.2f} s vs running after generation")
    usage = record.usage
    if usage.get("input_tokens"):
        figures.append(f"{usage['input_tokens']} in / {usage.get('output_tokens', 0)} out tokens")
    elif usage.get("output_tokens"):
        figures.append(f"{usage['output_tokens']} tokens")
    return " · ".join(figures)


def time_saved(record: RunRecord) -> float | None:
    """Against running the same statements after generation ended: gen end + Σ run time - end."""
    gen, end = record.generation_done_at, record.end_to_end
    runs = [s.run_s for s in record.statements if s.run_s is not None]
    if gen is None or end is None or not runs:
        return None
    return gen + sum(runs) - end


class PlainView:
    """Ordinary outputs updated through display ids; see the module docstring."""

    def __init__(
        self,
        display: DisplayFn | None = None,
        *,
        record: RunRecord | None = None,
        updates_per_second: float = 10.0,
        slow_s: float = 0.5,
        live: bool = True,
    ) -> None:
        if display is None:
            from IPython.display import display as ipython_display

            display = ipython_display
        self._display: DisplayFn = display
        self.record = record
        self.slow_s = slow_s
        # live: a frontend that applies display updates (a kernel). Elsewhere (terminal IPython)
        # every update would print again, so only the final summary is shown.
        self.live = live
        self._id = uuid.uuid4().hex[:12]
        self._lock = threading.RLock()
        self._throttle = Throttle(self._update_header, updates_per_second, busy=output_widget_active)
        self._source = ""
        self._state = "generating"
        self._code = ""  # code streamed so far (this round)
        self._shown_upto = 0  # end of the code already shown in blocks
        self._blocks: dict[int, str] = {}  # index -> display id
        self._statements: dict[int, StatementReleased] = {}
        self._skipped: dict[int, str] = {}
        self._held: dict[int, str] = {}
        self._prose_before: list[str] = []
        self._prose_after: list[str] = []
        self._any_code = False  # across repair rounds: prose after the first code goes last
        self._was_held: dict[int, str] = {}
        self._started_t = 0.0
        self._header_shown = False
        self._t_last = 0.0

    # ---- View protocol ---------------------------------------------------------------------------
    def handle(self, event: Event) -> None:
        with self._lock:
            self._handle(event)

    @contextlib.contextmanager
    def statement_output(self, index: int) -> Iterator[None]:
        yield  # outputs flow into the cell right after the statement's block

    def close(self) -> None:
        self._throttle.close()

    # ---- events ----------------------------------------------------------------------------------
    def _handle(self, event: Event) -> None:
        self._t_last = max(self._t_last, event.t)
        match event:
            case RunStarted():
                self._source = event.source + (f" · {event.model}" if event.model else "")
                if self.live:
                    self._display(
                        self._header_bundle(), raw=True, display_id=self._head_id, metadata=self._head_meta()
                    )
                    self._header_shown = True
            case PieceStreamed(kind="code"):
                self._code += event.text
                self._any_code = True
                self._throttle.poke()
            case PieceStreamed():
                (self._prose_after if self._any_code else self._prose_before).append(event.text)
                self._throttle.poke()
            case StatementReleased():
                self._statements[event.index] = event
            case StatementHeld():
                self._held[event.index] = event.reason
                self._was_held[event.index] = event.reason
                self._throttle.poke()
            case StatementStarted():
                self._held.pop(event.index, None)
                self._state = f"running statement {event.index + 1}"
                self._show_block(event.index)
                self._throttle.poke()
            case StatementFinished():
                if event.duration >= self.slow_s and self.live:
                    note = f"✓ done in {event.duration:.2f} s"
                    self._update_block(event.index, note, "done", event.duration)
            case StatementFailed():
                if self.live:
                    self._update_block(event.index, f"✗ {event.error}", "failed", event.duration)
            case StatementSkipped():
                self._skipped[event.index] = event.reason
            case GenerationEnded():
                self._state = "generation done" + (" (stopped)" if event.stopped else "")
                self._throttle.poke()
            case RepairStarted():
                self._state = f"repairing (round {event.round})"
                self._code, self._shown_upto = "", 0
            case RunEnded():
                self._state = {"ok": "done", "error": "failed", "interrupted": "interrupted"}[event.status]
                self._finish()

    # ---- rendering -------------------------------------------------------------------------------
    @property
    def _head_id(self) -> str:
        return f"eager-{self._id}-head"

    def _block_id(self, index: int) -> str:
        return f"eager-{self._id}-{index}"

    def _meta(self, part: str, **fields: Any) -> dict[str, Any]:
        return {"eager_jupyter": {"part": part, "run": self._id, **fields}}

    def _block_meta(self, index: int, status: str, note: str | None, run_s: float | None = None) -> Any:
        stmt = self._statements[index]
        fields: dict[str, Any] = {"index": index, "line": stmt.start_line, "status": status, "note": note}
        if run_s is not None:
            fields["run_s"] = round(run_s, 6)
        return self._meta("statement", **fields)

    def _head_meta(self, final: bool = False) -> dict[str, Any]:
        held = [[i, reason] for i, reason in sorted(self._held.items())] if not final else []
        return self._meta("header", state=self._state, started=len(self._blocks), held=held, final=final)

    def _show_block(self, index: int) -> None:
        stmt = self._statements.get(index)
        if stmt is None or index in self._blocks:
            return
        note, status = None, "running"
        if stmt.syntax_error:
            note, status = f"✗ {stmt.syntax_error}", "failed"
        elif index in self._was_held:
            note = f"held until generation ended: {self._was_held[index]}"
        self._blocks[index] = self._block_id(index)
        self._display(
            code_block_bundle(stmt.code, note),
            raw=True,
            display_id=self._blocks[index],
            metadata=self._block_meta(index, status, note),
        )
        self._shown_upto = min(len(self._code), self._shown_upto + len(stmt.code))

    def _update_block(self, index: int, note: str, status: str, run_s: float | None) -> None:
        stmt = self._statements.get(index)
        if stmt is None or index not in self._blocks:
            return
        self._display(
            code_block_bundle(stmt.code, note),
            raw=True,
            display_id=self._blocks[index],
            update=True,
            metadata=self._block_meta(index, status, note, run_s),
        )

    def _header_bundle(self, final: bool = False) -> dict[str, str]:
        lines = []
        intro = prose_text(self._prose_before)
        if intro:
            lines.append(intro)
        if final and self.record is not None:
            status = f"**eager** · {self._source} · {self._state} · {summary_line(self.record)}"
        else:
            started = len(self._blocks)
            status = f"**eager** · {self._source} · {self._state} · {started} started · {self._t_last:.1f} s"
        lines.append(status)
        plain = [status.replace("**", "")]
        if self._held and not final:
            held = ", ".join(f"{i + 1} ({reason})" for i, reason in sorted(self._held.items())[:3])
            lines.append(f"held until generation ends: statement {held}")
            plain.append(lines[-1])
        tail = self._code[self._shown_upto :]
        if tail.strip() and not final:
            lines.append(fenced(_strip_leading_blank_lines(tail)))
        return {"text/markdown": "\n\n".join(lines), "text/plain": "\n".join(plain)}

    def _update_header(self) -> None:
        with self._lock:
            if self._header_shown:
                self._display(
                    self._header_bundle(),
                    raw=True,
                    display_id=self._head_id,
                    update=True,
                    metadata=self._head_meta(),
                )

    def _finish(self) -> None:
        self._throttle.close()
        for index, reason in sorted(self._skipped.items()):
            stmt = self._statements.get(index)
            if stmt is not None and index not in self._blocks:
                self._blocks[index] = self._block_id(index)
                note = f"skipped: {reason}"
                self._display(
                    code_block_bundle(stmt.code, note),
                    raw=True,
                    display_id=self._blocks[index],
                    metadata=self._block_meta(index, "skipped", note),
                )
        outro = prose_text(self._prose_after)
        if outro:
            bundle = {"text/markdown": outro, "text/plain": outro}
            self._display(bundle, raw=True, metadata=self._meta("prose"))
        final = self._head_meta(final=True)
        if self._header_shown:
            bundle = self._header_bundle(final=True)
            self._display(bundle, raw=True, display_id=self._head_id, update=True, metadata=final)
        else:
            self._display(self._header_bundle(final=True), raw=True, metadata=final)
