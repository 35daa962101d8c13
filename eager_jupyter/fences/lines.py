"""Line by line, what a model's reply is made of: whether a line opens or may still become a fence
(``opening``, ``LineShape``), whether an unfenced line looks like Python (``looks_like_python``), and
a partial line kept as pieces (``Pieces``); and the filter's output types (``Segment``,
``Withdrawal``). Pure helpers of the fence filter (``filter.py``).

To validate a change: ``tests/test_fences.py``.
"""

from __future__ import annotations

import ast
import codeop
import re
import warnings
from typing import Any, Literal, NamedTuple

__all__ = [
    "FENCE_PREFIX",
    "LINE_PIECES",
    "OPENING",
    "PYTHON_LANGUAGES",
    "LineShape",
    "Pieces",
    "Segment",
    "SegmentKind",
    "Withdrawal",
    "common_prefix",
    "copy_frame",
    "fence_opening",
    "incomplete_statement",
    "is_comment",
    "looks_like_python",
    "truncated",
]

# A line that may still turn out to be a fence: indentation, then one run of a fence character.
FENCE_PREFIX = re.compile(r" {0,3}(?:`*|~*)")
OPENING = re.compile(r"(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n?")
_COMPOUND = re.compile(r"(?:async\s+)?(?:def|class|if|for|while|with|try|match)\b|@")
_MAGIC = re.compile(r"%{1,2}[A-Za-z_]")
LINE_PIECES = re.compile(r"[^\n]*\n|[^\n]+")  # lines end at "\n" only (not str.splitlines)

SegmentKind = Literal["code", "prose"]

PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "py3", "ipython", "ipython3", ""})


class Segment(NamedTuple):
    kind: SegmentKind
    text: str


class Withdrawal(NamedTuple):
    """What `FenceFilter.rewind` took back: the code emitted from code offset `code` on and the prose
    from prose offset `prose` on (each equal to all emitted of its kind when nothing was), then
    `segments`, the kept text's output that follows them."""

    code: int
    prose: int
    segments: list[Segment]



def looks_like_python(line: str) -> bool:
    """Whether the first significant line of an unfenced reply is code (rule in the module doc)."""
    if not line.strip() or line[:1] in (" ", "\t"):
        return False
    text = line.strip()
    if _MAGIC.match(text):
        return True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes in prose, etc.
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return incomplete_statement(text)
        except (ValueError, OverflowError, RecursionError, MemoryError):
            return False
    if not tree.body:
        return False
    statement = tree.body[0]
    if isinstance(statement, ast.Expr):
        value = statement.value
        if isinstance(value, ast.Constant):
            return isinstance(value.value, str)  # a docstring
        return any(
            isinstance(node, ast.Call | ast.Attribute | ast.Subscript | ast.Await) for node in ast.walk(value)
        )
    return not (isinstance(statement, ast.AnnAssign) and statement.value is None)


def incomplete_statement(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if codeop.compile_command(text + "\n", symbol="exec") is not None:
                return False  # complete after all (and ast.parse disagreed): not a beginning
        except (SyntaxError, ValueError, OverflowError):
            return False
    if _COMPOUND.match(text):
        return True
    head = re.split(r"[(\[{]", text, maxsplit=1)[0]
    return "=" in head or "." in head


def fence_opening(line: str) -> tuple[int, str, int, str] | None:
    """``(indent, char, length, language)`` if the complete ``line`` opens a fence."""
    m = OPENING.fullmatch(line)
    if m is None:
        return None
    fence, info = m["fence"], m["info"]
    if fence[0] == "`" and "`" in info:
        return None  # CommonMark: inline code, not a fence
    words = info.strip().split()
    language = words[0].lower().strip("{}.") if words else ""
    return len(m["indent"]), fence[0], len(fence), language


class Pieces:
    """A line growing piece by piece. Every 256 pieces are joined into one, so a huge line in tiny
    pieces holds its characters, not a string object per piece; each piece is joined once."""

    __slots__ = ("parts", "small")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.small = 0  # pieces added since the last join

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        self.small += 1
        if self.small == 256:
            self.parts[-256:] = ["".join(self.parts[-256:])]
            self.small = 0

    def text(self) -> str:
        """All of it as one string (kept as one piece)."""
        parts = self.parts
        if len(parts) == 1:
            return parts[0]
        text = "".join(parts)
        self.parts, self.small = ([text] if text else []), 0
        return text

    def take(self) -> str:
        """All of it, emptied."""
        text = "".join(self.parts)
        self.parts, self.small = [], 0
        return text


class LineShape:
    """How the current line starts, as far as fences care, updated piece by piece.

    A fence line is up to 3 spaces, one run of a fence character, then either an info string (an
    opening fence) or only whitespace (a closing one). Each character of the line is looked at once,
    and after the run only the new piece is searched, so a long line costs linear time however it
    arrives (the regex over the whole line so far, on every piece, was quadratic).
    """

    __slots__ = ("after", "char", "indent", "run", "tick_free", "ws_only")

    def __init__(self) -> None:
        self.indent = 0  # leading spaces (at most 3 are indentation)
        self.char = ""  # the fence character of the run, once one started
        self.run = 0  # its length so far
        self.after = False  # something other than indentation and the run came
        self.ws_only = True  # ... and it was only [ \t\r]
        self.tick_free = True  # ... and it held no backtick

    def add(self, text: str) -> None:
        """Take more of the line (without its newline)."""
        if self.after:
            self._rest(text)
            return
        for i, c in enumerate(text):
            if not self.char:
                if c == " " and self.indent < 3:
                    self.indent += 1
                    continue
                if c == "`" or c == "~":
                    self.char, self.run = c, 1
                    continue
            elif c == self.char:
                self.run += 1
                continue
            self.after = True
            self._rest(text[i:])
            return

    def _rest(self, text: str) -> None:
        if self.ws_only and text.strip(" \t\r"):
            self.ws_only = False
        if self.tick_free and "`" in text:
            self.tick_free = False

    def may_open(self) -> bool:
        """Whether the line so far could still be (or is) an opening fence."""
        if not self.after:
            return True
        return self.run >= 3 and (self.char == "~" or self.tick_free)

    def may_close(self, char: str, length: int) -> bool:
        """Whether the line so far could still be the closing fence of ``length`` x ``char``."""
        if self.char not in ("", char) or not self.ws_only:
            return False
        return not self.after or self.run >= length

    def closes(self, char: str, length: int) -> bool:
        """Whether the complete line closes a fence of ``length`` x ``char``."""
        return self.char == char and self.run >= length and self.ws_only


def is_comment(line: str) -> bool:
    return line.lstrip(" \t").startswith("#")


# ---- for FenceFilter.rewind ------------------------------------------------------------------
def copy_frame(frame: Any) -> Any:
    copy = type(frame)(frame.kind, frame.quote, frame.raw)
    copy.depth = frame.depth
    return copy


def truncated(text: Pieces, n: int) -> Pieces:
    out = Pieces()
    whole = text.text()
    if n:
        out.add(whole[:n])
    return out


def common_prefix(a: str, b: str) -> int:
    """Length of the common prefix."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo
