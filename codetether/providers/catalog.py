"""The built-in model table (package data, so it also loads from a zipapp) and per-response cost."""

import tomllib
from functools import cache
from importlib import resources

import msgspec

from .types import Usage


class ModelInfo(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    provider: str
    id: str
    context: int | None = None
    max_output: int | None = None
    tools: bool | None = None
    input_price: float | None = None  # USD per million tokens
    output_price: float | None = None
    cache_read_price: float | None = None
    cache_write_price: float | None = None
    source: str = "built-in"
    default: bool = False  # the model the provider uses when a command names only the provider

    def cost(self, usage: Usage) -> float | None:
        if self.input_price is None or self.output_price is None:
            return None
        fresh_input = max(usage.input_tokens - usage.cache_read_tokens, 0)
        total = fresh_input * self.input_price + usage.output_tokens * self.output_price
        total += usage.cache_read_tokens * (
            self.cache_read_price if self.cache_read_price is not None else self.input_price
        )
        total += usage.cache_write_tokens * (self.cache_write_price or 0.0)
        return total / 1_000_000


@cache
def builtin_models() -> tuple[ModelInfo, ...]:
    text = resources.files("codetether.providers").joinpath("catalog.toml").read_text("utf-8")
    return tuple(msgspec.convert(row, ModelInfo) for row in tomllib.loads(text)["model"])


def lookup(provider: str, model: str) -> ModelInfo | None:
    for info in builtin_models():
        if info.provider == provider and info.id == model:
            return info
    return None


def cost(provider: str, model: str, usage: Usage) -> float | None:
    """USD for one response, or None when the model's prices are not known."""
    info = lookup(provider, model)
    return info.cost(usage) if info else None
