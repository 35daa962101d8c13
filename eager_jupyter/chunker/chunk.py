"""The chunker's output: one released top-level statement (``Chunk``), and its lazy syntax check."""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

__all__ = ["Chunk", "ChunkKind"]

ChunkKind = Literal["simple", "compound", "ipython", "comment"]

_LINE_REF = re.compile(r"(\bline )(\d+)")  # "does not match opening parenthesis '(' on line 3"


@dataclass(frozen=True)
class Chunk:
    """One released top-level statement with the blank/comment lines before it.

    `code` is an exact slice of the stream; `start_line` (1-based) and `offset` (characters) say where
    it begins. `kind`: "simple" (one logical line), "compound" (if/for/def/class/..., decorated or
    not, or any block header ending in `:`), "ipython" (a line magic, `!cmd`, `x = !cmd`), or
    "comment" (only comments/blank lines: the stream's tail). `ipython_lines`: stream line numbers of
    IPython-syntax lines inside `code` (also body lines of a compound), which `compile` cannot take.
    """

    code: str
    start_line: int
    offset: int
    kind: ChunkKind = "simple"
    ipython_lines: tuple[int, ...] = ()

    @property
    def end_line(self) -> int:
        """The stream line on which `code` ends (its last line, without counting a final newline)."""
        return self.start_line + self.code.count("\n", 0, len(self.code) - 1)

    @cached_property
    def syntax_error(self) -> str | None:
        """None if the statement compiles alone, else one line: "<message> (line <stream line>)".

        IPython lines are masked as `pass` first. Top-level `await` is allowed, as in IPython.
        Computed on first access.
        """
        source = self.code
        if self.ipython_lines:
            lines = source.splitlines(keepends=True)
            for number in self.ipython_lines:
                i = number - self.start_line
                line = lines[i]
                body = line.rstrip("\r\n")
                indent = body[: len(body) - len(body.lstrip(" \t\f"))]
                lines[i] = indent + "pass" + line[len(body) :]
                while body.endswith("\\") and i + 1 < len(lines):  # lines IPython joins to it
                    i += 1
                    body = lines[i].rstrip("\r\n")
                    lines[i] = lines[i][len(body) :]
            source = "".join(lines)
        # Compiled as it is (padding it to its stream line made the cost grow with the line number:
        # quadratic over a long program); line numbers, also those inside the message ("... on
        # line 3"), are shifted to stream lines.
        shift = self.start_line - 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning for "\d" etc. is not our business
                compile(source, "<chunk>", "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        except SyntaxError as e:
            msg = _LINE_REF.sub(lambda m: f"{m[1]}{int(m[2]) + shift}", e.msg) if shift else e.msg
            return f"{msg} (line {(e.lineno or 1) + shift})"
        except (ValueError, RecursionError, MemoryError) as e:  # null bytes, absurd nesting
            return f"{type(e).__name__}: {e} (line {self.start_line})"
        return None
