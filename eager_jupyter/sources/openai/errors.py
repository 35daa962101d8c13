"""How the openai SDK's failures become the shared errors of ``sources/errors.py``, and the key.

The tree is drawn in ``sources/errors.py``. What differs by provider is the wording of what to do:
the key's variable (or, for a provider without one, how to configure it), ``ollama pull <model>`` for
a model Ollama does not have, the URL of a local server that is not running.

Three kinds of SDK failure arrive here:
- ``APIStatusError``: an HTTP error status, with the body's ``error`` object (``message``, ``type``,
  ``code``). The class follows the status (``errors.by_status``).
- ``APIError`` with a body and no status: an error chunk in the stream (``data: {"error": {...}}``, as
  OpenRouter, Ollama and vLLM send when a generation fails after the 200). The class follows the
  error's numeric ``code`` if it has one, else its ``type`` or ``code`` string (``_BY_TYPE``).
- ``APITimeoutError`` and ``APIConnectionError`` (or httpx2's own errors, raised while reading the
  stream): a connection refused before any answer (``unreachable``), or dropped after it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..errors import (
    ApiError,
    ApiTimeout,
    BadRequest,
    KeyRejected,
    MissingApiKey,
    MissingSdk,
    ModelNotFound,
    RateLimited,
    ServerError,
    by_status,
    dropped_line,
    host,
    is_local,
    parse_retry_after,
    redact,
    shorten,
    status_line,
    timeout_line,
    unreachable_line,
)
from ..providers import Provider

__all__ = ["check_sdk", "missing_key", "translate", "who"]

MISSING_SDK = (
    "the {name} provider needs the openai package, which is not installed: "
    "pip install 'eager-jupyter[openai]' (then restart the kernel)"
)

_BY_TYPE: dict[str, type[ApiError]] = {
    "invalid_request_error": BadRequest,
    "authentication_error": KeyRejected,
    "invalid_api_key": KeyRejected,
    "permission_error": KeyRejected,
    "not_found_error": ModelNotFound,
    "model_not_found": ModelNotFound,
    "rate_limit_error": RateLimited,
    "rate_limit_exceeded": RateLimited,
    "requests": RateLimited,
    "tokens": RateLimited,
    "server_error": ServerError,
    "api_error": ServerError,
    "internal_error": ServerError,
    "timeout_error": ApiTimeout,
}


def check_sdk(provider: Provider) -> None:
    """Raise ``MissingSdk`` (naming the extra to install) if the openai package is not importable."""
    import importlib.util

    if importlib.util.find_spec("openai") is None:
        raise MissingSdk(MISSING_SDK.format(name=provider.name))


def missing_key(provider: Provider) -> MissingApiKey:
    env = provider.api_key_env or "?"
    return MissingApiKey(
        f"no {provider.name} API key: set the {env} environment variable before starting Jupyter, "
        f"or run %env {env}=<your key> in the notebook (and delete that cell before saving); "
        "--replay FILE and --replay-trace FILE work offline"
    )


def who(provider: Provider, base_url: str | None) -> str:
    """How messages name the other end: "the OpenAI API", "the ollama server"."""
    if provider.name == "openai":
        return "the OpenAI API"
    return f"the {provider.name} server"


def _key_hint(provider: Provider) -> str:
    if provider.api_key_env:
        return f"check {provider.api_key_env}"
    return (
        f"this server wants a key: %config Eager.providers = "
        f'{{"{provider.name}": {{"api_key_env": "<VARIABLE>"}}}} and set that variable'
    )


def _model_hint(provider: Provider, model: str, base_url: str | None) -> str:
    if provider.name == "ollama":
        return f"pull it with `ollama pull {model}`, or choose another with -m ollama:<model>"
    hint = "choose another with -m/--model"
    if base_url is not None:
        path = urlsplit(base_url).path.rstrip("/")
        hint += f" or check the base URL {host(base_url, base_url)}{path}"  # without any user:password
        if not base_url.rstrip("/").endswith("/v1"):
            hint += " (OpenAI-compatible servers usually end in /v1)"
    return hint


def translate(
    error: BaseException,
    *,
    during: bool,
    key: str,
    provider: Provider,
    model: str,
    base_url: str | None,
    timeout: float,
    temperature: float | None,
) -> ApiError:
    """The SDK's or httpx2's exception as one of ours: one line, the key redacted, no references.

    ``during``: some text had been streamed already.
    """
    import httpx2
    import openai

    name = who(provider, base_url)
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        etype, detail = _body(error.body, key)
        cls = by_status(status)
        paren = f"({status} {etype or 'error'}: {detail})" if detail else f"({status} {etype or 'error'})"
        message = _status_line(cls, name, provider, model, base_url, "", paren)
        message += _bad_request_hint(cls, detail, provider, temperature)
        retry_after = parse_retry_after(error.response.headers.get("retry-after"))
        if cls is RateLimited and retry_after is not None:
            message += f"; retry after {retry_after:g} s"
        return cls(redact(message, key), status=status, during_reply=during, retry_after=retry_after)
    if isinstance(error, openai.APITimeoutError | httpx2.TimeoutException):
        return timeout_line(name, timeout, during)
    if isinstance(error, openai.APIConnectionError) and not during and not _started_streaming(error):
        reason = shorten(redact(str(error.__cause__ or error), key), 120)
        url = host(base_url, "https://api.openai.com")
        hint = ""
        if is_local(base_url):
            hint = "; is the server running?" + (
                " Start it with `ollama serve`" if provider.name == "ollama" else ""
            )
        return unreachable_line(name, url, reason, hint)
    if isinstance(error, openai.APIConnectionError | httpx2.TransportError):
        return dropped_line(name, during)
    if isinstance(error, openai.APIError):  # an error chunk in the stream
        etype, detail = _body(error.body, key)
        code = error.body.get("code") if isinstance(error.body, dict) else None
        cls = (
            by_status(code)
            if isinstance(code, int) and code >= 400
            else _BY_TYPE.get(etype or "", ServerError)
        )
        where = " mid-reply" if during else " mid-stream"
        paren = f"({etype or 'error'}: {detail})" if detail else f"({etype or 'error'})"
        message = _status_line(cls, name, provider, model, base_url, where, paren)
        return cls(redact(message, key), during_reply=during)
    mid = " mid-reply" if during else ""
    text = shorten(redact(f"{type(error).__name__}: {error}", key), 160)
    return ApiError(f"unexpected failure of the openai client{mid}: {text}", during_reply=during)


def _status_line(
    cls: type[ApiError],
    name: str,
    provider: Provider,
    model: str,
    base_url: str | None,
    where: str,
    paren: str,
) -> str:
    return status_line(
        cls,
        who=name,
        model=model,
        where=where,
        paren=paren,
        key_hint=_key_hint(provider),
        model_hint=_model_hint(provider, model, base_url),
    )


def _body(body: Any, key: str) -> tuple[str | None, str]:
    """The error's string code (or its type) and its message, one line, redacted."""
    if isinstance(body, dict):
        code, kind = body.get("code"), body.get("type")
        etype = code if isinstance(code, str) and code else kind if isinstance(kind, str) else None
        message = body.get("message")
        detail = message if isinstance(message, str) else ""
    else:
        etype, detail = None, body if isinstance(body, str) else ""
    return etype, shorten(redact(detail, key), 160)


def _bad_request_hint(cls: type[ApiError], detail: str, provider: Provider, temperature: float | None) -> str:
    if cls is not BadRequest:
        return ""
    if temperature is not None and "temperature" in detail:
        return "; leave --temperature unset for this model"
    if "stream_options" in detail:
        return f'; this server refuses usage in the stream: set "stream_usage": False for {provider.name}'
    if "max_tokens" in detail or "max_completion_tokens" in detail:
        other = (
            "max_tokens" if provider.max_tokens_field == "max_completion_tokens" else "max_completion_tokens"
        )
        return f'; this server may want "max_tokens_field": "{other}" for {provider.name} in Eager.providers'
    return ""


def _started_streaming(error: BaseException) -> bool:
    """Whether a connection error happened after the server answered (a drop, not a refusal)."""
    import httpx2

    cause = error.__cause__
    return isinstance(cause, httpx2.RemoteProtocolError | httpx2.ReadError)
