"""What each local agent holds: its inbox, request/reply, events and shared results."""

import collections
import time

from msgspec import to_builtins

from .agent_bus import AgentBus, segment
from .messages import AgentReady, AgentShutdown, BusMessage, Envelope, SharedResult
from .registry import AgentCard, ephemeral_card


class BusHandle:
    """An agent's view of the bus. The ring stores each message once; the handle only keeps a cursor."""

    def __init__(self, bus: AgentBus, agent_id: str) -> None:
        self.bus = bus
        self.agent_id = segment(agent_id)
        self.inbox = bus.subscribe(f"agent.{self.agent_id}")
        self._held: collections.deque[Envelope] = collections.deque()

    def send(self, to_agent: str, message: BusMessage, *, correlation_id: str | None = None) -> Envelope:
        return self.bus.publish(
            f"agent.{segment(to_agent)}", message, sender=self.agent_id, correlation_id=correlation_id
        )

    def publish(self, topic: str, message: BusMessage) -> Envelope:
        return self.bus.publish(topic, message, sender=self.agent_id)

    def event(self, message: BusMessage) -> Envelope:
        return self.publish(f"agent.{self.agent_id}.events", message)

    def broadcast(self, message: BusMessage) -> Envelope:
        return self.publish("broadcast", message)

    async def receive(self, timeout: float | None = None) -> Envelope | None:
        """The next message in this agent's inbox, or None on timeout."""
        if self._held:
            return self._held.popleft()
        batch = await self.inbox.next_batch(timeout)
        if not batch:
            return None
        self._held.extend(batch[1:])
        return batch[0]

    async def request(self, to_agent: str, message: BusMessage, timeout: float = 30.0) -> Envelope:
        """Send and wait for the reply that names this request; other messages stay queued for receive()."""
        sent = self.send(to_agent, message)
        deadline = time.monotonic() + timeout
        for held in list(self._held):
            if held.correlation_id == sent.id:
                self._held.remove(held)
                return held
        while (remaining := deadline - time.monotonic()) > 0:
            for envelope in await self.inbox.next_batch(remaining):
                if envelope.correlation_id == sent.id:
                    return envelope
                self._held.append(envelope)
        raise TimeoutError(f"no reply from {to_agent} within {timeout:g}s")

    def reply(self, to: Envelope, message: BusMessage) -> Envelope:
        return self.send(to.sender, message, correlation_id=to.id)

    def share_result(self, key: str, value: object) -> Envelope:
        self.bus.shared[key] = value
        return self.publish(f"results.{segment(key)}", SharedResult(key=key, value=value))

    def shared_result(self, key: str) -> object | None:
        return self.bus.shared.get(key)

    async def wait_result(self, key: str, timeout: float = 30.0) -> object:
        if key in self.bus.shared:
            return self.bus.shared[key]
        subscription = self.bus.subscribe(f"results.{segment(key)}")
        try:
            if key in self.bus.shared:  # published between the check and the subscribe
                return self.bus.shared[key]
            batch = await subscription.next_batch(timeout)
            if not batch:
                raise TimeoutError(f"no shared result {key!r} within {timeout:g}s")
            return batch[0].message.value  # type: ignore[union-attr]
        finally:
            subscription.close()

    def ready(self, card: AgentCard | dict | None = None) -> Envelope:
        """Announce this agent; with no card it is known by its id alone (an ephemeral bus-only card)."""
        if card is None:
            card = ephemeral_card(self.agent_id)
        announced = card if isinstance(card, dict) else to_builtins(card)
        return self.event(AgentReady(agent_id=self.agent_id, card=announced))

    def shutdown(self, reason: str = "") -> Envelope:
        envelope = self.event(AgentShutdown(agent_id=self.agent_id, reason=reason))
        self.inbox.close()
        return envelope
