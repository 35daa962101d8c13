"""What ``eager-jupyter replay`` and ``eager-jupyter demo`` print: a run's iopub messages as terminal lines.

``Screen`` writes lines, and on a TTY keeps one status line under them (spinner, elapsed time).
``RunPrinter`` turns the iopub messages of one execution of ``%%eager`` (plain view) into lines: each
statement when it starts (its code), its stdout and stderr, the text of what it displays (a note for
images), held statements, failures. It reads the metadata the plain view puts on its outputs
(``views.plain``), never the text meant for people; ``terminal`` has why. ``record_lines`` and
``summarise`` print and sum up a run record at the end.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Mapping
from typing import IO, Any

from .._text import strip_ansi

__all__ = ["RunPrinter", "Screen", "record_lines", "summarise"]

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Screen:
    """Lines to a terminal, and on a TTY one status line kept under them (spinner, elapsed time).

    Thread-safe: a ticker thread redraws the status line ten times a second while one is set.
    """

    def __init__(self, stream: IO[str] | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self.color = self.tty and not os.environ.get("NO_COLOR")
        self._lock = threading.Lock()
        self._status: str | None = None
        self._status_since = 0.0
        self._drawn = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def dim(self, text: str) -> str:
        return self.style(text, "2")

    def line(self, text: str = "") -> None:
        with self._lock:
            self._clear()
            self.stream.write((text if self.color else strip_ansi(text)) + "\n")
            self._draw()
            self.stream.flush()

    def status(self, text: str | None, *, restart: bool = False) -> None:
        """Show ``text`` as the status line (None removes it); ``restart`` starts its clock again.

        Does nothing when not on a TTY.
        """
        if not self.tty:
            return
        with self._lock:
            if text is not None and (self._status is None or restart):
                self._status_since = time.monotonic()
            self._status = text
            self._clear()
            self._draw()
            self.stream.flush()
        if text is not None and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="eager-screen", daemon=True)
            self._ticker.start()

    def close(self) -> None:
        self._stop.set()
        self.status(None)

    def _tick(self) -> None:
        while not self._stop.wait(0.1):
            with self._lock:
                if self._status is not None:
                    self._clear()
                    self._draw()
                    self.stream.flush()

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self._drawn = False

    def _draw(self) -> None:
        if self._status is None:
            return
        elapsed = time.monotonic() - self._status_since
        frame = _SPINNER[int(elapsed * 10) % len(_SPINNER)]
        width = max(20, _columns() - 1)
        text = f"{frame} {self._status} · {elapsed:.1f} s"
        self.stream.write(self.dim(text[:width]))
        self._drawn = True


def _columns() -> int:
    return shutil.get_terminal_size((100, 24)).columns


class RunPrinter:
    """Turns the iopub messages of one execution into terminal lines (see the module docstring)."""

    def __init__(self, screen: Screen, *, max_lines: int = 12, indent: str = "  ") -> None:
        self.screen = screen
        self.max_lines = max_lines
        self.indent = indent
        self.t0 = time.perf_counter()
        self.blocks: dict[str, int] = {}
        self.held: set[int] = set()
        self.state = ""
        self.label = ""
        self.final: str | None = None  # the header's last text: the run's summary line
        self.errors: list[tuple[str, str]] = []

    def start(self, label: str = "") -> None:
        self.t0 = time.perf_counter()
        self.label = label
        self.screen.status(label or "running", restart=True)

    def _t(self) -> str:
        return self.screen.dim(f"{time.perf_counter() - self.t0:6.2f} s")

    def _out(self, text: str, mark: str = "│", first: str | None = None) -> None:
        """Output lines under the statement; ``first`` marks the first line instead of ``mark``."""
        lines = text.rstrip("\n").splitlines() or [""]
        shown = lines[: self.max_lines]
        pad = " " * 9
        for number, line in enumerate(shown):
            lead = first if first is not None and number == 0 else mark
            self.screen.line(f"{self.indent}{pad}{self.screen.dim(lead.rjust(len(first or mark)))} {line}")
        if len(lines) > len(shown):
            more = f"… {len(lines) - len(shown)} more lines"
            self.screen.line(f"{self.indent}{pad}{' ' * len(first or mark)} {self.screen.dim(more)}")

    def message(self, msg: Mapping[str, Any]) -> None:
        kind, content = msg["msg_type"], msg["content"]
        data: dict[str, Any] = content.get("data") or {}
        ours = (content.get("metadata") or {}).get("eager_jupyter")
        if kind in ("display_data", "update_display_data") and isinstance(ours, dict):
            part = ours.get("part")
            if part == "header":
                self._header(ours, str(data.get("text/plain", "")))
            elif part == "statement":
                self._block(ours, str(data.get("text/plain", "")))
            elif part == "prose":
                self._prose(str(data.get("text/plain", "")))
        elif kind == "update_display_data":
            return  # a display the program updates: shown when it was first displayed
        elif kind == "stream":
            mark = "│" if content.get("name") == "stdout" else "!"
            self._out(content.get("text", ""), mark)
        elif kind in ("display_data", "execute_result"):
            self._display(data, result=kind == "execute_result")
        elif kind == "error":
            ename, evalue = content.get("ename", "Error"), content.get("evalue", "")
            self.errors.append((ename, evalue))
            if self.blocks and len(content.get("traceback", [])) > 1:
                return  # a statement's own traceback: its block's status line says it next
            self.screen.line(f"{self.indent}{self._t()} {self.screen.style('✗', '31')} {ename}: {evalue}")

    def _header(self, head: Mapping[str, Any], text: str) -> None:
        if head.get("final"):
            self.final = text.splitlines()[0] if text else None
        self.state = f"{head.get('state', '')} · {head.get('started', 0)} started"
        self.screen.status(" · ".join(p for p in (self.label, self.state) if p))
        for index, reason in head.get("held") or []:
            if index not in self.held:
                self.held.add(index)
                if str(reason).startswith("after a held statement"):
                    continue  # the held statement before it has said why
                mark = self.screen.style("⏸", "33")
                self.screen.line(
                    f"{self.indent}{self._t()} {mark} [{index + 1}] held until generation ends: {reason}"
                )

    def _block(self, block: Mapping[str, Any], text: str) -> None:
        index, status, note = int(block["index"]), block.get("status"), block.get("note")
        number = index + 1
        key = f"{block.get('run')}-{index}"
        lines = text.splitlines()
        if note and lines and lines[-1] == f"# {note}":
            lines.pop()
        if key not in self.blocks:
            self.blocks[key] = number
            code = [line for line in lines if line.strip()] or [""]
            skipped = status == "skipped"
            mark = self.screen.dim("·") if skipped else self.screen.style("▶", "36")
            head = f"{self.indent}{self._t()} {mark} [{number}] "
            self.screen.line(head + (self.screen.dim(code[0]) if skipped else code[0]))
            for line in code[1:]:
                self.screen.line(" " * (len(self.indent) + 14 + len(str(number))) + line)
            if note and status != "done":
                self.screen.line(f"{self.indent}{' ' * 9}{self.screen.dim(note)}")
        elif status in ("done", "error", "interrupted", "failed") and note:  # "failed": saved before
            mark = self.screen.style("✓", "32") if status == "done" else self.screen.style("✗", "31")
            self.screen.line(f"{self.indent}{self._t()} {mark} [{number}] {note.lstrip('✓✗ ')}")

    def _prose(self, text: str) -> None:
        """The model's words after its code."""
        if text.strip():
            self._out(text.strip(), "¶")

    def _display(self, data: Mapping[str, Any], result: bool) -> None:
        if "image/png" in data or "image/svg+xml" in data:
            self._out("[a figure: open the notebook or the HTML export to see it]", "▣")
            return
        text = str(data.get("text/plain", ""))
        if result:
            self._out(text, "", first="Out:")
        else:
            self._out(text)


def summarise(record: Mapping[str, Any]) -> dict[str, float | None]:
    """End-to-end, generation, and the time saved against running the same statements afterwards."""
    runs = [s["run_s"] for s in record.get("statements", []) if s.get("run_s") is not None]
    gen, end = record.get("generation_done_at"), record.get("end_to_end")
    saved = gen + sum(runs) - end if gen is not None and end is not None and runs else None
    return {"end_to_end": end, "generation": gen, "run_total": sum(runs), "saved": saved}


def record_lines(record: Mapping[str, Any]) -> list[str]:
    """The per-statement table of a run record: when each was written, released, started, finished."""

    def f(value: Any) -> str:
        return f"{value:8.2f}" if isinstance(value, int | float) else f"{'-':>8}"

    out = [f"{'#':>4} {'line':>5} {'written':>8} {'released':>8} {'started':>8} {'finished':>8}  status"]
    for s in record.get("statements", []):
        code = s["code"].strip().splitlines()
        first = next((c for c in code if not c.lstrip().startswith("#")), code[0] if code else "")
        status = s["status"] + (" (held)" if s.get("held_reason") else "")
        out.append(
            f"{s['index'] + 1:>4} {s['start_line']:>5} {f(s['generated_at'])} {f(s['released_at'])} "
            f"{f(s['started_at'])} {f(s['finished_at'])}  {status:<12} {first[:48]}"
        )
    return out
