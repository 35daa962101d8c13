"""Cost per KB of streaming a program, by its size and shape (``python -m eager_jupyter.bench.linear_cost``).

Prints figures; asserts nothing. Streaming must cost time linear in the program's size whatever its
shape, and memory bounded by the program, not by the number of pieces. Two shapes, each at 64 KB,
1 MB and 8 MB (``--sizes``):

- **one line**: ``x = [1, 1, ..., 1]`` on a single line (the worst case for anything that re-scans
  a growing line);
- **short lines**: ``v123 = 123`` lines (the most statements per KB).

Stages, each timed on its own (cost per KB should stay flat as the size grows):

- ``read``: ``ReplaySource.from_file`` of the ``.py`` file streamed to the end (the encoding check,
  then block-by-block reading and tokenizing; the pacer at an unbounded rate);
- ``fences``: the fence filter over the reply (the program in a fenced block), fed those tokens;
- ``chunker``: the chunker fed the same tokens;
- ``record``: ``RecordBuilder`` folding one ``PieceStreamed`` per token (the run record's copy of the
  code);
- ``engine``: a whole ``Engine`` run with no view in an in-process ``InteractiveShell``, fed by the
  ``read`` source, in ``no-exec`` mode (statements are released and syntax-checked, not run:
  running 1.4 M statements would measure the executor, not streaming). A run still going after
  ``--limit`` seconds is stopped (its source closed) and reported as such.

``--revisions`` prints instead the cost of one revision that withdraws the last few characters, by
program size (it should not grow with the program, only with the withdrawn tail):

- ``record``: ``RecordBuilder`` folding a ``TextRevised`` into a record of the program (read once, so
  its code is one joined string), then the new text;
- ``chunker, lines``: ``Chunker.rewind`` into the last of ``v123 = 123`` lines (released statements);
- ``chunker, def``: ``Chunker.rewind`` into the last line of a pending ``def`` of that many lines
  (its end is not known yet): the chunker restores its checkpoint of at most 8 lines back and
  re-feeds from there, so this one does not grow with the statement's size either (see
  ``chunker/__init__.py``).

Peak memory is measured in a second pass with ``tracemalloc`` (which slows what it measures, so it is
not timed) for ``read`` and for the pure stages; for ``read`` it should stay a few hundred KB at
any size (the file is never held), for the stages it is the program plus what they keep.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from ..chunker import Chunker
from ..errors import EagerError
from ..events import PieceStreamed, TextRevised
from ..fences import FenceFilter
from ..record import RecordBuilder
from ..sources.replay import ReplaySource

__all__ = ["main"]

SHAPES = ("one line", "short lines")


def program(shape: str, size: int) -> str:
    if shape == "one line":
        return "x = [" + "1, " * ((size - 7) // 3) + "]\n"
    lines: list[str] = []
    total, i = 0, 0
    while total < size:
        line = f"v{i} = {i}\n"
        lines.append(line)
        total += len(line)
        i += 1
    return "".join(lines)


def _tokens(path: Path) -> list[str]:
    return list(ReplaySource.from_file(path, rate=1e12).stream())


def _read(path: Path) -> None:
    for _ in ReplaySource.from_file(path, rate=1e12).stream():
        pass


def _fences(tokens: list[str]) -> None:
    f = FenceFilter()
    f.feed("Here is the code:\n```python\n")
    for token in tokens:
        f.feed(token)
    f.feed("```\nDone.\n")
    f.finish()


def _chunker(tokens: list[str]) -> None:
    c = Chunker()
    for token in tokens:
        c.feed(token)
    c.finish()


def _record(tokens: list[str]) -> None:
    builder = RecordBuilder()
    for i, token in enumerate(tokens):
        builder.handle(PieceStreamed(i * 1e-6, token, "code", 0))


def _engine(path: Path, mode: str, limit: float) -> tuple[float, str]:
    from IPython.core.interactiveshell import InteractiveShell

    from ..engine import Engine

    shell = InteractiveShell.instance()
    source = ReplaySource.from_file(path, rate=1e12)
    timer = threading.Timer(limit, source.close)
    timer.start()
    start = time.perf_counter()
    try:
        # (a source closed from outside ends as if the program ended there: only the time matters)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            Engine(shell, source, mode=mode).run()  # type: ignore[arg-type]
    except EagerError:
        pass
    finally:
        timer.cancel()
    seconds = time.perf_counter() - start
    shell.user_ns.pop("x", None)
    return seconds, f"stopped after {limit:g} s" if seconds >= limit else ""


def _per_revision(setup: Callable[[], Callable[[], Any]], repeat: int = 50) -> float:
    """Seconds per call of what ``setup()`` returns (one revision and its new text)."""
    revise = setup()
    gc.collect()
    start = time.perf_counter()
    for _ in range(repeat):
        revise()
    return (time.perf_counter() - start) / repeat


def _record_revision(text: str) -> Callable[[], Any]:
    builder = RecordBuilder()
    builder.handle(PieceStreamed(0.0, text, "code", 0))
    assert builder.record.code == text  # read: one joined string, as a view's read leaves it

    def revise() -> None:
        builder.handle(TextRevised(0.0, len(text) - 3, 0, len(text) - 3))
        builder.handle(PieceStreamed(0.0, text[-3:], "code", len(text) - 3))

    return revise


def _chunker_revision(text: str) -> Callable[[], Any]:
    chunker = Chunker()
    chunker.feed(text)

    def revise() -> None:
        chunker.rewind(len(text) - 3)
        chunker.feed(text[-3:])

    return revise


def revisions(lines: list[int]) -> None:
    """Print the cost of one revision (the last 3 characters withdrawn and written again)."""
    print(f"{'revision of':<16} {'lines':>7} {'KB':>7} {'ms/revision':>12}")
    for n in lines:
        short = "".join(f"v{i} = {i}\n" for i in range(n))
        pending = "def f():\n" + "".join(f"    v{i} = {i}\n" for i in range(n))
        cases = {"record": short, "chunker, lines": short, "chunker, def": pending}
        for case, text in cases.items():
            setup = _record_revision if case == "record" else _chunker_revision
            seconds = _per_revision(partial(setup, text))
            print(f"{case:<16} {n:>7} {len(text) // 1024:>7} {seconds * 1e3:>12.4f}")


def _timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _peak(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _row(shape: str, kb: int, stage: str, seconds: float, peak: float | None, note: str = "") -> None:
    mem = f"{peak:9.2f}" if peak is not None else f"{'-':>9}"
    print(f"{shape:<12} {kb:>6} KB  {stage:<8} {seconds:9.3f} {seconds / kb * 1e6:9.1f} {mem}  {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="64,1024,8192", help="sizes in KB (64,1024,8192)")
    parser.add_argument("--limit", type=float, default=60.0, help="stop an engine run after this many s")
    parser.add_argument("--no-engine", action="store_true", help="skip the engine runs")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc pass")
    parser.add_argument("--revisions", action="store_true", help="the cost of one revision, by size")
    parser.add_argument("--lines", default="100,1000,10000,100000", help="--revisions: program sizes")
    args = parser.parse_args(argv)
    if args.revisions:
        revisions([int(n) for n in args.lines.split(",")])
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'shape':<12} {'size':>9}  {'stage':<8} {'seconds':>9} {'us/KB':>9} {'peak MB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in SHAPES:
            for kb in sizes:
                path = Path(tmp) / f"{shape.replace(' ', '_')}_{kb}.py"
                path.write_text(program(shape, kb * 1024))
                tokens = _tokens(path)
                stages: dict[str, Callable[[], Any]] = {
                    "read": partial(_read, path),
                    "fences": partial(_fences, tokens),
                    "chunker": partial(_chunker, tokens),
                    "record": partial(_record, tokens),
                }
                for stage, fn in stages.items():
                    seconds = _timed(fn)
                    peak = None if args.no_memory or stage == "record" else _peak(fn)
                    _row(shape, kb, stage, seconds, peak)
                if not args.no_engine:
                    seconds, note = _engine(path, "no-exec", args.limit)
                    _row(shape, kb, "engine", seconds, None, note)
                del tokens, stages
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
