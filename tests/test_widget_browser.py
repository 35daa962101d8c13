"""The live widget in a real JupyterLab, driven in Debian's chromium by playwright-core.

JupyterLab runs on 127.0.0.1 (a free port, a token, ``--allow-root``), under ``timeout`` and with
``shutdown_no_activity_timeout`` so it stops by itself even if this test dies; the fixture stops it
when the module ends. ``tests/browser/drive.mjs`` drives the browser and reports what the page
showed; this module asserts on that report. Screenshots land in ``test-artifacts/browser/``.

Needs ``/usr/bin/chromium`` and ``npm ci`` in ``tests/browser`` (``make test`` installs both: the
``browser-deps`` target); skipped with a reason otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parent.parent
BROWSER_DIR = ROOT / "tests" / "browser"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"

# A figure, a widget, a statement that waits 4 s (the code after it keeps streaming meanwhile), a statement
# the gate holds until generation ends, an error, and a statement skipped after it.
PROGRAM = '''import select
import matplotlib.pyplot as plt
print("start")
fig, ax = plt.subplots(figsize=(4, 2.5))
ax.plot([1, 3, 2, 4])
ax.set_title("eager figure")
plt.show()
import ipywidgets
slider = ipywidgets.IntSlider(value=3, description="n")
display(slider)
_ = select.select([], [], [], 4.0)  # waits: the code below streams meanwhile
total = sum(range(1000))
print("total", total)
import subprocess
subprocess.run(["true"])
ratio = total / missing_name
print("never printed")
'''

STOP_PROGRAM = '''import select
print("waiting")
_ = select.select([], [], [], 120.0)
print("not reached")
'''


# Run with the Run menu's "Run All Cells" in a fresh kernel, right after %load_ext: the gate holds the
# subprocess call while the model writes for a few more seconds; after generation the held statements
# run and the last one waits 3 s (the header must say "running", not "generating").
RUN_ALL_PROGRAM = '''import subprocess
print("before the hold")
subprocess.run(["true"])
values = [1, 2, 3, 4, 5, 6, 7, 8]
total = sum(values)
print("the total of the values is", total)
import select
_ = select.select([], [], [], 3.0)
print("done waiting")
'''
# at 60 tokens/s the hold would show for under a second: more to write after it
RUN_ALL_TAIL = "".join(f"row_{i} = [value * {i} for value in values]\n" for i in range(12))


def browser_extras(root: Path) -> dict[str, Any]:
    """The Run All notebook and an nbconvert HTML export, for drive.mjs's ``runAll`` and ``html``."""
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext eager_jupyter"),
        nbformat.v4.new_code_cell(f"%%eager --replay --rate 20\n{RUN_ALL_PROGRAM}"),
        nbformat.v4.new_code_cell(f"%%eager --replay --rate 60\n{RUN_ALL_PROGRAM}{RUN_ALL_TAIL}"),
    ]
    nbformat.write(nb, root / "runall.ipynb")
    exported = nbformat.v4.new_notebook()
    exported.metadata["kernelspec"] = nb.metadata["kernelspec"]
    exported.cells = [
        nbformat.v4.new_code_cell("%load_ext eager_jupyter"),
        nbformat.v4.new_code_cell("%%eager --replay --rate 400\nif True:\n    x = 1\n    y = 2\nx + y\n"),
    ]
    NotebookClient(exported, timeout=120, kernel_name="python3").execute()
    html, _ = HTMLExporter().from_notebook_node(exported)
    (root / "export.html").write_text(html)
    return {
        "runAll": {"notebook": "runall.ipynb", "cells": [1, 2], "midSave": "midsave.ipynb"},
        "html": str(root / "export.html"),
    }


def check_run_all(report: dict[str, Any], root: Path) -> None:
    """Run All got the widget for both cells; at 20 and 60 tokens/s the hold and its reason showed
    within 250 ms while the model wrote; within 250 ms of generation's end the header said "running"
    while a statement ran, never "generating" again."""
    saved = nbformat.read(root / "runall.ipynb", as_version=4)
    assert [r["cell"] for r in report["runAll"]] == [1, 2]
    for run in report["runAll"]:
        live = [s for s in run["samples"] if s and s["live"]]
        assert live, f"Run All did not get the live widget in cell {run['cell']}"
        header = saved.cells[run["cell"]].outputs[0]
        meta = header["metadata"]["eager_jupyter"]
        ops = header["data"]["application/vnd.eager-jupyter.run+json"]["snapshot"]["s"]
        releases = [op for op in ops if op[0] == "R"]
        index = next(op[1] for op in ops if op[0] == "H")
        held_wall = meta["wall"] * 1000 + releases[index][3] + releases[index][4]
        generation_end = meta["wall"] * 1000 + next(op[1] for op in ops if op[0] == "G")
        seen = next(k for k, s in enumerate(live) if any(x["status"] == "held" for x in s["stmts"]))
        first = live[seen]
        every = [s for s in run["samples"] if s]
        before = every[: every.index(first)]  # the sample before it, live or not yet: the interval
        held = next(x for x in first["stmts"] if x["status"] == "held")
        reason = held["note"] or held["badge"] or ""
        assert "subprocess.run" in held["code"] and "runs a process" in reason, held
        gap = first["wall"] - before[-1]["wall"] if before else 0  # the sampling interval
        assert first["wall"] - held_wall <= 250 + gap, (run["cell"], first["wall"] - held_wall, gap)
        assert first["wall"] < generation_end, "the hold showed only after generation ended"
        phases = [s["phase"] for s in live]
        assert "running" in phases, phases
        # once the last token is in, the header stops saying "generating" within 250 ms (plus one
        # sampling interval), though a statement still runs (it once waited for that statement)
        late = [s["phase"] for s in live if s["wall"] > generation_end + 250 + gap + 100]
        assert late and "generating" not in late, (run["cell"], late)
        assert "generating" not in phases[phases.index("running") :], phases
        assert not run["after"]["live"]


def check_saved_mid_run(report: dict[str, Any], root: Path) -> None:
    """A save while the run went on (the hold on screen) wrote the run's snapshot into its display;
    the copy, reopened in a fresh kernel, draws the run up to then, not "model not found"."""
    assert report["midSaveCopy"] in (200, 201), report.get("midSaveCopy")
    assert report["midSaveLive"]["live"], "the live widget is drawn from the live display"
    outputs = nbformat.read(root / "midsave.ipynb", as_version=4).cells[1].outputs
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    data = outputs[0]["data"]
    saved = data["application/vnd.eager-jupyter.live+json"]
    assert any(op[0] == "H" for op in saved["snapshot"]["s"]), "the snapshot is the run as it was"
    assert "saved while still going" in data["text/plain"] and "subprocess.run" in data["text/plain"]
    reopened = report["midSave"]
    assert reopened["display"] and not reopened["live"], reopened
    assert "model not found" not in reopened["text"]
    assert "Saved while the run was still going" in reopened["note"]
    statuses = [s["status"] for s in reopened["stmts"]]
    assert "held" in statuses and statuses[0] == "done", statuses
    assert "before the hold" in "".join(s["stdout"] for s in reopened["stmts"])
    # nothing runs or streams in a reopened notebook: the words say when they were true
    assert reopened["tail"] in (None, "unfinished"), reopened["tail"]
    assert not any(b.startswith(("running ", "streaming")) for b in reopened["badges"]), reopened["badges"]


def check_html_monospace(report: dict[str, Any]) -> None:
    fonts = report["htmlFonts"]
    assert fonts and all("monospace" in font.lower() for font in fonts), fonts


def _eager_cell(program: str, rate: int) -> str:
    return f"%%eager --replay --rate {rate} --view widget\n{program}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(root: Path, module: str, name: str, extra: list[str]) -> Iterator[dict[str, Any]]:
    """A Jupyter server (``python -m <module>``) on 127.0.0.1 with a token, serving ``root``.

    It stops by itself (``timeout 600``, 120 s without activity) whatever happens to the test, and is
    stopped at the end of the ``with``.
    """
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / ".jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(root / ".jupyter-runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / ".workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(root / ".settings"),
    }
    news = root / ".settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    log = open(root / "server.log", "w")  # noqa: SIM115 - closed in the teardown
    server = subprocess.Popen(
        [
            "timeout", "600",  # stops by itself, whatever happens to this test
            sys.executable, "-m", module, "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--ServerApp.shutdown_no_activity_timeout=120",
            "--MappingKernelManager.cull_idle_timeout=300",
            *extra,
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"{name} exited: {(root / 'server.log').read_text()[-2000:]}")
                time.sleep(0.2)
        else:
            pytest.fail(f"{name} did not start within 60 s")
        yield {"url": url, "token": token, "root": root}
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (make browser-deps installs Debian's chromium)")
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.skip("tests/browser has no node_modules (make browser-deps runs npm ci there)")
    if shutil.which("node") is None:
        pytest.skip("node is missing")
    root = tmp_path_factory.mktemp("lab")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext eager_jupyter"),
        nbformat.v4.new_code_cell(_eager_cell(PROGRAM, 30)),
        nbformat.v4.new_code_cell(_eager_cell(STOP_PROGRAM, 30)),
    ]
    nbformat.write(nb, root / "eager.ipynb")
    with serve(root, "jupyterlab", "JupyterLab", [f"--LabApp.workspaces_dir={root / '.workspaces'}"]) as lab:
        yield lab


@pytest.fixture(scope="module")
def report(lab: dict[str, Any]) -> dict[str, Any]:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # screenshots of this run only, none left from before
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    config = {
        "url": lab["url"],
        "token": lab["token"],
        "notebook": "eager.ipynb",
        "reopen": "eager-reopened.ipynb",
        "artifacts": str(ARTIFACTS),
        "chromium": CHROMIUM,
        "eagerCell": 1,
        "stopCell": 2,
        **browser_extras(lab["root"]),
    }
    config_path = lab["root"] / "drive.json"
    config_path.write_text(json.dumps(config))
    done = subprocess.run(
        ["node", str(BROWSER_DIR / "drive.mjs"), str(config_path)],
        cwd=BROWSER_DIR,
        capture_output=True,
        text=True,
        timeout=560,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    (ARTIFACTS / "report.json").write_text(json.dumps(result, indent=1))
    assert "error" not in result, result["error"] + "\n" + "\n".join(result["log"][-20:])
    result["saved"] = nbformat.read(lab["root"] / "eager.ipynb", as_version=4)
    result["root"] = lab["root"]
    return result


def _stmt(sample: dict[str, Any], needle: str) -> dict[str, Any] | None:
    return next((s for s in sample["stmts"] if needle in (s["code"] or "")), None)


def _streamed(sample: dict[str, Any]) -> int:
    return sum(len(s["code"] or "") for s in sample["stmts"]) + len(sample["tail"] or "")


def test_code_streams_while_a_statement_runs(report: dict[str, Any]) -> None:
    live = [s for s in report["samples"] if s and s["live"]]
    assert live, "the live widget never showed"
    waiting = [s for s in live if (w := _stmt(s, "select.select")) and w["status"] == "running"]
    assert len(waiting) >= 2, "never saw the 3-second statement running"
    assert _streamed(waiting[-1]) > _streamed(waiting[0]), "no code arrived while it ran"
    # what arrived is the streaming tail: statements are released between runs, on the main thread
    assert len(waiting[-1]["tail"]) > len(waiting[0]["tail"])


def test_live_statuses(report: dict[str, Any]) -> None:
    live = [s for s in report["samples"] if s and s["live"]]
    seen: dict[str, set[str]] = {}
    for sample in live:
        for stmt in sample["stmts"]:
            seen.setdefault(stmt["code"].split("\n")[0], set()).add(stmt["status"])
    assert "running" in seen['_ = select.select([], [], [], 4.0)  # waits: the code below streams meanwhile']
    assert "done" in seen['print("start")']
    assert any(s["tail"] for s in live), "the streaming tail never showed"
    assert any(s["timeline"] > 0 for s in live), "no timeline rows"
    assert any("tok/s" in (s["header"] or "") for s in live)


def test_live_outputs_sit_under_their_statement(report: dict[str, Any]) -> None:
    last = report["lastLive"]
    start = _stmt(last, 'print("start")')
    show = _stmt(last, "plt.show()")
    assert start is not None and "start" in start["stdout"]
    assert show is not None and show["images"] == 1
    shown = _stmt(last, "display(slider)")
    assert shown is not None and shown["sliders"] == 1  # rendered by the widget manager
    others = [s for s in last["stmts"] if s not in (start, show, shown)]
    assert all(s["images"] == 0 and s["sliders"] == 0 for s in others)
    assert all("start" not in s["stdout"] for s in others)


def test_after_the_run_the_plain_rendering_takes_over(report: dict[str, Any]) -> None:
    after = report["after"]
    assert not after["live"], "the live widget should be replaced when the run ends"
    outputs = after["outputs"]
    kinds = [o["kind"] for o in outputs]
    assert kinds[0] == "header" and "failed" in outputs[0]["text"], outputs[0]

    def position(needle: str) -> int:
        return next(i for i, o in enumerate(outputs) if o["kind"] == "statement" and needle in o["text"])

    start_block = position('print("start")')
    assert outputs[start_block]["status"] == "done"
    assert outputs[start_block + 1] == {"kind": "stdout", "text": "start\n"}
    show_block = position("plt.show()")
    assert outputs[show_block + 1]["kind"] == "image"
    assert outputs[position("display(slider)") + 1]["kind"] == "slider"
    total_block = position('print("total", total)')
    assert "total 499500" in outputs[total_block + 1]["text"]
    failed = position("ratio = total / missing_name")
    assert outputs[failed]["status"] == "error"
    assert outputs[failed + 1]["kind"] == "stderr" and "NameError" in outputs[failed + 1]["text"]
    skipped = position('print("never printed")')
    assert outputs[skipped]["status"] == "skipped"
    assert start_block < show_block < total_block < failed < skipped
    assert not any(o.get("text") == "never printed\n" for o in outputs)


def check_feedback(report: dict[str, Any]) -> None:
    """Insert as cell adds the program as a code cell, scrolled into view and flashing; Copy says it
    copied; Stop is red."""
    insert = report["insert"]
    assert insert["cellsAfter"] == insert["cellsBefore"] + 1
    assert insert["inserted"]["type"] == "code"
    assert insert["inserted"]["text"].strip() == PROGRAM.strip()
    assert insert["inserted"]["flashing"] and insert["inserted"]["inView"], insert["inserted"]
    assert insert["copied"].startswith("Copied"), insert["copied"]
    red, green, blue = (int(v) for v in re.findall(r"\d+", report["stopColour"])[:3])
    assert red > 150 and red > 2 * green and red > 2 * blue, report["stopColour"]


def test_insert_copy_and_stop_give_feedback(report: dict[str, Any]) -> None:
    check_feedback(report)


def test_stop_interrupts_the_kernel(report: dict[str, Any]) -> None:
    before, after = report["stopBefore"], report["stopAfter"]
    assert before is not None and any(s["status"] == "running" for s in before["stmts"])
    assert not after["live"]
    assert after["outputs"][0]["kind"] == "header" and "interrupted" in after["outputs"][0]["text"]
    assert not any(o["kind"] == "stdout" and "not reached" in o["text"] for o in after["outputs"])
    stopped = next(o for o in after["outputs"] if o["kind"] == "statement" and "select.select" in o["text"])
    assert stopped["status"] == "interrupted"  # KeyboardInterrupt: stopped by you


def test_held_statement_is_recorded(report: dict[str, Any]) -> None:
    # held statements are released after the wait and run as soon as generation ends: too brief to
    # sample reliably; the run's op log, saved in the header bundle, shows the gate's decision
    cell = report["saved"].cells[1]
    ops = cell.outputs[0]["data"]["application/vnd.eager-jupyter.run+json"]["snapshot"]["s"]
    held = [op for op in ops if op[0] == "H"]
    assert held and "runs a process" in held[0][2]


def test_saved_notebook_keeps_code_and_outputs(report: dict[str, Any]) -> None:
    cell = report["saved"].cells[1]
    types = [o["output_type"] for o in cell.outputs]
    assert "application/vnd.eager-jupyter.run+json" in cell.outputs[0]["data"]
    widget_view = "application/vnd.jupyter.widget-view+json"
    views = [k for k, o in enumerate(cell.outputs) if widget_view in o.get("data", {})]
    # the live widget is gone; the one widget view left is the slider the program displayed
    assert len(views) == 1 and "display(slider)" in cell.outputs[views[0] - 1]["data"]["text/plain"]
    assert "stream" in types and "error" in types
    assert any("image/png" in o.get("data", {}) for o in cell.outputs)
    blocks = [o for o in cell.outputs if "application/vnd.eager-jupyter.statement+json" in o.get("data", {})]
    assert len(blocks) == 17 and all("text/markdown" in o["data"] for o in blocks)


def test_reopened_without_widget_state(report: dict[str, Any]) -> None:
    reopened = report["reopened"]
    kinds = [o["kind"] for o in reopened["outputs"]]
    assert kinds[0] == "header", kinds  # drawn by the labextension from the saved bundle alone
    assert "image" in kinds and "stderr" in kinds and "stdout" in kinds
    assert kinds.count("statement") == 17, kinds  # every statement's block, drawn from the saved data
    assert any('print("start")' in o.get("text", "") for o in reopened["outputs"])


def test_run_all_gets_the_widget_and_shows_the_hold_while_live(report: dict[str, Any]) -> None:
    check_run_all(report, report["root"])


def test_saved_mid_run_reopens_as_the_run_so_far(report: dict[str, Any]) -> None:
    check_saved_mid_run(report, report["root"])


def test_html_export_draws_code_monospace(report: dict[str, Any]) -> None:
    check_html_monospace(report)
