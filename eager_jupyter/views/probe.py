"""Which frontend is attached: does it have this package's labextension (for ``--view auto``)?

The kernel cannot ask the frontend during a run: comm messages from the frontend are read only when
the kernel is idle, i.e. after the ``%%eager`` cell. So the question is asked earlier, when the
extension is loaded: ``announce()`` (called by ``%load_ext eager_jupyter``) opens a comm to the target
``eager_jupyter.probe``, which the labextension registers on every notebook kernel connection and
answers with ``{"hello": <version>, "frontend": "jupyterlab"}``. The answer is handled as soon as the
loading cell ends. A frontend without the extension closes the comm (JupyterLab and Notebook 7 do so
for unknown targets) or ignores it (nbclient, papermill, terminal IPython).

The rule for ``--view auto``: the widget if some frontend answered since the extension was loaded
(``widget_frontend()``), else the plain view. Consequences: ``%load_ext`` and ``%%eager`` in the same
cell give the plain view (the answer is not read yet); a notebook run headless gives the plain view;
opening the notebook in JupyterLab later needs ``%reload_ext eager_jupyter`` to switch to the widget.
"""

from __future__ import annotations

import threading
from typing import Any

from .._version import __version__

__all__ = ["PROBE_TARGET", "announce", "forget", "widget_frontend"]

PROBE_TARGET = "eager_jupyter.probe"

_lock = threading.Lock()
_answers: dict[str, dict[str, Any]] = {}  # comm id -> what the frontend said
_comms: list[Any] = []


def announce() -> bool:
    """Open the probe comm; False where there is no kernel to open it on (terminal IPython)."""
    try:
        from comm import create_comm
    except ImportError:  # pragma: no cover - comm comes with ipykernel
        return False
    try:
        comm = create_comm(target_name=PROBE_TARGET, data={"version": __version__})
    except Exception:  # no kernel: nothing to ask
        return False
    comm_id = str(getattr(comm, "comm_id", id(comm)))

    def on_msg(msg: dict[str, Any]) -> None:
        data = msg.get("content", {}).get("data", {})
        if isinstance(data, dict) and "hello" in data:
            with _lock:
                _answers[comm_id] = data

    def on_close(msg: dict[str, Any]) -> None:
        with _lock:
            _answers.pop(comm_id, None)

    comm.on_msg(on_msg)
    comm.on_close(on_close)
    with _lock:
        _comms.append(comm)
    return True


def widget_frontend() -> bool:
    """True if a frontend with the labextension answered since ``announce()``: ``--view auto`` -> widget."""
    with _lock:
        return bool(_answers)


def forget() -> None:
    """Close the probe comms and forget the answers (``%unload_ext``; tests)."""
    with _lock:
        comms, _comms[:] = list(_comms), []
        _answers.clear()
    for comm in comms:
        try:
            comm.close()
        except Exception:  # closing a dead comm
            pass
