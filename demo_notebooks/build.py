"""Builds the demo notebooks and the written traces beside them, so that both are reviewable as text.

    python demo_notebooks/build.py          # rewrite every generated file
    python demo_notebooks/build.py --check  # exit 1 if a generated file differs from what this writes

Notebooks. Each ``src/NN_name.py`` is a notebook in the percent format: a line ``# %%`` starts a code
cell (``# %% tags=["raises-exception"]`` gives it tags), ``# %% [markdown]`` a Markdown cell whose lines
lose their leading ``# ``. Code cells are taken verbatim (magics included), so these files are not
Python. The ``.ipynb`` written from them has no outputs and fixed cell ids, so a rebuild is
byte-for-byte stable and a diff shows only what changed.

Traces. Each ``replies/NAME.md`` is a reply *written by hand* in the shape a model gives (a sentence, a
Python block, a sentence). ``traces/NAME.jsonl`` is that reply in the trace format of
``eager_jupyter.trace``, timed as a model would stream it: the first piece after ``ttft`` seconds, then
pieces of one to four tokens at about ``rate`` tokens a second, with seeded jitter. The header says
``"origin": "written"`` and how the timing was made: nothing here was recorded from a model.
``replies/agent_*.md`` are agent episodes written by hand (steps of prose and tool calls), turned into
episode traces as the benchmark's are (``eager_jupyter/bench/episodes/make_episodes.py``).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from eager_jupyter.sources.replay import split_tokens  # noqa: E402

#: trace name -> (the request it answers, tokens/s, seconds to the first token)
TRACES: dict[str, tuple[str, float, float]] = {
    "analysis_1_load": (
        "Load data/bike_rentals.csv into a DataFrame called `rides` (parse the dates) and show me "
        "what is in it.",
        70,
        0.6,
    ),
    "analysis_2_clean": (
        "Clean `rides`: one row per day indexed by date, negative ride counts as missing, short gaps "
        "in the temperature filled, and a `weekend` column.",
        70,
        0.7,
    ),
    "analysis_3_aggregate": (
        "How do rides vary over the year, month by month, and between weekdays and weekends?",
        70,
        0.6,
    ),
    "analysis_4_model": (
        "Fit a linear model of daily rides on temperature, rain and the weekend flag. How good is it?",
        70,
        0.8,
    ),
    "analysis_5_plot": (
        "Plot rides against temperature with the model's lines for weekdays and weekends, next to the "
        "monthly averages.",
        70,
        0.7,
    ),
    "fix_1_first": ("Report revenue by region and product, with each region's best seller.", 60, 0.5),
    "fix_2_repair": (
        "(repair round) The statement at line 2 failed with KeyError: 'Region'. Continue the program "
        "from the failing statement.",
        60,
        0.5,
    ),
}

_CELL = re.compile(r"^# %%(?P<markdown> \[markdown\])?(?: tags=(?P<tags>\[.*\]))?\s*$")


def parse_percent(text: str) -> list[tuple[str, str, list[str]]]:
    """``(cell_type, source, tags)`` for each cell of a percent-format file."""
    cells: list[tuple[str, list[str], list[str]]] = []
    for line in text.splitlines():
        match = _CELL.match(line)
        if match:
            kind = "markdown" if match["markdown"] else "code"
            cells.append((kind, [], json.loads(match["tags"]) if match["tags"] else []))
            continue
        if not cells:
            if line.strip():
                raise ValueError(f"text before the first cell marker: {line!r}")
            continue
        kind, lines, _ = cells[-1]
        if kind == "markdown":
            if line and not line.startswith("#"):
                raise ValueError(f"a Markdown cell line must start with '#': {line!r}")
            line = line[2:] if line.startswith("# ") else line[1:]
        lines.append(line)
    out = []
    for kind, lines, tags in cells:
        source = "\n".join(lines).strip("\n")
        if source:
            out.append((kind, source, tags))
    return out


def build_notebook(src: Path) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for number, (kind, source, tags) in enumerate(parse_percent(src.read_text(encoding="utf-8"))):
        cell_id = f"{src.stem.split('_')[0]}-{number:02d}"
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source, id=cell_id)
        else:
            cell = nbformat.v4.new_code_cell(source, id=cell_id)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def build_trace(name: str) -> str:
    request, rate, ttft = TRACES[name]
    reply = (HERE / "replies" / f"{name}.md").read_text(encoding="utf-8")
    rng = random.Random(name)  # seeded by the name: the same file every time
    header = {
        "eager_trace": 1,
        "kind": "markdown",
        "origin": "written",
        "source": "written by hand",
        "request": request,
        "note": (
            f"Written by hand for the offline demo, not recorded from a model (replies/{name}.md). "
            f"Timing simulated: first piece after {ttft} s, then about {rate:g} tokens/s."
        ),
    }
    lines = [json.dumps(header, ensure_ascii=False)]
    tokens = split_tokens(reply)
    t, i = ttft, 0
    while i < len(tokens):
        n = rng.randint(1, 4)
        lines.append(json.dumps({"t": round(t, 3), "text": "".join(tokens[i : i + n])}, ensure_ascii=False))
        i += n
        t += n / rate * rng.uniform(0.6, 1.4)
    lines.append(json.dumps({"end": round(t, 3), "usage": {"output_tokens": len(tokens)}, "stop_reason": "end_turn"}))
    return "\n".join(lines) + "\n"


#: agent episodes: replies/NAME.md in the format of eager_jupyter/bench/episodes/make_episodes.py
EPISODES = ("agent_bikes",)


def build_episode(name: str) -> str:
    """An agent episode written by hand, as the benchmark's episodes are made (``make_episodes.py``):
    tool input streamed as JSON text pieces, 50 tokens/s, 0.5 s to each step's first token."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_episodes", HERE.parent / "eager_jupyter" / "bench" / "episodes" / "make_episodes.py"
    )
    assert spec is not None and spec.loader is not None
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    header, steps = make.parse((HERE / "replies" / f"{name}.md").read_text(encoding="utf-8"))
    lines = make.trace_lines(name, header, steps)
    lines[0]["note"] = (
        f"Written by hand for the offline demo, not recorded from a model (replies/{name}.md). A replay "
        f"streams what was written whatever the code does: it cannot react to different outputs. Timing "
        f"simulated: {make.TTFT} s to each step's first token, then {make.RATE:g} tokens/s."
    )
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def outputs() -> dict[Path, str]:
    files = {HERE / f"{src.stem}.ipynb": build_notebook(src) for src in sorted((HERE / "src").glob("*.py"))}
    for name in TRACES:
        files[HERE / "traces" / f"{name}.jsonl"] = build_trace(name)
    for name in EPISODES:
        files[HERE / "traces" / f"{name}.jsonl"] = build_episode(name)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent)}")
    if args.check and stale:
        for path in stale:
            print(f"out of date: {path.relative_to(HERE.parent)} (run python demo_notebooks/build.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
