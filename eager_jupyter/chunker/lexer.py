"""Line lexer for the chunker: bracket depth, open strings and line joins, one physical line at a time.

The chunker (`chunker.py`) needs to know, at the end of every physical line, whether the logical line
goes on (an open bracket, an open string, a backslash continuation) and, if it ended, where a trailing
comment starts. That is all this module answers; it does not produce tokens.

How: a line is searched with one regex for the next character that can change the state (a quote, `#`,
a backslash); the brackets in the stretch before it are counted with `str.count`, and a whole string
literal is skipped with one regex match. So the Python-level work is per string literal, not per
character. Inside an open triple-quoted string a line costs one `in` test until the closing quote.

F-strings follow the running interpreter, like `compile` does. On 3.11 an f-string is lexed as a plain
string. On 3.12+ (PEP 701) it is a stack of frames: literal text, replacement fields (code with their
own bracket depth, where any quote may nest, newlines and comments are allowed) and format specs, so
`f"{x["a"]}"` and `f"{\\n1 +\\n2}"` are one string each. On 3.14 `t"..."` is handled the same way.

Errors never stop the lexer: an extra closing bracket clamps the depth at 0; a single-quoted string or
f-string still open at the end of its line (no backslash) is what CPython reports as "unterminated
string literal", so the lexer drops every open frame and bracket there and the logical line ends.
"""

from __future__ import annotations

import re
import sys

__all__ = ["Lexer"]

_PEP701 = sys.version_info >= (3, 12)
_FSTRING_PREFIXES = frozenset(
    p
    for base in (("f", "rf", "fr") + (("t", "rt", "tr") if sys.version_info >= (3, 14) else ()))
    for p in {
        "".join(c.upper() if (mask >> i) & 1 else c for i, c in enumerate(base))
        for mask in range(1 << len(base))
    }
)

# Frame kinds.
_STR = 0  # a plain string still open at the end of a line
_FLIT = 1  # literal text of an f-string
_FEXPR = 2  # a replacement field's expression (with its own bracket depth)
_FSPEC = 3  # a replacement field's format spec


class _Frame:
    __slots__ = ("depth", "kind", "quote", "raw")

    def __init__(self, kind: int, quote: str, raw: bool = False) -> None:
        self.kind = kind
        self.quote = quote  # the closing quote of the (innermost enclosing) string: 1 or 3 chars
        self.raw = raw
        self.depth = 0

# The next character that can change the lexer state in top-level code.
_SPECIAL = re.compile(r"['\"#\\]")
# The rest of a single-quoted string body (escapes, including an escaped newline, are skipped).
_SINGLE = {q: re.compile(rf"[^{q}\\\n]*(?:\\(?:\r\n|[\s\S])[^{q}\\\n]*)*") for q in "'\""}
# A triple-quoted string body up to and including its closing quotes, within one line.
_TRIPLE = {
    q * 3: re.compile(rf"[^{q}\\]*(?:(?:\\[\s\S]|{q}(?!{q}{q}))[^{q}\\]*)*{q}{q}{q}") for q in "'\""
}
_FLIT_NEXT = {q: re.compile(rf"[{{}}\\\n{q}]") for q in "'\""}
_FEXPR_NEXT = re.compile(r"['\"#\\()\[\]{}:]")


def _after_backslash(line: str, i: int) -> int:
    """Index after the escape that starts with the backslash at `i` (a CRLF counts as one)."""
    if line.startswith("\r\n", i + 1):
        return i + 3
    return i + 2


class Lexer:
    """Lexical state between physical lines: bracket depth, open strings/f-strings, a backslash join.

    `scan(line, pos)` advances over one physical line (ending in "\\n", except the stream's last one)
    and returns where a trailing comment starts (`len(line)` if none). After it, the logical line has
    ended exactly when `at_start()` is true.
    """

    __slots__ = ("bs", "depth", "stack")

    def __init__(self) -> None:
        self.depth = 0  # open brackets in top-level code
        self.stack: list[_Frame] = []  # open string / f-string frames, innermost last
        self.bs = False  # the last line ended with a backslash continuation

    def at_start(self) -> bool:
        return not (self.stack or self.depth or self.bs)

    def in_code(self) -> bool:
        """True when the next line starts inside brackets or an f-string field (not in string text)."""
        stack = self.stack
        if stack:
            return stack[-1].kind == _FEXPR
        return self.depth > 0

    def reset(self) -> None:
        self.depth = 0
        self.stack.clear()
        self.bs = False

    def frames(self) -> tuple[tuple[int, str, bool, int], ...]:
        """A copy of the open frames (for `Chunker.rewind`'s checkpoints; usually none)."""
        return tuple((f.kind, f.quote, f.raw, f.depth) for f in self.stack)

    def restore(self, depth: int, bs: bool, frames: tuple[tuple[int, str, bool, int], ...]) -> None:
        """Go back to a state saved as `depth`, `bs` and `frames()`."""
        self.depth = depth
        self.bs = bs
        stack = self.stack
        stack.clear()
        for kind, quote, raw, fdepth in frames:
            frame = _Frame(kind, quote, raw)
            frame.depth = fdepth
            stack.append(frame)

    def scan(self, line: str, pos: int) -> int:
        self.bs = False
        stack = self.stack
        n = len(line)
        if stack:
            top = stack[-1]
            # Fast path: inside a docstring, a line without the closing quote is all string.
            if top.kind == _STR and len(stack) == 1 and len(top.quote) == 3 and top.quote not in line:
                return n
            pos = self._frames(line, pos)
            if pos < 0:
                return n
        depth = self.depth
        search = _SPECIAL.search
        while True:
            m = search(line, pos)
            end = n if m is None else m.start()
            if end > pos:
                seg = line[pos:end]
                depth += (
                    seg.count("(") + seg.count("[") + seg.count("{")
                    - seg.count(")") - seg.count("]") - seg.count("}")
                )
            if m is None:
                break
            c = line[end]
            if c == "#":
                self.depth = depth if depth > 0 else 0
                return end
            if c == "\\":
                if line[end + 1 :] in ("\n", "\r\n", ""):
                    self.bs = True
                    break
                pos = end + 1
                continue
            self.depth = depth if depth > 0 else 0
            pos = self._open(line, end, c)
            if pos >= 0 and stack:
                pos = self._frames(line, pos)
            if pos < 0:
                return n
            depth = self.depth
        self.depth = depth if depth > 0 else 0
        return n

    # -- strings -------------------------------------------------------------------------------

    def _open(self, line: str, i: int, c: str) -> int:
        """A string starts with quote `c` at `i`: skip it, or push a frame; -1 if the line is used up."""
        q = c * 3 if line.startswith(c * 3, i) else c
        start = i + len(q)
        if _PEP701 and i and line[i - 1] in "fFrRtT":
            k = i - 1
            while k >= 0 and (line[k].isalnum() or line[k] == "_"):
                k -= 1
            prefix = line[k + 1 : i]
            if prefix in _FSTRING_PREFIXES:
                self.stack.append(_Frame(_FLIT, q, "r" in prefix or "R" in prefix))
                return start
        if len(q) == 3:
            m = _TRIPLE[q].match(line, start)
            if m is not None:
                return m.end()
            self.stack.append(_Frame(_STR, q))
            return -1
        return self._single(line, start, q, push=True)

    def _single(self, line: str, pos: int, q: str, push: bool) -> int:
        m = _SINGLE[q].match(line, pos)
        end = m.end() if m is not None else pos
        if end < len(line) and line[end] == q:
            if not push:
                self.stack.pop()
            return end + 1
        if end == len(line):  # the line ended with an escaped newline: the string goes on
            if push:
                self.stack.append(_Frame(_STR, q))
            return -1
        self.reset()  # unterminated string literal: CPython stops the logical line here
        return -1

    def _frames(self, line: str, pos: int) -> int:
        """Advance through open frames; the index where top-level code resumes, or -1."""
        stack = self.stack
        n = len(line)
        while stack:
            top = stack[-1]
            kind = top.kind
            q = top.quote
            if kind == _STR:
                if len(q) == 3:
                    m = _TRIPLE[q].match(line, pos)
                    if m is None:
                        return -1
                    stack.pop()
                    pos = m.end()
                else:
                    pos = self._single(line, pos, q, push=False)
                    if pos < 0:
                        return -1
            elif kind == _FEXPR:
                m = _FEXPR_NEXT.search(line, pos)
                if m is None:
                    return -1  # a newline inside a field is fine on 3.12+
                i = m.start()
                c = line[i]
                pos = i + 1
                if c in "([{":
                    top.depth += 1
                elif c in ")]":
                    if top.depth:
                        top.depth -= 1
                elif c == "}":
                    if top.depth:
                        top.depth -= 1
                    else:
                        stack.pop()
                elif c == ":":
                    if not top.depth:
                        top.kind = _FSPEC
                elif c == "#":
                    return -1
                elif c == "\\":
                    if line[pos:] in ("\n", "\r\n", ""):
                        return -1
                else:
                    pos = self._open(line, i, c)
                    if pos < 0:
                        return -1
            else:  # _FLIT or _FSPEC: literal text
                m = _FLIT_NEXT[q[0]].search(line, pos)
                if m is None:
                    return -1
                i = m.start()
                c = line[i]
                pos = i + 1
                if c == "{":
                    if kind == _FLIT and line.startswith("{", pos):
                        pos += 1
                    else:
                        stack.append(_Frame(_FEXPR, q))
                elif c == "}":
                    if kind == _FSPEC:
                        stack.pop()
                    elif line.startswith("}", pos):
                        pos += 1
                elif c == "\\":
                    nxt = line[pos : pos + 1]
                    if nxt == "N" and kind == _FLIT and not top.raw and line.startswith("{", pos + 1):
                        close = line.find("}", pos + 2)
                        pos = n if close < 0 else close + 1
                    elif nxt and nxt in "\\'\"\r\n":
                        pos = _after_backslash(line, i)
                elif c == "\n":
                    if len(q) == 1:
                        self.reset()  # unterminated f-string
                        return -1
                    return -1
                elif len(q) == 1 or line.startswith(q, i):
                    if kind == _FSPEC:
                        stack.pop()
                    stack.pop()
                    pos = i + len(q)
        return pos
