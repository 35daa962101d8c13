"""Runs statements in the IPython shell so the result equals running the finished code as one cell.

Why not ``shell.run_cell`` per statement (measured, see the project's kernel facts): every
``run_cell`` fires ``post_execute``, where matplotlib-inline flushes and closes figures, so a figure
built over several statements comes out early and incomplete; and every trailing expression of every
``run_cell`` is displayed as ``Out[n]``. So each statement is instead

1. transformed with ``shell.transform_cell`` (IPython syntax: ``%time``, ``!ls``, ``x = !ls``),
2. padded with newlines to its line in the program, parsed with the shell's compiler (its future flags)
   and passed through the shell's AST transformers,
3. compiled under a file name tied to this run, registered in ``linecache`` (with the program so far)
   and in IPython's file-name map, so tracebacks read ``Cell In[7], line 12`` with the program's own
   line numbers and source lines,
4. executed with ``exec`` in the user namespace on the main thread. A trailing expression is
   evaluated, not displayed: its value is kept only while it is the last statement seen, and the magic
   returns it, so IPython displays it once, as ``Out[n]``, exactly as for a cell (a trailing ``;``
   suppresses it). matplotlib-inline then flushes figures once, at the end of the outer cell (the
   engine flushes them itself under the last statement when a view routes outputs).

Top-level ``await``: with ``shell.autoawait`` on, statements are compiled with
``PyCF_ALLOW_TOP_LEVEL_AWAIT``; one that awaits becomes a coroutine, run on the kernel's (running)
event loop made re-entrant with ``nest_asyncio2`` (installed with ipykernel), or on the shell's
loop runner in a terminal. Steps 1-3 are the setup (the paper's T_setup); step 4 is the run time.

Failures are data (``StatementResult.error_before_exec`` / ``error_in_exec``, as in IPython's
``ExecutionResult``); the engine decides what to do, then asks ``render_error`` to show the traceback
(after it has stopped the source: rendering the first traceback takes ~90 ms).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import linecache
import sys
import time
import warnings
from dataclasses import dataclass
from types import CodeType, TracebackType
from typing import Any

__all__ = ["Executor", "Prepared", "StatementResult"]

_NOTHING = object()
_OWN_FILES = {__file__}


@dataclass
class Prepared:
    index: int
    start_line: int
    raw: str
    transformed: str
    body: CodeType | None = None  # everything but a trailing expression
    tail: CodeType | None = None  # the trailing expression, evaluated for its value
    quiet: bool = False  # trailing ';'
    error_before_exec: BaseException | None = None
    tree: ast.Module | None = None  # the whole statement, after the shell's AST transformers
    setup_s: float = 0.0  # what transforming and compiling cost


@dataclass
class StatementResult:
    index: int
    duration: float
    error_before_exec: BaseException | None = None
    error_in_exec: BaseException | None = None
    exc_info: tuple[type[BaseException], BaseException, TracebackType | None] | None = None

    @property
    def success(self) -> bool:
        return self.error_before_exec is None and self.error_in_exec is None

    @property
    def error(self) -> BaseException | None:
        return self.error_before_exec or self.error_in_exec


def one_line(error: BaseException) -> str:
    """``"NameError: name 'x' is not defined"``; SyntaxErrors name their line."""
    name = type(error).__name__
    if isinstance(error, SyntaxError):
        where = f" (line {error.lineno})" if error.lineno else ""
        return f"{name}: {error.msg}{where}"
    text = str(error).strip().splitlines()
    return f"{name}: {text[0]}" if text else name


class Executor:
    """Compiles and runs statements of one generated program in ``shell``'s namespace."""

    def __init__(self, shell: Any, run_name: str) -> None:
        self.shell = shell
        self.filename = f"<eager-{run_name}>"
        self.last_value: Any = _NOTHING
        self._lines: list[str] = []  # transformed program so far, for tracebacks
        self._size = 0  # characters in self._lines
        _retain(self.filename)
        filename_map = getattr(getattr(shell, "compile", None), "_filename_map", None)
        if isinstance(filename_map, dict):
            # the running cell registered itself last (IPython has already counted past it), so its
            # number is the map's last value: tracebacks then say "Cell In[n]" like the cell's own
            numbers = list(filename_map.values())
            number = numbers[-1] if numbers else getattr(shell, "execution_count", 0)
            filename_map[self.filename] = number

    # ---- setup: transform and compile --------------------------------------------------------
    def prepare(self, index: int, code: str, start_line: int) -> Prepared:
        start = time.perf_counter()
        prepared = self._prepare(index, code, start_line)
        prepared.setup_s = time.perf_counter() - start
        return prepared

    def _prepare(self, index: int, code: str, start_line: int) -> Prepared:
        shell = self.shell
        prepared = Prepared(index=index, start_line=start_line, raw=code, transformed=code)
        # IPython's transform drops leading blank lines; drop them first so line numbers stay right
        lines = code.splitlines(keepends=True)
        blank = 0
        while blank < len(lines) - 1 and not lines[blank].strip():
            blank += 1
        code, start_line = "".join(lines[blank:]), start_line + blank
        try:
            transformed = shell.transform_cell(code)
        except SyntaxError as error:
            self._fix_lineno(error, start_line)
            prepared.error_before_exec = error
            return prepared
        prepared.transformed = transformed
        self._register(transformed, start_line)
        padded = "\n" * (start_line - 1) + transformed
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("default")  # SyntaxWarnings show as in a cell, never raise
                tree = shell.compile.ast_parse(padded, filename=self.filename)
                tree = shell.transform_ast(tree)
                prepared.tree = tree
                flags = shell.compile.flags
                if getattr(shell, "autoawait", False):
                    # only code that awaits at top level becomes a coroutine (CO_COROUTINE)
                    flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
                body, tail_node = list(tree.body), None
                if body and isinstance(body[-1], ast.Expr):
                    tail_node = ast.Expression(body.pop().value)
                    prepared.quiet = shell.displayhook.semicolon_at_end_of_expression(transformed)
                if body:
                    module = ast.Module(body=body, type_ignores=[])
                    prepared.body = compile(module, self.filename, "exec", flags, dont_inherit=True)
                if tail_node is not None:
                    prepared.tail = compile(tail_node, self.filename, "eval", flags, dont_inherit=True)
        except Exception as error:  # SyntaxError, ValueError, InputRejected from a transformer
            prepared.error_before_exec = _plainer(error, padded, self.filename)
        return prepared

    # ---- run ---------------------------------------------------------------------------------
    def run(self, prepared: Prepared) -> StatementResult:
        start = time.perf_counter()
        if prepared.error_before_exec is not None:
            error = prepared.error_before_exec
            return StatementResult(
                prepared.index, 0.0, error_before_exec=error, exc_info=(type(error), error, None)
            )
        shell = self.shell
        try:
            if prepared.body is not None:
                self._eval(prepared.body)
            if prepared.tail is not None:
                value = self._eval(prepared.tail)
                self.last_value = _NOTHING if prepared.quiet or value is None else value
            else:
                self.last_value = _NOTHING
        except BaseException as error:
            etype, evalue, tb = sys.exc_info()
            assert etype is not None and evalue is not None
            # drop our own frames, so the traceback starts in the generated code
            while tb is not None and tb.tb_frame.f_code.co_filename in _OWN_FILES:
                tb = tb.tb_next
            self.last_value = _NOTHING
            return StatementResult(
                prepared.index,
                time.perf_counter() - start,
                error_in_exec=error,
                exc_info=(etype, evalue, tb),
            )
        finally:
            shell.user_ns.pop("__warningregistry__", None)
        return StatementResult(prepared.index, time.perf_counter() - start)

    def render_error(self, result: StatementResult) -> None:
        """Show the statement's traceback the way IPython shows a cell's."""
        shell = self.shell
        error = result.error
        if error is None or result.exc_info is None:
            return
        if isinstance(error, SystemExit):
            shell.showtraceback(result.exc_info, exception_only=True)
            warnings.warn("To exit: use 'exit', 'quit', or Ctrl-D.", stacklevel=1)
        else:
            shell.showtraceback(result.exc_info, running_compiled_code=True)

    @property
    def has_value(self) -> bool:
        return self.last_value is not _NOTHING

    def take_value(self) -> Any:
        value, self.last_value = self.last_value, _NOTHING
        return None if value is _NOTHING else value

    # ---- internals -----------------------------------------------------------------------------
    def _eval(self, code: CodeType) -> Any:
        shell = self.shell
        result = eval(code, shell.user_global_ns, shell.user_ns)
        if code.co_flags & inspect.CO_COROUTINE:
            result = _run_coroutine(shell, result)
        return result

    def _register(self, transformed: str, start_line: int) -> None:
        lines = transformed.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        needed = start_line - 1
        if needed < len(self._lines):  # a repair round rewrites from its line on
            self._size -= sum(len(line) for line in self._lines[needed:])
            del self._lines[needed:]
        padding = ["\n"] * (needed - len(self._lines))
        self._lines += padding + lines
        self._size += len(padding) + sum(len(line) for line in lines)
        # linecache gets the list itself, not a copy: registering a statement stays O(its lines), and
        # an entry with no mtime is never checked against a file
        linecache.cache[self.filename] = (self._size, None, self._lines, self.filename)

    @staticmethod
    def _fix_lineno(error: SyntaxError, start_line: int) -> None:
        if error.lineno is not None:
            error.lineno += start_line - 1


_KEEP_RUNS = 20
_recent: list[str] = []  # file names of the latest runs, whose source linecache keeps


def _retain(filename: str) -> None:
    """Keep the source of the latest runs for tracebacks, %tb and %debug; drop older ones."""
    _recent.append(filename)
    while len(_recent) > _KEEP_RUNS:
        linecache.cache.pop(_recent.pop(0), None)


def _run_coroutine(shell: Any, coro: Any) -> Any:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return shell.loop_runner(coro)
    import nest_asyncio2

    nest_asyncio2.apply(loop)
    return loop.run_until_complete(coro)


def _plainer(error: Exception, source: str, filename: str) -> Exception:
    """IPython compiles as an interactive prompt does, so an unclosed bracket or an unfinished block
    is "incomplete input"; a statement the chunker released is all there will be, so say what
    Python says of a whole file instead ("'(' was never closed")."""
    if not isinstance(error, SyntaxError) or error.msg != "incomplete input":
        return error
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, filename, "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError as plain:
        return plain
    return error
