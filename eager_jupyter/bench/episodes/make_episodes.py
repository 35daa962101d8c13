"""Write the agent benchmark's episodes (``eager-jupyter bench --agent``) from their sources.

    python eager_jupyter/bench/episodes/make_episodes.py

Each ``src/<name>.md`` is an episode written by hand, not by a model: a header line
``# Episode: <name> (<style>) - <title>.``, a ``request:`` line, a ``repairs: N`` line when N of its
steps fail and are repaired, then ``## step`` sections (prose and
```` ```python ```` blocks, each block one call of the Python tool) and a closing ``## answer`` (prose
only). A step whose code fails is written in full, as a model would have written it: the replay stops
streaming it where the failure closes the stream, and the next step is the repair.

The traces (``<name>.jsonl``, ``agent/trace.py``'s episode format) are labelled ``"origin": "written"``
and streamed as the Messages API streams a response: a text block's words, then the tool input as
``input_json_delta`` pieces of JSON text, one to three tokens each (``split_tokens``), sometimes cut
inside an escape (``\\`` in one piece, ``n`` in the next). Times are for ``RATE`` tokens/s with
``TTFT`` seconds to each step's first token (``t`` counts from the step's own request); the benchmark
re-times them for each rate (``retime``). Rerun this script after editing a source; the output is
deterministic (seeded by the episode's name).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RATE = 50.0
TTFT = 0.5

_HEADER = re.compile(r"^# Episode: (?P<name>\w+) \((?P<style>[^)]*)\) - (?P<title>.*?)\.?$", re.M)
_REQUEST = re.compile(r"^request: (?P<request>.+)$", re.M)
_REPAIRS = re.compile(r"^repairs: (?P<repairs>\d+)$", re.M)
_FENCE = re.compile(r"```python\n(.*?)```\n?", re.S)


def parse(text: str) -> tuple[dict[str, Any], list[list[tuple[str, str]]]]:
    """The header fields and each step's blocks: ``("text", prose)`` or ``("tool", code)``."""
    header, request = _HEADER.search(text), _REQUEST.search(text)
    if header is None or request is None:
        raise ValueError("an episode source starts with '# Episode: name (style) - title.', 'request: ...'")
    steps: list[list[tuple[str, str]]] = []
    for section in re.split(r"^## (?:step|answer)[ \t]*\n", text, flags=re.M)[1:]:
        blocks: list[tuple[str, str]] = []
        at = 0
        for fence in _FENCE.finditer(section):
            if section[at : fence.start()].strip():
                blocks.append(("text", section[at : fence.start()].strip()))
            blocks.append(("tool", fence.group(1)))
            at = fence.end()
        if section[at:].strip():
            blocks.append(("text", section[at:].strip()))
        steps.append(blocks)
    if len(steps) < 2 or any(kind == "tool" for kind, _ in steps[-1]):
        raise ValueError("an episode has steps and ends with an answer in prose")
    repairs = _REPAIRS.search(text)
    return {"name": header["name"], "style": header["style"], "title": header["title"],
            "request": request["request"], "repairs": int(repairs["repairs"]) if repairs else 0}, steps


def _tokens(text: str) -> list[str]:
    from eager_jupyter.sources.replay import split_tokens

    return split_tokens(text)


def json_pieces(code: str, rng: random.Random) -> list[tuple[int, str]]:
    """The tool input ``{"code": ...}`` as JSON text pieces: ``(tokens so far, piece)``. Each piece
    holds the escaped text of one to three of the code's tokens; now and then an escape is cut."""
    pieces: list[tuple[int, str]] = []
    tokens = _tokens(code)
    head, count, i = '{"code": "', 0, 0
    while i < len(tokens):
        n = rng.choice((1, 1, 2, 3))
        group = "".join(tokens[i : i + n])
        i += n
        count += n
        text = head + json.dumps(group, ensure_ascii=False)[1:-1]
        head = ""
        if pieces and text.startswith("\\") and rng.random() < 0.5:  # cut inside an escape
            t, prev = pieces[-1]
            pieces[-1] = (t, prev + "\\")
            text = text[1:]
        pieces.append((count, text))
    pieces.append((count, head + '"}'))
    return pieces


Blocks = list[tuple[str, str]]


def trace_lines(name: str, header: dict[str, Any], steps: list[Blocks]) -> list[dict[str, Any]]:
    rng = random.Random(name)
    lines: list[dict[str, Any]] = [{
        "eager_trace": 1, "kind": "episode", "origin": "written", "source": "written",
        "model": None, "request": header["request"], "title": header["title"], "style": header["style"],
        "repairs": header["repairs"], "rate": RATE, "ttft": TTFT,
    }]
    for number, blocks in enumerate(steps, start=1):
        lines.append({"step": number})
        done = 0  # tokens generated in this step so far
        calls = 0

        def at(tokens: int) -> float:
            return round(TTFT + tokens / RATE, 4)

        for kind, text in blocks:
            if kind == "text":
                lines.append({"t": at(done), "block": "text"})
                for token in _tokens(text):
                    done += 1
                    lines.append({"t": at(done), "prose": token})
                continue
            calls += 1
            lines.append({"t": at(done), "block": "tool_use", "id": f"toolu_written_{name}_{number}_{calls}",
                          "name": "python"})
            base = done
            for count, piece in json_pieces(text, rng):
                done = base + count
                lines.append({"t": at(done), "json": piece})
        stop = "tool_use" if calls else "end_turn"
        lines.append({"step_end": at(done + 1), "stop_reason": stop,
                      "usage": {"input_tokens": 0, "output_tokens": done}})
    return lines


def write(source: Path) -> Path:
    header, steps = parse(source.read_text(encoding="utf-8"))
    if header["name"] != source.stem:
        raise ValueError(f"{source}: the header names {header['name']}, not {source.stem}")
    out = HERE / f"{source.stem}.jsonl"
    lines = trace_lines(source.stem, header, steps)
    out.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[2]))  # run from a checkout: import this tree's eager_jupyter
    for path in sorted((HERE / "src").glob("*.md")):
        print(write(path))
