"""What an agent run reports as it goes: rendered by the CLI, written as jsonl, later sent on the bus."""

import msgspec

from ..providers.types import Usage


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
    status: str  # submitted | max_steps | interrupted | error
    text: str
    steps: int
    usage: Usage
    error: str | None = None


AgentEvent = (
    SessionStarted | TextDelta | ThinkingDelta | ToolCallStarted | ToolCallFinished | UsageUpdate | Compacted | Finished
)
