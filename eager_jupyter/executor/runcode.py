"""Run one compiled top-level node through IPython's own ``run_code``, as a cell's nodes run.

A cell runs each top-level node with ``await shell.run_code(code, result)``: an ``exec`` inside
``run_code``'s frame, which catches the exception and shows it. Running a statement the same way makes
everything downstream identical to a cell, with nothing imitated:

- the traceback starts at ``run_code``'s frame, as a cell's does. IPython hides that frame in every
  ``%xmode``: Context/Verbose drop frames of IPython's modules, Plain drops the first frame (its
  ``tb_offset``), which is why a traceback starting at the statement lost the statement's own frame in
  Plain mode;
- the exception's ``__traceback__``, which pdb walks for ``%debug``/``%pdb``, has the same frames, and
  ``run_code``'s ``__tracebackhide__ = "__ipython_bottom__"`` hides everything below the program;
- ``sys.excepthook`` is swapped as for a cell; ``SystemExit`` and ``bdb.BdbQuit`` and the shell's
  custom exception handlers are handled by IPython as in a cell (the first two shown or swallowed
  at once).

Two things are deferred, and only for the call made here (recognised by ``run_code``'s frame, so code
that shows tracebacks itself, or a cell run inside the statement, is untouched):

- the traceback: ``run_code`` calls ``shell.showtraceback()``; that call is recorded instead, so the
  engine can stop the model before the (slow) rendering and render it afterwards;
- the value of a kept expression: a node compiled in ``"single"`` mode hands its value to
  ``sys.displayhook``; only the program's last expression is displayed in a cell, so the value is
  caught (only when the caller is this node's own frame) and the magic returns it at the end.

Validate a change with ``tests/test_fidelity.py`` (tracebacks equal to a cell's in every ``%xmode``,
``%debug`` through stdin) and ``tests/test_kernel_magic.py`` (top-level ``await``, interrupts).
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from types import CodeType, TracebackType
from typing import Any

__all__ = ["NOTHING", "Outcome", "Step", "run_step"]

NOTHING: Any = object()
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


@dataclass(frozen=True)
class Step:
    """One top-level node, compiled as a cell compiles it (``"exec"`` or ``"single"``)."""

    code: CodeType
    keep: bool = False  # a "single" node whose value is kept for the end instead of displayed now
    is_async: bool = False


@dataclass
class Outcome:
    value: Any = NOTHING  # what a kept node displayed
    error: BaseException | None = None
    exc_info: ExcInfo | None = None  # as run_code caught it (its own frame first): what a cell shows
    shown: bool = False  # IPython already dealt with it (SystemExit, BdbQuit, custom handler)


def run_step(shell: Any, step: Step) -> Outcome:
    from IPython.core.interactiveshell import ExecutionResult

    result = ExecutionResult(None)  # type: ignore[no-untyped-call]
    coro = shell.run_code(step.code, result, async_=step.is_async)
    frame = coro.cr_frame
    outcome = Outcome()
    caught: list[ExcInfo] = []
    show = shell.showtraceback  # whatever is installed now (a view may wrap it)
    patched = "showtraceback" in shell.__dict__

    def showtraceback(*args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1) is frame and not kwargs.get("exception_only"):
            etype, value, tb = sys.exc_info()
            if etype is not None and value is not None:
                caught.append((etype, value, tb))
                return None
        return show(*args, **kwargs)

    def displayhook(value: Any) -> None:
        if sys._getframe(1).f_code is step.code:
            outcome.value = value
        else:
            hook(value)

    shell.showtraceback = showtraceback
    hook = sys.displayhook
    if step.keep:
        sys.displayhook = displayhook
    try:
        _drive(shell, coro, step.is_async)
    finally:
        if step.keep:
            sys.displayhook = hook
        if patched:
            shell.showtraceback = show
        else:
            del shell.showtraceback
    error = result.error_in_exec
    if error is not None:
        outcome.error = error
        if caught:
            outcome.exc_info = caught[0]
        else:
            outcome.exc_info = (type(error), error, error.__traceback__)
            outcome.shown = True
    return outcome


def _drive(shell: Any, coro: Any, is_async: bool) -> None:
    if not is_async:
        try:
            coro.send(None)
        except StopIteration:
            return
        coro.close()
        raise RuntimeError("run_code awaited while running synchronous code")
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        shell.loop_runner(coro)
        return
    import nest_asyncio2

    nest_asyncio2.apply(loop)
    loop.run_until_complete(coro)
