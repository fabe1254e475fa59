"""The HTTP machinery shared by every wire format: requests, timeouts, retries, error mapping.

A wire format subclass supplies only what differs: the URL, headers and body for a request,
how to parse a JSON response, and a stream parser that turns body bytes into events.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Protocol

import aiohttp

from . import catalog
from .base import ProviderSettings
from .errors import ConnectionFailed, ProviderError, ProviderTimeout, StreamInterrupted
from .failures import classify
from .http import shared_session
from .types import Event, Request, Response, Usage, UsageEvent

log = logging.getLogger(__name__)


class StreamParser(Protocol):
    def feed(self, chunk: bytes) -> list[Event]:
        """Events completed by this piece of the body."""
        ...

    def close(self) -> list[Event]:
        """The body ended; returns the final events or raises StreamInterrupted if it was cut short."""
        ...


class HTTPProvider:
    """Base for providers that speak HTTP. Subclasses implement the five wire-format hooks."""

    content_type = "application/json"

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings
        self.name = settings.name
        # Called with (status, headers) for every HTTP response: a swarm's rate limiter listens here.
        self.observers: list[Callable[[int, Mapping[str, str]], None]] = []

    # --- wire-format hooks --------------------------------------------------------------------
    def url(self, request: Request, stream: bool) -> str:
        raise NotImplementedError

    def headers(self, request: Request, stream: bool, body: bytes) -> dict[str, str]:
        raise NotImplementedError

    def body(self, request: Request, stream: bool) -> bytes:
        raise NotImplementedError

    def parse_response(self, data: bytes, request: Request) -> Response:
        raise NotImplementedError

    def stream_parser(self, request: Request) -> StreamParser:
        raise NotImplementedError

    # --- shared behaviour -------------------------------------------------------------------------
    def _timeout(self, stream: bool) -> aiohttp.ClientTimeout:
        t = self.settings.timeout
        # A stream may legitimately run for minutes; what must not happen is silence for `t` seconds.
        return aiohttp.ClientTimeout(total=None if stream else t, sock_connect=min(t, 30), sock_read=t)

    def _priced(self, usage: Usage, model: str) -> Usage:
        if usage.cost_usd is None:
            usage.cost_usd = catalog.cost(self.name, model, usage)
        return usage

    async def _send(self, request: Request, stream: bool) -> aiohttp.ClientResponse:
        body = self.body(request, stream)
        headers = {"Content-Type": self.content_type, **self.headers(request, stream, body)}
        response = await shared_session().post(
            self.url(request, stream), data=body, headers=headers, timeout=self._timeout(stream)
        )
        for observe in self.observers:
            observe(response.status, response.headers)
        if response.status >= 400:
            try:
                error_body = await response.read()
            finally:
                response.release()
            raise classify(self.name, response.status, error_body, response.headers, self.settings.key_origin)
        return response

    def _transport_error(self, exc: BaseException) -> ProviderError:
        if isinstance(exc, asyncio.TimeoutError):
            return ProviderTimeout(
                self.name,
                f"no response within {self.settings.timeout:g}s",
                "raise the provider timeout or try again",
            )
        return ConnectionFailed(
            self.name, f"connection failed: {type(exc).__name__}: {exc}", "check the network and the provider's URL"
        )

    async def _wait_before_retry(self, exc: ProviderError, attempt: int) -> None:
        """Re-raise ``exc`` when it may not be retried (again); otherwise sleep as the policy says."""
        policy = self.settings.retry
        if not exc.retryable or attempt >= policy.max_retries:
            raise exc
        delay = policy.delay(attempt, getattr(exc, "retry_after", None))
        log.warning("%s; retry %d/%d in %.1fs", exc, attempt + 1, policy.max_retries, delay)
        await asyncio.sleep(delay)

    async def _attempts(self, once):
        """Run ``once()`` with the retry policy; ``once`` raises ProviderError on failure."""
        attempt = 0
        while True:
            try:
                return await once()
            except ProviderError as exc:
                await self._wait_before_retry(exc, attempt)
                attempt += 1

    async def complete(self, request: Request) -> Response:
        async def once() -> Response:
            try:
                response = await self._send(request, stream=False)
                async with response:
                    data = await response.read()
            except (TimeoutError, aiohttp.ClientError) as exc:
                raise self._transport_error(exc) from exc
            result = self.parse_response(data, request)
            self._priced(result.usage, result.model)
            return result

        return await self._attempts(once)

    async def stream(self, request: Request) -> AsyncIterator[Event]:
        attempt = 0
        while True:
            emitted = 0
            try:
                async for event in self._stream_once(request):
                    if isinstance(event, UsageEvent):
                        self._priced(event.usage, request.model)
                    emitted += 1
                    yield event
                return
            except ProviderError as exc:
                if emitted:
                    if isinstance(exc, StreamInterrupted) or not exc.retryable:
                        raise
                    raise StreamInterrupted(
                        self.name,
                        f"the stream broke after {emitted} events ({exc.message})",
                        "the partial answer was kept; ask again to continue",
                    ) from exc
                await self._wait_before_retry(exc, attempt)
                attempt += 1

    async def _stream_once(self, request: Request) -> AsyncIterator[Event]:
        try:
            response = await self._send(request, stream=True)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise self._transport_error(exc) from exc
        parser = self.stream_parser(request)
        async with response:
            try:
                async for chunk in response.content.iter_any():
                    for event in parser.feed(chunk):
                        yield event
            except (TimeoutError, aiohttp.ClientError) as exc:
                raise self._transport_error(exc) from exc
            for event in parser.close():
                yield event
