"""eager_jupyter: run LLM-written code in Jupyter while the model is still writing it.

``%load_ext eager_jupyter`` registers ``%%eager``. Importing the package stays light: IPython,
ipywidgets and anthropic are imported only when the extension is loaded or a run needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .chunker import Chunk, Chunker

if TYPE_CHECKING:
    from .record import RunRecord

__all__ = [
    "Chunk",
    "Chunker",
    "__version__",
    "last_run",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext eager_jupyter``: register ``%%eager`` and its settings (``%config Eager``)."""
    from .magic import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .magic import unload

    unload(ipython)


def last_run() -> RunRecord | None:
    """The run record of the most recent ``%%eager`` run (also bound to ``_eager`` in the kernel)."""
    from .record import last_run as _last_run

    return _last_run()


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "eager-jupyter"}]
