"""batch: several tool calls in one request; read-only ones run in parallel."""

from typing import Annotated, Any

import msgspec

from ..providers.types import ToolCall
from .base import ToolError
from .context import ToolContext

NAME = "batch"
KIND = "delegate"  # runs other tools (each checked on its own); scheduled alone, never in parallel
MAX_CALLS = 10


class Invocation(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    tool: Annotated[str, msgspec.Meta(description="Tool name")]
    parameters: Annotated[dict[str, Any], msgspec.Meta(description="That tool's arguments")] = {}


class Params(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    calls: Annotated[list[Invocation], msgspec.Meta(min_length=1, max_length=MAX_CALLS, description="Calls to make")]


async def run(params: Params, ctx: ToolContext) -> str:
    if any(c.tool == NAME for c in params.calls):
        raise ToolError("batch cannot contain batch")
    parent = ctx.call_id or "batch"
    calls = [
        ToolCall(id=f"{parent}.{i}", name=c.tool, arguments=msgspec.json.encode(c.parameters).decode())
        for i, c in enumerate(params.calls, start=1)
    ]
    if ctx.runner is None:
        raise ToolError("batch needs a tool runner", "call the tools one by one")
    outcomes = await ctx.runner.run_many(calls)
    parts = []
    for i, (call, outcome) in enumerate(zip(calls, outcomes, strict=True), start=1):
        status = "error" if outcome.is_error else "ok"
        parts.append(f"## {i}. {call.name} ({status})\n{outcome.output}")
    return "\n\n".join(parts)
