"""Following a topic: every event published on a pattern handed to a callback, in order, as it comes.

This is how views watch runs: the CLI renderers, the swarm view and the A2A executor each follow
their run's topic instead of being called by the agent. The subscription is taken when the follower
is made, so nothing published after that is missed; :meth:`Follower.drain` hands over what is
pending at once (before a prompt is shown, and at the end).
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable

from .agent_bus import AgentBus
from .messages import Envelope

log = logging.getLogger(__name__)


class Follower:
    def __init__(self, bus: AgentBus, pattern: str, handle: Callable[[Envelope], None]) -> None:
        self.subscription = bus.subscribe(pattern)
        self.handle = handle
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "Follower":
        self._task = asyncio.get_running_loop().create_task(self._follow())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _follow(self) -> None:
        while True:
            for envelope in await self.subscription.next_batch():
                self._deliver(envelope)

    def _deliver(self, envelope: Envelope) -> None:
        # A view that fails on one event must not lose the ones after it (the run's ending among them).
        try:
            self.handle(envelope)
        except Exception:
            log.exception("a bus follower of %r failed on a %s event", self.subscription.pattern, envelope.topic)

    def drain(self) -> None:
        """Hand every pending event to the callback now."""
        for envelope in self.subscription.poll():
            self._deliver(envelope)

    async def aclose(self) -> None:
        try:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
                self._task = None
            self.drain()
        finally:
            self.subscription.close()
