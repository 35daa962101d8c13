"""Runs statements in the IPython shell so the result equals running the finished code as one cell.

Why not ``shell.run_cell`` per statement (measured, see the project's kernel facts): every
``run_cell`` fires ``post_execute``, where matplotlib-inline flushes and closes figures, so a figure
built over several statements comes out early and incomplete; and every trailing expression of every
``run_cell`` is displayed as ``Out[n]``. So each statement goes through the pieces of a cell's own
path, one statement at a time:

1. ``transform``: IPython's input transformations as they apply inside a multi-line cell (no
   automagic on one-line statements; the program's indentation, not each statement's, is removed);
2. ``cellfile``: padded to its line in the program and registered under a file name the kernel's
   compiler makes (as for a cell), mapped to the running cell's ``In[N]``; the source stays in
   ``linecache`` for the session, so tracebacks, ``inspect.getsource``, pdb and line_profiler read it
   as they read a cell;
3. parsed with the shell's compiler, passed through its AST transformers, and each top-level node
   compiled as ``run_ast_nodes`` compiles it (``"single"`` for a trailing expression), which also
   carries ``from __future__`` imports to later statements as the shell does for later cells;
4. ``runcode``: executed through ``shell.run_code`` on the main thread, so a traceback has a cell's
   frames. A trailing expression's value is kept only while it is the last statement seen (a
   statement of only comments keeps it), and the magic returns it, so IPython displays it once, as
   ``Out[n]``, exactly as for a cell (a trailing ``;`` suppresses it). Figures are left to
   matplotlib-inline's ``post_execute`` unless a view routes outputs (``figures``).

Top-level ``await``: with ``shell.autoawait`` on, statements are compiled with
``PyCF_ALLOW_TOP_LEVEL_AWAIT``; one that awaits runs on the kernel's (running) event loop made
re-entrant with ``nest_asyncio2`` (installed with ipykernel), or on the shell's loop runner in a
terminal. Steps 1-3 are the setup (the paper's T_setup); step 4 is the run time.

Failures are data (``StatementResult.error_before_exec`` / ``error_in_exec``, as in IPython's
``ExecutionResult``); the engine decides what to do, then asks ``render_error`` to show the error
(after it has stopped the source: rendering a traceback is slow, and the model would keep writing).
``postmortem`` makes the program's exception the last one for ``%tb``, ``%debug`` and ``%pdb`` once
the run has failed.
"""

from __future__ import annotations

from .brief import brief_traceback
from .core import Executor, Prepared, StatementResult, one_line
from .figures import flush_figures

__all__ = ["Executor", "Prepared", "StatementResult", "brief_traceback", "flush_figures", "one_line"]
