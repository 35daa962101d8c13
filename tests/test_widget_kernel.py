"""The widget view in real kernels: persistence through nbclient and nbconvert, the frontend probe
behind ``--view auto``, and the installed labextension.

Persistence: a notebook run headless with the widget view (nbclient, as papermill would), saved,
stripped of widget state and exported to HTML still holds every statement's code and every output,
in order, because the run ends with the takeover (``views/widget.py``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from eager_jupyter import __version__
from eager_jupyter.views.widget import LIVE_MIME, RUN_MIME, STATEMENT_MIME, npm_version

ROOT = Path(__file__).resolve().parent.parent
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

PROGRAM = '''import pandas as pd
import matplotlib.pyplot as plt
print("start")
frame = pd.DataFrame({"city": ["Oslo", "Lima"], "rain_mm": [763, 6]})
display(frame)
fig, ax = plt.subplots(figsize=(3, 2))
ax.bar(frame["city"], frame["rain_mm"])
plt.show()
print("rows", len(frame))
missing_name + 1
print("never printed")
'''


def _eager_cell(program: str, rate: int) -> str:
    from test_widget_browser import _eager_cell as cell

    return cell(program, rate)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    from nbclient import NotebookClient

    root = tmp_path_factory.mktemp("nb")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext eager_jupyter"),
        nbformat.v4.new_code_cell(_eager_cell(PROGRAM, 400)),
    ]
    NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(root)}}).execute()
    path = root / "executed.ipynb"
    nbformat.write(nb, path)
    return nbformat.read(path, as_version=4), path


def _texts(output: Any) -> str:
    if output["output_type"] == "stream":
        return str(output["text"])
    if output["output_type"] == "error":
        return "\n".join(output["traceback"])
    data = output.get("data", {})
    return str(data.get("text/markdown") or data.get("text/plain") or "")


pytestmark = pytest.mark.kernel


def test_saved_outputs_hold_code_and_outputs_in_order(executed: tuple[Any, Path]) -> None:
    nb, _ = executed
    outputs = nb.cells[1].outputs
    assert RUN_MIME in outputs[0]["data"] and "failed" in outputs[0]["data"]["text/markdown"]
    live = (WIDGET_MIME, LIVE_MIME)
    assert not any(m in o.get("data", {}) for o in outputs for m in live), "the live display must be gone"
    blocks = [k for k, o in enumerate(outputs) if STATEMENT_MIME in o.get("data", {})]
    codes = [outputs[k]["data"][STATEMENT_MIME]["code"].strip() for k in blocks]
    assert codes == [line for line in PROGRAM.strip().splitlines() if line.strip()]

    def after(code: str) -> list[Any]:
        k = blocks[codes.index(code)]
        end = next((b for b in blocks if b > k), len(outputs))
        return list(outputs[k + 1 : end])

    assert [o["text"] for o in after('print("start")')] == ["start\n"]
    shown = after("display(frame)")
    assert len(shown) == 1 and "text/html" in shown[0]["data"] and "Oslo" in shown[0]["data"]["text/html"]
    figure = after("plt.show()")
    assert len(figure) == 1 and "image/png" in figure[0]["data"]
    failed = after("missing_name + 1")
    assert failed[0]["output_type"] == "error" and failed[0]["ename"] == "NameError"
    assert outputs[blocks[codes.index("missing_name + 1")]]["data"][STATEMENT_MIME]["status"] == "error"
    skipped = outputs[blocks[codes.index('print("never printed")')]]
    assert skipped["data"][STATEMENT_MIME]["status"] == "skipped"
    assert "not run" in skipped["data"]["text/markdown"]
    # every code block also reads as Markdown: what nbconvert, GitHub and VS Code show
    assert all("```python" in outputs[k]["data"]["text/markdown"] for k in blocks)


def test_reopened_without_widget_state(executed: tuple[Any, Path]) -> None:
    nb, _ = executed
    nb.metadata.pop("widgets", None)  # what a frontend that does not save widget state keeps
    nbformat.validate(nb)
    for output in nb.cells[1].outputs:
        if output["output_type"] in ("display_data", "execute_result"):
            renderable = {"text/markdown", "text/html", "image/png", "text/plain"} & set(output["data"])
            assert renderable, output["data"].keys()
            assert WIDGET_MIME not in output["data"] and LIVE_MIME not in output["data"]


def test_nbconvert_html_shows_code_and_outputs_in_order(executed: tuple[Any, Path]) -> None:
    from nbconvert import HTMLExporter

    nb, _ = executed
    nb.metadata.pop("widgets", None)
    html, _ = HTMLExporter().from_notebook_node(nb)
    text = re.sub(r"<[^>]+>", "", html)
    marks = [
        "import pandas as pd",
        "start",
        "Oslo",
        "ax.bar(frame",
        "plt.show()",
        "rows 2",
        "missing_name + 1",
        "NameError",
    ]
    outputs_start = text.find("at 400 tok/s")  # the header: past the cell's own source
    assert outputs_start > 0
    positions = [text.find(mark, outputs_start) for mark in marks]
    assert all(p >= 0 for p in positions), dict(zip(marks, positions, strict=True))
    assert positions == sorted(positions), dict(zip(marks, positions, strict=True))
    assert html.count("data:image/png;base64") >= 1


OUTPUT_WIDGET_PROGRAM = '''import ipywidgets as widgets
out = widgets.Output()
display(out)
with out:
    print("inside the output widget")
    display(widgets.HTML("<i>shown inside</i>"))
with out:
    1 / 0
print("under the statement")
'''


def test_an_output_widget_of_the_program_gets_what_is_printed_inside_it(tmp_path: Path) -> None:
    """While the generated code is inside ``with out:``, its outputs go where the frontend routes
    them (the Output widget), not under the statement; nbclient keeps them in the widget state."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext eager_jupyter"),
        nbformat.v4.new_code_cell(_eager_cell(OUTPUT_WIDGET_PROGRAM, 400)),
    ]
    NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True, store_widget_state=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    cell = nb.cells[1]
    text = "\n".join(_texts(o) for o in cell.outputs)
    assert not [o for o in cell.outputs if o["output_type"] == "error"], text
    streams = "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream")
    assert streams == "under the statement\n", text
    assert "ZeroDivisionError" not in text
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    captured = [m["state"].get("outputs", []) for m in state.values() if m["model_name"] == "OutputModel"]
    assert len(captured) == 1, state
    inside = captured[0]
    assert inside[0]["output_type"] == "stream" and inside[0]["text"] == "inside the output widget\n"
    assert inside[1]["output_type"] == "display_data" and WIDGET_MIME in inside[1]["data"]
    assert inside[2]["output_type"] == "error" and inside[2]["ename"] == "ZeroDivisionError"


def test_view_auto_follows_the_mark_of_the_request_that_runs() -> None:
    """A request marked as the labextension marks it gets the widget, even queued right behind the
    %load_ext cell (Run All); an unmarked one (nbclient, VS Code) gets the plain view."""
    sys.path.insert(0, str(ROOT / "tests"))
    from kernel_harness import Kernel

    from eager_jupyter.views.probe import EXECUTE_MARK

    mark = {EXECUTE_MARK: __version__}
    cell = "%%eager --replay --rate 400\nx = 1\nx + 1\n"
    kernel = Kernel()
    try:
        kernel.send("%load_ext eager_jupyter", mark)  # not waited for: the next request is queued behind it
        marked = kernel.execute(cell, metadata=mark)
        assert marked.status == "ok", marked.reply["content"]
        assert any(RUN_MIME in m["content"].get("data", {}) for m in marked.of_type("update_display_data"))
        plain = kernel.execute(cell)
        assert plain.status == "ok", plain.reply["content"]
        datas = [m["content"].get("data", {}) for m in plain.of_type("display_data", "update_display_data")]
        assert datas and not any(RUN_MIME in d or LIVE_MIME in d or WIDGET_MIME in d for d in datas)
    finally:
        kernel.shutdown()


def test_view_auto_without_a_kernel_is_the_plain_view() -> None:
    from eager_jupyter.views import probe

    class Shell:
        kernel = None

    assert probe.widget_frontend(Shell()) is False


def test_labextension_is_installed_and_enabled() -> None:
    jupyter = Path(sys.executable).parent / "jupyter"
    done = subprocess.run(
        [str(jupyter), "labextension", "list"], capture_output=True, text=True, timeout=120, check=True
    )
    listing = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    line = next((ln for ln in listing.splitlines() if "eager-jupyter" in ln), "")
    assert f"eager-jupyter v{npm_version(__version__)}" in line, listing
    assert "enabled" in line and "OK" in line, listing


def test_one_version_for_python_and_npm(tmp_path: Path) -> None:
    package = json.loads((ROOT / "labextension" / "package.json").read_text())
    assert package["version"] == npm_version(__version__)
    built = ROOT / "eager_jupyter" / "labextension" / "package.json"
    if built.exists():
        assert json.loads(built.read_text())["version"] == package["version"]
    # the sync step maps pre-releases as npm_version does
    (tmp_path / "labextension" / "scripts").mkdir(parents=True)
    (tmp_path / "eager_jupyter").mkdir()
    script = tmp_path / "labextension" / "scripts" / "sync-version.mjs"
    script.write_text((ROOT / "labextension" / "scripts" / "sync-version.mjs").read_text())
    for python, npm in [("0.2.0.dev1", "0.2.0-dev.1"), ("1.0.0rc2", "1.0.0-rc.2"), ("1.2.3", "1.2.3")]:
        (tmp_path / "eager_jupyter" / "_version.py").write_text(f'__version__ = "{python}"\n')
        (tmp_path / "labextension" / "package.json").write_text('{\n  "version": "0.0.0"\n}\n')
        subprocess.run(["node", str(script)], check=True, capture_output=True, timeout=60)
        synced = json.loads((tmp_path / "labextension" / "package.json").read_text())["version"]
        assert synced == npm == npm_version(python)


def test_probe_comm_is_answered_by_the_labextension_source() -> None:
    # the two ends must agree on the target name
    from eager_jupyter.views.probe import PROBE_TARGET

    source = (ROOT / "labextension" / "src" / "version.ts").read_text()
    assert f"PROBE_TARGET = '{PROBE_TARGET}'" in source
    assert f"RUN_MIME = '{RUN_MIME}'" in source and f"STATEMENT_MIME = '{STATEMENT_MIME}'" in source
    assert f"LIVE_MIME = '{LIVE_MIME}'" in source

