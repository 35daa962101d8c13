"""Offline sources: a text streamed at a token rate, and a recorded trace with its real timing.

How a text is cut into tokens (``split_tokens``): roughly as a BPE tokenizer would, so that rates in
tokens/s compare with a model's. Spaces and tabs attach to the token after them; a word is cut every
8 characters, a number every 3 digits, punctuation every 2 characters, and a newline is its own token.
Python source averages about 3.5 characters a token this way (measured on the standard library),
close to what Claude's tokenizer gives for code.

Pacing: token ``i`` is released at ``ttft + i / rate`` seconds after ``stream()`` starts, against the
clock, not by sleeping a fixed step, so a slow consumer does not stretch the timeline. ``close()`` wakes
a sleeping replay at once.

Files are read as they are replayed, so memory stays bounded by a block, not by the file
(``iter_tokens`` cuts tokens block by block: a block's last token, and the spaces right before it,
wait for the next block). ``ReplaySource.from_file`` checks the whole file decodes first (in blocks,
holding none of it), so a bad file is one line before anything runs. A ``.py`` file is decoded as
Python decodes source (``tokenize.detect_encoding``: a UTF-8 BOM, a coding cookie); a ``.md`` reply
as UTF-8, BOM skipped.

A trace (``TraceSource``) ends by checking how the recorded reply ended (``trace.stop_problem``): a
reply cut short (an abnormal stop reason, or no end line) raises ``ReplyCut`` at the end of the stream,
so the engine never releases its half-written statement, exactly as the live source does.

Validate a change with ``pytest tests/test_replay_and_trace.py`` (tokens against ``split_tokens`` for
random block cuts, memory while streaming a large file, encodings, cut traces).
"""

from __future__ import annotations

import io
import itertools
import math
import re
import threading
import time
import tokenize
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from ..fences import FenceFilter
from ..trace import Trace, TraceFile, open_trace, stop_problem
from .base import SourceError, SourceKind
from .revisions import Revision

__all__ = ["ReplayFileError", "ReplaySource", "ReplyCut", "TraceSource", "iter_tokens", "split_tokens"]

_TOKEN = re.compile(r"[ \t]*(?:[^\W\d_]\w{0,7}|\d{1,3}|[^\w\s]{1,2}|\r?\n|\w)|\s")
_BLOCK = 1 << 14  # characters: its token list stays a few hundred KB


class ReplayFileError(SourceError):
    """A replay file cannot be read as text (one line, naming the file)."""


class ReplyCut(SourceError):
    """A recorded reply was cut short: its unfinished statement must not run."""


def split_tokens(text: str) -> list[str]:
    """Cut ``text`` into model-like tokens; ``"".join(split_tokens(t)) == t`` always."""
    tokens = _TOKEN.findall(text)
    assert "".join(tokens) == text
    return tokens


def iter_tokens(blocks: Iterable[str]) -> Iterator[str]:
    """The tokens of the concatenated ``blocks``, as ``split_tokens`` cuts them, block by block.

    A token's match looks at most one character past its end, except where the text ran out: the
    last token may still grow ("ab" + "c", "\\r" + "\\n"), and spaces or tabs right before it were
    cut into one-character tokens only because nothing followed them yet. Both wait for the next
    block; every token before them is final. (A run of spaces longer than a block is carried whole,
    as it is one token in the end.)
    """
    carry = ""
    for block in blocks:
        text = carry + block if carry else block
        if not text:
            continue
        tokens = _TOKEN.findall(text)
        start = len(text) - len(tokens[-1])
        held = start - len(text[:start].rstrip(" \t"))  # the one-character space tokens before it
        carry = text[start - held :]
        yield from tokens[: len(tokens) - 1 - held]
    if carry:
        yield from _TOKEN.findall(carry)


def _open_text(path: Path, kind: SourceKind) -> io.TextIOWrapper:
    """Open as Python reads source (BOM, coding cookie), or UTF-8 (BOM skipped) for markdown."""
    binary = path.open("rb")
    try:
        if kind == "code":
            encoding, _ = tokenize.detect_encoding(lambda: _head_line(binary))
            binary.seek(0)
        else:
            encoding = "utf-8-sig"
        return io.TextIOWrapper(binary, encoding)
    except BaseException:
        binary.close()
        raise


def _head_line(binary: IO[bytes], limit: int = 4096) -> bytes:
    """A line for ``detect_encoding``, at most ``limit`` bytes (a coding cookie is near the start;
    reading a 100 MB one-line file whole to look for it would hold it all). A line cut short is cut
    back to whole UTF-8 characters, so the cut is never mistaken for bad bytes."""
    line = binary.readline(limit)
    if len(line) < limit or line.endswith(b"\n"):
        return line
    for end in range(len(line), len(line) - 4, -1):
        try:
            line[:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return line[:end] + b"\n"
    return line


def _blocks(stream: io.TextIOWrapper) -> Iterator[str]:
    with stream:
        while block := stream.read(_BLOCK):
            yield block


class _Pacer:
    """Sleeps until a deadline unless closed; shared by both replay sources."""

    def __init__(self) -> None:
        self._closed = threading.Event()
        self._start = 0.0

    def begin(self) -> None:
        self._start = time.perf_counter()

    def wait_until(self, offset: float) -> bool:
        """Sleep until ``offset`` seconds after ``begin``; False if closed meanwhile."""
        delay = self._start + offset - time.perf_counter()
        if delay > 0:  # (a finite but huge offset from a trace: wait() would overflow)
            return not self._closed.wait(min(delay, threading.TIMEOUT_MAX))
        return not self._closed.is_set()

    def close(self) -> None:
        self._closed.set()


class ReplaySource:
    """Streams a text (a file, or a cell's own body) as if a model were writing it."""

    kind: SourceKind

    def __init__(
        self,
        text: str,
        rate: float = 60.0,
        ttft: float = 0.0,
        *,
        name: str | None = None,
        kind: SourceKind = "code",
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a finite number > 0 (tokens per second), not {rate}")
        if not (math.isfinite(ttft) and ttft >= 0):
            raise ValueError(f"ttft must be a finite number >= 0 (seconds), not {ttft}")
        self.text = text
        self.rate = rate
        self.ttft = ttft
        self.kind = kind
        self.model: str | None = None
        self.usage: dict[str, int] = {}
        self.label = f"replay {name + ' ' if name else ''}at {rate:g} tok/s"
        self.path: Path | None = None  # set by from_file: the text is read from it as it streams
        self._pacer = _Pacer()
        self._sent = 0

    @classmethod
    def from_file(cls, path: str | Path, rate: float = 60.0, ttft: float = 0.0) -> ReplaySource:
        """A file replayed as it is read. Raises ``ReplayFileError`` (one line) if it is not text in
        its encoding (checked now, in blocks)."""
        path = Path(path)
        kind: SourceKind = "markdown" if path.suffix.lower() in (".md", ".markdown") else "code"
        source = cls("", rate, ttft, name=path.name, kind=kind)
        source.path = path
        for _ in source._blocks():
            pass
        return source

    def _blocks(self) -> Iterator[str]:
        """The text in blocks: the file's, read as it goes, or the text given."""
        if self.path is None:
            yield self.text
            return
        path = self.path
        try:
            yield from _blocks(_open_text(path, self.kind))
        except (SyntaxError, LookupError) as error:  # a bad coding cookie, or an unknown codec
            why = str(getattr(error, "msg", None) or error).split(" for '")[0]
            if why.startswith("invalid or missing encoding"):
                why = "not utf-8 text, and no coding cookie says what it is"
            raise ReplayFileError(f"cannot read {path}: {why}") from None
        except UnicodeDecodeError as error:
            raise ReplayFileError(f"cannot read {path}: not {error.encoding} text") from None
        except OSError as error:
            raise ReplayFileError(f"cannot read {path}: {error.strerror or error}") from None

    def stream(self) -> Iterator[str]:
        self._pacer.begin()
        self._sent = i = 0
        for token in iter_tokens(self._blocks()):
            if not self._pacer.wait_until(self.ttft + i / self.rate):
                return
            self._sent = i = i + 1
            yield token
        self.usage = {"output_tokens": i}

    def unsent_tokens(self) -> int:
        """Tokens of the text never streamed (the run stopped generation early), counted on demand."""
        return max(0, sum(1 for _ in iter_tokens(self._blocks())) - self._sent)

    def close(self) -> None:
        self._pacer.close()


class TraceSource:
    """Replays a recorded trace (see ``eager_jupyter.trace``) with its real timing; a revision line
    is yielded as a ``Revision`` (see ``sources.revisions``).

    ``speed`` scales time (2.0 replays twice as fast). At the end, a reply that was cut short raises
    ``ReplyCut`` (see the module docstring).
    """

    kind: SourceKind

    def __init__(self, trace: Trace | TraceFile, *, name: str | None = None, speed: float = 1.0) -> None:
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed must be a finite number > 0, not {speed}")
        self.trace = trace
        self.speed = speed
        self.kind = "markdown" if trace.kind == "markdown" else "code"
        model = trace.header.get("model")
        self.model = str(model) if model else None
        self.usage: dict[str, int] = {}
        origin = trace.header.get("origin", "recorded")
        self.label = f"trace {name or ''} ({origin})".replace("  ", " ")
        self._pacer = _Pacer()
        self._sent = 0

    @classmethod
    def from_file(cls, path: str | Path, speed: float = 1.0) -> TraceSource:
        """Raises ``TraceError`` (one line) if the file is not UTF-8 or its header is wrong; a bad
        line further on is raised when the replay reaches it."""
        return cls(open_trace(path), name=Path(path).name, speed=speed)

    def stream(self) -> Iterator[str | Revision]:
        self._pacer.begin()
        fences = FenceFilter() if self.kind == "markdown" else None
        self._sent = 0
        for t, item in self.trace.iter_pieces():
            if not self._pacer.wait_until(t / self.speed):
                return
            self._sent += 1
            if isinstance(item, int):  # a revision line
                if fences is not None:
                    fences.rewind(item)
                yield Revision(item)
                continue
            if fences is not None:
                fences.feed(item)
            yield item
        end = self.trace.end
        if end is not None:
            usage = end.get("usage")
            if isinstance(usage, dict):
                self.usage = {
                    str(k): v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)
                }
        if fences is not None:
            fences.finish()
        reason = end.get("stop_reason", "end_turn") if end is not None else None
        problem = stop_problem(
            reason, fences is not None and fences.code_ended, missing_end=end is None
        )
        if problem is not None:
            raise ReplyCut(problem)

    def decode_markers(self, pattern: str) -> bool:
        """A recording's header says which markers were decoded when it was made (``revision_markers``,
        "" for none): its revisions are its ``revise`` lines, whatever ``pattern`` is now."""
        return "revision_markers" in self.trace.header

    def unsent_tokens(self) -> int:
        """Pieces of the trace never streamed (the run stopped generation early), counted on demand."""
        pieces = self.trace.iter_pieces()
        return sum(1 for _t, item in itertools.islice(pieces, self._sent, None) if not isinstance(item, int))

    def close(self) -> None:
        self._pacer.close()
