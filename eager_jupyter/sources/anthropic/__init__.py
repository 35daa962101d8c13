"""The Anthropic source: ``source`` (the Messages API stream), ``errors`` (how its failures read),
``stream`` (the SSE events' state), ``sockets`` (its HTTP client, hooked to hang up on ``close()``).
What every provider shares is in ``sources/remote.py`` and ``sources/errors.py``. The SDK is imported
only when a request is made."""

from __future__ import annotations

from .source import *  # noqa: F403
from .source import __all__ as __all__
