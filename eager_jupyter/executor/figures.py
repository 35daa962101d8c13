"""Where and when a run's pending inline figures are shown.

A cell shows its ``Out[N]`` first and its figures after it: matplotlib-inline flushes open figures at
``post_execute``, which fires when the cell is over, after the displayhook showed the value. The
magic returns the program's value for IPython to display, so when the view lets outputs flow into the
cell (plain view, no view) the figures are left to ``post_execute`` and come out after ``Out[N]``, as
in a cell. Only a view that routes a statement's outputs somewhere else (the widget view captures
them while ``statement_output`` is entered) needs them flushed inside that context, under the last
statement; there ``Out[N]`` goes to the cell, not to the widget, so there is no order to keep.

Whether a view routes displays is seen, not declared: entering its ``statement_output`` replaces the
shell's display publisher, or it does not.

Validate a change with ``tests/test_fidelity.py`` (figure after ``Out[]``) and
``tests/test_kernel_magic.py`` (one complete figure for a figure built over several statements).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

__all__ = ["flush_figures"]


def flush_figures(shell: Any, output: contextlib.AbstractContextManager[Any]) -> None:
    """Show pending inline figures inside ``output`` if it routes displays; else leave them to
    matplotlib-inline's ``post_execute`` flush, after ``Out[N]``, as in a cell."""
    backend = sys.modules.get("matplotlib_inline.backend_inline")
    matplotlib = sys.modules.get("matplotlib")
    if backend is None or matplotlib is None or "inline" not in matplotlib.get_backend():
        return
    outside = getattr(shell, "display_pub", None)
    with output:
        if getattr(shell, "display_pub", None) is outside:
            return
        try:
            backend.flush_figures()
        except Exception:
            shell.showtraceback()
