"""``Chunker``: the streaming statement detector. The algorithm, its rules and how to validate a change
are in the package's docstring (``chunker/__init__.py``); the grammar tables in ``grammar.py``."""

from __future__ import annotations

from .chunk import Chunk, ChunkKind
from .grammar import (
    AFTER,
    ASYNC_FOR,
    BLANK,
    CLAUSES,
    COMPACT,
    COMPOUND,
    CONSTANTS,
    DECOR,
    EMPTY,
    IPY,
    KEYWORDS,
    KIND_NAME,
    LAST_WORD,
    LOOP,
    NAME_START,
    NONE,
    OFF,
    RECOVER,
    SIMPLE,
    START,
    WORD,
    ipython_escape,
    is_ipython,
)
from .lexer import Lexer
from .rewind import CHECKPOINT, Rewinding, Stash, State

__all__ = ["Chunker"]

class Chunker(Rewinding):
    """`feed(piece) -> list[Chunk]`, `finish() -> list[Chunk]`, `rewind(k)`; pure (no I/O, threads or
    IPython). `pending` is the text fed but not released yet."""

    __slots__ = ("_at", "_ck", "_ck_end", "_ck_next", "_clauses", "_decided", "_head", "_ipy", "_kind",
                 "_lex", "_line_no", "_lines", "_n_stmt", "_offset", "_operand", "_out", "_partial",
                 "_queued", "_refed", "_released", "_shell", "_small", "_stash", "_total", "_watch")

    def __init__(self) -> None:
        self._total = 0  # characters fed so far
        self._at = 0  # the stream offset up to which the text deciding the next release was read
        self._released: list[Chunk] = []  # every chunk released, in order (rewind re-feeds them)
        self._decided: list[int] = []  # for each: `_at` when it was released
        self._queued: list[Chunk] = []  # released while rewinding: returned by the next feed/finish
        self._refed = 0  # characters re-fed by `rewind` so far (for tests: what a rewind costs)
        self._reset(0, 1)

    def _reset(self, offset: int, line_no: int) -> None:
        """The state at a chunk boundary: nothing pending, the stream goes on at `offset`."""
        self._partial: list[str] = []  # pieces of the current, incomplete line
        self._small = 0  # how many of them were appended since the last compaction
        self._lines: list[str] = []  # complete pending lines
        self._n_stmt = 0  # how many of them the current statement spans (the rest: comments after it)
        self._offset = offset  # stream offset of _lines[0]
        self._line_no = line_no  # stream line of _lines[0]
        self._kind = NONE
        self._head = ""  # first word of the pending compound statement ("for" for "async for")
        self._clauses = EMPTY  # clause keywords that may still continue it
        self._ipy: list[int] = []  # stream lines with IPython syntax in the pending text
        self._shell = False  # IPY: a shell line (`!cmd`), continued by backslashes only
        self._lex = Lexer()
        self._watch = OFF  # a compound waits for the first token of the partial line
        self._operand = False  # inside brackets: the code so far ends with an operand
        self._out: list[Chunk] = []
        # Checkpoints for `rewind`: the state after every CHECKPOINT-th complete pending line since
        # the last release (`_ck_end`: that line's stream end), and the line count due for the next.
        self._ck_end: list[int] = []
        self._ck: list[State] = []
        self._ck_next = CHECKPOINT
        # The last chunk released with checkpoints: it, its pending lines and IPython lines as they
        # were at its release, and its checkpoints (for a rewind that withdraws only that chunk).
        self._stash: Stash | None = None

    @property
    def pending(self) -> str:
        """Everything fed and not yet released."""
        return "".join(self._lines) + "".join(self._partial)

    def feed(self, piece: str) -> list[Chunk]:
        """Take the next piece of the stream; return the statements it completes (often none)."""
        if self._queued:
            out = self._queued
            self._queued = []
            return out + self.feed(piece)
        self._total += len(piece)
        if "\n" not in piece:
            self._partial.append(piece)
            self._small += 1
            if self._small == COMPACT:
                self._compact()
            # Only a non-blank character, or any after the first word began, decides a waiting compound.
            if self._watch and piece and (self._watch == WORD or not piece.isspace()):
                out = self._out = []
                self._at = self._total
                self._look()
                return out
            return []
        self._partial.append(piece)
        text = "".join(self._partial)
        out = self._out = []
        base = self._total - len(text) + 1
        start = 0
        j = text.find("\n")
        while j >= 0:
            at = self._at = base + j
            self._line(text[start : j + 1])
            if len(self._lines) >= self._ck_next:
                self._checkpoint(at)
            start = j + 1
            j = text.find("\n", start)
        rest = text[start:]
        self._partial = [rest] if rest else []
        self._small = 0
        self._watch = BLANK if self._kind == COMPOUND and self._lex.at_start() else OFF
        if rest and self._watch:
            self._at = self._total
            self._look()
        return out

    def finish(self) -> list[Chunk]:
        """End of stream: release everything still pending (the last statement, trailing comments)."""
        out = self._out = self._queued
        self._queued = []
        self._at = self._total
        text = "".join(self._partial)
        self._partial = []
        self._small = 0
        if text:
            self._line(text)
        if self._n_stmt:
            self._emit(self._n_stmt, KIND_NAME[self._kind])
        if self._lines:
            self._emit(len(self._lines), "comment")
        self._lex.reset()
        self._kind = NONE
        self._watch = OFF
        self._operand = False
        return out

    # -- internals -----------------------------------------------------------------------------

    def _emit(self, n: int, kind: ChunkKind) -> None:
        """Release the first `n` pending lines as one chunk."""
        lines = self._lines
        code = "".join(lines[:n]) if n < len(lines) else "".join(lines)
        ipy: tuple[int, ...] = ()
        end = self._line_no + n
        all_ipy = self._ipy
        if all_ipy:
            ipy = tuple(x for x in all_ipy if x < end)
            self._ipy = [x for x in all_ipy if x >= end]
        chunk = Chunk(code, self._line_no, self._offset, kind, ipy)
        if self._ck_end:  # keep its checkpoints, with the state they refer to
            if n < len(lines):
                self._stash = (chunk, lines[:], all_ipy, self._ck_end, self._ck)
                del lines[:n]
            else:
                self._stash = (chunk, lines, all_ipy, self._ck_end, self._ck)
                lines = self._lines = []
            if not all_ipy:
                self._ipy = []
            self._ck_end = []
            self._ck = []
        else:
            del lines[:n]
        self._out.append(chunk)
        self._released.append(chunk)
        self._decided.append(self._at)
        self._line_no = end
        self._offset += len(code)
        self._n_stmt = 0
        self._kind = NONE
        self._ck_next = len(lines) + CHECKPOINT

    def _compact(self) -> None:
        """Join the last pieces of a long partial line into one, so it costs its characters, not
        ~50 bytes per piece (each piece is joined once: linear)."""
        partial = self._partial
        partial[-COMPACT:] = ["".join(partial[-COMPACT:])]
        self._small = 0

    def _look(self) -> None:
        """A compound statement waits: does the partial line's start already decide it?"""
        partial = self._partial
        text = partial[0] if len(partial) == 1 else "".join(partial)
        self._partial = [text]
        self._small = 0
        c = text[0]
        if c == " " or c == "\t":  # the usual case: an indented line, unless a form feed follows
            rest = text.lstrip(" \t")
            if rest and rest[0] != "\f":
                self._watch = OFF
                return
        m = START.match(text)
        assert m is not None  # the pattern matches the empty string
        ws, word = m.groups()
        if ws and ws[-1] != "\f":  # indented: a body line, blank or comment: no release
            if len(ws) < len(text):
                self._watch = OFF
            return
        p = m.end()
        if p == len(text):  # the first word may still grow
            if word:
                if any(k.startswith(word) for k in self._clauses):
                    self._watch = WORD
                else:
                    self._watch = OFF
                    self._emit(self._n_stmt, "compound")
            return
        self._watch = OFF
        if word:
            if word not in self._clauses:
                self._emit(self._n_stmt, "compound")
        elif text[p] not in "#\r\\":  # a comment line (or CR, backslash) is decided at its newline
            self._emit(self._n_stmt, "compound")

    def _line(self, line: str) -> None:
        """One complete physical line (ends in "\\n" unless it is the stream's last)."""
        lex = self._lex
        if self._kind == IPY and self._shell:  # shell text is not lexed: only a backslash joins
            self._lines.append(line)
            self._n_stmt = len(self._lines)
            lex.bs = line.endswith(("\\\n", "\\\r\n"))
            if not lex.bs:
                self._emit(self._n_stmt, "ipython")
            return
        if not lex.at_start():
            if not lex.bs and lex.in_code() and self._cannot_continue(line):
                # No continuation makes this valid: give up the open bracket (see docstring).
                lex.reset()
                if self._kind == SIMPLE or self._kind == IPY:
                    self._emit(len(self._lines), KIND_NAME[self._kind])
            else:
                self._lines.append(line)
                self._n_stmt = len(self._lines)
                cpos = self._scan(line, 0)
                if lex.at_start():
                    if self._kind == SIMPLE:
                        self._end_simple(line, cpos)
                    elif self._kind == IPY:
                        self._emit(self._n_stmt, "ipython")
                return
        self._logical_start(line)

    def _cannot_continue(self, line: str) -> bool:
        """Inside brackets: does this line make the open logical line an error whatever follows?"""
        if RECOVER.match(line) is not None:
            return True
        if not self._operand:
            return False
        m = NAME_START.match(line)
        return m is not None and m.group(1) not in KEYWORDS

    def _scan(self, line: str, pos: int) -> int:
        """Lex the line (returns where its comment starts); while the logical line goes on, note
        whether its code ends with an operand."""
        lex = self._lex
        cpos = lex.scan(line, pos)
        if lex.stack or lex.bs or not lex.depth:  # only inside brackets, outside any string
            self._operand = False
            return cpos
        code = line[pos:cpos].rstrip()
        if code:  # a blank or comment line inside brackets decides nothing
            last = code[-1]
            if last in "\"')]}":
                self._operand = True
            elif last.isalnum() or last == "_":
                # the last word, if it is short enough to be a keyword (none is longer than 8)
                m = LAST_WORD.search(code, max(0, len(code) - 9))
                word = m.group() if m is not None else ""
                self._operand = word not in KEYWORDS or word in CONSTANTS
            else:
                self._operand = False
        return cpos

    def _logical_start(self, line: str) -> None:
        m = START.match(line)
        assert m is not None
        ws, word = m.groups()
        p = m.end()
        if not word:
            c = line[p : p + 1]
            # A blank or comment line; a lone backslash joins nothing to the next line (CPython
            # takes the indentation from there), so it counts as blank too.
            if c == "#" or c == "\n" or not line[p:].strip() or line[p:] in ("\\\n", "\\\r\n"):
                self._lines.append(line)
                return
        indented = bool(ws) and ws[-1] != "\f"
        kind = self._kind
        if kind == COMPOUND:
            if indented or word in self._clauses:
                if not indented:
                    self._clauses = AFTER.get((self._head, word), EMPTY)
                self._body_line(line, word, p)
                return
            self._emit(self._n_stmt, "compound")
        elif kind == DECOR:
            if not indented and (word in ("def", "class", "async") or line.startswith("@", p)):
                if word:
                    self._kind = COMPOUND
                    self._head = word
                    self._clauses = EMPTY
                self._body_line(line, word, p)
                return
            self._emit(self._n_stmt, "compound")  # a decorator without its def: released alone
        # A new statement.
        if is_ipython(line, word, p):
            self._ipy.append(self._line_no + len(self._lines))
            self._lines.append(line)
            self._n_stmt = len(self._lines)
            # As IPython reads it: a backslash joins the next line to any IPython line. A line
            # magic's argument is code, so an open bracket also continues the statement: the cell's
            # error for it (the magic takes one line, the rest fails to compile) then comes from
            # the whole statement, before anything runs, not from the magic given half an argument.
            self._shell = ipython_escape(line, word, p) == "!"
            if self._shell:
                self._lex.bs = line.endswith(("\\\n", "\\\r\n"))
            else:
                self._scan(line, p)
            if self._lex.at_start():
                self._emit(self._n_stmt, "ipython")
            else:
                self._kind = IPY
            return
        self._lines.append(line)
        self._n_stmt = len(self._lines)
        if not word and line.startswith("@", p):
            self._kind = DECOR
            self._scan(line, p)
            return
        clauses = CLAUSES.get(word)
        if clauses is not None:
            self._kind = COMPOUND
            if word == "async" and ASYNC_FOR.match(line, p):
                word, clauses = "for", LOOP
            self._head = word
            self._clauses = clauses
            self._scan(line, p)
            return
        self._kind = SIMPLE
        cpos = self._scan(line, p)
        if self._lex.at_start():
            self._end_simple(line, cpos)

    def _body_line(self, line: str, word: str, p: int) -> None:
        """A line of the pending compound statement (header, body or clause)."""
        if is_ipython(line, word, p):
            self._ipy.append(self._line_no + len(self._lines))
            self._lines.append(line)
            self._n_stmt = len(self._lines)
            return
        self._lines.append(line)
        self._n_stmt = len(self._lines)
        self._scan(line, p)

    def _end_simple(self, line: str, cpos: int) -> None:
        """The logical line of a non-keyword statement ended: release it, unless it opens a block."""
        code = line if cpos == len(line) else line[:cpos]
        if code.rstrip().endswith(":"):  # `match x:`, or a broken header such as `iff x:`
            self._kind = COMPOUND
            self._head = ""
            self._clauses = EMPTY
        else:
            self._emit(self._n_stmt, "simple")
