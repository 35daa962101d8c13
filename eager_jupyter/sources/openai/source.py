"""The OpenAI-compatible source: any chat completions endpoint writes the code, streamed as it is written.

``OpenAISource`` implements :class:`~eager_jupyter.sources.base.Source` with ``kind == "markdown"``,
like the Anthropic source and with the same behaviour (``sources/remote.py``: the retry rule, closing,
recording, ``--fix``, the key's handling): ``stream()`` yields the ``content`` deltas of one streaming
chat completion (the official ``openai`` SDK, ``client.chat.completions.create(stream=True)``) and the
engine's fence filter picks the Python block out. One class serves every provider that speaks that
protocol (OpenAI, Ollama, vLLM, LM Studio, OpenRouter, ...): what differs between them is data, a
``providers.Provider`` (base URL, the key's variable, which max-tokens field, whether usage may be
asked for in the stream).

The request: the system prompt as the first message (``role: system``), then the conversation and the
user turn (``prompt.py``), ``stream_options: {"include_usage": true}`` where the provider allows it,
``max_tokens`` or ``max_completion_tokens``, ``temperature`` only when asked for. A provider without a
key (Ollama) gets a placeholder, as the SDK requires one; a provider whose key is required and missing
fails before anything is sent, naming the variable.

Usage comes as ``input_tokens`` and ``output_tokens`` (from the API's ``prompt_tokens`` and
``completion_tokens``), the same keys as the Anthropic source's. ``stream.py`` reads the chunks,
``errors.py`` words the failures.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from ..errors import ApiError
from ..providers import BUILTIN, Provider, resolve
from ..remote import DEFAULT_BACKOFF, DEFAULT_TIMEOUT, RemoteSource
from .errors import check_sdk, missing_key, translate, who
from .stream import ChunkState, ToolCall, check_finish

if TYPE_CHECKING:
    import openai

    from ..sockets import Connections

__all__ = ["DEFAULT_BACKOFF", "DEFAULT_TIMEOUT", "NO_KEY", "OpenAISource", "ToolCall"]

#: what a provider without a key sends (the SDK refuses to build a client with no key at all)
NO_KEY = "no-key"


class OpenAISource(RemoteSource):
    """Streams a chat completion from an OpenAI-compatible endpoint. See the module docstring."""

    settings_module = __package__ or __name__

    def __init__(
        self,
        request: str,
        *,
        model: str,
        provider: Provider | str = "openai",
        api_key: str | None = None,
        base_url: str | None = None,
        **options: Any,
    ) -> None:
        """``options`` are ``RemoteSource``'s (context, conversation, max_tokens, record, ...)."""
        spec = BUILTIN[provider] if isinstance(provider, str) else provider
        resolved = resolve(spec, os.environ, base_url)
        key = api_key or resolved.api_key
        if spec.key_required and not key:
            raise missing_key(spec)
        self.endpoint = spec
        self.provider = spec.name
        super().__init__(request, api_key=key, model=model, base_url=resolved.base_url, **options)

    def _new_run(self) -> None:
        super()._new_run()
        self._state = ChunkState()
        self.usage = self._state.usage  # filled as the events come

    @classmethod
    def _key_for(cls, options: dict[str, Any]) -> str | None:
        provider = options.get("provider", "openai")
        spec = BUILTIN[provider] if isinstance(provider, str) else provider
        check_sdk(spec)
        key = options.get("api_key") or resolve(spec, os.environ, options.get("base_url")).api_key
        if spec.key_required and not key:
            raise missing_key(spec)
        return key if isinstance(key, str) else None

    @property
    def finish_reason(self) -> str | None:
        return self._state.finish_reason

    stop_reason = finish_reason

    @property
    def served_model(self) -> str | None:
        """The model id the server answered with."""
        return self._state.served_model

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls streamed so far, in order (their ``pieces`` as they were split)."""
        return [self._state.tool_calls[i] for i in sorted(self._state.tool_calls)]

    # ---- what RemoteSource asks of a provider --------------------------------------------------
    def _client(self, connections: Connections) -> openai.OpenAI:
        import httpx2
        import openai

        from ..sockets import hook_client, ssl_context

        timeout = httpx2.Timeout(self.timeout, connect=min(self.connect_timeout, self.timeout))
        http_client = openai.DefaultHttpxClient(timeout=timeout, verify=ssl_context())
        return openai.OpenAI(
            api_key=self._key.reveal() or NO_KEY,
            base_url=self.base_url,
            max_retries=0,
            timeout=timeout,
            http_client=hook_client(http_client, connections),
            # not from the environment: OPENAI_ORG_ID etc. belong to OpenAI, not to a local server
            organization=None,
            project=None,
        )

    def _events(self, client: openai.OpenAI) -> Any:
        return self._create(client, self.messages)

    def _create(self, client: Any, messages: Sequence[Any], **extra: Any) -> Any:
        """One streamed chat completion of ``messages`` after the system prompt (``extra``: tools)."""
        options: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": self.system}, *messages],
            **extra,
            "stream": True,
            self.endpoint.max_tokens_field: self.max_tokens,
        }
        if self.endpoint.stream_usage:
            options["stream_options"] = {"include_usage": True}
        if self.temperature is not None:
            options["temperature"] = self.temperature
        return cast(Any, client.chat.completions).create(**options)

    def _feed(self, event: Any) -> str | None:
        return self._state.feed(event)

    def _ended(self) -> bool:
        return self._state.finished

    def _cut_message(self) -> str:
        return f"{who(self.endpoint, self.base_url)}'s reply ended before its finish_reason"

    def _failure(self, error: BaseException) -> ApiError:
        return translate(
            error,
            during=bool(self._pieces),
            key=self._key.reveal(),
            provider=self.endpoint,
            model=self.model or "",
            base_url=self.base_url,
            timeout=self.timeout,
            temperature=self.temperature,
        )

    def _check_end(self) -> None:
        check_finish(self._state, self.reply, self.max_tokens, who(self.endpoint, self.base_url))

    def _end_info(self) -> dict[str, Any]:
        return {"usage": dict(self.usage), "stop_reason": self.finish_reason}
