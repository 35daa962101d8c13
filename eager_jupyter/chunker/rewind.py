"""``Rewinding``: the part of ``Chunker`` that withdraws text (``rewind``) and the checkpoints that
make it cost the withdrawn tail. What a rewind costs and why is in the package's docstring
(``chunker/__init__.py``); validate a change with ``tests/test_chunker_rewind.py`` (also on 3.12 and
3.13 through ``tests/test_other_pythons.py``).
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from .grammar import BLANK, COMPOUND, OFF

if TYPE_CHECKING:
    from .chunk import Chunk
    from .lexer import Lexer

__all__ = ["CHECKPOINT", "Rewinding", "Stash", "State"]

# A rewind checkpoint: pending lines, those after the statement (comments), kind, head, clauses,
# IPython lines, shell, operand, then the lexer's depth, backslash join and open frames.
Frames = tuple[tuple[int, str, bool, int], ...]
State = tuple[int, int, int, str, frozenset[str], int, bool, bool, int, bool, Frames]
CHECKPOINT = 8  # pending lines between two rewind checkpoints: a rewind re-feeds fewer than that


# The last released chunk with its checkpoints: the chunk, its lines, IPython lines, checkpoint ends
# and checkpoints (a rewind into it reopens it from there).
Stash = tuple["Chunk", list[str], list[int], list[int], list[State]]


class Rewinding:
    """``rewind`` and its checkpoints, for ``Chunker`` (which holds the state named below)."""

    if not TYPE_CHECKING:  # Chunker declares the slots (the type checker reads the names below)
        __slots__ = ()

    if TYPE_CHECKING:  # what Chunker provides (chunker.py)
        _total: int
        _at: int
        _released: list[Chunk]
        _decided: list[int]
        _queued: list[Chunk]
        _refed: int
        _lines: list[str]
        _partial: list[str]
        _small: int
        _n_stmt: int
        _offset: int
        _line_no: int
        _kind: int
        _head: str
        _clauses: frozenset[str]
        _ipy: list[int]
        _shell: bool
        _lex: Lexer
        _watch: int
        _operand: bool
        _out: list[Chunk]
        _ck: list[State]
        _ck_end: list[int]
        _ck_next: int
        _stash: Stash | None

        @property
        def pending(self) -> str: ...
        def feed(self, piece: str) -> list[Chunk]: ...
        def _reset(self, offset: int, line_no: int) -> None: ...
        def _look(self) -> None: ...

    def rewind(self, k: int) -> list[int]:
        """Withdraw everything fed from stream offset `k` on; the stream goes on at `k`.

        Returns the positions (in release order, 0-based, among the chunks still standing) of the
        released chunks withdrawn: those whose text reaches past `k`, and the one whose release was
        decided by text past `k` (a compound statement released by the next line's first word: the
        new text may continue it). They are always the last ones; feeding the new text then releases
        exactly what a fresh chunker would for the final text, so positions are reused. Chunks that
        the kept text alone completes again come out of the next `feed` (or `finish`).
        """
        total = self._total
        if not 0 <= k <= total:
            raise ValueError(f"rewind to {k}: only {total} characters were fed")
        released = self._released
        seen = len(released) - len(self._queued)  # what the caller has been given
        i = bisect.bisect_right(self._decided, k)  # the first chunk decided by text past k
        if i == len(released):
            if k == total:
                return []
            partial = "".join(self._partial)
            start = total - len(partial)
            if k >= start:  # inside the partial line: the complete lines' state stands
                text = partial[: k - start]
                self._partial = [text] if text else []
                self._small = 0
                self._total = k
                self._watch = BLANK if self._kind == COMPOUND and self._lex.at_start() else OFF
                if text and self._watch:
                    self._out = self._queued
                    self._at = k
                    self._look()
                return []
            c = bisect.bisect_right(self._ck_end, k) - 1
            if c >= 0:
                self._restore(c, k)
            else:  # before the first checkpoint: fewer than CHECKPOINT lines after the last release
                ck = self._ck
                lines = self._lines[: ck[0][0]] if ck else self._lines
                self._restart(self._offset, self._line_no, "".join(lines)[: k - self._offset])
            return []
        first = released[i]
        stash = self._stash
        if stash is not None and stash[0] is first and i == len(released) - 1 and stash[3][0] <= k:
            # Only the last chunk is withdrawn, and it has a checkpoint before k.
            del released[i:]
            del self._decided[i:]
            del self._queued[max(0, i - seen) :]
            self._unstash(k)
            return list(range(i, seen))
        text = "".join(c.code for c in released[i:]) + self.pending
        del released[i:]
        del self._decided[i:]
        del self._queued[max(0, i - seen) :]
        self._restart(first.offset, first.start_line, text[: k - first.offset])
        return list(range(i, seen))

    def _restart(self, offset: int, line_no: int, kept: str) -> None:
        """Go back to the chunk boundary at `offset` and re-feed `kept`, the text from there to the
        rewind point. A boundary holds no state but its position: the lexer is at the start of a
        logical line and nothing is pending."""
        self._reset(offset, line_no)
        self._total = offset
        self._refeed(kept)

    def _refeed(self, kept: str) -> None:
        """Feed `kept` again after a rewind: what it releases is queued for the next feed/finish."""
        queued = self._queued
        self._queued = []
        self._refed += len(kept)
        queued += self.feed(kept)
        self._queued = queued

    def _checkpoint(self, end: int) -> None:
        """Save the state after the complete pending line ending at stream offset `end`."""
        n = len(self._lines)
        lex = self._lex
        self._ck_end.append(end)
        self._ck.append((n, n - self._n_stmt, self._kind, self._head, self._clauses, len(self._ipy),
                         self._shell, self._operand, lex.depth, lex.bs, lex.frames() if lex.stack else ()))
        self._ck_next = n + CHECKPOINT

    def _unstash(self, k: int) -> None:
        """Make the last released chunk (`_stash`) pending again, as its checkpoints saw it: the
        state before its release, then `_restore` the last checkpoint at or before `k`."""
        stash = self._stash
        assert stash is not None
        chunk, lines, ipy, ck_end, ck = stash
        self._stash = None
        c = bisect.bisect_right(ck_end, k) - 1
        end = ck_end[c]
        # The text from checkpoint c to k: the chunk's tail, then what was pending after it.
        start = chunk.offset
        stop = start + len(chunk.code)
        kept = chunk.code[end - start : k - start] if end < stop else ""
        if k > stop:
            kept += self.pending[max(end, stop) - stop : k - stop]
        self._lines = lines
        self._ipy = ipy
        self._ck_end = ck_end
        self._ck = ck
        self._offset = start
        self._line_no = chunk.start_line
        self._restore(c, end)
        if kept:
            self._refeed(kept)

    def _restore(self, c: int, k: int) -> None:
        """Go back to checkpoint `c` (the last one at or before `k`) and re-feed the text from there
        to `k`: fewer than CHECKPOINT lines."""
        ck_end = self._ck_end
        ck = self._ck
        end = ck_end[c]
        n, gap, kind, head, clauses, n_ipy, shell, operand, depth, bs, frames = ck[c]
        lines = self._lines
        stop = ck[c + 1][0] if c + 1 < len(ck) else len(lines)
        kept = "".join(lines[n:stop])[: k - end]
        del lines[n:]
        del ck_end[c + 1 :]
        del ck[c + 1 :]
        self._ck_next = n + CHECKPOINT
        self._n_stmt = n - gap
        self._kind = kind
        self._head = head
        self._clauses = clauses
        del self._ipy[n_ipy:]
        self._shell = shell
        self._operand = operand
        lex = self._lex
        lex.restore(depth, bs, frames)
        self._partial = []
        self._small = 0
        self._total = end
        self._watch = BLANK if kind == COMPOUND and lex.at_start() else OFF
        if kept:
            self._refeed(kept)
