"""The one event vocabulary: everything an agent run, a swarm, an A2A task or a peer reports.

Every producer publishes these on the bus and every view (the CLI's text/json/jsonl renderers, the
swarm view, A2A task updates, the TUI, ``GET /v1/bus/stream``) subscribes to them, so what one view
shows another can show too. It is a single msgspec tagged union: the ``type`` tag names the event on
the wire, and the tags and field order of the run events are the ``--format jsonl`` contract.
Statuses and states are enums (string-valued, so the JSON is unchanged).
"""

from enum import StrEnum
from typing import Any

import msgspec

from .providers.types import Usage

# --- an agent run (topic ``agent.{session_id}``, or the one its AgentSpec names) -----------------


class RunStatus(StrEnum):
    """How a run ended."""

    SUBMITTED = "submitted"  # the model gave its final answer
    MAX_STEPS = "max_steps"  # the step limit was reached first
    MAX_TOKENS = "max_tokens"  # the answer was still cut off at the output limit after the nudges
    INTERRUPTED = "interrupted"  # Ctrl+C or a cancel; the session is kept
    TIMEOUT = "timeout"  # a caller's deadline (a swarm sub-agent's --timeout)
    ERROR = "error"  # provider, auth or format failure; ``error`` says which


class SessionStarted(msgspec.Struct, tag="session_started", kw_only=True):
    session_id: str
    model: str
    cwd: str
    resumed: bool = False


class TextDelta(msgspec.Struct, tag="text_delta", kw_only=True):
    text: str


class ThinkingDelta(msgspec.Struct, tag="thinking_delta", kw_only=True):
    text: str


class ToolCallStarted(msgspec.Struct, tag="tool_call", kw_only=True):
    call_id: str
    name: str
    arguments: str


class ToolOutput(msgspec.Struct, tag="tool_output", kw_only=True):
    """A piece of a running command's output, for live display (the result carries all of it)."""

    call_id: str
    text: str


class ToolCallFinished(msgspec.Struct, tag="tool_result", kw_only=True):
    call_id: str
    name: str
    output: str
    is_error: bool
    duration_ms: float


class UsageUpdate(msgspec.Struct, tag="usage", kw_only=True):
    step: Usage
    total: Usage


class Compacted(msgspec.Struct, tag="compacted", kw_only=True):
    tokens_before: int
    tokens_after: int
    summarised: bool


class Finished(msgspec.Struct, tag="done", kw_only=True):
    status: RunStatus
    text: str
    steps: int
    usage: Usage
    error: str | None = None


RunEvent = (
    SessionStarted
    | TextDelta
    | ThinkingDelta
    | ToolCallStarted
    | ToolOutput
    | ToolCallFinished
    | UsageUpdate
    | Compacted
    | Finished
)

# --- a swarm (topic ``swarm.{id}``; its sub-agents' run events under ``swarm.{id}.{subtask}``) --------


class SwarmKind(StrEnum):
    STARTED = "started"
    PLAN_REJECTED = "plan_rejected"
    PLANNED = "planned"
    STAGE = "stage"
    SUBTASK = "subtask"
    MERGED = "merged"
    MERGE_CONFLICT = "merge_conflict"
    APPLY_CONFLICT = "apply_conflict"
    FINISHED = "finished"


class SubtaskState(StrEnum):
    """A subtask's state in ``subtask`` events; ``stage`` events use STARTED, ``finished`` the swarm's status."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"
    STARTED = "started"
    PARTIAL = "partial"
    NONE = ""


class SwarmEvent(msgspec.Struct, tag="swarm_event", kw_only=True):
    """Progress of a swarm: started, planned, stage, subtask (with its state), merged, conflicts, finished."""

    swarm_id: str
    kind: SwarmKind
    subtask: str = ""
    state: SubtaskState = SubtaskState.NONE
    steps: int = 0
    detail: str = ""


# --- A2A tasks (topic ``task.{id}``) -----------------------------------------------------------------


class TaskUpdate(msgspec.Struct, tag="task_update", kw_only=True):
    task_id: str
    state: str  # an A2A TaskState value ("submitted", "working", ...): the spec owns that vocabulary
    message: str = ""


class ArtifactUpdate(msgspec.Struct, tag="artifact_update", kw_only=True):
    task_id: str
    name: str
    content: str


# --- Ralph (topic ``ralph.{prd}``) -------------------------------------------------------------------


class RalphState(StrEnum):
    """What a ``ralph_progress`` event reports; it is also the last topic segment (``ralph.{prd_id}.{state}``)."""

    RUN = "run"  # a run started (story empty; total = stories, passed = already passed)
    STARTED = "started"  # a story's agent started in its worktree
    ITERATION = "iteration"  # the agent works on the story (again, after failed checks: a repair round)
    CHECK = "check"  # a quality check or verification step started (check) or ended (check, ok)
    PASSED = "passed"  # every check passed; committed and merged
    FAILED = "failed"  # checks still failing, the agent failed, the story timed out, or a merge conflict
    LEARNING = "learning"  # what the agent learned, for later stories (learnings)
    BLOCKED = "blocked"  # cannot start: a dependency did not pass
    FINISHED = "finished"  # the run ended (passed/total; detail: why it stopped)


class RalphProgress(msgspec.Struct, tag="ralph_progress", kw_only=True):
    """Progress of a Ralph run on topic ``ralph.{prd_id}.{state}``; its agents' run events are under
    ``ralph.{prd_id}.agent.{story}``, so ``ralph.{prd_id}.#`` follows everything."""

    story: str
    state: RalphState
    detail: str = ""
    prd_id: str = ""
    iteration: int = 0
    check: str = ""
    ok: bool | None = None
    passed: int = 0
    total: int = 0
    learnings: list[str] = []


# --- agents on the bus (topics ``agent.{id}``, ``agent.{id}.events``, ``broadcast``, ``results.{key}``) --


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


Event = (
    RunEvent
    | SwarmEvent
    | TaskUpdate
    | ArtifactUpdate
    | RalphProgress
    | AgentReady
    | AgentShutdown
    | Heartbeat
    | AgentMessage
    | SharedResult
    | ToolRequest
    | ToolResponse
)
