"""The Provider protocol, and what every provider is built from."""

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

import msgspec

from .resilience import RetryPolicy
from .timing import Timeouts
from .types import Event, Request, Response


class ProviderSettings(msgspec.Struct, kw_only=True):
    """Everything a provider needs, resolved from config, secrets and built-in defaults."""

    name: str
    kind: str
    base_url: str | None = None
    api_key: str | None = None
    key_origin: str | None = None
    organization: str | None = None
    headers: dict[str, str] = {}
    timeouts: Timeouts = Timeouts()
    retry: RetryPolicy = RetryPolicy()
    region: str | None = None
    model_path: str | None = None
    # Bedrock's SigV4 signing, when it has no bearer key: resolved with the rest, never read by the provider.
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    proxy: str | None = None  # the http:// proxy to reach base_url through (providers.proxy), or None

    def __repr__(self) -> str:  # never show the key
        return f"ProviderSettings(name={self.name!r}, kind={self.kind!r}, base_url={self.base_url!r})"


@runtime_checkable
class Provider(Protocol):
    """A model API. ``stream`` yields events as they arrive; ``complete`` returns the whole answer.

    Both raise :class:`~codetether.providers.errors.ProviderError` subclasses on failure, after the
    retries the provider's policy allows (a stream is retried only while nothing was emitted).
    """

    name: str

    async def complete(self, request: Request) -> Response:
        """Send ``request`` and return the full response."""
        ...

    def stream(self, request: Request) -> AsyncIterator[Event]:
        """Send ``request`` and yield events until ``Done``."""
        ...
