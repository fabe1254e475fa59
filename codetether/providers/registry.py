"""Provider names -> implementations, loaded lazily; model strings; settings from config and secrets."""

import importlib
import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import msgspec

from ..config.schema import BUILTIN_PROVIDER_KINDS, Config, ProviderSection
from ..errors import UsageError
from ..secrets import SecretResolver
from ..secrets.redaction import register_secret
from .base import Provider, ProviderSettings
from .errors import AuthError
from .proxy import proxy_for
from .resilience import RetryPolicy
from .timing import Timeouts


class Builtin(msgspec.Struct, frozen=True):
    base_url: str | None
    default_model: str


# Default models as the original CodeTether documents them (its README's provider table).
BUILTINS: dict[str, Builtin] = {
    "openai": Builtin("https://api.openai.com/v1", "gpt-5"),
    "openrouter": Builtin("https://openrouter.ai/api/v1", "stepfun/step-3.5-flash:free"),
    "moonshotai": Builtin("https://api.moonshot.ai/v1", "kimi-k2.5"),
    "zai": Builtin("https://api.z.ai/api/paas/v4", "glm-5"),
    "stepfun": Builtin("https://api.stepfun.com/v1", "step-3.5-flash"),
    "github-copilot": Builtin("https://api.githubcopilot.com", "claude-opus-4"),
    "anthropic": Builtin("https://api.anthropic.com", "claude-sonnet-4-20250514"),
    "google": Builtin("https://generativelanguage.googleapis.com", "gemini-2.5-pro"),
    "bedrock": Builtin(None, "anthropic.claude-sonnet-4-20250514-v1:0"),
    "llama-cpp": Builtin(None, "gemma-3-270m"),
}

# Wire kind -> "module:Class", imported on first use so that unused SDKs and parsers cost nothing.
IMPLEMENTATIONS: dict[str, str] = {
    "openai": "codetether.providers.openai_chat:OpenAIChatProvider",
    "anthropic": "codetether.providers.anthropic:AnthropicProvider",
    "google": "codetether.providers.gemini:GeminiProvider",
    "bedrock": "codetether.providers.bedrock:BedrockProvider",
    "llama-cpp": "codetether.providers.llama_local:LlamaCppProvider",
}


def known_providers(config: Config) -> list[str]:
    return sorted({*BUILTINS, *config.providers})


def split_model(spec: str, config: Config) -> tuple[str, str]:
    """``provider/model`` split on the first ``/``; a bare model (or an unknown prefix) uses the default provider.

    ``openrouter/openai/gpt-5`` -> (``openrouter``, ``openai/gpt-5``).
    """
    head, sep, tail = spec.partition("/")
    if sep and tail and head in known_providers(config):
        return head, tail
    if not spec:
        return config.default.provider, config.default.model
    return config.default.provider, spec


def is_loopback(url: str | None) -> bool:
    host = urlsplit(url or "").hostname
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def provider_settings(
    name: str, config: Config, resolver: SecretResolver, environ: Mapping[str, str] | None = None
) -> ProviderSettings:
    """Everything needed to talk to ``name``: kind and URL from built-ins and config, key from secrets."""
    env = os.environ if environ is None else environ
    builtin = BUILTINS.get(name)
    section = config.providers.get(name)
    if builtin is None and section is None:
        raise UsageError(
            f"unknown provider {name!r}",
            f"known providers: {', '.join(known_providers(config))}; add others as [providers.{name}] in the config",
        )
    kind = section.kind if section is not None and section.kind else BUILTIN_PROVIDER_KINDS[name]
    secret = resolver.resolve(name) if kind != "llama-cpp" else None
    base_url = (
        (secret.base_url if secret else None)
        or (section.base_url if section else None)
        or (builtin.base_url if builtin and BUILTIN_PROVIDER_KINDS[name] == kind else None)
    )
    settings = ProviderSettings(
        name=name,
        kind=kind,
        base_url=base_url,
        api_key=secret.api_key if secret else None,
        key_origin=secret.origin if secret else None,
        organization=secret.organization if secret else None,
        headers={**(section.headers if section else {}), **(secret.headers if secret else {})},
    )
    if section is not None:
        settings.timeouts, settings.retry = _limits(section, settings.timeouts, settings.retry)
    if kind == "bedrock":
        settings.region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        settings.aws_access_key_id = env.get("AWS_ACCESS_KEY_ID") or None
        settings.aws_secret_access_key = env.get("AWS_SECRET_ACCESS_KEY") or None
        settings.aws_session_token = env.get("AWS_SESSION_TOKEN") or None
        settings.base_url = settings.base_url or f"https://bedrock-runtime.{settings.region}.amazonaws.com"
        settings.proxy = _proxy(settings.base_url, env)
        return settings  # Bedrock may sign with AWS credentials instead of a bearer key
    if kind == "llama-cpp":
        settings.model_path = env.get("CODETETHER_LLAMA_MODEL_PATH") or None
        return settings
    if settings.api_key is None and not is_loopback(settings.base_url):
        raise AuthError(name, "no API key configured", resolver.env_hint(name))
    settings.proxy = _proxy(settings.base_url, env)
    return settings


def _proxy(base_url: str | None, env: Mapping[str, str]) -> str | None:
    """The proxy for ``base_url``; its password, if any, is masked wherever it might be printed."""
    proxy = proxy_for(base_url, env)
    if proxy:
        register_secret(urlsplit(proxy).password)
    return proxy


def _limits(section: ProviderSection, timeouts: Timeouts, retry: RetryPolicy) -> tuple[Timeouts, RetryPolicy]:
    """The section's timeouts and retry limits over the built-in defaults (an unset key keeps its default)."""
    timeouts = msgspec.structs.replace(
        timeouts,
        connect=section.connect_timeout or timeouts.connect,
        first_byte=section.first_byte_timeout or timeouts.first_byte,
        idle=section.idle_timeout or timeouts.idle,
    )
    retry = msgspec.structs.replace(
        retry,
        budget=section.retry_budget or retry.budget,
        max_retries=retry.max_retries if section.max_retries is None else section.max_retries,
    )
    return timeouts, retry


def create_provider(settings: ProviderSettings) -> Provider:
    target = IMPLEMENTATIONS.get(settings.kind)
    if target is None:
        raise UsageError(f"provider {settings.name!r} has unknown kind {settings.kind!r}")
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)(settings)


def provider_for(spec: str, config: Config, resolver: SecretResolver | None = None) -> tuple[Provider, str]:
    """The provider and model id for a model string such as ``anthropic/claude-sonnet-4-20250514``."""
    name, model = split_model(spec, config)
    settings = provider_settings(name, config, resolver or SecretResolver.from_environment())
    return create_provider(settings), model
