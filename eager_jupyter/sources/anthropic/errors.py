"""The Anthropic source's errors, the API key's handling, and how SDK failures become errors.

Everything the Anthropic source raises is a ``SourceError`` whose ``str()`` is one line. None of them
carries the SDK's exception (they are raised outside the ``except`` block, so not even as
``__context__``): the SDK's request objects hold the key in their headers::

    SourceError
      RequestError            the request text: an unknown {name}, a secret-looking {name} (_prompt)
      AnthropicSourceError
        MissingApiKey         no key; the magic checks first and raises it as a UsageError
        RecordError           --record FILE cannot be written
        ReplyIncomplete       the reply stopped before its code was complete (any stop reason but
                              end_turn, stop_sequence; none; refusal)
        ApiError              the API or the network failed: .status, .during_reply, .retry_after
          KeyRejected         401, 403
          ModelNotFound       404
          BadRequest          400, 413 and other 4xx
          RateLimited         429                      (retried before the first text)
          Overloaded          529                      (retried before the first text)
          ServerError         500 and other 5xx        (retried before the first text)
          ApiTimeout          no byte for ``timeout`` seconds (retried before the first text)
          ConnectionLost      cannot connect, or the connection dropped (retried before the first text)

An SSE ``error`` event is mapped by its ``error.type`` to the same classes, with ``during_reply``.

The key. It lives in a ``_Secret`` (``repr`` shows nothing) and only reaches the SDK client made for
one ``stream()``. It is never in a message, the trace, the conversation, the namespace summary (the
key is passed to ``summarize_namespace`` as a secret) or an expanded ``{name}``; every error text
goes through ``redact`` as well.

Status codes and ``error.type`` values are those of the API's error documentation; an unknown type
falls back to the status code (any 5xx is a ``ServerError``, any other 4xx a ``BadRequest``).
"""

from __future__ import annotations

import os
import re

from ..base import SourceError
from ..prompt import RequestError

__all__ = [
    "API_KEY_ENV",
    "MISSING_KEY",
    "AnthropicSourceError",
    "ApiError",
    "ApiTimeout",
    "BadRequest",
    "ConnectionLost",
    "KeyRejected",
    "MissingApiKey",
    "ModelNotFound",
    "Overloaded",
    "RateLimited",
    "RecordError",
    "ReplyIncomplete",
    "RequestError",
    "ServerError",
    "api_key_from_env",
    "check_api_key",
    "one_line",
    "redact",
    "translate",
]

API_KEY_ENV = "ANTHROPIC_API_KEY"

MISSING_KEY = (
    "no Anthropic API key: set the ANTHROPIC_API_KEY environment variable before starting Jupyter, "
    "or run %env ANTHROPIC_API_KEY=<your key> in the notebook (and delete that cell before saving); "
    "--replay FILE and --replay-trace FILE work offline"
)


class AnthropicSourceError(SourceError):
    """Anything the Anthropic source raises (besides ``RequestError``)."""


class MissingApiKey(AnthropicSourceError):
    """No key in ``ANTHROPIC_API_KEY``: the magic raises this as a ``UsageError`` before any request."""


class RecordError(AnthropicSourceError):
    """The ``--record`` file cannot be written."""


class ReplyIncomplete(AnthropicSourceError):
    """The reply stopped before its code was complete: the unfinished statement must not run."""


class ApiError(AnthropicSourceError):
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
    """404: no such model (or a base URL that is not the Messages API)."""


class BadRequest(ApiError):
    """400, 413 or another 4xx: the API refused the request as sent."""


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


_BY_TYPE: dict[str, type[ApiError]] = {
    "authentication_error": KeyRejected,
    "permission_error": KeyRejected,
    "not_found_error": ModelNotFound,
    "invalid_request_error": BadRequest,
    "request_too_large": BadRequest,
    "billing_error": BadRequest,
    "rate_limit_error": RateLimited,
    "overloaded_error": Overloaded,
    "api_error": ServerError,
    "timeout_error": ApiTimeout,
}


def api_key_from_env() -> str | None:
    key = os.environ.get(API_KEY_ENV, "").strip()
    return key or None


def check_api_key(api_key: str | None = None) -> None:
    """Raise ``MissingApiKey`` (one line: how to set it, and that replay works offline) if there is none."""
    if not (api_key or api_key_from_env()):
        raise MissingApiKey(MISSING_KEY)


class _Secret:
    """Holds the key; its ``repr`` and ``str`` show nothing."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__


_KEY_PATTERN = re.compile(r"sk-ant-[A-Za-z0-9_\-]+")


def redact(text: str, key: str | None) -> str:
    if key:
        text = text.replace(key, "[key]")
    return _KEY_PATTERN.sub("[key]", text)


def one_line(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def translate(
    error: BaseException,
    *,
    during: bool,
    key: str,
    model: str,
    base_url: str | None,
    timeout: float,
    temperature: float | None,
) -> ApiError:
    """The SDK's or httpx's exception as one of ours: one line, the key redacted, no references.

    ``during``: some text had been streamed already.
    """
    import anthropic
    import httpx2

    mid = " mid-reply" if during else ""
    if isinstance(error, anthropic.APIStatusError):
        status = error.status_code
        etype = error.type if isinstance(error.type, str) else None
        detail = one_line(redact(error.api_message or "", key), 160)
        in_stream = status == 200  # an SSE error event after a 200 response
        cls = _BY_TYPE.get(etype or "") or _by_status(status)
        code = f"{etype or 'error'}" if in_stream else f"{status} {etype or 'error'}"
        where = " mid-reply" if in_stream and during else " mid-stream" if in_stream else ""
        paren = f"({code}: {detail})" if detail else f"({code})"
        message = _describe(cls, model, where, paren, base_url)
        if cls is BadRequest and temperature is not None and "temperature" in detail:
            message += "; leave --temperature unset for this model and API version"
        retry_after = _retry_after(error.response.headers.get("retry-after"))
        if cls is RateLimited and retry_after is not None:
            message += f"; retry after {retry_after:g} s"
        return cls(
            redact(message, key),
            status=None if in_stream else status,
            during_reply=during,
            retry_after=retry_after,
        )
    if isinstance(error, anthropic.APITimeoutError | httpx2.TimeoutException):
        if during:
            return ApiTimeout(f"the reply stalled: nothing for {timeout:g} s (timeout)", during_reply=True)
        return ApiTimeout(f"no answer from the API within {timeout:g} s (timeout)")
    if isinstance(error, anthropic.APIConnectionError) and not during and not _started_streaming(error):
        reason = one_line(redact(str(error.__cause__ or error), key), 120)
        return ConnectionLost(f"cannot reach the API at {_host(base_url)}: {reason}")
    if isinstance(error, anthropic.APIConnectionError | httpx2.TransportError):
        return ConnectionLost(
            f"the connection to the API dropped{mid or ' before the reply'}", during_reply=during
        )
    text = one_line(redact(f"{type(error).__name__}: {error}", key), 160)
    return ApiError(f"unexpected failure of the Anthropic client{mid}: {text}", during_reply=during)


def _started_streaming(error: BaseException) -> bool:
    """Whether a connection error happened after the server answered (a drop, not a refusal)."""
    import httpx2

    cause = error.__cause__
    return isinstance(cause, httpx2.RemoteProtocolError | httpx2.ReadError)


def _host(base_url: str | None) -> str:
    import httpx2

    url = httpx2.URL(base_url or "https://api.anthropic.com")
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def _by_status(status: int) -> type[ApiError]:
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


def _describe(cls: type[ApiError], model: str, where: str, paren: str, base_url: str | None) -> str:
    if cls is KeyRejected:
        return f"the API rejected the key{where} {paren}; check ANTHROPIC_API_KEY"
    if cls is ModelNotFound:
        hint = " or check ANTHROPIC_BASE_URL" if base_url else ""
        return f"model {model!r} not found{where} {paren}; choose another with -m/--model{hint}"
    if cls is RateLimited:
        return f"rate limited by the API{where} {paren}"
    if cls is Overloaded:
        return f"the API is overloaded{where} {paren}; try again in a moment"
    if cls is ServerError:
        return f"the API failed{where} {paren}; try again"
    if cls is ApiTimeout:
        return f"the API timed out{where} {paren}"
    return f"the API refused the request{where} {paren}"


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
