"""The widget view in a real in-process IPython shell: statement capture, the view's messages, and the
takeover at the end of a run (what a saved notebook keeps)."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from eager_jupyter.engine import Engine
from eager_jupyter.errors import StatementError
from eager_jupyter.gate import Gate
from eager_jupyter.sources import ReplaySource
from eager_jupyter.views.capture import Output, capture, jsonable
from eager_jupyter.views.widget import (
    LIVE_MIME,
    MODULE_VERSION,
    RUN_MIME,
    STATEMENT_MIME,
    EagerWidget,
    WidgetView,
    npm_version,
)

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class Sink:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.known: set[str] = set()

    def stream(self, name: str, text: str) -> None:
        self.calls.append(("stream", name, text))

    def add(self, output: Output, display_id: str | None) -> None:
        self.calls.append(("add", output, display_id))
        if display_id:
            self.known.add(display_id)

    def update(self, display_id: str, output: Output) -> bool:
        self.calls.append(("update", display_id, output))
        return display_id in self.known

    def clear(self, wait: bool) -> None:
        self.calls.append(("clear", wait))


class Recorder:
    """Stands in for the kernel: the shell's display publisher and sys.stdout/sys.stderr, in one log."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []

    def publish(self, data: dict[str, Any], metadata: Any = None, source: Any = None, *,
                transient: Any = None, update: bool = False, **kwargs: Any) -> None:
        entry = {"data": data, "transient": transient, "metadata": metadata}
        self.log.append(("update" if update else "display", entry))

    def clear_output(self, wait: bool = False) -> None:
        self.log.append(("clear", wait))

    @contextlib.contextmanager
    def streams(self) -> Iterator[None]:
        """sys.stdout/sys.stderr into the log (set in the test itself: pytest resets them per phase)."""
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = self.stream("stdout"), self.stream("stderr")
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved

    def stream(self, name: str) -> Any:
        recorder = self

        class Stream(io.StringIO):
            def write(self, text: str) -> int:
                recorder.log.append((name, text))
                return len(text)

        return Stream()


@pytest.fixture
def recorder(ip: Any) -> Iterator[Recorder]:
    rec = Recorder()
    saved = ip.display_pub, ip.display_formatter.active_types
    ip.display_pub = rec
    ip.display_formatter.active_types = ip.display_formatter.format_types  # as in a kernel
    try:
        yield rec
    finally:
        ip.display_pub, ip.display_formatter.active_types = saved


# ---- capture -----------------------------------------------------------------------------------


def test_capture_routes_prints_displays_and_tracebacks(ip: Any, recorder: Recorder) -> None:
    from IPython.display import HTML, clear_output, display, update_display

    sink = Sink()
    showtraceback = vars(ip).get("_showtraceback")
    with recorder.streams(), capture(ip, sink):
        print("hello")
        print("oops", file=sys.stderr)
        display(HTML("<b>bold</b>"), display_id="d1")
        update_display(HTML("<i>again</i>"), display_id="d1")
        update_display(HTML("elsewhere"), display_id="not-mine")
        clear_output(wait=True)
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            ip.showtraceback()
    kinds = [c[0] for c in sink.calls]
    assert kinds == ["stream", "stream", "stream", "stream", "add", "update", "update", "clear", "add"]
    assert "".join(c[2] for c in sink.calls if c[0] == "stream" and c[1] == "stdout") == "hello\n"
    assert sink.calls[4][1]["data"]["text/html"] == "<b>bold</b>" and sink.calls[4][2] == "d1"
    error = sink.calls[-1][1]
    assert error["output_type"] == "error" and error["ename"] == "ZeroDivisionError"
    # an update to a display this statement does not own goes where it would have gone
    ((kind, item),) = recorder.log
    assert kind == "update" and item["data"]["text/html"] == "elsewhere"
    assert item["transient"] == {"display_id": "not-mine"}
    assert ip.display_pub is recorder and vars(ip).get("_showtraceback") is showtraceback


@pytest.mark.parametrize("error", [ValueError("boom"), KeyboardInterrupt()])
def test_capture_lets_exceptions_through_and_restores(ip: Any, error: BaseException) -> None:
    before = sys.stdout, sys.stderr, ip.display_pub
    with pytest.raises(type(error)), capture(ip, Sink()):
        raise error
    assert (sys.stdout, sys.stderr, ip.display_pub) == before


def test_a_stream_kept_after_the_statement_writes_through(ip: Any) -> None:
    original = io.StringIO()
    saved = sys.stdout
    sys.stdout = original
    try:
        sink = Sink()
        with capture(ip, sink):
            kept = sys.stdout  # e.g. a logging handler made during the statement
            kept.write("during\n")
        kept.write("after\n")
        assert sys.stdout is original
    finally:
        sys.stdout = saved
    assert original.getvalue() == "after\n"
    assert sink.calls == [("stream", "stdout", "during\n")]


def test_jsonable_encodes_bytes() -> None:
    assert jsonable({"image/png": b"\x89PNG", "n": (1, 2)}) == {"image/png": "iVBORw==", "n": [1, 2]}


# ---- the view ----------------------------------------------------------------------------------

PROGRAM = '''print("start")
values = [3, 1, 2]
from IPython.display import HTML, display
display(HTML("<b>sorted</b>"))
print(sorted(values))
missing + 1
print("never")
'''


def _run(ip: Any, view: WidgetView, recorder: Recorder, program: str = PROGRAM, rate: float = 2000) -> None:
    engine = Engine(ip, ReplaySource(program, rate=rate), view=view, gate=Gate())
    with recorder.streams(), pytest.raises(StatementError):
        engine.run()


def test_takeover_replaces_the_widget_with_the_plain_rendering(ip: Any, recorder: Recorder) -> None:
    deltas: list[Any] = []
    view = WidgetView(ip, send=deltas.append)
    _run(ip, view, recorder)
    log = recorder.log
    first = log[0]
    # the live display names the widget's model; the labextension draws it (no widget view to dangle)
    assert first[0] == "display" and first[1]["data"][LIVE_MIME] == {"model_id": view.model_id}
    assert WIDGET_MIME not in first[1]["data"] and "text/plain" in first[1]["data"]
    display_id = first[1]["transient"]["display_id"]
    header = log[1]
    assert header[0] == "update" and header[1]["transient"]["display_id"] == display_id
    assert RUN_MIME in header[1]["data"] and "failed" in header[1]["data"]["text/markdown"]
    snapshot = header[1]["data"][RUN_MIME]["snapshot"]
    assert PROGRAM.startswith(snapshot["c"]) and snapshot["x"] == {}
    # then, in order: each statement's block, then what it printed or displayed
    rest = [(kind, item) for kind, item in log[2:] if kind != "stderr"]
    shape = []
    for kind, item in rest:
        if kind == "display" and STATEMENT_MIME in item["data"]:
            block = item["data"][STATEMENT_MIME]
            shape.append(("block", block["code"].strip(), block["status"]))
        elif kind == "display":
            shape.append(("display", "text/html" if "text/html" in item["data"] else "other"))
        else:
            shape.append((kind, item))
    # generation stopped at the error; at 2000 tok/s part of the next line may have streamed by then,
    # and it is shown as skipped (never run)
    tail = shape[9:]
    assert tail in ([], [("block", tail[0][1] if tail else "", "skipped")])
    assert 'print("never")'.startswith(tail[0][1] if tail else "")
    assert shape == [
        ("block", 'print("start")', "done"),
        ("stdout", "start\n"),
        ("block", "values = [3, 1, 2]", "done"),
        ("block", "from IPython.display import HTML, display", "done"),
        ("block", 'display(HTML("<b>sorted</b>"))', "done"),
        ("display", "text/html"),
        ("block", "print(sorted(values))", "done"),
        ("stdout", "[1, 2, 3]\n"),
        ("block", "missing + 1", "error"),
        *tail,
    ]
    # the same metadata as the plain view's outputs, for programs reading the saved notebook
    ours = [item["metadata"]["eager_jupyter"] for kind, item in log[1:]
            if kind in ("display", "update") and (item["metadata"] or {}).get("eager_jupyter")]
    assert ours[0]["part"] == "header" and ours[0]["final"] and ours[0]["state"] == "failed"
    statuses = [(m["index"], m["status"]) for m in ours if m["part"] == "statement"]
    ran = [(0, "done"), (1, "done"), (2, "done"), (3, "done"), (4, "done"), (5, "error")]
    assert statuses == ran + [(6, "skipped")] * len(tail)
    failed = [m for m in ours if m.get("status") == "error"]
    assert failed[0]["note"].startswith("✗ NameError") and {m["run"] for m in ours} == {display_id}
    errors = [item for kind, item in log if kind == "stderr"]
    assert any("NameError" in text for text in errors)  # the traceback (a terminal prints it)
    assert view.widget.comm is None or not view.widget.comm.kernel  # closed (or never had a kernel)


def test_deltas_carry_code_statuses_and_outputs(ip: Any, recorder: Recorder) -> None:
    deltas: list[Any] = []
    view = WidgetView(ip, send=deltas.append, takeover=False)
    _run(ip, view, recorder, rate=400)
    code = "".join(d.get("c", "") for d in deltas)
    assert PROGRAM.startswith(code) and "missing + 1\n" in code  # generation stops at the error
    ops = [op for d in deltas for op in d.get("s", [])]
    kinds = [part[0] for op in ops for part in (op.split(";") if isinstance(op, str) else [op])]
    assert kinds[0] == "B" and kinds[-1] == "E" and "R" in kinds
    printed = [op[3] for d in deltas for op in d.get("x", []) if op[0] == "s"]
    assert "".join(printed) == "start\n[1, 2, 3]\n"
    # takeover=False: the widget stays, nothing replaces it
    assert not any(kind == "update" for kind, _ in recorder.log)


def test_a_late_joining_frontend_gets_the_whole_run(ip: Any, recorder: Recorder) -> None:
    view = WidgetView(ip, send=lambda delta: None, takeover=False)
    _run(ip, view, recorder)
    state = view.widget.get_state()
    assert state["snapshot"] == view.snapshot()
    assert state["snapshot"]["c"] == PROGRAM[: len(state["snapshot"]["c"])]
    assert state["_model_module_version"] == MODULE_VERSION


def test_close_without_a_run_closes_the_widget(ip: Any, recorder: Recorder) -> None:
    view = WidgetView(ip, send=lambda delta: None)
    view.close()
    view.close()
    assert recorder.log == []


def test_widget_model_names_match_the_labextension() -> None:
    widget = EagerWidget()
    try:
        assert widget._model_name == "EagerModel" and widget._view_name == "EagerView"
        assert widget._model_module == "eager-jupyter"
        assert npm_version("0.1.0") == "0.1.0" and MODULE_VERSION.startswith("^")
    finally:
        widget.close()


def test_an_entered_output_widget_is_noticed_as_widgets_come_and_go() -> None:
    import ipywidgets

    from eager_jupyter.views.capture import _OutputWidgets

    watch = _OutputWidgets()
    first = ipywidgets.Output()
    assert not watch.active()
    first.msg_id = "parent-1"  # what ``with first:`` sets in a kernel
    assert watch.active()
    first.msg_id = ""
    first.close()
    second = ipywidgets.Output()  # as many widgets as before, but a new one
    second.msg_id = "parent-2"
    assert watch.active()
    second.msg_id = ""
    assert not watch.active()
    second.close()
