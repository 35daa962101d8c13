"""Streaming chunker: cut a stream of Python source into top-level statements, as early as certain.

    chunker = Chunker()
    released = chunker.feed(piece)   # piece: any str, 1 char .. many lines
    released += chunker.finish()     # end of stream: everything still pending

Each `Chunk` holds one top-level statement (`a; b` on one logical line stays together; a decorated
def/class is one statement) with the blank and comment lines before it; a last chunk may hold only
comments.
The chunks' `code` concatenate to exactly what was fed.

When a chunk is released (one token of lookahead, as in the Eager paper):
- a simple statement (and an IPython line: `%time x`, `!ls`, `files = !ls`) by the `feed` that
  delivers the newline ending its logical line;
- a compound statement by the `feed` that delivers enough of the first token of the next top-level
  line to know it is not a clause that continues the statement: `else`/`elif` after an `if`, `else`
  after `for`/`while`, `except`/`else`/`finally` after a `try`, tracking which clauses can still come
  (after `else:` an `if` takes nothing more, so an `e` releases it). `p` releases at once, `e` and
  `el` wait, `else:` continues, `elsewhere` releases. A `def`, `class`, `with` or `match` is released
  by any first character. A column-0 comment line decides nothing: the next real line does, and the
  comment goes with that next statement. Decorators wait for their def/class;
- the last statement by `finish()`.

Algorithm (linear, no re-parsing):
- `feed` appends the piece to the current partial line; a piece without "\\n" costs an append,
  except while a compound statement waits for its lookahead at the start of a line (then the few
  characters of the partial line are looked at, until the line is known to be indented, a comment, a
  clause, or a new statement).
- Every complete physical line is handled once: `_scan.Lexer` tracks bracket depth, open strings and
  f-strings and backslash joins with a few regex calls per line, so the chunker knows whether the
  logical line goes on. At the start of a logical line the indentation (a form feed resets it, as in
  CPython) and the first word decide: a body line, a clause, or a new top-level statement (whose kind
  comes from its first word: `if for while try with def class async @`, or, for `match` and
  anything else, a logical line ending in `:`). Lines inside brackets or strings are never looked at
  for statements or IPython syntax.
- Pending complete lines are kept as a list and joined once, at release. The pieces of a partial line
  are joined 256 at a time, so one huge line in tiny pieces holds its characters, not a string
  object per piece.

Why not parso or compile: parso 0.8.7 misreads `match`, PEP 695 and PEP 701 f-strings, and one
parse of `typing.py` costs about 8x this whole chunker streaming it; `compile` on every newline is
quadratic. So neither is used: only the lexical structure is needed to find statement ends.
The lexer follows the running interpreter's f-string rules (PEP 701 from 3.12), like `compile`.
`Chunk.syntax_error` compiles one statement, lazily, on first access (~12 ms summed over typing.py,
which the executor pays anyway).

Revisions (`rewind(k)`: withdraw everything fed from offset `k` on, for streams whose model may go
back and edit): every released chunk remembers the offset up to which text had been read when its
release was decided (the end of the deciding line, or of the partial line for a lookahead). The
chunks decided by text past `k` are withdrawn (always the last ones; they may lie wholly before `k`
when only their lookahead is withdrawn: `el` may still become `else`). The state at a chunk boundary
is only its position (lexer at a logical line start, nothing pending), so the chunker restarts at
the first withdrawn chunk, or at the pending text's start, and re-feeds the kept text up to `k`:
the cost is the kept part of the reopened statement, never the whole program; a rewind inside the
partial line costs only that line's start. Chunks the kept text completes again come out of the
next `feed`.

Syntax errors never hold the rest back:
- an unterminated single-quoted string or f-string ends its logical line at the newline (where
  CPython reports it);
- an unclosed bracket is given up at a line that no continuation could make valid: one whose first
  word is a keyword that cannot occur inside an expression (`def class import return pass while with
  try except finally raise del global nonlocal assert break continue elif`, or `from x import`), or
  one that starts with a name (not a keyword, not a string prefix) right after a line whose code
  ended with an operand (a name or number that is not a keyword, `True`/`False`/`None`, a string's
  closing quote, a closing bracket): two operands side by side are an error wherever they stand,
  as in `df = load("a.csv"` then `print(df)`. At column 0 that line starts a new statement (the
  broken one is released), indented it continues the enclosing block. What stays held until such a
  line or `finish()`: an unclosed bracket followed by lines that could still belong inside it (a line
  ending in `,` or an operator, then `y = 1`, is a keyword argument as far as anyone can know);
- an unexpected indented line with nothing to continue is its own (failing) statement;
- a decorator followed by anything but a def, class or decorator is released alone;
- an unterminated triple-quoted string holds everything to the end, as it must: it is valid text.

Backslashes: a line holding only a backslash joins nothing (CPython takes the indentation from the
next line), so it counts as blank. A backslash followed by a blank or comment line ends the logical
line there; that line stays in the chunk, since without it the chunk would not compile alone.

IPython lines end as IPython reads them: a line ending in a backslash joins the next one (any IPython
line); a line magic's argument is code, so an open bracket continues the statement until it closes
(or is given up, as above). The magic still takes one line, so a cell fails to compile there
(IndentationError on the next line) and so does this statement, before anything runs, instead of
the magic running with half its argument. Shell lines (`!cmd`) are not lexed: only a backslash
joins.

Known limits: a lone "\\r" (old Mac line ending) is not a line break here, while `compile` takes it as
one.

Validating a change: `pytest tests/test_chunker.py` runs the oracle (random piece sizes and 1-char
feeds over `tests/chunker_corpus/` and a stdlib sample: round trip, statements == `ast.parse(...)
.body` grouped per line, each chunk compiles alone, release timing against an independent `ast`
based oracle, released + pending == fed after every feed); `tests/test_chunker_rewind.py` runs random
revision histories against a fresh chunking of the final text; `-m slow` runs it over the whole stdlib;
`tests/test_other_pythons.py` repeats it on 3.12 and 3.13; `python -m
eager_jupyter.bench.chunker_speed` prints the speed figures (typing.py vs one parso parse).
"""

from __future__ import annotations

import bisect
import keyword
import re

from .chunk import Chunk, ChunkKind
from .lexer import Lexer

__all__ = ["Chunk", "ChunkKind", "Chunker"]

# Statement kinds while pending.
_NONE = 0  # nothing but blank/comment lines
_SIMPLE = 1  # a logical line still open (brackets, strings, backslash)
_COMPOUND = 2  # a block statement: waits for a column-0 line that is not one of its clauses
_DECOR = 3  # decorators waiting for their def/class
_IPY = 4  # an IPython line continued: a line magic's open bracket, or a backslash

# Lookahead states of the partial line while a compound statement waits.
_OFF = 0  # not waiting, or already decided for this line
_BLANK = 1  # nothing but whitespace seen yet
_WORD = 2  # a first word that may still become a clause keyword

_COMPACT = 256  # pieces of a partial line joined into one at a time

_EMPTY: frozenset[str] = frozenset()
_IF = frozenset({"elif", "else"})
_LOOP = frozenset({"else"})
_TRY = frozenset({"except", "else", "finally"})
# Clauses that can follow the first line of a compound statement, by its first word.
_CLAUSES = {"if": _IF, "for": _LOOP, "while": _LOOP, "try": _TRY, "with": _EMPTY, "def": _EMPTY,
            "class": _EMPTY, "async": _EMPTY}
# Clauses that can still follow after (statement, clause just seen).
_AFTER = {("if", "elif"): _IF, ("try", "except"): _TRY, ("try", "else"): frozenset({"finally"})}

_START = re.compile(r"([ \t\f]*)(\w*)")
_ASYNC_FOR = re.compile(r"[ \t\f]+for\b")
_IPY_ASSIGN = re.compile(r"[ \t\f]*[\w.]+(?:[ \t]*,[ \t]*[\w.]+)*[ \t]*=[ \t]*[!%]")
_RECOVER = re.compile(
    r"[ \t\f]*(?:(?:def|class|import|return|pass|while|with|try|except|finally|raise|del|global"
    r"|nonlocal|assert|break|continue|elif)\b|from[ \t\f]+[\w.]+[ \t\f]+import\b)"
)
_LAST_WORD = re.compile(r"\w+\Z")
# A physical line that starts with a name: not followed by a quote (a string prefix, `rb"..."`).
_NAME_START = re.compile(r"[ \t\f]*([^\W\d]\w*)(?![\w'\"])")
_KEYWORDS = frozenset(keyword.kwlist)
_CONSTANTS = frozenset({"True", "False", "None"})
_KIND_NAME: dict[int, ChunkKind] = {
    _NONE: "comment", _SIMPLE: "simple", _COMPOUND: "compound", _DECOR: "compound", _IPY: "ipython"
}


class Chunker:
    """Incremental statement detector: `feed(piece) -> list[Chunk]`, `finish() -> list[Chunk]`.

    Pure: no I/O, no threads, no IPython. `pending` is the text fed but not released yet.
    """

    __slots__ = ("_at", "_clauses", "_decided", "_head", "_ipy", "_kind", "_lex", "_line_no", "_lines",
                 "_n_stmt", "_offset", "_operand", "_out", "_partial", "_queued", "_released", "_shell",
                 "_small", "_total", "_watch")

    def __init__(self) -> None:
        self._total = 0  # characters fed so far
        self._at = 0  # the stream offset up to which the text deciding the next release was read
        self._released: list[Chunk] = []  # every chunk released, in order (rewind re-feeds them)
        self._decided: list[int] = []  # for each: `_at` when it was released
        self._queued: list[Chunk] = []  # released while rewinding: returned by the next feed/finish
        self._reset(0, 1)

    def _reset(self, offset: int, line_no: int) -> None:
        """The state at a chunk boundary: nothing pending, the stream goes on at `offset`."""
        self._partial: list[str] = []  # pieces of the current, incomplete line
        self._small = 0  # how many of them were appended since the last compaction
        self._lines: list[str] = []  # complete pending lines
        self._n_stmt = 0  # how many of them the current statement spans (the rest: comments after it)
        self._offset = offset  # stream offset of _lines[0]
        self._line_no = line_no  # stream line of _lines[0]
        self._kind = _NONE
        self._head = ""  # first word of the pending compound statement ("for" for "async for")
        self._clauses = _EMPTY  # clause keywords that may still continue it
        self._ipy: list[int] = []  # stream lines with IPython syntax in the pending text
        self._shell = False  # _IPY: a shell line (`!cmd`), continued by backslashes only
        self._lex = Lexer()
        self._watch = _OFF  # a compound waits for the first token of the partial line
        self._operand = False  # inside brackets: the code so far ends with an operand
        self._out: list[Chunk] = []

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
            if self._small == _COMPACT:
                self._compact()
            # Only a non-blank character, or any after the first word began, decides a waiting
            # compound statement.
            if self._watch and piece and (self._watch == _WORD or not piece.isspace()):
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
            self._at = base + j
            self._line(text[start : j + 1])
            start = j + 1
            j = text.find("\n", start)
        rest = text[start:]
        self._partial = [rest] if rest else []
        self._small = 0
        self._watch = _BLANK if self._kind == _COMPOUND and self._lex.at_start() else _OFF
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
            self._emit(self._n_stmt, _KIND_NAME[self._kind])
        if self._lines:
            self._emit(len(self._lines), "comment")
        self._lex.reset()
        self._kind = _NONE
        self._watch = _OFF
        self._operand = False
        return out

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
                self._watch = _BLANK if self._kind == _COMPOUND and self._lex.at_start() else _OFF
                if text and self._watch:
                    self._out = self._queued
                    self._at = k
                    self._look()
                return []
            self._restart(self._offset, self._line_no, self.pending[: k - self._offset])
            return []
        first = released[i]
        text = "".join(c.code for c in released[i:]) + self.pending
        del released[i:]
        del self._decided[i:]
        del self._queued[max(0, i - seen) :]
        self._restart(first.offset, first.start_line, text[: k - first.offset])
        return list(range(i, seen))

    # -- internals -----------------------------------------------------------------------------

    def _emit(self, n: int, kind: ChunkKind) -> None:
        """Release the first `n` pending lines as one chunk."""
        lines = self._lines
        code = "".join(lines[:n]) if n < len(lines) else "".join(lines)
        del lines[:n]
        ipy: tuple[int, ...] = ()
        end = self._line_no + n
        if self._ipy:
            ipy = tuple(x for x in self._ipy if x < end)
            self._ipy = [x for x in self._ipy if x >= end]
        chunk = Chunk(code, self._line_no, self._offset, kind, ipy)
        self._out.append(chunk)
        self._released.append(chunk)
        self._decided.append(self._at)
        self._line_no = end
        self._offset += len(code)
        self._n_stmt = 0
        self._kind = _NONE

    def _restart(self, offset: int, line_no: int, kept: str) -> None:
        """Go back to the chunk boundary at `offset` and re-feed `kept`, the text from there to the
        rewind point. A boundary holds no state but its position: the lexer is at the start of a
        logical line and nothing is pending."""
        queued = self._queued
        self._queued = []
        self._reset(offset, line_no)
        self._total = offset
        queued += self.feed(kept)
        self._queued = queued

    def _compact(self) -> None:
        """Join the last pieces of a long partial line into one, so it costs its characters, not
        ~50 bytes per piece (each piece is joined once: linear)."""
        partial = self._partial
        partial[-_COMPACT:] = ["".join(partial[-_COMPACT:])]
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
                self._watch = _OFF
                return
        m = _START.match(text)
        assert m is not None  # the pattern matches the empty string
        ws, word = m.groups()
        if ws and ws[-1] != "\f":  # indented: a body line, blank or comment: no release
            if len(ws) < len(text):
                self._watch = _OFF
            return
        p = m.end()
        if p == len(text):  # the first word may still grow
            if word:
                if any(k.startswith(word) for k in self._clauses):
                    self._watch = _WORD
                else:
                    self._watch = _OFF
                    self._emit(self._n_stmt, "compound")
            return
        self._watch = _OFF
        if word:
            if word not in self._clauses:
                self._emit(self._n_stmt, "compound")
        elif text[p] not in "#\r\\":  # a comment line (or CR, backslash) is decided at its newline
            self._emit(self._n_stmt, "compound")

    def _line(self, line: str) -> None:
        """One complete physical line (ends in "\\n" unless it is the stream's last)."""
        lex = self._lex
        if self._kind == _IPY and self._shell:  # shell text is not lexed: only a backslash joins
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
                if self._kind == _SIMPLE or self._kind == _IPY:
                    self._emit(len(self._lines), _KIND_NAME[self._kind])
            else:
                self._lines.append(line)
                self._n_stmt = len(self._lines)
                cpos = self._scan(line, 0)
                if lex.at_start():
                    if self._kind == _SIMPLE:
                        self._end_simple(line, cpos)
                    elif self._kind == _IPY:
                        self._emit(self._n_stmt, "ipython")
                return
        self._logical_start(line)

    def _cannot_continue(self, line: str) -> bool:
        """Inside brackets: does this line make the open logical line an error whatever follows?"""
        if _RECOVER.match(line) is not None:
            return True
        if not self._operand:
            return False
        m = _NAME_START.match(line)
        return m is not None and m.group(1) not in _KEYWORDS

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
                m = _LAST_WORD.search(code, max(0, len(code) - 9))
                word = m.group() if m is not None else ""
                self._operand = word not in _KEYWORDS or word in _CONSTANTS
            else:
                self._operand = False
        return cpos

    def _logical_start(self, line: str) -> None:
        m = _START.match(line)
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
        if kind == _COMPOUND:
            if indented or word in self._clauses:
                if not indented:
                    self._clauses = _AFTER.get((self._head, word), _EMPTY)
                self._body_line(line, word, p)
                return
            self._emit(self._n_stmt, "compound")
        elif kind == _DECOR:
            if not indented and (word in ("def", "class", "async") or line.startswith("@", p)):
                if word:
                    self._kind = _COMPOUND
                    self._head = word
                    self._clauses = _EMPTY
                self._body_line(line, word, p)
                return
            self._emit(self._n_stmt, "compound")  # a decorator without its def: released alone
        # A new statement.
        if self._is_ipython(line, word, p):
            self._ipy.append(self._line_no + len(self._lines))
            self._lines.append(line)
            self._n_stmt = len(self._lines)
            # As IPython reads it: a backslash joins the next line to any IPython line. A line
            # magic's argument is code, so an open bracket also continues the statement: the cell's
            # error for it (the magic takes one line, the rest fails to compile) then comes from
            # the whole statement, before anything runs, not from the magic given half an argument.
            self._shell = self._escape(line, word, p) == "!"
            if self._shell:
                self._lex.bs = line.endswith(("\\\n", "\\\r\n"))
            else:
                self._scan(line, p)
            if self._lex.at_start():
                self._emit(self._n_stmt, "ipython")
            else:
                self._kind = _IPY
            return
        self._lines.append(line)
        self._n_stmt = len(self._lines)
        if not word and line.startswith("@", p):
            self._kind = _DECOR
            self._scan(line, p)
            return
        clauses = _CLAUSES.get(word)
        if clauses is not None:
            self._kind = _COMPOUND
            if word == "async" and _ASYNC_FOR.match(line, p):
                word, clauses = "for", _LOOP
            self._head = word
            self._clauses = clauses
            self._scan(line, p)
            return
        self._kind = _SIMPLE
        cpos = self._scan(line, p)
        if self._lex.at_start():
            self._end_simple(line, cpos)

    def _body_line(self, line: str, word: str, p: int) -> None:
        """A line of the pending compound statement (header, body or clause)."""
        if self._is_ipython(line, word, p):
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
            self._kind = _COMPOUND
            self._head = ""
            self._clauses = _EMPTY
        else:
            self._emit(self._n_stmt, "simple")

    @staticmethod
    def _escape(line: str, word: str, p: int) -> str:
        """The escape character of an IPython line: "%" or "!"."""
        if not word:
            return line[p]
        m = _IPY_ASSIGN.match(line)
        assert m is not None
        return line[m.end() - 1]

    @staticmethod
    def _is_ipython(line: str, word: str, p: int) -> bool:
        """`%magic`, `!cmd`, `x = !cmd`, `x = %magic` at the start of a logical line."""
        if not word:
            return line.startswith(("%", "!"), p)
        return "=" in line and ("!" in line or "%" in line) and _IPY_ASSIGN.match(line) is not None
