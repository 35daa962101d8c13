"""IPython's input transformations applied to one statement as they apply to it inside a cell.

``shell.transform_cell`` is made for a whole cell, and two of its steps depend on the whole cell, so
calling it on each statement of a program does things a cell never does:

- **Dynamic transforms (automagic, autocall) run only when the cell is one line.** Every simple
  statement is one line, so ``history(21)`` became ``%history 21`` whenever no ``history`` was defined
  yet when the statement was prepared (a merged or held ``def``). A program is a multi-line cell: no
  statement gets them. (A program that is a single line in all would get them in a cell; that is not
  known while it streams.)
- **``leading_indent`` removes the cell's common indentation.** Per statement, a stray indented line
  (``x = 1`` then ``  y = 2``, an IndentationError in a cell) was silently dedented and ran. The margin
  is instead taken once, from the program's first statement, and removed from every later statement's
  lines that have it: a program indented as a whole still runs, as a cell would.

Everything else is IPython's own pipeline, in its order: the cleanup transforms, the line transforms
(``%%magic``), the token transforms (``%magic``, ``!cmd``, ``x = !cmd``, ``obj?``), then
``input_transformers_post``. Validate a change with ``tests/test_fidelity.py``.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

__all__ = ["StatementTransformer"]

Lines = list[str]
_MARGIN = re.compile(r"[ \t]*")


class StatementTransformer:
    """``transform(code)`` for the statements of one program, in order."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._margin: str | None = None  # the program's common indentation, from its first statement

    def transform(self, code: str) -> str:
        shell = self.shell
        manager = getattr(shell, "input_transformer_manager", None)
        if manager is None or not hasattr(manager, "do_token_transforms"):
            return str(shell.transform_cell(code))
        from IPython.core.inputtransformer2 import leading_indent

        if not code.endswith("\n"):
            code += "\n"
        if self._margin is None:
            first = textwrap.dedent(code)
            self._margin = _margin_of(code, first)
        lines: Lines = code.splitlines(keepends=True)
        for step in [*manager.cleanup_transforms, *manager.line_transforms]:
            if step is leading_indent:
                step = self._dedent
            lines = step(lines)
        lines = manager.do_token_transforms(lines)
        # no prefilter_lines here: IPython applies it only to a one-line cell
        for post in shell.input_transformers_post:
            lines = post(lines)
        return "".join(lines)

    def _dedent(self, lines: Lines) -> Lines:
        margin = self._margin
        if not margin:
            return lines
        n = len(margin)
        return [line[n:] if line.startswith(margin) else line for line in lines]


def _margin_of(code: str, dedented: str) -> str:
    """The indentation ``textwrap.dedent`` removed (the first non-blank line's lost prefix)."""
    for before, after in zip(code.splitlines(), dedented.splitlines(), strict=False):
        if before.strip():
            m = _MARGIN.match(before)
            assert m is not None
            return m.group()[: len(before) - len(after)]
    return ""

