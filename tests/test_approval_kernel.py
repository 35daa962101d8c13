"""Approval in real kernels: ``--approve ask`` answered through the kernel's stdin channel, as
JupyterLab, Notebook 7 and VS Code answer ``input()`` (jupyter_client sends the input reply), for each
choice; and a notebook run headless by nbclient (no stdin), where ``ask`` acts as ``deny`` and says so.

One kernel for the answered runs (each test writes to its own file); nbclient starts its own.
"""

from __future__ import annotations

import json
import queue
from pathlib import Path
from typing import Any

import nbformat
import pytest
from kernel_harness import Execution
from nbclient import NotebookClient

pytestmark = pytest.mark.kernel

PROGRAM = "a = 1\np.write_text('written')\nb = 2\n"
ASK = "%%eager --replay --rate 400 --view plain --approve ask\n" + PROGRAM


def answered(kernel: Any, code: str, answers: list[str], timeout: float = 60) -> tuple[Execution, list[str]]:
    """Execute ``code`` with stdin allowed, answering each input request in turn (``x`` once the
    answers run out, so a test never hangs); returns the execution and the prompts received."""
    client = kernel.client
    pending = list(answers)
    prompts: list[str] = []
    msg_id = client.execute(code, allow_stdin=True)
    outputs: list[dict[str, Any]] = []
    while True:
        try:
            request = client.get_stdin_msg(timeout=0.02)
        except queue.Empty:
            pass
        else:
            assert request["parent_header"]["msg_id"] == msg_id
            prompts.append(request["content"]["prompt"])
            client.input(pending.pop(0) if pending else "x")
        try:
            msg = client.get_iopub_msg(timeout=0.02)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                break
            continue
        if msg["msg_type"] != "execute_input":
            outputs.append(msg)
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    return Execution(reply, outputs), prompts


def prepare(kernel: Any, path: Path) -> None:
    r = kernel.execute(f"from pathlib import Path\np = Path({str(path)!r})\na = b = None")
    assert r.status == "ok", r.reply["content"]


def statuses(kernel: Any) -> list[tuple[str, str, str | None]]:
    rec = kernel.value("_eager.to_dict()")
    return [(s["code"].strip(), s["status"], s["skip_reason"]) for s in rec["statements"]]


def test_the_prompt_lists_the_held_statements_and_run_all_runs_them(kernel, tmp_path):
    target = tmp_path / "run.txt"
    prepare(kernel, target)
    r, prompts = answered(kernel, ASK, ["perhaps", "r"])
    assert r.status == "ok", r.reply["content"]
    assert len(prompts) == 2  # an unknown answer is asked again
    first = prompts[0].splitlines()
    assert first[0] == "2 statements held until you approve (--approve ask):"
    assert first[1].strip() == "2. line 2: p.write_text('written')"
    assert first[2].strip() == "held: writes or deletes files: p.write_text (pathlib.Path.write_text)"
    assert first[3].strip() == "3. line 3: b = 2"
    assert first[4].strip().startswith("held: after a held statement")
    assert first[-1] == "Run them? r = run all, s = skip held, x = stop the run: "
    assert prompts[1].startswith("'perhaps' is not one of r, s, x")
    assert [s for _, s, _ in statuses(kernel)] == ["done", "done", "done"]
    assert target.read_text() == "written" and kernel.value("b") == 2


def test_skip_held_skips_them_and_the_cell_succeeds(kernel, tmp_path):
    target = tmp_path / "skip.txt"
    prepare(kernel, target)
    r, prompts = answered(kernel, ASK, ["s"])
    assert r.status == "ok", r.reply["content"]
    assert len(prompts) == 1
    assert statuses(kernel) == [
        ("a = 1", "done", None),
        ("p.write_text('written')", "skipped", "not approved"),
        ("b = 2", "skipped", "not approved"),
    ]
    assert not target.exists() and kernel.value("b") is None
    notes = [t for t in r.texts("text/markdown") if "not approved" in t]
    assert notes  # the plain view says why under each statement


def test_stop_fails_the_cell_with_one_line(kernel, tmp_path):
    target = tmp_path / "stop.txt"
    prepare(kernel, target)
    r, prompts = answered(kernel, ASK, ["x"])
    assert r.status == "error" and len(prompts) == 1
    assert r.reply["content"]["evalue"] == "2 held statements were not approved; the run stopped"
    errors = r.of_type("error")
    assert len(errors) == 1 and len(errors[0]["content"]["traceback"]) == 1  # one line, no traceback
    assert [s for _, s, _ in statuses(kernel)] == ["done", "skipped", "skipped"]
    assert kernel.value("_eager.status") == "error" and not target.exists()


def test_an_interrupt_while_asking_stops_the_run(kernel, tmp_path):
    """Interrupting the kernel instead of answering (the frontend's stop button) ends the run as an
    interrupt: nothing held runs, the record is final."""
    target = tmp_path / "interrupt.txt"
    prepare(kernel, target)
    client = kernel.client
    msg_id = client.execute(ASK, allow_stdin=True)
    request = client.get_stdin_msg(timeout=30)
    assert request["parent_header"]["msg_id"] == msg_id
    kernel.manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=30)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    assert [s for _, s, _ in statuses(kernel)] == ["done", "skipped", "skipped"]
    assert kernel.value("_eager.status") == "interrupted" and not target.exists()


def test_deny_never_asks_and_fails_the_cell(kernel, tmp_path):
    target = tmp_path / "deny.txt"
    prepare(kernel, target)
    r, prompts = answered(kernel, "%config Eager.approve = 'deny'\n", [])
    assert r.status == "ok"
    try:
        r, prompts = answered(kernel, "%%eager --replay --rate 400 --view plain\n" + PROGRAM, [])
    finally:
        kernel.execute("%config Eager.approve = 'auto'")
    assert prompts == [] and r.status == "error"
    assert r.reply["content"]["evalue"] == "2 held statements not run: Eager.approve = 'deny'"
    reason = "held statements are not run: Eager.approve = 'deny'"
    assert [(s, why) for _, s, why in statuses(kernel)] == [
        ("done", None), ("skipped", reason), ("skipped", reason)
    ]
    assert not target.exists()


def test_nbclient_has_no_stdin_so_ask_acts_as_deny(tmp_path):
    target = tmp_path / "nb.txt"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(c)
        for c in [
            f"%load_ext eager_jupyter\nfrom pathlib import Path\np = Path({str(target)!r})",
            "%config Eager.approve = 'ask'",
            "%%eager --replay --rate 400\n" + PROGRAM,
            "import json; print(json.dumps([[s.status, s.skip_reason] for s in _eager.statements]))",
        ]
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    errors = [o for o in nb.cells[2].outputs if o.output_type == "error"]
    why = "no frontend can answer, so Eager.approve = 'ask' acts as 'deny'"
    assert len(errors) == 1 and errors[0].evalue == f"2 held statements not run: {why}"
    shown = json.loads(nb.cells[3].outputs[0].text)
    assert shown == [["done", None], *[["skipped", f"held statements are not run: {why}"]] * 2]
    saved = json.dumps(nb.cells[2].outputs)
    assert f"not run: held statements are not run: {why}" in saved  # each statement's note says so
    assert not target.exists()
