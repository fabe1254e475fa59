"""The events an agent run publishes: the run part of the one vocabulary in :mod:`codetether.events`."""

from ..events import (
    Compacted,
    Finished,
    RunEvent,
    RunStatus,
    SessionStarted,
    TextDelta,
    ThinkingDelta,
    ToolCallFinished,
    ToolCallStarted,
    ToolOutput,
    UsageUpdate,
)

AgentEvent = RunEvent

__all__ = [
    "AgentEvent",
    "Compacted",
    "Finished",
    "RunStatus",
    "SessionStarted",
    "TextDelta",
    "ThinkingDelta",
    "ToolCallFinished",
    "ToolCallStarted",
    "ToolOutput",
    "UsageUpdate",
]
