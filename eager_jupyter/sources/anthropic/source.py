"""The Anthropic source: Claude writes the code, streamed from the Messages API as it is written.

``AnthropicSource`` implements :class:`~eager_jupyter.sources.base.Source` with ``kind == "markdown"``:
``stream()`` yields the text deltas of one streaming Messages request (through the ``anthropic`` SDK,
``client.messages.create(stream=True)``), and the engine's fence filter picks the Python block out.
The magic builds one per cell with :meth:`AnthropicSource.for_notebook` (request with ``{name}``
expanded, the namespace summary, the kernel's conversation), checks the key first with
:func:`check_api_key`, and for ``--fix`` asks :meth:`AnthropicSource.continuation` for the next round.

Configuration: ``ANTHROPIC_API_KEY`` (or ``api_key=``), ``ANTHROPIC_BASE_URL`` (or ``base_url=``),
model id (any string: never checked against a list), ``max_tokens``, ``temperature``. The SDK 2.x
dropped sampling parameters (it sends ``anthropic-version: 2026-10-21``, which refuses them), so a
``temperature`` is only sent when asked for, in ``extra_body``; where the API refuses it, the 400
becomes a ``BadRequest`` that says to leave it unset.

Retries (only before the first text, the SDK's own loop off), closing (every socket shut down from
any thread), recording and ``--fix`` are the same for every provider: ``sources/remote.py``. What is
Anthropic's is here: the client, the request, the events (``stream.py``) and how failures read
(``errors.py``: one line each, never carrying the SDK's exception or the key).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

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
)
from ..prompt import Conversation, RequestError
from ..remote import DEFAULT_BACKOFF, DEFAULT_MAX_TOKENS, DEFAULT_TIMEOUT, RemoteSource
from .errors import (
    API_KEY_ENV,
    MISSING_KEY,
    AnthropicSourceError,
    api_key_from_env,
    check_api_key,
    translate,
)
from .stream import ReplyState, check_stop

if TYPE_CHECKING:
    import anthropic

    from ..sockets import Connections

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BACKOFF",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT",
    "MISSING_KEY",
    "AnthropicSource",
    "AnthropicSourceError",
    "ApiError",
    "ApiTimeout",
    "BadRequest",
    "ConnectionLost",
    "Conversation",
    "KeyRejected",
    "MissingApiKey",
    "ModelNotFound",
    "Overloaded",
    "RateLimited",
    "RecordError",
    "ReplyIncomplete",
    "RequestError",
    "ServerError",
    "check_api_key",
]

#: the newest Sonnet the SDK knows (claude-sonnet-4-5 is deprecated: end of life 2026-11-30)
DEFAULT_MODEL = "claude-sonnet-5-5"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"


class AnthropicSource(RemoteSource):
    """Streams Claude's reply to one request. See the module docstring for the design."""

    provider = "anthropic"
    settings_module = __package__ or __name__

    def __init__(
        self,
        request: str,
        *,
        model: str = DEFAULT_MODEL,
        api_key: str | None = None,
        base_url: str | None = None,
        **options: Any,
    ) -> None:
        """``options`` are ``RemoteSource``'s (context, conversation, max_tokens, record, ...)."""
        key = api_key or api_key_from_env()
        check_api_key(key)
        base = base_url or os.environ.get(BASE_URL_ENV) or None
        super().__init__(request, api_key=key, model=model, base_url=base, **options)

    def _new_run(self) -> None:
        super()._new_run()
        self._state = ReplyState()
        self.usage = self._state.usage  # filled as the events come

    @classmethod
    def _key_for(cls, options: dict[str, Any]) -> str | None:
        key = options.get("api_key") or api_key_from_env()
        check_api_key(key)
        return key

    @property
    def stop_reason(self) -> str | None:
        return self._state.stop_reason

    @property
    def served_model(self) -> str | None:
        """The model id the API answered with."""
        return self._state.served_model

    # ---- what RemoteSource asks of a provider --------------------------------------------------
    def _client(self, connections: Connections) -> anthropic.Anthropic:
        import anthropic
        import httpx2

        from .sockets import closable_http_client

        timeout = httpx2.Timeout(self.timeout, connect=min(self.connect_timeout, self.timeout))
        return anthropic.Anthropic(
            api_key=self._key.reveal(),
            base_url=self.base_url,
            max_retries=0,
            timeout=timeout,
            http_client=closable_http_client(connections, timeout),
        )

    def _events(self, client: anthropic.Anthropic) -> Any:
        return client.messages.create(
            model=self.model or DEFAULT_MODEL,
            max_tokens=self.max_tokens,
            system=self.system,
            messages=cast(Any, self.messages),
            stream=True,
            # The SDK (2.x) has no sampling parameters: API version 2026-10-21 refuses them. A
            # temperature the user asked for is sent as is; where it is refused, the 400 says so.
            extra_body=None if self.temperature is None else {"temperature": self.temperature},
        )

    def _feed(self, event: Any) -> str | None:
        return self._state.feed(event)

    def _ended(self) -> bool:
        return self._state.stopped

    def _cut_message(self) -> str:
        return "the API's reply ended before message_stop"

    def _failure(self, error: BaseException) -> ApiError:
        return translate(
            error,
            during=bool(self._pieces),
            key=self._key.reveal(),
            model=self.model or DEFAULT_MODEL,
            base_url=self.base_url,
            timeout=self.timeout,
            temperature=self.temperature,
        )

    def _check_end(self) -> None:
        check_stop(self.stop_reason, self.reply, self.max_tokens)

    def _end_info(self) -> dict[str, Any]:
        return {"usage": dict(self.usage), "stop_reason": self.stop_reason}
