"""Incremental decoder of a streamed tool call's JSON input: the code, character by character.

A tool call's input streams as pieces of JSON text (Anthropic's ``input_json_delta``, OpenAI's
``tool_calls[].function.arguments``): one object, the code the string value of ``key`` ("code").
``ToolInputDecoder`` takes the pieces as they come (``feed``/``finish``) and gives back pieces of the
decoded code as soon as each character is certain, so the chunker can release statements while the
model is still writing the call; both providers share it. ``decode_tool_input(text)`` does it in one go.

Algorithm: one pass over the text, a pushdown automaton for the JSON grammar (RFC 8259). The state is
the grammar state, the stack of open containers (only nested values skipped around the code have
any), a number's or a literal's progress, the key being compared (a position in ``key``, never a copy
of the key read) and the one pending escape. Inside the code string a compiled regex jumps to the next
quote, backslash, control character or surrogate, and the run before it goes out as one slice, so the
bulk of the text is scanned in C; each escape is decoded in place. Nothing is re-scanned: a piece is
visited once, whatever the split. What is held back is only an escape cut by the piece boundary (at
most ``\\uXXXX\\uXX``: a high surrogate waits for its low half); ``pending`` shows it.

Decisions where JSON or ``json.loads`` leave a choice: a surrogate that does not end up in a valid
pair decodes as U+FFFD (the code must encode as UTF-8; ``json.loads`` keeps the lone code point); a
second top-level ``key`` is an error (its first value has streamed, and run, by then); ``NaN`` and
``Infinity`` are refused, and raw control characters in strings unless ``strict=False`` (a server that
relays a model's raw newlines); a piece that raises gives nothing out, and the decoder then raises the
same error on every call (what came before it was given out already).

Errors: ``ToolInputError(ValueError)``, one line with the character offset in the whole input.

Validate a change with ``tests/test_tool_input.py`` (an oracle against ``json.loads``, every split)
and ``tests/test_tool_stream.py`` (the real SDK); measure: ``python -m eager_jupyter.bench.tool_input_speed``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["ToolInputDecoder", "ToolInputError", "decode_tool_input"]

REPLACEMENT = "\ufffd"


class ToolInputError(ValueError):
    """The tool input is not one JSON object with the key's string value. ``offset`` says where."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"tool input: {message} at offset {offset}")
        self.offset = offset


# grammar states
_START, _OBJ_FIRST, _OBJ_KEY, _COLON, _VALUE, _ARR_FIRST, _AFTER, _END, _STRING, _NUMBER, _LITERAL = range(11)
# what a string's characters are for
_SKIP, _KEY, _TARGET = range(3)

_WS = frozenset(" \t\n\r")
_HEX = frozenset("0123456789abcdefABCDEF")
_SIMPLE = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LITERALS = {"t": "rue", "f": "alse", "n": "ull"}

# Where the scan of a string stops: the end quote, an escape, and what strict JSON refuses (control
# characters) or what this decoder replaces (surrogates; skipped strings keep theirs, unread).
_STOP = {
    (_SKIP, True): re.compile('["\\\\\x00-\x1f]'),
    (_SKIP, False): re.compile('["\\\\]'),
    (_KEY, True): re.compile('["\\\\\x00-\x1f\ud800-\udfff]'),
    (_KEY, False): re.compile('["\\\\\ud800-\udfff]'),
}
_STOP[_TARGET, True] = _STOP[_KEY, True]
_STOP[_TARGET, False] = _STOP[_KEY, False]

# numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
_N_SIGN, _N_ZERO, _N_INT, _N_DOT, _N_FRAC, _N_EXP, _N_EXP_SIGN, _N_EXP_DIGITS = range(8)
_N_ACCEPT = frozenset({_N_ZERO, _N_INT, _N_FRAC, _N_EXP_DIGITS})
_N_ON_DIGIT = {_N_INT: _N_INT, _N_DOT: _N_FRAC, _N_FRAC: _N_FRAC, _N_EXP: _N_EXP_DIGITS,
               _N_EXP_SIGN: _N_EXP_DIGITS, _N_EXP_DIGITS: _N_EXP_DIGITS}
_N_NEXT: dict[tuple[int, str], int] = {
    **{(_N_SIGN, d): _N_ZERO if d == "0" else _N_INT for d in "0123456789"},
    **{(s, d): t for s, t in _N_ON_DIGIT.items() for d in "0123456789"},
    **{(s, "."): _N_DOT for s in (_N_ZERO, _N_INT)},
    **{(s, e): _N_EXP for s in (_N_ZERO, _N_INT, _N_FRAC) for e in "eE"},
    (_N_EXP, "+"): _N_EXP_SIGN,
    (_N_EXP, "-"): _N_EXP_SIGN,
}


def _show(c: str) -> str:
    return repr(c) if c.isprintable() else f"U+{ord(c):04X}"


class ToolInputDecoder:
    """Pieces of a tool call's JSON input in, pieces of the string property ``key`` out."""

    def __init__(self, key: str = "code", *, strict: bool = True) -> None:
        self.key = key
        self.strict = strict
        self._state = _START
        self._stack: list[str] = []  # open containers: "{" or "["
        self._offset = 0  # characters fed before the current piece
        self._mode = _SKIP  # in a string: what its characters are for
        self._search = _STOP[_SKIP, strict].search
        self._is_key = False
        self._key_pos = 0  # in a top-level key: how much of ``key`` it has matched
        self._key_ok = False
        self._key_at = 0
        self._target_next = False  # the value about to start is the key's
        self._seen = False
        self._done = False
        self._esc = ""  # an escape cut by a piece boundary, as read
        self._high = 0  # a decoded high surrogate waiting for its low half
        self._high_raw = ""
        self._num = _N_SIGN
        self._lit = ""
        self._error: ToolInputError | None = None
        self._finished = False

    @property
    def pending(self) -> str:
        """The raw escape text held back at the end of what was fed ("" when nothing is)."""
        return self._high_raw + self._esc

    @property
    def value_complete(self) -> bool:
        """The key's string value has ended: everything of it has been given out."""
        return self._done

    def feed(self, piece: str) -> list[str]:
        if self._error is not None:
            raise self._error
        if self._finished:
            raise RuntimeError("ToolInputDecoder.feed() after finish()")
        # the common case while the code streams: a piece of plain code text
        if (self._state == _STRING and self._mode == _TARGET and not self._esc and not self._high
                and self._search(piece) is None):
            self._offset += len(piece)
            return [piece] if piece else []
        out: list[str] = []
        try:
            self._run(piece, out)
        except ToolInputError as error:
            self._error = error
            raise
        self._offset += len(piece)
        return ["".join(out)] if out else []

    def finish(self) -> list[str]:
        if self._error is not None:
            raise self._error
        self._finished = True
        if self._state != _END:
            where = {
                _START: "before the object began",
                _STRING: f"inside the {self.key!r} string" if self._mode == _TARGET else "inside a string",
            }.get(self._state, "before the object was complete")
            self._error = ToolInputError(f"the input ended {where}", self._offset)
        elif not self._seen:
            self._error = ToolInputError(f"no {self.key!r} property in the object, which ended", self._offset)
        if self._error is not None:
            raise self._error
        return []

    # ---- the grammar -----------------------------------------------------------------------------
    def _fail(self, message: str, i: int) -> ToolInputError:
        return ToolInputError(message, self._offset + i)

    def _run(self, p: str, out: list[str]) -> None:
        i, n = 0, len(p)
        while i < n:
            state = self._state
            if state == _STRING:
                i = self._string(p, i, out)
                continue
            if state == _NUMBER:
                i = self._number(p, i)
                continue
            c = p[i]
            if state == _LITERAL:
                if c != self._lit[0]:
                    raise self._fail(f"invalid literal ({_show(c)})", i)
                self._lit = self._lit[1:]
                if not self._lit:
                    self._value_done()
                i += 1
                continue
            if c in _WS:
                i += 1
                continue
            if state == _AFTER:
                top = self._stack[-1]
                closer = "}" if top == "{" else "]"
                if c == ",":
                    self._state = _OBJ_KEY if top == "{" else _VALUE
                elif c == closer:
                    self._stack.pop()
                    self._value_done()
                else:
                    raise self._fail(f"expected ',' or '{closer}', got {_show(c)}", i)
            elif state == _COLON:
                if c != ":":
                    raise self._fail(f"expected ':' after a key, got {_show(c)}", i)
                self._state = _VALUE
            elif state in (_OBJ_FIRST, _OBJ_KEY):
                if c == '"':
                    self._start_string(_KEY if len(self._stack) == 1 else _SKIP, is_key=True)
                    self._key_at = self._offset + i
                elif c == "}" and state == _OBJ_FIRST:
                    self._stack.pop()
                    self._value_done()
                else:
                    raise self._fail(f"expected a key string, got {_show(c)}", i)
            elif state in (_VALUE, _ARR_FIRST):
                if c == "]" and state == _ARR_FIRST:
                    self._stack.pop()
                    self._value_done()
                else:
                    self._start_value(c, i)
            elif state == _START:
                if c != "{":
                    raise self._fail(f"expected a JSON object, got {_show(c)}", i)
                self._stack.append("{")
                self._state = _OBJ_FIRST
            else:  # _END
                raise self._fail(f"unexpected {_show(c)} after the object", i)
            i += 1

    def _start_value(self, c: str, i: int) -> None:
        if self._target_next and c != '"':
            raise self._fail(f"the value of {self.key!r} is not a string (starts with {_show(c)})", i)
        if c == '"':
            self._start_string(_TARGET if self._target_next else _SKIP, is_key=False)
            self._target_next = False
        elif c == "{" or c == "[":
            self._stack.append(c)
            self._state = _OBJ_FIRST if c == "{" else _ARR_FIRST
        elif c == "-" or "0" <= c <= "9":
            self._num = _N_NEXT.get((_N_SIGN, c), _N_SIGN)
            self._state = _NUMBER
        elif c in _LITERALS:
            self._lit = _LITERALS[c]
            self._state = _LITERAL
        else:
            raise self._fail(f"expected a value, got {_show(c)}", i)

    def _value_done(self) -> None:
        self._state = _AFTER if self._stack else _END

    def _number(self, p: str, i: int) -> int:
        s, n, table = self._num, len(p), _N_NEXT
        while i < n:
            t = table.get((s, p[i]))
            if t is None:
                if s not in _N_ACCEPT:
                    raise self._fail(f"invalid number (at {_show(p[i])})", i)
                self._value_done()
                return i  # the delimiter is read by the grammar
            s = t
            i += 1
        self._num = s
        return i

    # ---- strings ---------------------------------------------------------------------------------
    def _start_string(self, mode: int, *, is_key: bool) -> None:
        self._state = _STRING
        self._mode = mode
        self._search = _STOP[mode, self.strict].search
        self._is_key = is_key
        self._key_pos = 0
        self._key_ok = True

    def _end_string(self) -> None:
        if self._is_key:
            if self._mode == _KEY and self._key_ok and self._key_pos == len(self.key):
                if self._seen:
                    raise ToolInputError(f"duplicate key {self.key!r}", self._key_at)
                self._seen = self._target_next = True
            self._state = _COLON
        else:
            if self._mode == _TARGET:
                self._done = True
            self._value_done()

    def _compare_key(self, s: str) -> None:
        if self._key_ok:
            if self.key.startswith(s, self._key_pos):
                self._key_pos += len(s)
            else:
                self._key_ok = False

    def _string(self, p: str, i: int, out: list[str]) -> int:
        """Read string characters from ``p[i]``; return where the grammar resumes."""
        n, mode = len(p), self._mode
        emit: Callable[[str], object]
        emit = out.append if mode == _TARGET else self._compare_key if mode == _KEY else _ignore
        search = self._search
        while i < n:
            if self._esc or self._high:
                i = self._escape(p, i, emit)
                continue
            m = search(p, i)
            if m is None:
                emit(p[i:])
                return n
            j = m.start()
            if j > i:
                emit(p[i:j])
            c = p[j]
            if c == '"':
                self._end_string()
                return j + 1
            if c == "\\":
                s = _SIMPLE.get(p[j + 1]) if j + 1 < n else None
                if s is not None:
                    emit(s)
                    i = j + 2
                else:
                    i = self._fast_escape(p, j, emit)
            elif c < " ":
                raise self._fail(f"unescaped control character {_show(c)} in a string", j)
            else:  # a raw surrogate code point
                emit(REPLACEMENT)
                i = j + 1
        return i

    def _fast_escape(self, p: str, j: int, emit: Callable[[str], object]) -> int:
        """An escape at ``p[j]`` wholly in this piece, decoded at once; else the slow path takes it."""
        n = len(p)
        if j + 1 < n:
            s = _SIMPLE.get(p[j + 1])
            if s is not None:
                emit(s)
                return j + 2
            if p[j + 1] == "u" and j + 6 <= n and _HEX.issuperset(p[j + 2 : j + 6]):
                u = int(p[j + 2 : j + 6], 16)
                if u < 0xD800 or u > 0xDFFF:
                    emit(chr(u))
                    return j + 6
                if u >= 0xDC00:
                    emit(REPLACEMENT)
                    return j + 6
                if j + 12 <= n and p[j + 6 : j + 8] == "\\u" and _HEX.issuperset(p[j + 8 : j + 12]):
                    low = int(p[j + 8 : j + 12], 16)
                    if 0xDC00 <= low <= 0xDFFF:
                        emit(chr(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)))
                        return j + 12
        self._esc = "\\"
        return j + 1

    def _escape(self, p: str, i: int, emit: Callable[[str], object]) -> int:
        """The slow path: one character at a time while an escape or a high surrogate is pending."""
        n = len(p)
        while i < n and (self._esc or self._high):
            c, esc = p[i], self._esc
            if not esc:  # a high surrogate: its low half must follow as an escape
                if c != "\\":
                    emit(REPLACEMENT)
                    self._high, self._high_raw = 0, ""
                    return i  # c is read as usual
                self._esc = "\\"
            elif esc == "\\":
                if c == "u":
                    self._esc = "\\u"
                elif c in _SIMPLE:
                    if self._high:
                        emit(REPLACEMENT)
                        self._high, self._high_raw = 0, ""
                    emit(_SIMPLE[c])
                    self._esc = ""
                else:
                    raise self._fail(f"invalid escape '\\{c}'" if c.isprintable() else "invalid escape", i)
            else:
                if c not in _HEX:
                    raise self._fail(f"invalid \\u escape ({_show(c)} is not a hex digit)", i)
                esc = self._esc = esc + c
                if len(esc) == 6:
                    self._esc = ""
                    self._unit(int(esc[2:], 16), esc, emit)
            i += 1
        return i

    def _unit(self, u: int, raw: str, emit: Callable[[str], object]) -> None:
        if self._high:
            high, self._high, self._high_raw = self._high, 0, ""
            if 0xDC00 <= u <= 0xDFFF:
                emit(chr(0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00)))
                return
            emit(REPLACEMENT)
        if 0xD800 <= u <= 0xDBFF:
            self._high, self._high_raw = u, raw
        elif 0xDC00 <= u <= 0xDFFF:
            emit(REPLACEMENT)
        else:
            emit(chr(u))


def _ignore(s: str) -> None:
    pass


def decode_tool_input(text: str, key: str = "code", *, strict: bool = True) -> str:
    """The string property ``key`` of the JSON object ``text``; ``ToolInputError`` when it is not one."""
    decoder = ToolInputDecoder(key, strict=strict)
    return "".join(decoder.feed(text) + decoder.finish())
