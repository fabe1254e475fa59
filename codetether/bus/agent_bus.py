"""The in-process agent bus: topic pub/sub over ``ctcore.ringbus``, with asyncio waiting.

Topics: ``agent.{id}`` (an agent's inbox), ``agent.{id}.events``, ``task.{id}``, ``swarm.{id}``,
``broadcast``, ``results.{key}``, ``tools.{name}``. Patterns: ``*`` one segment, ``#`` any depth.
A publish never waits; a slow subscriber is told how many messages it missed.
"""

import asyncio
import itertools
import logging
import re
import time
from collections.abc import AsyncIterator

from ctcore.ringbus import RingBus

from .messages import BusMessage, Envelope

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]")


def segment(name: str) -> str:
    """A name made safe to use as one topic segment (no dots, no wildcards)."""
    return _UNSAFE.sub("_", name) or "_"


class AgentBus:
    def __init__(self, capacity: int = 65536) -> None:
        self.ring = RingBus(capacity)
        self._ids = itertools.count(1)
        self._waiter: asyncio.Future | None = None
        self.shared: dict[str, object] = {}

    def publish(self, topic: str, message: BusMessage, *, sender: str, correlation_id: str | None = None) -> Envelope:
        envelope = Envelope(
            id=f"m{next(self._ids)}",
            topic=topic,
            sender=sender,
            ts=time.time(),
            message=message,
            correlation_id=correlation_id,
        )
        self.ring.publish(topic, envelope)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return envelope

    def subscribe(self, pattern: str) -> "Subscription":
        return Subscription(self, pattern)

    async def changed(self, timeout: float | None = None) -> bool:
        """Wait for the next publish (one shared future wakes every waiter). False on timeout."""
        if self._waiter is None or self._waiter.done():
            self._waiter = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._waiter), timeout)
            return True
        except TimeoutError:
            return False


class Subscription:
    """A cursor into the bus for one pattern."""

    def __init__(self, bus: AgentBus, pattern: str) -> None:
        self.bus = bus
        self.pattern = pattern
        self.sid = bus.ring.subscribe(pattern)
        self.missed = 0

    def poll(self, limit: int = -1) -> list[Envelope]:
        items, missed = self.bus.ring.poll(self.sid, limit)
        if missed:
            self.missed += missed
            log.warning("bus subscriber %r fell behind and missed %d messages", self.pattern, missed)
        return items

    async def next_batch(self, timeout: float | None = None) -> list[Envelope]:
        """The next non-empty batch, or [] when ``timeout`` passes first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            items = self.poll()
            if items:
                return items
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return []
            await self.bus.changed(remaining)

    async def __aiter__(self) -> AsyncIterator[Envelope]:
        while True:
            for envelope in await self.next_batch():
                yield envelope

    def close(self) -> None:
        self.bus.ring.unsubscribe(self.sid)
