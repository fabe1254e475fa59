"""Which agents exist: cards announced on the bus, followed by the registry."""

import logging
import time

import msgspec

from .agent_bus import AgentBus, segment
from .messages import AgentReady, AgentShutdown, Heartbeat

log = logging.getLogger(__name__)


class AgentCard(msgspec.Struct, kw_only=True):
    """An agent's identity and abilities (the A2A card's core fields)."""

    name: str
    description: str = ""
    url: str
    version: str = "1"
    skills: list[str] = []
    capabilities: dict[str, bool] = {}


def ephemeral_card(name: str, description: str = "", skills: list[str] | None = None) -> AgentCard:
    """A card for a short-lived local sub-agent, reachable only over the in-process bus."""
    return AgentCard(name=name, description=description, url=f"bus://local/{segment(name)}", skills=skills or [])


def _card(ready: AgentReady) -> AgentCard | None:
    """The announced card, named after the agent where it leaves name or url out.

    Cards come from other agents: one that does not fit is logged and skipped, so it cannot stop the
    registry from following everyone else.
    """
    named = {"name": ready.agent_id, "url": f"bus://local/{segment(ready.agent_id)}", **ready.card}
    try:
        return msgspec.convert(named, AgentCard)
    except msgspec.ValidationError as exc:
        log.warning("agent %s announced an unusable card (%s); not registered", ready.agent_id, exc)
        return None


class AgentRegistry:
    """Follows ``agent.*.events``: ready adds a card, shutdown removes it, heartbeats refresh it."""

    def __init__(self, bus: AgentBus) -> None:
        self.subscription = bus.subscribe("agent.*.events")
        self.cards: dict[str, AgentCard] = {}
        self.last_seen: dict[str, float] = {}

    def refresh(self) -> None:
        for envelope in self.subscription.poll():
            message = envelope.message
            if isinstance(message, AgentReady):
                card = _card(message)
                if card is not None:
                    self.cards[message.agent_id] = card
                    self.last_seen[message.agent_id] = envelope.ts
            elif isinstance(message, AgentShutdown):
                self.cards.pop(message.agent_id, None)
                self.last_seen.pop(message.agent_id, None)
            elif isinstance(message, Heartbeat) and message.agent_id in self.cards:
                self.last_seen[message.agent_id] = envelope.ts

    def agents(self) -> dict[str, AgentCard]:
        self.refresh()
        return dict(self.cards)

    def stale(self, older_than: float) -> list[str]:
        self.refresh()
        now = time.time()
        return [agent for agent, seen in self.last_seen.items() if now - seen > older_than]

    def close(self) -> None:
        self.subscription.close()
