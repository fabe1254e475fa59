"""The in-process agent bus: every long-running piece publishes here so it can be observed."""

from .agent_bus import AgentBus, Subscription, segment
from .follow import Follower
from .handle import BusHandle
from .messages import Envelope
from .registry import AgentCard, AgentRegistry, ephemeral_card

__all__ = [
    "AgentBus",
    "AgentCard",
    "AgentRegistry",
    "BusHandle",
    "Envelope",
    "Follower",
    "Subscription",
    "ephemeral_card",
    "segment",
]
