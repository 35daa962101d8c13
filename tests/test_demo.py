"""The demo notebooks, ``eager-jupyter demo`` and ``eager-jupyter replay``, run for real.

Every notebook runs top to bottom offline in a fresh kernel (nbclient); a cell may fail only when it is
tagged ``raises-exception``. ``eager-jupyter demo`` and ``eager-jupyter replay`` run as subprocesses,
as a user runs them. Nothing here is timed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from eager_jupyter.cli.printer import RunPrinter, Screen, record_lines
from eager_jupyter.cli.replay import kernel_env
from eager_jupyter.events import (
    GenerationEnded,
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
from eager_jupyter.views.plain import PlainView

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "demo_notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CLI = [sys.executable, "-m", "eager_jupyter.cli"]


def _text(output: Any) -> str:
    if output.output_type == "stream":
        return str(output.text)
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}"
    return str(output.get("data", {}).get("text/plain", ""))


def _env() -> dict[str, str]:
    env = kernel_env(live=False)
    env.pop("MPLBACKEND", None)  # the commands set it for their kernels themselves
    return env


# ---- the notebooks as saved ----------------------------------------------------------------------
def test_there_are_five_demo_notebooks() -> None:
    assert [p.stem.split("_")[0] for p in PATHS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebooks_are_saved_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_notebooks_and_traces_are_what_the_builder_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "build.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_written_traces_say_so() -> None:
    traces = sorted((NOTEBOOKS / "traces").glob("*.jsonl"))
    assert traces
    for path in traces:
        header = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
        assert header["origin"] == "written", path.name
        assert "not recorded from a model" in header["note"]


# ---- every notebook runs offline -----------------------------------------------------------------
@pytest.mark.kernel
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom_offline(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute(env=kernel_env(live=False))  # raises CellExecutionError on an unexpected error
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "raises-exception" in cell.metadata.get("tags", []):
            assert errors, f"a cell tagged raises-exception did not fail: {cell.source[:60]}"
        elif "--fix" in cell.source.splitlines()[0] or "traces/agent_" in cell.source.splitlines()[0]:
            # a repaired run (--fix, an agent's repair step) keeps its failure's traceback, and only it
            assert [e.ename for e in errors] == ["KeyError"], cell.source[:60]
        else:
            assert not errors, f"{cell.source[:60]}: {[_text(e) for e in errors]}"
        if cell.source.startswith("%%eager"):
            # the plain view's outputs: the run's header and one code block per statement, saved
            plain = [_text(o) for o in cell.outputs]
            assert any(t.startswith(("eager · ", "eager (serial) · ")) for t in plain), cell.source[:60]
    text = "\n".join(_text(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    if path.stem.startswith("01"):
        assert "written by hand, not recorded from a model" in text
        assert "(written)" in text and "R² = 0.88" in text
    if path.stem.startswith("02"):
        assert re.search(r"saved: +-?\d+\.\d\d s", text)
    if path.stem.startswith("04"):
        assert "held: writes or deletes files: tempfile.mkdtemp" in text
        assert "generation stopped: True" in text
        assert "Name: revenue" in text  # the repaired program ran to its end
    if path.stem.startswith("05"):
        episode = [c for c in nb.cells if c.cell_type == "code" and "traces/agent_" in c.source]
        assert len(episode) == 2  # eager, then the serial agent
        for cell in episode:  # each step's outputs are saved: the table, the months, the chart
            saved = "\n".join(_text(o) for o in cell.outputs)
            assert "(written)" in saved and "cannot react to different outputs" in saved
            assert "KeyError: 'is_weekend'" in saved and "3779.0" in saved and "Weekdays average" in saved
            assert any("image/png" in o.get("data", {}) for o in cell.outputs)
        assert "episode (written) replayed: cannot react to different outputs" in text
        assert re.search(r"Cell In\[\d+\], line 4", text)  # the step's own line numbers
        assert re.search(r"eager agent: [\d.]+ s end to end; serial agent: [\d.]+ s", text)


@pytest.mark.kernel
def test_data_analysis_notebook_asks_the_model_when_there_is_a_key() -> None:
    """The same cells, with a key: each request goes to the API (here the loopback fake of it)."""
    from fake_anthropic import FakeAnthropic, Reply

    from eager_jupyter.sources.replay import split_tokens

    replies = sorted((NOTEBOOKS / "replies").glob("analysis_*.md"))
    scripts = [Reply(split_tokens(p.read_text(encoding="utf-8")), delay=0.002) for p in replies]
    nb = nbformat.read(NOTEBOOKS / "01_data_analysis.ipynb", as_version=4)
    with FakeAnthropic(*scripts, deadline=300) as fake:
        env = {
            **kernel_env(live=True),
            "ANTHROPIC_API_KEY": "sk-ant-api03-DEMOTEST-" + "q" * 24,
            "ANTHROPIC_BASE_URL": fake.url,
            "NO_PROXY": "127.0.0.1",
        }
        client = NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
        )
        client.execute(env=env)
        asked = [json.dumps(r.body) for r in fake.requests]
    assert len(asked) == len(replies) == 5
    assert "Load data/bike_rentals.csv into a DataFrame called `rides`" in asked[0]
    assert "Fit a linear model of daily rides" in asked[3]
    text = "\n".join(_text(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "ANTHROPIC_API_KEY is set" in text and "(written)" not in text
    assert "R² = 0.88" in text


# ---- eager-jupyter demo --------------------------------------------------------------------------
@pytest.mark.kernel
def test_demo_command_runs_the_notebooks_and_writes_them(tmp_path: Path) -> None:
    out = tmp_path / "demo_output"
    env = {**_env(), "ANTHROPIC_API_KEY": "sk-ant-must-not-be-used"}  # the demo must not pass it on
    result = subprocess.run(
        [*CLI, "demo", "--output", str(out)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    stdout = result.stdout
    for path in PATHS:
        assert (out / path.name).is_file() and (out / f"{path.stem}.html").is_file()
        assert f"{path.name}: " in stdout
    # live lines: statements as they start, with times, and their outputs
    assert re.search(r"\d+\.\d\d s ▶ \[1\] import pandas as pd", stdout)
    assert "│ pi is about 3.14" in stdout
    assert "held until generation ends: writes or deletes files: tempfile.mkdtemp" in stdout
    assert "expected to fail" in stdout
    assert re.search(r"eager vs serial, 02_watch_code_run .*: eager [\d.]+ s, serial [\d.]+ s", stdout)
    assert re.search(r"all \d+ eager runs: .* s saved", stdout)
    assert "jupyter lab demo_notebooks/" in stdout
    assert "no ANTHROPIC_API_KEY" in stdout  # the kernels did not see the key
    runs = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert {r["notebook"] for r in runs} == {p.name for p in PATHS}
    executed = nbformat.read(out / "02_watch_code_run.ipynb", as_version=4)
    assert any(c.get("outputs") for c in executed.cells)
    html = (out / "03_latency_model.html").read_text(encoding="utf-8")
    assert "data:image/png;base64" in html


@pytest.mark.kernel
def test_demo_command_fails_when_a_notebook_fails(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Broken"),
        nbformat.v4.new_code_cell("%load_ext eager_jupyter"),
        nbformat.v4.new_code_cell("%%eager --replay --rate 400\nok = 1\nnot_defined + 1\n"),
    ]
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nbformat.write(nb, folder / "broken.ipynb")
    result = subprocess.run(
        [*CLI, "demo", "--notebooks", str(folder), "--output", str(tmp_path / "out"), "--no-html"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert result.returncode == 1
    assert "FAILED" in result.stdout and "NameError" in result.stdout
    assert (tmp_path / "out" / "broken.ipynb").is_file()  # kept for a look at what happened


# ---- eager-jupyter replay ------------------------------------------------------------------------
@pytest.mark.kernel
def test_replay_command_prints_statements_and_outputs(tmp_path: Path) -> None:
    program = tmp_path / "prog.py"
    program.write_text(
        "import subprocess\n"
        "total = sum(range(10))\n"
        "print('total is', total)\n"
        "import sys; print('to stderr', file=sys.stderr)\n"
        "out = subprocess.run(['echo', 'hi'], capture_output=True, text=True).stdout\n"
        "import matplotlib.pyplot as plt\n"
        "plt.plot([1, 2])\n"
        "total * 2\n"
    )
    result = subprocess.run(
        [*CLI, "replay", str(program), "--rate", "300"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"\d+\.\d\d s ▶ \[2\] total = sum\(range\(10\)\)", out)
    assert "│ total is 45" in out
    assert "! to stderr" in out
    assert "held until generation ends: runs a process or shell command: subprocess.run" in out
    assert "a figure" in out
    assert "Out: 90" in out
    # the order a notebook would show: the print under its statement, before the next one starts
    assert out.index("│ total is 45") < out.index("▶ [4]")
    # then the record's table and the run's summary
    assert re.search(r"^\s+2\s+2\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+done", out, re.M)
    assert "eager · replay prog.py at 300 tok/s · done" in out


@pytest.mark.kernel
def test_replay_command_fails_with_the_failing_statement(tmp_path: Path) -> None:
    program = tmp_path / "bad.py"
    program.write_text("a = 1\nb = a / 0\n" + "".join(f"c{i} = {i}\n" for i in range(50)))
    result = subprocess.run(
        [*CLI, "replay", str(program), "--rate", "200"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert result.returncode == 1
    assert "✗ [2] ZeroDivisionError: division by zero" in result.stdout
    assert "StatementError: statement 2 (line 2) failed" in result.stdout


def test_replay_command_rejects_a_missing_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "replay", str(tmp_path / "nope.py")], capture_output=True, text=True, env=_env(), timeout=60
    )
    assert result.returncode == 2 and "no such file" in result.stderr


# ---- the printer, on messages as a kernel sends them ---------------------------------------------
class _Lines:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _msg(kind: str, **content: Any) -> dict[str, Any]:
    return {"msg_type": kind, "content": content}


class _Iopub:
    """A display function for ``PlainView`` that records what a kernel would publish on iopub."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def __call__(self, bundle: dict[str, Any], *, raw: bool = False, display_id: str | None = None,
                 update: bool = False, metadata: dict[str, Any] | None = None) -> None:
        kind = "update_display_data" if update else "display_data"
        content = {"data": bundle, "metadata": metadata or {}, "transient": {"display_id": display_id}}
        self.messages.append(_msg(kind, **content))


def test_printer_follows_the_plain_views_own_messages() -> None:
    iopub, builder = _Iopub(), RecordBuilder()
    view = PlainView(iopub, updates_per_second=10_000)

    def event(*events: Any) -> None:
        for e in events:
            builder.handle(e)
            view.handle(e, builder.record)
            time.sleep(0.001)  # past the throttle: every header update is sent at once

    event(
        RunStarted(0.0, "replay", "eager"),
        PieceStreamed(0.1, "x = 1\n", "code", 0),
        StatementReleased(0.1, 0, "x = 1\n", 1, 0.1, 0),
        StatementStarted(0.1, 0, 1),
    )
    iopub.messages.append(_msg("stream", name="stdout", text="hello\n"))
    event(
        StatementFinished(0.71, 0, 0.61),
        PieceStreamed(0.8, "os.remove(p)\nx + 1\n", "code", 6),
        StatementReleased(0.8, 1, "os.remove(p)\n", 2, 0.8, 6),
        StatementHeld(0.8, 1, "uses os.remove (process and file-system calls)"),
        StatementReleased(0.8, 2, "x + 1\n", 3, 0.8, 19),
        StatementHeld(0.8, 2, "after a held statement"),
        PieceStreamed(0.9, "That removes p.\n", "prose"),
        GenerationEnded(0.9, False, {}),
        StatementStarted(0.9, 1, 2),
        StatementFailed(0.91, 1, 0.01, "FileNotFoundError: p"),
        StatementSkipped(0.91, 2, "an earlier statement failed"),
        RunEnded(0.92, "error", "statement 2 failed"),
    )
    lines = _Lines()
    printer = RunPrinter(Screen(lines), indent="")
    for message in iopub.messages:
        printer.message(message)
    text = lines.text
    assert re.search(r"s ▶ \[1\] x = 1\n\s+│ hello\n", text)
    assert "✓ [1] done in 0.61 s" in text
    assert text.count("held until generation ends") == 1  # once, at the statement the gate held
    assert "⏸ [2] held until generation ends: uses os.remove (process and file-system calls)" in text
    assert "▶ [2] os.remove(p)" in text and "✗ [2] FileNotFoundError: p" in text
    assert re.search(r"· \[3\] x \+ 1\n\s+not run: an earlier statement failed", text)
    assert "¶ That removes p." in text
    assert printer.final is not None and printer.final.startswith("eager · replay · failed")
    assert "eager · replay" not in text  # the header is the status line, not an output


def test_record_lines_lists_every_statement() -> None:
    record = {
        "statements": [
            {
                "index": 0,
                "start_line": 1,
                "code": "# load\nx = 1\n",
                "generated_at": 0.1,
                "released_at": 0.11,
                "started_at": 0.12,
                "finished_at": 0.2,
                "status": "done",
                "held_reason": None,
            },
            {
                "index": 1,
                "start_line": 3,
                "code": "os.remove(p)\n",
                "generated_at": 0.3,
                "released_at": 0.31,
                "started_at": None,
                "finished_at": None,
                "status": "skipped",
                "held_reason": "uses os.remove",
            },
        ]
    }
    lines = record_lines(record)
    assert len(lines) == 3
    assert lines[1].split()[:7] == ["1", "1", "0.10", "0.11", "0.12", "0.20", "done"] and "x = 1" in lines[1]
    assert "skipped (held)" in lines[2] and lines[2].split()[4:6] == ["-", "-"]


def test_kernel_env_is_offline_unless_live(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    assert "ANTHROPIC_API_KEY" not in kernel_env(live=False)
    assert kernel_env(live=True)["ANTHROPIC_API_KEY"] == "sk-test"
    assert kernel_env()["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
    assert os.environ["ANTHROPIC_API_KEY"] == "sk-test"  # the process's own environment is untouched
