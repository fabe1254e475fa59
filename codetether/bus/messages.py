"""What travels on the agent bus: one envelope type and a tagged union of message kinds."""

from typing import Any

import msgspec


class AgentReady(msgspec.Struct, tag="agent_ready", kw_only=True):
    agent_id: str
    card: dict[str, Any] = {}


class AgentShutdown(msgspec.Struct, tag="agent_shutdown", kw_only=True):
    agent_id: str
    reason: str = ""


class Heartbeat(msgspec.Struct, tag="heartbeat", kw_only=True):
    agent_id: str
    state: str = "working"


class AgentMessage(msgspec.Struct, tag="agent_message", kw_only=True):
    text: str
    data: dict[str, Any] = {}


class TaskUpdate(msgspec.Struct, tag="task_update", kw_only=True):
    task_id: str
    state: str
    message: str = ""


class ArtifactUpdate(msgspec.Struct, tag="artifact_update", kw_only=True):
    task_id: str
    name: str
    content: str


class SharedResult(msgspec.Struct, tag="shared_result", kw_only=True):
    key: str
    value: Any


class ToolRequest(msgspec.Struct, tag="tool_request", kw_only=True):
    tool: str
    arguments: dict[str, Any] = {}


class ToolResponse(msgspec.Struct, tag="tool_response", kw_only=True):
    tool: str
    output: str
    is_error: bool = False


class SwarmEvent(msgspec.Struct, tag="swarm_event", kw_only=True):
    """Progress of a swarm: planned, stage, subtask_started/progress/finished/failed, merged, finished."""

    swarm_id: str
    kind: str
    subtask: str = ""
    state: str = ""
    steps: int = 0
    detail: str = ""


class RalphProgress(msgspec.Struct, tag="ralph_progress", kw_only=True):
    story: str
    state: str
    detail: str = ""


BusMessage = (
    AgentReady
    | AgentShutdown
    | Heartbeat
    | AgentMessage
    | TaskUpdate
    | ArtifactUpdate
    | SharedResult
    | ToolRequest
    | ToolResponse
    | SwarmEvent
    | RalphProgress
)


class Envelope(msgspec.Struct, kw_only=True, frozen=True):
    """Written once into the ring; every subscriber reads the same object."""

    id: str
    topic: str
    sender: str
    ts: float
    message: BusMessage
    correlation_id: str | None = None
