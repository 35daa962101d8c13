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
when only their lookahead is withdrawn: `el` may still become `else`). The chunker goes
back to a state it saved and re-feeds the kept text from there up to `k`:
- inside the pending text, it restores a checkpoint: the state after every 8th complete pending
  line (`CHECKPOINT`) since the last release (pending line count, statement kind, head word,
  clauses, IPython lines, the lexer's depth, backslash join and open string frames: a tuple whose
  size is the nesting depth), taken by `feed` at that line's newline and dropped when lines are
  released. So a rewind into a long pending statement (a `def` whose end is not known yet, a long
  bracketed literal) re-feeds fewer than 8 lines plus the part of the line before `k`, whatever the
  statement's size; a rewind inside the partial line (after the last newline) costs only that
  line's start.
  Feeding pays one comparison per line and one small tuple per 8 pending lines (about 4% on
  typing.py streamed in 4-character pieces);
- when only the last released chunk is withdrawn and it was released with checkpoints (8 lines or
  more), its checkpoints and lines were kept at its release: it becomes pending again from its last
  checkpoint before `k`, again fewer than 8 lines re-fed (plus the comment lines after it, if `k`
  is past them). This is the usual case of a compound statement whose lookahead is withdrawn:
  `el` after a released 10k-line `if` may still become `else`;
- otherwise, into released chunks, it restarts at the first withdrawn chunk (a chunk boundary holds
  no state but its position: the lexer is at a logical line start and nothing is pending) and
  re-feeds the kept text from there: linear in the kept part of that chunk, never in the whole
  program (a rewind that withdraws a long statement and a later one re-lexes the long one).
`python -m eager_jupyter.bench.linear_cost --revisions` prints the cost by statement size (3
characters withdrawn and written again: about 0.005 ms in a pending `def` of 1k to 100k lines).
Chunks the kept text completes again come out of the next `feed`.

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
revision histories against a fresh chunking of the final text (a sample of the stdlib);
`tests/test_other_pythons.py` repeats it on 3.12 and 3.13; `python -m
eager_jupyter.bench.chunker_speed` prints the speed figures (typing.py vs one parso parse).

Modules: ``chunker.py`` (``Chunker``), ``rewind.py`` (its ``rewind`` and checkpoints), ``chunk.py``
(``Chunk``), ``grammar.py`` (its tables), ``lexer.py`` (the line lexer).
"""

from __future__ import annotations

from .chunk import Chunk
from .chunker import Chunker

__all__ = ["Chunk", "Chunker"]
