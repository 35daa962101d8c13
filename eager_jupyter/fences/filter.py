"""Markdown fence filter: picks the Python block out of a model's streamed reply, incrementally.

A model asked for code answers in markdown: maybe a sentence, a ```` ```python ```` block, maybe a note
after it. Only the code inside the block may run; everything else is prose to show. This stage sits
between a ``kind == "markdown"`` source and the chunker::

    f = FenceFilter()
    for piece in source.stream():
        for kind, text in f.feed(piece):      # kind is "code" or "prose"
            ...
    for kind, text in f.finish():
        ...

Pure: no I/O, no threads, no IPython; ``feed`` returns at once.

What counts as the Python block (CommonMark fenced code blocks):
- An opening fence is a line of at least three backticks or tildes, indented by at most 3 spaces,
  followed by an info string (a backtick fence's info string may not contain a backtick). Its first
  word names the language: ``python``, ``py``, ``python3``, ``ipython``, ``ipython3``, ``pycon`` is
  *not* Python (a REPL transcript) and no word at all *is* (a bare ```` ``` ```` block is taken as
  code, because that is how models write unlabelled code).
- It closes at a line of the same character, at least as long, indented at most 3 spaces, with only
  whitespace after it, unless that line starts inside a string literal of the code (a ```` ``` ```` line
  in a triple-quoted string is code: the chunker's ``Lexer`` follows the emitted code line by line).
  So an unterminated triple-quoted string keeps the block open to the end (CommonMark would close it;
  the code would not compile either way). A block never closed runs to the end of the reply.
- Content lines lose up to as many leading spaces as the opening fence was indented (so a block
  indented inside a list item still gives top-level Python).
- Only the **first** Python block is code. Fences in other languages before it (```` ```bash ````)
  are prose, and a Python fence inside them is not an opening fence. After the Python block closes,
  the rest of the reply is prose (``code_ended`` turns True so an engine may stop generating).
- The fence lines themselves are emitted as **prose**, so nothing is lost: without indented fences,
  ``"".join(text for _, text in segments) == reply`` always holds.

An unfenced reply (no fence before the first significant line) is code only if it looks like code.
The decision is taken once, at the end of the first line that is neither blank nor a ``#`` comment
(comment lines are ambiguous: a markdown heading or a Python comment, so they are held with the
blank lines and follow the decision). That line is code when (``looks_like_python``):
- it is an IPython line magic (``%matplotlib inline``), or
- it parses as a complete statement that is not something prose also parses as: a lone name
  (``Sure``), a unary/binary expression over names (``- item``), an annotation without a value
  (``Note: important``), or
- it is an incomplete beginning of a statement that starts like code: a compound-statement keyword
  or decorator (``for row in rows:``), or an ``=`` or ``.`` before the first bracket
  (``df = pd.DataFrame({``).
Trade-offs: a reply whose first line is code and which later turns into prose runs that prose as
code (the chunker reports it as a syntax error and nothing runs past it); prose whose first line
happens to look like a statement (``with pleasure:``) is taken as code. Models asked for one fenced
block (our system prompt does) almost never hit either case; the rule costs one ``ast.parse`` of
one line.

Incrementality (the point of the stage): text is emitted as soon as its kind is certain.
- Prose streams through character by character, except a line that could still become an opening
  fence (up to 3 spaces then only backticks or tildes so far, or a fence whose info string is not
  complete yet), which is held until its newline.
- Code streams through character by character, except a line that could still be the closing fence
  (up to 3 spaces then only fence characters, then only whitespace), which is held until a
  character decides it (```` ``x ```` is code at once) or its newline arrives.
- Before the reply's kind is decided, the first significant line (and any blank or comment lines
  before it) is held until its newline.

Cost: linear in the reply whatever its shape. Each line's fence shape (``LineShape``) is updated from
the new piece only, held text is kept as a list of pieces and joined once, and merged segments are
joined once per ``feed``; ``tests/test_fences.py`` feeds one huge line in 3-character pieces, and
``python -m eager_jupyter.bench.linear_cost`` prints the cost per KB.

Revisions (issue 18): ``rewind(k)`` withdraws the reply from offset ``k`` on. The filter keeps the
reply, what it emitted, and its small state at every line start (fence, lexer string state, held
lines); it restores the state at the start of ``k``'s line, so a revision before a closing fence
reopens the block, re-feeds the kept part of the line, and reports a ``Withdrawal``: code taken back
from a code offset on (what the chunker rewinds to), prose from a prose offset on, and the new
segments. Text re-emitted identically is not taken back, so a revision inside a line withdraws the
code from the revised character on, not from the line start. Cost: the kept part of the line, plus
one join of the reply so far.

To validate a change: ``tests/test_fences.py`` checks each rule on whole texts, and an oracle feeds
every text cut at random places and requires the same segments (merged) as one ``feed`` of the whole
text, plus the join-equals-input invariant, plus "no code character is emitted later than needed"; and
random revision histories, where after every rewind the consumer's code and prose must equal a fresh
filter's for the revised reply.
"""

from __future__ import annotations

import bisect
from enum import Enum
from typing import Any, NamedTuple

from ..chunker.lexer import Lexer
from .lines import (
    LINE_PIECES,
    PYTHON_LANGUAGES,
    LineShape,
    Pieces,
    Segment,
    SegmentKind,
    Withdrawal,
    common_prefix,
    copy_frame,
    fence_opening,
    is_comment,
    looks_like_python,
    truncated,
)

__all__ = ["FenceFilter", "Segment", "SegmentKind", "Withdrawal", "looks_like_python", "split_reply"]

class _State(Enum):
    START = "start"  # nothing significant seen yet: fenced markdown or bare code?
    PROSE = "prose"  # markdown outside any fence, before the Python block
    OTHER = "other"  # inside a fence in another language (prose)
    CODE = "code"  # inside the Python block
    AFTER = "after"  # the Python block closed: the rest is prose
    BARE = "bare"  # an unfenced reply that looks like code: all of it is code


class _Mark(NamedTuple):
    """The filter's state at a line start, for `rewind`."""

    code: int  # code characters emitted before it
    prose: int
    state: _State
    fence_char: str
    fence_len: int
    fence_indent: int
    depth: int  # the lexer's (CODE)
    bs: bool
    frames: tuple[Any, ...]
    held: tuple[str, ...]


class FenceFilter:
    """Incremental filter: ``feed(text) -> list[Segment]``, then ``finish() -> list[Segment]``.

    Adjacent segments of one kind within one call are merged; empty segments are never returned.
    """

    def __init__(self) -> None:
        self._state = _State.START
        self._parts = Pieces()  # the current line's text not emitted yet
        self._shape = LineShape()  # the current line's start, for fence decisions
        self._sent = False  # part of the current line was emitted: it is not a fence line
        self._held: list[str] = []  # START: complete blank/comment lines waiting for the decision
        self._fence_char = "`"
        self._fence_len = 3
        self._fence_indent = 0
        self._finished = False
        self._out: list[tuple[SegmentKind, list[str]]] = []
        self._lex = Lexer()  # CODE: string state at the start of the current line
        self._code = Pieces()  # CODE: the current line as emitted, for the lexer
        # For rewind: the whole input and output, and the state at every line start.
        self._fed = 0
        self._input = Pieces()
        self._sent_code = Pieces()
        self._sent_prose = Pieces()
        self._lengths = [0, 0]  # characters emitted: code, prose
        self._mark_at: list[int] = [0]  # input offset of each line start
        self._marks: list[_Mark] = [self._mark()]

    @property
    def code_ended(self) -> bool:
        """True once the Python block has closed: nothing more of this reply can be code."""
        return self._state is _State.AFTER

    @property
    def pending(self) -> str:
        """Text fed but not emitted yet (held while its kind is undecided)."""
        return "".join(self._held) + self._parts.text()

    def feed(self, text: str) -> list[Segment]:
        if self._finished:
            raise RuntimeError("FenceFilter.feed() after finish()")
        state = self._state
        if self._sent and "\n" not in text and state is not _State.OTHER:
            # the usual piece: more of a line already decided (OTHER still watches for its close)
            if not text:
                return []
            self._fed += len(text)
            self._input.add(text)
            if state is _State.CODE:
                self._code.add(text)
            kind: SegmentKind = "code" if state in (_State.CODE, _State.BARE) else "prose"
            self._record(kind, text)
            return [Segment(kind, text)]
        for piece in LINE_PIECES.findall(text):
            self._fed += len(piece)
            self._input.add(piece)
            self._parts.add(piece)
            if piece.endswith("\n"):
                self._shape.add(piece[:-1])
                self._end_line()
            else:
                self._shape.add(piece)
                self._advance()
        return self._take()

    def finish(self) -> list[Segment]:
        if not self._finished:
            self._finished = True
            if self._parts.parts or self._held:
                self._end_line()
            if self._state is _State.START:
                self._release_held("prose")  # only blank or comment lines: nothing to run
        return self._take()

    def rewind(self, k: int) -> Withdrawal:
        """Withdraw the reply from offset `k` on (a revision); the reply goes on at `k`.

        Restores the state at the start of `k`'s line (a closed Python block reopens if `k` is
        before its closing fence), re-feeds the kept part of that line, and reports what the caller
        must take back: code from `Withdrawal.code` on, prose from `Withdrawal.prose` on (only what
        actually changed: text re-emitted identically is not withdrawn), then the new segments.
        """
        if self._finished:
            raise RuntimeError("FenceFilter.rewind() after finish()")
        if not 0 <= k <= self._fed:
            raise ValueError(f"rewind to {k}: only {self._fed} characters were fed")
        i = bisect.bisect_right(self._mark_at, k) - 1
        start = self._mark_at[i]
        code_len, prose_len = self._lengths
        mark = self._marks[i]
        kept = self._input.text()[start:k]
        old_code = self._sent_code.text()[mark.code :]
        old_prose = self._sent_prose.text()[mark.prose :]
        del self._mark_at[i + 1 :], self._marks[i + 1 :]
        self._restore(mark, start)
        segments = self.feed(kept)
        new_code = "".join(s.text for s in segments if s.kind == "code")
        new_prose = "".join(s.text for s in segments if s.kind == "prose")
        same = [common_prefix(old_code, new_code), common_prefix(old_prose, new_prose)]
        code_from = self._lengths[0] - len(new_code) + same[0]
        prose_from = self._lengths[1] - len(new_prose) + same[1]
        out: list[Segment] = []
        for segment in segments:  # drop what is re-emitted identically
            n = 0 if segment.kind == "code" else 1
            skip = min(same[n], len(segment.text))
            same[n] -= skip
            if skip < len(segment.text):
                out.append(Segment(segment.kind, segment.text[skip:]))
        assert code_from <= code_len and prose_from <= prose_len
        return Withdrawal(code_from, prose_from, out)

    # -- internals ---------------------------------------------------------------------------

    def _mark(self) -> _Mark:
        """The state at a line start (what `rewind` restores)."""
        lex = self._lex
        frames = tuple(copy_frame(f) for f in lex.stack) if lex.stack else ()
        return _Mark(self._lengths[0], self._lengths[1], self._state, self._fence_char, self._fence_len,
                     self._fence_indent, lex.depth, lex.bs, frames, tuple(self._held))

    def _restore(self, mark: _Mark, start: int) -> None:
        code_len, prose_len, state, char, length, indent, depth, bs, frames, held = mark
        self._state, self._fence_char, self._fence_len, self._fence_indent = state, char, length, indent
        self._lex = Lexer()
        self._lex.depth, self._lex.bs = depth, bs
        self._lex.stack = [copy_frame(f) for f in frames]
        self._held = list(held)
        self._parts, self._shape, self._sent, self._code = Pieces(), LineShape(), False, Pieces()
        self._out = []
        self._fed = start
        self._input = truncated(self._input, start)
        self._sent_code = truncated(self._sent_code, code_len)
        self._sent_prose = truncated(self._sent_prose, prose_len)
        self._lengths = [code_len, prose_len]

    def _record(self, kind: SegmentKind, text: str) -> None:
        if kind == "code":
            self._sent_code.add(text)
            self._lengths[0] += len(text)
        else:
            self._sent_prose.add(text)
            self._lengths[1] += len(text)

    def _emit(self, kind: SegmentKind, text: str) -> None:
        if not text:
            return
        self._record(kind, text)
        if self._out and self._out[-1][0] == kind:
            self._out[-1][1].append(text)  # joined once, in _take: merging here was quadratic
        else:
            self._out.append((kind, [text]))

    def _take(self) -> list[Segment]:
        out, self._out = self._out, []
        return [Segment(kind, "".join(texts)) for kind, texts in out]

    def _line_text(self) -> str:
        """The unsent text of the current line, as one string."""
        return self._parts.text()

    def _send_rest(self, kind: SegmentKind) -> None:
        self._emit(kind, self._parts.take())
        self._sent = True

    def _send_code(self) -> None:
        """Emit the unsent part of the current code line, minus the fence's indentation."""
        if not self._sent and self._fence_indent:
            text = self._line_text()
            spaces = len(text) - len(text.lstrip(" "))
            self._parts.take()
            self._parts.add(text[min(spaces, self._fence_indent) :])
        self._code.add(self._parts.text())
        self._send_rest("code")

    def _release_held(self, kind: SegmentKind) -> None:
        for line in self._held:
            self._emit(kind, line)
        self._held = []

    def _advance(self) -> None:
        """The current line grew but has not ended: emit what is already certain."""
        state = self._state
        if state in (_State.OTHER, _State.AFTER):
            self._send_rest("prose")
        elif state is _State.BARE:
            self._send_rest("code")
        elif state is _State.PROSE and (self._sent or not self._shape.may_open()):
            self._send_rest("prose")
        elif state is _State.CODE and (
            self._sent or self._lex.stack or not self._shape.may_close(self._fence_char, self._fence_len)
        ):
            self._send_code()
        # otherwise hold: START holds the whole first line, PROSE/CODE a line that may be a fence

    def _end_line(self) -> None:
        """The current line is complete (or the reply ended): classify it and move on."""
        state = self._state
        if state is _State.START:
            self._start_line(self._line_text())
        elif state is _State.PROSE:
            opening = None if self._sent else fence_opening(self._line_text())
            self._send_rest("prose")
            if opening is not None:
                self._open(opening)
        elif state is _State.OTHER:
            self._send_rest("prose")
            if self._shape.closes(self._fence_char, self._fence_len):
                self._state = _State.PROSE
        elif state is _State.CODE:
            if (
                not self._sent
                and not self._lex.stack
                and self._shape.closes(self._fence_char, self._fence_len)
            ):
                self._send_rest("prose")
                self._state = _State.AFTER
            else:
                self._send_code()
                line = self._code.take()
                self._lex.scan(line, 0)
        elif state is _State.BARE:
            self._send_rest("code")
        else:
            self._send_rest("prose")
        self._parts.take()
        self._sent, self._shape = False, LineShape()
        self._mark_at.append(self._fed)
        self._marks.append(self._mark())

    def _start_line(self, line: str) -> None:
        opening = fence_opening(line)
        if opening is not None:
            self._release_held("prose")
            self._send_rest("prose")
            self._open(opening)
        elif not line.strip() or is_comment(line):
            self._held.append(line)
            self._parts.take()
        elif looks_like_python(line):
            self._release_held("code")
            self._send_rest("code")
            self._state = _State.BARE
        else:
            self._release_held("prose")
            self._send_rest("prose")
            self._state = _State.PROSE

    def _open(self, opening: tuple[int, str, int, str]) -> None:
        indent, char, length, language = opening
        self._fence_indent, self._fence_char, self._fence_len = indent, char, length
        self._state = _State.CODE if language in PYTHON_LANGUAGES else _State.OTHER


def split_reply(text: str) -> list[Segment]:
    """The whole-text version: ``FenceFilter`` fed ``text`` at once, then finished."""
    f = FenceFilter()
    segments = f.feed(text) + f.finish()
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].kind == segment.kind:
            merged[-1] = Segment(segment.kind, merged[-1].text + segment.text)
        else:
            merged.append(segment)
    return merged
