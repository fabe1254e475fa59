"""One adaptive rate limiter shared by every sub-agent of a swarm.

Additive increase, multiplicative decrease: each 429 (or a response saying the request budget is
spent) halves the request rate and pauses everyone until the server's stated reset; each success
raises the rate a little, so throughput recovers once the provider does.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Mapping

from ..providers.assemble import collect
from ..providers.base import Provider
from ..providers.resilience import retry_after
from ..providers.types import Event, Request, Response


class AdaptiveRateLimiter:
    def __init__(self, rate: float = 8.0, *, min_rate: float = 0.5, max_rate: float = 50.0, step: float = 0.5) -> None:
        self.rate = rate
        self.min_rate = min_rate
        self.max_rate = max_rate
        self.step = step
        self._next_slot = 0.0
        self._paused_until = 0.0
        self.slowdowns = 0
        self.lowest_rate = rate
        self.requests = 0

    async def acquire(self) -> None:
        """Wait for this request's turn."""
        now = time.monotonic()
        start = max(now, self._next_slot, self._paused_until)
        self._next_slot = start + 1.0 / self.rate
        self.requests += 1
        if start > now:
            await asyncio.sleep(start - now)

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        remaining = lowered.get("x-ratelimit-remaining-requests") or lowered.get(
            "anthropic-ratelimit-requests-remaining"
        )
        exhausted = remaining is not None and remaining.strip() in {"0", "1"}
        if status == 429 or exhausted:
            self.rate = max(self.min_rate, self.rate / 2)
            self.lowest_rate = min(self.lowest_rate, self.rate)
            self.slowdowns += 1
            wait = retry_after(headers)
            if wait:
                self._paused_until = max(self._paused_until, time.monotonic() + wait)
        elif status < 400:
            self.rate = min(self.max_rate, self.rate + self.step)


class RateLimitedProvider:
    """A provider whose every request first waits for the shared limiter, which also watches responses."""

    def __init__(self, provider: Provider, limiter: AdaptiveRateLimiter) -> None:
        self.inner = provider
        self.limiter = limiter
        self.name = provider.name
        observers = getattr(provider, "observers", None)
        if observers is not None and limiter.observe not in observers:
            observers.append(limiter.observe)

    async def stream(self, request: Request) -> AsyncIterator[Event]:
        await self.limiter.acquire()
        async for event in self.inner.stream(request):
            yield event

    async def complete(self, request: Request) -> Response:
        return await collect(self.stream(request))
