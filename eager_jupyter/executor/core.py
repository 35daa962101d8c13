"""``Executor``: prepare (transform, parse, compile) and run one statement at a time, as a cell would.

See the package docstring for the design; the parts live in ``transform`` (IPython's input
transformations, per statement as inside a cell), ``cellfile`` (the run's file name, ``Cell In[N]``,
``linecache``), ``runcode`` (running a node through ``shell.run_code``) and ``postmortem`` (showing
errors, the last exception, ``%pdb``).
"""

from __future__ import annotations

import ast
import inspect
import os
import time
import warnings
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from .cellfile import CellFile
from .postmortem import render
from .runcode import NOTHING, Step, run_step
from .transform import StatementTransformer

__all__ = ["Executor", "Prepared", "StatementResult", "one_line"]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
# what a cell shows with showsyntaxerror (parse errors), not with a full traceback
_PARSE_ERRORS = (OverflowError, SyntaxError, ValueError, TypeError, MemoryError)
_ASSIGN = (ast.Assign, ast.AugAssign, ast.AnnAssign)
_HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Prepared:
    index: int
    start_line: int
    raw: str
    transformed: str
    steps: list[Step] = field(default_factory=list)  # one per top-level node, as a cell compiles them
    quiet: bool = False  # trailing ';'
    error_before_exec: BaseException | None = None
    parse_error: bool = False  # shown as a cell shows a syntax error (no frames)
    tree: ast.Module | None = None  # the whole statement, after the shell's AST transformers
    setup_s: float = 0.0  # what transforming and compiling cost


@dataclass
class StatementResult:
    index: int
    duration: float
    error_before_exec: BaseException | None = None
    error_in_exec: BaseException | None = None
    exc_info: ExcInfo | None = None  # the program's frames only (for the repair prompt, logs)
    shown_exc_info: ExcInfo | None = None  # what a cell's traceback holds; None once shown
    parse_error: bool = False

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
    try:
        text = str(error).strip().splitlines()
    except Exception:  # an exception whose __str__ raises still gets its line
        return f"{name}: (its message could not be shown)"
    return f"{name}: {text[0]}" if text else name


class Executor:
    """Compiles and runs statements of one generated program in ``shell``'s namespace."""

    def __init__(self, shell: Any, run_name: str) -> None:
        self.shell = shell
        self.file = CellFile(shell, run_name)
        self.filename = self.file.name
        self._run_name = run_name
        self._files: dict[str | None, CellFile] = {None: self.file}
        self.last_value: Any = NOTHING
        self._transformer = StatementTransformer(shell)

    def use_file(self, key: str | None) -> None:
        """Register and compile what is prepared next in the file of ``key`` (made on first use, named
        ``Cell In[N]`` like the run's own); None: the run's own file. ``--agent`` gives each tool call
        a file of its own, so its lines count from 1 and an earlier step's source stays readable."""
        if key not in self._files:
            self._files[key] = CellFile(self.shell, f"{self._run_name} {key}")
        self.file = self._files[key]
        self.filename = self.file.name

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
            transformed = self._transformer.transform(code)
        except SyntaxError as error:
            if error.lineno is not None:
                error.lineno += start_line - 1
            self.file.register(code, start_line)
            return self._failed(prepared, error, parse_error=True)
        except Exception as error:  # a broken input transformer: a cell shows its traceback
            return self._failed(prepared, error, parse_error=False)
        prepared.transformed = transformed
        self.file.register(transformed, start_line)
        # parsed alone, then moved to its line: padding every statement with the lines before it
        # made preparing a long program quadratic
        offset = start_line - 1
        compiler = shell.compile
        unparsed: BaseException | None = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                tree = compiler.ast_parse(transformed, filename=self.filename)
            except _PARSE_ERRORS as error:
                unparsed = error
        _warn_again(caught, self.filename, offset)
        if unparsed is not None:
            # again at its line (once per run): messages name lines ("detected at line 7"); and
            # outside the first handler, so a plainer error carries no chain
            padded = "\n" * offset + transformed
            found = _parse_error(compiler, padded, self.filename) or unparsed
            return self._failed(prepared, _plainer(found, padded, self.filename), parse_error=True)
        ast.increment_lineno(tree, offset)
        try:
            tree = shell.transform_ast(tree)
            prepared.tree = tree
            prepared.steps = self._compile(tree.body)
        except _PARSE_ERRORS as error:  # e.g. 'return' outside a function, found when compiling
            return self._failed(prepared, error, parse_error=isinstance(error, SyntaxError))
        except Exception as error:  # InputRejected from an AST transformer
            return self._failed(prepared, error, parse_error=False)
        if prepared.steps and prepared.steps[-1].keep:
            prepared.quiet = bool(shell.displayhook.semicolon_at_end_of_expression(transformed))
        return prepared

    def _compile(self, nodes: list[ast.stmt]) -> list[Step]:
        """As ``run_ast_nodes`` compiles a cell's nodes, except that the last expression of a statement
        is kept (it is the cell's last only if no statement follows)."""
        shell = self.shell
        interactivity = getattr(shell, "ast_node_interactivity", "last_expr")
        if interactivity == "last_expr_or_assign" and nodes and isinstance(nodes[-1], _ASSIGN):
            target = _single_target(nodes[-1])
            if target is not None:
                echo = ast.Expr(ast.Name(target, ast.Load()))
                ast.copy_location(echo, nodes[-1])
                nodes = [*nodes, ast.fix_missing_locations(echo)]
        compiler = shell.compile
        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if getattr(shell, "autoawait", False) else 0
        steps = []
        for i, node in enumerate(nodes):
            single = interactivity == "all" or (
                i == len(nodes) - 1 and interactivity != "none" and isinstance(node, ast.Expr)
            )
            module: ast.mod = ast.Interactive([node]) if single else ast.Module([node], [])
            with compiler.extra_flags(flags):  # warnings go through the user's filters, as a cell's
                code = compiler(module, self.filename, "single" if single else "exec")
            is_async = bool(code.co_flags & inspect.CO_COROUTINE)
            steps.append(Step(code, keep=single and interactivity != "all", is_async=is_async))
        return steps

    @staticmethod
    def _failed(prepared: Prepared, error: BaseException, *, parse_error: bool) -> Prepared:
        prepared.error_before_exec = error
        prepared.parse_error = parse_error
        return prepared

    # ---- run ---------------------------------------------------------------------------------
    def run(self, prepared: Prepared) -> StatementResult:
        start = time.perf_counter()
        if prepared.error_before_exec is not None:
            error = prepared.error_before_exec
            return StatementResult(
                prepared.index,
                0.0,
                error_before_exec=error,
                exc_info=(type(error), error, None),  # nothing of the program ran
                shown_exc_info=(type(error), error, _without_own_frames(error.__traceback__)),
                parse_error=prepared.parse_error,
            )
        value = NOTHING
        try:
            for step in prepared.steps:
                outcome = run_step(self.shell, step)
                if outcome.error is not None:
                    self.last_value = NOTHING
                    shown = None if outcome.shown else outcome.exc_info
                    return StatementResult(
                        prepared.index,
                        time.perf_counter() - start,
                        error_in_exec=outcome.error,
                        exc_info=_program_frames(outcome.exc_info),
                        shown_exc_info=shown,
                    )
                if step.keep:
                    value = outcome.value
        finally:
            self.shell.user_ns.pop("__warningregistry__", None)
        if prepared.steps:  # a statement of only comments changes nothing: the value before it stays
            self.last_value = NOTHING if prepared.quiet or value is None else value
        return StatementResult(prepared.index, time.perf_counter() - start)

    def render_error(self, result: StatementResult) -> None:
        """Show the statement's error the way IPython shows a cell's (once; not if IPython did)."""
        info = result.shown_exc_info
        if info is None:
            return
        result.shown_exc_info = None
        render(self.shell, info, parse_error=result.parse_error, compiled=result.error_in_exec is not None)

    @property
    def has_value(self) -> bool:
        return self.last_value is not NOTHING

    def take_value(self) -> Any:
        value, self.last_value = self.last_value, NOTHING
        return None if value is NOTHING else value


def _single_target(node: ast.stmt) -> str | None:
    """The name ``last_expr_or_assign`` displays after ``x = ...`` (IPython's rule)."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target: ast.expr | None = node.targets[0]
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        target = node.target
    else:
        target = None
    return target.id if isinstance(target, ast.Name) else None


def _without_own_frames(tb: TracebackType | None) -> TracebackType | None:
    """A transformer's error as a cell shows it: from IPython's frames (hidden) on, not ours."""
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_HERE):
        tb = tb.tb_next
    return tb


def _program_frames(info: ExcInfo | None) -> ExcInfo | None:
    """Without ``run_code``'s frame: the traceback as the program sees it."""
    if info is None:
        return None
    etype, value, tb = info
    if tb is not None and tb.tb_frame.f_code.co_name == "run_code":
        tb = tb.tb_next
    return etype, value, tb


def _warn_again(caught: list[warnings.WarningMessage], filename: str, offset: int) -> None:
    """Parse-time warnings (``"\\d"``) again, at the program's line, under the user's filters (as
    for a cell: a DeprecationWarning from a cell file is ignored by default)."""
    for w in caught:
        lineno = w.lineno + offset if w.filename == filename else w.lineno
        try:
            warnings.warn_explicit(w.message, w.category, w.filename, lineno)
        except Warning:
            pass  # a filter turned it into an error: the statement still compiles, as it did


def _parse_error(compiler: Any, source: str, filename: str) -> BaseException | None:
    error: BaseException | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # already shown
        try:
            compiler.ast_parse(source, filename=filename)
        except _PARSE_ERRORS as raised:
            error = raised
    if error is not None:
        error.__traceback__ = None
    return error


def _plainer(error: BaseException, source: str, filename: str) -> BaseException:
    """IPython compiles as an interactive prompt does, so an unclosed bracket or an unfinished block
    is "incomplete input"; a statement the chunker released is all there will be, so say what
    Python says of a whole file instead ("'(' was never closed"). Raised outside the first error's
    handler, so it carries no "During handling of the above exception" chain."""
    if not isinstance(error, SyntaxError) or error.msg != "incomplete input":
        return error
    plain = _compile_error(source, filename)
    return plain if plain is not None else error


def _compile_error(source: str, filename: str) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, filename, "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError as plain:
        plain.__traceback__ = None
        plain.__suppress_context__ = True
        return plain
    return None
