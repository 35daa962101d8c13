"""Speed of the streamed tool-input decoder (issues 16 and 17), against ``json.loads`` of the whole.

    python -m eager_jupyter.bench.tool_input_speed [--repeat N] [--size BYTES]

The input is a tool call's JSON, ``{"code": ...}``, whose code is about ``--size`` characters of real
Python (stdlib sources, so with the escapes real code has: a ``\\n`` per line, quotes, backslashes,
tabs) written by ``json.dumps`` with ``ensure_ascii`` False (as the API sends it) and True (every
non-ASCII character a ``\\u`` escape). It is fed in 4-character pieces (about a token each, the
streaming case) and 64-character pieces, and decoded whole by ``json.loads`` for comparison. Figures
are MB/s of JSON text (characters, counted as bytes), the median of ``--repeat`` runs (and the best),
and the cost of one feed. A script, not a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import sysconfig
import time
from functools import partial

from eager_jupyter.bench.chunker_speed import timed
from eager_jupyter.sources.tool_input import ToolInputDecoder

STDLIB = sysconfig.get_paths()["stdlib"]
SOURCES = ["typing.py", "inspect.py", "argparse.py", "textwrap.py", "dataclasses.py", "enum.py",
           "functools.py", "pathlib.py", "subprocess.py", "tarfile.py", "pydoc.py", "datetime.py",
           "_pydecimal.py", "doctest.py", "difflib.py", "ast.py", "locale.py", "string.py"]


def _code(size: int) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        for name in SOURCES:
            path = os.path.join(STDLIB, name)
            if not os.path.exists(path):
                continue
            with open(path, encoding="utf-8") as f:
                text = f.read()
            parts.append(text)
            total += len(text)
            if total >= size:
                break
    return "".join(parts)[:size]


def _decode(pieces: list[str], expected: str) -> float:
    decoder = ToolInputDecoder("code")
    feed = decoder.feed
    out: list[str] = []
    extend = out.extend
    t0 = time.perf_counter()
    for piece in pieces:
        extend(feed(piece))
    decoder.finish()
    elapsed = time.perf_counter() - t0
    assert "".join(out) == expected
    return elapsed


def _loads(text: str, expected: str) -> float:
    t0 = time.perf_counter()
    value = json.loads(text)["code"]
    elapsed = time.perf_counter() - t0
    assert value == expected
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median reported)")
    parser.add_argument("--size", type=int, default=1_000_000, help="characters of code")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)
    code = _code(args.size)
    print(f"code: {len(code)} chars, {code.count(chr(10))} lines of stdlib Python; median of {repeat} runs")
    for ensure_ascii in (False, True):
        text = json.dumps({"code": code}, ensure_ascii=ensure_ascii)
        mb = len(text) / 1e6
        print(f"json.dumps(ensure_ascii={ensure_ascii}): {len(text)} chars of JSON")
        loads, best = timed(partial(_loads, text, code), repeat)
        print(f"  json.loads whole   {loads * 1e3:8.2f} ms  {mb / loads:8.1f} MB/s  (best {mb / best:.1f})")
        for size in (4, 64):
            pieces = [text[i : i + size] for i in range(0, len(text), size)]
            t, best = timed(partial(_decode, pieces, code), repeat)
            print(f"  decoder {size:2d}-char   {t * 1e3:8.2f} ms  {mb / t:8.1f} MB/s  (best {mb / best:.1f})"
                  f"  {t / len(pieces) * 1e9:5.0f} ns/feed, {t / loads:.0f}x json.loads")


if __name__ == "__main__":
    main()
