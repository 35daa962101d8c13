"""The Anthropic source: ``source`` (the Messages API stream), ``errors`` (one line per failure),
``stream`` (the SSE events' state), ``sockets`` (hanging up on ``close()``). The SDK is imported only
when a request is made."""

from __future__ import annotations

from .source import *  # noqa: F403
from .source import __all__ as __all__
