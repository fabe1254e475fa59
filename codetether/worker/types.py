"""Wire types of the worker routes (the paths the original CodeTether worker uses, served by our own ``serve``).

Field names are snake_case on the wire, as the original's worker sends them.
"""

from typing import Any, Literal

import msgspec

TaskMode = Literal["agent", "swarm", "ralph"]
ReleaseOutcome = Literal["completed", "failed", "input-required", "released"]
OutputKind = Literal["text", "status"]


class _Wire(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    pass


class RegisterRequest(_Wire, kw_only=True):
    """``POST /v1/agent/workers/register``."""

    worker_id: str = ""  # the worker's own id suggestion; the server's answer is authoritative
    name: str = ""
    capabilities: list[str] = []
    hostname: str = ""
    models: list[str] = []
    workspaces: list[str] = []
    max_concurrent_tasks: int = 1


class RegisterResponse(_Wire, kw_only=True):
    worker_id: str
    token: str  # the worker's own bearer token from now on; the server keeps only its hash
    lease_seconds: float
    heartbeat_seconds: float


class CognitionSummary(_Wire, kw_only=True):
    running: bool = False
    last_tick_at: str | None = None
    active_persona_count: int = 0
    events_buffered: int = 0
    snapshots_buffered: int = 0
    latest_snapshot_at: str | None = None
    latest_thought: str | None = None


class Heartbeat(_Wire, kw_only=True):
    """``POST /v1/agent/workers/{id}/heartbeat``."""

    worker_id: str = ""
    agent_name: str = ""
    status: str = "idle"
    active_task_count: int = 0
    active_tasks: list[str] = []
    sub_agents: list[str] = []
    task_progress: dict[str, str] | None = None
    cognition: CognitionSummary | None = None


class HeartbeatReply(_Wire, kw_only=True):
    ok: bool = True
    leases_extended: int = 0
    lease_seconds: float = 0.0
    revoked: list[str] = []  # active tasks the worker no longer holds (canceled, or its lease ran out): stop them


class WorkItem(_Wire, kw_only=True):
    """A task as a worker sees it: enough to run it."""

    task_id: str
    context_id: str
    prompt: str
    workspace: str = ""  # which of the worker's workspaces (name or path); "" = its first
    mode: TaskMode = "agent"
    model: str | None = None
    metadata: dict[str, Any] = {}
    status: str = "pending"
    worker_id: str = ""
    attempts: int = 0


class PendingTasks(_Wire, kw_only=True):
    tasks: list[WorkItem]


class ClaimRequest(_Wire, kw_only=True):
    task_id: str
    worker_id: str = ""


class ClaimResponse(_Wire, kw_only=True):
    task: WorkItem
    lease_seconds: float


class OutputRequest(_Wire, kw_only=True):
    """``POST /v1/agent/tasks/{id}/output``: one chunk of the run, appended to the A2A task."""

    worker_id: str = ""
    kind: OutputKind = "text"
    output: str = ""


class ReleaseRequest(_Wire, kw_only=True):
    """``POST /v1/worker/tasks/release``: the task is done, failed, waits for input, or is given back."""

    task_id: str
    worker_id: str = ""
    outcome: ReleaseOutcome = "completed"
    message: str = ""
    result: str = ""  # the final answer (an artifact) when completed


class QueueEvent(_Wire, kw_only=True):
    """One sequenced frame of ``GET /v1/worker/tasks/stream``: a task became claimable.

    ``for_worker`` names the worker the server would like to take it (free slots, can run it); the
    others wait a moment before claiming it themselves, so a fleet does not race for every task."""

    seq: int
    type: Literal["task.available"] = "task.available"
    task: WorkItem
    for_worker: str = ""


class TaskClaimed(_Wire, kw_only=True):
    """An advisory frame (no id): the task was claimed; workers waiting to claim it can stop waiting."""

    task_id: str
