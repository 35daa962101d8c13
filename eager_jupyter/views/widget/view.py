"""The live widget view: code streaming with syntax highlighting, statuses, outputs under each
statement, a header with the run's figures and a timeline strip, in JupyterLab 4 / Notebook 7.

Pieces: ``EagerWidget`` (an ipywidgets model; its view is ``EagerView`` in ``labextension/``),
``WidgetView`` (the engine's ``View``: events and the record -> ``LiveState`` -> deltas on the
widget's comm), the statement capture (``capture``) and the delta format (``state``).

Threads. ``handle`` is called on the main thread, and from the engine's producer thread for
``PieceStreamed`` (so code keeps streaming while a statement runs); outputs arrive on whichever thread
wrote them. All of them only update ``LiveState`` under one lock and wake a sender thread, which sends
everything pending as one custom widget message, at most ``per_second`` (10) times a second: a change
is on screen within about 100 ms while the kernel is responsive. The sender runs in the cell's
``contextvars`` context, so its messages belong to the cell.

Outputs. Each statement runs inside ``statement_output``, which captures its outputs in the kernel
(``capture``): they go to the widget as data, rendered by JupyterLab's own output area under the
statement (figures, tables, tracebacks, and widgets the code displays, through the widget manager),
and they are kept for the end of the run.

The display. While the run goes on the cell shows ``LIVE_MIME`` (the widget's model id), not a
widget view: the labextension draws the live widget from it, and a notebook saved mid-run (an
autosave) keeps the run's snapshot in it, written by the labextension as it saves, so it reopens as
the run up to then instead of a dangling "model not found".

Persistence: the takeover. Widget state is not saved by default, nbconvert cannot render it, and VS
Code, GitHub or a notebook reopened without a kernel would show nothing. So when the run ends
(``close``), the widget's display is replaced through its display id by the saved header
(``outputs.header``, plus ``RUN_MIME``: the run's code and op log, which this labextension draws as the
same header, timeline and buttons from the notebook alone), followed by what the plain view writes
(``outputs.write_rest``: each statement's block, plus ``STATEMENT_MIME``, then its captured outputs
published again in order; the code never run; the closing prose). The saved notebook thus holds what
the plain view would have produced, readable anywhere; the widget model is closed.

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
from ...record import RunRecord
from .. import outputs
from ..capture import Output, capture, publish
from ..outputs import LIVE_MIME, RUN_MIME, STATEMENT_MIME
from .state import Delta, LiveState, Snapshot

try:
    from ipywidgets import Widget
except ImportError:  # pragma: no cover - ipywidgets is a dependency
    Widget = object

__all__ = [
    "LIVE_MIME",
    "MODULE_NAME",
    "MODULE_VERSION",
    "RUN_MIME",
    "STATEMENT_MIME",
    "EagerWidget",
    "WidgetView",
    "npm_version",
]

MODULE_NAME = "eager-jupyter"


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
    """The live run's model. Its synced state is one ``snapshot`` (see ``state``), filled in
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
        per_second: float = 10.0,
        takeover: bool = True,
        display: Callable[..., Any] | None = None,
        send: Callable[[Delta], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
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
        self.record: RunRecord | None = None
        self.interval = 1.0 / per_second
        self.messages = 0
        self._cond = threading.Condition(threading.RLock())
        self._clock = clock
        self.model_id = uuid.uuid4().hex[:12]
        self.widget = EagerWidget(self.snapshot, model_id=self.model_id)
        self._send = send or self.widget.send
        self.display_id = f"eager-widget-{uuid.uuid4().hex[:12]}"
        self._shown = False
        self._closing = False
        self._closed = False
        self._thread: threading.Thread | None = None

    # ---- View protocol ---------------------------------------------------------------------------
    def handle(self, event: Event, record: RunRecord) -> None:
        with self._cond:
            self.record = record
            self.state.apply(event, record)
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
                self._send(delta)

    # ---- showing and sending ---------------------------------------------------------------------
    def show(self) -> None:
        """Display the widget (under a display id, for the takeover) and start the sender."""
        if self._shown:
            return
        self._shown = True
        self._display(self.live_bundle(), raw=True, display_id=self.display_id)
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._sender,), name="eager-widget-sender", daemon=True
        )
        self._thread.start()

    def live_bundle(self) -> dict[str, Any]:
        """The display while the run goes on: the live model's id for this labextension (which draws
        the widget, or what a save mid-run kept when the model is gone), and a line for the rest."""
        return {
            LIVE_MIME: {"model_id": self.model_id},
            "text/plain": "%%eager run in progress: its live view needs JupyterLab or Notebook 7 "
            "with eager_jupyter's extension; the outputs follow when the run ends.",
        }

    def snapshot(self) -> Snapshot:
        with self._cond:
            return self.state.snapshot()

    def _sender(self) -> None:
        """Everything pending, as one message, at most ``per_second`` times a second."""
        last = -self.interval
        while True:
            with self._cond:
                while not self._closing and not self.state.has_changes():
                    self._cond.wait()
                if self._closing:
                    return
                # what arrives meanwhile goes in the same message
                while not self._closing and (wait := last + self.interval - self._clock()) > 0:
                    self._cond.wait(wait)
                if self._closing:
                    return
                delta = self.state.take_delta()
                last = self._clock()
            try:
                self._send(delta)
                self.messages += 1
            except Exception:  # a dead comm must not take the run down
                return

    # ---- the takeover ----------------------------------------------------------------------------
    def _take_over(self) -> None:
        with self._cond:
            record = self.record
            snapshot = self.state.snapshot()
            kept = {i: list(o.items) for i, o in self.state.outputs.items()}
        if record is None:
            return
        snapshot["x"] = {}
        bundle, meta = outputs.header(record, self.display_id)
        bundle = {RUN_MIME: {"version": 1, "snapshot": snapshot, "program": record.program or record.code},
                  **bundle}
        self._display(bundle, raw=True, display_id=self.display_id, update=True, metadata=meta)

        def republish(index: int) -> None:
            for output in kept.get(index, []):
                publish(self.shell, output)

        outputs.write_rest(self._display, record, self.display_id, set(), rich=True, outputs=republish)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
