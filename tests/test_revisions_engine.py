"""Revisable streams in the engine (issue 18), with a real in-process IPython shell: statements
withdrawn before they run, the on_revision policies for statements that ran, a revision of the
lookahead only, the revision window (hold_tokens), and the record of revisions."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from eager_jupyter.engine import Engine
from eager_jupyter.engine.revisions import RevisedAfterRun, Revisions
from eager_jupyter.gate import Gate
from eager_jupyter.sources.replay import TraceSource
from eager_jupyter.sources.revisions import MarkedSource, Revision
from eager_jupyter.trace import parse_trace


class Scripted:
    """Yields text pieces and revisions; a ``threading.Event`` in the script waits until the program
    sets it (so a revision can come after a statement ran)."""

    label = "scripted"
    model = None

    def __init__(self, items: list[object], kind: str = "code") -> None:
        self.items = items
        self.kind = kind
        self.usage: dict[str, int] = {}
        self._closed = threading.Event()

    def stream(self) -> Iterator[str | Revision]:
        for item in self.items:
            if self._closed.is_set():
                return
            if isinstance(item, threading.Event):
                while not item.wait(0.02):  # until the program sets it, or the source is closed
                    if self._closed.is_set():
                        return
                continue
            assert isinstance(item, str | Revision)
            yield item

    def close(self) -> None:
        self._closed.set()


def engine_for(ip, items, *, on_revision="stop", hold=0, gate=None, kind="code") -> Engine:
    engine = Engine(ip, Scripted(items, kind), gate=gate)
    engine.revisions = Revisions(engine, on_revision, hold)
    return engine


def statuses(engine: Engine) -> list[tuple[str, str, bool, int | None]]:
    return [(s.code, s.status, s.revised, s.rerun_of) for s in engine.record.statements]


def test_a_queued_statement_is_withdrawn_and_its_revision_runs(ip):
    # the gate holds subprocess.run until the end: the revision reaches it before it runs
    text = "import subprocess\nr = subprocess.run('true', shell=True)\n"
    engine = engine_for(ip, [text, Revision(len("import subprocess\nr = subprocess.run(")),
                             "['true'])\n"], gate=Gate())
    engine.run()
    assert statuses(engine) == [
        ("import subprocess\n", "done", False, None),
        ("r = subprocess.run('true', shell=True)\n", "skipped", True, None),
        ("r = subprocess.run(['true'])\n", "done", False, None),
    ]
    assert engine.record.statements[1].skip_reason == "revised"
    assert ip.user_ns["r"].args == ["true"]
    assert engine.revisions.reruns == 0 and engine.revisions.withdrawn == 1
    assert engine.record.code == "import subprocess\nr = subprocess.run(['true'])\n"
    (rev,) = engine.record.revisions
    assert (rev.offset, rev.withdrawn, rev.new) == (37, "'true', shell=True)\n", "['true'])\n")


def test_stop_policy_fails_naming_the_statement_and_keeps_what_ran(ip):
    ran = threading.Event()
    ip.user_ns["ran"] = ran
    never = threading.Event()
    engine = engine_for(ip, ["x = 1\n", "ran.set()\n", ran, Revision(4), "2\n", never, "y = x\n"])
    with pytest.raises(RevisedAfterRun, match=r"statement 1 \(line 1\) had run when the model revised it"):
        engine.run()
    assert ip.user_ns["x"] == 1 and "y" not in ip.user_ns
    record = engine.record
    assert record.statements[0].status == "done" and record.statements[0].revised
    assert record.status == "error" and record.generation_stopped
    assert "on_revision" in (record.error or "")


def test_rerun_policy_runs_the_revised_statement_and_what_follows(ip):
    ran = threading.Event()
    ip.user_ns["ran"] = ran
    ip.user_ns["log"] = []
    items = ["x = 1\n", "log.append(x)\n", "ran.set()\n", ran, Revision(4), "2\n", "log.append(x)\n"]
    engine = engine_for(ip, items, on_revision="rerun")
    engine.run()
    assert ip.user_ns["log"] == [1, 2]  # the side effects of the first run stay
    assert statuses(engine)[3:] == [("x = 2\n", "done", False, 0), ("log.append(x)\n", "done", False, 1)]
    assert engine.revisions.reruns == 2
    assert engine.record.code == "x = 2\nlog.append(x)\n"


def test_a_revision_of_the_lookahead_only_keeps_the_statement(ip):
    ran = threading.Event()
    ip.user_ns["ran"] = ran
    head = "if True:\n    a = 1\n    ran.set()\n"
    engine = engine_for(ip, [head, "z", ran, Revision(len(head)), "b = 2\n"])
    engine.run()  # stop policy, yet nothing stops: the `if` is the same statement
    assert [(c, s) for c, s, _, _ in statuses(engine)] == [(head, "done"), ("b = 2\n", "done")]
    assert engine.record.revisions[0].withdrawn == "z"


def test_a_revision_that_continues_a_statement_that_ran_is_a_revision(ip):
    ran = threading.Event()
    ip.user_ns["ran"] = ran
    head = "if True:\n    a = 1\n    ran.set()\n"
    engine = engine_for(ip, [head, "z", ran, Revision(len(head)), "else:\n    a = 3\n"],
                        on_revision="rerun")
    engine.run()
    assert statuses(engine)[1] == (head + "else:\n    a = 3\n", "done", False, 0)


def test_the_revision_window_absorbs_revisions(ip):
    ip.user_ns["log"] = []
    items = ["x = 1\n", "log.append(x)\n", Revision(4), "2\n", "log.append(x)\n"]
    engine = engine_for(ip, items, hold=100)
    engine.run()
    assert ip.user_ns["log"] == [2]  # nothing ran before the revision: no rerun, no withdrawal
    assert [(c, s) for c, s, _, _ in statuses(engine)] == [("x = 2\n", "done"), ("log.append(x)\n", "done")]
    assert engine.revisions.withdrawn == engine.revisions.reruns == 0


def test_a_markdown_trace_revision_reopens_the_block(ip):
    lines = [
        '{"eager_trace": 1, "kind": "markdown", "origin": "written"}',
        '{"t": 0, "text": "Here:\\n```python\\nv = 1\\n```\\nDone.\\n"}',
        '{"t": 0.01, "revise": 22}',
        '{"t": 0.02, "text": "w = v + 1\\n```\\n"}',
        '{"end": 0.03, "stop_reason": "end_turn"}',
    ]
    engine = Engine(ip, TraceSource(parse_trace(lines), speed=10))
    engine.run()
    assert ip.user_ns["w"] == 2
    assert engine.record.code == "v = 1\nw = v + 1\n"
    assert engine.record.prose == "Here:\n```python\n```\n"


def test_markers_in_text_are_revisions(ip):
    ip.user_ns["log"] = []
    source = MarkedSource(Scripted(["p = 'a'<|rev", "ise:4|>'b'\nlog.append(p)\n"]))
    engine = Engine(ip, source)
    engine.run()
    assert ip.user_ns["log"] == ["b"]
    assert engine.record.code == "p = 'b'\nlog.append(p)\n"


@pytest.mark.parametrize("suffix", [".py", ".jsonl"])
def test_a_repair_rounds_source_decodes_markers_like_the_first(ip, tmp_path, suffix):
    """``--fix``: the repair round's source is wrapped for revision markers as the first round's is
    (the marker would otherwise be code: a SyntaxError in the repair)."""
    fix_code = "fb = 0<|revise:0|>fb = fa + 1\n"
    fix = tmp_path / f"fix{suffix}"
    if suffix == ".py":
        fix.write_text(fix_code)
    else:
        fix.write_text('{"eager_trace": 1, "kind": "code", "origin": "written"}\n'
                       f'{{"t": 0.0, "text": {fix_code!r}}}\n'.replace("'", '"')
                       + '{"end": 0.01, "stop_reason": "end_turn"}\n')
    body = "fa = 1<|revise:5|>2\nfb = fa / 0\n"
    result = ip.run_cell(f"%%eager --replay --rate 2000 --view plain --fix 1 --fix-replay {fix}\n{body}")
    assert result.error_in_exec is None, result.error_in_exec
    record = ip.user_ns["_eager"]
    assert (ip.user_ns["fa"], ip.user_ns["fb"]) == (2, 3)
    assert [(s.round, s.code, s.status) for s in record.statements] == [
        (0, "fa = 2\n", "done"), (0, "fb = fa / 0\n", "error"), (1, "fb = fa + 1\n", "done")
    ]
    assert [r.withdrawn for r in record.revisions] == ["1", "fb = 0"]


def markdown_engine(ip, items: list[object]) -> Engine:
    return Engine(ip, Scripted(items, kind="markdown"))


def test_the_record_keeps_a_revision_of_a_partial_fence_only(ip):
    # "``" at the start of a line may become a fence: the filter holds it, it is neither code nor
    # prose; a revision that withdraws only it withdraws no code, and is still a revision
    head = "Here:\n```python\nv = 1\n"
    engine = markdown_engine(ip, [head + "``", Revision(len(head)), "w = v + 1\n```\nDone.\n"])
    engine.run()
    assert ip.user_ns["w"] == 2
    (rev,) = engine.record.revisions
    assert (rev.source_offset, rev.offset, rev.withdrawn, rev.prose_withdrawn) == (len(head), 6, "", "")
    assert (rev.new, rev.new_prose) == ("w = v + 1\n", "```\nDone.\n")


def test_the_record_keeps_a_revision_that_withdraws_nothing(ip):
    text = "a = 1\n"
    engine = engine_for(ip, [text, Revision(len(text)), "b = a\n", Revision(0), "a = 2\n"])
    engine.run()
    assert [(r.source_offset, r.offset, r.withdrawn, r.new) for r in engine.record.revisions] == [
        (6, 6, "", "b = a\n"), (0, 0, "a = 1\nb = a\n", "a = 2\n")
    ]


def test_the_record_keeps_the_source_offset_and_the_new_prose(ip):
    reply = "Here:\n```python\nv = 1\n```\nDone, v is one.\n"
    k = reply.rindex("one")
    engine = markdown_engine(ip, [reply, Revision(k), "1 now.\n"])
    engine.run()
    (rev,) = engine.record.revisions
    assert (rev.source_offset, rev.offset, rev.withdrawn, rev.new) == (k, 6, "", "")
    assert (rev.prose_withdrawn, rev.new_prose) == ("one.\n", "1 now.\n")
    assert engine.record.prose.endswith("Done, v is 1 now.\n")
    assert engine.record.to_dict()["revisions"][0]["source_offset"] == k


class _Statements:
    """What ``Revisions.release`` reads of an engine: its statements (appended as released)."""

    def __init__(self) -> None:
        self._statements: list[object] = []
        self.record = self
        self.statements = self._statements


def windowed(hold: int, items: list[object]) -> list[tuple[int, str]]:
    """Items through the engine's own loop (chunker, then the revision window), no kernel: for each
    statement the window releases, (how many items had arrived, its code)."""
    from eager_jupyter.chunker import Chunker
    from eager_jupyter.engine.producer import Ended, Revised
    from eager_jupyter.record import StatementRecord

    engine = _Statements()
    revisions = Revisions(engine, hold_tokens=hold)  # type: ignore[arg-type]
    chunker = Chunker()
    out = []
    for n, item in enumerate([*items, Ended(0.0)], start=1):
        if isinstance(item, Ended):
            released = chunker.finish()
        elif isinstance(item, Revision):
            item = Revised(0.0, item.offset)
            revisions.revise(item, chunker, None)  # type: ignore[arg-type]
            released = []
        else:
            item = (0.0, item)
            released = chunker.feed(item[1])
        for chunk in revisions.release(released, item):
            out.append((n, chunk.code))
            engine.statements.append(StatementRecord(len(engine.statements), chunk.code, 1, 0.0, 0.0))
    return out


def test_the_window_releases_a_statement_after_exactly_k_code_pieces():
    pieces = ["x = 1\n", "y", " =", " 2", "\n", "z = 3\n"]
    # x = 1 is complete with piece 1; pieces 2, 3, 4 are the 3 that follow: released with piece 4
    assert windowed(3, pieces) == [(4, "x = 1\n"), (7, "y = 2\n"), (7, "z = 3\n")]
    assert windowed(0, pieces)[0] == (1, "x = 1\n")


def test_a_revision_inside_the_window_restarts_its_count():
    # x = 1 complete at piece 1; pieces 2, 3 follow, then a revision reaches into it: its new
    # version is complete at item 5, and waits for 3 more code pieces (6, 7, 8), not 1
    items = ["x = 1\n", "y", " =", Revision(4), "2\n", "y", " =", " 2\n", "w = 0\n"]
    assert windowed(3, items)[0] == (8, "x = 2\n")
    # a revision that only withdraws text after it does not restart the count
    items = ["x = 1\n", "y", " =", Revision(7), " =", " 2\n"]
    assert windowed(3, items)[0] == (5, "x = 1\n")
