"""The HTTP machinery shared by every wire format: requests, timeouts, retries, error mapping.

A wire format subclass supplies only what differs: the URL, headers and body for a request,
how to parse a JSON response, and a stream parser that turns body bytes into events.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Protocol, TypeVar

from ..secrets.redaction import register_secret
from . import catalog, timing
from .base import ProviderSettings
from .errors import ConnectionFailed, ProviderError, ProviderTimeout, StreamInterrupted
from .failures import classify
from .http import shared_client
from .httpclient import ConnectTimeout, TransportError
from .httpclient import Response as HTTPResponse
from .timing import Budget
from .types import Event, Request, Response, Usage, UsageEvent

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ANSWER_BYTES = 64 * 2**20  # a whole (non-streamed) answer; streams are parsed as they come


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
        # However the key got here, an error body that echoes it is masked (CodetetherError redacts).
        register_secret(settings.api_key)
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
    def _priced(self, usage: Usage, model: str) -> Usage:
        if usage.cost_usd is None:
            usage.cost_usd = catalog.cost(self.name, model, usage)
        return usage

    def _first_byte_limit(self, budget: Budget) -> tuple[float, str]:
        """Seconds this attempt may wait for its answer to start, and the setting that sets them."""
        first_byte, left = self.settings.timeouts.first_byte, budget.left()
        return (first_byte, timing.FIRST_BYTE) if first_byte <= left else (max(left, 0.0), timing.BUDGET)

    async def _within(self, awaitable: Awaitable[T], seconds: float, key: str) -> T:
        """Await with a limit; a limit that runs out, or a broken connection, becomes a ProviderError."""
        limit = asyncio.timeout(seconds)
        try:
            async with limit:
                return await awaitable
        except TimeoutError as exc:
            if limit.expired():
                raise timing.timed_out(self.name, key, self._limit_of(key)) from exc
            raise self._transport_error(exc) from exc
        except TransportError as exc:
            raise self._transport_error(exc) from exc

    def _limit_of(self, key: str) -> float:
        t = self.settings.timeouts
        return {
            timing.CONNECT: t.connect,
            timing.FIRST_BYTE: t.first_byte,
            timing.IDLE: t.idle,
            timing.BUDGET: self.settings.retry.budget,
        }[key]

    async def _send(self, request: Request, stream: bool) -> HTTPResponse:
        body = self.body(request, stream)
        headers = {"Content-Type": self.content_type, **self.headers(request, stream, body)}
        # Only the connect is the client's to time: the other waits are timed here, each naming its setting.
        response = await shared_client().post(
            self.url(request, stream),
            data=body,
            headers=headers,
            connect_timeout=self.settings.timeouts.connect,
            proxy=self.settings.proxy,
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
        if isinstance(exc, ConnectTimeout):  # the only limit the client enforces itself
            return timing.timed_out(self.name, timing.CONNECT, self.settings.timeouts.connect)
        return ConnectionFailed(
            self.name, f"connection failed: {type(exc).__name__}: {exc}", "check the network and the provider's URL"
        )

    async def _wait_before_retry(self, exc: ProviderError, attempt: int, budget: Budget) -> None:
        """Re-raise ``exc`` when it may not be retried (again); otherwise sleep as the policy says."""
        policy = self.settings.retry
        if not exc.retryable:
            raise exc
        if attempt >= policy.max_retries:
            raise exc.gave_up(attempt + 1)
        delay = policy.delay(attempt, getattr(exc, "retry_after", None))
        if delay >= budget.left():
            raise exc.gave_up(
                attempt + 1,
                f"{exc.hint or 'try again later'}; retrying stopped when the {budget.seconds:g} s retry budget "
                f"ran out: raise {timing.setting(self.name, timing.BUDGET)} to wait longer",
            )
        log.warning("%s; retry %d/%d in %.1fs", exc, attempt + 1, policy.max_retries, delay)
        await asyncio.sleep(delay)

    async def _read_body(self, response: HTTPResponse) -> bytes:
        parts: list[bytes] = []
        size = 0
        while chunk := await self._within(response.readany(), self.settings.timeouts.idle, timing.IDLE):
            parts.append(chunk)
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:  # no model answer is this big: a broken or hostile server
                raise ProviderError(self.name, f"the answer is over {MAX_ANSWER_BYTES // 2**20} MiB; it was dropped")
        return b"".join(parts)

    async def complete(self, request: Request) -> Response:
        budget = Budget(self.settings.retry.budget)
        attempt = 0
        while True:
            try:
                seconds, key = self._first_byte_limit(budget)
                response = await self._within(self._send(request, stream=False), seconds, key)
                async with response:
                    data = await self._read_body(response)
                result = self.parse_response(data, request)
                self._priced(result.usage, result.model)
                return result
            except ProviderError as exc:
                await self._wait_before_retry(exc, attempt, budget)
                attempt += 1

    async def stream(self, request: Request) -> AsyncIterator[Event]:
        budget = Budget(self.settings.retry.budget)
        attempt = 0
        while True:
            emitted = 0
            try:
                async for event in self._stream_once(request, budget):
                    if isinstance(event, UsageEvent):
                        self._priced(event.usage, request.model)
                    emitted += 1
                    yield event
                return
            except ProviderError as exc:
                if emitted:
                    if isinstance(exc, StreamInterrupted) or not exc.retryable:
                        raise
                    advice = "the partial answer was kept; ask again to continue"
                    raise StreamInterrupted(
                        self.name,
                        f"the stream broke after {emitted} events ({exc.message})",
                        f"{advice}; {exc.hint}" if isinstance(exc, ProviderTimeout) else advice,
                    ) from exc
                await self._wait_before_retry(exc, attempt, budget)
                attempt += 1

    async def _stream_once(self, request: Request, budget: Budget) -> AsyncIterator[Event]:
        seconds, key = self._first_byte_limit(budget)
        first_byte_deadline = time.monotonic() + seconds
        response = await self._within(self._send(request, stream=True), seconds, key)
        parser = self.stream_parser(request)
        async with response:
            # The first chunk is part of the first-byte wait: some servers send headers at once, then think.
            chunk = await self._within(response.readany(), first_byte_deadline - time.monotonic(), key)
            while chunk:
                for event in parser.feed(chunk):
                    yield event
                chunk = await self._within(response.readany(), self.settings.timeouts.idle, timing.IDLE)
            for event in parser.close():
                yield event
