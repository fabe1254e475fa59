"""What travels on the agent bus: one envelope around any event of :mod:`codetether.events`."""

import msgspec

from ..events import (
    AgentMessage,
    AgentReady,
    AgentShutdown,
    ArtifactUpdate,
    Event,
    Heartbeat,
    RalphProgress,
    SharedResult,
    SwarmEvent,
    TaskUpdate,
    ToolRequest,
    ToolResponse,
)

BusMessage = Event

__all__ = [
    "AgentMessage",
    "AgentReady",
    "AgentShutdown",
    "ArtifactUpdate",
    "BusMessage",
    "Envelope",
    "Heartbeat",
    "RalphProgress",
    "SharedResult",
    "SwarmEvent",
    "TaskUpdate",
    "ToolRequest",
    "ToolResponse",
]


class Envelope(msgspec.Struct, kw_only=True, frozen=True):
    """Written once into the ring; every subscriber reads the same object."""

    id: str
    topic: str
    sender: str
    ts: float
    message: BusMessage
    correlation_id: str | None = None
