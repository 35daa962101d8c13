"""Speed of the streaming chunker, against the figures issue 2 asks for.

    python -m eager_jupyter.bench.chunker_speed [--repeat N]

Prints, all measured in the same run:
- CPython's `typing.py` streamed in 4-character pieces: chunker time (feed + finish) against one
  `parso` parse of the whole file (target: at most 1/5);
- the per-byte cost on typing.py against a small (~5 KB) stdlib file (target: at most 1.5x: linear);
- the 99th percentile of a single `feed` on a ~500-line program, streamed flat and wrapped in one
  giant class (target: at most 0.2 ms).
Times are the median of `--repeat` runs (min in brackets); the chunker and parso runs are
interleaved so that both see the same load. A script, not a test: the numbers depend on the
machine and its load.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sysconfig
import time
from collections.abc import Callable

from eager_jupyter.chunker import Chunker

STDLIB = sysconfig.get_paths()["stdlib"]


def _read(name: str) -> str:
    with open(os.path.join(STDLIB, name), encoding="utf-8") as f:
        return f.read()


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _stream(pieces: list[str]) -> float:
    """Seconds to feed all pieces and finish."""
    chunker = Chunker()
    feed = chunker.feed
    t0 = time.perf_counter()
    for piece in pieces:
        feed(piece)
    chunker.finish()
    return time.perf_counter() - t0


def timed(fn: Callable[[], float], repeat: int) -> tuple[float, float]:
    """(median, min) of `repeat` runs, with the garbage collector out of the way."""
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            times.append(fn())
        finally:
            gc.enable()
    return statistics.median(times), min(times)


def _feed_times(pieces: list[str]) -> list[int]:
    """Nanoseconds of every single feed (and of finish)."""
    chunker = Chunker()
    feed = chunker.feed
    clock = time.perf_counter_ns
    out = []
    for piece in pieces:
        t0 = clock()
        feed(piece)
        out.append(clock() - t0)
    t0 = clock()
    chunker.finish()
    out.append(clock() - t0)
    return out


def _p99(values: list[int]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (median reported)")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)

    from parso.grammar import load_grammar  # only here: the chunker does not use parso

    typing_src = _read("typing.py")
    pieces = _pieces(typing_src, 4)
    grammar = load_grammar()

    def parse() -> float:
        t0 = time.perf_counter()
        grammar.parse(typing_src)
        return time.perf_counter() - t0

    # Interleaved, so that both see the same load on a shared machine; the ratio is the median of
    # the per-pair ratios.
    chunk_times: list[float] = []
    parso_times: list[float] = []
    for _ in range(repeat):
        chunk_times.append(timed(lambda: _stream(pieces), 1)[0])
        parso_times.append(timed(parse, 1)[0])
    chunk_med, chunk_min = statistics.median(chunk_times), min(chunk_times)
    parso_med, parso_min = statistics.median(parso_times), min(parso_times)
    ratio = statistics.median(c / p for c, p in zip(chunk_times, parso_times, strict=True))
    print(f"typing.py: {len(typing_src)} chars, {typing_src.count(chr(10))} lines, "
          f"{len(pieces)} feeds of 4 chars")
    print(f"  chunker   {chunk_med * 1e3:7.2f} ms  (min {chunk_min * 1e3:.2f})  "
          f"{len(typing_src) / chunk_med / 1e6:.1f} MB/s, {chunk_med / len(pieces) * 1e9:.0f} ns/feed")
    print(f"  parso     {parso_med * 1e3:7.2f} ms  (min {parso_min * 1e3:.2f})  one parse")
    print(f"  ratio     {ratio:.3f}  (median of {repeat} interleaved pairs; target <= 0.200: "
          f"{'ok' if ratio <= 0.2 else 'MISSED'})")

    def with_errors() -> float:
        chunker = Chunker()
        t0 = time.perf_counter()
        chunks = [c for piece in pieces for c in chunker.feed(piece)] + chunker.finish()
        errors = sum(c.syntax_error is not None for c in chunks)
        assert errors == 0
        return time.perf_counter() - t0

    eager_med, _ = timed(with_errors, repeat)
    print(f"  (reading Chunk.syntax_error of every chunk, which compiles it: {eager_med * 1e3:.2f} ms "
          "in all; it is lazy, so the chunker does not pay it)")

    small_name = "stat.py"
    small_src = _read(small_name)
    small_pieces = _pieces(small_src, 4)
    reps = max(1, 120_000 // len(small_src))  # about as many bytes per timing as typing.py

    def small() -> float:
        return sum(_stream(small_pieces) for _ in range(reps)) / reps

    small_med, _ = timed(small, repeat)
    big_per_byte = chunk_med / len(typing_src)
    small_per_byte = small_med / len(small_src)
    per_byte = big_per_byte / small_per_byte
    print(f"per byte: typing.py {big_per_byte * 1e9:.1f} ns/char, {small_name} ({len(small_src)} chars) "
          f"{small_per_byte * 1e9:.1f} ns/char")
    print(f"  ratio     {per_byte:.2f}  (target <= 1.5: {'ok' if per_byte <= 1.5 else 'MISSED'})")

    flat = "".join(_read("textwrap.py").splitlines(keepends=True)[:500])
    giant = "class Giant:\n" + "".join(
        "    " + line if line.strip() else line for line in flat.splitlines(keepends=True)
    )
    for label, program in (("flat", flat), ("giant class", giant)):
        times: list[int] = []
        for _ in range(repeat):
            gc.collect()
            times += _feed_times(_pieces(program, 4))
        p99 = _p99(times) / 1e6
        print(f"single feed, {program.count(chr(10))}-line program ({label}), 4-char pieces: "
              f"p99 {p99:.4f} ms, p50 {statistics.median(times) / 1e6:.4f} ms, "
              f"max {max(times) / 1e6:.3f} ms  (target p99 <= 0.2 ms: "
              f"{'ok' if p99 <= 0.2 else 'MISSED'})")


if __name__ == "__main__":
    main()
