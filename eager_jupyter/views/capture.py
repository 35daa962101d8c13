"""Capture one statement's outputs in the kernel, as data, while it runs; and publish them again later.

Why capture in the kernel rather than ``with output_widget:`` (see the project's kernel facts): an
``Output`` widget routes outputs on the frontend by msg_id, so the kernel never sees them (its
``outputs`` stay empty, nothing to persist, nbclient files them under widget state), and its
``__exit__`` swallows every exception, KeyboardInterrupt included, which the engine needs to see.

``capture(shell, sink)`` swaps, for the duration of the ``with`` block, on the main thread:

- ``sys.stdout`` / ``sys.stderr`` for streams that hand each write to the sink at once (so a long
  statement's prints stream live); once the block ends they pass writes through to the originals, so
  a reference kept by the code (a logging handler made during the statement) keeps working;
- ``shell.display_pub`` for a publisher that hands displays (figures, DataFrames, widgets the code
  displays, ``clear_output``) to the sink; updates to a display id the sink does not know (a display
  made in an earlier cell) go to the real publisher;
- ``shell._showtraceback`` so the traceback IPython renders becomes an ``error`` output.

Exceptions propagate out of the block untouched. What is not captured (it goes to the cell as usual):
writes to the process's file descriptors (C extensions, subprocesses not run through ``!``), streams
held from before the statement (a logging handler made in an earlier cell), outputs of threads after
the statement ended, and ``execute_result`` (the engine lets IPython display the program's last value
after the run, as a cell does).

While the generated code is inside an ipywidgets ``Output`` (``with out:``, ``interact``'s calls,
``@out.capture()``), everything passes through to the real streams, publisher and traceback display:
the frontend routes those messages into that ``Output`` by their parent's msg_id, as in any cell.
Whether one is entered is read from the ``Output`` widgets alive (a non-empty ``msg_id``), kept in a
list that is rebuilt only when the set of widgets changes.

``publish(shell, output)`` sends a captured output to the cell as an ordinary output (the post-run
takeover in ``widget``): streams through ``sys.stdout``/``sys.stderr``, displays through the shell's
display publisher, errors as an ``error`` message like IPython's own.
"""

from __future__ import annotations

import base64
import contextlib
import io
import sys
from collections.abc import Iterator
from typing import Any, Protocol

Output = dict[str, Any]  # an nbformat v4 output: stream, display_data, execute_result or error

__all__ = ["Output", "OutputSink", "capture", "jsonable", "output_widget_active", "publish", "redirected"]


class OutputSink(Protocol):
    """Where a statement's outputs go (``WidgetView`` binds one per statement)."""

    def stream(self, name: str, text: str) -> None: ...

    def add(self, output: Output, display_id: str | None) -> None: ...

    def update(self, display_id: str, output: Output) -> bool: ...

    def clear(self, wait: bool) -> None: ...


def jsonable(value: Any) -> Any:
    """``value`` with bytes base64-encoded (as the kernel's JSON packer would) and tuples as lists."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class _OutputWidgets:
    """Is an ipywidgets ``Output`` context entered right now? (see the module docstring)"""

    def __init__(self) -> None:
        self._seen: tuple[int, Any] = (-1, None)
        self._outputs: list[Any] = []

    def active(self) -> bool:
        widget = sys.modules.get("ipywidgets.widgets.widget")
        module = sys.modules.get("ipywidgets.widgets.widget_output")
        instances = getattr(widget, "_instances", None)
        if module is None or not isinstance(instances, dict):
            return False
        # widgets are added at the end of the dict: its size and last key tell whether it changed
        seen = (len(instances), next(reversed(instances), None))
        if seen != self._seen:
            self._seen = seen
            self._outputs = [w for w in list(instances.values()) if isinstance(w, module.Output)]
        return any(getattr(w, "msg_id", "") for w in self._outputs)


_output_widgets = _OutputWidgets()
#: True while generated code is inside an ipywidgets ``Output`` (the plain view's header waits then)
output_widget_active = _output_widgets.active


class _Stream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` during a statement: every write goes to the sink."""

    def __init__(self, name: str, sink: OutputSink, original: Any) -> None:
        super().__init__()
        self.name_ = name
        self.sink = sink
        self.original = original
        self.active = True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self.active and not _output_widgets.active():
            self.sink.stream(self.name_, text)
        else:
            self.original.write(text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if not self.active or _output_widgets.active():
            self.original.flush()

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to close; and no flush of the real stream when this one is collected (IOBase's
        ``__del__`` closes, and an ipykernel flush is a round trip to its IOPub thread)."""

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.original, "errors", None)

    def fileno(self) -> int:
        return int(self.original.fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


class _Publisher:
    """``shell.display_pub`` during a statement: displays go to the sink."""

    def __init__(self, sink: OutputSink, original: Any) -> None:
        self.sink = sink
        self.original = original

    def publish(
        self,
        data: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        source: Any = None,
        *,
        transient: dict[str, Any] | None = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        if _output_widgets.active():
            self.original.publish(data, metadata, transient=transient, update=update, **kwargs)
            return
        output: Output = {
            "output_type": "display_data",
            "data": jsonable(data),
            "metadata": jsonable(metadata or {}),
        }
        display_id = (transient or {}).get("display_id")
        if update:
            if display_id is None or not self.sink.update(display_id, output):
                self.original.publish(data, metadata, transient=transient, update=True, **kwargs)
            return
        if display_id is not None:
            output["transient"] = {"display_id": display_id}
        self.sink.add(output, display_id)

    def clear_output(self, wait: bool = False) -> None:
        if _output_widgets.active():
            self.original.clear_output(wait)
            return
        self.sink.clear(wait)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


@contextlib.contextmanager
def redirected(out: Any, err: Any) -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` replaced by ``out`` and ``err`` (streams with ``active`` and
    ``original``) inside the block; after it they stop writing, and the originals come back unless
    something else replaced them meanwhile. The agent's tap uses it too."""
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        out.active = err.active = False
        if sys.stdout is out:
            sys.stdout = out.original
        if sys.stderr is err:
            sys.stderr = err.original


@contextlib.contextmanager
def capture(shell: Any, sink: OutputSink) -> Iterator[None]:
    """Route what runs inside the block to ``sink`` (see the module docstring). Main thread only.

    No flush on the way in: what the real streams still buffer was written outside any statement and
    goes to the cell anyway (an ipykernel flush is a round trip to its IOPub thread)."""
    out = _Stream("stdout", sink, sys.stdout)
    err = _Stream("stderr", sink, sys.stderr)
    publisher = getattr(shell, "display_pub", None)
    had_showtraceback = "_showtraceback" in vars(shell)
    saved_showtraceback = vars(shell).get("_showtraceback")

    def showtraceback(etype: type[BaseException], evalue: BaseException, stb: list[str]) -> None:
        if _output_widgets.active():  # an Output's __exit__ shows the error it swallows, inside it
            if had_showtraceback:
                saved_showtraceback(etype, evalue, stb)
            else:
                type(shell)._showtraceback(shell, etype, evalue, stb)
            return
        shell._last_traceback = stb
        error: Output = {
            "output_type": "error",
            "ename": getattr(etype, "__name__", str(etype)),
            "evalue": str(evalue),
            "traceback": list(stb),
        }
        sink.add(error, None)

    if publisher is not None:
        shell.display_pub = _Publisher(sink, publisher)
    shell._showtraceback = showtraceback
    try:
        with redirected(out, err):
            yield
    finally:
        if publisher is not None:
            shell.display_pub = publisher
        if had_showtraceback:
            shell._showtraceback = saved_showtraceback
        else:
            with contextlib.suppress(AttributeError):
                del shell._showtraceback


def publish(shell: Any, output: Output) -> None:
    """Send a captured output to the running cell as an ordinary output."""
    kind = output.get("output_type")
    if kind == "stream":
        stream = sys.stderr if output.get("name") == "stderr" else sys.stdout
        stream.write(output.get("text", ""))
        return
    if kind in ("display_data", "execute_result"):
        from IPython.display import publish_display_data

        publish_fn: Any = publish_display_data
        publish_fn(output.get("data", {}), output.get("metadata") or None, transient=output.get("transient"))
        return
    if kind == "error":
        _publish_error(shell, output)


def _publish_error(shell: Any, output: Output) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    content = {
        "ename": output.get("ename", "Error"),
        "evalue": output.get("evalue", ""),
        "traceback": output.get("traceback", []),
    }
    hook: Any = getattr(shell, "displayhook", None)
    session = getattr(hook, "session", None)
    if session is None:  # a terminal or a plain InteractiveShell: print it
        print("\n".join(content["traceback"]), file=sys.stderr)
        return
    topic = getattr(hook, "topic", None)
    if topic:
        topic = topic.replace(b"execute_result", b"error")
    session.send(hook.pub_socket, "error", content, hook.parent_header, ident=topic)
