"""The live widget view: code streaming with syntax highlighting, statuses, outputs under each
statement, a header with the run's figures and a timeline strip, in JupyterLab 4 / Notebook 7.

Pieces: ``EagerWidget`` (an ipywidgets model; its view is ``EagerView`` in ``labextension/``),
``WidgetView`` (the engine's ``View``: events -> ``LiveState`` -> deltas on the widget's comm), the
statement capture (``capture``) and the delta format and pacing (``widget_state``).

Threads. ``handle`` is called on the main thread, and from the engine's producer thread for
``PieceStreamed`` (so code keeps streaming while a statement runs); outputs arrive on whichever thread
wrote them. All of them only update ``LiveState`` under one lock and wake a sender thread, which sends
deltas as custom widget messages, paced by ``Pacer`` (at most 20 a second, bytes within 3x the
program). The sender runs in the cell's ``contextvars`` context, so its messages belong to the cell.

Outputs. Each statement runs inside ``statement_output``, which captures its outputs in the kernel
(``capture``): they go to the widget as data, rendered by JupyterLab's own output area under the
statement (figures, tables, tracebacks, and widgets the code displays, through the widget manager),
and they are kept for the end of the run.

Persistence: the takeover. Widget state is not saved by default, nbconvert cannot render it, and VS
Code, GitHub or a notebook reopened without a kernel would show nothing. So when the run ends
(``close``), the widget's display is replaced through its display id by a bundle with

- ``application/vnd.eager-jupyter.run+json``: the run's code and op log, which this labextension
  draws as the same header, timeline and buttons (Insert as cell, Copy), from the notebook alone;
- ``text/markdown`` and ``text/plain``: the plain view's summary line, for everything else;

followed by the plain view's rendering, as ordinary outputs: each statement's code block
(``plain.code_block_bundle``, plus ``application/vnd.eager-jupyter.statement+json``, which the
labextension draws as the live block: status beside highlighted code) and then its captured outputs,
published again in order (streams, displays with their display ids, errors), skipped statements and
the model's closing words last.
The saved notebook thus holds what the plain view would have produced, readable anywhere; the widget
model is closed. In JupyterLab the live view turns into the header plus that rendering.

To check a change: ``tests/test_widget.py`` (the view against synthetic events and a real engine in
an in-process shell), ``tests/test_widget_kernel.py`` (nbclient run -> saved notebook -> nbconvert
HTML, and iopub bytes), ``tests/browser/`` (JupyterLab in chromium; screenshots in test-artifacts/).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from traitlets import Dict, Unicode

from ..._version import __version__
from ...events import Event, RunStarted
from ...record import StatementRecord
from ..capture import capture, publish
from ..plain import code_block_bundle, summary_line
from .pacing import Pacer, json_size, next_delta
from .state import Delta, LiveState, Output, Snapshot, StatementState, to_ms

try:
    from ipywidgets import Widget
except ImportError:  # pragma: no cover - ipywidgets is a dependency
    Widget = object

__all__ = [
    "MODULE_NAME",
    "MODULE_VERSION",
    "RUN_MIME",
    "STATEMENT_MIME",
    "EagerWidget",
    "WidgetView",
    "npm_version",
]

MODULE_NAME = "eager-jupyter"
RUN_MIME = "application/vnd.eager-jupyter.run+json"
STATEMENT_MIME = "application/vnd.eager-jupyter.statement+json"


def npm_version(version: str) -> str:
    """PEP 440 -> semver, as ``labextension/scripts/sync-version.mjs`` maps it (0.2.0.dev1 -> 0.2.0-dev.1)."""
    match = re.fullmatch(r"(\d+\.\d+\.\d+)(?:\.?(a|b|rc|dev)\.?(\d+))?", version)
    if match is None:
        raise ValueError(f"cannot map version {version!r} to semver")
    release, tag, number = match.groups()
    if tag is None:
        return release
    return f"{release}-{ {'a': 'alpha', 'b': 'beta', 'rc': 'rc', 'dev': 'dev'}[tag]}.{number}"


MODULE_VERSION = f"^{npm_version(__version__)}"


class EagerWidget(Widget):  # type: ignore[misc]
    """The live run's model. Its synced state is one ``snapshot`` (see ``widget_state``), filled in
    whenever a frontend asks for the state; between those, the frontend is kept up to date by deltas
    sent as custom messages."""

    _model_name = Unicode("EagerModel").tag(sync=True)
    _model_module = Unicode(MODULE_NAME).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_name = Unicode("EagerView").tag(sync=True)
    _view_module = Unicode(MODULE_NAME).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    snapshot = Dict().tag(sync=True)

    def __init__(self, snapshot: Callable[[], Snapshot] | None = None, **kwargs: Any) -> None:
        self._snapshot_fn = snapshot
        super().__init__(**kwargs)

    def get_state(self, key: Any = None, drop_defaults: bool = False) -> dict[str, Any]:
        state: dict[str, Any] = super().get_state(key, drop_defaults)
        if "snapshot" in state and self._snapshot_fn is not None:
            state["snapshot"] = self._snapshot_fn()
        return state


class _Sink:
    """One statement's outputs, into the view's state (any thread)."""

    def __init__(self, view: WidgetView, index: int) -> None:
        self.view, self.index = view, index

    def stream(self, name: str, text: str) -> None:
        with self.view._cond:
            self.view.state.output_stream(self.index, name, text)
            self.view._cond.notify()

    def add(self, output: Output, display_id: str | None) -> None:
        with self.view._cond:
            self.view.state.output_add(self.index, output, display_id)
            self.view._cond.notify()

    def update(self, display_id: str, output: Output) -> bool:
        with self.view._cond:
            found = self.view.state.output_update(display_id, output)
            self.view._cond.notify()
            return found

    def clear(self, wait: bool) -> None:
        with self.view._cond:
            self.view.state.output_clear(self.index, wait)
            self.view._cond.notify()


class WidgetView:
    """The engine's ``View`` for the live widget; see the module docstring.

    ``takeover=False`` keeps the widget after the run instead (nothing then survives a save).
    ``display`` and ``send`` are seams for tests (default: IPython's ``display``, the widget's ``send``).
    """

    def __init__(
        self,
        shell: Any = None,
        *,
        max_rate: float = 20.0,
        ratio: float = 3.0,
        takeover: bool = True,
        display: Callable[..., Any] | None = None,
        send: Callable[[Delta], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if shell is None:
            from IPython import get_ipython

            shell = get_ipython()
        if display is None:
            from IPython.display import display as ipython_display

            display = ipython_display
        self._display: Callable[..., Any] = display
        self.shell = shell
        self.takeover = takeover
        self.state = LiveState()
        self._cond = threading.Condition(threading.RLock())
        self._clock = clock
        # a short comm id: every delta carries it (ipywidgets' default, a uuid4 hex, is 20 bytes longer)
        comm_id = uuid.uuid4().hex[:12]
        self.widget = EagerWidget(self.snapshot, model_id=comm_id)
        self._send = send or self.widget.send
        envelope = json_size({"data": {"method": "custom", "content": 0}, "comm_id": comm_id}) - 1
        self.pacer = Pacer(max_rate=max_rate, ratio=ratio, envelope=envelope)
        self.display_id = f"eager-widget-{uuid.uuid4().hex[:12]}"
        self._shown = False
        self._closing = False
        self._closed = False
        self._thread: threading.Thread | None = None

    # ---- View protocol ---------------------------------------------------------------------------
    def handle(self, event: Event) -> None:
        with self._cond:
            self.state.apply(event)
            self._cond.notify()
        if isinstance(event, RunStarted):
            self.show()

    @contextlib.contextmanager
    def statement_output(self, index: int) -> Iterator[None]:
        with capture(self.shell, _Sink(self, index)):
            yield

    def close(self) -> None:
        """Stop sending; then the takeover (or a last delta, with ``takeover=False``). Idempotent."""
        if self._closed:
            return
        self._closed = True
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        if not self._shown:
            self.widget.close()
            return
        if self.takeover:
            self._take_over()
            self.widget.close()
        else:
            with self._cond:
                delta = self.state.take_delta() if self.state.has_changes() else None
                if delta is not None:
                    self.pacer.sent(delta, self._clock())
            if delta is not None:
                self._send(delta)

    # ---- showing and sending ---------------------------------------------------------------------
    def show(self) -> None:
        """Display the widget (under a display id, for the takeover) and start the sender."""
        if self._shown:
            return
        self._shown = True
        bundle = self.widget._repr_mimebundle_()
        self._display(bundle, raw=True, display_id=self.display_id)
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._sender,), name="eager-widget-sender", daemon=True
        )
        self._thread.start()

    def snapshot(self) -> Snapshot:
        with self._cond:
            return self.state.snapshot()

    def _sender(self) -> None:
        while True:
            with self._cond:
                delta = self._next_delta()
            if delta is None:
                return
            try:
                self._send(delta)
            except Exception:  # a dead comm must not take the run down
                return

    def _next_delta(self) -> Delta | None:
        """Wait (under the lock) until a delta may go; None once closing."""
        while not self._closing:
            choice = next_delta(self.state, self.pacer, self._clock())
            if isinstance(choice, dict):
                return choice
            self._cond.wait(choice)  # None: until something changes
        return None

    # ---- the takeover ----------------------------------------------------------------------------
    def _take_over(self) -> None:
        with self._cond:
            state = self.state
            record = state.record
            statements = sorted(state.statements.values(), key=lambda s: s.index)
            snapshot = state.snapshot()
        snapshot["x"] = {}
        status = {"ok": "done", "error": "failed", "interrupted": "interrupted"}.get(
            record.status, record.status
        )
        source = record.source + (f" · {record.model}" if record.model else "")
        line = f"**eager** · {source} · {status} · {summary_line(record)}"
        header = {
            RUN_MIME: {"version": 1, "snapshot": snapshot, "program": record.program or record.code},
            "text/markdown": line,
            "text/plain": line.replace("**", ""),
        }
        # the same metadata as the plain view's outputs (``views.plain``), for programs
        started = sum(1 for s in record.statements if s.started_at is not None)
        head_meta = self._meta("header", state=status, started=started, held=[], final=True)
        self._display(header, raw=True, display_id=self.display_id, update=True, metadata=head_meta)
        if state.prose_before.strip():
            self._markdown(state.prose_before.strip(), prose=True)
        records = {s.index: s for s in record.statements}
        for stmt in statements:
            rec = records.get(stmt.index)
            note = _block_status(rec, stmt.note)
            bundle: dict[str, Any] = dict(code_block_bundle(stmt.code, note))
            bundle[STATEMENT_MIME] = _statement_data(stmt, rec)
            fields: dict[str, Any] = {
                "index": stmt.index,
                "line": stmt.line,
                "status": "failed" if stmt.status == "error" else stmt.status,
                "note": note,
            }
            if rec is not None and rec.run_s is not None:
                fields["run_s"] = round(rec.run_s, 6)
            self._display(bundle, raw=True, metadata=self._meta("statement", **fields))
            for output in stmt.outputs:
                publish(self.shell, output)
        tail = state.tail()
        if any(line.strip() and not line.lstrip().startswith("#") for line in tail.splitlines()):
            note = "not run: generated after the last statement"
            bundle = dict(code_block_bundle(tail, note))
            data = {"index": len(statements), "status": "skipped", "code": tail, "note": note}
            bundle[STATEMENT_MIME] = data
            meta = self._meta("statement", index=len(statements), line=None, status="skipped", note=note)
            self._display(bundle, raw=True, metadata=meta)
        after = state.prose[len(state.prose_before) :].strip()
        if after:
            self._markdown(after, prose=True)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()

    def _markdown(self, text: str, prose: bool = False) -> None:
        meta = self._meta("prose") if prose else None
        self._display({"text/markdown": text, "text/plain": text}, raw=True, metadata=meta)

    def _meta(self, part: str, **fields: Any) -> dict[str, Any]:
        return {"eager_jupyter": {"part": part, "run": self.display_id, **fields}}


def _statement_data(stmt: StatementState, rec: StatementRecord | None) -> dict[str, Any]:
    """What the labextension draws a finished statement's block from (times in ms)."""
    data: dict[str, Any] = {
        "index": stmt.index,
        "line": stmt.line,
        "status": stmt.status,
        "code": stmt.code,
        "note": stmt.note,
    }
    if rec is not None:
        data.update(
            generated=to_ms(rec.generated_at),
            released=to_ms(rec.released_at),
            started=to_ms(rec.started_at),
            finished=to_ms(rec.finished_at),
            batch=rec.batch,
        )
    return data


def _block_status(rec: StatementRecord | None, note: str | None = None, slow_s: float = 0.5) -> str | None:
    """The plain view's status line under a code block (only what is worth a line)."""
    if rec is None:
        return None
    if rec.syntax_error:
        return f"✗ {rec.syntax_error}"
    if rec.status == "error":
        return f"✗ {rec.error}" if rec.error else "✗ failed"
    if rec.status == "skipped":
        return f"skipped: {note}" if note else "skipped"
    if rec.status == "done" and rec.run_s is not None and rec.run_s >= slow_s:
        return f"✓ done in {rec.run_s:.2f} s"
    return None
