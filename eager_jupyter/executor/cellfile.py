"""The file a run's code lives in, named and cached exactly as the kernel names and caches a cell's.

A cell's code is compiled under the name ``shell.compile.get_code_name(...)`` gives it (in ipykernel
``<tmp>/ipykernel_<pid>/<hash>.py``, in a terminal ``<ipython-input-N-hash>``), its source goes into
``linecache`` with no mtime (so it stays for the session), and ``shell.compile._filename_map`` maps
the name to the cell's execution count, which tracebacks print as ``Cell In[N]``. Everything that
reads source follows from the name: IPython's traceback formatter (a name like a kernel cell file
takes the plain-source path cells take, not stack_data's), ``inspect.getsource``, pdb's listing, and
line_profiler (which recognises notebook code by those names). So a run gets one such name, made from
a text unique to the run (the program is not known when the run starts), and the same treatment:

- ``number``: the running cell's own execution count, read from the ``ExecutionResult`` IPython is
  filling (``shell.displayhook.exec_result``). Not the filename map's last value: IPython updates the
  map in place when a cell's text repeats, so the last-inserted entry can be an older cell.
- the source: the transformed program so far, padded so line N of the file is line N of the program,
  registered in ``linecache`` as the list itself (a statement's registration costs its own lines) and
  kept for the session, as a cell's is.

Validate a change with ``tests/test_fidelity.py`` (``Cell In[N]`` of identical cells, getsource of a
function from an early run after many runs, traceback context equal to a cell's).
"""

from __future__ import annotations

import linecache
from typing import Any

__all__ = ["CellFile"]


class CellFile:
    """One run's source file: its name, its ``Cell In[N]`` number, its lines in ``linecache``."""

    def __init__(self, shell: Any, run_name: str) -> None:
        self.number = _running_cell_number(shell)
        compiler = getattr(shell, "compile", None)
        unique = f"# %%eager run {run_name}\n"
        name = None
        if compiler is not None and hasattr(compiler, "get_code_name"):
            try:
                name = compiler.get_code_name(unique, unique, self.number)
            except Exception:  # a custom compiler with another signature
                name = None
        self.name: str = name if isinstance(name, str) else f"<eager-{run_name}>"
        filename_map = getattr(compiler, "_filename_map", None)
        if isinstance(filename_map, dict):
            filename_map[self.name] = self.number
        self._lines: list[str] = []
        self._size = 0
        linecache.cache[self.name] = (0, None, self._lines, self.name)

    def register(self, transformed: str, start_line: int) -> None:
        """Put a statement's (transformed) lines at ``start_line``; a repair round rewrites from there."""
        lines = transformed.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        needed = start_line - 1
        if needed < len(self._lines):
            self._size -= sum(len(line) for line in self._lines[needed:])
            del self._lines[needed:]
        padding = ["\n"] * (needed - len(self._lines))
        self._lines += padding + lines
        self._size += len(padding) + sum(len(line) for line in lines)
        # re-set each time: the entry must survive a linecache.clearcache() between statements
        linecache.cache[self.name] = (self._size, None, self._lines, self.name)


def _running_cell_number(shell: Any) -> int:
    """The execution count of the cell running now (IPython has already counted past it)."""
    result = getattr(getattr(shell, "displayhook", None), "exec_result", None)
    number = getattr(result, "execution_count", None)
    if isinstance(number, int):
        return number
    count = getattr(shell, "execution_count", 0)
    return count if isinstance(count, int) else 0
