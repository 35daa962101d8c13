"""After a failure: the program's exception is the last exception, and ``%pdb`` opens once, on it.

A failed run shows two things: the statement's traceback (rendered by the engine, under the statement,
after the model was stopped) and the cell's one-line ``StatementError``, which IPython shows when the
magic raises it. IPython records the *last* exception it showed in ``sys.last_type``/``last_value``/
``last_traceback`` (and ``sys.last_exc`` from 3.12) and in ``shell.InteractiveTB.tb``; ``%tb`` reprints
it and ``%debug`` opens pdb on it; with ``%pdb on``, ``showtraceback`` opens the debugger right after
showing. Left alone, all of that is our one-line wrapper, raised in the engine's ``_fail``.

So:

- ``render`` shows the statement's traceback as a cell would (``showtraceback`` for a runtime error,
  ``showsyntaxerror`` for a parse error) but with ``%pdb`` held off: the run is not over yet (views
  are live, the record is not final).
- ``StatementError._render_traceback_`` (called by ``showtraceback`` after it recorded the wrapper)
  calls ``statement_failed``: the program's exception becomes the last one everywhere, so ``%tb`` and
  ``%debug`` act on it as after a cell, and the debugger ``showtraceback`` is about to open (``%pdb
  on``) opens once, on the program's failing line, after the run has ended.
- Any other run failure (an interrupt, a failed generation) calls ``run_failed``: there is no program
  exception to debug, so that debugger call is dropped rather than opened in the engine.
- Without stdin (nbclient runs with ``allow_stdin=False``; pdb's first ``input()`` raises
  ``StdinNotImplementedError``) the debugger is skipped and nothing escapes the cell but its one line.

Validate a change with ``tests/test_fidelity.py`` (``%debug`` driven through the stdin channel,
``%tb``, ``sys.last_value``, ``%pdb on`` with and without stdin).
"""

from __future__ import annotations

import sys
from types import FrameType, TracebackType
from typing import Any

__all__ = ["render", "run_failed", "statement_failed"]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def render(shell: Any, exc_info: ExcInfo, *, parse_error: bool, compiled: bool) -> None:
    """Show a statement's error exactly as a cell shows the same error, without ``%pdb``'s debugger."""
    pdb_on = bool(getattr(shell, "call_pdb", False))
    if pdb_on:
        shell.call_pdb = False
    try:
        if parse_error:
            # a cell: ``except SyntaxError: self.showsyntaxerror()``, which reads sys.last_* when no
            # exception is being handled
            _set_last(shell, *exc_info)
            shell.showsyntaxerror()
        else:
            shell.showtraceback(exc_info, running_compiled_code=compiled)
    finally:
        if pdb_on:
            shell.call_pdb = True


def statement_failed(error: BaseException | None) -> None:
    """The cell's ``StatementError`` is being shown: make ``error`` (the program's) the last exception."""
    shell = _shell()
    if shell is None or error is None:
        return
    tb = error.__traceback__
    _set_last(shell, type(error), error, tb)
    if _from_showtraceback(shell) and shell.call_pdb:
        # a cell shows a SyntaxError without a debugger (showsyntaxerror never opens one)
        if tb is None or isinstance(error, SyntaxError) or _no_stdin(shell):
            _skip_next_debugger(shell)
        else:
            _guard_next_debugger(shell)


def run_failed() -> None:
    """A run failed with no program exception (interrupt, generation): no debugger on our wrapper."""
    shell = _shell()
    if shell is not None and _from_showtraceback(shell) and shell.call_pdb:
        _skip_next_debugger(shell)


# ---- internals ---------------------------------------------------------------------------------
def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the engine always runs in IPython
        return None
    return get_ipython()


def _set_last(shell: Any, etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = value
    interactive = getattr(shell, "InteractiveTB", None)
    if interactive is not None and tb is not None:
        interactive.tb = tb  # what %debug and %pdb's debugger walk


def _from_showtraceback(shell: Any) -> bool:
    """Is IPython's ``showtraceback`` (which opens ``%pdb``'s debugger next) the caller?"""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(4):
        if frame is None:
            return False
        if frame.f_code.co_name == "showtraceback" and frame.f_locals.get("self") is shell:
            return True
        frame = frame.f_back
    return False


def _no_stdin(shell: Any) -> bool:
    kernel = getattr(shell, "kernel", None)
    return kernel is not None and getattr(kernel, "_allow_stdin", True) is False


def _skip_next_debugger(shell: Any) -> None:
    def debugger(force: bool = False) -> None:
        _restore(shell)

    shell.debugger = debugger


def _guard_next_debugger(shell: Any) -> None:
    from IPython.core.error import StdinNotImplementedError

    def debugger(force: bool = False) -> None:
        _restore(shell)
        try:
            shell.debugger(force)
        except StdinNotImplementedError:
            pass  # the frontend has no stdin: no debugger, the cell ends with its one line

    shell.debugger = debugger


def _restore(shell: Any) -> None:
    shell.__dict__.pop("debugger", None)
