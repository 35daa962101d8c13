"""The written revision traces of issue 18: what they say, and how they are written at a token rate.

No model wrote these: each is a markdown reply, cut into tokens as the replay source cuts text
(``split_tokens``), with revision lines where a model with revision tokens would go back and edit.
Every trace is labelled ``"origin": "written"`` in its header. They differ in how far behind the head
the revision lands, and in what the revised statement is doing when it arrives:

- ``shell_to_list``: ``subprocess.run(cmd, shell=True)`` revised to a list argument before the end,
  2 statements back; the gate holds that statement until the end, so it never runs in its first form;
- ``read_csv_sep``: ``pd.read_csv("sales.csv")`` revised to ``sep=";"`` 3 statements back, long after
  it ran (stop vs rerun);
- ``function_body``: a function body rewritten before the call that uses it (a definition waits for
  the statement after it: withdrawn before it runs, at any window);
- ``one_back``: the statement just finished, revised 2 tokens into the next one;
- ``far_back``: a constant revised 5 statements back (everything after it depends on it);
- ``while_running``: a 0.5 s call revised a few tokens after it was written, while it runs;
- ``typo_in_line``: a typo inside the statement being written (nothing released is touched).

The bench (``eager-jupyter bench --revisions``) writes them at each rate it measures, into its own
directory; ``tests/revision_traces/`` holds them at 50 tokens/s for the tests::

    python -m eager_jupyter.bench.revision_traces tests/revision_traces [--rate 50]

A pause before a revision is counted in token intervals (``pause / rate`` seconds), so a trace means
the same thing at every rate. Validate a change with ``pytest tests/test_revisions_kernel.py
tests/test_bench_revisions.py`` (the 50 tokens/s files must stay as the tests expect them: rewrite
them with the command above and check ``git diff``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from ..sources.replay import split_tokens
from ..trace import TraceWriter

__all__ = ["FILES", "TRACES", "RevisionTrace", "write_all", "write_trace"]

#: files the traces read, written into the kernel's working directory before a run
FILES = {"sales.csv": "region;revenue\nnorth;10\nsouth;20\n"}
FIRST_TOKEN_S = 0.3

#: a text streamed token by token, or ("<old text>", pause): after `pause` token intervals, go back
#: over the last occurrence of <old text> (withdraw from its start)
Part = str | tuple[str, int]


@dataclass(frozen=True)
class RevisionTrace:
    name: str
    request: str
    parts: tuple[Part, ...]

    @property
    def tokens(self) -> int:
        """Tokens streamed, withdrawn ones included."""
        return sum(len(split_tokens(p)) for p in self.parts if isinstance(p, str))


TRACES: tuple[RevisionTrace, ...] = (
    RevisionTrace("shell_to_list", "list the files with ls", (
        "Here you go:\n```python\nimport subprocess\ncmd = 'ls'\n",
        "result = subprocess.run(cmd, shell=True, capture_output=True)\n",
        "print(result.returncode)\n",
        ("cmd, shell=True, capture_output=True)\nprint(result.returncode)\n", 10),
        "[cmd], capture_output=True)\nprint(result.returncode)\n```\n",
    )),
    RevisionTrace("read_csv_sep", "load sales.csv and sum the revenue", (
        "```python\nimport pandas as pd\ndf = pd.read_csv('sales.csv')\n",
        "columns = list(df.columns)\n",
        "n = len(df)\n",
        (")\ncolumns = list(df.columns)\nn = len(df)\n", 50),
        ", sep=';')\ncolumns = list(df.columns)\ntotal = df['revenue'].sum()\n```\n",
    )),
    RevisionTrace("function_body", "area of a circle of radius 2", (
        "```python\nimport math\n\ndef area(r):\n    return 3.14 * r * r\n",
        ("3.14 * r * r\n", 5),
        "math.pi * r ** 2\n\nprint(round(area(2), 4))\n```\n",
    )),
    RevisionTrace("one_back", "the spread of these values", (
        "```python\nvalues = [3, 1, 4, 1, 5, 9, 2, 6]\nspread = max(values)\nprint(spread",
        ("max(values)\nprint(spread", 2),
        "max(values) - min(values)\nprint(spread)\n```\n",
    )),
    RevisionTrace("far_back", "mean and variance of random numbers", (
        "```python\nimport random\nrandom.seed(1)\nn = 200\n",
        "xs = [random.random() for _ in range(n)]\n",
        "mean = sum(xs) / n\n",
        "var = sum((x - mean) ** 2 for x in xs) / n\n",
        "low = sum(x < 0.5 for x in xs)\n",
        ("200\nxs = ", 4),
        "2000\nxs = [random.random() for _ in range(n)]\nmean = sum(xs) / n\n",
        "var = sum((x - mean) ** 2 for x in xs) / n\nlow = sum(x < 0.5 for x in xs)\n",
        "print(round(mean, 1), round(var, 2), low > 0)\n```\n",
    )),
    RevisionTrace("while_running", "count loop iterations for half a second", (
        "```python\nimport time\n\ndef crunch(seconds):\n    start = time.perf_counter()\n"
        "    count = 0\n    while time.perf_counter() - start < seconds:\n        count += 1\n"
        "    return count\n\nwork = crunch(0.5)\nprint(",
        ("0.5)\nprint(", 5),
        "0.4)\nprint(work > 0)\n```\n",
    )),
    RevisionTrace("typo_in_line", "the length of each word", (
        "```python\nwords = ['eager', 'jupyter', 'revise']\nlengths = {w: len(w) for w in wrods",
        ("wrods", 2),
        "words}\nprint(lengths)\n```\n",
    )),
)


def write_trace(trace: RevisionTrace, path: Path, rate: float) -> Path:
    """Write ``trace`` at ``rate`` tokens/s (first token at ``FIRST_TOKEN_S``) to ``path``."""
    writer = TraceWriter.open(path, kind="markdown", origin="written", request=trace.request)
    t, out = FIRST_TOKEN_S, ""
    try:
        for part in trace.parts:
            if isinstance(part, tuple):
                old, pause = part
                t += pause / rate
                k = out.rindex(old)
                writer.revise(t, k)
                out = out[:k]
                continue
            for token in split_tokens(part):
                t += 1 / rate
                writer.piece(t, token)
                out += token
        writer.end(t + 0.01, stop_reason="end_turn")
    finally:
        writer.close()
    return path


def write_all(directory: Path, rate: float, traces: tuple[RevisionTrace, ...] = TRACES) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return [write_trace(t, directory / f"{t.name}.jsonl", rate) for t in traces]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eager_jupyter.bench.revision_traces",
                                description="Write the written revision traces into DIRECTORY.")
    p.add_argument("directory", type=Path)
    p.add_argument("--rate", type=float, default=50.0, help="tokens/s (default 50)")
    args = p.parse_args(argv)
    for path in write_all(args.directory, args.rate):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
