"""Write the revision traces of issue 18 (labelled "origin": "written": no model wrote them).

    python tests/revision_traces/make_traces.py

Each is a markdown reply streamed at 50 tokens/s (``split_tokens``) with revision lines where a model
with revision tokens would go back and edit:
- shell_to_list: `subprocess.run(cmd, shell=True)` revised to a list argument before the end (the gate
  holds it until the end: it never runs in its first form);
- read_csv_sep: `pd.read_csv("sales.csv")` revised to `sep=";"` after it ran (on_revision stop vs rerun);
- function_body: a function body rewritten before the call that uses it (a definition waits for the
  statement after it: withdrawn before it runs).
"""

from __future__ import annotations

from pathlib import Path

from eager_jupyter.sources import split_tokens
from eager_jupyter.trace import TraceWriter

HERE = Path(__file__).parent
RATE = 50.0


def write(name: str, request: str, parts: list[str | tuple[str, float]]) -> None:
    """`parts`: text streamed token by token, or ("<old text>", pause): go back over the last
    occurrence of <old text> (withdraw from its start) after `pause` seconds."""
    writer = TraceWriter.open(HERE / f"{name}.jsonl", kind="markdown", origin="written",
                              request=request)
    t, out = 0.3, ""
    for part in parts:
        if isinstance(part, tuple):
            old, pause = part
            t += pause
            k = out.rindex(old)
            writer.revise(t, k)
            out = out[:k]
            continue
        for token in split_tokens(part):
            t += 1 / RATE
            writer.piece(t, token)
            out += token
    writer.end(t + 0.01, stop_reason="end_turn")
    writer.close()


write("shell_to_list", "list the files with ls", [
    "Here you go:\n```python\nimport subprocess\ncmd = 'ls'\n",
    "result = subprocess.run(cmd, shell=True, capture_output=True)\n",
    "print(result.returncode)\n",
    ("cmd, shell=True, capture_output=True)\nprint(result.returncode)\n", 0.2),
    "[cmd], capture_output=True)\nprint(result.returncode)\n```\n",
])
write("read_csv_sep", "load sales.csv and sum the revenue", [
    "```python\nimport pandas as pd\ndf = pd.read_csv('sales.csv')\n",
    "columns = list(df.columns)\n",
    "n = len(df)\n",
    (")\ncolumns = list(df.columns)\nn = len(df)\n", 1.0),
    ", sep=';')\ncolumns = list(df.columns)\ntotal = df['revenue'].sum()\n```\n",
])
write("function_body", "area of a circle of radius 2", [
    "```python\nimport math\n\ndef area(r):\n    return 3.14 * r * r\n",
    ("3.14 * r * r\n", 0.1),
    "math.pi * r ** 2\n\nprint(round(area(2), 4))\n```\n",
])
