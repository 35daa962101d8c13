"""The plain view against synthetic events (no kernel): what it displays, and when."""

from __future__ import annotations

from typing import Any

from eager_jupyter.events import (
    PieceStreamed,
    RunEnded,
    RunStarted,
    StatementFailed,
    StatementFinished,
    StatementHeld,
    StatementReleased,
    StatementSkipped,
    StatementStarted,
)
from eager_jupyter.record import RecordBuilder
from eager_jupyter.views.outputs import code_block, fenced, prose_text, summary_line
from eager_jupyter.views.plain import PlainView


class Display:
    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], dict[str, Any]]] = []

    def __call__(self, bundle: dict[str, str], **kw: Any) -> None:
        self.calls.append((bundle, kw))

    def markdown(self) -> list[str]:
        return [b["text/markdown"] for b, kw in self.calls if not kw.get("update")]


def feed(view: PlainView, builder: RecordBuilder, *events: Any) -> None:
    for event in events:
        builder.handle(event)
        view.handle(event, builder.record)


def test_blocks_prose_held_skipped_and_summary():
    display, builder = Display(), RecordBuilder()
    view = PlainView(display, updates_per_second=1000)
    reply_start = "Here you go:\n\n```python\n"
    feed(
        view,
        builder,
        RunStarted(0.0, "trace t", "eager"),
        PieceStreamed(0.1, reply_start, "prose"),
        PieceStreamed(0.2, "a = 1\n", "code", 0),
        StatementReleased(0.2, 0, "a = 1\n", 1, 0.2, 0),
        StatementStarted(0.21, 0, 1),
        StatementFinished(0.22, 0, 0.01),
        PieceStreamed(0.3, "import os\nos.getpid()\nb = 1 / 0\nc = 2\n", "code", 6),
        StatementReleased(0.3, 1, "import os\n", 2, 0.3, 6),
        StatementReleased(0.3, 2, "os.getpid()\n", 3, 0.3, 16),
        StatementHeld(0.3, 2, "uses os.getpid (process and file-system calls)"),
        StatementReleased(0.3, 3, "b = 1 / 0\n", 4, 0.3, 28),
        StatementHeld(0.3, 3, "after a held statement"),
        StatementReleased(0.3, 4, "c = 2\n", 5, 0.3, 38),
        StatementHeld(0.3, 4, "after a held statement"),
        PieceStreamed(0.4, "```\n\nThat's it.\n", "prose"),
        StatementStarted(0.5, 1, 2),
        StatementFinished(0.51, 1, 0.01),
        StatementStarted(0.52, 2, 2),
        StatementFinished(0.53, 2, 0.01),
        StatementStarted(0.54, 3, 2),
        StatementFailed(0.55, 3, 0.01, "ZeroDivisionError: division by zero"),
        StatementSkipped(0.55, 4, "an earlier statement failed"),
        RunEnded(0.6, "error", "statement 4 (line 4) failed"),
    )
    view.close()
    shown = display.markdown()
    header, blocks = shown[0], shown[1:]
    first_lines = [b.split("\n")[1] for b in blocks[:5]]
    assert first_lines == ["a = 1", "import os", "os.getpid()", "b = 1 / 0", "c = 2"]
    assert "held until generation ended: uses os.getpid" in blocks[2]
    assert "not run: an earlier statement failed" in blocks[4]
    assert blocks[-1] == "That's it."  # the closing prose, without its fence line
    updates = [b for b, kw in display.calls if kw.get("update") and kw["display_id"].endswith("head")]
    final_header = updates[-1]
    assert final_header["text/markdown"].startswith("Here you go:\n\n**eager**")
    assert "```" not in final_header["text/markdown"]
    assert "failed" in final_header["text/markdown"] and "1 failed" in final_header["text/markdown"]
    failed_updates = [b for b, kw in display.calls if kw.get("update") and "✗" in b["text/markdown"]]
    assert failed_updates and "ZeroDivisionError" in failed_updates[0]["text/markdown"]
    assert header.startswith("**eager**")
    # what each output is, for programs (the metadata)
    meta = [kw["metadata"]["eager_jupyter"] for _, kw in display.calls]
    blocks_meta = [m for m in meta if m["part"] == "statement"]
    # displayed when they start, updated when one fails, and at the end every block says its final
    # status (a quick statement's metadata would otherwise still say running in the saved notebook)
    assert [(m["index"], m["status"]) for m in blocks_meta] == [
        (0, "running"), (1, "running"), (2, "running"), (3, "running"), (3, "error"),
        (0, "done"), (1, "done"), (2, "done"), (4, "skipped"),
    ]
    assert blocks_meta[2]["note"].startswith("held until generation ended: uses os.getpid")
    assert blocks_meta[4]["run_s"] == 0.01 and blocks_meta[4]["line"] == 4
    assert blocks_meta[7]["note"].startswith("held until generation ended: uses os.getpid")
    assert meta[-1]["part"] == "header" and meta[-1]["final"] and meta[-1]["state"] == "failed"
    assert {m["run"] for m in meta} == {view._id} and [m["part"] for m in meta].count("prose") == 1


def test_a_fast_statement_costs_one_display():
    display, builder = Display(), RecordBuilder()
    view = PlainView(display, updates_per_second=0.001)
    feed(
        view,
        builder,
        RunStarted(0.0, "s", "eager"),
        StatementReleased(0.1, 0, "x = 1\n", 1, 0.1, 0),
        StatementStarted(0.1, 0, 1),
        StatementFinished(0.1001, 0, 0.0001),
    )
    block_messages = [kw for _, kw in display.calls if kw.get("display_id", "").endswith("-0")]
    assert len(block_messages) == 1


def test_terminal_mode_prints_only_blocks_and_a_summary():
    display, builder = Display(), RecordBuilder()
    view = PlainView(display, live=False)
    feed(
        view,
        builder,
        RunStarted(0.0, "s", "eager"),
        PieceStreamed(0.1, "x = 1\n", "code", 0),
        StatementReleased(0.1, 0, "x = 1\n", 1, 0.1, 0),
        StatementStarted(0.1, 0, 1),
        StatementFinished(0.2, 0, 0.1),
        RunEnded(0.3, "ok"),
    )
    assert not any(kw.get("update") for _, kw in display.calls)
    assert len(display.calls) == 2 and "**eager**" in display.calls[-1][0]["text/markdown"]


def test_bundles():
    assert fenced("x = '```'") == "````python\nx = '```'\n````"
    bundle = code_block("\n\n# c\ny = 2\n", "✓ done")
    assert bundle["text/plain"] == "# c\ny = 2\n# ✓ done"
    page = bundle["text/html"]
    assert page.startswith('<pre class="eager-code" style="font-family: var(--jp-code-font-family')
    assert '<code class="language-python"># c\ny = 2</code></pre>' in page and "✓ done" in page
    assert prose_text("~~~py\ntext\n~~~\n") == "text"


def test_throttle_waits_while_busy_then_delivers_the_last_change():
    import threading

    from eager_jupyter.views.throttle import Throttle

    flushed = threading.Event()
    calls: list[bool] = []
    busy = [True]

    def flush() -> None:
        calls.append(busy[0])
        flushed.set()

    throttle = Throttle(flush, per_second=50, busy=lambda: busy[0])
    try:
        throttle.poke()  # busy: nothing now, the timer keeps trying
        assert not flushed.wait(0.2) and calls == []
        busy[0] = False
        assert flushed.wait(5)
        assert calls == [False]  # never flushed while busy
    finally:
        throttle.close()


def test_header_updates_wait_while_code_is_inside_an_output_widget():
    import threading

    import ipywidgets

    display, builder = Display(), RecordBuilder()
    updated = threading.Event()

    def noting(*args: Any, **kw: Any) -> None:
        display(*args, **kw)
        if kw.get("update"):
            updated.set()

    view = PlainView(noting, updates_per_second=50)
    out = ipywidgets.Output()
    try:
        feed(view, builder, RunStarted(0.0, "s", "eager"))
        out.msg_id = "parent"  # what ``with out:`` sets in a kernel
        feed(view, builder, PieceStreamed(0.1, "x = 1\n"))
        assert not updated.wait(0.3)
        out.msg_id = ""
        assert updated.wait(5)
    finally:
        view.close()
        out.close()


def test_code_cut_by_a_stop_says_so_and_unsent_tokens_read_well():
    """The code after the last statement of a run the user stopped reads "stopped by you", not
    "generated after the last statement"; one token never generated is "1 token", with no "~0.0 s"."""
    display, builder = Display(), RecordBuilder()
    view = PlainView(display, updates_per_second=1000)
    feed(
        view,
        builder,
        RunStarted(0.0, "replay", "eager"),
        PieceStreamed(0.1, "a = 1\n", "code", 0),
        StatementReleased(0.1, 0, "a = 1\n", 1, 0.1, 0),
        StatementStarted(0.1, 0, 1),
        StatementFinished(0.11, 0, 0.01),
        PieceStreamed(0.2, "b = [1,", "code", 6),
        StatementFailed(0.3, 0, 0.0, "KeyboardInterrupt", True),
    )
    builder.record.unsent_tokens = 1
    feed(view, builder, RunEnded(0.3, "interrupted", "KeyboardInterrupt"))
    view.close()
    texts = [b.get("text/plain", "") for b, _ in display.calls]
    assert any("not run: stopped by you" in t and "b = [1," in t for t in texts), texts
    assert not any("generated after the last statement" in t for t in texts)
    line = summary_line(builder.record)
    assert "1 token never generated" in line and "~0.0 s" not in line, line


def test_a_hold_reaches_the_plain_header_on_the_next_tick():
    """While the model still writes, the plain view's header says which statement is held and why at
    its next tick (10 a second: a timer delivers it, nothing else has to happen). The bound asserted
    is loose, for a loaded machine; the browser tests hold the widget to 250 ms."""
    import time

    display, builder = Display(), RecordBuilder()
    view = PlainView(display)  # the default pace: at most 10 header updates a second
    try:
        feed(
            view,
            builder,
            RunStarted(0.0, "replay", "eager"),
            PieceStreamed(0.1, "import os\nos.listdir('.')\n", "code", 0),
            StatementReleased(0.1, 0, "import os\n", 1, 0.1, 0),
            StatementStarted(0.1, 0, 1),
            StatementFinished(0.11, 0, 0.01),
            StatementReleased(0.12, 1, "os.listdir('.')\n", 2, 0.12, 10),
        )
        time.sleep(0.3)  # the last header update is behind us: the hold is news
        before = len(display.calls)
        held_at = time.monotonic()
        feed(view, builder, StatementHeld(0.12, 1, "reads files: os.listdir"))
        shown = None
        while shown is None and time.monotonic() - held_at < 2.0:
            for bundle, kw in display.calls[before:]:
                if kw.get("update") and "held until generation ends" in bundle.get("text/plain", ""):
                    shown = time.monotonic() - held_at
            time.sleep(0.005)
        assert shown is not None and shown < 1.0, shown
        text = next(b["text/plain"] for b, kw in display.calls[before:] if kw.get("update"))
        assert "statement 2 (reads files: os.listdir)" in text
    finally:
        view.close()
