"""Which frontend sent the running cell: does it have this package's labextension (``--view auto``)?

The labextension marks every execute request its notebooks send: the request's metadata carries
``{"eager_jupyter": <version>}`` (``labextension/src/probe.ts`` wraps each kernel connection's
``requestExecute``). The kernel reads the metadata of the request it is running, so the answer is
known in the cell itself: no handshake, no race with the next cell. Run All and Restart-and-Run-All
get the widget whenever the frontend has the extension; nbclient, papermill, VS Code and terminal
IPython send no mark and get the plain view; two frontends on one kernel each get what they can show.

(Earlier versions asked at ``%load_ext`` through a comm and read the answer once the loading cell had
ended, so a cell queued behind it, as with Run All, got the plain view. The labextension still
answers that comm for kernels of those versions.)

To validate a change: ``tests/test_widget_kernel.py`` (marked and unmarked requests on a real kernel).
"""

from __future__ import annotations

from typing import Any

__all__ = ["EXECUTE_MARK", "PROBE_TARGET", "widget_frontend"]

#: the execute request metadata key the labextension sets (``probe.ts``'s ``EXECUTE_MARK``)
EXECUTE_MARK = "eager_jupyter"
#: the comm target the labextension answers, for kernels of earlier versions
PROBE_TARGET = "eager_jupyter.probe"


def widget_frontend(shell: Any) -> bool:
    """True if the request running in ``shell``'s kernel came from a frontend with the labextension."""
    kernel = getattr(shell, "kernel", None)
    get_parent = getattr(kernel, "get_parent", None)
    if get_parent is None:
        return False
    try:
        parent = get_parent("shell")
    except Exception:  # a kernel without per-channel parents
        return False
    metadata = parent.get("metadata") if isinstance(parent, dict) else None
    return isinstance(metadata, dict) and bool(metadata.get(EXECUTE_MARK))
