"""Model specs, provider configuration and cost: ``eager_jupyter.sources.providers`` (pure)."""

from __future__ import annotations

import pytest

from eager_jupyter.sources.base import SourceError
from eager_jupyter.sources.providers import (
    BUILTIN,
    PRICES,
    ProviderError,
    check_prices,
    cost_usd,
    parse_spec,
    provider_table,
    resolve,
)


@pytest.mark.parametrize(
    ("spec", "provider", "model"),
    [
        ("claude-sonnet-5-5", "anthropic", "claude-sonnet-5-5"),  # a bare id: Anthropic, as before
        ("  claude-x  ", "anthropic", "claude-x"),
        ("anthropic:claude-opus-5-5", "anthropic", "claude-opus-5-5"),
        ("anthropic:weird:id", "anthropic", "weird:id"),
        ("openai:gpt-5-mini", "openai", "gpt-5-mini"),
        ("ollama:qwen3-coder", "ollama", "qwen3-coder"),
        ("ollama:qwen3-coder:7b", "ollama", "qwen3-coder:7b"),  # the model id keeps its colons
        ("openai-compatible:meta/llama-4:q4", "openai-compatible", "meta/llama-4:q4"),
    ],
)
def test_parse_spec(spec: str, provider: str, model: str) -> None:
    parsed = parse_spec(spec)
    assert parsed.provider.name == provider and parsed.model == model
    assert parsed.spec == f"{provider}:{model}"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("", "no model"),
        (
            "vlm:foo",
            "unknown provider 'vlm' in 'vlm:foo'; known: anthropic, openai, ollama, openai-compatible",
        ),
        ("ollama:", "no model after the provider"),
        ("ollama", "which model? write ollama:<model>, e.g. ollama:qwen3-coder"),
        ("openai", "which model? write openai:<model>"),
    ],
)
def test_bad_specs_are_one_clear_line(spec: str, words: str) -> None:
    with pytest.raises(ProviderError) as info:
        parse_spec(spec)
    assert words in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, SourceError)  # the magic shows it as a UsageError


def test_user_providers_add_and_change() -> None:
    table = provider_table(
        {
            "vllm": {"base_url": "http://gpu:8000/v1", "api_key_env": "VLLM_API_KEY"},
            "lmstudio": {"base_url": "http://localhost:1234/v1", "free": True},
            "ollama": {"base_url": "http://box:11434/v1"},
        }
    )
    vllm = table["vllm"]
    assert vllm.api == "openai" and vllm.key_required and vllm.api_key_env == "VLLM_API_KEY"
    assert not table["lmstudio"].key_required and table["lmstudio"].api_key_env is None
    assert table["ollama"].base_url == "http://box:11434/v1" and table["ollama"].free  # the rest kept
    assert BUILTIN["ollama"].base_url == "http://localhost:11434/v1"  # the built-in is untouched
    assert parse_spec("vllm:Qwen/Qwen3-Coder-30B", table).provider is vllm
    with pytest.raises(ProviderError, match="unknown provider 'vllm'"):
        parse_spec("vllm:x")  # not without the config


def test_a_new_provider_without_a_url_needs_one() -> None:
    table = provider_table({"router": {"api_key_env": "ROUTER_KEY"}})
    with pytest.raises(ProviderError, match="the router provider needs a base URL: --base-url"):
        resolve(table["router"], {})
    assert resolve(table["router"], {"ROUTER_KEY": "abc"}, "http://r/v1").api_key == "abc"


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"vllm": "http://gpu:8000/v1"}, "must be a dict such as"),
        ({"vllm": {"url": "http://x"}}, "unknown field 'url'; known: "),
        ({"vllm": {"base_url": "gpu:8000"}}, "base_url must start with http:// or https://"),
        ({"vllm": {"base_url": ""}}, "base_url must be a non-empty string"),
        ({"vllm": {"api_key_env": 3}}, "api_key_env must be a non-empty string"),
        ({"vllm": {"stream_usage": "no"}}, "stream_usage must be True or False"),
        ({"vllm": {"api": "gemini"}}, "api must be 'openai' or 'anthropic'"),
        ({"vllm": {"max_tokens_field": "n"}}, "max_tokens_field must be"),
        ({"Bad Name": {}}, "a provider name is lower-case"),
    ],
)
def test_bad_provider_config_is_one_clear_line(config: dict[str, object], words: str) -> None:
    with pytest.raises(ProviderError) as info:
        provider_table(config)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_resolve_base_url_and_key() -> None:
    openai = BUILTIN["openai"]
    assert resolve(openai, {}).base_url is None  # the SDK's default
    env = {"OPENAI_BASE_URL": "https://proxy.example/v1", "OPENAI_API_KEY": " sk-x "}
    got = resolve(openai, env)
    assert got.base_url == "https://proxy.example/v1" and got.api_key == "sk-x"
    assert resolve(openai, env, "http://cell/v1").base_url == "http://cell/v1"  # --base-url first
    ollama = resolve(BUILTIN["ollama"], {"OPENAI_API_KEY": "sk-x"})
    assert ollama.base_url == "http://localhost:11434/v1" and ollama.api_key is None  # no key sent
    compatible = BUILTIN["openai-compatible"]
    with pytest.raises(ProviderError, match=r"needs a base URL: --base-url .* or %config Eager\.base_url"):
        resolve(compatible, {"OPENAI_API_KEY": "sk-x"})
    got = resolve(compatible, {"OPENAI_API_KEY": "sk-x"}, "http://h:1/v1")
    assert got.api_key is None  # an OpenAI key never goes to a third party by accident
    assert resolve(compatible, {"OPENAI_COMPATIBLE_API_KEY": "k"}, "http://h:1/v1").api_key == "k"
    with pytest.raises(ProviderError, match="must start with http"):
        resolve(openai, {}, "ftp://x")


# ---- cost --------------------------------------------------------------------------------------


def test_cost_from_the_table() -> None:
    usage = {"input_tokens": 1_000_000, "output_tokens": 100_000}
    per_in, per_out = PRICES["openai:gpt-5-mini"]
    assert cost_usd("openai:gpt-5-mini", usage) == pytest.approx(per_in + per_out / 10)
    per_in, per_out = PRICES["anthropic:claude-sonnet-5-5"]
    expected = (2000 * per_in + 300 * per_out) / 1e6
    small = {"input_tokens": 2000, "output_tokens": 300}
    assert cost_usd("anthropic:claude-sonnet-5-5", small) == pytest.approx(expected)
    assert cost_usd("claude-sonnet-5-5", small) == pytest.approx(expected)  # a bare id is Anthropic


def test_dated_ids_take_the_base_price() -> None:
    usage = {"input_tokens": 10, "output_tokens": 10}
    assert cost_usd("openai:gpt-4o-2024-08-06", usage) == cost_usd("openai:gpt-4o", usage)
    assert cost_usd("anthropic:claude-sonnet-4-5-20250929", usage) == cost_usd("claude-sonnet-4-5", usage)
    assert cost_usd("openai:gpt-4o-mini", usage) != cost_usd("openai:gpt-4o", usage)  # not a prefix match


def test_anthropic_cache_tokens_are_priced() -> None:
    per_in, _ = PRICES["anthropic:claude-sonnet-5-5"]
    usage = {"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 1_000_000}
    assert cost_usd("claude-sonnet-5-5", usage) == pytest.approx(per_in * 0.1)


def test_unknown_is_none_and_local_is_free() -> None:
    usage = {"input_tokens": 500, "output_tokens": 50}
    assert cost_usd("openai:gpt-unheard-of", usage) is None
    assert cost_usd("openai-compatible:llama", usage) is None
    assert cost_usd("openai:gpt-5-mini", {}) is None  # nothing counted: unknown, not $0
    assert cost_usd("ollama:qwen3-coder:7b", usage) == 0.0
    assert cost_usd("lmstudio:qwen", usage) is None
    assert (
        cost_usd("lmstudio:qwen", usage, providers={"lmstudio": {"base_url": "http://l/v1", "free": True}})
        == 0.0
    )


def test_user_prices_come_first() -> None:
    usage = {"input_tokens": 1_000_000, "output_tokens": 1_000_000}
    prices = {"openai:gpt-5-mini": [1, 2], "vllm:qwen": [0.5, 0.5], "claude-sonnet-5-5": [3, 4]}
    assert cost_usd("openai:gpt-5-mini", usage, prices) == pytest.approx(3.0)
    assert cost_usd("vllm:qwen", usage, prices) == pytest.approx(1.0)
    assert cost_usd("anthropic:claude-sonnet-5-5", usage, prices) == pytest.approx(7.0)


@pytest.mark.parametrize(
    "prices",
    [{"openai:x": 1.0}, {"openai:x": [1.0]}, {"openai:x": [1, -2]}, {"openai:x": ["1", "2"]}, {"": [1, 2]}],
)
def test_bad_prices_are_one_clear_line(prices: dict[str, object]) -> None:
    with pytest.raises(ProviderError) as info:
        check_prices(prices)
    assert "Eager.prices" in str(info.value) and "\n" not in str(info.value)
