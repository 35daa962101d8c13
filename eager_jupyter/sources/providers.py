"""Which service a model name means, where it is, which key it needs, and what a run costs.

Pure: no SDK, no network, no environment read except through the mapping passed in, so
``tests/test_providers.py`` covers all of it (and runs on the other Pythons too).

A model spec is ``provider:model``. The rule, in order:

1. No ``:`` at all: an Anthropic model id (``claude-sonnet-5-5``), as before providers existed. A bare
   name that *is* a provider other than ``anthropic`` (``-m ollama``) is an error asking for a model.
2. Otherwise the text before the first ``:`` is the provider and everything after it is the model id,
   which may hold more colons (``ollama:qwen3-coder:7b`` is Ollama's ``qwen3-coder:7b``).
3. A prefix that is not a known provider (built-in or from ``Eager.providers``) is an error naming the
   known ones, never silently an Anthropic id; an Anthropic id with a colon is written
   ``anthropic:that:id``.

Built-in providers (``BUILTIN``): ``anthropic`` (the Messages API), and three that speak the OpenAI
chat completions protocol: ``openai`` (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``), ``ollama`` (no key,
``http://localhost:11434/v1``) and ``openai-compatible`` (anything else: needs a base URL; sends a key
only if ``OPENAI_COMPATIBLE_API_KEY`` is set, so an OpenAI key never goes to a third party by
accident). ``Eager.providers`` adds more, or changes a built-in's fields::

    {"vllm": {"base_url": "http://gpu:8000/v1", "api_key_env": "VLLM_API_KEY"}}

Fields: ``base_url``, ``api_key_env`` (the variable holding the key; absent: no key), ``key_required``
(default: true when ``api_key_env`` is given), ``api`` (``"openai"``, the default for new providers, or
``"anthropic"``), ``max_tokens_field`` (``"max_tokens"`` or ``"max_completion_tokens"``),
``stream_usage`` (ask for usage in the stream; default true). Anything else is one clear line.

Prices (``PRICES``, USD per million input / output tokens) are keyed by normalized spec
(``anthropic:claude-sonnet-5-5``); ``Eager.prices`` adds or overrides (``{"openai:gpt-x": [1.0, 4.0]}``,
a bare key is an Anthropic id). A model id with a date suffix (``gpt-4o-2024-08-06``,
``claude-sonnet-4-5-20250929``) takes its base id's price. Local providers (``free``: Ollama) cost 0.
Anything else is ``None``: unknown, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from .base import SourceError

__all__ = [
    "BUILTIN",
    "PRICES",
    "ModelSpec",
    "Provider",
    "ProviderError",
    "Resolved",
    "check_prices",
    "cost_usd",
    "parse_spec",
    "provider_table",
    "resolve",
]

Api = Literal["anthropic", "openai"]


class ProviderError(SourceError):
    """A model spec, ``Eager.providers`` or ``Eager.prices`` that cannot be used (one line)."""


@dataclass(frozen=True)
class Provider:
    name: str
    api: Api = "openai"
    #: the default base URL (None: the SDK's own default, or required when ``needs_base_url``)
    base_url: str | None = None
    #: an environment variable that overrides ``base_url`` (OPENAI_BASE_URL, ANTHROPIC_BASE_URL)
    base_url_env: str | None = None
    #: the environment variable holding the key (None: no key is sent)
    api_key_env: str | None = None
    key_required: bool = False
    needs_base_url: bool = False
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    stream_usage: bool = True
    #: a local server: runs cost nothing, and a refused connection means "start the server"
    free: bool = False


BUILTIN: dict[str, Provider] = {
    "anthropic": Provider(
        "anthropic",
        api="anthropic",
        base_url_env="ANTHROPIC_BASE_URL",
        api_key_env="ANTHROPIC_API_KEY",
        key_required=True,
    ),
    "openai": Provider(
        "openai",
        base_url_env="OPENAI_BASE_URL",
        api_key_env="OPENAI_API_KEY",
        key_required=True,
        # the Chat Completions API deprecated max_tokens; its reasoning models refuse it
        max_tokens_field="max_completion_tokens",
    ),
    "ollama": Provider("ollama", base_url="http://localhost:11434/v1", free=True),
    "openai-compatible": Provider(
        "openai-compatible", api_key_env="OPENAI_COMPATIBLE_API_KEY", needs_base_url=True
    ),
}

_NAME = re.compile(r"[a-z][a-z0-9_.-]*")
_FIELDS = {f.name for f in fields(Provider)} - {"name"}


def provider_table(config: Mapping[str, Any] | None = None) -> dict[str, Provider]:
    """The built-in providers, with ``config`` (``Eager.providers``) checked and merged in."""
    table = dict(BUILTIN)
    for name, entry in (config or {}).items():
        where = f"Eager.providers[{name!r}]"
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ProviderError(f"{where}: a provider name is lower-case letters, digits, '-', '_' or '.'")
        if not isinstance(entry, Mapping):
            raise ProviderError(f'{where} must be a dict such as {{"base_url": "http://host:8000/v1"}}')
        unknown = sorted(set(entry) - _FIELDS)
        if unknown:
            raise ProviderError(f"{where}: unknown field {unknown[0]!r}; known: {', '.join(sorted(_FIELDS))}")
        values = dict(entry)
        for key in ("base_url", "base_url_env", "api_key_env"):
            value = values.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ProviderError(f"{where}: {key} must be a non-empty string")
        url = values.get("base_url")
        if isinstance(url, str) and not re.match(r"https?://[^/\s]+", url):
            raise ProviderError(f"{where}: base_url must start with http:// or https://, not {url!r}")
        for key in ("key_required", "needs_base_url", "stream_usage", "free"):
            if key in values and not isinstance(values[key], bool):
                raise ProviderError(f"{where}: {key} must be True or False")
        if values.get("api", "openai") not in ("openai", "anthropic"):
            raise ProviderError(f"{where}: api must be 'openai' or 'anthropic'")
        if values.get("max_tokens_field", "max_tokens") not in ("max_tokens", "max_completion_tokens"):
            raise ProviderError(f"{where}: max_tokens_field must be 'max_tokens' or 'max_completion_tokens'")
        base = table.get(name)
        if base is None:
            values.setdefault("key_required", values.get("api_key_env") is not None)
            if "base_url" not in values and "base_url_env" not in values:
                values.setdefault("needs_base_url", True)
            table[name] = Provider(name, **values)
        else:
            table[name] = replace(base, **values)
    return table


@dataclass(frozen=True)
class ModelSpec:
    provider: Provider
    model: str

    @property
    def spec(self) -> str:
        """The normalized ``provider:model`` (the key of the price table)."""
        return f"{self.provider.name}:{self.model}"


def parse_spec(text: str, table: Mapping[str, Provider] | None = None) -> ModelSpec:
    """``provider:model`` (or a bare Anthropic id) as a provider and a model id; see the module rule."""
    table = BUILTIN if table is None else table
    text = text.strip()
    if not text:
        raise ProviderError("no model: give -m provider:model (e.g. -m ollama:qwen3-coder)")
    prefix, colon, model = text.partition(":")
    if not colon:
        if text in table and text != "anthropic":
            raise ProviderError(f"-m {text}: which model? write {text}:<model>, e.g. {_example(text)}")
        return ModelSpec(table["anthropic"], text)
    if prefix not in table:
        known = ", ".join(table)
        raise ProviderError(
            f"unknown provider {prefix!r} in {text!r}; known: {known} "
            "(add one with %config Eager.providers, or write anthropic:<id> for an Anthropic id)"
        )
    if not model.strip():
        raise ProviderError(f"-m {text}: no model after the provider, e.g. {_example(prefix)}")
    return ModelSpec(table[prefix], model.strip())


def _example(provider: str) -> str:
    return {"ollama": "ollama:qwen3-coder", "openai": "openai:gpt-5-mini"}.get(provider, f"{provider}:<id>")


@dataclass(frozen=True)
class Resolved:
    """Where a request goes: the base URL (None: the SDK's default) and the key (None: none)."""

    base_url: str | None
    api_key: str | None
    api_key_env: str | None


def resolve(provider: Provider, env: Mapping[str, str], base_url: str | None = None) -> Resolved:
    """The base URL and key for ``provider``: ``base_url`` (``--base-url``) first, then its env
    variable, then its default. Raises ``ProviderError`` when a base URL is required and missing.
    A missing required key is left to the source (its message names the variable)."""
    url = (base_url or "").strip() or None
    if url is None and provider.base_url_env:
        url = env.get(provider.base_url_env, "").strip() or None
    url = url or provider.base_url
    if url is None and provider.needs_base_url:
        raise ProviderError(
            f"the {provider.name} provider needs a base URL: --base-url http://host:port/v1"
            + (
                " or %config Eager.base_url = ..."
                if provider.name == "openai-compatible"
                else f' or %config Eager.providers = {{"{provider.name}": {{"base_url": ...}}}}'
            )
        )
    if url is not None and not re.match(r"https?://[^/\s]+", url):
        raise ProviderError(f"base URL must start with http:// or https://, not {url!r}")
    key = None
    if provider.api_key_env:
        key = env.get(provider.api_key_env, "").strip() or None
    return Resolved(url, key, provider.api_key_env)


# ---- cost ------------------------------------------------------------------------------------------

#: USD per million (input, output) tokens, as published by Anthropic and OpenAI on their pricing pages
#: when this table was written; prices change, so check them, and set your own with Eager.prices.
PRICES: dict[str, tuple[float, float]] = {
    "anthropic:claude-sonnet-5-5": (2.0, 10.0),
    "anthropic:claude-opus-5-5": (4.0, 20.0),
    "anthropic:claude-opus-5": (5.0, 25.0),
    "anthropic:claude-opus-4-5": (5.0, 25.0),
    "anthropic:claude-sonnet-4-5": (3.0, 15.0),
    "anthropic:claude-haiku-4-5": (1.0, 5.0),
    "openai:gpt-5": (1.25, 10.0),
    "openai:gpt-5-mini": (0.25, 2.0),
    "openai:gpt-5-nano": (0.05, 0.40),
    "openai:gpt-4.1": (2.0, 8.0),
    "openai:gpt-4.1-mini": (0.40, 1.60),
    "openai:gpt-4.1-nano": (0.10, 0.40),
    "openai:gpt-4o": (2.50, 10.0),
    "openai:gpt-4o-mini": (0.15, 0.60),
}

#: Anthropic bills cache writes at 1.25x and cache reads at 0.1x the input price
_CACHE_FACTORS = {"cache_creation_input_tokens": 1.25, "cache_read_input_tokens": 0.1}
_DATE_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")


def check_prices(prices: Mapping[str, Any] | None) -> dict[str, tuple[float, float]]:
    """``Eager.prices`` checked and normalized (bare keys become ``anthropic:``); one line if bad."""
    out: dict[str, tuple[float, float]] = {}
    for key, value in (prices or {}).items():
        where = f"Eager.prices[{key!r}]"
        if not isinstance(key, str) or not key.strip():
            raise ProviderError(f"{where}: a key is a model spec such as 'openai:gpt-5-mini'")
        ok = (
            isinstance(value, Sequence)
            and not isinstance(value, str)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value)
        )
        if not ok:
            raise ProviderError(
                f"{where} must be [input, output] in USD per million tokens, e.g. [0.25, 2.0]"
            )
        out[_normalize(key)] = (float(value[0]), float(value[1]))
    return out


def _normalize(spec: str) -> str:
    spec = spec.strip()
    return spec if ":" in spec else f"anthropic:{spec}"


def cost_usd(
    spec: str,
    usage: Mapping[str, int],
    prices: Mapping[str, Any] | None = None,
    providers: Mapping[str, Any] | None = None,
) -> float | None:
    """Dollars for ``usage`` (``input_tokens``, ``output_tokens``, Anthropic's cache counts) of the
    model ``spec`` (``provider:model`` as ``Source.spec`` gives it), or ``None`` when no price is
    known or no token was counted. ``prices`` (``Eager.prices``) come before the shipped table;
    ``providers`` (``Eager.providers``) says which configured providers are ``free``."""
    if not any(isinstance(usage.get(k), int) for k in ("input_tokens", "output_tokens")):
        return None
    spec = _normalize(spec)
    provider = spec.partition(":")[0]
    price = _price(spec, check_prices(prices))
    if price is None:
        table_provider = provider_table(providers).get(provider)
        if table_provider is None or not table_provider.free:
            return None
        price = (0.0, 0.0)
    per_in, per_out = price
    total = usage.get("input_tokens", 0) * per_in + usage.get("output_tokens", 0) * per_out
    for name, factor in _CACHE_FACTORS.items():
        total += usage.get(name, 0) * per_in * factor
    return total / 1_000_000


def _price(spec: str, user: Mapping[str, tuple[float, float]]) -> tuple[float, float] | None:
    base = _DATE_SUFFIX.sub("", spec)
    for candidate in (spec, base):
        for table in (user, PRICES):
            if candidate in table:
                return table[candidate]
    return None
