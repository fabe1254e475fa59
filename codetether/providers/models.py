"""The model catalog people see: built-in defaults merged with each configured provider's live list."""

import asyncio
from typing import Any

import aiohttp
import msgspec

from ..config.schema import Config
from ..errors import CodetetherError
from ..secrets import SecretResolver
from .base import ProviderSettings
from .catalog import ModelInfo, builtin_models
from .failures import classify, decode_json
from .http import shared_session
from .registry import BUILTINS, known_providers, provider_settings


class Listing(msgspec.Struct, kw_only=True):
    models: list[ModelInfo]
    warnings: list[str]


def _live_request(s: ProviderSettings) -> tuple[str, dict[str, str]] | None:
    """URL and headers of the provider's model list, or None when its API has none we use."""
    base = (s.base_url or "").rstrip("/")
    if s.kind == "openai":
        headers = {"Authorization": f"Bearer {s.api_key}"} if s.api_key else {}
        return f"{base}/models", {**headers, **s.headers}
    if s.kind == "anthropic":
        return f"{base}/v1/models", {"anthropic-version": "2023-06-01", "x-api-key": s.api_key or "", **s.headers}
    if s.kind == "google":
        return f"{base}/v1beta/models", {"x-goog-api-key": s.api_key or "", **s.headers}
    return None  # Bedrock lists models on its control-plane API; llama-cpp is local


def _parse_live(s: ProviderSettings, payload: Any) -> list[ModelInfo]:
    if s.kind == "google":
        return [
            ModelInfo(
                provider=s.name,
                id=m["name"].removeprefix("models/"),
                context=m.get("inputTokenLimit"),
                max_output=m.get("outputTokenLimit"),
                source="live",
            )
            for m in payload.get("models", [])
        ]
    return [ModelInfo(provider=s.name, id=m["id"], source="live") for m in payload.get("data", [])]


async def _fetch(s: ProviderSettings, timeout: float) -> list[ModelInfo]:
    request = _live_request(s)
    if request is None:
        return []
    url, headers = request
    async with shared_session().get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
        body = await response.read()
        if response.status >= 400:
            raise classify(s.name, response.status, body, response.headers, s.key_origin)
    return _parse_live(s, decode_json(s.name, body))


def _merge(builtin: list[ModelInfo], live: list[ModelInfo]) -> list[ModelInfo]:
    merged = {(m.provider, m.id): m for m in builtin}
    for m in live:
        known = merged.get((m.provider, m.id))
        if known is None:
            merged[(m.provider, m.id)] = m
        else:
            merged[(m.provider, m.id)] = msgspec.structs.replace(
                known,
                context=known.context or m.context,
                max_output=known.max_output or m.max_output,
                source="built-in+live",
            )
    return sorted(merged.values(), key=lambda m: (m.provider, m.id))


async def list_models(
    config: Config, resolver: SecretResolver, only: str | None = None, *, timeout: float = 10.0
) -> Listing:
    """Built-in rows for every provider, plus live rows for the providers that have credentials."""
    names = [only] if only else known_providers(config)
    if only and only not in known_providers(config):
        raise CodetetherError(f"unknown provider {only!r}", f"known providers: {', '.join(known_providers(config))}")
    builtin = [m for m in builtin_models() if m.provider in names]
    for name, section in config.providers.items():
        if name in names and name not in BUILTINS:
            builtin += [ModelInfo(provider=name, id=model, source="config") for model in section.models]
    warnings: list[str] = []
    settings: list[ProviderSettings] = []
    for name in names:
        try:
            settings.append(provider_settings(name, config, resolver))
        except CodetetherError as exc:
            if only or name in config.providers:  # say why a provider the user cares about is missing
                warnings.append(f"{name}: live list skipped ({exc})")
    results = await asyncio.gather(*(_fetch(s, timeout) for s in settings), return_exceptions=True)
    live: list[ModelInfo] = []
    for s, result in zip(settings, results, strict=True):
        if isinstance(result, BaseException):
            reason = str(result) if isinstance(result, CodetetherError) else f"{type(result).__name__}: {result}"
            warnings.append(f"{s.name}: live list unavailable ({reason})")
        else:
            live += result
    return Listing(models=_mark_defaults(_merge(builtin, live)), warnings=warnings)


def _mark_defaults(models: list[ModelInfo]) -> list[ModelInfo]:
    """Flag each built-in provider's default model, so the listing reads like the original's provider table."""
    return [
        msgspec.structs.replace(m, default=True)
        if m.provider in BUILTINS and BUILTINS[m.provider].default_model == m.id
        else m
        for m in models
    ]
