"""Closing an HTTP stream from another thread, at once.

The producer thread sits in ``recv()`` on the socket of the streaming response (or in ``connect()``,
or waiting for the response headers). Closing the response from the main thread is not enough:
httpx's ``Response.close()`` is not thread-safe, and on Linux ``close()`` of a socket that another
thread is blocked in does not send a FIN until that ``recv()`` returns (the blocked call holds a
reference to the file), so the server would only notice at the next byte, which may be seconds away.
``shutdown(SHUT_RDWR)`` does both things we need: the FIN leaves at once, and the blocked ``recv()``
returns (end of stream), so the producer wakes, sees it was closed, and ends.

To be able to do that at any moment (connecting, waiting for headers, streaming), every socket the
HTTP client opens is registered here: ``hook_client`` takes the SDK's default httpx client (each
source builds it with its SDK's ``DefaultHttpxClient``: same timeouts, limits, keepalive options and
proxy handling) and wraps the network backend of each of its connection pools so each new connection
is registered. Both SDKs (``anthropic`` 2.x and ``openai`` 3.x) use httpx2/httpcore2, so one hook
serves both. What is kept is a duplicate file
descriptor of the socket, because a TLS connection replaces the socket object (``wrap_socket``
detaches it); ``shutdown`` on the duplicate acts on the same connection. The duplicates keep the
connections open until ``release()``, which the source calls when its stream ends.

Each stream builds its own client (so ``close()`` of one never touches another's connections), but
not its own SSL context: ``ssl_context()`` builds the verifying context once per process (per
``SSL_CERT_FILE`` / ``SSL_CERT_DIR``), because loading the CA bundle is most of what building an
httpx2 client costs, and every request paid it before its first byte.

Reaching the pools uses private attributes of httpx2 and httpcore2 (``Client._transport``,
``Client._mounts``, ``HTTPTransport._pool``, ``ConnectionPool._network_backend``). If a future
version renames them, ``installed`` is False and the source falls back to the public
``network_stream`` extension of the response, which covers the streaming phase (not connecting or
waiting for headers); ``tests/test_anthropic_source.py`` checks both paths, and
``tests/test_openai_source.py`` the hook with the openai SDK.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Iterable
from typing import Any

import httpcore2
import httpx2

__all__ = ["Connections", "hook_client", "ssl_context"]


_ssl_lock = threading.Lock()
_ssl_contexts: dict[tuple[str, str], ssl.SSLContext] = {}


def ssl_context() -> ssl.SSLContext:
    """httpx2's default verifying context, built once per CA setting (``SSL_CERT_FILE``/``_DIR``)."""
    key = (os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))
    with _ssl_lock:
        context = _ssl_contexts.get(key)
        if context is None:
            context = _ssl_contexts[key] = httpx2.create_ssl_context()
        return context


class Connections:
    """The sockets of one source's HTTP client, so that ``abort()`` can hang them all up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._aborted = False
        self.installed = False  # set by closable_http_client when every new connection is seen

    @property
    def aborted(self) -> bool:
        return self._aborted

    def track(self, stream: Any) -> None:
        """Register the socket under an httpcore network stream (or a response's ``network_stream``)."""
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        try:
            dup = socket.socket(sock.family, sock.type, sock.proto, fileno=_dup_fd(sock))
        except OSError:
            return
        with self._lock:
            if not self._aborted:
                self._sockets.append(dup)
                return
        _hang_up(dup)
        dup.close()
        raise httpcore2.ConnectError("closed")

    def abort(self) -> None:
        """Shut every connection down now (any thread); connections opened later are refused."""
        with self._lock:
            self._aborted = True
            sockets = list(self._sockets)
        for sock in sockets:
            _hang_up(sock)

    def release(self) -> None:
        """Close the duplicates (the connections themselves are closed by their client)."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.close()
            except OSError:
                pass


def _dup_fd(sock: socket.socket) -> int:
    return os.dup(sock.fileno())


def _hang_up(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer or by us


class _TrackingBackend(httpcore2.NetworkBackend):
    def __init__(self, inner: httpcore2.NetworkBackend, connections: Connections) -> None:
        self._inner = inner
        self._connections = connections

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        if self._connections.aborted:
            raise httpcore2.ConnectError("closed")
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        self._track(stream)
        return stream

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:
        if self._connections.aborted:
            raise httpcore2.ConnectError("closed")
        stream = self._inner.connect_unix_socket(path, timeout, socket_options)
        self._track(stream)
        return stream

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)

    def _track(self, stream: httpcore2.NetworkStream) -> None:
        try:
            self._connections.track(stream)
        except httpcore2.ConnectError:
            stream.close()
            raise


def hook_client(client: httpx2.Client, connections: Connections) -> httpx2.Client:
    """``client`` (an SDK's default httpx client), with every connection it opens registered."""
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    installed = 0
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        inner = getattr(pool, "_network_backend", None)
        if isinstance(inner, httpcore2.NetworkBackend):
            pool._network_backend = _TrackingBackend(inner, connections)  # type: ignore[union-attr]
            installed += 1
    connections.installed = installed > 0
    return client
