"""How the Anthropic SDK's failures become the shared errors of ``sources/errors.py``, and the key.

The error tree is drawn in ``sources/errors.py`` (``AnthropicSourceError`` is its ``RemoteSourceError``,
under its old name). Here: the key's variable and its message, and ``translate``.

An SSE ``error`` event is mapped by its ``error.type`` to the same classes, with ``during_reply``.
Status codes and ``error.type`` values are those of the API's error documentation; an unknown type
falls back to the status code (any 5xx is a ``ServerError``, any other 4xx a ``BadRequest``).
"""

from __future__ import annotations

import os

from ..errors import (
    ApiError,
    ApiTimeout,
    BadRequest,
    ConnectionLost,
    KeyRejected,
    MissingApiKey,
    ModelNotFound,
    Overloaded,
    RateLimited,
    RecordError,
    ReplyIncomplete,
    ServerError,
    by_status,
    dropped_line,
    host,
    parse_retry_after,
    redact,
    shorten,
    status_line,
    timeout_line,
    unreachable_line,
)
from ..errors import RemoteSourceError as AnthropicSourceError
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
    "redact",
    "shorten",
    "translate",
]

API_KEY_ENV = "ANTHROPIC_API_KEY"

MISSING_KEY = (
    "no Anthropic API key: set the ANTHROPIC_API_KEY environment variable before starting Jupyter, "
    "or run %env ANTHROPIC_API_KEY=<your key> in the notebook (and delete that cell before saving); "
    "--replay FILE and --replay-trace FILE work offline"
)

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

    who = "the API"
    if isinstance(error, anthropic.APIStatusError):
        status = error.status_code
        etype = error.type if isinstance(error.type, str) else None
        detail = shorten(redact(error.api_message or "", key), 160)
        in_stream = status == 200  # an SSE error event after a 200 response
        cls = _BY_TYPE.get(etype or "") or by_status(status)
        code = f"{etype or 'error'}" if in_stream else f"{status} {etype or 'error'}"
        where = " mid-reply" if in_stream and during else " mid-stream" if in_stream else ""
        paren = f"({code}: {detail})" if detail else f"({code})"
        hint = " or check ANTHROPIC_BASE_URL" if base_url else ""
        message = status_line(
            cls,
            who=who,
            model=model,
            where=where,
            paren=paren,
            key_hint=f"check {API_KEY_ENV}",
            model_hint=f"choose another with -m/--model{hint}",
        )
        if cls is BadRequest and temperature is not None and "temperature" in detail:
            message += "; leave --temperature unset for this model and API version"
        retry_after = parse_retry_after(error.response.headers.get("retry-after"))
        if cls is RateLimited and retry_after is not None:
            message += f"; retry after {retry_after:g} s"
        return cls(
            redact(message, key),
            status=None if in_stream else status,
            during_reply=during,
            retry_after=retry_after,
        )
    if isinstance(error, anthropic.APITimeoutError | httpx2.TimeoutException):
        return timeout_line(who, timeout, during)
    if isinstance(error, anthropic.APIConnectionError) and not during and not _started_streaming(error):
        reason = shorten(redact(str(error.__cause__ or error), key), 120)
        return unreachable_line(who, host(base_url, "https://api.anthropic.com"), reason)
    if isinstance(error, anthropic.APIConnectionError | httpx2.TransportError):
        return dropped_line(who, during)
    mid = " mid-reply" if during else ""
    text = shorten(redact(f"{type(error).__name__}: {error}", key), 160)
    return ApiError(f"unexpected failure of the Anthropic client{mid}: {text}", during_reply=during)


def _started_streaming(error: BaseException) -> bool:
    """Whether a connection error happened after the server answered (a drop, not a refusal)."""
    import httpx2

    cause = error.__cause__
    return isinstance(cause, httpx2.RemoteProtocolError | httpx2.ReadError)
