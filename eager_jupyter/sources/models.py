"""From a model spec to the source that streams it: ``make_model_source``, the one entry point the
magic calls for a model (a replay has its own sources).

``-m`` is parsed by ``providers.parse_spec`` against the built-in providers and ``Eager.providers``;
the provider's ``api`` picks the class (``AnthropicSource`` or ``OpenAISource``), each imported only
then, so the SDK that is not used is never loaded (and the ``openai`` one may be missing: a one-line
error naming the extra). Every failure here comes before any request and is a ``SourceError`` with a
one-line message, which the magic shows as a ``UsageError``.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from typing import Any

from .prompt import Conversation
from .providers import check_prices, parse_spec, provider_table, resolve
from .remote import RemoteSource

__all__ = ["make_model_source"]


def make_model_source(
    spec: str,
    text: str,
    namespace: Mapping[str, Any],
    *,
    hidden: Collection[str] = (),
    conversation: Conversation | None = None,
    providers: Mapping[str, Any] | None = None,
    prices: Mapping[str, Any] | None = None,
    base_url: str | None = None,
    compatible_base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    **options: Any,
) -> RemoteSource:
    """The source for a ``%%eager`` cell asking the model ``spec`` (``provider:model``, or a bare
    Anthropic id) with the request ``text``.

    ``providers``: ``Eager.providers``; ``prices``: ``Eager.prices``, only checked here (so a bad
    entry is a ``UsageError`` before the request, not a failure when the run's cost is computed);
    ``base_url``: ``--base-url`` (this cell, any provider);
    ``compatible_base_url``: ``Eager.base_url`` (the ``openai-compatible`` provider's default).
    ``options`` go to the source (``max_tokens``, ``temperature``, ``record``, ...).
    Raises ``ProviderError``, ``MissingApiKey``, ``MissingSdk`` or ``RequestError`` (all ``SourceError``).
    """
    table = provider_table(providers)
    check_prices(prices)
    parsed = parse_spec(spec, table)
    provider = parsed.provider
    if provider.name == "openai-compatible" and not base_url:
        base_url = compatible_base_url or None
    resolved = resolve(provider, os.environ if env is None else env, base_url)
    common: dict[str, Any] = {
        "hidden": hidden,
        "conversation": conversation,
        "model": parsed.model,
        "base_url": resolved.base_url,
        **options,
    }
    if resolved.api_key:
        common["api_key"] = resolved.api_key
    if provider.api == "anthropic":
        from .anthropic import AnthropicSource

        return AnthropicSource.for_notebook(text, namespace, **common)
    from .openai.errors import check_sdk

    check_sdk(provider)
    from .openai import OpenAISource

    return OpenAISource.for_notebook(text, namespace, provider=provider, **common)
