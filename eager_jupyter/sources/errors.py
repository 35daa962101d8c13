"""The errors every network source raises, the key's handling, and the one-line messages they share.

Everything a model source raises is a ``SourceError`` whose ``str()`` is one line. None carries an
SDK exception (they are raised outside the ``except`` block, or ``from None``, so not even as
``__context__``): the SDKs' request objects may hold the key in their headers::

    SourceError
      RequestError            the request text: an unknown {name}, a secret-looking {name} (prompt)
      ProviderError           a model spec or provider config that cannot be used (providers)
      RemoteSourceError
        MissingApiKey         no key; the magic raises it as a UsageError before any request
        MissingSdk            the provider's SDK is not installed (names the extra to install)
        RecordError           --record FILE cannot be written
        ReplyIncomplete       the reply stopped before its code was complete (length limit, refusal,
                              content filter)
        ApiError              the API or the network failed: .status, .during_reply, .retry_after
          KeyRejected         401, 403
          ModelNotFound       404
          BadRequest          400, 413, 422 and other 4xx
          RateLimited         429                      (retried before the first text)
          Overloaded          529                      (retried before the first text)
          ServerError         500 and other 5xx        (retried before the first text)
          ApiTimeout          no byte for ``timeout`` seconds (retried before the first text)
          ConnectionLost      cannot connect, or the connection dropped (retried before the first text)

Each provider maps its SDK's failures onto this tree (``anthropic/errors.py``, ``openai/errors.py``)
with the helpers here, so the same failure reads the same whatever the provider: ``status_line`` for an
HTTP status or an error in the stream, ``timeout_line``, ``unreachable_line``, ``dropped_line``,
``cut_short`` for a reply that hit the length limit inside its code.

The key lives in a ``Secret`` (``repr`` shows nothing) and only reaches the SDK client made for one
``stream()``; every message goes through ``redact`` (the key itself, and anything shaped like an
Anthropic or OpenAI key).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..fences import FenceFilter
from .base import SourceError

__all__ = [
    "ApiError",
    "ApiTimeout",
    "BadRequest",
    "ConnectionLost",
    "KeyRejected",
    "MissingApiKey",
    "MissingSdk",
    "ModelNotFound",
    "Overloaded",
    "RateLimited",
    "RecordError",
    "RemoteSourceError",
    "ReplyIncomplete",
    "Secret",
    "ServerError",
    "by_status",
    "check_cut",
    "dropped_line",
    "host",
    "is_local",
    "parse_retry_after",
    "redact",
    "shorten",
    "status_line",
    "timeout_line",
    "unreachable_line",
]


class RemoteSourceError(SourceError):
    """Anything a network source raises (besides ``RequestError`` and ``ProviderError``)."""


class MissingApiKey(RemoteSourceError):
    """No key in the provider's variable: the magic raises this as a ``UsageError`` before any request."""


class MissingSdk(RemoteSourceError):
    """The provider's SDK is not installed."""


class RecordError(RemoteSourceError):
    """The ``--record`` file cannot be written."""


class ReplyIncomplete(RemoteSourceError):
    """The reply stopped before its code was complete: the unfinished statement must not run."""


class ApiError(RemoteSourceError):
    """The API or the network failed. ``during_reply``: after some text had been streamed."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        during_reply: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.during_reply = during_reply
        self.retry_after = retry_after

    def after_attempts(self, attempts: int) -> ApiError:
        """The same error, saying how many attempts were made."""
        return type(self)(
            f"{self} ({attempts} attempts)",
            status=self.status,
            during_reply=self.during_reply,
            retry_after=self.retry_after,
        )


class KeyRejected(ApiError):
    """401 or 403: the key is wrong, revoked, or may not do this."""


class ModelNotFound(ApiError):
    """404: no such model (or a base URL that is not the API)."""


class BadRequest(ApiError):
    """400, 413, 422 or another 4xx: the API refused the request as sent."""


class RateLimited(ApiError):
    retryable = True


class Overloaded(ApiError):
    retryable = True


class ServerError(ApiError):
    retryable = True


class ApiTimeout(ApiError):
    retryable = True


class ConnectionLost(ApiError):
    retryable = True


class Secret:
    """Holds the key; its ``repr`` and ``str`` show nothing."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value or ""

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__


_KEY_PATTERN = re.compile(r"sk-ant-[A-Za-z0-9_\-]+|sk-[A-Za-z0-9_\-]{16,}")


def redact(text: str, key: str | None) -> str:
    if key:
        text = text.replace(key, "[key]")
    return _KEY_PATTERN.sub("[key]", text)


def shorten(text: str, limit: int = 240) -> str:
    """``text`` on one line (white space folded), cut to ``limit`` characters with "..." if longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def by_status(status: int) -> type[ApiError]:
    if status in (401, 403):
        return KeyRejected
    if status == 404:
        return ModelNotFound
    if status == 429:
        return RateLimited
    if status == 529:
        return Overloaded
    if status >= 500:
        return ServerError
    return BadRequest


def parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def host(base_url: str | None, default: str) -> str:
    """``scheme://host:port`` of a base URL, without a path or credentials."""
    parts = urlsplit(base_url or default)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}"


def is_local(base_url: str | None) -> bool:
    return urlsplit(base_url or "").hostname in ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def status_line(
    cls: type[ApiError],
    *,
    who: str,
    model: str,
    where: str,
    paren: str,
    key_hint: str,
    model_hint: str,
) -> str:
    """The message for an HTTP error status or an error in the stream.

    ``who``: "the API", "the ollama server"; ``where``: "", " mid-stream" or " mid-reply"; ``paren``:
    "(status type: detail)"; ``key_hint``: what to do about a rejected key; ``model_hint``: about an
    unknown model.
    """
    if cls is KeyRejected:
        return f"{who} rejected the key{where} {paren}; {key_hint}"
    if cls is ModelNotFound:
        return f"model {model!r} not found{where} {paren}; {model_hint}"
    if cls is RateLimited:
        return f"rate limited by {who}{where} {paren}"
    if cls is Overloaded:
        return f"{who} is overloaded{where} {paren}; try again in a moment"
    if cls is ServerError:
        return f"{who} failed{where} {paren}; try again"
    if cls is ApiTimeout:
        return f"{who} timed out{where} {paren}"
    return f"{who} refused the request{where} {paren}"


def timeout_line(who: str, timeout: float, during: bool) -> ApiTimeout:
    if during:
        return ApiTimeout(f"the reply stalled: nothing for {timeout:g} s (timeout)", during_reply=True)
    return ApiTimeout(f"no answer from {who} within {timeout:g} s (timeout)")


def unreachable_line(who: str, url: str, reason: str, hint: str = "") -> ConnectionLost:
    return ConnectionLost(f"cannot reach {who} at {url}: {reason}{hint}")


def dropped_line(who: str, during: bool) -> ConnectionLost:
    where = " mid-reply" if during else " before the reply"
    return ConnectionLost(f"the connection to {who} dropped{where}", during_reply=during)


def check_cut(reply: str, max_tokens: int) -> None:
    """The reply hit the length limit: an error if that was inside its code (the prose after is fine)."""
    fences = FenceFilter()
    segments = fences.feed(reply) + fences.finish()
    if any(kind == "code" for kind, _ in segments) and not fences.code_ended:
        raise ReplyIncomplete(
            f"the reply reached --max-tokens {max_tokens} before its code was complete;"
            " the unfinished statement did not run (raise --max-tokens)"
        )
