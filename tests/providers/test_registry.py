"""Model strings, provider settings from config + secrets, retry timing rules, the model catalog."""

import random

import pytest

from codetether.config import Config, ProviderSection
from codetether.errors import UsageError
from codetether.providers import AuthError, RetryPolicy, provider_settings, split_model
from codetether.providers.registry import create_provider, is_loopback
from codetether.providers.resilience import retry_after
from codetether.secrets import Keystore, SecretResolver, StoredCredential


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("openrouter/openai/gpt-5", ("openrouter", "openai/gpt-5")),
        ("anthropic/claude-sonnet-4-20250514", ("anthropic", "claude-sonnet-4-20250514")),
        ("gpt-5", ("llama-cpp", "gpt-5")),
        ("meta-llama/llama-3-70b", ("llama-cpp", "meta-llama/llama-3-70b")),
        ("local/qwen", ("local", "qwen")),
        ("", ("llama-cpp", "gemma-3-270m")),
    ],
)
def test_split_model(spec, expected):
    config = Config(providers={"local": ProviderSection(kind="openai", base_url="http://127.0.0.1:1/v1")})
    assert split_model(spec, config) == expected


def test_builtin_provider_with_env_key():
    resolver = SecretResolver(environ={"OPENAI_API_KEY": "sk-env-0123456789abcdef"})
    settings = provider_settings("openai", Config(), resolver)
    assert settings.base_url == "https://api.openai.com/v1"
    assert settings.key_origin == "environment variable OPENAI_API_KEY"
    assert "sk-env" not in repr(settings)


def test_missing_key_says_where_to_put_one():
    with pytest.raises(AuthError) as err:
        provider_settings("anthropic", Config(), SecretResolver(environ={}))
    assert "codetether auth login anthropic" in str(err.value) and "ANTHROPIC_API_KEY" in str(err.value)


def test_loopback_provider_needs_no_key():
    config = Config(providers={"ollama": ProviderSection(kind="openai", base_url="http://localhost:11434/v1")})
    settings = provider_settings("ollama", config, SecretResolver(environ={}))
    assert settings.api_key is None and settings.kind == "openai"
    assert is_loopback("http://[::1]:8000") and not is_loopback("http://10.0.0.1:80")


def test_custom_provider_key_chain(data_dir):
    config = Config(providers={"my-llm": ProviderSection(kind="anthropic", base_url="https://llm.example/v1")})
    env = {"MY_LLM_API_KEY": "custom-env-key-0123"}
    assert provider_settings("my-llm", config, SecretResolver(environ=env)).key_origin == (
        "environment variable MY_LLM_API_KEY"
    )
    Keystore().put("my-llm", StoredCredential(api_key="custom-keystore-key", base_url="https://proxy.example/v1"))
    settings = provider_settings("my-llm", config, SecretResolver(environ=env))
    assert settings.api_key == "custom-keystore-key" and settings.base_url == "https://proxy.example/v1"


def test_builtin_can_be_repointed_by_config():
    config = Config(providers={"openai": ProviderSection(kind="openai", base_url="http://127.0.0.1:9/v1")})
    assert provider_settings("openai", config, SecretResolver(environ={})).base_url == "http://127.0.0.1:9/v1"


def test_unknown_provider():
    with pytest.raises(UsageError, match="unknown provider 'nope'"):
        provider_settings("nope", Config(), SecretResolver(environ={}))


def test_providers_are_created_lazily_by_kind():
    resolver = SecretResolver(environ={"GOOGLE_API_KEY": "AIza-test-key-0123456789"})
    provider = create_provider(provider_settings("google", Config(), resolver))
    assert type(provider).__name__ == "GeminiProvider" and provider.name == "google"


# --- retry timing ---------------------------------------------------------------------------------


def test_retry_after_sources():
    assert retry_after({"Retry-After": "3"}) == 3
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=1445412480.0) == 10
    assert retry_after({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s"}) == 360
    assert retry_after({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "20ms"}) == 0.02
    assert retry_after({"x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-requests": "1s"}) is None
    anthropic = {
        "anthropic-ratelimit-tokens-remaining": "0",
        "anthropic-ratelimit-tokens-reset": "2024-01-01T00:00:30Z",
    }
    assert retry_after(anthropic, now=1704067200.0) == 30
    assert retry_after({"Retry-After": "soon"}) is None


def test_backoff_is_jittered_bounded_and_obeys_the_server():
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(7)
    delays = [policy.delay(attempt, rng=rng) for attempt in range(10) for _ in range(50)]
    assert all(0 <= d <= 8.0 for d in delays)
    assert max(policy.delay(0, rng=rng) for _ in range(100)) <= 1.0
    assert policy.delay(3, retry_after=2.5) == 2.5
    assert policy.delay(3, retry_after=100) == 8.0


def test_a_built_in_providers_section_may_leave_out_kind(config_file):
    """The timeout hints name `[providers.openai] idle_timeout`: setting just that must work."""
    from codetether.config import load_config
    from codetether.errors import ConfigError

    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text("[providers.openai]\nidle_timeout = 120\n")
    config = load_config().config
    settings = provider_settings("openai", config, SecretResolver(environ={"OPENAI_API_KEY": "sk-0123456789abcdef"}))
    assert (settings.kind, settings.base_url, settings.timeouts.idle) == ("openai", "https://api.openai.com/v1", 120)
    config_file.write_text("[providers.mine]\nbase_url = 'http://127.0.0.1:1/v1'\n")
    with pytest.raises(ConfigError, match=r"`\[providers.mine\]` has no `kind`"):
        load_config()  # any other provider's section must still say its wire protocol


def test_every_built_in_provider_has_a_kind_and_every_kind_a_built_in():
    from codetether.config.schema import BUILTIN_PROVIDER_KINDS
    from codetether.providers.registry import BUILTINS

    assert set(BUILTINS) == set(BUILTIN_PROVIDER_KINDS)
