"""The live widget: ``view`` (the engine's View and the ipywidgets model), ``state`` (what the
frontend is told, as deltas and snapshots). Its frontend is ``labextension/``."""

from __future__ import annotations

from .view import *  # noqa: F403
from .view import __all__ as __all__
