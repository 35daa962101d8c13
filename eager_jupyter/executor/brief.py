"""A failure as the model reads it: ``brief_traceback``.

The text a repair request (``--fix``) and a tool result (``--agent``) carry is the program's own
traceback with the frames of installed libraries and the standard library folded: a ``KeyError``
from ``df["b"]`` runs through pandas' internals (and a chained cause made only of them), and the
model needs the program's line, what was called, and the error. So each run of library frames
becomes one line (``[3 frames in pandas]``), except the frame that raised the last exception shown
(where the error was raised often says why), named from its package (``pandas/core/frame.py``, no
local path); a chained exception made only of library frames keeps its one-line message. The
program's frames (cells, the run's own file, the user's own modules) are kept whole, with their line
numbers and source lines, as ``traceback`` prints them.

What is a library: a file under a ``site-packages``/``dist-packages`` folder or the standard library,
or a relative path (a compiled extension's ``.pyx``). Everything else is the user's.

The view is not touched: the statement's full traceback is rendered under it as a cell's would be.

To validate a change: ``tests/test_brief_traceback.py`` (also on 3.12 and 3.13), then
``tests/test_agent_kernel.py`` (what a tool result carries in a real kernel).
"""

from __future__ import annotations

import os
import sysconfig
import traceback
from typing import Any

__all__ = ["brief_traceback"]

_STDLIB = tuple(
    os.path.normpath(path) + os.sep
    for path in {sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")}
    if path
)
_INSTALLED = ("site-packages", "dist-packages")


def library_of(filename: str) -> str | None:
    """The library a frame's file belongs to (``pandas``, ``the standard library``), or None."""
    if filename.startswith("<"):
        return None  # a cell, an eager run, exec'd code: the program's
    parts = filename.replace("\\", "/").split("/")
    for folder in _INSTALLED:
        if folder in parts:
            rest = parts[parts.index(folder) + 1 :]
            return _package(rest[0]) if len(rest) > 1 else "installed modules"
    if not os.path.isabs(filename):
        return parts[0] if len(parts) > 1 else None
    if os.path.normpath(filename).startswith(_STDLIB):
        return "the standard library"
    return None


def _short(filename: str) -> str:
    """A library file named from its package (``pandas/core/frame.py``) or the standard library's
    folder (``json/decoder.py``): no local paths (a home folder, a virtual environment's name)."""
    parts = filename.replace("\\", "/").split("/")
    for folder in _INSTALLED:
        if folder in parts:
            return "/".join(parts[parts.index(folder) + 1 :])
    normal = os.path.normpath(filename)
    for root in _STDLIB:
        if normal.startswith(root):
            return normal[len(root) :].replace(os.sep, "/")
    return filename


def _package(name: str) -> str:
    return name[:-3] if name.endswith(".py") else name


def brief_traceback(exc_info: Any) -> str:
    """``traceback.format_exception`` with library frames folded, as the module docstring says."""
    if exc_info is None:
        return ""
    etype, value, tb = exc_info
    try:
        shown = traceback.TracebackException(etype, value, tb, compact=True)
    except Exception:  # an exception object traceback cannot walk
        return "".join(traceback.format_exception(etype, value, tb))
    first = True
    for exception in _chain(shown):
        _fold(exception, keep_last=first)
        first = False
    return "".join(shown.format())


def _chain(exception: traceback.TracebackException) -> list[traceback.TracebackException]:
    """The exception and those it was chained from, the one shown last first."""
    seen: list[traceback.TracebackException] = []
    current: traceback.TracebackException | None = exception
    while current is not None and not any(current is s for s in seen):
        seen.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return seen


def _fold(exception: traceback.TracebackException, *, keep_last: bool) -> None:
    frames = list(exception.stack)
    if not frames:
        return
    kept: list[traceback.FrameSummary] = []
    run: list[traceback.FrameSummary] = []
    run_library = ""

    def close_run() -> None:
        if run:
            word = "frame" if len(run) == 1 else "frames"
            kept.append(_Folded(f"[{len(run)} {word} in {run_library}]", len(kept) + 1))
            run.clear()

    for position, frame in enumerate(frames):
        library = library_of(frame.filename)
        last = position == len(frames) - 1
        if library is None or (last and keep_last):
            close_run()
            if library is not None:  # its source lines are read: a short name is all it needs now
                frame.filename = _short(frame.filename)
            kept.append(frame)
            continue
        if run and library != run_library:
            close_run()
        run.append(frame)
        run_library = library
    close_run()
    exception.stack = _Stack(kept)


class _Folded(traceback.FrameSummary):
    """One line in place of a run of library frames (a line number of its own, so that the fold of
    repeated frames, "[Previous line repeated N more times]", never takes two of them as one)."""

    def __init__(self, text: str, number: int) -> None:
        super().__init__("", -number, "", line="", lookup_line=False)
        self.text = text


class _Stack(traceback.StackSummary):
    def format_frame_summary(self, frame_summary: traceback.FrameSummary, **kwargs: Any) -> str:
        if isinstance(frame_summary, _Folded):
            return f"  {frame_summary.text}\n"
        return super().format_frame_summary(frame_summary, **kwargs)
