"""The live widget in Notebook 7 (the ``notebook`` package), driven in Debian's chromium.

Notebook 7 is built from JupyterLab's components and loads the same prebuilt labextensions, so the
widget should work there unchanged; this checks it. ``tests/browser/drive.mjs`` drives the page with
``app: "notebook"`` (it opens ``/notebooks/<file>``; the notebook DOM is JupyterLab's). The notebook:
``%load_ext`` in its own cell, a ``--view widget`` run, a run to stop, and a ``--view auto`` run, which
must pick the widget because the labextension answered the probe at ``%load_ext``.

The server runs on 127.0.0.1 (a free port, a token), under ``timeout`` and with
``shutdown_no_activity_timeout``, so it stops by itself even if this test dies; the fixture stops it when
the module ends. Screenshots land in ``test-artifacts/notebook7/``. Skipped with a reason where
chromium, ``tests/browser/node_modules``, node or the ``notebook`` package is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from test_widget_browser import (
    BROWSER_DIR,
    CHROMIUM,
    PROGRAM,
    ROOT,
    STOP_PROGRAM,
    _stmt,
    browser_extras,
    check_feedback,
    check_html_monospace,
    check_run_all,
    check_saved_mid_run,
    serve,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ARTIFACTS = ROOT / "test-artifacts" / "notebook7"
RUN_MIME = "application/vnd.eager-jupyter.run+json"

AUTO_PROGRAM = '''print("auto view")
answer = 6 * 7
print("answer", answer)
'''


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (make browser-deps installs Debian's chromium)")
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.skip("tests/browser has no node_modules (make browser-deps runs npm ci there)")
    if shutil.which("node") is None:
        pytest.skip("node is missing")
    notebook = pytest.importorskip("notebook", reason="the notebook package (Notebook 7) is not installed")
    if int(notebook.__version__.split(".")[0]) < 7:
        pytest.skip(f"notebook {notebook.__version__} is not Notebook 7")
    root = tmp_path_factory.mktemp("notebook7")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext eager_jupyter"),
        nbformat.v4.new_code_cell(f"%%eager --replay --rate 40 --view widget\n{PROGRAM}"),
        nbformat.v4.new_code_cell(f"%%eager --replay --rate 40 --view widget\n{STOP_PROGRAM}"),
        nbformat.v4.new_code_cell(f"%%eager --replay --rate 40 --view auto\n{AUTO_PROGRAM}"),
    ]
    nbformat.write(nb, root / "eager.ipynb")
    with serve(root, "notebook", "Notebook 7", []) as server:
        yield server


@pytest.fixture(scope="module")
def report(notebook7: dict[str, Any]) -> dict[str, Any]:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # screenshots of this run only, none left from before
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    config = {
        "app": "notebook",
        "url": notebook7["url"],
        "token": notebook7["token"],
        "notebook": "eager.ipynb",
        "reopen": "eager-reopened.ipynb",
        "artifacts": str(ARTIFACTS),
        "chromium": CHROMIUM,
        "eagerCell": 1,
        "stopCell": 2,
        "autoCell": 3,
        **browser_extras(notebook7["root"]),
    }
    config_path = notebook7["root"] / "drive.json"
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
    result["saved"] = nbformat.read(notebook7["root"] / "eager.ipynb", as_version=4)
    result["root"] = notebook7["root"]
    return result


def test_live_widget_statuses(report: dict[str, Any]) -> None:
    live = [s for s in report["samples"] if s and s["live"]]
    assert live, "the live widget never showed in Notebook 7"
    assert any("tok/s" in (s["header"] or "") for s in live), "no live header"
    seen = {stmt["status"] for s in live for stmt in s["stmts"]}
    # the 4-second statement is seen running; the failed and skipped ones end with the run (see below)
    assert {"done", "running"} <= seen, seen


def test_live_output_sits_under_its_statement(report: dict[str, Any]) -> None:
    last = report["lastLive"]
    start = _stmt(last, 'print("start")')
    assert start is not None and "start" in start["stdout"]
    show = _stmt(last, "plt.show()")
    assert show is not None and show["images"] == 1
    others = [s for s in last["stmts"] if s not in (start, show)]
    assert all("start" not in s["stdout"] and s["images"] == 0 for s in others)


def test_after_the_run_header_and_insert_button(report: dict[str, Any]) -> None:
    after = report["after"]
    assert not after["live"]
    outputs = after["outputs"]
    assert outputs[0]["kind"] == "header" and "failed" in outputs[0]["text"], outputs[0]
    statuses = [o["status"] for o in outputs if o["kind"] == "statement"]
    assert {"done", "error", "skipped"} <= set(statuses), statuses
    # the Insert as cell button inserted the program as a code cell, in view and flashing; Copy and
    # Stop give their feedback
    check_feedback(report)


def test_stop_interrupts_the_kernel(report: dict[str, Any]) -> None:
    after = report["stopAfter"]
    assert not after["live"]
    assert after["outputs"][0]["kind"] == "header" and "interrupted" in after["outputs"][0]["text"]


def test_view_auto_picks_the_widget(report: dict[str, Any]) -> None:
    # the plain view's header carries only markdown; the widget's take-over writes the run bundle
    cell = report["saved"].cells[4]  # after the inserted cell
    assert cell.source.startswith("%%eager --replay --rate 40 --view auto")
    assert RUN_MIME in cell.outputs[0]["data"], cell.outputs[0]
    after = report["autoAfter"]
    assert after["outputs"][0]["kind"] == "header", after["outputs"]
    assert any(o["kind"] == "stdout" and "answer 42" in o["text"] for o in after["outputs"])


def test_reopened_without_widget_state(report: dict[str, Any]) -> None:
    kinds = [o["kind"] for o in report["reopened"]["outputs"]]
    assert kinds[0] == "header", kinds
    assert kinds.count("statement") == 17, kinds


def test_run_all_gets_the_widget_and_shows_the_hold_while_live(report: dict[str, Any]) -> None:
    check_run_all(report, report["root"])


def test_html_export_draws_code_monospace(report: dict[str, Any]) -> None:
    check_html_monospace(report)


def test_saved_mid_run_reopens_as_the_run_so_far(report: dict[str, Any]) -> None:
    check_saved_mid_run(report, report["root"])
