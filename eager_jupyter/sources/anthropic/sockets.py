"""The anthropic SDK's HTTP client, hooked so ``close()`` hangs up at once (see ``sources/sockets.py``)."""

from __future__ import annotations

import httpx2

from ..sockets import Connections, _TrackingBackend, hook_client, ssl_context

__all__ = ["Connections", "_TrackingBackend", "closable_http_client"]


def closable_http_client(connections: Connections, timeout: httpx2.Timeout) -> httpx2.Client:
    """The SDK's default httpx client, with every connection it opens registered in ``connections``."""
    from anthropic import DefaultHttpxClient

    return hook_client(DefaultHttpxClient(timeout=timeout, verify=ssl_context()), connections)
