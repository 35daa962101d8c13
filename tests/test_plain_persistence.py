"""The plain-output view in a saved notebook: executed headless, saved, exported to HTML."""

from __future__ import annotations

import textwrap

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

pytestmark = pytest.mark.kernel

PROGRAM = textwrap.dedent(
    """\
    import matplotlib.pyplot as plt
    import pandas as pd
    df = pd.DataFrame({"region": ["north", "south", "north"], "revenue": [3, 5, 4]})
    totals = df.groupby("region").revenue.sum()
    print("regions:", len(totals))
    fig, ax = plt.subplots()
    totals.plot.bar(ax=ax)
    ax.set_title("revenue by region")
    totals
    """
)


def run(cells: list[str], allow_errors: bool = False) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in ["%load_ext eager_jupyter", *cells]]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=allow_errors).execute()
    return nb


def test_saved_notebook_keeps_every_block_and_output_in_order(tmp_path):
    nb = run([f"%%eager --replay --rate 400\n{PROGRAM}"])
    outputs = nb.cells[1].outputs
    # what programs read: every statement's saved status is final, the header says done
    ours = [o.metadata["eager_jupyter"] for o in outputs if "eager_jupyter" in o.get("metadata", {})]
    assert ours[0]["part"] == "header" and ours[0]["final"] and ours[0]["state"] == "done"
    statuses = [m["status"] for m in ours if m["part"] == "statement"]
    assert len(statuses) == 9 and set(statuses) == {"done"}, statuses
    kinds = []
    for out in outputs:
        data = out.get("data", {})
        if out.output_type == "stream":
            kinds.append(("stream", out.text))
        elif "image/png" in data:
            kinds.append(("image", ""))
        elif out.output_type == "execute_result":
            kinds.append(("result", data["text/plain"]))
        elif "text/markdown" in data:
            kinds.append(("markdown", data["text/markdown"]))
    markdown = [text for kind, text in kinds if kind == "markdown"]
    # the header (now the summary) first, then one block per statement, in program order
    assert markdown[0].startswith("**eager**") and "done" in markdown[0]
    blocks = markdown[1:]
    assert len(blocks) == 9
    assert "import matplotlib.pyplot" in blocks[0] and "totals\n```" in blocks[-1]
    # the print sits right after its own block; then, as in a cell, the value and then the figure
    order = [k for k, _ in kinds]
    print_at = order.index("stream")
    assert kinds[print_at - 1][1].count('print("regions:"') == 1
    assert order[-2:] == ["result", "image"]
    assert order.count("image") == 1

    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, path)
    reopened = nbformat.read(path, as_version=4)
    html, _ = HTMLExporter().from_notebook_node(reopened)
    cell_source_end = html.index('ax.set_title("revenue by region")')
    outputs_html = html[html.index("jp-Cell-outputWrapper", cell_source_end) :]
    # code blocks are rendered monospace (the HTML beside the Markdown: nbconvert draws a fence inside
    # an output in the page's proportional font)
    assert outputs_html.count('<pre class="eager-code" style="font-family: var(--jp-code-font-family') == 9
    code_print = outputs_html.index('print("regions:"')
    printed = outputs_html.index("regions: 2")
    code_title = outputs_html.index('"revenue by region")</code></pre>')
    figure = outputs_html.rindex("data:image/png;base64")
    assert code_print < printed < code_title < figure


def test_failed_run_keeps_skipped_code_and_stops_run_all():
    cell = "%%eager --replay --rate 200\nfirst = 1\nsecond = first / 0\nthird = 3\nfourth = 4\n"
    with pytest.raises(CellExecutionError) as info:
        run([cell, "after = 1"])
    assert "StatementError" in str(info.value)
    nb = run([cell], allow_errors=True)
    outputs = nb.cells[1].outputs
    markdown = [o.data["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {})]
    assert any("second = first / 0" in m and "ZeroDivisionError" in m for m in markdown)
    assert [o.ename for o in outputs if o.output_type == "error"] == ["ZeroDivisionError", "StatementError"]


def test_a_hold_survives_into_the_saved_notebook_and_its_html(tmp_path):
    """Headless (nbclient), a statement the gate held keeps its hold and reason in the saved header's
    metadata, in its own block's note and metadata, and in the HTML export."""
    program = "import subprocess\ndone = subprocess.run(['true'])\ncode = done.returncode\n"
    nb = run([f"%%eager --replay --rate 400\n{program}"])
    outputs = nb.cells[1].outputs
    ours = [o.metadata["eager_jupyter"] for o in outputs if "eager_jupyter" in o.get("metadata", {})]
    header = ours[0]
    assert header["part"] == "header" and header["state"] == "done"
    (gated, gated_why), (behind, behind_why) = header["held"]  # the held one, and the one behind it
    assert (gated, behind) == (1, 2) and "subprocess.run" in gated_why
    assert behind_why.startswith("after a held statement")
    blocks = {m["index"]: m for m in ours if m["part"] == "statement"}
    assert "held until generation ended" in blocks[1]["note"] and blocks[1]["status"] == "done"
    assert blocks[2]["note"] is None  # waiting behind the hold is not repeated on every line
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert html.count("held until generation ended: runs a process") == 1  # under statement 2 only
