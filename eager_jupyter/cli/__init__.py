"""``eager-jupyter``: the command line, a thin dispatcher.

- ``eager-jupyter demo``: run the demo notebooks headless, offline (``demo`` module).
- ``eager-jupyter replay FILE --rate N``: stream FILE into a fresh kernel, code and outputs live
  (``terminal`` module).
- ``eager-jupyter bench``: the latency benchmark (``bench`` package).
- ``eager-jupyter chunk FILE --rate N``: stream FILE through the chunker only and print each statement
  the moment it is released, with its time (no kernel).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .._numbers import number
from .._version import __version__

__all__ = ["main"]


def _chunk(args: argparse.Namespace) -> int:
    from ..chunker import Chunk, Chunker
    from ..sources.replay import ReplaySource

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"eager-jupyter chunk: cannot read {path}: {error}", file=sys.stderr)
        return 2
    source = ReplaySource(text, args.rate, args.ttft, name=path.name)
    chunker = Chunker()
    start = time.perf_counter()
    count = 0
    print(f"streaming {path} ({len(text)} characters) at {args.rate:g} tokens/s")

    def show(chunks: list[Chunk]) -> None:
        nonlocal count
        now = time.perf_counter() - start
        for chunk in chunks:
            code = chunk.code.strip("\n")
            if not code.strip():
                continue
            count += 1
            first = code.splitlines()[0]
            more = len(code.splitlines()) - 1
            tail = f"  (+{more} lines)" if more else ""
            error = f"  [syntax error: {chunk.syntax_error}]" if chunk.syntax_error else ""
            print(f"{now:8.3f} s  #{count:<3} line {chunk.start_line:<4} {first}{tail}{error}", flush=True)

    try:
        for piece in source.stream():
            show(chunker.feed(piece))
        show(chunker.finish())
    except KeyboardInterrupt:
        source.close()
        print("interrupted", file=sys.stderr)
        return 130
    print(f"{count} statements in {time.perf_counter() - start:.2f} s")
    return 0


_rate = number(float, "the rate", above=True, error=argparse.ArgumentTypeError)
_ttft = number(float, "the time to first token", error=argparse.ArgumentTypeError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eager-jupyter", description="Run LLM-written code while the model is still writing it."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    chunk = sub.add_parser("chunk", help="stream a Python file through the chunker and print statements")
    chunk.add_argument("file")
    chunk.add_argument("--rate", type=_rate, default=60.0, help="tokens per second (60)")
    chunk.add_argument("--ttft", type=_ttft, default=0.0, help="seconds before the first token")
    chunk.set_defaults(run=_chunk)

    sub.add_parser("bench", help="the latency benchmark (eager-jupyter bench --help)", add_help=False)
    sub.add_parser("demo", help="run the demo notebooks offline (eager-jupyter demo --help)", add_help=False)
    sub.add_parser(
        "replay", help="stream a file into a fresh kernel (eager-jupyter replay --help)", add_help=False
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # subcommands with their own parsers get the rest of the line untouched
    if argv and argv[0] == "bench":
        from ..bench import main as bench_main

        return bench_main(argv[1:])
    if argv and argv[0] == "demo":
        from .demo import main as demo_main

        return demo_main(argv[1:])
    if argv and argv[0] == "replay":
        from .replay import main as replay_main

        return replay_main(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.run(args))

